import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePrometheus, sampleValue } from './prometheus.js';

const family = (type: string, name: string, ...samples: string[]): string => [`# HELP ${name} Help.`, `# TYPE ${name} ${type}`, ...samples].join('\n') + '\n';

test('parses families, labels with escapes, histogram samples and special values', () => {
  const text =
    family('counter', 'calls_total', 'calls_total{method="DoGet",code="OK"} 3', 'calls_total{method="a\\"b\\\\c\\nd",code="OK"} 1') +
    family('histogram', 'latency_seconds', 'latency_seconds_bucket{le="0.1"} 1', 'latency_seconds_bucket{le="+Inf"} 2', 'latency_seconds_sum 0.3', 'latency_seconds_count 2') +
    family('gauge', 'temperature', 'temperature{at="a"} -Inf', 'temperature{at="b"} Nan', 'temperature{at="c"} 1.5e-3');
  const parsed = parsePrometheus(text);
  assert.deepEqual([...parsed.keys()], ['calls_total', 'latency_seconds', 'temperature']);
  assert.equal(sampleValue(parsed, 'calls_total', { method: 'DoGet' }), 3);
  assert.equal(sampleValue(parsed, 'calls_total', { method: 'a"b\\c\nd' }), 1);
  assert.equal(sampleValue(parsed, 'latency_seconds_bucket', { le: '+Inf' }), 2);
  assert.equal(sampleValue(parsed, 'latency_seconds_count'), 2);
  assert.deepEqual(['a', 'b', 'c'].map((at) => sampleValue(parsed, 'temperature', { at })), [-Infinity, NaN, 0.0015]);
  assert.throws(() => sampleValue(parsed, 'calls_total'), /2 samples of calls_total/);
});

test('rejects what the format does not allow', () => {
  const cases: Array<[string, RegExp]> = [
    ['x 1\n', /before its family's TYPE/],
    ['# TYPE x gauge\nx 1\n', /no HELP before its TYPE/],
    [family('counter', 'calls', 'calls 1'), /does not end in _total/],
    [family('gauge', 'x', 'x{a="1"} 1', 'x{a="1"} 2'), /series repeated/],
    [family('gauge', 'x', 'x{a="1} 1'), /unterminated label value/],
    [family('gauge', 'x', 'x{a="\\t"} 1'), /bad escape/],
    [family('gauge', 'x', 'x{1a="1"} 1'), /bad label/],
    [family('gauge', 'x', 'x one'), /bad value/],
    [family('gauge', 'x', 'x 0x10'), /bad value/],
    [family('gauge', 'x', 'x 1 2 3'), /bad value/],
    [family('gauge', 'x', 'x_bucket 1'), /before its family's TYPE/],
    [family('gauge', 'x') + family('gauge', 'x'), /declared twice/],
    [family('histogramm', 'x'), /bad type/],
  ];
  for (const [text, error] of cases) assert.throws(() => parsePrometheus(text), error, text);
});
