/**
 * Plans the read of an Apache Iceberg table's snapshot (the current one or a given id), local or on
 * S3: its live data files in manifest order, each with what reading it needs (the table schema to
 * map its columns onto by field id, identity partition values, and the delete files that apply).
 *
 * Pruning: `partitions` ({column: [values]}) keeps the data files whose identity partition value of
 * each named column is one of the values. Manifests whose partition summaries (lower and upper
 * bounds) exclude every value are not read at all. Identity partitions hold one value per file, so
 * the pruned load equals a scan filtered on those columns. A load's `filter` predicate prunes too,
 * by every transform and by column bounds (iceberg-prune.ts): it skips only files it would empty.
 *
 * Deletes (format v2): a position delete applies to data files with a sequence number at most its
 * own; an equality delete to data files with a lower sequence number in the same partition (any
 * partition when its spec is unpartitioned). Deletion vectors (v3 Puffin files) are refused.
 */
import { stat } from 'node:fs/promises';
import { Field, Schema } from 'apache-arrow';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { schemaToFlatbuffer } from '../../client/src/flight/protocol/arrow-codec.js';
import { bindQuery, type ParsedQuery } from '../engine/sql/plan.js';
import { avroRecords, pathResolver, readTableMetadata, tableLocation, type PartitionField, type TableMetadata } from './iceberg-metadata.js';
import { boundValue, fileFacts, IcebergPruner, manifestFacts, type ColumnFacts } from './iceberg-prune.js';
import { arrowType, type IcebergField } from './iceberg-types.js';
import type { S3Options } from './s3-credentials.js';

/** A delete file that applies to a data file. */
export interface EqualityDelete {
  readonly path: string;
  /** The field ids whose values identify deleted rows. */
  readonly ids: readonly number[];
}

/** What reading one data file of the table needs. */
export interface IcebergTask {
  /** The schema the snapshot is read with (top-level fields). */
  readonly schema: readonly IcebergField[];
  /** The table's default name mapping (column name -> field id) for files written without field ids. */
  readonly nameMapping: ReadonlyMap<string, number>;
  /** Identity partition values of the file, by source field id. */
  readonly constants: ReadonlyMap<number, unknown>;
  /** The data file's path as the metadata writes it (position deletes name it so). */
  readonly writtenPath: string;
  readonly positionDeletes: readonly string[];
  readonly equalityDeletes: readonly EqualityDelete[];
  /** S3 settings given with the load, to read delete files on S3. */
  readonly s3?: S3Options;
}

/** A data file of the snapshot, in manifest order. */
export interface IcebergDataFile {
  readonly path: string;
  readonly bytes: number;
  readonly rows: number;
  readonly task: IcebergTask;
}

/** Which snapshot and partitions to read. */
export interface IcebergScanOptions {
  /** A snapshot id; undefined reads the current snapshot. */
  readonly snapshot?: string;
  /** Identity partition column -> the values to keep (as text: "eu", "2024", "true", "2024-01-31"). */
  readonly partitions?: Readonly<Record<string, readonly string[]>>;
  /** S3 settings given with the load. */
  readonly s3?: S3Options;
  /** A metadata file of the table's metadata/ folder to read instead of the current one. */
  readonly metadataFile?: string;
  /** The load's row filter: files and manifests it would empty are not read. */
  readonly filter?: ParsedQuery;
}

interface Spec {
  readonly fields: readonly PartitionField[];
}

interface ManifestFile {
  readonly path: string;
  readonly content: number;
  readonly sequence: number;
  readonly specId: number;
  readonly summaries: ReadonlyArray<{ contains_null?: boolean; lower_bound?: Buffer | null; upper_bound?: Buffer | null }> | undefined;
}

interface Entry {
  readonly content: number;
  readonly path: string;
  readonly written: string;
  readonly bytes: number;
  readonly rows: number;
  readonly sequence: number;
  readonly specId: number;
  readonly partition: Record<string, unknown>;
  readonly equalityIds: readonly number[];
  readonly referenced?: string;
  /** What the file's metadata says of its columns (data files of a filtered load). */
  readonly facts?: ColumnFacts;
}

const PRUNABLE = new Set(['string', 'int', 'long', 'boolean', 'date']);

/** An identity partition value as the text a `partitions` option names it with. */
export function partitionText(value: unknown, type: string): string {
  if (value === null || value === undefined) return 'null';
  if (type === 'date') return new Date(Number(value) * 86_400_000).toISOString().slice(0, 10);
  return String(value);
}

/** A wanted text value in the form boundValue gives. */
function wantedValue(text: string, type: string): bigint | string | undefined {
  if (type === 'string') return text;
  if (type === 'boolean') return text === 'true' ? 1n : text === 'false' ? 0n : undefined;
  if (type === 'date') return /^\d{4}-\d\d-\d\d$/.test(text) ? BigInt(Date.parse(`${text}T00:00:00Z`) / 86_400_000) : undefined;
  return /^-?\d+$/.test(text) ? BigInt(text) : undefined;
}

function schemaOf(metadata: TableMetadata, schemaId: number | undefined): IcebergField[] {
  const id = schemaId ?? metadata['current-schema-id'];
  return (metadata.schemas?.find((s) => s['schema-id'] === id) ?? metadata.schema)?.fields ?? [];
}

function specsOf(metadata: TableMetadata): Map<number, Spec> {
  const specs = new Map<number, Spec>((metadata['partition-specs'] ?? []).map((s) => [s['spec-id'], { fields: s.fields }]));
  if (specs.size === 0) specs.set(metadata['default-spec-id'] ?? 0, { fields: metadata['partition-spec'] ?? [] });
  return specs;
}

function nameMappingOf(metadata: TableMetadata): Map<string, number> {
  const text = metadata.properties?.['schema.name-mapping.default'];
  const mapping = new Map<string, number>();
  if (text === undefined) return mapping;
  for (const item of JSON.parse(text) as Array<{ 'field-id'?: number; names?: string[] }>) {
    if (item['field-id'] !== undefined) for (const name of item.names ?? []) mapping.set(name, item['field-id']);
  }
  return mapping;
}

/** Checks a partition filter against the schema and specs; returns column id -> wanted texts. */
function partitionFilter(table: string, schema: readonly IcebergField[], specs: ReadonlyMap<number, Spec>, partitions: IcebergScanOptions['partitions']): Map<number, { field: IcebergField; values: readonly string[] }> {
  const filter = new Map<number, { field: IcebergField; values: readonly string[] }>();
  for (const [column, values] of Object.entries(partitions ?? {})) {
    const field = schema.find((f) => f.name === column);
    if (!field) throw new FlightError(Code.INVALID_ARGUMENT, `Iceberg table ${table} has no column ${JSON.stringify(column)} to select partitions by`);
    const identity = [...specs.values()].some((s) => s.fields.some((p) => p.transform === 'identity' && p['source-id'] === field.id));
    if (!identity) throw new FlightError(Code.INVALID_ARGUMENT, `Iceberg table ${table}: column ${JSON.stringify(column)} is not an identity partition column, so no file can be pruned by it`);
    if (typeof field.type !== 'string' || !PRUNABLE.has(field.type)) {
      throw new FlightError(Code.INVALID_ARGUMENT, `Iceberg table ${table}: partition column ${JSON.stringify(column)} is ${JSON.stringify(field.type)}; partitions are selected on string, int, long, boolean and date columns`);
    }
    const bad = values.find((v) => wantedValue(v, field.type as string) === undefined);
    if (bad !== undefined) throw new FlightError(Code.INVALID_ARGUMENT, `Iceberg table ${table}: ${JSON.stringify(bad)} is not a ${String(field.type)} value of partition column ${JSON.stringify(column)}`);
    filter.set(field.id, { field, values });
  }
  return filter;
}

/** False when a manifest's partition summaries show none of its files can hold a wanted value. */
function manifestMayMatch(manifest: ManifestFile, spec: Spec | undefined, filter: ReadonlyMap<number, { field: IcebergField; values: readonly string[] }>): boolean {
  if (!spec || !manifest.summaries) return true;
  for (const [id, { field, values }] of filter) {
    const at = spec.fields.findIndex((p) => p.transform === 'identity' && p['source-id'] === id);
    const summary = manifest.summaries[at];
    if (at < 0 || !summary?.lower_bound || !summary.upper_bound) continue;
    const type = field.type as string;
    const [lower, upper] = [boundValue(summary.lower_bound, type), boundValue(summary.upper_bound, type)];
    if (lower === undefined || upper === undefined) continue;
    if (!values.some((v) => wantedValue(v, type)! >= lower && wantedValue(v, type)! <= upper)) return false;
  }
  return true;
}

/** The filter bound to the snapshot's schema as pruning reads it; undefined without a filter. */
function prunerOf(filter: ParsedQuery | undefined, schema: readonly IcebergField[]): IcebergPruner | undefined {
  if (!filter) return undefined;
  const header = schemaToFlatbuffer(new Schema(schema.map((f) => new Field(f.name, arrowType(f.type), !f.required))));
  const { predicate } = bindQuery(filter, header);
  return predicate && new IcebergPruner(predicate, schema);
}

/** JSON of a partition tuple (bigints and bytes included), to compare partitions. */
const partitionKey = (specId: number, partition: Record<string, unknown>): string =>
  `${specId}:${JSON.stringify(partition, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v))}`;

/** The table's snapshot as data files to read; see the module comment. */
export async function icebergDataFiles(table: string, options: IcebergScanOptions = {}): Promise<{ files: IcebergDataFile[]; columns: string[] }> {
  const location = tableLocation(table, options.s3);
  const { path, metadata } = await readTableMetadata(location, options.metadataFile);
  const wanted = options.snapshot ?? metadata['current-snapshot-id'];
  const snapshot = wanted === undefined || wanted === null || wanted === '-1' ? undefined : metadata.snapshots?.find((s) => s['snapshot-id'] === String(wanted));
  if (options.snapshot !== undefined && !snapshot) {
    throw new FlightError(Code.NOT_FOUND, `Iceberg table ${table} has no snapshot ${options.snapshot}; its snapshots: ${(metadata.snapshots ?? []).map((s) => s['snapshot-id']).join(', ') || 'none'}`);
  }
  const schema = schemaOf(metadata, options.snapshot !== undefined ? snapshot?.['schema-id'] : undefined);
  const columns = schema.map((f) => f.name);
  const specs = specsOf(metadata);
  const filter = partitionFilter(table, schema, specs, options.partitions);
  const pruner = prunerOf(options.filter, schema);
  if (!snapshot) {
    if (wanted !== undefined && wanted !== null && wanted !== '-1') throw new FlightError(Code.INVALID_ARGUMENT, `${path}: current snapshot ${wanted} is not among its snapshots`);
    return { files: [], columns };
  }
  const resolve = pathResolver(location.root, metadata.location ?? '');
  const listed = snapshot['manifest-list'];
  const manifests: ManifestFile[] = (listed !== undefined ? await avroRecords(location, resolve(listed)) : (snapshot.manifests ?? []).map((p): Record<string, unknown> => ({ manifest_path: p }))).map((m) => ({
    path: resolve(String(m.manifest_path)),
    content: Number(m.content ?? 0),
    sequence: Number(m.sequence_number ?? 0),
    specId: Number(m.partition_spec_id ?? 0),
    summaries: m.partitions as ManifestFile['summaries'],
  }));
  const entries: Entry[] = [];
  for (const manifest of manifests) {
    if (manifest.content === 0 && !manifestMayMatch(manifest, specs.get(manifest.specId), filter)) continue;
    if (manifest.content === 0 && pruner && manifest.summaries && !pruner.mayMatch(manifestFacts(manifest.summaries, specs.get(manifest.specId)?.fields ?? [], schema))) continue;
    for (const entry of await avroRecords(location, manifest.path)) {
      if (entry.status === 2) continue;
      const file = entry.data_file as Record<string, unknown>;
      const content = Number(file.content ?? 0);
      const format = String(file.file_format).toUpperCase();
      if (format === 'PUFFIN') throw new FlightError(Code.UNIMPLEMENTED, `${table}: the snapshot has deletion vectors (Puffin files), which load does not apply`);
      if (format !== 'PARQUET') throw new FlightError(Code.UNIMPLEMENTED, `${table}: ${content === 0 ? 'data' : 'delete'} file format ${format} is not supported (Parquet is)`);
      const written = String(file.file_path);
      entries.push({
        content,
        path: resolve(written),
        written,
        bytes: Number(file.file_size_in_bytes),
        rows: Number(file.record_count),
        sequence: Number(entry.sequence_number ?? manifest.sequence),
        specId: Number(file.spec_id ?? manifest.specId),
        partition: (file.partition ?? {}) as Record<string, unknown>,
        equalityIds: ((file.equality_ids ?? []) as number[]).map(Number),
        ...(typeof file.referenced_data_file === 'string' ? { referenced: file.referenced_data_file } : {}),
        ...(pruner && content === 0 ? { facts: fileFacts(file, specs.get(Number(file.spec_id ?? manifest.specId))?.fields ?? [], schema) } : {}),
      });
    }
  }
  const positionDeletes = entries.filter((e) => e.content === 1);
  const equalityDeletes = entries.filter((e) => e.content === 2);
  const nameMapping = nameMappingOf(metadata);
  const files: IcebergDataFile[] = [];
  const live = entries.filter((e) => e.content === 0);
  const kept = pruner ? live.filter((e) => pruner.mayMatch(e.facts!)) : live;
  // A filter that no file can pass still loads one file (to no rows): the dataset keeps its schema.
  for (const data of kept.length === 0 && live.length > 0 ? live.slice(0, 1) : kept) {
    const spec = specs.get(data.specId);
    const constants = new Map<number, unknown>();
    for (const p of spec?.fields ?? []) if (p.transform === 'identity' && p.name in data.partition) constants.set(p['source-id'], data.partition[p.name]);
    const selected = [...filter].every(([id, { field, values }]) => constants.has(id) && values.includes(partitionText(constants.get(id), field.type as string)));
    if (!selected) continue;
    const key = partitionKey(data.specId, data.partition);
    const task: IcebergTask = {
      schema,
      nameMapping,
      constants,
      writtenPath: data.written,
      positionDeletes: positionDeletes.filter((d) => d.sequence >= data.sequence && (d.referenced === undefined || d.referenced === data.written)).map((d) => d.path),
      equalityDeletes: equalityDeletes
        .filter((d) => d.sequence > data.sequence && ((specs.get(d.specId)?.fields.length ?? 0) === 0 || partitionKey(d.specId, d.partition) === key))
        .map((d) => ({ path: d.path, ids: d.equalityIds })),
      ...(options.s3 ? { s3: options.s3 } : {}),
    };
    let bytes = data.bytes;
    if (!data.path.startsWith('s3://')) {
      bytes = await stat(data.path).then((s) => s.size, () => {
        throw new FlightError(Code.NOT_FOUND, `${table}: data file ${data.path} does not exist`);
      });
    }
    files.push({ path: data.path, bytes, rows: data.rows, task });
  }
  return { files, columns };
}
