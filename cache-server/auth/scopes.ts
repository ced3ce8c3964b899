/**
 * What an authenticated user may do: read and write the datasets whose names match its patterns,
 * and run admin actions (drop, fetch, describe, register, load). A pattern is "*" (every dataset),
 * "prefix*" (names starting with prefix) or an exact name.
 */
import { Code, FlightError } from '../../client/src/flight/errors.js';

/** A user's permissions. */
export interface Scopes {
  readonly read: readonly string[];
  readonly write: readonly string[];
  readonly admin: boolean;
}

/** Every permission: `--user/--password` and the cluster's own processes. */
export const ALL_SCOPES: Scopes = Object.freeze({ read: ['*'], write: ['*'], admin: true });

/**
 * Whether `patterns` cover dataset `name`. An undefined name (a request for the default dataset,
 * resolved later) is covered only by "*", since the name it resolves to is not known yet.
 */
export function allows(patterns: readonly string[], name: string | undefined): boolean {
  return patterns.some((pattern) => {
    if (pattern === '*') return true;
    if (name === undefined) return false;
    return pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern;
  });
}

/** Describes scopes for error messages, e.g. `read [train*], write [], no admin`. */
export function describeScopes(scopes: Scopes): string {
  return `read [${scopes.read.join(', ')}], write [${scopes.write.join(', ')}], ${scopes.admin ? 'admin' : 'no admin'}`;
}

/** Reads scopes from a JSON object (`read`, `write`: pattern lists, default none; `admin`: default false). */
export function parseScopes(value: Record<string, unknown>, where: string): Scopes {
  const patterns = (key: 'read' | 'write'): string[] => {
    const list = value[key] ?? [];
    if (!Array.isArray(list) || !list.every((p) => typeof p === 'string' && p !== '')) {
      throw new FlightError(Code.INVALID_ARGUMENT, `${where}: "${key}" must be a list of dataset names or patterns ("*", "prefix*")`);
    }
    return list as string[];
  };
  const admin = value.admin ?? false;
  if (typeof admin !== 'boolean') throw new FlightError(Code.INVALID_ARGUMENT, `${where}: "admin" must be true or false`);
  return { read: patterns('read'), write: patterns('write'), admin };
}
