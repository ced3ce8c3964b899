import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Int32, Table, Utf8, vectorFromArray } from 'apache-arrow';
import { flightInfoFor, requestSchema, type DatasetLayout, type Partition } from './read-plan.js';
import { decodeTicket } from './ticket.js';
import type { Cursor } from './cursor.js';
import { optionsTag, type ShareRequest } from './flight-request.js';
import { epochOrder } from './shares.js';
import { Code } from '../../client/src/flight/errors.js';
import { encodeTable } from '../../client/src/flight/protocol/arrow-codec.js';
import { encapsulate } from '../../client/src/flight/protocol/ipc-message.js';
import { ProjectionPlan } from '../engine/ipc-projection.js';
import { DescriptorType, type FlightInfo } from '../../client/src/flight/protocol/messages.js';

const BATCH_ROWS = [4, 6, 5, 3, 7, 2, 8];
const TOTAL_ROWS = BATCH_ROWS.reduce((a, b) => a + b, 0);
/** The bytes a whole dataset is charged for: deliberately not the sum of its batches, to tell the two totals apart. */
const CHARGED = 123_456;

/** Seven batches of (id int32, name utf8) with BATCH_ROWS rows, laid out in `partitions`. */
function layoutOf(partitions: readonly Partition[], partitioned: boolean): DatasetLayout {
  let id = 0;
  const batches = BATCH_ROWS.map((rows) => {
    const ids = Array.from({ length: rows }, () => id++);
    return new Table({ id: vectorFromArray(ids, new Int32()), name: vectorFromArray(ids.map((i) => `name-${i}`), new Utf8()) }).batches[0]!;
  });
  const [schema, ...messages] = [...encodeTable(batches)];
  return {
    name: 'd',
    schemaHeader: schema!.dataHeader,
    schemaEncapsulated: encapsulate(schema!.dataHeader),
    batches: BATCH_ROWS.length,
    rows: TOTAL_ROWS,
    batchRows: BATCH_ROWS,
    batchHeaders: messages.map((m) => m.dataHeader),
    batchBytes: messages.map((m) => m.dataHeader.byteLength + m.bodyLength),
    bytes: CHARGED,
    partitions,
    partitioned,
    dictionariesChange: false,
  };
}

const node = layoutOf([{ index: 0, from: 0, to: 7, storedName: 'd', locations: ['grpc://node:1'] }], false);
const replicas = ['grpc://a:1', 'grpc://b:1', 'grpc://c:1'];
/** Partitions [0,3), [3,5), [5,7), each on all three replicas, in a different preference order. */
const clusterPartitions: Partition[] = [
  { index: 0, from: 0, to: 3, storedName: 'd@0', locations: replicas },
  { index: 1, from: 3, to: 5, storedName: 'd@1', locations: [replicas[1]!, replicas[2]!, replicas[0]!] },
  { index: 2, from: 5, to: 7, storedName: 'd@2', locations: [replicas[2]!, replicas[0]!, replicas[1]!] },
];
const cluster = layoutOf(clusterPartitions, true);

const request = (rank: number, world: number, extra: Partial<ShareRequest> = {}): ShareRequest => ({ dataset: 'd', rank, world, ...extra });
const tickets = (info: FlightInfo) => info.endpoints.map((e) => decodeTicket(e.ticket.ticket));
const uris = (info: FlightInfo): string[][] => info.endpoints.map((e) => e.locations.map((l) => l.uri));
const share = (world: number, rank: number, position: number, options = 0) => ({ world, rank, position, options, batches: 7, rows: TOTAL_ROWS });
const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

test('a node reads a whole dataset as one endpoint of one run at its location, charged its stored bytes', () => {
  const info = flightInfoFor(node, request(0, 1));
  assert.deepEqual(tickets(info), [{ dataset: 'd', runs: [{ from: 0, to: 7 }], share: share(1, 0, 0) }]);
  assert.deepEqual(uris(info), [['grpc://node:1']]);
  assert.equal(info.totalRecords, BigInt(TOTAL_ROWS));
  assert.equal(info.totalBytes, BigInt(CHARGED));
  assert.equal(info.schema, node.schemaEncapsulated);
  assert.deepEqual(info.flightDescriptor, { type: DescriptorType.PATH, cmd: new Uint8Array(), path: ['d'] });
  assert.equal(info.ordered, true);
});

test('a partitioned layout gives an endpoint per partition with "g", "o" and runs relative to the partition', () => {
  const info = flightInfoFor(cluster, request(0, 1));
  assert.deepEqual(tickets(info), [
    { dataset: 'd@0', global: 'd', offset: 0, runs: [{ from: 0, to: 3 }], share: share(1, 0, 0) },
    { dataset: 'd@1', global: 'd', offset: 3, runs: [{ from: 0, to: 2 }], share: share(1, 0, 3) },
    { dataset: 'd@2', global: 'd', offset: 5, runs: [{ from: 0, to: 2 }], share: share(1, 0, 5) },
  ]);
  assert.deepEqual(uris(info), clusterPartitions.map((p) => p.locations));
  const second = flightInfoFor(cluster, request(1, 2));
  assert.deepEqual(tickets(second), [
    { dataset: 'd@1', global: 'd', offset: 3, runs: [{ from: 1, to: 2 }], share: share(2, 1, 0) },
    { dataset: 'd@2', global: 'd', offset: 5, runs: [{ from: 0, to: 2 }], share: share(2, 1, 1) },
  ]);
  assert.equal(second.totalRecords, BigInt(sum(BATCH_ROWS.slice(4))));
  assert.equal(second.totalBytes, BigInt(sum(Array.from(cluster.batchBytes).slice(4))));
});

test('under a shuffle, runs follow the epoch order and a new endpoint starts where the partition changes', () => {
  const shuffle = { seed: 7, epoch: 3 };
  const options = optionsTag({ shuffle, batchRows: 5 });
  assert.deepEqual(Array.from(epochOrder(7, shuffle)), [5, 6, 3, 4, 2, 0, 1]);
  assert.deepEqual(tickets(flightInfoFor(node, request(0, 1, { shuffle, batchRows: 5 }))), [
    {
      dataset: 'd',
      runs: [
        { from: 5, to: 7 },
        { from: 3, to: 5 },
        { from: 2, to: 3 },
        { from: 0, to: 2 },
      ],
      share: share(1, 0, 0, options),
      shuffle,
      batchRows: 5,
    },
  ]);
  const extra = { global: 'd', shuffle, batchRows: 5 };
  assert.deepEqual(tickets(flightInfoFor(cluster, request(0, 1, { shuffle, batchRows: 5 }))), [
    { dataset: 'd@2', offset: 5, runs: [{ from: 0, to: 2 }], share: share(1, 0, 0, options), ...extra },
    { dataset: 'd@1', offset: 3, runs: [{ from: 0, to: 2 }], share: share(1, 0, 2, options), ...extra },
    {
      dataset: 'd@0',
      offset: 0,
      runs: [
        { from: 2, to: 3 },
        { from: 0, to: 2 },
      ],
      share: share(1, 0, 4, options),
      ...extra,
    },
  ]);
});

test('a start_after part-way into a batch starts an endpoint there with the rows to skip', () => {
  const startAfter: Cursor = { dataset: 'd', world: 1, rank: 0, position: 2, batch: 2, done: 4, options: 0, batches: 7, rows: TOTAL_ROWS };
  const info = flightInfoFor(node, request(0, 1, { startAfter }));
  assert.deepEqual(tickets(info), [{ dataset: 'd', runs: [{ from: 2, to: 7 }], skip: 4, share: share(1, 0, 2) }]);
  assert.equal(info.totalRecords, BigInt(sum(BATCH_ROWS.slice(2)) - 4));
  assert.equal(info.totalBytes, BigInt(sum(Array.from(node.batchBytes).slice(2))));
});

test('a resumed share starts a new endpoint at each piece that starts part-way, even in the same partition', () => {
  const cursor = (rank: number, position: number, batch: number, done: number): Cursor => ({
    dataset: 'd',
    world: 2,
    rank,
    position,
    batch,
    done,
    options: 0,
    batches: 7,
    rows: TOTAL_ROWS,
  });
  const resume = { world: 2, cursors: [cursor(0, 1, 1, 3), cursor(1, 0, 4, 2)] };
  const info = flightInfoFor(node, request(0, 1, { resume }));
  // Cursors of a resumed epoch carry a tag of the resume, so they only continue that same resume.
  const options = optionsTag({ resume });
  assert.notEqual(options, 0);
  assert.deepEqual(tickets(info), [
    { dataset: 'd', runs: [{ from: 1, to: 4 }], skip: 3, share: { ...share(1, 0, 0), options } },
    { dataset: 'd', runs: [{ from: 4, to: 7 }], skip: 2, share: { ...share(1, 0, 3), options } },
  ]);
  assert.equal(info.totalRecords, BigInt(TOTAL_ROWS - BATCH_ROWS[0]! - 3 - 2));
});

test('path [RANK, WORLD] lists one location per endpoint, rotated across replicas by partition index and rank', () => {
  const single = { singleLocation: true };
  assert.deepEqual(uris(flightInfoFor(cluster, request(0, 1, single))), [[replicas[0]!], [replicas[2]!], [replicas[1]!]]);
  // Rank 1 of 2 reads partitions 1 and 2: locations[(1 + 1) % 3] and locations[(2 + 1) % 3].
  assert.deepEqual(uris(flightInfoFor(cluster, request(1, 2, single))), [[replicas[0]!], [replicas[2]!]]);
  const twoCopies = layoutOf(
    clusterPartitions.map((p) => ({ ...p, locations: p.locations.slice(0, 2) })),
    true,
  );
  assert.deepEqual(uris(flightInfoFor(twoCopies, request(0, 1, single))), [[replicas[0]!], [replicas[2]!], [replicas[2]!]]);
  assert.deepEqual(uris(flightInfoFor(twoCopies, request(0, 1))), clusterPartitions.map((p) => p.locations.slice(0, 2)));
});

test('a partition without a live replica is UNAVAILABLE naming it and where it was placed, for the ranks that read it', () => {
  const down = (placed?: string[]): DatasetLayout =>
    layoutOf(
      clusterPartitions.map((p) => (p.index === 1 ? { ...p, locations: [], ...(placed ? { placed } : {}) } : p)),
      true,
    );
  assert.throws(() => flightInfoFor(down(['grpc://b:1', 'grpc://c:1']), request(0, 1)), {
    code: Code.UNAVAILABLE,
    message: 'partition 1 of dataset "d" (batches 3-4) has no live replica (placed on grpc://b:1, grpc://c:1)',
  });
  assert.throws(() => flightInfoFor(down(), request(1, 2)), { code: Code.UNAVAILABLE, message: 'partition 1 of dataset "d" (batches 3-4) has no live replica' });
  assert.equal(tickets(flightInfoFor(down(), request(0, 3))).length, 1);
});

test('a projected read sends the column indices, reports the projected schema and the projected body bytes', () => {
  const columns = ['name'];
  const info = flightInfoFor(node, request(0, 1, { columns }));
  const plan = new ProjectionPlan(node.schemaHeader, [1]);
  assert.deepEqual(tickets(info), [{ dataset: 'd', runs: [{ from: 0, to: 7 }], share: share(1, 0, 0), columns: [1] }]);
  assert.deepEqual(info.schema, encapsulate(plan.schema));
  assert.deepEqual(requestSchema(node, request(0, 1, { columns })), encapsulate(plan.schema));
  assert.equal(requestSchema(node, request(0, 1)), node.schemaEncapsulated);
  assert.equal(info.totalRecords, BigInt(TOTAL_ROWS));
  const projected = sum(node.batchHeaders.map((header) => plan.bodyLength(header)));
  assert.equal(info.totalBytes, BigInt(projected));
  assert.ok(projected > 0 && projected < sum(Array.from(node.batchBytes)));
  assert.throws(() => flightInfoFor(node, request(0, 1, { columns: ['nope'] })), {
    code: Code.INVALID_ARGUMENT,
    message: 'unknown column "nope"; the dataset\'s columns are: "id", "name"',
  });
});

test('an empty share has no endpoints and zero totals, and the request descriptor is echoed', () => {
  const descriptor = { type: DescriptorType.CMD, cmd: Buffer.from('{"rank":7,"world_size":8}'), path: [] };
  const info = flightInfoFor(node, request(7, 8), descriptor);
  assert.deepEqual(info.endpoints, []);
  assert.equal(info.totalRecords, 0n);
  assert.equal(info.totalBytes, 0n);
  assert.equal(info.flightDescriptor, descriptor);
});

test('a shuffled read of a dataset whose dictionaries change between batches is refused at GetFlightInfo', () => {
  const changing = { ...node, dictionariesChange: true };
  assert.throws(() => flightInfoFor(changing, request(0, 1, { shuffle: { seed: 1, epoch: 0 } })), {
    code: Code.FAILED_PRECONDITION,
    message: 'dataset "d" replaces or extends its dictionaries between batches, so its batches cannot be read out of order (shuffle)',
  });
  assert.equal(flightInfoFor(changing, request(0, 1)).endpoints.length, 1);
});

/** The cluster layout with replica a on host A, b on B, c on C, and partition p placed on host [A, B, C][p] only. */
const hosted = layoutOf(
  clusterPartitions.map((p) => ({
    ...p,
    locationHosts: p.locations.map((uri) => uri.slice('grpc://'.length, -2).toUpperCase()),
    placedHosts: [['A', 'B', 'C'][p.index]!],
  })),
  true,
);

test('a reader that names its host gets each endpoint\'s replicas on that host first, the others in preference order', () => {
  assert.deepEqual(uris(flightInfoFor(hosted, request(0, 1, { host: 'C' }))), [
    [replicas[2]!, replicas[0]!, replicas[1]!],
    [replicas[2]!, replicas[1]!, replicas[0]!],
    [replicas[2]!, replicas[0]!, replicas[1]!],
  ]);
  assert.deepEqual(uris(flightInfoFor(hosted, request(0, 1, { host: 'elsewhere' }))), clusterPartitions.map((p) => p.locations));
  // The host changes where a rank reads, never what: the tickets are those of a request without it.
  assert.deepEqual(tickets(flightInfoFor(hosted, request(1, 3, { host: 'A' }))), tickets(flightInfoFor(hosted, request(1, 3))));
});

test('ranks that pass every rank\'s host read the partitions placed on their own host, each batch once, counts as in the plain split', () => {
  const hosts = ['C', 'A', 'B'];
  const batchesOf = (info: FlightInfo): number[] =>
    tickets(info).flatMap((t) => t.runs!.flatMap((run) => Array.from({ length: run.to - run.from }, (_, i) => t.offset! + run.from + i)));
  const shares = [0, 1, 2].map((rank) => batchesOf(flightInfoFor(hosted, request(rank, 3, { hosts }))));
  // Partitions [0,3) on A, [3,5) on B, [5,7) on C; plain counts 3, 2, 2: rank 1 (A) is full after
  // batches 0 and 1, so rank 0 (C) takes [5,7) and batch 2, the one left over.
  assert.deepEqual(shares, [[2, 5, 6], [0, 1], [3, 4]]);
});

test('with rank_records, app_metadata lists the rows of every rank\'s share, plain, shuffled, over hosts and resumed', () => {
  const cases: Array<[DatasetLayout, Partial<ShareRequest>]> = [
    [node, {}],
    [cluster, { shuffle: { seed: 5, epoch: 2 } }],
    [hosted, { hosts: ['C', 'A', 'B'] }],
    [cluster, { resume: { world: 2, cursors: [null, null] } }],
  ];
  for (const [layout, extra] of cases) {
    const each = [0, 1, 2].map((rank) => Number(flightInfoFor(layout, request(rank, 3, extra)).totalRecords));
    assert.equal(sum(each), TOTAL_ROWS);
    for (const rank of [0, 1, 2]) {
      const info = flightInfoFor(layout, request(rank, 3, { ...extra, rankRecords: true }));
      assert.deepEqual(JSON.parse(new TextDecoder().decode(info.appMetadata)), { rank_records: each });
    }
  }
  assert.equal(flightInfoFor(node, request(0, 3)).appMetadata.byteLength, 0);
});

test('a cursor of a share planned over some hosts resumes it, and is refused by a request over other hosts or without them', () => {
  const hosts = ['C', 'A', 'B'];
  const first = tickets(flightInfoFor(hosted, request(0, 3, { hosts })))[0]!;
  const cursor: Cursor = { dataset: 'd', world: 3, rank: 0, position: first.share!.position, options: first.share!.options, batches: 7, rows: TOTAL_ROWS, batch: 2, done: 1 };
  const resumed = tickets(flightInfoFor(hosted, request(0, 3, { hosts, startAfter: cursor })));
  assert.deepEqual(resumed.map((t) => [t.runs, t.skip]), [[[{ from: 2, to: 3 }], 1], [[{ from: 0, to: 2 }], undefined]]);
  const refused = { code: Code.INVALID_ARGUMENT, message: 'start_after cursor was issued for other shuffle, seed, epoch, batch_rows or resume options than this request\'s' };
  assert.throws(() => flightInfoFor(hosted, request(0, 3, { hosts: ['A', 'B', 'C'], startAfter: cursor })), refused);
  assert.throws(() => flightInfoFor(hosted, request(0, 3, { startAfter: cursor })), refused);
});

test('an epoch read with hosts resumes over a new world: what each old rank left is read once', () => {
  const hosts = ['C', 'A', 'B'];
  const firstTickets = [0, 1, 2].map((rank) => tickets(flightInfoFor(hosted, request(rank, 3, { hosts })))[0]!);
  // Old rank 0 read batch 2 (its first) whole; ranks 1 and 2 read nothing.
  const cursor: Cursor = { dataset: 'd', world: 3, rank: 0, position: 0, options: firstTickets[0]!.share!.options, batches: 7, rows: TOTAL_ROWS, batch: 2, done: BATCH_ROWS[2]! };
  const resume = { world: 3, cursors: [cursor, null, null], hosts };
  const left = [0, 1].flatMap((rank) =>
    tickets(flightInfoFor(hosted, request(rank, 2, { resume }))).flatMap((t) => t.runs!.flatMap((run) => Array.from({ length: run.to - run.from }, (_, i) => t.offset! + run.from + i))),
  );
  assert.deepEqual([...left].sort(), [0, 1, 3, 4, 5, 6]);
  assert.throws(() => flightInfoFor(hosted, request(0, 2, { resume: { world: 3, cursors: [cursor, null, null] } })), { code: Code.INVALID_ARGUMENT });
});
