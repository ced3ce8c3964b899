/**
 * The descriptor forms GetFlightInfo/GetSchema/PollFlightInfo accept, parsed into one request:
 * - path [name]: the whole dataset (rank 0 of world 1);
 * - path [name, RANK, WORLD]: that rank's share;
 * - path [RANK, WORLD] (two decimal integers, the Kubeflow DataCacheDataset form): the default
 *   dataset's share. Two integer elements are always rank and world, never a dataset named "0";
 * - CMD, UTF-8 JSON {"dataset"?, "rank"?, "world_size"?, "start_after"?, "resume"?, "columns"?,
 *   "shuffle"?, "seed"?, "epoch"?, "batch_rows"?, "transport"?, "host"?, "hosts"?, "rank_records"?,
 *   "sql"?, "filter"?} (see docs/cluster.md, docs/same-host.md; rank and world_size default to 0 and
 *   1). "sql" names the dataset in FROM and the columns in its select list; "filter" is a predicate
 *   over "dataset".
 */
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { DescriptorType, type FlightDescriptor } from '../../client/src/flight/protocol/messages.js';
import { decodeCursor, type Cursor } from './cursor.js';
import { mixSeed, type Shuffle } from './shares.js';
import { parseQueryText, type ParsedQuery } from '../engine/sql/plan.js';

/** An interrupted epoch: the last cursor each old rank received (null: it received none). */
export interface ResumeFrom {
  readonly world: number;
  readonly cursors: readonly (Cursor | null)[];
  /** The old ranks' hosts, when the interrupted epoch was read with "hosts". */
  readonly hosts?: readonly string[];
}

/** A request for one rank's share of a dataset. */
export interface ShareRequest {
  /** Undefined: the default dataset. */
  readonly dataset: string | undefined;
  readonly rank: number;
  readonly world: number;
  readonly startAfter?: Cursor;
  readonly resume?: ResumeFrom;
  /** Top-level column names to send, in this order; undefined: every column. */
  readonly columns?: readonly string[];
  /** Present when batches and rows are permuted by (seed, epoch). */
  readonly shuffle?: Shuffle;
  /** Rows per sent batch when re-chunking. */
  readonly batchRows?: number;
  /** Endpoints list one location each: the Kubeflow client reads every location it is given. */
  readonly singleLocation?: boolean;
  /**
   * The tickets are for the same-host service (`"transport": "same-host"`), whose readers decode each
   * batch with its own dictionaries: a shuffle of a dataset whose dictionaries change is allowed (DoGet refuses its tickets).
   */
  readonly sameHost?: boolean;
  /** Where this rank runs (host id): endpoints list the replicas on this host first. */
  readonly host?: string;
  /** Where every rank runs (host id per rank): the shares prefer partitions held on their rank's host. */
  readonly hosts?: readonly string[];
  /** The FlightInfo's app_metadata also lists the rows of every rank's share (one request plans a drop_last epoch). */
  readonly rankRecords?: boolean;
  /** The query ("sql" or "filter") whose selected rows the share reads. */
  readonly query?: ParsedQuery;
}

/**
 * The tag of the options that shape a share sequence; cursors carry it. A resumed epoch's sequence
 * depends on the cursors it resumed from, so they are part of its tag.
 */
export function optionsTag(request: Pick<ShareRequest, 'shuffle' | 'batchRows' | 'resume'> & { readonly locality?: number }): number {
  const { shuffle, batchRows, resume, locality } = request;
  if (!shuffle && !batchRows && !resume && locality === undefined) return 0;
  const resumed = resume
    ? [resume.world, ...resume.cursors.flatMap((c) => (c === null ? [0xffffffff] : [c.position, c.batch, c.done]))]
    : [];
  // Appended only when present, so the tags of requests without locality stay what they were.
  const local = locality === undefined ? [] : [0x6c6f6361, locality];
  return mixSeed(shuffle ? 1 : 0, shuffle?.seed ?? 0, shuffle?.epoch ?? 0, batchRows ?? 0, ...resumed, ...local);
}

const KNOWN = ['dataset', 'rank', 'world_size', 'start_after', 'resume', 'columns', 'shuffle', 'seed', 'epoch', 'batch_rows', 'transport', 'host', 'hosts', 'rank_records', 'sql', 'filter'];
const MAX_BATCH_ROWS = 1 << 24;
const MAX_HOST_LENGTH = 256;
/** "rank_records" plans every rank's share in one request: bounded so that one request stays cheap. */
export const MAX_RANK_RECORDS_WORLD = 1024;

const invalid = (message: string): FlightError => new FlightError(Code.INVALID_ARGUMENT, message);

/** Parses a decimal path element as an integer >= min, naming the element in errors. */
function pathInteger(value: string, what: string, min: number): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number) || number < min) {
    throw invalid(`${what} must be a decimal integer >= ${min}, got ${JSON.stringify(value)}`);
  }
  return number;
}

/** Throws unless 0 <= rank < world. */
function checkRank(rank: number, world: number): void {
  if (rank >= world) throw invalid(`rank ${rank} is out of range for world size ${world} (0 <= rank < world size)`);
}

/** Reads the dataset and share a descriptor asks for. */
export function parseFlightRequest(descriptor: FlightDescriptor | undefined): ShareRequest {
  if (!descriptor) throw invalid('missing flight descriptor: expected path [dataset name]');
  if (descriptor.type === DescriptorType.CMD) return parseCommand(descriptor.cmd);
  const path = descriptor.path;
  if (descriptor.type === DescriptorType.PATH && path.length === 2 && path.every((p) => /^\d+$/.test(p))) {
    const world = pathInteger(path[1]!, 'WORLD', 1);
    const rank = pathInteger(path[0]!, 'RANK', 0);
    checkRank(rank, world);
    return { dataset: undefined, rank, world, singleLocation: true };
  }
  if (descriptor.type === DescriptorType.PATH && (path.length === 1 || path.length === 3) && path[0] !== '') {
    if (path.length === 1) return { dataset: path[0]!, rank: 0, world: 1 };
    const world = pathInteger(path[2]!, 'WORLD', 1);
    const rank = pathInteger(path[1]!, 'RANK', 0);
    checkRank(rank, world);
    return { dataset: path[0]!, rank, world };
  }
  throw invalid(`expected a path descriptor [dataset name], [dataset name, RANK, WORLD] or [RANK, WORLD], got ${JSON.stringify(path)}`);
}

/** An integer field of the command JSON. */
function jsonInteger(value: unknown, what: string, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw invalid(`"${what}" must be an integer >= ${min}, got ${JSON.stringify(value) ?? 'nothing'}`);
  }
  return value;
}

/** Parses the JSON command form. */
function parseCommand(cmd: Uint8Array): ShareRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(cmd));
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalid('command descriptor must be a UTF-8 JSON object such as {"dataset":"name","rank":0,"world_size":2}');
  }
  const body = parsed as Record<string, unknown>;
  for (const key of Object.keys(body)) {
    if (!KNOWN.includes(key)) throw invalid(`unknown option "${key}"; known options: ${KNOWN.join(', ')}`);
  }
  if (body.dataset !== undefined && (typeof body.dataset !== 'string' || body.dataset === '')) {
    throw invalid('"dataset" must be a non-empty string');
  }
  const world = body.world_size === undefined ? 1 : jsonInteger(body.world_size, 'world_size', 1);
  const rank = body.rank === undefined ? 0 : jsonInteger(body.rank, 'rank', 0);
  checkRank(rank, world);
  const request: { -readonly [K in keyof ShareRequest]: ShareRequest[K] } = { dataset: body.dataset as string | undefined, rank, world };
  if (body.sql !== undefined || body.filter !== undefined) Object.assign(request, parseQueryOptions(body));
  if (body.start_after !== undefined) {
    if (typeof body.start_after !== 'string') throw invalid('"start_after" must be a cursor string');
    request.startAfter = decodeCursor(body.start_after);
  }
  if (body.resume !== undefined) request.resume = parseResume(body.resume);
  if (body.columns !== undefined) request.columns = parseColumns(body.columns);
  if (body.shuffle !== undefined && typeof body.shuffle !== 'boolean') throw invalid('"shuffle" must be true or false');
  const seed = body.seed === undefined ? 0 : jsonInteger(body.seed, 'seed', 0);
  const epoch = body.epoch === undefined ? 0 : jsonInteger(body.epoch, 'epoch', 0);
  if (body.shuffle === true) request.shuffle = { seed, epoch };
  else if (body.seed !== undefined || body.epoch !== undefined) invalidWithoutShuffle(body);
  if (body.batch_rows !== undefined) {
    const rows = jsonInteger(body.batch_rows, 'batch_rows', 1);
    if (rows > MAX_BATCH_ROWS) throw invalid(`"batch_rows" must be at most ${MAX_BATCH_ROWS}, got ${rows}`);
    request.batchRows = rows;
  }
  if (body.transport !== undefined && body.transport !== 'grpc' && body.transport !== 'same-host') {
    throw invalid('"transport" must be "grpc" or "same-host"');
  }
  if (body.transport === 'same-host') request.sameHost = true;
  if (body.host !== undefined) request.host = parseHost(body.host, 'host');
  if (body.hosts !== undefined) {
    request.hosts = parseHosts(body.hosts, 'hosts', world);
    if (request.host !== undefined && request.hosts[rank] !== request.host) {
      throw invalid(`"hosts"[${rank}] must be this rank's "host" ${JSON.stringify(request.host)}, got ${JSON.stringify(request.hosts[rank])}`);
    }
  }
  if (body.rank_records !== undefined) {
    if (typeof body.rank_records !== 'boolean') throw invalid('"rank_records" must be true or false');
    if (body.rank_records && request.startAfter) throw invalid('"rank_records" counts whole shares: send it without "start_after"');
    if (body.rank_records && world > MAX_RANK_RECORDS_WORLD) {
      throw invalid(`"rank_records" is limited to a world size of ${MAX_RANK_RECORDS_WORLD}, got ${world}`);
    }
    if (body.rank_records) request.rankRecords = true;
  }
  return request;
}

/** The "sql" or "filter" of a command: the query, and for "sql" the dataset and columns it names. */
function parseQueryOptions(body: Record<string, unknown>): Pick<ShareRequest, 'query' | 'dataset' | 'columns'> {
  if (body.sql !== undefined && body.filter !== undefined) throw invalid('give "sql" or "filter", not both');
  if (body.filter !== undefined) {
    if (typeof body.filter !== 'string') throw invalid('"filter" must be a SQL predicate string');
    return { query: parseQueryText({ filter: body.filter }), dataset: body.dataset as string | undefined };
  }
  if (typeof body.sql !== 'string') throw invalid('"sql" must be a SQL query string');
  if (body.columns !== undefined) throw invalid('"columns" and "sql" both choose columns: name them in the select list');
  const query = parseQueryText({ sql: body.sql });
  const repeated = query.columns?.find((c, i) => c.column !== undefined && query.columns!.findIndex((d) => d.column === c.column) !== i);
  if (repeated) throw invalid(`the select list names column ${JSON.stringify(repeated.column)} twice`);
  if (body.dataset !== undefined && body.dataset !== query.dataset) {
    throw invalid(`"dataset" ${JSON.stringify(body.dataset)} differs from the dataset the SQL reads, ${JSON.stringify(query.dataset)}`);
  }
  // Reads project onto the stored columns the select list reads; computed columns are added after the take.
  return { query, dataset: query.dataset, ...(query.inputs ? { columns: [...query.inputs] } : {}) };
}

/** A host id: a non-empty string of at most MAX_HOST_LENGTH characters. */
function parseHost(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '' || value.length > MAX_HOST_LENGTH) {
    throw invalid(`"${what}" must be a host id: a non-empty string of at most ${MAX_HOST_LENGTH} characters`);
  }
  return value;
}

/** One host id per rank of a world of `world` ranks. */
function parseHosts(value: unknown, what: string, world: number): string[] {
  if (!Array.isArray(value) || value.length !== world) throw invalid(`"${what}" must list the host id of each of the ${world} ranks`);
  return value.map((host, rank) => parseHost(host, `${what}[${rank}]`));
}

/** Seed and epoch only shape a shuffled read: refuse them alone rather than silently ignore them. */
function invalidWithoutShuffle(body: Record<string, unknown>): never {
  const key = body.seed !== undefined ? 'seed' : 'epoch';
  throw invalid(`"${key}" only applies with "shuffle": true`);
}

/** Parses {"world_size": W_old, "cursors": [cursor | null, ...W_old]}. */
function parseResume(value: unknown): ResumeFrom {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid('"resume" must be {"world_size": W, "cursors": [cursor or null for each of the W old ranks]}');
  }
  const resume = value as Record<string, unknown>;
  for (const key of Object.keys(resume)) {
    if (key !== 'world_size' && key !== 'cursors' && key !== 'hosts') throw invalid(`unknown option "resume.${key}"; known options: world_size, cursors, hosts`);
  }
  const world = jsonInteger(resume.world_size, 'resume.world_size', 1);
  const cursors = resume.cursors;
  if (!Array.isArray(cursors) || cursors.length !== world) {
    throw invalid(`"resume.cursors" must list one cursor (or null) per old rank: ${world} entries`);
  }
  return {
    world,
    cursors: cursors.map((cursor, rank) => {
      if (cursor === null) return null;
      if (typeof cursor !== 'string') throw invalid(`"resume.cursors[${rank}]" must be a cursor string or null`);
      return decodeCursor(cursor);
    }),
    ...(resume.hosts !== undefined ? { hosts: parseHosts(resume.hosts, 'resume.hosts', world) } : {}),
  };
}

/** Parses a non-empty list of distinct column names; whether they exist is checked against the dataset. */
function parseColumns(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every((name): name is string => typeof name === 'string')) {
    throw invalid('"columns" must be a non-empty list of column names');
  }
  const repeated = value.find((name, i) => value.indexOf(name) !== i);
  if (repeated !== undefined) throw invalid(`"columns" names column ${JSON.stringify(repeated)} twice`);
  return value;
}

/**
 * The dataset a request reads: the named one, else the default one (the configured default, or the
 * only dataset there is). `holder` names what holds them in errors ("this node", "the cluster").
 */
export function pickDataset<T extends { readonly name: string }>(
  name: string | undefined,
  configuredDefault: string | undefined,
  lookup: (name: string) => T | undefined,
  all: () => readonly T[],
  holder: string,
): T {
  const pick = name ?? configuredDefault;
  if (pick !== undefined) {
    const dataset = lookup(pick);
    if (!dataset) throw new FlightError(Code.NOT_FOUND, `unknown dataset "${pick}"`);
    return dataset;
  }
  const datasets = all();
  if (datasets.length === 1) return datasets[0]!;
  if (datasets.length === 0) throw new FlightError(Code.NOT_FOUND, `no dataset to read: path [RANK, WORLD] reads the default dataset and ${holder} holds none`);
  throw new FlightError(
    Code.FAILED_PRECONDITION,
    `path [RANK, WORLD] reads the default dataset, but ${holder} holds ${datasets.length} datasets (${datasets.map((d) => d.name).join(', ')}) ` +
      'and was started without --default-dataset: use [name, RANK, WORLD] or start it with --default-dataset NAME',
  );
}
