// Runs every compiled test: co-located unit specs (*.spec.js) and test/ suites (*.test.js).
// Node 20's test runner takes no globs, so the files are listed here.
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
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
