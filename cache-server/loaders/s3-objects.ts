/**
 * Reads objects of an S3-compatible store for `s3://bucket/key` sources: ListObjectsV2 and GetObject,
 * signed with AWS Signature Version 4, path-style URLs, to the store `s3-credentials.ts` resolves;
 * transient failures are retried (s3-retry.ts).
 */
import { createHash, createHmac } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { s3Config, type S3Config, type S3Options } from './s3-credentials.js';
import { isTransientStatus, TransientError, withRetries } from './s3-retry.js';

/** Splits `s3://bucket/key` into bucket and key. */
export function parseS3Url(url: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!match) throw new FlightError(Code.INVALID_ARGUMENT, `not an s3:// URL: ${JSON.stringify(url)}`);
  return { bucket: match[1]!, key: match[2]! };
}

const sha256 = (data: string): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data).digest();
/** RFC 3986 encoding as SigV4 wants it. */
const encode = (text: string): string => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Headers signing a request of `path` with `query` (SigV4, unsigned-payload hash of the empty body). */
export function signRequest(config: S3Config, path: string, query: Record<string, string>, now = new Date(), method: 'GET' | 'HEAD' = 'GET'): { url: string; headers: Record<string, string> } {
  const url = new URL(config.endpoint);
  const amzDate = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const canonicalPath = (url.pathname.replace(/\/$/, '') + path).split('/').map(encode).join('/');
  const canonicalQuery = Object.keys(query).sort().map((k) => `${encode(k)}=${encode(query[k]!)}`).join('&');
  const payload = sha256('');
  const headers: Record<string, string> = { host: url.host, 'x-amz-content-sha256': payload, 'x-amz-date': amzDate };
  if (config.sessionToken) headers['x-amz-security-token'] = config.sessionToken;
  const names = Object.keys(headers).sort();
  const canonical = [method, canonicalPath, canonicalQuery, ...names.map((n) => `${n}:${headers[n]}`), '', names.join(';'), payload].join('\n');
  const scope = `${day}/${config.region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${config.secretAccessKey}`, day), config.region), 's3'), 'aws4_request');
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${config.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
  return { url: `${url.origin}${canonicalPath}${canonicalQuery ? `?${canonicalQuery}` : ''}`, headers };
}

/** S3 error codes of a request whose signature or keys the store rejects. */
const CREDENTIAL_ERRORS = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken', 'TokenRefreshRequired']);

/** One request to the store. Headers in `headers` (Range, If-Match) travel unsigned, as SigV4 allows. */
export interface S3Request {
  readonly method?: 'GET' | 'HEAD';
  readonly path: string;
  readonly query?: Record<string, string>;
  readonly headers?: Record<string, string>;
  /** What the request is for, at the start of its errors. */
  readonly what: string;
  readonly signal?: AbortSignal | undefined;
}

const isAbort = (err: unknown): boolean => err instanceof Error && err.name === 'AbortError';

/** The FlightError of a failed response; transient ones (5xx, throttling) wrapped for a retry. */
async function responseError(config: S3Config, request: S3Request, response: Response): Promise<Error> {
  const body = request.method === 'HEAD' ? '' : await response.text().catch(() => '');
  const code = /<Code>([^<]*)<\/Code>/.exec(body)?.[1] ?? (response.status === 404 ? 'NoSuchKey' : String(response.status));
  const { what } = request;
  if (response.status === 403) {
    // Keys the store does not know (or a wrong secret) are not a missing permission.
    const grpc = CREDENTIAL_ERRORS.has(code) ? Code.UNAUTHENTICATED : Code.PERMISSION_DENIED;
    const message = /<Message>([^<]*)<\/Message>/.exec(body)?.[1];
    return new FlightError(grpc, `${what}: ${code}${message ? `: ${unescapeXml(message)}` : ''} (HTTP 403, access key ID ${config.accessKeyId})`);
  }
  const error = new FlightError(response.status === 404 ? Code.NOT_FOUND : Code.UNAVAILABLE, `${what}: ${code} (HTTP ${response.status})`);
  return isTransientStatus(response.status, code) ? new TransientError(error) : error;
}

/**
 * Sends a signed request with retries (s3-retry.ts) and hands the response to `consume`, inside the
 * retry, so a body cut short by a reset connection is fetched again too. `onStatus` may claim a
 * status (412 of an If-Match) before it becomes an error.
 */
export async function s3Request<T>(config: S3Config, request: S3Request, consume: (response: Response) => Promise<T>, onStatus?: (response: Response) => Error | undefined): Promise<T> {
  const { signal, what } = request;
  return withRetries(async () => {
    const { url, headers } = signRequest(config, request.path, request.query ?? {}, new Date(), request.method);
    let response: Response;
    try {
      response = await fetch(url, { method: request.method ?? 'GET', headers: { ...headers, ...request.headers }, ...(signal ? { signal } : {}) });
    } catch (err) {
      if (isAbort(err)) throw err;
      throw new TransientError(new FlightError(Code.UNAVAILABLE, `${what}: cannot reach ${config.endpoint}: ${causeOf(err)}`));
    }
    if (!response.ok) {
      const claimed = onStatus?.(response);
      if (!claimed) throw await responseError(config, request, response);
      await response.body?.cancel().catch(() => undefined);
      throw claimed;
    }
    try {
      return await consume(response);
    } catch (err) {
      if (isAbort(err) || err instanceof FlightError || err instanceof TransientError) throw err;
      throw new TransientError(new FlightError(Code.UNAVAILABLE, `${what}: the connection to ${config.endpoint} broke while reading: ${causeOf(err)}`));
    }
  }, signal);
}

/** A network error's reason: undici puts it in `cause` (ECONNRESET, ECONNREFUSED, ...). */
function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}

const unescapeXml = (text: string): string => text.replace(/&(lt|gt|quot|apos|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[e]!);

/** Every object under `prefix` in `bucket`, with its size, in key order. */
export async function listObjects(config: S3Config, bucket: string, prefix: string): Promise<Array<{ key: string; bytes: number }>> {
  const out: Array<{ key: string; bytes: number }> = [];
  let token: string | undefined;
  do {
    const query: Record<string, string> = { 'list-type': '2', prefix, ...(token ? { 'continuation-token': token } : {}) };
    const xml = await s3Request(config, { path: `/${bucket}`, query, what: `list s3://${bucket}/${prefix}` }, (response) => response.text());
    for (const [, body] of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
      const key = /<Key>([^<]*)<\/Key>/.exec(body!)?.[1];
      const size = /<Size>(\d+)<\/Size>/.exec(body!)?.[1];
      if (key !== undefined && size !== undefined) out.push({ key: unescapeXml(key), bytes: Number(size) });
    }
    token = /<IsTruncated>true<\/IsTruncated>/.test(xml) ? /<NextContinuationToken>([^<]*)<\/NextContinuationToken>/.exec(xml)?.[1] : undefined;
  } while (token);
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Streams object `key` of `bucket` into the file at `path`. */
export async function downloadObject(config: S3Config, bucket: string, key: string, path: string, signal?: AbortSignal): Promise<void> {
  await s3Request(config, { path: `/${bucket}/${key}`, what: `s3://${bucket}/${key}`, signal }, async (response) => {
    if (!response.body) throw new FlightError(Code.UNAVAILABLE, `s3://${bucket}/${key}: empty response`);
    await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream), createWriteStream(path), ...(signal ? [{ signal }] : []));
  });
}

/** Downloads `s3://bucket/key` into a new temporary directory; returns the file's path (the caller removes its directory). */
export async function downloadToTemp(url: string, options: S3Options | undefined, signal?: AbortSignal): Promise<string> {
  const { bucket, key } = parseS3Url(url);
  const path = join(await mkdtemp(join(tmpdir(), 'flightcache-load-')), basename(key));
  try {
    await downloadObject(s3Config(options), bucket, key, path, signal);
  } catch (err) {
    // A failed download leaves no temporary directory behind.
    await rm(dirname(path), { recursive: true, force: true });
    throw err;
  }
  return path;
}
