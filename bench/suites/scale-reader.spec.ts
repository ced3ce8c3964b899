import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ReaderProcess } from './scale-reader.js';

test('a reader that cannot reach its server rejects next() with its exit status and stderr', async () => {
  const reader = ReaderProcess.start('grpc://127.0.0.1:1', 'nothing', null, null, 'reader 0');
  await assert.rejects(reader.next(60_000), (err: Error) => {
    assert.match(err.message, /^reader 0 exited \(code 1, signal null\)/);
    assert.match(err.message, /--- stderr ---\n[\s\S]*FlightUnavailableError/);
    return true;
  });
  await reader.stop();
  assert.throws(() => reader.send('read 1'), /reader 0 exited/);
});
