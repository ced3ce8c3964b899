/**
 * Drop tombstones a shard keeps for the coordinators (docs/cluster.md): the puts, as
 * "dataset#nonce", of datasets a coordinator dropped. A coordinator that restarts learns them from
 * any shard, so copies of a dropped put that a shard held while it was down are never adopted
 * back; a later put of the same name has a new nonce and is not affected. Kept in memory: a shard
 * that restarts is empty and gets them again from the coordinator when it is brought in line.
 */
import { Code, FlightError } from '../../client/src/flight/errors.js';

/** A put's key: the dataset name, '#', the put's hex nonce (as in stored partition names). */
const PUT_KEY = /^.+#[0-9a-f]+$/;

/** Parses a `tombstone` action body {"puts": ["dataset#nonce", ...]}. */
export function parseTombstone(body: string): string[] {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    value = undefined;
  }
  const puts = typeof value === 'object' && value !== null ? (value as { puts?: unknown }).puts : undefined;
  if (!Array.isArray(puts) || puts.length === 0 || !puts.every((p): p is string => typeof p === 'string' && PUT_KEY.test(p))) {
    throw new FlightError(Code.INVALID_ARGUMENT, 'tombstone needs a JSON body {"puts": ["dataset#nonce", ...]} naming at least one put');
  }
  return puts;
}

/** The tombstones one node holds. */
export class Tombstones {
  readonly #puts = new Set<string>();

  /** Records the puts of a `tombstone` body; answers how many were new and how many are held. */
  record(body: string): { recorded: number; total: number } {
    let recorded = 0;
    for (const put of parseTombstone(body)) {
      if (this.#puts.has(put)) continue;
      this.#puts.add(put);
      recorded++;
    }
    return { recorded, total: this.#puts.size };
  }

  /** Every put held, sorted. */
  list(): string[] {
    return [...this.#puts].sort();
  }
}
