/**
 * Open prepared statements of one server: a random handle per CreatePreparedStatement, holding the
 * query, its bound parameter literals and the user who created it (no other user can use or close
 * it). Bounded in number, so a client that never closes its statements cannot grow the server.
 */
import { randomBytes } from 'node:crypto';
import { Code, FlightError } from '../../client/src/flight/errors.js';

/** One open prepared statement. */
export interface PreparedStatement {
  readonly query: string;
  readonly user: string;
  /** Literals of the bound parameter row; absent until a DoPut binds them. */
  literals?: string[];
}

/** Open statements a server holds at most. */
export const MAX_PREPARED_STATEMENTS = 4096;

/** The open prepared statements, by handle. */
export class PreparedStatements {
  private readonly open = new Map<string, PreparedStatement>();

  constructor(private readonly limit = MAX_PREPARED_STATEMENTS) {}

  /** Opens a statement for `user`; RESOURCE_EXHAUSTED when `limit` are open. */
  create(query: string, user: string): Uint8Array {
    if (this.open.size >= this.limit) {
      throw new FlightError(Code.RESOURCE_EXHAUSTED, `${this.limit} prepared statements are open: close some (ClosePreparedStatement) before preparing more`);
    }
    const handle = randomBytes(16).toString('hex');
    this.open.set(handle, { query, user });
    return new TextEncoder().encode(handle);
  }

  /** The statement of `handle`; NOT_FOUND if it is not open for `user`. */
  get(handle: Uint8Array, user: string): PreparedStatement {
    const statement = this.open.get(new TextDecoder().decode(handle));
    if (!statement || statement.user !== user) {
      throw new FlightError(Code.NOT_FOUND, 'unknown prepared statement handle: it was closed, or never created on this server by this user');
    }
    return statement;
  }

  /** Closes the statement of `handle` (NOT_FOUND as get()). */
  close(handle: Uint8Array, user: string): void {
    this.get(handle, user);
    this.open.delete(new TextDecoder().decode(handle));
  }

  /** How many statements are open. */
  get size(): number {
    return this.open.size;
  }
}
