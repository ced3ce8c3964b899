/**
 * Test helpers for the same-host service: the Python test reader (test/python/same_host_read.py),
 * raw frame exchanges over the Unix socket, and DoGet read through the TypeScript gRPC client.
 */
import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { FlightClient } from '../../client/src/flight-client.js';
import type { Ticket } from '../../client/src/flight/protocol/messages.js';
import { parseMessageHeader } from '../../client/src/flight/protocol/ipc-message.js';
import { encodeFrame, FrameDecoder, type Frame } from '../../cache-server/samehost/frames.js';
import { pythonScript, runPython, venvPython } from './python.js';

/** One batch as the Python reader reports it. */
export interface ReaderBatch {
  rows: number;
  num_rows: number;
  cursor: string;
  sources: number;
  body_sha256?: string;
  equals_grpc?: boolean;
  /** With --rows: the batch's rows. */
  rows_list?: Array<Record<string, unknown>>;
}

/** The Python reader's report. */
export interface ReaderReport {
  hello: { type: 'hello'; instance: string; location: string; hostId: string; shmDir: string; version: number } | null;
  batches: ReaderBatch[];
  error: { code: string; status?: number; message: string } | null;
  segments: number;
  unchanged: boolean;
  grpc_batches?: number;
  fds_received?: number;
}

/** Arguments of the Python reader for one ticket. */
export function readerArgs(socket: string, ticket: Ticket, authorization?: string, grpc?: string): string[] {
  return [
    '--socket', socket,
    '--ticket', Buffer.from(ticket.ticket).toString('base64'),
    ...(authorization ? ['--authorization', authorization] : []),
    ...(grpc ? ['--grpc', grpc] : []),
  ];
}

/** Reads a ticket with the Python reader and returns its report. */
export function readSameHost(args: string[]): Promise<ReaderReport> {
  return runPython<ReaderReport>('same_host_read.py', args);
}

/** A Python reader that stops after `pauseAfter` batches until `resume()`. */
export interface PausedReader {
  /** Resolves when the reader has read `pauseAfter` batches and waits. */
  paused: Promise<void>;
  resume(): void;
  report: Promise<ReaderReport>;
  /** Ends the reader if it still runs (for a test that failed while it waited). */
  kill(): void;
}

/** Starts the Python reader with --pause-after. */
export function startPausedReader(args: string[], pauseAfter: number): PausedReader {
  const child = spawn(venvPython(), [pythonScript('same_host_read.py'), ...args, '--pause-after', String(pauseAfter)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines: string[] = [];
  let onPause: () => void = () => undefined;
  const paused = new Promise<void>((resolve) => (onPause = resolve));
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    if (line.startsWith('{"paused"')) onPause();
  });
  const report = once(child, 'exit').then(([code]) => {
    if (code !== 0) throw new Error(`same_host_read.py exited ${String(code)}: ${stderr}\n${lines.join('\n')}`);
    return JSON.parse(lines.at(-1)!) as ReaderReport;
  });
  report.catch(() => onPause());
  return { paused, resume: () => child.stdin.write('\n'), report, kill: () => child.kill() };
}

/** Record batches of a DoGet through our gRPC client: body SHA-256 and cursor of each. */
export async function doGetBatches(client: FlightClient, ticket: Ticket): Promise<Array<{ body_sha256: string; cursor: string; rows: number }>> {
  const out: Array<{ body_sha256: string; cursor: string; rows: number }> = [];
  for await (const data of client.doGetRaw(ticket)) {
    const info = parseMessageHeader(data.dataHeader);
    if (info.kind !== 'record_batch') continue;
    out.push({ body_sha256: createHash('sha256').update(data.dataBody).digest('hex'), cursor: Buffer.from(data.appMetadata).toString(), rows: info.rows });
  }
  return out;
}

/** A raw connection to a same-host socket that sends bytes and collects the frames it receives (no descriptors). */
export class RawConnection {
  readonly frames: Frame[] = [];
  readonly #decoder = new FrameDecoder(1 << 30);
  #waiters: Array<() => void> = [];
  closed = false;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.frames.push(...this.#decoder.push(chunk));
      this.#wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.#wake();
    });
    socket.on('error', () => undefined);
  }

  static async open(path: string): Promise<RawConnection> {
    const socket = connect(path);
    await once(socket, 'connect');
    return new RawConnection(socket);
  }

  /** Sends a frame with this JSON (an object) or raw bytes. */
  send(frame: Record<string, unknown> & { type: string } | Uint8Array): void {
    if (frame instanceof Uint8Array) this.socket.write(frame);
    else for (const chunk of encodeFrame(frame)) this.socket.write(chunk);
  }

  /** Waits until `count` frames arrived (or the connection closed) and returns them. */
  async next(count = 1): Promise<Frame['json'][]> {
    while (this.frames.length < count && !this.closed) await new Promise<void>((resolve) => this.#waiters.push(resolve));
    return this.frames.splice(0, count).map((frame) => frame.json);
  }

  /** Resolves once the node has closed the connection. */
  async waitClosed(): Promise<void> {
    while (!this.closed) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  close(): void {
    this.socket.destroy();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}
