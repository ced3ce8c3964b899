/**
 * The `describe` action of a node: the shape of named stored datasets, as a cluster coordinator
 * needs it to take partitions that a shard still holds back into its catalog after the coordinator
 * restarted (schema, each record batch's rows, Message flatbuffer and stored bytes). No bodies.
 */
import { Code, FlightError } from '../../client/src/flight/errors.js';
import type { DatasetStore } from '../storage/dataset-store.js';
import { changesDictionaries } from './share-stream.js';

/** One stored dataset as `describe` reports it; binary fields are base64. */
export interface DescribedDataset {
  name: string;
  /** The Schema message flatbuffer. */
  schemaHeader: string;
  /** The Schema message as stored, encapsulated. */
  schemaEncapsulated: string;
  batchRows: number[];
  /** Each record batch's Message flatbuffer. */
  batchHeaders: string[];
  /** Each record batch's stored bytes (flatbuffer and body). */
  batchBytes: number[];
  /** Some dictionary id has more than one dictionary batch. */
  dictionariesChange: boolean;
}

/** Parses the body: a JSON array of dataset names. */
function parseNames(text: string): string[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!Array.isArray(body) || !body.every((name) => typeof name === 'string')) {
    throw new FlightError(Code.INVALID_ARGUMENT, 'describe needs a JSON array of dataset names as its body, e.g. ["a", "b"]');
  }
  return body as string[];
}

const base64 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

/** Describes each named dataset the store holds, in the order named; names it does not hold are left out. */
export function* describeDatasets(store: DatasetStore, text: string): Iterable<DescribedDataset> {
  for (const name of parseNames(text)) {
    const dataset = store.get(name);
    if (!dataset) continue;
    const batches = dataset.messages.filter((m) => m.kind === 'record_batch');
    yield {
      name,
      schemaHeader: base64(dataset.schema.header),
      schemaEncapsulated: base64(dataset.schema.encapsulated),
      batchRows: batches.map((m) => m.rows),
      batchHeaders: batches.map((m) => base64(m.header)),
      batchBytes: batches.map((m) => m.header.byteLength + m.body.byteLength),
      dictionariesChange: changesDictionaries(dataset),
    };
  }
}
