import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The C++ core builds and runs without Node: native/test/*.cc are compiled with the compiler that
// builds the addon, under AddressSanitizer where the toolchain has it. The core's sources are
// compiled once, in parallel, and each test links against those objects.
function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'binding.gyp')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

const packageRoot = findPackageRoot();
const compiler = process.env.CXX ?? 'g++';
const hasCompiler = spawnSync(compiler, ['--version']).status === 0;

const CORE_SOURCES = ['accounting.cc', 'bpe_encoder.cc', 'csv_block.cc', 'csv_cells.cc', 'csv_tokenizer.cc', 'fd_passing.cc', 'filter.cc', 'filter_fused.cc', 'filter_scan.cc', 'heap_allocator.cc', 'region.cc', 'shm_segments.cc'];

interface Compiled {
  readonly status: number | null;
  readonly stderr: string;
}

function flags(sanitize: boolean): string[] {
  return ['-std=c++17', '-Wall', '-Wextra', '-Werror', '-pthread', ...(sanitize ? ['-fsanitize=address,undefined'] : []), `-I${join(packageRoot, 'native', 'src')}`];
}

function compileWith(args: string[]): Promise<Compiled> {
  return new Promise((resolve) => {
    const child = spawn(compiler, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) => resolve({ status: null, stderr: String(error) }));
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

/** Every core source compiled to an object in `dir`, as many at once as there are CPUs; the first failure. */
async function compileCore(dir: string, sanitize: boolean): Promise<{ objects: string[]; failure?: Compiled }> {
  const objects = CORE_SOURCES.map((file) => join(dir, file.replace(/\.cc$/, '.o')));
  let next = 0;
  let failure: Compiled | undefined;
  const worker = async (): Promise<void> => {
    while (next < CORE_SOURCES.length && !failure) {
      const i = next++;
      const result = await compileWith([...flags(sanitize), '-c', join(packageRoot, 'native', 'src', 'core', CORE_SOURCES[i]!), '-o', objects[i]!]);
      if (result.status !== 0) failure ??= result;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, availableParallelism()) }, worker));
  return failure ? { objects, failure } : { objects };
}

let scratch = '';
let core: { objects: string[]; sanitize: boolean } | undefined;

/** Links native/test/<test> with the core's objects and runs it with `args`. */
function buildAndRun(test: string, args: string[]): ReturnType<typeof spawnSync> {
  assert.ok(core, 'the core did not compile (see the first test)');
  const binary = join(scratch, test.replace(/\.cc$/, ''));
  const build = spawnSync(compiler, [...flags(core.sanitize), join(packageRoot, 'native', 'test', test), ...core.objects, '-o', binary], { encoding: 'utf8' });
  assert.equal(build.status, 0, String(build.stderr));
  return spawnSync(binary, args, { encoding: 'utf8' });
}

const skip = hasCompiler ? false : `${compiler} not found`;

describe('native core (C++, without Node)', () => {
  before(async () => {
    if (!hasCompiler) return;
    scratch = mkdtempSync(join(tmpdir(), 'flightcache-core-'));
    let built = await compileCore(scratch, true);
    let sanitize = true;
    if (built.failure && /sanitize|asan|ubsan/i.test(built.failure.stderr)) {
      built = await compileCore(scratch, false);
      sanitize = false;
    }
    assert.equal(built.failure?.stderr, undefined, 'the core compiles without warnings');
    core = { objects: built.objects, sanitize };
  });
  after(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('passes its standalone tests', { skip }, () => {
    const run = buildAndRun('core_test.cc', []);
    assert.equal(run.stderr, '');
    assert.equal(run.stdout, 'core tests passed\n');
    assert.equal(run.status, 0);
  });

  it('passes the filter kernel tests: exact selections, scanned comparisons equal to loaded ones, and 20,000 random programs over random buffers inside their bounds', { skip }, () => {
    const run = buildAndRun('filter_test.cc', []);
    assert.equal(run.stderr, '');
    assert.equal(run.stdout, 'filter tests passed\n');
    assert.equal(run.status, 0);
  });

  it('passes the byte-pair encoder tests: pre-tokenizer pieces, merge order, special tokens, bytes that are not UTF-8, Unicode 16 classes', { skip }, () => {
    const run = buildAndRun('bpe_test.cc', []);
    assert.equal(run.stderr, '');
    assert.equal(run.stdout, 'bpe tests passed\n');
    assert.equal(run.status, 0);
  });

  it('passes the CSV reader tests: exact cells and records, blocks cut anywhere and parts on threads reading the same rows, random bytes inside their bounds', { skip }, () => {
    const run = buildAndRun('csv_test.cc', []);
    assert.equal(run.stderr, '');
    assert.equal(run.stdout, 'csv tests passed\n');
    assert.equal(run.status, 0);
  });

  it('passes the shared-memory segment and descriptor-passing tests in a scratch directory', { skip }, () => {
    const shmDir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'flightcache-shm-test-'));
    try {
      const run = buildAndRun('shm_test.cc', [shmDir]);
      assert.equal(run.stderr, '');
      assert.equal(run.stdout, 'shm tests passed\n');
      assert.equal(run.status, 0);
    } finally {
      rmSync(shmDir, { recursive: true, force: true });
    }
  });
});
