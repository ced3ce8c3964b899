import assert from 'node:assert/strict';
import { test } from 'node:test';

import { readMemoryUse } from './servers.js';

test('readMemoryUse reports a resident size no larger than the peak for this process', () => {
  const use = readMemoryUse(process.pid);
  assert.ok(use.rssBytes > 0, `rss ${use.rssBytes}`);
  assert.ok(use.rssBytes <= use.peakRssBytes, `rss ${use.rssBytes} > peak ${use.peakRssBytes}`);
  assert.equal(use.rssBytes % 1024, 0);
});

test('readMemoryUse of a process that does not exist throws ENOENT', () => {
  assert.throws(() => readMemoryUse(2 ** 30), { code: 'ENOENT' });
});
