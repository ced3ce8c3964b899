/** Byte-level mutations of fuzz inputs, driven by a seeded generator so a run can be repeated. */

/** A small seeded PRNG (xorshift32). */
export class Random {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0 || 0x9e3779b9;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    let x = this.#state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#state = x >>> 0;
    return n <= 0 ? 0 : this.#state % n;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }
}

/** Values that sit on boundaries of lengths, offsets and varints. */
const INTERESTING_32 = [0, 1, 7, 8, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];

/** Mutates `input` once or a few times; `other` is a corpus entry to splice with, `tokens` a dictionary. */
export function mutate(input: Uint8Array, rng: Random, other: Uint8Array, tokens: readonly Uint8Array[], maxLength: number): Uint8Array {
  let data = Buffer.from(input);
  const rounds = 1 + rng.below(4);
  for (let round = 0; round < rounds; round++) {
    const at = rng.below(data.length + 1);
    switch (rng.below(9)) {
      case 0:
        if (data.length > 0) data[rng.below(data.length)]! ^= 1 << rng.below(8);
        break;
      case 1:
        if (data.length > 0) data[rng.below(data.length)] = rng.below(2) === 0 ? rng.below(256) : rng.pick([0, 1, 0x7f, 0x80, 0xff]);
        break;
      case 2: {
        if (data.length < 4) break;
        const value = rng.pick(INTERESTING_32);
        const pos = rng.below(data.length - 3);
        if (rng.below(2) === 0) data.writeUInt32LE(value >>> 0, pos);
        else data.writeUInt32BE(value >>> 0, pos);
        break;
      }
      case 3:
        data = Buffer.concat([data.subarray(0, at), Buffer.from([rng.below(256)]), data.subarray(at)]);
        break;
      case 4: {
        const length = 1 + rng.below(Math.min(16, Math.max(1, data.length - at)));
        data = Buffer.concat([data.subarray(0, at), data.subarray(at + length)]);
        break;
      }
      case 5: {
        const from = rng.below(data.length + 1);
        const chunk = data.subarray(from, from + 1 + rng.below(32));
        data = Buffer.concat([data.subarray(0, at), chunk, data.subarray(at)]);
        break;
      }
      case 6: {
        const cut = rng.below(other.length + 1);
        data = Buffer.concat([data.subarray(0, at), other.subarray(cut)]);
        break;
      }
      case 7:
        if (tokens.length > 0) data = Buffer.concat([data.subarray(0, at), rng.pick(tokens), data.subarray(at)]);
        break;
      default:
        data = data.subarray(0, at);
    }
  }
  return data.length > maxLength ? data.subarray(0, maxLength) : data;
}
