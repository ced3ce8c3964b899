/**
 * Asks a member what it holds (ListFlights), has it describe the partitions the catalog does not
 * know (the `describe` action: schema and each batch's shape, never the data) and adopts them (see
 * adoption.ts). Run whenever a member comes up, before it is refilled.
 */
import { Code, FlightError } from '../../client/src/flight/errors.js';
import type { DescribedDataset } from '../node/describe-action.js';
import { adoptHoldings, toDescribe, type AdoptionReport, type PartitionFacts } from './adoption.js';
import type { ClusterState } from './cluster-state.js';
import type { Member } from './membership.js';
import { storedOn } from './refill.js';

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'));

/** The JSON of one result. */
export function parseJson(body: Uint8Array, location: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(body));
  } catch {
    throw new FlightError(Code.INTERNAL, `${location} answered describe with a result that is not JSON`);
  }
}

/** Checks a described partition's JSON and decodes it. */
export function factsOf(value: unknown, location: string): { name: string; facts: PartitionFacts } {
  const d = (typeof value === 'object' && value !== null ? value : {}) as Partial<DescribedDataset>;
  const numbers = (list: unknown): list is number[] => Array.isArray(list) && list.every((n) => Number.isSafeInteger(n) && n >= 0);
  if (
    typeof d.name !== 'string' ||
    typeof d.schemaHeader !== 'string' ||
    typeof d.schemaEncapsulated !== 'string' ||
    !numbers(d.batchRows) ||
    !numbers(d.batchBytes) ||
    !Array.isArray(d.batchHeaders) ||
    !d.batchHeaders.every((h) => typeof h === 'string') ||
    typeof d.dictionariesChange !== 'boolean'
  ) {
    throw new FlightError(Code.INTERNAL, `${location} answered describe with a malformed result`);
  }
  return {
    name: d.name,
    facts: {
      schemaHeader: bytes(d.schemaHeader),
      schemaEncapsulated: bytes(d.schemaEncapsulated),
      batchRows: d.batchRows,
      batchHeaders: d.batchHeaders.map(bytes),
      batchBytes: d.batchBytes,
      dictionariesChange: d.dictionariesChange,
    },
  };
}

/** Learns what `member` holds and takes it into the catalog; rejects when the member cannot be asked. */
export async function adoptFrom(state: ClusterState, member: Member): Promise<AdoptionReport> {
  const names = [...(await storedOn(state, member.location))];
  const wanted = toDescribe(state.catalog, names, state);
  const facts = new Map<string, PartitionFacts>();
  if (wanted.length > 0) {
    const client = await state.peers.get(member.location);
    try {
      for await (const result of client.doAction('describe', JSON.stringify(wanted), { timeoutMs: 60_000 })) {
        const described = factsOf(parseJson(result.body, member.location), member.location);
        facts.set(described.name, described.facts);
      }
    } catch (err) {
      // A shard of an older version cannot describe: it still serves what the catalog knows.
      if (!(err instanceof FlightError) || err.code !== Code.UNIMPLEMENTED) throw err;
      state.logger.warn({ member: member.id, unknown: wanted.length }, 'member cannot describe its partitions (older version); they are not adopted');
    }
  }
  const report = adoptHoldings(state.catalog, { member: member.id, names, facts }, {
    replicas: state.replicas,
    dropped: state.dropped,
    droppedDatasets: state.droppedDatasets,
    pendingPuts: state.pendingPuts,
    tombstones: state.tombstones,
  });
  // Refill drops the copies of dropped partitions; these belong to the same dropped puts or datasets.
  for (const name of report.stale) state.dropped.add(name);
  if (report.adopted.length > 0) state.logger.info({ member: member.id, adopted: report.adopted.length }, 'adopted partitions the member holds');
  for (const { storedName, reason } of report.ignored) state.logger.warn({ member: member.id, partition: storedName, reason }, 'partition not adopted; kept on the member');
  for (const name of report.incomplete) state.logger.warn({ dataset: name }, 'adopted dataset misses batches no live member holds: it is lost until they are found');
  return report;
}
