import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { CsvScanner, columnTexts, type CsvBlock } from './csv-scanner.js';

/** Every block's records as arrays of field values, feeding `text` in chunks of `chunk` bytes. */
function records(text: string, chunk: number, blockRows = 2): Array<{ first: number; rows: string[][] }> {
  const scanner = new CsvScanner(blockRows);
  const bytes = Buffer.from(text);
  const blocks: CsvBlock[] = [];
  for (let at = 0; at < bytes.length; at += chunk) blocks.push(...scanner.push(bytes.subarray(at, at + chunk)));
  blocks.push(...scanner.end());
  return blocks.map((block) => {
    const columns = Array.from({ length: block.columns }, (_, c) => columnTexts(block, c));
    return { first: block.firstRecord, rows: Array.from({ length: block.rows }, (_, r) => columns.map((column) => column[r]!)) };
  });
}

const CSV = 'id,name\r\n1,"a, b"\n\n2,"say ""hi"""\n3,"two\nlines"\n4,"x"tail\n5,héllo\n6,';
const EXPECTED = [
  { first: 1, rows: [['id', 'name']] },
  { first: 2, rows: [['1', 'a, b'], ['2', 'say "hi"']] },
  { first: 4, rows: [['3', 'two\nlines'], ['4', 'xtail']] },
  { first: 6, rows: [['5', 'héllo'], ['6', '']] },
];

test('CsvScanner splits records in blocks whatever the chunk boundaries: quoted commas, "" quotes, newlines, CRLF, blank lines, text after a closing quote, a trailing empty field', () => {
  for (let chunk = 1; chunk <= Buffer.byteLength(CSV); chunk++) assert.deepEqual(records(CSV, chunk), EXPECTED, `chunks of ${chunk} bytes`);
});

test('CsvScanner gives a header-only file its header block, and an empty one a block without columns', () => {
  assert.deepEqual(records('a,b\n', 3), [{ first: 1, rows: [['a', 'b']] }]);
  assert.deepEqual(records('', 3), [{ first: 1, rows: [] }]);
});

test('CsvScanner fails a record with another number of fields, or a quote never closed, naming the record', () => {
  const invalid = (message: string) => (err: unknown) => err instanceof FlightError && err.code === Code.INVALID_ARGUMENT && err.message === message;
  assert.throws(() => records('a,b\n1,2\n3\n', 4), invalid('CSV line 3 has 1 fields; the header has 2'));
  assert.throws(() => records('a,b\n1,"2\n', 4), invalid('CSV ends inside a quoted field of record 2'));
});
