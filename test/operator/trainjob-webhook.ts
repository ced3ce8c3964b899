/**
 * Serves our TrainJob webhook to a real API server: the serving certificate as a kubernetes.io/tls Secret,
 * its files written as a volume mount holds them, and a MutatingWebhookConfiguration with `url` and
 * `caBundle` pointing at the webhook (failure policy Fail, only TrainJobs carrying the annotation).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AdmissionregistrationV1Api, CoreV1Api } from '@kubernetes/client-node';
import { TlsCredentials } from '../../client/src/flight/http2/tls.js';
import { TRAINJOB_WEBHOOK_PATH, startWebhook, type Webhook } from '../../operator/webhook.js';
import type { TestPki } from '../helpers/certificates.js';
import type { ControlPlane } from './control-plane.js';

/** Starts the webhook on a loopback port with `pki`'s node certificate and registers it with `cp`. */
export async function registerTrainJobWebhook(cp: ControlPlane, pki: TestPki, namespace: string): Promise<Webhook> {
  // The kubelet writes each key of a mounted Secret to a file of that name: the webhook reads those.
  const core = cp.kubeConfig.makeApiClient(CoreV1Api);
  const secret = await core.createNamespacedSecret({
    namespace,
    body: { metadata: { name: 'flightcache-webhook-tls' }, type: 'kubernetes.io/tls', data: { 'tls.crt': pki.read(pki.node.cert).toString('base64'), 'tls.key': pki.read(pki.node.key).toString('base64') } },
  });
  const mount = join(pki.dir, 'webhook-tls');
  mkdirSync(mount);
  for (const [file, data] of Object.entries(secret.data ?? {})) writeFileSync(join(mount, file), Buffer.from(data, 'base64'));
  const tls = new TlsCredentials({ cert: join(mount, 'tls.crt'), key: join(mount, 'tls.key') });
  const webhook = await startWebhook(cp.kubeConfig, { host: '127.0.0.1', port: 0, tls });
  await cp.kubeConfig.makeApiClient(AdmissionregistrationV1Api).createMutatingWebhookConfiguration({
    body: {
      metadata: { name: 'flightcache-trainjobs' },
      webhooks: [
        {
          name: 'trainjobs.flightcache.io',
          clientConfig: { url: `https://127.0.0.1:${webhook.port}${TRAINJOB_WEBHOOK_PATH}`, caBundle: pki.read(pki.ca.cert).toString('base64') },
          rules: [{ apiGroups: ['trainer.kubeflow.org'], apiVersions: ['v1alpha1'], operations: ['CREATE'], resources: ['trainjobs'] }],
          matchConditions: [{ name: 'names-a-cache', expression: "has(object.metadata.annotations) && 'flightcache.io/cache' in object.metadata.annotations" }],
          failurePolicy: 'Fail',
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
          timeoutSeconds: 10,
        },
      ],
    },
  });
  return webhook;
}
