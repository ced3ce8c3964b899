/**
 * A generated language-model dataset: variable-length token sequences (list<int32>) with an id and a
 * length column, deterministic for a seed. Stands in for a tokenized corpus in the demo and benchmarks.
 */
import { Field, Int32, Int64, List, RecordBatch, Schema, Struct, makeData } from 'apache-arrow';

/** Shape of the generated dataset. */
export interface TokenDatasetOptions {
  /** Approximate size of the token values in bytes. */
  targetBytes: number;
  rowsPerBatch?: number;
  minLength?: number;
  maxLength?: number;
  vocabulary?: number;
  seed?: number;
}

/** The schema of the token dataset. */
export const tokenSchema = new Schema([
  new Field('sample_id', new Int64(), false),
  new Field('length', new Int32(), false),
  new Field('tokens', new List(new Field('item', new Int32(), false)), false),
]);

/** A small, fast, seedable PRNG (xorshift32). */
function xorshift(seed: number): () => number {
  let state = seed >>> 0 || 0x9e3779b9;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
}

/** Generates the dataset batch by batch. */
export function* tokenBatches(options: TokenDatasetOptions): Generator<RecordBatch> {
  const rowsPerBatch = options.rowsPerBatch ?? 1024;
  const minLength = options.minLength ?? 64;
  const maxLength = options.maxLength ?? 1024;
  const vocabulary = options.vocabulary ?? 50_257;
  const next = xorshift(options.seed ?? 42);
  let produced = 0;
  let sampleId = 0n;
  while (produced < options.targetBytes) {
    const lengths = new Int32Array(rowsPerBatch);
    const offsets = new Int32Array(rowsPerBatch + 1);
    for (let i = 0; i < rowsPerBatch; i++) {
      lengths[i] = minLength + (next() % (maxLength - minLength + 1));
      offsets[i + 1] = offsets[i]! + lengths[i]!;
    }
    const tokens = new Int32Array(offsets[rowsPerBatch]!);
    for (let i = 0; i < tokens.length; i++) tokens[i] = next() % vocabulary;
    const ids = new BigInt64Array(rowsPerBatch);
    for (let i = 0; i < rowsPerBatch; i++) ids[i] = sampleId++;
    const [idField, lengthField, tokensField] = tokenSchema.fields as [Field<Int64>, Field<Int32>, Field<List<Int32>>];
    const children = [
      makeData({ type: idField.type, length: rowsPerBatch, data: ids }),
      makeData({ type: lengthField.type, length: rowsPerBatch, data: lengths }),
      makeData({
        type: tokensField.type,
        length: rowsPerBatch,
        valueOffsets: offsets,
        child: makeData({ type: new Int32(), length: tokens.length, data: tokens }),
      }),
    ];
    const data = makeData({ type: new Struct(tokenSchema.fields), length: rowsPerBatch, children, nullCount: 0 });
    yield new RecordBatch(tokenSchema, data);
    produced += tokens.byteLength + ids.byteLength + lengths.byteLength + offsets.byteLength;
  }
}
