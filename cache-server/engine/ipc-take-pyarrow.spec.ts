import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Code } from '../../client/src/flight/errors.js';
import { errorOf } from '../../test/helpers/flight-assertions.js';
import { repoRoot, runPython } from '../../test/helpers/python.js';
import { encapsulate, readIpcMessages } from '../../client/src/flight/protocol/ipc-message.js';
import { RowTaker, type TakenBatch } from './ipc-take.js';

const HAS_VENV = existsSync(join(repoRoot(), '.venv', 'bin', 'python'));
const EOS = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0);

/** An IPC stream of the schema, the dictionaries and one taken batch. */
function streamOf(schema: Uint8Array, dictionaries: { header: Uint8Array; body: Uint8Array }[], taken: TakenBatch): Buffer {
  const parts: Uint8Array[] = [encapsulate(schema)];
  for (const d of dictionaries) parts.push(encapsulate(d.header), d.body, new Uint8Array(-d.body.length & 7));
  parts.push(encapsulate(taken.header), ...taken.body, EOS);
  return Buffer.concat(parts);
}

test('taken rows of pyarrow-written batches of every round-trip type equal pyarrow Table.take', { skip: !HAS_VENV && 'no .venv/bin/python' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipc-take-'));
  try {
    const input = join(dir, 'in.arrows');
    const compressed = join(dir, 'in-lz4.arrows');
    const written = await runPython<{ rows: number; batches: number[] }>('take_check.py', ['write', input, compressed]);
    const { schema, messages } = readIpcMessages(readFileSync(input));
    const batches = messages.filter((m) => m.info.kind === 'record_batch');
    const dictionaries = messages.filter((m) => m.info.kind === 'dictionary_batch');
    assert.deepEqual(batches.map((b) => b.info.rows), written.batches);
    const place = batches.flatMap((b, s) => Array.from({ length: b.info.rows }, (_, r) => [s, r] as const));
    const taker = new RowTaker(schema);
    const shuffled = fc.sample(fc.array(fc.nat(written.rows - 1), { minLength: 40, maxLength: 40 }), { numRuns: 1, seed: 7 })[0]!;
    const cases: [string, number[], TakenBatch][] = [
      ['shuffle', shuffled, taker.take(batches, { source: Uint32Array.from(shuffled, (g) => place[g]![0]), row: Uint32Array.from(shuffled, (g) => place[g]![1]) })],
      ['rechunk', [4, 5, 6, 7, 8, 9, 10], taker.take(batches, { source: Uint32Array.of(1, 1, 2, 2, 3, 3, 3), row: Uint32Array.of(1, 2, 0, 1, 0, 1, 2) })],
      ['slice', [9, 10], taker.slice(batches[3]!, 1, 3)],
      ['empty', [], taker.take(batches, { source: new Uint32Array(0), row: new Uint32Array(0) })],
    ];
    for (const [name, rows, taken] of cases) {
      const out = join(dir, `${name}.arrows`);
      writeFileSync(out, streamOf(schema, dictionaries, taken));
      writeFileSync(join(dir, `${name}.json`), JSON.stringify(rows));
      const report = await runPython<{ equal: boolean; detail: string; rows: number }>('take_check.py', ['check', input, out, join(dir, `${name}.json`)]);
      // Float columns hold NaN, which pyarrow's equals never matches; table_compare then compares bits.
      assert.deepEqual(report, { equal: true, detail: report.equal ? report.detail : 'equal', rows: rows.length }, `${name}: ${report.detail}`);
    }
    const lz4 = readIpcMessages(readFileSync(compressed)).messages.find((m) => m.info.kind === 'record_batch')!;
    assert.deepEqual(errorOf(() => taker.take([lz4], { source: new Uint32Array(1), row: new Uint32Array(1) })), {
      code: Code.UNIMPLEMENTED,
      message: 'row take does not support compressed IPC bodies',
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
