/**
 * Replica placement by rendezvous (highest random weight) hashing: every member gets a pseudo-random
 * score per key and the R highest scores hold the key. It needs no shared ring state, does not depend
 * on the order members are listed in, and a member joining or leaving moves only the keys it wins or
 * held (about 1/N of them).
 */
import { createHash } from 'node:crypto';
import { Code, FlightError } from '../../client/src/flight/errors.js';

/** The 64-bit score of `member` for `key`: the first 8 bytes of sha256(key NUL member). */
function score(key: string, member: string): bigint {
  return createHash('sha256').update(key).update('\0').update(member).digest().readBigUInt64BE(0);
}

/** The R distinct members that hold partition `key`, best first, by rendezvous hashing over `members` (ids). */
export function placeReplicas(key: string, members: readonly string[], r: number): string[] {
  if (!Number.isInteger(r) || r < 1) {
    throw new FlightError(Code.INVALID_ARGUMENT, `the replica count must be an integer >= 1, got ${r}`);
  }
  const distinct = [...new Set(members)];
  if (distinct.length < r) {
    throw new FlightError(
      Code.UNAVAILABLE,
      `${r} replica${r === 1 ? '' : 's'} needed for ${JSON.stringify(key)} but only ${distinct.length} member${distinct.length === 1 ? ' is' : 's are'} known`,
    );
  }
  const scored = distinct.map((member) => ({ member, score: score(key, member) }));
  // Ties between 64-bit scores are practically impossible; the id order keeps the result deterministic anyway.
  scored.sort((a, b) => (a.score === b.score ? (a.member < b.member ? -1 : 1) : a.score > b.score ? -1 : 1));
  return scored.slice(0, r).map((entry) => entry.member);
}
