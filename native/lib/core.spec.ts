import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The C++ core builds and runs without Node: compile native/test/core_test.cc with the compiler
// that builds the addon, under AddressSanitizer where the toolchain has it.
function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'binding.gyp')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

const packageRoot = findPackageRoot();
const compiler = process.env.CXX ?? 'g++';
const hasCompiler = spawnSync(compiler, ['--version']).status === 0;

const CORE_SOURCES = ['accounting.cc', 'bpe_encoder.cc', 'csv_block.cc', 'csv_cells.cc', 'csv_tokenizer.cc', 'fd_passing.cc', 'filter.cc', 'filter_fused.cc', 'filter_scan.cc', 'heap_allocator.cc', 'region.cc', 'shm_segments.cc'];

function compile(test: string, output: string, sanitize: boolean): ReturnType<typeof spawnSync> {
  const core = CORE_SOURCES.map((file) => join(packageRoot, 'native', 'src', 'core', file));
  const flags = ['-std=c++17', '-Wall', '-Wextra', '-Werror', '-pthread', ...(sanitize ? ['-fsanitize=address,undefined'] : [])];
  return spawnSync(compiler, [...flags, `-I${join(packageRoot, 'native', 'src')}`, ...core, join(packageRoot, 'native', 'test', test), '-o', output], {
    encoding: 'utf8',
  });
}

/** Builds native/test/<test> (under the sanitizers when available) and runs it with `args`. */
function buildAndRun(test: string, args: string[]): ReturnType<typeof spawnSync> {
  const dir = mkdtempSync(join(tmpdir(), 'flightcache-core-'));
  try {
    const binary = join(dir, 'test');
    let build = compile(test, binary, true);
    if (build.status !== 0 && /sanitize|asan|ubsan/i.test(String(build.stderr))) build = compile(test, binary, false);
    assert.equal(build.status, 0, String(build.stderr));
    return spawnSync(binary, args, { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const skip = hasCompiler ? false : `${compiler} not found`;

describe('native core (C++, without Node)', () => {
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
    const scratch = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'flightcache-shm-test-'));
    try {
      const run = buildAndRun('shm_test.cc', [scratch]);
      assert.equal(run.stderr, '');
      assert.equal(run.stdout, 'shm tests passed\n');
      assert.equal(run.status, 0);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
