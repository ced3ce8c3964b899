/**
 * The data files of a local Apache Iceberg table's current snapshot: the metadata JSON (from
 * version-hint.text, else the highest vN.metadata.json), its manifest list and manifests (Avro, read
 * with avsc), then every data file not deleted. Paths in the metadata are resolved against where the
 * table lives now (they may be relative or the writer's absolute paths under its table location).
 * Row-level deletes (delete files, deletion vectors) and non-Parquet data files are refused.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import avro from 'avsc';
import { Code, FlightError } from '../../client/src/flight/errors.js';

/** A data file of the snapshot, in manifest order. */
export interface IcebergDataFile {
  readonly path: string;
  readonly bytes: number;
  readonly rows: number;
}

interface TableMetadata {
  location?: string;
  'current-schema-id'?: number;
  schemas?: Array<{ 'schema-id': number; fields: Array<{ name: string }> }>;
  /** Format v1: the one schema. */
  schema?: { fields: Array<{ name: string }> };
  'current-snapshot-id'?: number | null;
  /** Format v1 snapshots may list their manifests instead of a manifest list. */
  snapshots?: Array<{ 'snapshot-id': number; 'manifest-list'?: string; manifests?: string[] }>;
}

/** True when `dir` is an Iceberg table: its metadata/ folder holds table metadata JSON. */
export function isIcebergTable(dir: string): boolean {
  const metadata = join(dir, 'metadata');
  return existsSync(metadata) && statSync(metadata).isDirectory() && readdirSync(metadata).some((name) => name.endsWith('.metadata.json'));
}

async function metadataFile(table: string): Promise<string> {
  const dir = join(table, 'metadata');
  const hint = join(dir, 'version-hint.text');
  if (existsSync(hint)) {
    const version = (await readFile(hint, 'utf8')).trim();
    for (const name of [`v${version}.metadata.json`, `v${version}.gz.metadata.json`]) if (existsSync(join(dir, name))) return join(dir, name);
  }
  // vN.metadata.json (Hadoop tables) or NNNNN-uuid.metadata.json (catalog tables): the highest N is current.
  const versions = (await readdir(dir))
    .map((name) => ({ name, version: /^(?:v(\d+)(?:\.gz)?|(\d+)-[0-9a-f-]+(?:\.gz)?)\.metadata\.json$/.exec(name)?.slice(1).find((v) => v !== undefined) }))
    .filter((v) => v.version !== undefined);
  if (versions.length === 0) throw new FlightError(Code.NOT_FOUND, `${table}: no Iceberg metadata (metadata/vN.metadata.json)`);
  return join(dir, versions.sort((a, b) => Number(b.version) - Number(a.version))[0]!.name);
}

/** Where a path written in the metadata lives now: under `table` when it lies under the written location. */
function resolver(table: string, location: string): (path: string) => string {
  const strip = (p: string): string => p.replace(/^file:(\/\/)?/, '');
  const root = strip(location).replace(/^\.\//, '').replace(/\/+$/, '');
  return (path) => {
    const plain = strip(path).replace(/^\.\//, '');
    if (plain.startsWith(`${root}/`)) return join(table, plain.slice(root.length + 1));
    const at = plain.indexOf('/metadata/') >= 0 ? plain.lastIndexOf('/metadata/') : plain.lastIndexOf('/data/');
    // A location the table was written at elsewhere: keep the part from its metadata/ or data/ folder on.
    return at >= 0 ? join(table, plain.slice(at + 1)) : join(table, plain);
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

async function avroRecords(path: string): Promise<Array<Record<string, unknown>>> {
  if (!existsSync(path)) throw new FlightError(Code.NOT_FOUND, `Iceberg file ${path} does not exist`);
  return new Promise((resolve, reject) => {
    const records: Array<Record<string, unknown>> = [];
    avro
      .createFileDecoder(path, { parseHook: (schema: avro.Schema) => avro.Type.forSchema(schema, { registry: { long: LONG } }) })
      .on('data', (record: Record<string, unknown>) => records.push(record))
      .on('end', () => resolve(records))
      .on('error', (err: Error) => reject(new FlightError(Code.INVALID_ARGUMENT, `${path}: not a readable Avro file: ${err.message}`)));
  });
}

/** The current schema's top-level column names. */
function columnsOf(metadata: TableMetadata): string[] {
  const schema = metadata.schemas?.find((s) => s['schema-id'] === metadata['current-schema-id']) ?? metadata.schema;
  return (schema?.fields ?? []).map((f) => f.name);
}

/** The current snapshot's data files, and the columns of the table's current schema. */
export async function icebergDataFiles(table: string): Promise<{ files: IcebergDataFile[]; columns: string[] }> {
  const path = await metadataFile(table);
  let metadata: TableMetadata;
  try {
    const bytes = await readFile(path);
    metadata = JSON.parse((path.endsWith('.gz.metadata.json') ? gunzipSync(bytes) : bytes).toString('utf8')) as TableMetadata;
  } catch (err) {
    throw new FlightError(Code.INVALID_ARGUMENT, `${path}: not Iceberg table metadata: ${(err as Error).message}`);
  }
  const current = metadata['current-snapshot-id'];
  if (current === undefined || current === null || current === -1) return { files: [], columns: columnsOf(metadata) };
  const snapshot = metadata.snapshots?.find((s) => String(s['snapshot-id']) === String(current));
  if (!snapshot) throw new FlightError(Code.INVALID_ARGUMENT, `${path}: current snapshot ${current} is not among its snapshots`);
  const resolve = resolver(table, metadata.location ?? '');
  const listed = snapshot['manifest-list'];
  const manifests = listed !== undefined ? await avroRecords(resolve(listed)) : (snapshot.manifests ?? []).map((path) => ({ manifest_path: path, content: 0 }));
  const files: IcebergDataFile[] = [];
  for (const manifest of manifests) {
    if (manifest.content === 1) throw new FlightError(Code.UNIMPLEMENTED, `${table}: the snapshot has row-level deletes (delete manifests), which load does not apply`);
    for (const entry of await avroRecords(resolve(String(manifest.manifest_path)))) {
      if (entry.status === 2) continue;
      const file = entry.data_file as Record<string, unknown>;
      if ((file.content ?? 0) !== 0) throw new FlightError(Code.UNIMPLEMENTED, `${table}: the snapshot has row-level deletes, which load does not apply`);
      if (String(file.file_format).toUpperCase() !== 'PARQUET') throw new FlightError(Code.UNIMPLEMENTED, `${table}: data file format ${String(file.file_format)} is not supported (Parquet is)`);
      const local = resolve(String(file.file_path));
      const bytes = await stat(local).then((s) => s.size, () => {
        throw new FlightError(Code.NOT_FOUND, `${table}: data file ${local} does not exist`);
      });
      files.push({ path: local, bytes, rows: Number(file.record_count) });
    }
  }
  return { files, columns: columnsOf(metadata) };
}
