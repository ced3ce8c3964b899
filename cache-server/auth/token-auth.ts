/**
 * Flight's Basic -> Bearer authentication: Handshake checks `authorization: Basic base64(user:pw)` and
 * answers with `authorization: Bearer <token>`; every other call must carry that bearer header (or
 * the Basic credentials themselves, for clients that cannot hold a token).
 */
import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { Code, FlightError } from '../flight/errors.js';
import type { CallContext, Interceptor, Metadata } from '../flight/grpc/method.js';

/** The Handshake path, the one call allowed without a token. */
export const HANDSHAKE_PATH = '/arrow.flight.protocol.FlightService/Handshake';

/** Credentials a server is started with. */
export interface Credentials {
  user: string;
  password: string;
}

/** Compares two strings in time independent of where they differ. */
function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** Reads the single authorization header value, if any. */
function authorizationOf(md: Metadata): string | undefined {
  const value = md['authorization'];
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined) return undefined;
  return typeof first === 'string' ? first : first.toString('utf8');
}

/** Issues and checks bearer tokens for one set of credentials. Tokens live for `ttlMs`. */
export class TokenAuth {
  private readonly tokens = new Map<string, { user: string; expires: number }>();

  constructor(
    private readonly credentials: Credentials,
    private readonly ttlMs = 24 * 3600 * 1000,
  ) {}

  /** Checks Basic credentials from a Handshake call and returns a new bearer token. */
  issueToken(md: Metadata): string {
    const auth = authorizationOf(md);
    if (auth === undefined) {
      throw new FlightError(Code.UNAUTHENTICATED, 'Handshake needs an "authorization: Basic base64(user:password)" header');
    }
    const user = this.checkBasic(auth);
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, { user, expires: Date.now() + this.ttlMs });
    return token;
  }

  /** The interceptor that rejects calls without a valid token or Basic credentials. */
  interceptor(): Interceptor {
    return (ctx: CallContext) => {
      if (ctx.path === HANDSHAKE_PATH) return;
      ctx.values.set('user', this.authenticate(authorizationOf(ctx.metadata)));
    };
  }

  /** Returns the user a header value authenticates, or throws UNAUTHENTICATED. */
  private authenticate(auth: string | undefined): string {
    if (auth === undefined) {
      throw new FlightError(
        Code.UNAUTHENTICATED,
        'missing "authorization" header: call Handshake with Basic credentials and send the returned Bearer token',
      );
    }
    if (/^basic /i.test(auth)) return this.checkBasic(auth);
    const match = /^bearer (.+)$/i.exec(auth);
    if (!match) throw new FlightError(Code.UNAUTHENTICATED, 'authorization header must be "Bearer <token>" or "Basic <credentials>"');
    const entry = this.tokens.get(match[1]!.trim());
    if (!entry) throw new FlightError(Code.UNAUTHENTICATED, 'invalid bearer token');
    if (entry.expires < Date.now()) {
      this.tokens.delete(match[1]!.trim());
      throw new FlightError(Code.UNAUTHENTICATED, 'expired bearer token: call Handshake again');
    }
    return entry.user;
  }

  /** Validates a "Basic ..." header value and returns the user. */
  private checkBasic(auth: string): string {
    const match = /^basic (.+)$/i.exec(auth);
    if (!match) throw new FlightError(Code.UNAUTHENTICATED, 'Handshake needs Basic credentials');
    const decoded = Buffer.from(match[1]!.trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new FlightError(Code.UNAUTHENTICATED, 'malformed Basic credentials: expected base64(user:password)');
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const userOk = safeEqual(user, this.credentials.user);
    const passwordOk = safeEqual(password, this.credentials.password);
    if (!userOk || !passwordOk) throw new FlightError(Code.UNAUTHENTICATED, 'wrong user or password');
    return user;
  }
}
