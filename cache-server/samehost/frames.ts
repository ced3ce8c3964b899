/**
 * Frames of the same-host protocol (docs/same-host.md): u32 LE JSON length, u32 LE payload length,
 * a UTF-8 JSON object with a string `type`, then the payload. The decoder is an explicit state
 * machine fed socket chunks; what breaks the framing is INVALID_ARGUMENT.
 */
import { Code, FlightError } from '../../client/src/flight/errors.js';

/** Bytes before a frame's JSON. */
export const FRAME_PREFIX_BYTES = 8;
/** The longest JSON part a frame may have. */
export const MAX_JSON_BYTES = 1 << 20;

/** A decoded frame. */
export interface Frame {
  readonly json: Record<string, unknown> & { readonly type: string };
  readonly payload: Uint8Array;
}

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** The frame as chunks to write: prefix and JSON in one buffer, then the payload (not copied) if any. */
export function encodeFrame(json: { readonly type: string } & Record<string, unknown>, payload?: Uint8Array): Uint8Array[] {
  const text = utf8.encode(JSON.stringify(json));
  const head = new Uint8Array(FRAME_PREFIX_BYTES + text.length);
  const view = new DataView(head.buffer);
  view.setUint32(0, text.length, true);
  view.setUint32(4, payload?.length ?? 0, true);
  head.set(text, FRAME_PREFIX_BYTES);
  return payload && payload.length > 0 ? [head, payload] : [head];
}

/** Splits a byte stream into frames; `maxPayloadBytes` bounds each payload. */
export class FrameDecoder {
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  /** Lengths of the frame being read, once its prefix is in. */
  #lengths: { json: number; payload: number } | undefined;

  constructor(private readonly maxPayloadBytes: number) {}

  /** Adds bytes and returns the frames they complete; throws INVALID_ARGUMENT for a malformed frame. */
  push(chunk: Uint8Array): Frame[] {
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      if (!this.#lengths) {
        if (this.#pendingBytes < FRAME_PREFIX_BYTES) return frames;
        const prefix = new DataView(this.#take(FRAME_PREFIX_BYTES).buffer);
        const json = prefix.getUint32(0, true);
        const payload = prefix.getUint32(4, true);
        if (json === 0 || json > MAX_JSON_BYTES) {
          throw new FlightError(Code.INVALID_ARGUMENT, `frame JSON length ${json} is out of range (1 to ${MAX_JSON_BYTES})`);
        }
        if (payload > this.maxPayloadBytes) {
          throw new FlightError(Code.INVALID_ARGUMENT, `frame payload length ${payload} exceeds ${this.maxPayloadBytes}`);
        }
        this.#lengths = { json, payload };
      }
      const { json, payload } = this.#lengths;
      if (this.#pendingBytes < json + payload) return frames;
      this.#lengths = undefined;
      frames.push({ json: parseJson(this.#take(json)), payload: this.#take(payload) });
    }
  }

  /** Removes and returns the first `bytes` pending bytes (a copy, so it owns its buffer). */
  #take(bytes: number): Uint8Array {
    const out = new Uint8Array(bytes);
    let at = 0;
    while (at < bytes) {
      const head = this.#pending[0]!;
      const used = Math.min(head.length, bytes - at);
      out.set(head.subarray(0, used), at);
      at += used;
      if (used === head.length) this.#pending.shift();
      else this.#pending[0] = head.subarray(used);
    }
    this.#pendingBytes -= bytes;
    return out;
  }
}

function parseJson(bytes: Uint8Array): Frame['json'] {
  let value: unknown;
  try {
    value = JSON.parse(utf8Strict.decode(bytes));
  } catch (err) {
    throw new FlightError(Code.INVALID_ARGUMENT, `frame JSON is not valid UTF-8 JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || typeof (value as { type?: unknown }).type !== 'string') {
    throw new FlightError(Code.INVALID_ARGUMENT, 'frame JSON must be an object with a string "type"');
  }
  return value as Frame['json'];
}
