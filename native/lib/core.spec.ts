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

function compile(output: string, sanitize: boolean): ReturnType<typeof spawnSync> {
  const core = ['accounting.cc', 'heap_allocator.cc', 'region.cc'].map((file) => join(packageRoot, 'native', 'src', 'core', file));
  const flags = ['-std=c++17', '-Wall', '-Wextra', '-Werror', ...(sanitize ? ['-fsanitize=address,undefined'] : [])];
  return spawnSync(compiler, [...flags, `-I${join(packageRoot, 'native', 'src')}`, ...core, join(packageRoot, 'native', 'test', 'core_test.cc'), '-o', output], {
    encoding: 'utf8',
  });
}

describe('native core (C++, without Node)', () => {
  it('passes its standalone tests', { skip: hasCompiler ? false : `${compiler} not found` }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'flightcache-core-'));
    try {
      const binary = join(dir, 'core_test');
      let build = compile(binary, true);
      if (build.status !== 0 && /sanitize|asan|ubsan/i.test(String(build.stderr))) build = compile(binary, false);
      assert.equal(build.status, 0, String(build.stderr));
      const run = spawnSync(binary, { encoding: 'utf8' });
      assert.equal(run.stderr, '');
      assert.equal(run.stdout, 'core tests passed\n');
      assert.equal(run.status, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
