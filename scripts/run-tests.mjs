// Runs every compiled test: co-located unit specs (*.spec.js) and test/ suites (*.test.js).
// Node 20's test runner takes no globs, so the files are listed here. Files run two at a time
// (most are CPU-bound in one process, and the machines have at least 2 cores), except those whose
// outcome depends on timing: failure detection, leases, kills mid-read, soaks. Those run one at a
// time afterwards, with the machine to themselves, as they were written for.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const roots = ['dist/cache-server', 'dist/client', 'dist/native', 'dist/bench', 'dist/operator', 'dist/test'];
const filter = process.argv[2];

function walk(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (/\.(spec|test)\.js$/.test(name) && (!filter || path.includes(filter))) out.push(path);
  }
  return out;
}

const files = roots.flatMap((root) => walk(root, [])).sort();
if (files.length === 0) {
  console.error('no test files found (did the build run?)');
  process.exit(1);
}
const SERIAL = ['dist/test/cluster/', 'dist/test/ops/', 'dist/test/e2e/', 'dist/test/operator/leader.test.js', 'dist/test/node/same-host-failures.test.js', 'dist/test/interop/pytest.test.js'];
const serial = files.filter((path) => SERIAL.some((prefix) => path.startsWith(prefix)));
const parallel = files.filter((path) => !serial.includes(path));

/** Runs `lane` under Node's test runner, `concurrency` files at a time; true when every test passed. */
function run(lane, concurrency) {
  if (lane.length === 0) return true;
  const result = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, ...lane], { stdio: 'inherit' });
  return result.status === 0;
}

const passed = [run(parallel, 2), run(serial, 1)];
process.exit(passed.every(Boolean) ? 0 : 1);
