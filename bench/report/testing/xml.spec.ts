import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { xmlRootTags } from './xml.js';

test('xmlRootTags returns the root tag of a well-formed file and rejects an unescaped ampersand', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'xml-'));
  try {
    const good = join(dir, 'good.xml');
    const bad = join(dir, 'bad.xml');
    writeFileSync(good, '<a><b>x &amp; y</b></a>');
    writeFileSync(bad, '<a><b>x & y</b></a>');
    assert.deepEqual(await xmlRootTags([good]), ['a']);
    await assert.rejects(xmlRootTags([good, bad]), { message: `${bad} is not well-formed XML: not well-formed (invalid token): line 1, column 9` });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
