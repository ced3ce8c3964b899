/**
 * Like-for-like comparisons: a ratio of ours over a peer is fair only when both ran under the same
 * conditions (DataLoader workers, shuffling, ...). Reports call these helpers to put the matched
 * pairs next to any headline ratio, and to say what differs when a headline is not like-for-like.
 * Used by the torch section; written for any suite whose contenders record their conditions.
 */
import { mdTable } from './markdown.js';
import { isObject } from './results.js';

/** The conditions a contender ran under, by name (e.g. { workers: 0, shuffled: false }). */
export type Conditions = Readonly<Record<string, string | number | boolean>>;

/** A contender as the pair helpers see it: its name, median and conditions. */
export interface Compared {
  name: string;
  median: number;
  conditions: Conditions;
}

/** ours / peer by median, run under the same values of every compared key. */
export interface LikePair {
  ours: string;
  peer: string;
  ratio: number;
  conditions: Conditions;
}

/** The conditions object of a record entry (string, number and boolean values only); null when absent. */
export function conditionsOf(value: unknown): Conditions | null {
  if (!isObject(value)) return null;
  const entries = Object.entries(value).filter((e): e is [string, string | number | boolean] => ['string', 'number', 'boolean'].includes(typeof e[1]));
  return entries.length === 0 ? null : Object.fromEntries(entries);
}

/** The keys among keys on which two contenders differ (a key one of them lacks counts as differing). */
export function differingKeys(a: Conditions, b: Conditions, keys: readonly string[]): string[] {
  return keys.filter((key) => !(key in a) || !(key in b) || a[key] !== b[key]);
}

/** Every (ours, peer) with equal values of all keys, ours in order, then peers in order; peers with a zero median are left out. */
export function likeForLikePairs(ours: readonly Compared[], peers: readonly Compared[], keys: readonly string[]): LikePair[] {
  return ours.flatMap((a) =>
    peers
      .filter((b) => b.median > 0 && differingKeys(a.conditions, b.conditions, keys).length === 0)
      .map((b) => ({ ours: a.name, peer: b.name, ratio: a.median / b.median, conditions: Object.fromEntries(keys.map((k) => [k, a.conditions[k]!])) })),
  );
}

function show(value: string | number | boolean | undefined): string {
  return value === undefined ? 'unknown' : typeof value === 'boolean' ? (value ? 'yes' : 'no') : String(value);
}

/** "workers 2, shuffled no": the values of keys, in order. */
export function conditionsText(conditions: Conditions, keys: readonly string[]): string {
  return keys.map((key) => `${key} ${show(conditions[key])}`).join(', ');
}

/**
 * What a headline ratio compares: "like-for-like" when both sides share the keys' values, else the
 * values on each side that differ ("not like-for-like: workers 0 vs 2").
 */
export function headlineNote(ours: Compared, peer: Compared, keys: readonly string[]): string {
  const differ = differingKeys(ours.conditions, peer.conditions, keys);
  if (differ.length === 0) return 'like-for-like';
  return `not like-for-like: ${differ.map((key) => `${key} ${show(ours.conditions[key])} vs ${show(peer.conditions[key])}`).join('; ')}`;
}

/** The like-for-like pairs as a markdown table: the two sides, their shared conditions, and the ratio. */
export function pairsTable(pairs: readonly LikePair[], keys: readonly string[], unit: string): string {
  return mdTable(
    ['ours', 'peer', 'same conditions', `ratio of median ${unit}`],
    pairs.map((p) => [p.ours, p.peer, conditionsText(p.conditions, keys), `${p.ratio.toFixed(2)}x`]),
    [3],
  );
}
