/**
 * The mutating admission webhook for TrainJobs, served over HTTPS: on CREATE of a TrainJob annotated
 * `flightcache.io/cache: NAME` it answers with the JSON patch of operator/trainjob.ts for that DataCache.
 * Every operator replica serves it (not only the leader): it reads the DataCache and writes nothing.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { DEFAULT_TLS_RELOAD_MS, type TlsCredentials } from '../client/src/flight/http2/tls.js';
import { silentLogger, type Logger } from '../cache-server/logger.js';
import { GROUP, PLURAL, VERSION, type DataCache } from './datacache.js';
import { cacheJsonPatch, cacheNameOf, type TrainJob } from './trainjob.js';

/** The path the MutatingWebhookConfiguration calls. */
export const TRAINJOB_WEBHOOK_PATH = '/mutate-trainjob';
const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface WebhookOptions {
  host: string;
  port: number;
  /** The serving certificate and key (a kubernetes.io/tls Secret mounted as files), reloaded when they change. */
  tls: TlsCredentials;
  logger?: Logger;
}

interface AdmissionRequest {
  uid: string;
  operation: string;
  namespace?: string;
  object?: TrainJob;
}

/** What the webhook answers one AdmissionReview request with. */
export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  patchType?: 'JSONPatch';
  patch?: string;
  status?: { code: number; reason: string; message: string };
}

/** A running webhook server. */
export interface Webhook {
  port: number;
  close(): Promise<void>;
}

/** Starts the HTTPS server; resolves once it listens. */
export async function startWebhook(kc: KubeConfig, options: WebhookOptions): Promise<Webhook> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const logger = options.logger ?? silentLogger;
  const { cert, key } = options.tls.current;
  const server: Server = createServer({ cert, key }, (req, res) => void handle(req, res, custom, logger));
  const reload = setInterval(() => {
    options.tls.refresh().then(
      (changed) => changed && server.setSecureContext({ cert: options.tls.current.cert, key: options.tls.current.key }),
      (err: unknown) => logger.warn({ err }, 'webhook certificate reload failed; keeping the current one'),
    );
  }, DEFAULT_TLS_RELOAD_MS);
  reload.unref();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(options.port, options.host, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      clearInterval(reload);
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, custom: CustomObjectsApi, logger: Logger): Promise<void> {
  const reply = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  if (req.method !== 'POST' || req.url?.split('?')[0] !== TRAINJOB_WEBHOOK_PATH) return reply(404, { message: `no webhook at ${req.method} ${req.url}` });
  let request: AdmissionRequest;
  try {
    request = parseReview(await readBody(req));
  } catch (err) {
    return reply(400, { message: (err as Error).message });
  }
  try {
    reply(200, { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: await admit(request, custom) });
  } catch (err) {
    // The API server applies the webhook's failurePolicy to a 500.
    logger.warn({ err, uid: request.uid }, 'admission failed');
    reply(500, { message: `reading the DataCache failed: ${String(err)}` });
  }
}

/** The answer for one request: allowed unchanged without the annotation, patched with it, denied when the cache does not exist. */
export async function admit(request: AdmissionRequest, custom: CustomObjectsApi): Promise<AdmissionResponse> {
  const job = request.object;
  const name = job && cacheNameOf(job);
  if (!job || request.operation !== 'CREATE' || name === undefined) return { uid: request.uid, allowed: true };
  const namespace = request.namespace ?? job.metadata.namespace;
  let cache: DataCache;
  try {
    cache = (await custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace, name })) as DataCache;
  } catch (err) {
    if ((err as { code?: number }).code !== 404) throw err;
    return { uid: request.uid, allowed: false, status: { code: 404, reason: 'NotFound', message: `TrainJob annotation flightcache.io/cache names DataCache "${name}", which does not exist in namespace "${namespace}"` } };
  }
  const patch = Buffer.from(JSON.stringify(cacheJsonPatch(job, cache))).toString('base64');
  return { uid: request.uid, allowed: true, patchType: 'JSONPatch', patch };
}

function parseReview(body: string): AdmissionRequest {
  let review: { apiVersion?: unknown; kind?: unknown; request?: AdmissionRequest };
  try {
    review = JSON.parse(body) as typeof review;
  } catch {
    throw new Error('the body is not JSON');
  }
  if (review?.apiVersion !== 'admission.k8s.io/v1' || review.kind !== 'AdmissionReview') throw new Error('expected an admission.k8s.io/v1 AdmissionReview');
  const request = review.request;
  if (typeof request?.uid !== 'string' || typeof request.operation !== 'string') throw new Error('the AdmissionReview has no request with a uid and an operation');
  if (request.object !== undefined && (request.object?.kind !== 'TrainJob' || typeof request.object.metadata !== 'object' || typeof request.object.spec !== 'object')) {
    throw new Error('the AdmissionReview object is not a TrainJob with metadata and spec');
  }
  return request;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error(`the body exceeds ${MAX_BODY_BYTES} bytes`));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
