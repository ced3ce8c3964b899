/** The body of a `load` action: {"name", "source", "format"?, "options"?: {"columns"?, "filter"?, "split"?, "schema"?, "tokenize"?}}. */
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { parseQueryText } from '../engine/sql/plan.js';
import { validateDatasetName } from '../storage/dataset-store.js';
import { FORMATS, type LoadFormat } from './source-files.js';
import { parseTokenizeOptions, type TokenizeOptions } from './tokenize-options.js';
import { S3_OPTION_KEYS, type S3Options } from './s3-credentials.js';

/** A validated load request. */
export interface LoadRequest {
  readonly name: string;
  /** A file, directory or glob on the machine that reads it. */
  readonly source: string;
  /** Undefined: each file's extension says. */
  readonly format?: LoadFormat;
  readonly columns?: readonly string[];
  /** A SQL predicate (the dialect of queries): only the rows where it is TRUE are stored. */
  readonly filter?: string;
  /** A Hugging Face split name (train, test, ...). */
  readonly split?: string;
  /** CSV and JSON Lines: column name -> type name (see text-schema.ts); other columns are inferred. */
  readonly schema?: Readonly<Record<string, string>>;
  /** Tokenize a text column into `input_ids` as the files load (tokenize-options.ts). */
  readonly tokenize?: TokenizeOptions;
  /** Iceberg: a snapshot id (as text: ids pass 2^53); undefined reads the current snapshot. */
  readonly snapshot?: string;
  /** Iceberg: identity partition column -> values to keep (as text). */
  readonly partitions?: Readonly<Record<string, readonly string[]>>;
  /** s3:// sources: settings that override the server's (profile, endpoint, region, keys). */
  readonly s3?: S3Options;
  /** Explicit file list (a coordinator's share of a source); each must lie under `source`. */
  readonly files?: readonly string[];
  /** Worker threads that decode Parquet and tokenize; undefined: one per core. */
  readonly threads?: number;
}

const USAGE = 'load needs a JSON body {"name": "...", "source": "path, directory or glob", "format"?: "parquet|ipc|csv|jsonl", "options"?: {"columns"?: [...], "filter"?: "SQL predicate", "split"?: "train", "schema"?: {"column": "type"}, "snapshot"?: "id", "partitions"?: {"column": ["value"]}, "s3"?: {"profile"?, "endpoint"?, "region"?, "accessKeyId"?, "secretAccessKey"?, "sessionToken"?}, "tokenize"?: {...}, "threads"?: N}}';

/** More worker threads than this is a typo, not a machine. */
const MAX_THREADS = 256;

const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every((v) => typeof v === 'string');

/** Parses and checks a load body; INVALID_ARGUMENT with what is wrong. */
export function parseLoadRequest(text: string): LoadRequest {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new FlightError(Code.INVALID_ARGUMENT, `${USAGE}; the body is not JSON`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new FlightError(Code.INVALID_ARGUMENT, USAGE);
  const { name, source, format, options = {}, files } = body as Record<string, unknown>;
  if (typeof name !== 'string' || typeof source !== 'string' || source === '') throw new FlightError(Code.INVALID_ARGUMENT, USAGE);
  validateDatasetName(name);
  if (format !== undefined && !FORMATS.includes(format as LoadFormat)) {
    throw new FlightError(Code.INVALID_ARGUMENT, `unknown format ${JSON.stringify(format)}; known formats: ${FORMATS.join(', ')}`);
  }
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw new FlightError(Code.INVALID_ARGUMENT, `${USAGE}; "options" is not an object`);
  const { columns, filter, split, schema, snapshot, partitions, s3, threads, tokenize: tokenizeOption } = options as Record<string, unknown>;
  if (columns !== undefined && (!isStringArray(columns) || columns.length === 0)) throw new FlightError(Code.INVALID_ARGUMENT, '"columns" must be a non-empty array of column names');
  if (filter !== undefined && (typeof filter !== 'string' || filter.trim() === '')) throw new FlightError(Code.INVALID_ARGUMENT, '"filter" must be a SQL predicate such as "score > 0.5"');
  // Bad SQL fails here, naming its position, before any file is read.
  if (typeof filter === 'string') parseQueryText({ filter });
  if (split !== undefined && (typeof split !== 'string' || split === '')) throw new FlightError(Code.INVALID_ARGUMENT, '"split" must be a split name such as "train"');
  if (schema !== undefined && (typeof schema !== 'object' || schema === null || Array.isArray(schema) || !Object.values(schema).every((t) => typeof t === 'string'))) {
    throw new FlightError(Code.INVALID_ARGUMENT, '"schema" must map column names to type names');
  }
  if (snapshot !== undefined && !(typeof snapshot === 'string' && /^-?\d+$/.test(snapshot)) && !Number.isSafeInteger(snapshot)) throw new FlightError(Code.INVALID_ARGUMENT, '"snapshot" must be a snapshot id');
  if (partitions !== undefined && (typeof partitions !== 'object' || partitions === null || Array.isArray(partitions) || Object.keys(partitions).length === 0 || !Object.values(partitions).every((v) => isStringArray(v) && v.length > 0))) {
    throw new FlightError(Code.INVALID_ARGUMENT, '"partitions" must map partition columns to non-empty arrays of values, e.g. {"region": ["eu"]}');
  }
  if (s3 !== undefined && (typeof s3 !== 'object' || s3 === null || Array.isArray(s3) || !Object.entries(s3).every(([k, v]) => (S3_OPTION_KEYS as string[]).includes(k) && typeof v === 'string' && v !== ''))) {
    throw new FlightError(Code.INVALID_ARGUMENT, `"s3" must be an object of non-empty strings among ${S3_OPTION_KEYS.join(', ')}`);
  }
  if (threads !== undefined && !(Number.isInteger(threads) && (threads as number) >= 1 && (threads as number) <= MAX_THREADS)) {
    throw new FlightError(Code.INVALID_ARGUMENT, `"threads" must be an integer from 1 to ${MAX_THREADS} (worker threads that decode Parquet and tokenize)`);
  }
  const tokenize = tokenizeOption === undefined ? undefined : parseTokenizeOptions(tokenizeOption);
  if (tokenize?.layout === 'pack' && isStringArray(columns) && columns.some((c) => c !== tokenize.column)) {
    throw new FlightError(Code.INVALID_ARGUMENT, `packed rows hold several documents: "columns" can name only the text column "${tokenize.column}" with "pack"`);
  }
  if (files !== undefined && (!isStringArray(files) || files.length === 0)) throw new FlightError(Code.INVALID_ARGUMENT, '"files" must be a non-empty array of paths');
  return {
    name,
    source,
    ...(format !== undefined ? { format: format as LoadFormat } : {}),
    ...(columns !== undefined ? { columns: columns as string[] } : {}),
    ...(filter !== undefined ? { filter: filter as string } : {}),
    ...(split !== undefined ? { split: split as string } : {}),
    ...(schema !== undefined ? { schema: schema as Record<string, string> } : {}),
    ...(tokenize !== undefined ? { tokenize } : {}),
    ...(snapshot !== undefined ? { snapshot: String(snapshot) } : {}),
    ...(partitions !== undefined ? { partitions: partitions as Record<string, string[]> } : {}),
    ...(s3 !== undefined ? { s3: s3 as S3Options } : {}),
    ...(files !== undefined ? { files: files as string[] } : {}),
    ...(threads !== undefined ? { threads: threads as number } : {}),
  };
}
