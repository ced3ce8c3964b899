import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { MachineInfo } from './machine.js';
import { envelopeOf, makeRecord, type RunContext } from './record.js';

const MACHINE: MachineInfo = { hostname: 'h', cpuModel: 'c', cores: 2, memoryBytes: 1, os: 'o', node: 'v20', python: '3.12.1', pyarrow: '25.0.1' };
const RUN: RunContext = {
  suite: 'doget',
  quick: true,
  only: undefined,
  source: { commit: 'abc123', dirty: true },
  machine: MACHINE,
  loadBefore: { one: 0.5, five: 0.25, fifteen: 0.125 },
  loadAfter: { one: 1.5, five: 0.75, fifteen: 0.25 },
  finished: new Date('2001-02-03T04:05:06.000Z'),
};

test('envelopeOf carries the commit, the dirty flag, the machine and the load before and after', () => {
  assert.deepEqual(envelopeOf(RUN), {
    suite: 'doget',
    quick: true,
    only: null,
    date: '2001-02-03T04:05:06.000Z',
    commit: 'abc123',
    dirty: true,
    machine: MACHINE,
    load: { before: { one: 0.5, five: 0.25, fifteen: 0.125 }, after: { one: 1.5, five: 0.75, fifteen: 0.25 } },
  });
});

test('envelopeOf records no commit and no dirty flag outside a git checkout', () => {
  const envelope = envelopeOf({ ...RUN, source: null, only: 'ours' });
  assert.equal(envelope.commit, null);
  assert.equal(envelope.dirty, null);
  assert.equal(envelope.only, 'ours');
});

test('makeRecord puts the envelope first and the suite data after it', () => {
  const record = makeRecord(envelopeOf(RUN), { params: { runs: 3 } });
  assert.deepEqual(Object.keys(record), ['suite', 'quick', 'only', 'date', 'commit', 'dirty', 'machine', 'load', 'params']);
});

test('makeRecord refuses suite data that would overwrite an envelope field', () => {
  assert.throws(() => makeRecord(envelopeOf(RUN), { commit: 'other' }), /suite doget returned "commit", a field of the record envelope/);
});
