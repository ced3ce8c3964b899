/**
 * Turns a load SOURCE into the files to read: one file, a directory (walked recursively), or a glob
 * (`*`, `**`, `?`), on local disks or under an `s3://bucket/prefix`. Directory levels named `key=value` (hive partitioning) become column values of
 * the files below them; a Hugging Face split (`train`, `test`, ...) keeps the files of that split.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join, relative, resolve, sep } from 'node:path';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { listObjects, parseS3Url } from './s3-objects.js';
import { s3Config, type S3Options } from './s3-credentials.js';
import { icebergDataFiles, type IcebergScanOptions, type IcebergTask } from './iceberg-table.js';
import { isIcebergTable } from './iceberg-metadata.js';

/** The formats a load reads: file formats, and Iceberg tables (of Parquet files). */
export const FORMATS = ['parquet', 'ipc', 'csv', 'jsonl', 'iceberg'] as const;
export type LoadFormat = (typeof FORMATS)[number];
/** The format of one file. */
export type FileFormat = Exclude<LoadFormat, 'iceberg'>;

/** One file of a source. */
export interface SourceFile {
  readonly path: string;
  readonly format: FileFormat;
  readonly bytes: number;
  /** Hive partition values from the directories between the source's root and the file, outermost first. */
  readonly partition: ReadonlyArray<readonly [string, string]>;
  /** A data file of an Iceberg table: how to read it as the table's schema, deletes applied. */
  readonly iceberg?: IcebergTask;
}

const EXTENSIONS: Record<string, FileFormat> = {
  '.parquet': 'parquet',
  '.pq': 'parquet',
  '.arrow': 'ipc',
  '.arrows': 'ipc',
  '.ipc': 'ipc',
  '.feather': 'ipc',
  '.csv': 'csv',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.json': 'jsonl',
};

/** The format a file name says, or undefined. */
export function formatOfName(path: string): FileFormat | undefined {
  return EXTENSIONS[extname(path).toLowerCase()];
}

/** Files pyarrow's datasets skip too: hidden and underscore-prefixed names (_SUCCESS, .crc files). */
const ignored = (name: string): boolean => name.startsWith('.') || name.startsWith('_');

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const out: string[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (ignored(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/** A glob as a regular expression over '/'-separated relative paths. */
export function globPattern(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      // `**/` matches zero or more directories.
      if (glob[i + 2] === '/') {
        out += '(?:.*/)?';
        i += 2;
      } else {
        out += '.*';
        i += 1;
      }
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

const isGlob = (path: string): boolean => /[*?]/.test(path);

/** The hive `key=value` levels of a file's directories below root. */
export function hivePartition(root: string, path: string): Array<[string, string]> {
  const levels = relative(root, path).split(sep).slice(0, -1);
  const out: Array<[string, string]> = [];
  for (const level of levels) {
    const eq = level.indexOf('=');
    if (eq > 0) out.push([level.slice(0, eq), decodeURIComponent(level.slice(eq + 1))]);
  }
  return out;
}

/** True when a file belongs to a Hugging Face split: a directory of that name, or a file named `split-...`/`split.ext`. */
export function inSplit(root: string, path: string, split: string): boolean {
  const parts = relative(root, path).split(sep);
  const name = basename(path);
  return parts.slice(0, -1).includes(split) || name.startsWith(`${split}-`) || name.startsWith(`${split}.`) || name.startsWith(`${split}_`);
}

/** Options that pick files. */
export interface ListOptions extends IcebergScanOptions {
  /** The format to read; undefined takes each file's extension. */
  format?: LoadFormat;
  /** A Hugging Face split name. */
  split?: string;
  /** S3 settings given with the load. */
  s3?: S3Options;
}

/** The objects of an `s3://bucket/key` source: the object itself, every object under key/, or those matching a glob. */
async function s3Entries(source: string, options: S3Options | undefined): Promise<{ root: string; entries: Array<{ path: string; bytes: number }> }> {
  const { bucket, key } = parseS3Url(source);
  const config = s3Config(options);
  const parts = key.split('/');
  const firstWild = parts.findIndex(isGlob);
  const rootKey = firstWild >= 0 ? parts.slice(0, firstWild).join('/') : key.replace(/\/+$/, '');
  const pattern = firstWild >= 0 ? globPattern(parts.slice(firstWild).join('/')) : undefined;
  const objects = await listObjects(config, bucket, rootKey);
  const exact = pattern ? undefined : objects.find((o) => o.key === rootKey);
  const root = `s3://${bucket}/${exact ? rootKey.split('/').slice(0, -1).join('/') : rootKey}`.replace(/\/+$/, '');
  const dir = rootKey === '' ? '' : `${rootKey}/`;
  const chosen = exact
    ? [exact]
    : objects.filter((o) => {
        if (!o.key.startsWith(dir) || o.key.endsWith('/')) return false;
        const relativeKey = o.key.slice(dir.length);
        return !relativeKey.split('/').some(ignored) && (!pattern || pattern.test(relativeKey));
      });
  if (chosen.length === 0 && objects.length === 0) throw new FlightError(Code.NOT_FOUND, `source ${JSON.stringify(source)} does not exist`);
  return { root, entries: chosen.map((o) => ({ path: `s3://${bucket}/${o.key}`, bytes: o.bytes })) };
}

/** True when an S3 prefix holds an Iceberg table: table metadata JSON right under its metadata/. */
function isIcebergPrefix({ root, entries }: { root: string; entries: ReadonlyArray<{ path: string }> }): boolean {
  return entries.some((e) => e.path.startsWith(`${root}/metadata/`) && e.path.endsWith('.metadata.json') && !e.path.slice(root.length + 10).includes('/'));
}

/** The files of a local source with their sizes, and the directory partition levels count from. */
async function localEntries(source: string): Promise<{ root: string; entries: Array<{ path: string; bytes: number }> }> {
  let root: string;
  let paths: string[];
  if (isGlob(source)) {
    const absolute = resolve(source);
    const parts = absolute.split('/');
    const firstWild = parts.findIndex(isGlob);
    root = parts.slice(0, firstWild).join('/') || '/';
    const pattern = globPattern(parts.slice(firstWild).join('/'));
    const all = await walk(root).catch((err: unknown) => {
      throw new FlightError(Code.NOT_FOUND, `source ${JSON.stringify(source)}: cannot read ${root}: ${(err as Error).message}`);
    });
    paths = all.filter((p) => pattern.test(relative(root, p).split(sep).join('/')));
  } else {
    root = resolve(source);
    const info = await stat(root).catch(() => {
      throw new FlightError(Code.NOT_FOUND, `source ${JSON.stringify(source)} does not exist`);
    });
    paths = info.isDirectory() ? await walk(root) : [root];
    if (!info.isDirectory()) root = resolve(root, '..');
  }
  return { root, entries: await Promise.all(paths.map(async (path) => ({ path, bytes: (await stat(path)).size }))) };
}

/** Lists the files of a source (a local path or glob, or an s3:// URL), sorted by path; NOT_FOUND when there are none. */
export async function listSourceFiles(source: string, options: ListOptions = {}): Promise<SourceFile[]> {
  const remote = source.startsWith('s3://') && options.format === undefined ? await s3Entries(source, options.s3) : undefined;
  // A table's metadata file (table/metadata/vN.metadata.json) reads the table as that file describes it.
  const metadataFile = /^(.*)\/metadata\/([^/]+\.metadata\.json)$/.exec(source.startsWith('s3://') ? source : resolve(source));
  if (metadataFile || options.format === 'iceberg' || (options.format === undefined && (remote ? isIcebergPrefix(remote) : !source.startsWith('s3://') && isIcebergTable(source)))) {
    const table = metadataFile ? metadataFile[1]! : source.startsWith('s3://') ? source.replace(/\/+$/, '') : resolve(source);
    const { files } = await icebergDataFiles(table, { ...options, ...(metadataFile ? { metadataFile: metadataFile[2]! } : {}) });
    if (files.length === 0) throw new FlightError(Code.NOT_FOUND, `Iceberg table ${table} has no data files in its ${options.snapshot !== undefined ? `snapshot ${options.snapshot}` : 'current snapshot'}${options.partitions ? ' in the partitions asked for' : ''}`);
    return files.map((f) => ({ path: f.path, format: 'parquet', bytes: f.bytes, partition: [], iceberg: f.task }));
  }
  const { root, entries } = remote ?? (source.startsWith('s3://') ? await s3Entries(source, options.s3) : await localEntries(source));
  let paths = entries.map((e) => e.path);
  const sizes = new Map(entries.map((e) => [e.path, e.bytes]));
  if (options.split !== undefined) paths = paths.filter((p) => inSplit(root, p, options.split!));
  const files: SourceFile[] = [];
  for (const path of paths) {
    const format = (options.format as FileFormat | undefined) ?? formatOfName(path);
    // In a directory, files of other kinds (READMEs, metadata) are not data.
    if (format === undefined || (options.format !== undefined && paths.length > 1 && formatOfName(path) !== undefined && formatOfName(path) !== options.format)) continue;
    files.push({ path, format, bytes: sizes.get(path)!, partition: hivePartition(root, path) });
  }
  if (files.length === 0) {
    const what = options.split !== undefined ? ` in split ${JSON.stringify(options.split)}` : '';
    throw new FlightError(Code.NOT_FOUND, `source ${JSON.stringify(source)} has no ${options.format ?? 'Parquet, Arrow IPC, CSV or JSON Lines'} files${what}`);
  }
  const keys = JSON.stringify(files[0]!.partition.map(([k]) => k));
  const odd = files.find((f) => JSON.stringify(f.partition.map(([k]) => k)) !== keys);
  if (odd) throw new FlightError(Code.INVALID_ARGUMENT, `source ${JSON.stringify(source)}: ${odd.path} has partition keys ${JSON.stringify(odd.partition.map(([k]) => k))}, not ${keys} like ${files[0]!.path}`);
  return files;
}
