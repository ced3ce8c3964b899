/**
 * Ranged reads of one S3 object, so readers fetch only the bytes they need (a Parquet footer and the
 * column chunks asked for) instead of downloading the object. The object's ETag is taken when it is
 * opened and every range asks for it (If-Match): an object replaced mid-load fails with ABORTED
 * instead of mixing two versions.
 */
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { s3Config, type S3Config, type S3Options } from './s3-credentials.js';
import { parseS3Url, s3Request } from './s3-objects.js';

/** Random access to the bytes of a file, local or remote. */
export interface ByteSource {
  readonly size: number;
  /** Exactly `length` bytes at `position` (INVALID_ARGUMENT past the end). */
  read(position: number, length: number): Promise<Uint8Array>;
}

/** An S3 object opened for ranged reads. */
export class S3Object implements ByteSource {
  /** The first error a read threw. */
  failure: FlightError | undefined;
  /** Rejects with the first error a read throws. */
  readonly failed: Promise<never>;
  #fail: (error: FlightError) => void = () => undefined;

  private constructor(
    private readonly config: S3Config,
    readonly url: string,
    private readonly path: string,
    readonly size: number,
    readonly etag: string,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.failed = new Promise<never>((_, reject) => {
      this.#fail = reject;
    });
    // Only readers that race it (parquet-reader.ts) wait on it.
    this.failed.catch(() => undefined);
  }

  /** HEADs `s3://bucket/key` for its size and ETag. */
  static async open(url: string, options: S3Options | undefined, signal?: AbortSignal): Promise<S3Object> {
    const { bucket, key } = parseS3Url(url);
    const config = s3Config(options);
    const path = `/${bucket}/${key}`;
    const { size, etag } = await s3Request(config, { method: 'HEAD', path, what: url, signal }, async (response) => ({
      size: Number(response.headers.get('content-length')),
      etag: response.headers.get('etag') ?? '',
    }));
    if (!Number.isSafeInteger(size)) throw new FlightError(Code.UNAVAILABLE, `${url}: the store sent no Content-Length`);
    return new S3Object(config, url, path, size, etag, signal);
  }

  async read(position: number, length: number): Promise<Uint8Array> {
    try {
      return await this.#read(position, length);
    } catch (err) {
      if (!this.failure) {
        this.failure = FlightError.from(err);
        this.#fail(this.failure);
      }
      throw err;
    }
  }

  async #read(position: number, length: number): Promise<Uint8Array> {
    if (position < 0 || length < 0 || position + length > this.size) {
      throw new FlightError(Code.INVALID_ARGUMENT, `${this.url}: truncated: ${length} bytes wanted at offset ${position} of a ${this.size}-byte object`);
    }
    if (length === 0) return new Uint8Array(0);
    const changed = (): FlightError => new FlightError(Code.ABORTED, `${this.url} changed while it was read (ETag ${this.etag} when the load opened it); load it again`);
    const headers: Record<string, string> = { range: `bytes=${position}-${position + length - 1}`, ...(this.etag ? { 'if-match': this.etag } : {}) };
    return s3Request(
      this.config,
      { path: this.path, headers, what: `${this.url} bytes ${position}-${position + length - 1}`, signal: this.signal },
      async (response) => {
        // A store that ignores If-Match still names the version it sent.
        const etag = response.headers.get('etag');
        if (this.etag && etag && etag !== this.etag) throw changed();
        const bytes = new Uint8Array(await response.arrayBuffer());
        if (response.status !== 206 && bytes.length === this.size) return bytes.subarray(position, position + length);
        if (bytes.length !== length) throw new FlightError(Code.UNAVAILABLE, `${this.url}: asked for ${length} bytes at offset ${position}, got ${bytes.length} (HTTP ${response.status})`);
        return bytes;
      },
      (response) => (response.status === 412 ? changed() : undefined),
    );
  }

  /**
   * The object as the Blob that parquet-wasm's `ParquetFile.fromFile` reads (it uses `size`, `slice`
   * and `arrayBuffer` only). A failed read never settles: parquet-wasm 0.8 panics (and takes the
   * process down) when a slice's read rejects mid-stream, so its caller races `failed` instead and
   * abandons the file (the pending read stays referenced by WASM memory, a few hundred bytes).
   */
  asBlob(): Blob {
    const slice = (start = 0, end = this.size): { arrayBuffer(): Promise<ArrayBuffer> } => ({
      arrayBuffer: async () => {
        const [from, to] = [Math.max(0, start), Math.min(this.size, end)];
        const bytes = await this.read(from, Math.max(0, to - from)).catch(() => new Promise<never>(() => undefined));
        return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
      },
    });
    return { size: this.size, slice } as unknown as Blob;
  }
}

/**
 * Reads through a window of `windowBytes`: readers that take a message's length prefix, header and
 * body in three small reads (Arrow IPC) make one ranged request per window instead of three each.
 */
export function readAhead(source: ByteSource, windowBytes: number): ByteSource {
  let start = 0;
  let window: Uint8Array = new Uint8Array(0);
  return {
    size: source.size,
    async read(position: number, length: number): Promise<Uint8Array> {
      if (position >= start && position + length <= start + window.length) return window.subarray(position - start, position - start + length);
      if (length >= windowBytes || position + length > source.size) return source.read(position, length);
      start = position;
      window = await source.read(position, Math.min(windowBytes, source.size - position));
      return window.subarray(0, length);
    },
  };
}
