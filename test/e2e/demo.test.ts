/** `npm start` runs `flightcache demo`: an embedded cluster must load the demo data, print the ready line, and stream two epochs. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../helpers/python.js';

const CLI = join(repoRoot(), 'dist', 'cache-server', 'cli', 'main.js');

test('the demo prints the ready line once data is loaded, then one line per epoch with rows/s and GB/s', async () => {
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, [CLI, 'demo', '--port', '0', '--token-mb', '8', '--exit'], { timeout: 120_000 }, (err, out, errOut) =>
      err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out),
    ),
  );
  const lines = stdout.trim().split('\n');
  assert.match(lines[0]!, /^flightcache ready grpc:\/\/127\.0\.0\.1:\d+$/);
  const loaded = /^loaded flights \(200000 rows, [\d.]+ MiB\) and tokens \((\d+) rows, [\d.]+ MiB\) into 2 shards x 2 replicas$/.exec(lines[1]!);
  assert.ok(loaded, lines[1]);
  const tokenRows = Number(loaded[1]);
  assert.equal(tokenRows % 1024, 0);
  for (const epoch of [1, 2]) {
    assert.match(lines[1 + epoch]!, new RegExp(`^epoch ${epoch}: ${200000 + tokenRows} rows in [\\d.]+ s: [\\d,]+ rows/s, [\\d.]+ GB/s$`));
  }
  assert.equal(lines.length, 4);
});
