import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Decimal, Float32, Int32, LargeUtf8, TimeUnit, Timestamp, makeVector, vectorFromArray } from 'apache-arrow';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { arrowType, constantData, convertData } from './iceberg-types.js';

const values = (data: ReturnType<typeof constantData>): unknown[] => [...makeVector(data)].map((v) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));

test('arrowType gives the Arrow type of each Iceberg type', () => {
  const names = ['boolean', 'int', 'long', 'float', 'double', 'decimal(38, 10)', 'date', 'time', 'timestamp', 'timestamptz', 'timestamp_ns', 'string', 'uuid', 'fixed[5]', 'binary'];
  assert.deepEqual(names.map((n) => String(arrowType(n))), [
    'Bool', 'Int32', 'Int64', 'Float32', 'Float64', 'Decimal[38e+10]', 'Date32<DAY>', 'Time64<MICROSECOND>', 'Timestamp<MICROSECOND>', 'Timestamp<MICROSECOND, UTC>',
    'Timestamp<NANOSECOND>', 'Utf8', 'FixedSizeBinary[16]', 'FixedSizeBinary[5]', 'Binary',
  ]);
  assert.equal(String(arrowType({ type: 'list', 'element-id': 2, element: 'int', 'element-required': true })), 'List<Int32>');
  assert.throws(() => arrowType('variant'), (err: unknown) => err instanceof FlightError && err.code === Code.UNIMPLEMENTED && err.message === 'Iceberg type variant is not supported');
});

test('constantData repeats partition values (Avro form) and initial defaults (JSON form), or nulls', () => {
  assert.deepEqual(values(constantData(arrowType('int'), 7, 3)), [7, 7, 7]);
  assert.deepEqual(values(constantData(arrowType('long'), -9223372036854775808n, 2)), [-9223372036854775808n, -9223372036854775808n]);
  assert.deepEqual(values(constantData(arrowType('string'), 'eu', 2)), ['eu', 'eu']);
  assert.deepEqual(values(constantData(arrowType('boolean'), true, 2)), [true, true]);
  assert.deepEqual(values(constantData(arrowType('date'), '2024-01-31', 1)), [Date.UTC(2024, 0, 31)]);
  assert.deepEqual(values(constantData(arrowType('fixed[2]'), Buffer.from([1, 255]), 2)), ['01ff', '01ff']);
  assert.deepEqual(values(constantData(arrowType('string'), null, 2)), [null, null]);
  // -1.50 as Avro bytes (big-endian two's complement of -150) and as JSON text.
  const fromAvro = constantData(arrowType('decimal(9, 2)'), Buffer.from([0xff, 0x6a]), 1);
  const fromJson = constantData(arrowType('decimal(9, 2)'), '-1.50', 1);
  assert.deepEqual([...new Int32Array((fromAvro.values as Uint32Array).buffer)], [-150, -1, -1, -1]);
  assert.deepEqual([...new Int32Array((fromJson.values as Uint32Array).buffer)], [-150, -1, -1, -1]);
  assert.deepEqual(values(constantData(new Timestamp(TimeUnit.MICROSECOND, 'UTC'), '2024-01-01T00:00:01.5+00:00', 1)), [1704067201500]);
});

test('convertData promotes int to long, float to double, decimals wider, large strings to strings; other changes are undefined', () => {
  assert.deepEqual(values(convertData(vectorFromArray([1, null, -3], new Int32()).data[0]!, arrowType('long'))!), [1n, null, -3n]);
  assert.deepEqual(values(convertData(vectorFromArray([0.5, null], new Float32()).data[0]!, arrowType('double'))!), [0.5, null]);
  assert.equal(String(convertData(vectorFromArray([], new Decimal(2, 9, 128)).data[0]!, arrowType('decimal(18, 2)'))!.type), 'Decimal[18e+2]');
  assert.deepEqual(values(convertData(vectorFromArray(['a', null, 'bc'], new LargeUtf8()).data[0]!, arrowType('string'))!), ['a', null, 'bc']);
  assert.equal(convertData(vectorFromArray([1], new Int32()).data[0]!, arrowType('string')), undefined);
});
