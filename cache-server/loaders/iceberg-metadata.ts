/**
 * Reading an Apache Iceberg table's metadata where it lives, on a local disk or under an
 * `s3://bucket/prefix`: the table metadata JSON (from version-hint.text, else the highest version),
 * its Avro manifest lists and manifests (avsc), and where a path written in the metadata lives now
 * (locations may be relative, or the writer's absolute paths under another table location).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile, readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import avro from 'avsc';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { downloadToTemp, listObjects, parseS3Url } from './s3-objects.js';
import { s3Config, type S3Options } from './s3-credentials.js';
import type { IcebergField } from './iceberg-types.js';

/** The parts of table metadata (format v1 or v2) a load reads. */
export interface TableMetadata {
  'format-version'?: number;
  location?: string;
  'current-schema-id'?: number;
  schemas?: Array<{ 'schema-id': number; fields: IcebergField[] }>;
  /** Format v1: the one schema. */
  schema?: { fields: IcebergField[] };
  'default-spec-id'?: number;
  'partition-specs'?: Array<{ 'spec-id': number; fields: PartitionField[] }>;
  /** Format v1: the one partition spec. */
  'partition-spec'?: PartitionField[];
  properties?: Record<string, string>;
  'last-updated-ms'?: number;
  /** Snapshot ids are kept as strings: they pass 2^53. */
  'current-snapshot-id'?: string | null;
  /** Format v1 snapshots may list their manifests instead of a manifest list. */
  snapshots?: Array<{ 'snapshot-id': string; 'schema-id'?: number; 'manifest-list'?: string; manifests?: string[] }>;
}

/** A partition field of a spec. */
export interface PartitionField {
  readonly name: string;
  readonly transform: string;
  readonly 'source-id': number;
  readonly 'field-id'?: number;
}

/** Where a table's files are read from: a local directory or an S3 prefix. */
export interface TableLocation {
  /** The table's root: an absolute directory or `s3://bucket/prefix`. */
  readonly root: string;
  /** The names of the files in the table's metadata/ folder. */
  metadataNames(): Promise<string[]>;
  /** The bytes of a file of the table (a path as `resolve` gives). */
  read(path: string): Promise<Buffer>;
}

/** True when `dir` is a local Iceberg table: its metadata/ folder holds table metadata JSON. */
export function isIcebergTable(dir: string): boolean {
  const metadata = join(dir, 'metadata');
  return existsSync(metadata) && statSync(metadata).isDirectory() && readdirSync(metadata).some((name) => name.endsWith('.metadata.json'));
}

/** The table at `root` (a local directory, or an s3:// URL reached with `s3`). */
export function tableLocation(root: string, s3?: S3Options): TableLocation {
  if (!root.startsWith('s3://')) {
    return {
      root,
      metadataNames: () => readdir(join(root, 'metadata')).catch(() => {
        throw new FlightError(Code.NOT_FOUND, `${root}: no Iceberg metadata folder (metadata/)`);
      }),
      read: (path) => readFile(path).catch(() => {
        throw new FlightError(Code.NOT_FOUND, `Iceberg file ${path} does not exist`);
      }),
    };
  }
  const base = root.replace(/\/+$/, '');
  const { bucket, key } = parseS3Url(`${base}/metadata/`);
  return {
    root: base,
    metadataNames: async () => (await listObjects(s3Config(s3), bucket, key)).map((o) => o.key.slice(key.length)).filter((name) => name !== '' && !name.includes('/')),
    read: async (path) => {
      const local = await downloadToTemp(path, s3);
      try {
        return await readFile(local);
      } finally {
        await rm(dirname(local), { recursive: true, force: true });
      }
    },
  };
}

const VERSIONED = /^(?:v(\d+)(?:\.gz)?|(\d+)-[0-9a-f-]+(?:\.gz)?)\.metadata\.json$/;

function parseMetadata(path: string, bytes: Buffer): TableMetadata {
  try {
    const text = (path.endsWith('.gz.metadata.json') ? gunzipSync(bytes) : bytes).toString('utf8');
    return JSON.parse(text.replace(/("(?:current-|parent-)?snapshot-id"\s*:\s*)(-?\d+)/g, '$1"$2"')) as TableMetadata;
  } catch (err) {
    throw new FlightError(Code.INVALID_ARGUMENT, `${path}: not Iceberg table metadata: ${(err as Error).message}`);
  }
}

/**
 * The table's metadata (snapshot ids become strings before parsing so none loses digits): the
 * file named `given` in its metadata/ folder, else the current one: the version hint's, else the highest vN / NNNNN-uuid; when files of other names (vfinal) lie
 * beside them, the one updated last.
 */
export async function readTableMetadata(table: TableLocation, given?: string): Promise<{ path: string; metadata: TableMetadata }> {
  const read = async (name: string): Promise<{ path: string; metadata: TableMetadata }> => {
    const path = `${table.root}/metadata/${name}`;
    return { path, metadata: parseMetadata(path, await table.read(path)) };
  };
  if (given !== undefined) return read(given);
  const names = await table.metadataNames();
  if (names.includes('version-hint.text')) {
    const version = (await table.read(`${table.root}/metadata/version-hint.text`)).toString('utf8').trim();
    const hinted = [`v${version}.metadata.json`, `v${version}.gz.metadata.json`].find((n) => names.includes(n));
    if (hinted) return read(hinted);
  }
  const versions = names
    .map((name) => ({ name, version: VERSIONED.exec(name)?.slice(1).find((v) => v !== undefined) }))
    .filter((v) => v.version !== undefined)
    .sort((a, b) => Number(b.version) - Number(a.version));
  const others = names.filter((name) => name.endsWith('.metadata.json') && !VERSIONED.test(name));
  const candidates = [...versions.slice(0, 1).map((v) => v.name), ...others];
  if (candidates.length === 0) throw new FlightError(Code.NOT_FOUND, `${table.root}: no Iceberg metadata (metadata/vN.metadata.json)`);
  const all = await Promise.all(candidates.map(read));
  return all.reduce((a, b) => (Number(b.metadata['last-updated-ms'] ?? 0) > Number(a.metadata['last-updated-ms'] ?? 0) ? b : a));
}

/** Where a path written in the metadata lives now: under the table's root when it lies under the written location. */
export function pathResolver(root: string, location: string): (path: string) => string {
  const strip = (p: string): string => p.replace(/^s3[an]:\/\//, 's3://').replace(/^file:(\/\/)?/, '').replace(/^\.\//, '');
  const written = strip(location).replace(/\/+$/, '');
  return (path) => {
    const plain = strip(path);
    if (plain.startsWith(`${written}/`)) return `${root}/${plain.slice(written.length + 1)}`;
    const at = plain.indexOf('/metadata/') >= 0 ? plain.lastIndexOf('/metadata/') : plain.lastIndexOf('/data/');
    // A location the table was written at elsewhere: keep the part from its metadata/ or data/ folder on.
    return at >= 0 ? `${root}/${plain.slice(at + 1)}` : `${root}/${plain}`;
  };
}

/** Avro longs as bigint when past 2^53 (snapshot ids are), else as numbers. */
const LONG = avro.types.LongType.__with({
  fromBuffer: (buffer: Buffer) => {
    const value = buffer.readBigInt64LE();
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  },
  toBuffer: (value: number | bigint) => {
    const buffer = Buffer.alloc(8);
    buffer.writeBigInt64LE(BigInt(value));
    return buffer;
  },
  fromJSON: (value: number) => value,
  toJSON: (value: number | bigint) => Number(value),
  isValid: (value: unknown) => typeof value === 'number' || typeof value === 'bigint',
  compare: (a: number | bigint, b: number | bigint) => (a < b ? -1 : a > b ? 1 : 0),
});

/** The records of an Avro object container file (a manifest list or manifest). */
export async function avroRecords(table: TableLocation, path: string): Promise<Array<Record<string, unknown>>> {
  const bytes = await table.read(path);
  return new Promise((resolve, reject) => {
    const records: Array<Record<string, unknown>> = [];
    const decoder = new avro.streams.BlockDecoder({ parseHook: (schema: avro.Schema) => avro.Type.forSchema(schema, { registry: { long: LONG } }) });
    decoder
      .on('data', (record: Record<string, unknown>) => records.push(record))
      .on('end', () => resolve(records))
      .on('error', (err: Error) => reject(new FlightError(Code.INVALID_ARGUMENT, `${path}: not a readable Avro file: ${err.message}`)));
    Readable.from([bytes]).on('error', reject).pipe(decoder);
  });
}
