/**
 * The coordinator's `load`: it lists the source's files and gives each live shard a share, balanced
 * by bytes; each shard reads its files itself into a staged dataset (nothing passes through the
 * coordinator). Once every share is read, each staged dataset becomes one partition, copied with
 * `fetch` from the shard that read it to the R shards placed for it (the reader first when placed),
 * and the catalog swaps the new generation in at once; the old generation's copies are dropped after.
 * Any failure (a file, a shard, a cancel) drops what was staged and copied: the old generation serves on.
 */
import { randomBytes } from 'node:crypto';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { dictionaryIds, firstSchemaDifference } from '../../client/src/flight/protocol/schema-compare.js';
import { encodeTicket } from '../node/ticket.js';
import { requestFiles, type LoadProgress, type LoadResult } from '../loaders/dataset-loader.js';
import type { LoadRequest } from '../loaders/load-request.js';
import { tokenizeBody } from '../loaders/tokenize-options.js';
import type { SourceFile } from '../loaders/source-files.js';
import { emptyDataset, storedNameOf, type CatalogPartition } from './catalog.js';
import type { ClusterState } from './cluster-state.js';
import { factsOf, parseJson } from './member-holdings.js';
import { dropCopies, dropCopy } from './partition-copies.js';
import { placeReplicas } from './placement.js';

const LOAD_TIMEOUT_MS = 6 * 3600_000;

/** Splits files into at most `shares` groups of similar total bytes (largest file first to the lightest group). */
export function shareFiles(files: readonly SourceFile[], shares: number): SourceFile[][] {
  const groups = Array.from({ length: Math.min(shares, files.length) }, () => ({ bytes: 0, files: [] as SourceFile[] }));
  for (const file of [...files].sort((a, b) => b.bytes - a.bytes || (a.path < b.path ? -1 : 1))) {
    const lightest = groups.reduce((min, g) => (g.bytes < min.bytes ? g : min));
    lightest.files.push(file);
    lightest.bytes += file.bytes;
  }
  // Each share keeps the source's order, so batches follow the files as listed.
  const order = new Map(files.map((f, i) => [f.path, i]));
  return groups.map((g) => g.files.sort((a, b) => order.get(a.path)! - order.get(b.path)!)).sort((a, b) => order.get(a[0]!.path)! - order.get(b[0]!.path)!);
}

interface Share {
  readonly member: string;
  readonly location: string;
  readonly stagedName: string;
  readonly files: SourceFile[];
}

/** Loads `request` into the cluster; see the module comment. */
export async function loadIntoCluster(state: ClusterState, request: LoadRequest, progress: LoadProgress, signal: AbortSignal): Promise<LoadResult> {
  const started = performance.now();
  const { files } = await requestFiles(request);
  progress.filesTotal = files.length;
  progress.bytesTotal = files.reduce((sum, f) => sum + f.bytes, 0);
  progress.state = 'loading';
  const live = state.liveIds();
  if (live.length < state.replicas) {
    throw new FlightError(Code.UNAVAILABLE, `cannot store ${state.replicas} copies of "${request.name}": only ${live.length} shard(s) are live (${live.join(', ') || 'none'})`);
  }
  const nonce = randomBytes(4).toString('hex');
  const shares: Share[] = shareFiles(files, live.length).map((group, i) => ({
    member: live[i]!,
    location: state.live(live[i]!)!,
    stagedName: `${request.name}#load${i}.${nonce}`,
    files: group,
  }));
  const dropStaged = (): Promise<unknown> => Promise.allSettled(shares.map((s) => dropCopy(state, s.location, s.stagedName)));
  const onAbort = (): void => void dropStaged();
  signal.addEventListener('abort', onAbort);
  const partitions: CatalogPartition[] = [];
  const put = `${request.name}#${nonce}`;
  state.pendingPuts.add(put);
  try {
    const { files: _files, ...rest } = request;
    const loaded = await Promise.all(
      shares.map(async (share) => {
        const client = await state.peers.get(share.location);
        const options = {
          columns: rest.columns,
          filter: rest.filter,
          split: rest.split,
          schema: rest.schema,
          snapshot: rest.snapshot,
          partitions: rest.partitions,
          s3: rest.s3,
          tokenize: rest.tokenize && tokenizeBody(rest.tokenize),
          threads: rest.threads,
        };
        const body = JSON.stringify({ ...rest, name: share.stagedName, options, files: share.files.map((f) => f.path) });
        let result: LoadResult;
        try {
          result = await client.action<LoadResult>('load', body, { timeoutMs: LOAD_TIMEOUT_MS });
        } catch (err) {
          const error = FlightError.from(err);
          throw new FlightError(error.code, `shard ${share.member}: ${error.message}`);
        }
        progress.files += share.files.length;
        progress.rows += result.rows;
        if (result.tokens !== undefined) {
          progress.tokens = (progress.tokens ?? 0) + result.tokens;
          progress.tokensPerSecond = Math.round(progress.tokens / Math.max(1e-3, (performance.now() - started) / 1000));
        }
        progress.bytes += share.files.reduce((sum, f) => sum + f.bytes, 0);
        let described;
        for await (const r of client.doAction('describe', JSON.stringify([share.stagedName]), { timeoutMs: 60_000 })) described = factsOf(parseJson(r.body, share.location), share.location).facts;
        if (!described) throw new FlightError(Code.ABORTED, `shard ${share.member} no longer holds the share it loaded (dropped or restarted)`);
        return described;
      }),
    );
    signal.throwIfAborted();
    const schema = loaded[0]!.schemaHeader;
    loaded.forEach((facts, i) => {
      const difference = firstSchemaDifference(schema, facts.schemaHeader);
      if (difference !== undefined) throw new FlightError(Code.INVALID_ARGUMENT, `${shares[i]!.files[0]!.path}: its schema differs from ${shares[0]!.files[0]!.path}'s: ${difference}`);
    });
    const end = loaded.reduce((sum, f) => sum + f.batchRows.length, 0);
    let from = 0;
    loaded.forEach((facts, i) => {
      const to = from + facts.batchRows.length;
      if (to > from) {
        const storedName = storedNameOf(request.name, partitions.length, nonce, { from, to, end });
        // With one replica the shard that read a share keeps it: no other copy to place.
        const others = state.replicas > 1 ? placeReplicas(`${request.name}/${storedName}`, live.filter((id) => id !== shares[i]!.member), state.replicas - 1) : [];
        partitions.push({
          index: partitions.length,
          storedName,
          from,
          to,
          rows: facts.batchRows.reduce((a, b) => a + b, 0),
          bytes: facts.batchBytes.reduce((a, b) => a + b, 0),
          placement: [shares[i]!.member, ...others],
          stored: new Set<string>(),
        });
      }
      from = to;
    });
    // Copy each staged share to its placed shards (a local copy on the shard that read it).
    let shareOf = 0;
    const jobs = partitions.flatMap((p) => {
      while (loaded[shareOf]!.batchRows.length === 0) shareOf++;
      const share = shares[shareOf++]!;
      return p.placement.map((id) => ({ partition: p, id, share }));
    });
    await Promise.all(
      jobs.map(async ({ partition, id, share }) => {
        signal.throwIfAborted();
        const location = state.live(id);
        if (location === undefined) throw new FlightError(Code.UNAVAILABLE, `shard ${id} left while "${request.name}" was loaded`);
        const body = JSON.stringify({ name: partition.storedName, sources: [share.location], ticket: Buffer.from(encodeTicket({ dataset: share.stagedName })).toString('base64') });
        await (await state.peers.get(location)).action('fetch', body, { timeoutMs: LOAD_TIMEOUT_MS });
        partition.stored.add(id);
      }),
    );
    signal.throwIfAborted();
    const facts = loaded.filter((f) => f.batchRows.length > 0);
    const dataset = emptyDataset(request.name, loaded[0]!.schemaHeader, loaded[0]!.schemaEncapsulated);
    for (const f of facts) {
      dataset.batchRows.push(...f.batchRows);
      dataset.batchHeaders.push(...f.batchHeaders);
      dataset.batchBytes.push(...f.batchBytes);
      dataset.rows += f.batchRows.reduce((a, b) => a + b, 0);
      dataset.bytes += f.batchBytes.reduce((a, b) => a + b, 0);
      // Each partition carries its own dictionaries: several of them replace one another.
      dataset.dictionariesChange ||= f.dictionariesChange || (facts.length > 1 && dictionaryIds(dataset.schemaHeader).length > 0);
    }
    dataset.partitions.push(...partitions);
    const previous = state.catalog.get(request.name);
    state.catalog.set(dataset);
    state.pendingPuts.delete(put);
    if (previous) {
      for (const partition of previous.partitions) state.dropped.add(partition.storedName);
      await dropCopies(state, previous.partitions);
    }
    progress.state = 'done';
    return { loaded: request.name, files: files.length, rows: dataset.rows, batches: dataset.batchRows.length, bytes: dataset.bytes, ...(progress.tokens !== undefined ? { tokens: progress.tokens } : {}) };
  } catch (err) {
    for (const partition of partitions) state.dropped.add(partition.storedName);
    await dropCopies(state, partitions);
    // Once cancelled, the shards' loads fail too (their staged datasets were dropped): report the cancel.
    const error = signal.aborted ? new FlightError(Code.CANCELLED, `load of "${request.name}" cancelled`) : FlightError.from(err);
    progress.state = error.code === Code.CANCELLED ? 'cancelled' : 'failed';
    progress.error = error.message;
    throw error;
  } finally {
    state.pendingPuts.delete(put);
    signal.removeEventListener('abort', onAbort);
    await dropStaged();
  }
}
