/**
 * From a share request to a FlightInfo, for a dataset laid out as partitions of contiguous record
 * batches held at some locations. A single node is the layout with one partition at its own
 * location; a cluster coordinator describes each partition's live replicas. One code path for both.
 */
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { DescriptorType, type FlightDescriptor, type FlightEndpoint, type FlightInfo } from '../../client/src/flight/protocol/messages.js';
import { encapsulate } from '../../client/src/flight/protocol/ipc-message.js';
import { ProjectionPlan, columnIndices } from '../engine/ipc-projection.js';
import { queryProjection, type QueryText } from '../engine/sql/plan.js';
import type { ShareRequest } from './flight-request.js';
import { planShare, type DatasetShape, type Holders, type PlannedPiece, type SharePlan } from './share-plan.js';
import { hashText } from './shares.js';
import { encodeTicket, type BatchRun } from './ticket.js';
import { shuffleRefused } from './share-stream.js';

/** A partition: global record batches [from, to), stored under `storedName` at `locations`. */
export interface Partition {
  readonly index: number;
  readonly from: number;
  readonly to: number;
  readonly storedName: string;
  /** Live locations in preference order; empty when none is live. */
  readonly locations: readonly string[];
  /** Every location it was placed on, named when none is live. */
  readonly placed?: readonly string[];
  /** The host id of each of `locations` ('' where unknown): endpoints list the reader's host first. */
  readonly locationHosts?: readonly string[];
  /** The host id of each member it is placed on ('' where unknown): shares with "hosts" prefer them. */
  readonly placedHosts?: readonly string[];
  /** A query with LIMIT over a cluster: the first selected rows of this partition the limit keeps. */
  readonly queryLimit?: number;
}

/** A dataset as a reader sees it: schema, per-batch shape, and partitions. */
export interface DatasetLayout extends DatasetShape {
  readonly name: string;
  /** The Schema message flatbuffer and its encapsulated form. */
  readonly schemaHeader: Uint8Array;
  readonly schemaEncapsulated: Uint8Array;
  /** Each record batch's Message flatbuffer (for projected sizes). */
  readonly batchHeaders: readonly Uint8Array[];
  /** Each record batch's stored bytes (flatbuffer and body). */
  readonly batchBytes: ArrayLike<number>;
  /** Bytes the whole dataset is charged for (reported when a read covers it all unprojected). */
  readonly bytes: number;
  readonly partitions: readonly Partition[];
  /** True when partitions are stored under their own names (cluster shards). */
  readonly partitioned: boolean;
  /** True when some stored batches are preceded by a dictionary replacement or delta: no shuffle. */
  readonly dictionariesChange: boolean;
}

/** The column indices and projection plan of a request naming columns; undefined when it names none. */
export function projectionOf(schemaHeader: Uint8Array, request: ShareRequest): { columns: number[]; plan: ProjectionPlan; schema: Uint8Array } | undefined {
  if (!request.columns) return undefined;
  const columns = columnIndices(schemaHeader, request.columns);
  const projection = queryProjection(schemaHeader, columns, request.query);
  return { columns, plan: projection.input, schema: projection.schema };
}

/** The schema a request's batches have, encapsulated. */
export function requestSchema(layout: DatasetLayout, request: ShareRequest): Uint8Array {
  const projection = projectionOf(layout.schemaHeader, request);
  return projection ? encapsulate(projection.schema) : layout.schemaEncapsulated;
}

/** The partition holding global batch `batch` (partitions are sorted and contiguous). */
function partitionOf(layout: DatasetLayout, batch: number): Partition {
  let lo = 0;
  let hi = layout.partitions.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (layout.partitions[mid]!.from <= batch) lo = mid;
    else hi = mid - 1;
  }
  return layout.partitions[lo]!;
}

/** Splits a plan's pieces into endpoint groups: a new group where the partition changes or a piece starts part-way. */
function groups(layout: DatasetLayout, pieces: readonly PlannedPiece[]): { partition: Partition; pieces: PlannedPiece[] }[] {
  const out: { partition: Partition; pieces: PlannedPiece[] }[] = [];
  for (const piece of pieces) {
    const partition = partitionOf(layout, piece.batch);
    const last = out[out.length - 1];
    if (last && last.partition === partition && piece.skip === 0) last.pieces.push(piece);
    else out.push({ partition, pieces: [piece] });
  }
  return out;
}

/** Runs of consecutive stored indices (relative to the partition) of a group's pieces. */
function runsOf(partition: Partition, pieces: readonly PlannedPiece[], relative: boolean): BatchRun[] {
  const runs: { from: number; to: number }[] = [];
  const base = relative ? partition.from : 0;
  for (const piece of pieces) {
    const index = piece.batch - base;
    const last = runs[runs.length - 1];
    if (last && last.to === index) last.to++;
    else runs.push({ from: index, to: index + 1 });
  }
  return runs;
}

/** Throws UNAVAILABLE naming a partition that has no live copy. */
function unavailable(layout: DatasetLayout, partition: Partition): FlightError {
  const placed = partition.placed && partition.placed.length > 0 ? ` (placed on ${partition.placed.join(', ')})` : '';
  return new FlightError(
    Code.UNAVAILABLE,
    `partition ${partition.index} of dataset "${layout.name}" (batches ${partition.from}-${partition.to - 1}) has no live replica${placed}`,
  );
}

/** Where the layout's batches are held, by the hosts of the members each partition is placed on. */
export function holdersOf(layout: DatasetLayout): Holders {
  const digest = hashText(layout.partitions.map((p) => `${p.from}-${p.to}:${(p.placedHosts ?? []).join(',')}`).join(';'));
  return { of: (batch) => partitionOf(layout, batch).placedHosts ?? [], digest };
}

/** A partition's live locations, those on `host` first (otherwise in preference order). */
function hostFirst(partition: Partition, host: string | undefined): readonly string[] {
  const hosts = partition.locationHosts;
  if (host === undefined || hosts === undefined) return partition.locations;
  const local = partition.locations.filter((_, i) => hosts[i] === host);
  return [...local, ...partition.locations.filter((_, i) => hosts[i] !== host)];
}

/** The endpoints of a plan; `host`: the reader's host, whose replicas are listed first. */
function endpoints(layout: DatasetLayout, plan: SharePlan, singleLocation: boolean, host: string | undefined, query: QueryText | undefined): FlightEndpoint[] {
  return groups(layout, plan.pieces).map(({ partition, pieces }) => {
    if (partition.locations.length === 0) throw unavailable(layout, partition);
    const first = pieces[0]!;
    const ticket = encodeTicket({
      dataset: partition.storedName,
      ...(layout.partitioned ? { global: layout.name, offset: partition.from } : {}),
      runs: runsOf(partition, pieces, layout.partitioned),
      ...(first.skip > 0 ? { skip: first.skip } : {}),
      share: { world: plan.world, rank: plan.rank, position: first.position, options: plan.options, ...plan.fingerprint },
      ...(plan.columns ? { columns: [...plan.columns] } : {}),
      ...(plan.shuffle ? { shuffle: plan.shuffle } : {}),
      ...(plan.batchRows !== undefined ? { batchRows: plan.batchRows } : {}),
      ...(query ? { query } : {}),
      ...(partition.queryLimit !== undefined ? { queryLimit: partition.queryLimit } : {}),
    });
    const locations = singleLocation
      ? [partition.locations[(partition.index + plan.rank) % partition.locations.length]!]
      : hostFirst(partition, host);
    return { ticket: { ticket }, locations: locations.map((uri) => ({ uri })), appMetadata: new Uint8Array() };
  });
}

/**
 * Rows and bytes of a planned share. A share of every batch, unprojected, reports the dataset's
 * stored bytes, so ListFlights totals match the stats action; otherwise the bytes its batches send.
 */
function totals(layout: DatasetLayout, plan: SharePlan, projection?: ProjectionPlan): { rows: number; bytes: number } {
  let rows = 0;
  let bytes = 0;
  for (const piece of plan.pieces) {
    rows += (layout.batchRows[piece.batch] ?? 0) - piece.skip;
    bytes += projection ? projection.bodyLength(layout.batchHeaders[piece.batch]!) : layout.batchBytes[piece.batch]!;
  }
  const whole = plan.pieces.length === layout.batches && !projection && plan.pieces.every((p) => p.skip === 0);
  return { rows, bytes: whole ? layout.bytes : bytes };
}

/** With "rank_records": app_metadata {"rank_records": [rows of each rank's share]}, which needs each share planned. */
function rankRecordsMetadata(layout: DatasetLayout, request: ShareRequest, holders: Holders): Uint8Array {
  if (!request.rankRecords) return new Uint8Array();
  const rows = Array.from({ length: request.world }, (_, rank) => totals(layout, planShare(layout.name, layout, { ...request, rank }, undefined, holders)).rows);
  return new TextEncoder().encode(JSON.stringify({ rank_records: rows }));
}

/** The FlightInfo of the share `request` asks for. */
export function flightInfoFor(layout: DatasetLayout, request: ShareRequest, descriptor?: FlightDescriptor): FlightInfo {
  if (request.shuffle && layout.dictionariesChange && !request.sameHost) throw shuffleRefused(layout.name);
  const projection = projectionOf(layout.schemaHeader, request);
  const holders = holdersOf(layout);
  const plan = planShare(layout.name, layout, request, projection?.columns, holders);
  const { rows, bytes } = totals(layout, plan, projection?.plan);
  return {
    schema: projection ? encapsulate(projection.schema) : layout.schemaEncapsulated,
    flightDescriptor: descriptor ?? { type: DescriptorType.PATH, cmd: new Uint8Array(), path: [layout.name] },
    endpoints: endpoints(layout, plan, request.singleLocation === true, request.host, request.query?.text),
    totalRecords: BigInt(rows),
    totalBytes: BigInt(bytes),
    ordered: true,
    appMetadata: rankRecordsMetadata(layout, request, holders),
  };
}
