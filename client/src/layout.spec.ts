import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// Compiled to dist/client/src; the sources lie three levels up, under the repository root.
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const CLIENT = join(ROOT, 'client');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

test('the TypeScript client imports nothing outside client/ but packages (its specs also test/ helpers): it never depends on cache-server/', () => {
  const outside: string[] = [];
  for (const file of sources(join(CLIENT, 'src'))) {
    for (const match of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const target = resolve(dirname(file), match[1]!);
      const testHelper = file.endsWith('.spec.ts') && relative(ROOT, target).startsWith('test/');
      if (relative(CLIENT, target).startsWith('..') && !testHelper) outside.push(`${relative(ROOT, file)} imports ${match[1]}`);
    }
  }
  assert.deepEqual(outside, []);
});
