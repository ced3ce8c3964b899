// Builds build/Release/flightcache_native.node with the node-gyp that ships inside npm, so a machine
// with only node, npm, python3, make and a C++ compiler can build it. When the running node has its
// headers installed next to it (official tarballs, distro packages with include/node), they are
// used, so no header download (and no network) is needed.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function findNodeGyp() {
  const nodeBin = dirname(process.execPath);
  const candidates = [
    process.env.npm_config_node_gyp, // set by npm for lifecycle scripts
    join(nodeBin, '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(nodeBin, 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'), // Windows layout
    join(packageRoot, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  return candidates.find((candidate) => candidate && existsSync(candidate));
}

// The install prefix of the running node, when its headers there match this node's version.
function localNodeDir() {
  const prefix = resolve(process.execPath, '..', '..');
  const versionHeader = join(prefix, 'include', 'node', 'node_version.h');
  if (!existsSync(join(prefix, 'include', 'node', 'common.gypi')) || !existsSync(versionHeader)) return undefined;
  const text = readFileSync(versionHeader, 'utf8');
  const part = (name) => text.match(new RegExp(`#define NODE_${name}_VERSION (\\d+)`))?.[1];
  const version = `v${part('MAJOR')}.${part('MINOR')}.${part('PATCH')}`;
  return version === process.version ? prefix : undefined;
}

const nodeGyp = findNodeGyp();
if (!nodeGyp) {
  console.error('build-addon: cannot find node-gyp (looked in npm_config_node_gyp and the npm next to node)');
  process.exit(1);
}
const args = [nodeGyp, 'rebuild'];
const nodeDir = process.env.npm_config_nodedir ? undefined : localNodeDir();
if (nodeDir) args.push(`--nodedir=${nodeDir}`);
const result = spawnSync(process.execPath, args, { cwd: packageRoot, stdio: 'inherit' });
process.exit(result.status ?? 1);
