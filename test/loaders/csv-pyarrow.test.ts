/**
 * Generated CSV text (fast-check) read by the native CSV reader and by pyarrow.csv.read_csv: the
 * same columns, types and values, or both fail. Cells of every type the reader infers, null
 * markers, quoting with "" and line ends inside quotes, LF/CRLF/CR line ends, empty lines, the
 * forms pyarrow also accepts (hex integers, spaces around numbers, any case of inf and nan), and
 * some records with a field too few or an unclosed quote. FLIGHTCACHE_CSV_SEED picks another seed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { readCsv } from '../../cache-server/loaders/csv-reader.js';
import { streamOfChunk, type IpcChunk } from '../../cache-server/loaders/ipc-chunk.js';
import { runPython } from '../helpers/python.js';

const two = (n: number): string => String(n).padStart(2, '0');
const date = fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
const CELLS = {
  int: fc.oneof(fc.integer({ min: -1000, max: 1000 }).map(String), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String), fc.constantFrom('0x1F', '0XfF', '0xffffffffffffffff', '007', '-0', ' 12', '12\t', '9223372036854775808', '+5', '-0x10')),
  double: fc.oneof(fc.double().map(String), fc.constantFrom('1.5', '.5', '5.', '1E5', '+1.5', '-inf', 'iNf', 'Infinity', '1e400', '-1e-400', 'NAN', ' 2.5 ', '1e', '+-1', 'nan(7)')),
  bool: fc.constantFrom('true', 'false', 'True', 'FALSE', '1', '0', 'tRue'),
  date: fc.oneof(date, fc.constantFrom('2024-02-29', '2023-02-29', '2024-13-01', ' 2024-01-01', '0000-01-01')),
  timestamp: fc.tuple(date, fc.constantFrom(' ', 'T'), fc.integer({ min: 0, max: 24 }), fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 2 })).map(
    ([d, sep, h, m, s, parts]) => `${d}${sep}${two(h)}${parts > 0 ? `:${two(m)}` : ''}${parts > 1 ? `:${two(s)}` : ''}`,
  ),
  string: fc.string({ unit: fc.constantFrom('a', 'b', ',', '"', '\n', '\r', ' ', 'é', '1', '-', '\t'), maxLength: 8 }),
  null: fc.constantFrom('', 'NA', 'null', 'N/A', 'nan', '#N/A', 'NaN', '-nan'),
};
type Kind = keyof typeof CELLS;
const KINDS = Object.keys(CELLS) as Kind[];
const anyCell = fc.oneof(...KINDS.map((kind) => CELLS[kind]));

/** A cell as CSV: quoted when it must be (or by chance), "" for a quote. */
function encode(cell: string, quote: boolean): string {
  const must = /[,\n\r]/.test(cell) || cell.startsWith('"');
  return must || quote ? `"${cell.replaceAll('"', '""')}"` : cell;
}

interface Shape {
  kinds: Kind[];
  rows: number;
}

/** A CSV text of columns of one kind each, with some cells of other kinds, nulls, and a chance of a malformed record. */
const csvText = (big: boolean) =>
  fc.record({ kinds: fc.array(fc.constantFrom(...KINDS), { minLength: 1, maxLength: 4 }), rows: big ? fc.constant(40_000) : fc.integer({ min: 0, max: 40 }) }).chain(({ kinds, rows }: Shape) =>
    fc
      .tuple(
        fc.array(fc.tuple(...kinds.map((kind) => fc.oneof({ weight: 8, arbitrary: CELLS[kind] }, { weight: 1, arbitrary: CELLS.null }, { weight: big ? 0 : 1, arbitrary: anyCell }))), { minLength: rows, maxLength: rows }),
        fc.array(fc.tuple(fc.boolean(), fc.constantFrom('\n', '\n', '\r\n', '\r'), fc.integer({ min: 0, max: 30 })), { minLength: rows, maxLength: rows }),
        fc.boolean(),
        fc.integer({ min: 0, max: big ? 0 : 12 }),
      )
      .map(([cells, styles, finalLineEnd, damage]) => {
        const lines = [`${kinds.map((_, c) => encode(`c${c}`, c % 2 === 1)).join(',')}\n`];
        cells.forEach((row, r) => {
          const [quote, end, blank] = styles[r]!;
          let record = row.map((cell) => encode(cell, quote)).join(',');
          // Damage: one record loses a field, or the text ends inside a quote.
          if (damage === 1 && r === 0 && row.length > 1) record = row.slice(1).map((cell) => encode(cell, quote)).join(',');
          lines.push(record + end + (blank === 0 ? end : ''));
        });
        const text = lines.join('').replace(/[\r\n]*$/, '');
        return (damage === 2 ? `${text}\n"open` : text) + (finalLineEnd ? '\n' : '');
      }),
  );

/** Reads a CSV file with the loader's reader into one Arrow IPC stream. */
async function readAll(path: string): Promise<Uint8Array> {
  const chunks: IpcChunk[] = [];
  for await (const chunk of readCsv(path)) chunks.push(chunk);
  return streamOfChunk({ schema: chunks[0]!.schema, messages: chunks.flatMap((chunk) => chunk.messages) });
}

test('generated CSV reads as pyarrow.csv.read_csv reads it: types, values, and failures', { timeout: 600_000 }, async () => {
  const seed = Number(process.env.FLIGHTCACHE_CSV_SEED ?? 20261207);
  const texts = [...fc.sample(csvText(false), { seed, numRuns: 400 }), ...fc.sample(csvText(true), { seed, numRuns: 3 })];
  const dir = mkdtempSync(join(tmpdir(), 'flightcache-csv-'));
  try {
    for (const [i, text] of texts.entries()) {
      const path = join(dir, `case-${i}.csv`);
      writeFileSync(path, text);
      try {
        writeFileSync(join(dir, `case-${i}.arrows`), await readAll(path));
      } catch (err) {
        writeFileSync(join(dir, `case-${i}.error`), String(err));
      }
    }
    const result = await runPython<{ cases: number; failures: Array<{ case: number; detail: string }> }>('csv_check.py', [dir, String(texts.length)], { timeoutMs: 300_000 });
    const first = result.failures[0];
    const shown = first ? `${result.failures.slice(0, 12).map((f) => `case ${f.case}: ${f.detail}`).join('\n')}\nseed ${seed}, case ${first.case}: ${first.detail}\n${JSON.stringify(readFileSync(join(dir, `case-${first.case}.csv`), 'utf8').slice(0, 2000))}` : '';
    assert.deepEqual([result.cases, result.failures.length], [texts.length, 0], shown);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
