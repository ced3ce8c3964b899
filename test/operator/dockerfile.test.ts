/**
 * The image's Dockerfile against what runs it (no image is built here: no Docker daemon or registry is
 * reachable): it copies only what exists, runs as the uid the manifests' securityContext names, and
 * its entrypoint is the flightcache command the pods' args follow.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { desiredObjects } from '../../operator/desired.js';
import { readDataCaches } from '../../operator/manifests.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

test('the Dockerfile build stage copies only paths of the checkout, and the runtime stage only what the build makes', () => {
  const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(' '));
  assert.deepEqual(sources.filter((path) => !existsSync(join(ROOT, path))), []);
  const built = [...dockerfile.matchAll(/^COPY --from=build \/src\/(\S+) \S+$/gm)].map((m) => m[1]!);
  assert.deepEqual(built, ['package.json', 'node_modules', 'build/Release/flightcache_native.node', 'dist', 'operator/manifests']);
  assert.deepEqual(built.filter((path) => !existsSync(join(ROOT, path))), []);
});

test('the image runs as the uid of the pods the operator creates and of the operator Deployment, with flightcache as its entrypoint', () => {
  assert.match(dockerfile, /^USER 65532:65532$/m);
  assert.match(dockerfile, /^ENTRYPOINT \["node", "\/app\/dist\/cache-server\/cli\/main\.js"\]$/m);
  assert.ok(existsSync(join(ROOT, 'dist/cache-server/cli/main.js')));
  for (const object of desiredObjects(readDataCaches(join(ROOT, 'operator/examples/datacache.yaml'))[0]!).filter((o) => o.kind === 'StatefulSet' || o.kind === 'Deployment')) {
    const pod = (object.spec as { template: { spec: { securityContext: { runAsUser: number }; containers: { args: string[] }[] } } }).template.spec;
    assert.equal(pod.securityContext.runAsUser, 65532);
    assert.ok(['shard', 'coordinator'].includes(pod.containers[0]!.args[0]!));
  }
  assert.match(readFileSync(join(ROOT, 'operator/manifests/base/operator.yaml'), 'utf8'), /runAsUser: 65532\n[\s\S]*args: \[operator, /);
});
