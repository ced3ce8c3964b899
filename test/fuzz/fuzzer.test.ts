import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CoverageTracker } from './coverage.js';
import { fuzz } from './fuzzer.js';
import { magicTarget } from './magic-target.fixture.js';
import { Random } from './mutate.js';
import { crashOf } from './targets.js';

test('coverage guidance finds a crash behind three nested nibble checks, keeping each input that passes one more', () => {
  const tracker = new CoverageTracker('/dist/test/fuzz/magic-target.fixture');
  try {
    const report = fuzz(magicTarget, magicTarget.seeds(), tracker, new Random(11), { execs: 8000, stopAtCrash: true });
    assert.equal(report.crashes.length, 1, `no crash in ${report.execs} executions`);
    const [crash] = report.crashes;
    assert.match(crash!.where, /^TypeError: magic reached @ /);
    assert.deepEqual([...crash!.input.subarray(0, 3)].map((byte) => byte >> 4), [0x4, 0x5, 0x6]);
    assert.ok(report.added.length >= 2, 'each passed check is new coverage, kept in the corpus');
  } finally {
    tracker.close();
  }
});

test('an input that only raises FlightError is no crash; anything else is', () => {
  assert.equal(crashOf(magicTarget, Buffer.from('AQ!')), undefined);
  assert.match(String(crashOf(magicTarget, Buffer.from('AQa'))), /TypeError: magic reached/);
});
