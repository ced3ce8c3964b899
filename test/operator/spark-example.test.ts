/**
 * The Spark example (operator/examples/spark-write-to-cache.yaml): its SparkApplication and ConfigMap
 * are accepted by a real API server with the real SparkApplication CRD (github.com/kubeflow/spark-operator/v2),
 * and the writer script it mounts puts Arrow batches into a real flightcache node with DoPut (pyspark
 * is not installed here: the script's Spark half is not run).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, KubernetesObjectApi, PatchStrategy, loadAllYaml, type KubernetesObject } from '@kubernetes/client-node';
import { startCacheNode } from '../../cache-server/node/cache-node.js';
import { venvPython } from '../helpers/python.js';
import { installCrd, kubeCacheRoot, startControlPlane, unavailableReason, type ControlPlane } from './control-plane.js';

const EXAMPLE = fileURLToPath(new URL('../../../operator/examples/spark-write-to-cache.yaml', import.meta.url));
const SPARK_CRD = join(kubeCacheRoot(), 'crds', 'sparkoperator.k8s.io_sparkapplications.yaml');
const docs = () => loadAllYaml(readFileSync(EXAMPLE, 'utf8')) as (KubernetesObject & { data?: Record<string, string> })[];

test('the example writer script streams Arrow batches into a flightcache node with one DoPut', async () => {
  const node = await startCacheNode({ port: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'fc-spark-'));
  try {
    writeFileSync(join(dir, 'write_to_cache.py'), docs()[0]!.data!['write_to_cache.py']!);
    // Not execFileSync: the node answers from this process's event loop.
    const { stdout: sent } = await promisify(execFile)(
      venvPython(),
      [
        '-c',
        `import sys, pyarrow as pa
sys.path.insert(0, sys.argv[1])
from write_to_cache import put_batches
table = pa.table({"user": pa.array(range(1000), pa.int64()), "clicks": pa.array([i % 7 for i in range(1000)], pa.int32())})
print(put_batches(sys.argv[2], "clicks", table.schema, table.to_batches(max_chunksize=300)))`,
        dir,
        node.url,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(sent.trim(), '1000');
    const dataset = node.store.get('clicks');
    assert.equal(dataset?.rows, 1000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await node.close();
  }
});

const skip = unavailableReason() ?? (existsSync(SPARK_CRD) ? undefined : `no ${SPARK_CRD}: run bash scripts/kube-crds.sh`);
if (skip) console.log(`# skipping the SparkApplication example on a real API server: ${skip}`);

describe('the Spark example on a real API server', { skip }, () => {
  let cp: ControlPlane;
  before(async () => {
    cp = await startControlPlane();
    await installCrd(cp, SPARK_CRD);
    await cp.kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: 'ml' } } });
  });
  after(async () => cp?.stop());

  test('its ConfigMap and SparkApplication are accepted with the real SparkApplication CRD', async () => {
    const objects = KubernetesObjectApi.makeApiClient(cp.kubeConfig);
    const applied = [];
    for (const doc of docs()) applied.push(await objects.patch(doc, undefined, undefined, 'spark-example-test', true, PatchStrategy.ServerSideApply));
    assert.deepEqual(applied.map((o) => `${o.kind}/${o.metadata?.name}`), ['ConfigMap/flightcache-spark-writer', 'SparkApplication/clicks-to-cache']);
    const app = applied[1] as KubernetesObject & { spec: { mainApplicationFile: string; driver: { env: { name: string; value: string }[] } } };
    assert.equal(app.spec.mainApplicationFile, 'local:///opt/flightcache/write_to_cache.py');
    assert.deepEqual(app.spec.driver.env, [{ name: 'FLIGHTCACHE_ENDPOINT', value: 'grpc://imagenet-coordinator.ml.svc:8815' }]);
  });
});
