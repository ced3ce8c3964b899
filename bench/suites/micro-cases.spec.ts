import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { FlightData, FlightInfo } from '../../client/src/flight/protocol/messages.js';
import { lastResult, MESSAGE_ROWS, microCases } from './micro-cases.js';

test('microCases names each case once and every baseline is one of the cases', () => {
  const cases = microCases();
  const names = cases.map((c) => c.name);
  assert.equal(new Set(names).size, names.length);
  for (const c of cases) if (c.baseline !== undefined) assert.ok(names.includes(c.baseline), `${c.name} -> ${c.baseline}`);
});

test('the decode cases rebuild the 2 MiB body the encode cases sent', () => {
  const cases = new Map(microCases().map((c) => [c.name, c]));
  cases.get('flightdata-decode')!.fn();
  const decoded = lastResult() as FlightData;
  assert.equal(decoded.dataBody.length, MESSAGE_ROWS * 48);
  assert.ok(decoded.dataHeader.length > 0);
  cases.get('grpc-frame-decode')!.fn();
  assert.equal(lastResult(), cases.get('grpc-frame-decode')!.bytesPerOp! - 5);
  cases.get('grpc-frame-decode-flightdata')!.fn();
  assert.deepEqual((lastResult() as FlightData).dataBody, decoded.dataBody);
  cases.get('flightdata-decode-native')!.fn();
  assert.deepEqual((lastResult() as FlightData).dataBody, decoded.dataBody);
});

test('the FlightInfo decode case returns what the encode case encoded', () => {
  const cases = new Map(microCases().map((c) => [c.name, c]));
  cases.get('flightinfo-decode')!.fn();
  const info = lastResult() as FlightInfo;
  assert.equal(info.totalRecords, BigInt(MESSAGE_ROWS));
  assert.deepEqual(info.flightDescriptor?.path, ['epoch']);
  assert.equal(info.endpoints[0]!.locations[0]!.uri, 'grpc://127.0.0.1:47011');
});

test('every case runs once without throwing', () => {
  for (const c of microCases()) assert.doesNotThrow(c.fn, c.name);
});
