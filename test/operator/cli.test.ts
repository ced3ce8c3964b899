import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../cache-server/cli/main.js', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../../operator/examples/datacache.yaml', import.meta.url));

test('flightcache operator --dry-run -f prints the objects of the example DataCache', () => {
  const run = spawnSync(process.execPath, [MAIN, 'operator', '--dry-run', '-f', EXAMPLE], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const docs = run.stdout.split('---\n');
  assert.deepEqual(
    docs.map((doc) => `${/^kind: (\w+)$/m.exec(doc)?.[1]}/${/^ {2}name: (\S+)$/m.exec(doc)?.[1]}`),
    [
      'Service/imagenet-shards', 'StatefulSet/imagenet-shards', 'PodDisruptionBudget/imagenet-shards', 'Service/imagenet-coordinator', 'Deployment/imagenet-coordinator',
      'ServiceAccount/imagenet-coordinator', 'RoleBinding/imagenet-coordinator', 'PodDefault/flightcache-imagenet',
    ],
  );
  assert.ok(docs[7]!.startsWith('# applied where the API server serves PodDefaults (kubeflow.org/v1alpha1, Kubeflow installed)\napiVersion: kubeflow.org/v1alpha1\n'), docs[7]);
  assert.match(docs[1]!, /^ {2}replicas: 3$/m);
  assert.match(docs[4]!, /- '--shard-dns'\n\s+- imagenet-shards\.ml\.svc:8815\n/);
  assert.match(docs[4]!, /- '--leader-lease'\n\s+- imagenet-coordinator\n/);
  assert.match(docs[4]!, /^ {2}replicas: 2$/m);
});

test('flightcache operator --dry-run without -f fails with INVALID_ARGUMENT', () => {
  const run = spawnSync(process.execPath, [MAIN, 'operator', '--dry-run'], { encoding: 'utf8' });
  assert.equal(run.status, 1);
  assert.equal(run.stderr, 'flightcache: INVALID_ARGUMENT: operator --dry-run needs -f FILE\n');
});

test('flightcache operator --lease-duration must be whole seconds: 1500ms fails with INVALID_ARGUMENT before connecting', () => {
  const run = spawnSync(process.execPath, [MAIN, 'operator', '--lease-duration', '1500ms'], { encoding: 'utf8' });
  assert.equal(run.status, 1);
  assert.equal(run.stderr, 'flightcache: INVALID_ARGUMENT: --lease-duration must be whole seconds, at least 1s, got "1500ms"\n');
});
