import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Float64, Int32, Table, vectorFromArray } from 'apache-arrow';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { encodeTable } from '../../client/src/flight/protocol/arrow-codec.js';
import { encapsulate } from '../../client/src/flight/protocol/ipc-message.js';
import { flightInfoFor } from '../node/read-plan.js';
import { adoptHoldings, toDescribe, type PartitionFacts } from './adoption.js';
import { Catalog, layoutOf, nextPartitionIndex, statusOf, storedNameOf, type CatalogDataset, type CatalogPartition } from './catalog.js';
import { placeReplicas } from './placement.js';

/** Schema and record batch messages of `count` batches of (id int32) with 3 to 6 rows each. */
function encoded(count: number, type: Int32 | Float64 = new Int32()): { schema: Uint8Array; headers: Uint8Array[]; rows: number[]; bytes: number[] } {
  const batches = Array.from({ length: count }, (_, b) => new Table({ id: vectorFromArray(Array.from({ length: 3 + (b % 4) }, (_, i) => b * 10 + i), type) }).batches[0]!);
  const [schema, ...messages] = [...encodeTable(batches)];
  return {
    schema: schema!.dataHeader,
    headers: messages.map((m) => m.dataHeader),
    rows: batches.map((b) => b.numRows),
    bytes: messages.map((m) => m.dataHeader.byteLength + m.bodyLength),
  };
}

/** A dataset put as `puts` (each a list of partition sizes in batches, put i with nonce `${nonce}${i}`), as the coordinator records it, and each partition's facts. */
function putDataset(name: string, puts: number[][], nonce = 'abc'): { expected: CatalogDataset; facts: Map<string, PartitionFacts> } {
  const total = puts.flat().reduce((a, b) => a + b, 0);
  const { schema, headers, rows, bytes } = encoded(total);
  const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);
  const partitions: CatalogPartition[] = [];
  const facts = new Map<string, PartitionFacts>();
  let from = 0;
  puts.forEach((sizes, put) => {
    const end = from + sum(sizes);
    for (const size of sizes) {
      const to = from + size;
      const storedName = storedNameOf(name, partitions.length, `${nonce}${put}`, { from, to, end });
      partitions.push({ index: partitions.length, storedName, from, to, rows: sum(rows.slice(from, to)), bytes: sum(bytes.slice(from, to)), placement: [], stored: new Set() });
      facts.set(storedName, {
        schemaHeader: schema,
        schemaEncapsulated: encapsulate(schema),
        batchRows: rows.slice(from, to),
        batchHeaders: headers.slice(from, to),
        batchBytes: bytes.slice(from, to),
        dictionariesChange: false,
      });
      from = to;
    }
  });
  const expected: CatalogDataset = {
    name,
    schemaHeader: schema,
    schemaEncapsulated: encapsulate(schema),
    batchRows: rows,
    batchHeaders: headers,
    batchBytes: bytes,
    rows: sum(rows),
    bytes: sum(bytes),
    dictionariesChange: false,
    partitions,
  };
  return { expected, facts };
}

/** What a dataset's readers and stats see, without placement and holders. */
function shapeOf(dataset: CatalogDataset | undefined): unknown {
  if (!dataset) return undefined;
  const { partitions, ...rest } = dataset;
  return { ...rest, partitions: partitions.map(({ index, storedName, from, to, rows, bytes }) => ({ index, storedName, from, to, rows, bytes })) };
}

/** Options of adoption with `replicas` copies and nothing dropped or being written, unless given. */
const guards = (replicas: number, given: { dropped?: string[]; droppedDatasets?: string[]; pendingPuts?: string[]; tombstones?: string[] } = {}) => ({
  replicas,
  dropped: new Set(given.dropped),
  droppedDatasets: new Set(given.droppedDatasets),
  pendingPuts: new Set(given.pendingPuts),
  tombstones: new Set(given.tombstones),
});
const R2 = guards(2);
const live = (id: string): string => `grpc://${id}:1`;

/** Member `member` reports holding the named partitions of `facts`, with their facts. */
function holdings(member: string, names: string[], facts: Map<string, PartitionFacts>): { member: string; names: string[]; facts: Map<string, PartitionFacts> } {
  return { member, names, facts: new Map(names.filter((n) => facts.has(n)).map((n) => [n, facts.get(n)!])) };
}

test('a dataset put once and appended twice, reported in reverse order, is adopted exactly as put with its appends in order', () => {
  const { expected, facts } = putDataset('ids', [[3, 2], [1], [2, 2, 1]]);
  const catalog = new Catalog();
  const report = adoptHoldings(catalog, holdings('a', [...facts.keys()].reverse(), facts), R2);
  assert.deepEqual(shapeOf(catalog.get('ids')), shapeOf(expected));
  assert.deepEqual(report, { claimed: 0, adopted: [...facts.keys()], ignored: [], incomplete: [], stale: [] });
  assert.ok(catalog.get('ids')!.partitions.every((p) => p.placement.length === 1 && p.placement[0] === 'a' && [...p.stored].join() === 'a'));
});

test('copies of a partition on two members become one partition placed on both in rendezvous order; a copy beyond R is not claimed', () => {
  const { expected, facts } = putDataset('ids', [[2, 2]]);
  const names = [...facts.keys()];
  const catalog = new Catalog();
  adoptHoldings(catalog, holdings('b', names, facts), R2);
  assert.deepEqual(statusOf(catalog.get('ids')!, live, 2, 2), { status: 'degraded', degraded: [0, 1], lost: [] });
  assert.deepEqual(toDescribe(catalog, names, R2), []);
  assert.deepEqual(adoptHoldings(catalog, { member: 'a', names, facts: new Map() }, R2), { claimed: 2, adopted: [], ignored: [], incomplete: [], stale: [] });
  assert.deepEqual(adoptHoldings(catalog, { member: 'c', names, facts: new Map() }, R2), { claimed: 0, adopted: [], ignored: [], incomplete: [], stale: [] });
  const dataset = catalog.get('ids')!;
  assert.deepEqual(shapeOf(dataset), shapeOf(expected));
  for (const p of dataset.partitions) {
    assert.deepEqual(p.placement, placeReplicas(`ids/${p.storedName}`, ['a', 'b'], 2));
    assert.deepEqual([...p.stored].sort(), ['a', 'b']);
  }
  assert.equal(statusOf(dataset, live, 2, 3).status, 'healthy');
});

test('batches no member has reported, inside a put or at its end, become missing partitions: the dataset is lost and reads of them are unavailable', () => {
  const { expected, facts } = putDataset('ids', [[2, 2, 2, 2]]);
  const [p0, p1, p2, p3] = [...facts.keys()] as [string, string, string, string];
  const catalog = new Catalog();
  const report = adoptHoldings(catalog, holdings('a', [p0, p2], facts), R2);
  assert.deepEqual(report.incomplete, ['ids']);
  const dataset = catalog.get('ids')!;
  assert.deepEqual(
    dataset.partitions.map((p) => [p.index, p.from, p.to, p.missing === true]),
    [[0, 0, 2, false], [1, 2, 4, true], [2, 4, 6, false], [3, 6, 8, true]],
  );
  assert.equal(dataset.batchRows.length, 8);
  assert.deepEqual(statusOf(dataset, live, 2, 2), { status: 'lost', degraded: [0, 2], lost: [1, 3] });
  const layout = layoutOf(dataset, live, live);
  const unavailable = (message: RegExp) => (err: unknown) => err instanceof FlightError && err.code === Code.UNAVAILABLE && message.test(err.message);
  assert.throws(() => flightInfoFor(layout, { dataset: 'ids', rank: 0, world: 1 }), unavailable(/^partition 1 of dataset "ids" \(batches 2-3\) has no live replica$/));
  assert.throws(() => flightInfoFor(layout, { dataset: 'ids', rank: 0, world: 1, columns: ['id'], shuffle: { seed: 7, epoch: 1 }, batchRows: 5 }), unavailable(/has no live replica/));
  // A rank whose share lies in reported partitions reads it.
  const first = flightInfoFor(layout, { dataset: 'ids', rank: 0, world: 4 });
  assert.deepEqual(first.endpoints.map((e) => e.locations.map((l) => l.uri)), [['grpc://a:1']]);
  assert.equal(first.totalRecords, BigInt(expected.batchRows[0]! + expected.batchRows[1]!));

  const kept = dataset.partitions[0];
  adoptHoldings(catalog, holdings('b', [p1, p3], facts), R2);
  assert.deepEqual(shapeOf(catalog.get('ids')), shapeOf(expected));
  assert.equal(catalog.get('ids'), dataset);
  assert.equal(catalog.get('ids')!.partitions[0], kept);
  assert.equal(statusOf(dataset, live, 1, 2).status, 'healthy');
});

test('a gap between two puts is found from the batch ranges the names record', () => {
  const { facts } = putDataset('ids', [[2], [3], [1]]);
  const [first, , last] = [...facts.keys()] as [string, string, string];
  const catalog = new Catalog();
  adoptHoldings(catalog, holdings('a', [last, first], facts), R2);
  assert.deepEqual(
    catalog.get('ids')!.partitions.map((p) => [p.index, p.from, p.to, p.missing === true]),
    [[0, 0, 2, false], [1, 2, 5, true], [2, 5, 6, false]],
  );
});

test('the next put after adoption numbers its partitions past the highest index, not the partition count', () => {
  const { facts } = putDataset('ids', [[1, 1, 1, 1]]);
  const names = [...facts.keys()];
  const catalog = new Catalog();
  // Partitions 1 and 2 stand in as one missing partition: three partitions, indices up to 3.
  adoptHoldings(catalog, holdings('a', [names[0]!, names[3]!], facts), R2);
  assert.deepEqual(catalog.get('ids')!.partitions.map((p) => p.index), [0, 1, 3]);
  assert.equal(nextPartitionIndex(catalog.get('ids')), 4);
  assert.equal(nextPartitionIndex(undefined), 0);
});

test('an append found on a member extends the dataset the catalog holds', () => {
  const { expected, facts } = putDataset('ids', [[2, 1], [2]]);
  const names = [...facts.keys()];
  const catalog = new Catalog();
  adoptHoldings(catalog, holdings('a', names.slice(0, 2), facts), R2);
  const dataset = catalog.get('ids')!;
  assert.equal(statusOf(dataset, live, 1, 1).status, 'healthy');
  adoptHoldings(catalog, holdings('b', names.slice(2), facts), R2);
  assert.deepEqual(shapeOf(catalog.get('ids')), shapeOf(expected));
  assert.deepEqual(catalog.get('ids')!.partitions[2]!.placement, ['b']);
});

test('no partition of a put this coordinator dropped is described or adopted, and those not named in the drop are reported stale', () => {
  const { facts } = putDataset('ids', [[1, 1], [1]]);
  const names = [...facts.keys()];
  const options = guards(1, { dropped: [names[0]!] });
  assert.deepEqual(toDescribe(new Catalog(), names, options), [names[2]]);
  const catalog = new Catalog();
  const report = adoptHoldings(catalog, holdings('a', names, facts), options);
  assert.deepEqual(report.adopted, [names[2]]);
  assert.deepEqual(report.stale, [names[1]]);
  assert.deepEqual(catalog.get('ids')!.partitions.map((p) => p.missing === true), [true, false]);
});

test('no partition of a tombstoned put (a drop learned from a shard) is described or adopted, all are reported stale; another generation of the name is adopted', () => {
  const dropped = [...putDataset('ids', [[1, 1]], 'abc').facts.keys()];
  const { expected, facts: later } = putDataset('ids', [[2]], 'def');
  const names = [...dropped, ...later.keys()];
  const options = guards(1, { tombstones: ['ids#abc0'] });
  assert.deepEqual(toDescribe(new Catalog(), names, options), [...later.keys()]);
  const catalog = new Catalog();
  const report = adoptHoldings(catalog, holdings('a', names, later), options);
  assert.deepEqual(report.adopted, [...later.keys()]);
  assert.deepEqual(report.stale, dropped);
  assert.deepEqual([catalog.get('ids')!.rows, catalog.get('ids')!.partitions.length], [expected.rows, 1]);
});

test('only partitions with a recorded batch range that the catalog lacks are described', () => {
  const { facts } = putDataset('ids', [[1, 1]]);
  const [known, unknown] = [...facts.keys()] as [string, string];
  const catalog = new Catalog();
  adoptHoldings(catalog, holdings('a', [known], facts), R2);
  assert.deepEqual(toDescribe(catalog, ['plain', 'ids#p0.abc9', known, unknown], R2), [unknown]);
});

test('a partition that overlaps another put, has another schema, holds other batches than its name says, or has an old name is not adopted, with why', () => {
  const { facts } = putDataset('ids', [[2, 2]]);
  const [p0, p1] = [...facts.keys()] as [string, string];
  const other = encoded(2, new Float64());
  const overlapping = storedNameOf('ids', 0, 'fff', { from: 1, to: 3, end: 4 });
  const otherSchema = storedNameOf('ids', 1, 'eee', { from: 2, to: 4, end: 4 });
  const short = storedNameOf('ids', 2, 'ddd', { from: 4, to: 7, end: 7 });
  const all = new Map(facts);
  all.set(overlapping, facts.get(p0)!);
  all.set(otherSchema, { ...facts.get(p1)!, schemaHeader: other.schema });
  all.set(short, facts.get(p1)!);
  const catalog = new Catalog();
  const report = adoptHoldings(catalog, holdings('a', ['plain', 'ids#p9.abc9', p0, overlapping, otherSchema, short], all), R2);
  assert.deepEqual(report.adopted, [p0]);
  assert.deepEqual(
    report.ignored.map((i) => i.storedName),
    ['ids#p9.abc9', overlapping, otherSchema, short],
  );
  assert.match(report.ignored[0]!.reason, /does not record its batch range/);
  assert.equal(report.ignored[1]!.reason, `its batches [1, 3) overlap those of partition ${p0} (another put of the same batches)`);
  assert.match(report.ignored[2]!.reason, /^its schema differs from the dataset's: /);
  assert.equal(report.ignored[3]!.reason, 'it holds 2 record batches but its name says batches [4, 7)');
});

test('partitions of a put this coordinator is still writing are neither described, adopted nor reported stale', () => {
  const { facts } = putDataset('ids', [[2], [1]]);
  const names = [...facts.keys()];
  const options = guards(2, { pendingPuts: ['ids#abc1'] });
  assert.deepEqual(toDescribe(new Catalog(), names, options), [names[0]]);
  const catalog = new Catalog();
  const report = adoptHoldings(catalog, holdings('a', names, facts), options);
  assert.deepEqual(report, { claimed: 0, adopted: [names[0]], ignored: [], incomplete: [], stale: [] });
  assert.deepEqual(catalog.get('ids')!.partitions.map((p) => [p.from, p.to]), [[0, 2]]);
});

test('a dataset put afresh by this coordinator takes in no partition of an earlier put, not even one beyond its batches', () => {
  const { expected: own } = putDataset('ids', [[5]], 'beef');
  const { facts: old } = putDataset('ids', [[5], [5]]);
  const [first, appended] = [...old.keys()] as [string, string];
  const catalog = new Catalog();
  catalog.set(own);
  const before = shapeOf(own);
  const report = adoptHoldings(catalog, holdings('a', [first, appended], old), R2);
  assert.deepEqual(report.adopted, []);
  assert.deepEqual(report.ignored, [
    { storedName: first, reason: 'its put (batches up to 5) is of an earlier generation of the dataset, which this coordinator has put afresh since it started: its batches overlap or follow those' },
    { storedName: appended, reason: 'its put (batches up to 10) is of an earlier generation of the dataset, which this coordinator has put afresh since it started: its batches overlap or follow those' },
  ]);
  assert.deepEqual(shapeOf(catalog.get('ids')), before);
});

test('a dataset adopted in part and then appended to takes in the missing partitions of its adopted generation, but no later put of that generation', () => {
  const { expected, facts } = putDataset('ids', [[2, 2], [2]]);
  const [p0, p1, p2] = [...facts.keys()] as [string, string, string];
  const catalog = new Catalog();
  adoptHoldings(catalog, holdings('a', [p0], facts), R2);
  const dataset = catalog.get('ids')!;
  // This coordinator's own append of batches [4, 6), recorded as a put records it.
  const appended = expected.partitions[2]!;
  dataset.partitions.push({ ...appended, placement: ['a'], stored: new Set(['a']) });
  dataset.batchRows.push(...expected.batchRows.slice(4));
  dataset.batchHeaders.push(...expected.batchHeaders.slice(4));
  dataset.batchBytes.push(...expected.batchBytes.slice(4));
  dataset.rows = expected.rows;
  dataset.bytes = expected.bytes;
  // An earlier put that had appended batches [4, 5) before the restart.
  const { facts: older } = putDataset('ids', [[4], [1]]);
  const olderAppend = [...older.keys()][1]!;
  assert.equal(olderAppend, storedNameOf('ids', 1, 'abc1', { from: 4, to: 5, end: 5 }));
  const report = adoptHoldings(catalog, holdings('b', [p1, olderAppend, p2], new Map([...facts, ...older])), R2);
  assert.deepEqual(report.adopted, [p1]);
  assert.deepEqual(report.ignored, [
    { storedName: olderAppend, reason: 'its put (batches up to 5) is of an earlier generation of the dataset, which this coordinator has appended to from batch 4 on since it started: its batches overlap or follow those' },
  ]);
  // b holds a copy of the append too.
  assert.equal(report.claimed, 1);
  assert.deepEqual(shapeOf(catalog.get('ids')), shapeOf(expected));
  assert.equal(statusOf(catalog.get('ids')!, live, 1, 2).status, 'healthy');
});

test('after a drop no partition of the dataset written before it is adopted, even of puts never reported; its new puts are claimed and those being written kept', () => {
  const { facts: old } = putDataset('ids', [[2, 2], [1]]);
  const [reported, , unreported] = [...old.keys()] as [string, string, string];
  const { expected: again, facts: fresh } = putDataset('ids', [[1]], 'beef');
  const renamed = again.partitions[0]!.storedName;
  const writing = storedNameOf('ids', 1, 'cafe', { from: 1, to: 2, end: 2 });
  const { facts: others } = putDataset('other', [[1]]);
  const catalog = new Catalog();
  catalog.set(again);
  // The drop recorded the reported partition and a stand-in for the rest; the other put was never seen.
  const options = guards(2, { dropped: [reported, 'ids#p1.missing.b2-4'], droppedDatasets: ['ids'], pendingPuts: ['ids#cafe'] });
  const names = [...old.keys(), 'ids#p7.abc9', renamed, writing, ...others.keys()];
  const all = new Map([...old, ...others, ...fresh, [writing, fresh.get(renamed)!]]);
  assert.deepEqual(toDescribe(catalog, names, options), [...others.keys()]);
  const report = adoptHoldings(catalog, holdings('a', names, all), options);
  assert.deepEqual(report, {
    claimed: 1,
    adopted: [...others.keys()],
    ignored: [],
    incomplete: [],
    stale: [[...old.keys()][1]!, unreported, 'ids#p7.abc9'],
  });
  assert.equal(catalog.get('ids'), again);
  assert.deepEqual(again.partitions.map((p) => [p.storedName, p.placement]), [[renamed, ['a']]]);
});
