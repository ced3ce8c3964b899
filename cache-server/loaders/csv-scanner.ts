/**
 * Splits CSV bytes (RFC 4180: a field that starts with a quote may hold commas, newlines and "" for
 * a quote) into blocks of records kept as field byte ranges, without making a string per field or
 * an array per record. Blank lines are skipped and a CR before LF is dropped, as pyarrow does.
 */
import { isAscii } from 'node:buffer';
import { Code, FlightError } from '../../client/src/flight/errors.js';

const COMMA = 0x2c;
const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/** Records as field ranges of `bytes`: field c of row r spans starts[r * columns + c] to ends[...] (quotes included). */
export interface CsvBlock {
  /** The record number of its first row (the header is record 1), for error messages. */
  readonly firstRecord: number;
  readonly bytes: Buffer;
  /** True when every byte is ASCII: fields decode as latin1, the fastest way. */
  readonly ascii: boolean;
  readonly rows: number;
  readonly columns: number;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
}

/** The value of a field: for a quoted one, without its quotes and with "" made one quote. */
export function fieldText(block: CsvBlock, row: number, column: number): string {
  const at = row * block.columns + column;
  const [start, end] = [block.starts[at]!, block.ends[at]!];
  const { bytes } = block;
  if (bytes[start] !== QUOTE) return block.ascii ? bytes.toString('latin1', start, end) : bytes.toString('utf8', start, end);
  const inner = quotedInner(bytes, start, end);
  if (inner) return block.ascii ? bytes.toString('latin1', inner[0], inner[1]) : bytes.toString('utf8', inner[0], inner[1]);
  return unquote(bytes.toString('utf8', start, end));
}

/** Every field of a column, as fieldText gives them. */
export function columnTexts(block: CsvBlock, column: number): string[] {
  const out = new Array<string>(block.rows);
  for (let row = 0; row < block.rows; row++) out[row] = fieldText(block, row, column);
  return out;
}

/** The byte range inside the quotes of a field that is exactly "..." with no "" in it; undefined otherwise. */
export function quotedInner(bytes: Buffer, start: number, end: number): [number, number] | undefined {
  if (bytes[start] !== QUOTE) return [start, end];
  if (end - start < 2 || bytes[end - 1] !== QUOTE) return undefined;
  const inside = bytes.indexOf(QUOTE, start + 1);
  return inside === end - 1 ? [start + 1, end - 1] : undefined;
}

/** A quoted field's value: "" inside quotes is a quote; characters after the closing quote belong to it, as pyarrow keeps them. */
function unquote(raw: string): string {
  let out = '';
  let from = 1;
  for (;;) {
    const quote = raw.indexOf('"', from);
    if (quote < 0) throw new FlightError(Code.INVALID_ARGUMENT, 'CSV field without its closing quote');
    out += raw.slice(from, quote);
    if (raw[quote + 1] === '"') {
      out += '"';
      from = quote + 2;
      continue;
    }
    return out + raw.slice(quote + 1);
  }
}

/** Collects records from chunks of bytes into blocks of `blockRows` records. */
export class CsvScanner {
  #bytes: Buffer = Buffer.alloc(0);
  /** Where the first record not yet in a block starts. */
  #rows = 0;
  #starts = new Int32Array(1024);
  #ends = new Int32Array(1024);
  #fields = 0;
  /** Where scanning resumes: the start of the first incomplete record. */
  #scan = 0;
  /** Fields per record: the header's, once read. */
  columns = -1;
  /** Records before the current block, the header's included (for line numbers). */
  recordsBefore = 0;

  constructor(private readonly blockRows: number) {}

  /** Adds bytes; returns the blocks they complete. The first record is the header (its own block of one row). */
  push(chunk: Buffer): CsvBlock[] {
    // Scanned positions stay valid: the bytes so far are the new buffer's first bytes.
    this.#bytes = this.#bytes.length === 0 ? chunk : Buffer.concat([this.#bytes, chunk]);
    return this.#scanRecords(false);
  }

  /** Ends the input: returns the last block (possibly empty). */
  end(): CsvBlock[] {
    const blocks = this.#scanRecords(true);
    if (this.#rows > 0 || this.columns < 0) blocks.push(this.#cut());
    return blocks;
  }

  #scanRecords(atEnd: boolean): CsvBlock[] {
    const blocks: CsvBlock[] = [];
    let bytes = this.#bytes;
    let n = bytes.length;
    let i = this.#scan;
    for (;;) {
      // Blank lines are not records.
      while (i < n && (bytes[i] === LF || (bytes[i] === CR && bytes[i + 1] === LF))) i += bytes[i] === CR ? 2 : 1;
      if (i >= n) break;
      const recordStart = i;
      const fieldsBefore = this.#fields;
      let complete = false;
      for (;;) {
        const start = i;
        if (bytes[i] === QUOTE) {
          // A quoted field: up to the quote not followed by another one, then on to the delimiter.
          let j = i + 1;
          for (;;) {
            const quote = bytes.indexOf(QUOTE, j);
            if (quote < 0) {
              j = -1;
              break;
            }
            if (bytes[quote + 1] === QUOTE) j = quote + 2;
            else {
              j = quote + 1;
              break;
            }
          }
          if (j < 0 || (j >= n && !atEnd)) break;
          i = j;
        }
        while (i < n && bytes[i] !== COMMA && bytes[i] !== LF) i++;
        if (i >= n && !atEnd) break;
        const end = i > start && bytes[i - 1] === CR && (i >= n || bytes[i] === LF) ? i - 1 : i;
        this.#addField(start, end);
        if (i >= n || bytes[i] === LF) {
          i++;
          complete = true;
          break;
        }
        i++;
        // A comma at the very end of the input: one more, empty field.
        if (i >= n && atEnd) {
          this.#addField(i, i);
          complete = true;
          break;
        }
      }
      if (!complete) {
        if (atEnd) throw new FlightError(Code.INVALID_ARGUMENT, `CSV ends inside a quoted field of record ${this.recordsBefore + this.#rows + 1}`);
        this.#fields = fieldsBefore;
        i = recordStart;
        break;
      }
      const fields = this.#fields - fieldsBefore;
      if (this.columns < 0) this.columns = fields;
      else if (fields !== this.columns) {
        throw new FlightError(Code.INVALID_ARGUMENT, `CSV line ${this.recordsBefore + this.#rows + 1} has ${fields} fields; the header has ${this.columns}`);
      }
      this.#rows++;
      // The header is a block of its own; then blocks of blockRows records.
      if (this.recordsBefore === 0 || this.#rows === this.blockRows) {
        this.#scan = i;
        blocks.push(this.#cut());
        // Positions restart in the bytes after the block.
        bytes = this.#bytes;
        n = bytes.length;
        i = 0;
      }
    }
    this.#scan = i;
    return blocks;
  }

  #addField(start: number, end: number): void {
    if (this.#fields === this.#starts.length) {
      const grow = (a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.#starts = grow(this.#starts);
      this.#ends = grow(this.#ends);
    }
    this.#starts[this.#fields] = start;
    this.#ends[this.#fields] = end;
    this.#fields++;
  }

  /** The records scanned so far as a block; later records start a new one (positions from 0). */
  #cut(): CsvBlock {
    const columns = Math.max(this.columns, 0);
    const end = this.#fields > 0 ? this.#ends[this.#fields - 1]! : 0;
    const block: CsvBlock = { firstRecord: this.recordsBefore + 1, bytes: this.#bytes, ascii: isAscii(this.#bytes.subarray(0, end)), rows: this.#rows, columns, starts: this.#starts.slice(0, this.#fields), ends: this.#ends.slice(0, this.#fields) };
    this.recordsBefore += this.#rows;
    this.#bytes = this.#bytes.subarray(this.#scan);
    this.#scan = 0;
    this.#rows = 0;
    this.#fields = 0;
    return block;
  }
}
