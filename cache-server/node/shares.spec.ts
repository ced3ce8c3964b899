import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { epochOrder, hashText, localShares, mixSeed, permutation, rankShare, resplit, rowOrder, splitRange, type Piece } from './shares.js';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const sorted = (values: ArrayLike<number>): number[] => Array.from(values).sort((a, b) => a - b);
const same = (a: ArrayLike<number>, b: ArrayLike<number>): boolean => a.length === b.length && Array.from(a).every((v, i) => v === b[i]);
const shuffles = fc.record({ seed: fc.maxSafeNat(), epoch: fc.nat(1 << 20) });

test('7 batches over 3 ranks are 0-2, 3-4 and 5-6; 2 batches over 3 ranks leave the last one empty', () => {
  assert.deepEqual([0, 1, 2].map((rank) => splitRange(7, rank, 3)), [
    { from: 0, to: 3 },
    { from: 3, to: 5 },
    { from: 5, to: 7 },
  ]);
  assert.deepEqual(rankShare(epochOrder(2), 2, 3), []);
  assert.deepEqual(rankShare(Uint32Array.of(4, 0, 2, 1, 3), 0, 2), [
    { batch: 4, skip: 0 },
    { batch: 0, skip: 0 },
    { batch: 2, skip: 0 },
  ]);
});

test('the rank shares of an epoch order are disjoint, cover every batch once in order and differ by at most one batch', () => {
  fc.assert(
    fc.property(fc.nat(400), fc.integer({ min: 1, max: 64 }), fc.option(shuffles, { nil: undefined }), (count, world, shuffle) => {
      const order = epochOrder(count, shuffle);
      const shares = range(world).map((rank) => rankShare(order, rank, world));
      assert.deepEqual(
        shares.flat().map((piece) => piece.batch),
        Array.from(order),
      );
      assert.deepEqual(sorted(shares.flat().map((piece) => piece.batch)), range(count));
      assert.ok(shares.flat().every((piece) => piece.skip === 0));
      const sizes = shares.map((share) => share.length);
      assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, sizes.join(','));
    }),
  );
});

test('an unshuffled epoch order is the stored order', () => {
  assert.deepEqual(Array.from(epochOrder(5)), [0, 1, 2, 3, 4]);
  assert.deepEqual(Array.from(epochOrder(0)), []);
});

test('a permutation holds every index once and is the same for the same seed', () => {
  fc.assert(
    fc.property(fc.nat(1000), fc.nat(0xffffffff), (n, seed) => {
      const order = permutation(n, seed);
      assert.deepEqual(sorted(order), range(n));
      assert.deepEqual(permutation(n, seed), order);
    }),
  );
});

test('the permutation of a seed is stable across releases, since cursors of a running epoch depend on it', () => {
  assert.deepEqual(Array.from(permutation(10, 42)), [0, 7, 3, 5, 2, 1, 8, 9, 4, 6]);
  assert.deepEqual(Array.from(epochOrder(10, { seed: 7, epoch: 3 })), [6, 8, 1, 9, 7, 5, 4, 3, 0, 2]);
  assert.deepEqual(Array.from(rowOrder(6, 2, { seed: 7, epoch: 3 })), [4, 5, 2, 1, 0, 3]);
});

test('the batch and row orders are the same for the same seed and epoch and differ for another epoch or seed', () => {
  fc.assert(
    fc.property(fc.integer({ min: 16, max: 300 }), shuffles, fc.nat(1000), (n, shuffle, batch) => {
      const order = epochOrder(n, shuffle);
      assert.deepEqual(sorted(order), range(n));
      assert.deepEqual(epochOrder(n, { ...shuffle }), order);
      assert.ok(!same(epochOrder(n, { ...shuffle, epoch: shuffle.epoch + 1 }), order));
      assert.ok(!same(epochOrder(n, { ...shuffle, seed: shuffle.seed + 1 }), order));
      const rows = rowOrder(n, batch, shuffle);
      assert.deepEqual(sorted(rows), range(n));
      assert.deepEqual(rowOrder(n, batch, { ...shuffle }), rows);
      assert.ok(!same(rowOrder(n, batch, { ...shuffle, epoch: shuffle.epoch + 1 }), rows));
      assert.ok(!same(rowOrder(n, batch + 1, shuffle), rows), 'each batch has its own row order');
      assert.ok(!same(rows, order), 'row orders are not the batch order');
    }),
  );
});

test('even 8 batches get a different order in each of 50 epochs for 50 seeds', () => {
  for (let seed = 0; seed < 50; seed++) {
    for (let epoch = 0; epoch < 50; epoch++) {
      assert.ok(!same(epochOrder(8, { seed, epoch }), epochOrder(8, { seed, epoch: epoch + 1 })), `seed ${seed} epoch ${epoch}`);
      assert.ok(!same(rowOrder(8, 0, { seed, epoch }), rowOrder(8, 0, { seed, epoch: epoch + 1 })), `rows, seed ${seed} epoch ${epoch}`);
    }
  }
});

test('over 2400 seeds every order of 4 batches occurs about equally often', () => {
  const counts = new Map<string, number>();
  for (let seed = 0; seed < 2400; seed++) {
    const key = Array.from(epochOrder(4, { seed, epoch: 0 })).join();
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  assert.equal(counts.size, 24);
  for (const [order, count] of counts) assert.ok(count >= 60 && count <= 140, `${order}: ${count} of 2400`);
});

test('mixSeed depends on every value, their order, and the high bits of seeds above 2^32', () => {
  fc.assert(
    fc.property(fc.nat(0xffffffff), fc.nat(0xffffffff), (a, b) => {
      fc.pre(a !== b);
      assert.notEqual(mixSeed(a, b), mixSeed(b, a));
      assert.notEqual(mixSeed(a), mixSeed(a + 0x100000000));
      assert.notEqual(mixSeed(a, 0), mixSeed(a));
    }),
  );
});

test('what an interrupted epoch left, re-split over any new world size, is covered exactly once and balanced', () => {
  fc.assert(
    fc.property(
      fc.nat(200),
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 1, max: 12 }),
      fc.option(shuffles, { nil: undefined }),
      fc.array(fc.tuple(fc.nat(1000).map((n) => n / 1000), fc.nat(9)), { minLength: 12, maxLength: 12 }),
      (count, oldWorld, newWorld, shuffle, progress) => {
        const order = epochOrder(count, shuffle);
        const remaining = range(oldWorld).map((rank): Piece[] => {
          const share = rankShare(order, rank, oldWorld);
          const [fraction, skip] = progress[rank]!;
          const rest = share.slice(Math.floor(fraction * (share.length + 1)));
          // A rank stopped part-way into a batch resumes it at row `skip`.
          return rest.length > 0 && skip > 0 ? [{ batch: rest[0]!.batch, skip }, ...rest.slice(1)] : rest;
        });
        const shares = range(newWorld).map((rank) => resplit(remaining, rank, newWorld));
        assert.deepEqual(shares.flat(), remaining.flat());
        const sizes = shares.map((share) => share.length);
        assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, sizes.join(','));
      },
    ),
  );
});

/** Pieces of whole batches in this order. */
const piecesOf = (order: ArrayLike<number>): Piece[] => Array.from(order, (batch) => ({ batch, skip: 0 }));

test('with one rank beside each of three shards that each hold a third of the batches, every rank reads only its own host\'s batches', () => {
  // Batches 0-3 on host a, 4-7 on b, 8-11 on c; ranks on c, a, b.
  const holder = (batch: number): string[] => [['a', 'b', 'c'][Math.floor(batch / 4)]!];
  const shares = localShares(piecesOf(epochOrder(12)), ['c', 'a', 'b'], holder);
  assert.deepEqual(
    shares.map((share) => share.map((piece) => piece.batch)),
    [
      [8, 9, 10, 11],
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ],
  );
});

test('ranks sharing a host take its batches in rank order up to their counts, and batches no rank\'s host holds fill what is left in order', () => {
  // 10 batches over 3 ranks: room 4, 3, 3. Host a holds 0-5 (ranks 0 and 1 there), host z (no rank) 6-9.
  const holder = (batch: number): string[] => [batch < 6 ? 'a' : 'z'];
  const shares = localShares(piecesOf(epochOrder(10)), ['a', 'a', 'b'], holder);
  assert.deepEqual(
    shares.map((share) => share.map((piece) => piece.batch)),
    [
      [0, 1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
    ],
  );
});

test('local shares cover every piece exactly once, keep the plain split\'s counts and sequence order, and are the same on every call', () => {
  const hostNames = ['a', 'b', 'c', 'd'];
  fc.assert(
    fc.property(
      fc.nat(200),
      fc.array(fc.constantFrom(...hostNames), { minLength: 1, maxLength: 12 }),
      fc.integer({ min: 1, max: 4 }),
      fc.nat(1000),
      (count, hosts, copies, seed) => {
        const sequence = piecesOf(epochOrder(count, { seed, epoch: 0 }));
        // Each batch on `copies` hosts picked from the seed.
        const holder = (batch: number): string[] => hostNames.filter((_, i) => (mixSeed(seed, batch, i) & 3) < copies);
        const shares = localShares(sequence, hosts, holder);
        assert.deepEqual(localShares(sequence, hosts, holder), shares);
        assert.deepEqual(sorted(shares.flat().map((piece) => piece.batch)), range(count));
        const position = new Map(sequence.map((piece, i) => [piece.batch, i]));
        shares.forEach((share, rank) => {
          const { from, to } = splitRange(count, rank, hosts.length);
          assert.equal(share.length, to - from);
          const positions = share.map((piece) => position.get(piece.batch)!);
          assert.deepEqual(positions, [...positions].sort((x, y) => x - y));
        });
        // A batch goes to a rank on another host only when every rank on a host holding it is full of
        // batches local to it.
        shares.forEach((share, rank) => {
          for (const piece of share) {
            if (holder(piece.batch).includes(hosts[rank]!)) continue;
            hosts.forEach((host, r) => {
              if (!holder(piece.batch).includes(host)) return;
              for (const other of shares[r]!) {
                assert.ok(holder(other.batch).includes(host), `rank ${r} reads remote batch ${other.batch} but could read ${piece.batch}`);
              }
            });
          }
        });
      },
    ),
  );
});

test('pieces that start part-way keep their skip when split by locality', () => {
  const shares = localShares([{ batch: 3, skip: 2 }, { batch: 1, skip: 0 }], ['x', 'y'], (batch) => (batch === 1 ? ['x'] : ['y']));
  assert.deepEqual(shares, [[{ batch: 1, skip: 0 }], [{ batch: 3, skip: 2 }]]);
});

test('hashText is FNV-1a: stable across releases and different for different host lists', () => {
  assert.equal(hashText(''), 0x811c9dc5);
  assert.equal(hashText('a'), 0xe40c292c);
  assert.notEqual(hashText('a\nb'), hashText('b\na'));
});

test('with one rank per host and one copy per batch, as many batches are read locally as the counts allow: the sum of min(count, batches held)', () => {
  fc.assert(
    fc.property(fc.nat(300), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 10 }), fc.nat(1000), (count, world, holderCount, seed) => {
      const hosts = range(world).map((r) => `h${r}`);
      // Holders may include hosts no rank runs on (h8, h9).
      const holder = (batch: number): string[] => [`h${mixSeed(seed, batch) % holderCount}`];
      const shares = localShares(piecesOf(epochOrder(count, { seed, epoch: 1 })), hosts, holder);
      const local = shares.reduce((sum, share, rank) => sum + share.filter((piece) => holder(piece.batch)[0] === hosts[rank]).length, 0);
      const best = hosts.reduce((sum, host, rank) => {
        const { from, to } = splitRange(count, rank, world);
        return sum + Math.min(to - from, range(count).filter((batch) => holder(batch)[0] === host).length);
      }, 0);
      assert.equal(local, best);
    }),
  );
});

test('local shares of 100,000 batches over 1,024 ranks on 128 hosts with 512 partitions of 2 copies take under a second', () => {
  const hosts = range(1024).map((r) => `host-${r >> 3}`);
  const holder = (batch: number): string[] => {
    const partition = batch >> 8;
    return [`host-${mixSeed(partition, 1) % 128}`, `host-${mixSeed(partition, 2) % 128}`];
  };
  const started = performance.now();
  const shares = localShares(piecesOf(epochOrder(100_000, { seed: 1, epoch: 0 })), hosts, holder);
  assert.ok(performance.now() - started < 1000, `${performance.now() - started} ms`);
  assert.equal(shares.flat().length, 100_000);
});
