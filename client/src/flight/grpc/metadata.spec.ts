import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Code, FlightError } from '../errors.js';
import { metadataFromHeaders, metadataToHeaders } from './metadata.js';

/** Flattens an outgoing header object into Node's raw [name, value, ...] list. */
function raw(headers: Record<string, unknown>): string[] {
  return Object.entries(headers).flatMap(([k, v]) => (Array.isArray(v) ? v.flatMap((x) => [k, String(x)]) : [k, String(v)]));
}

describe('metadataFromHeaders', () => {
  it('drops pseudo-headers and transport headers', () => {
    const md = metadataFromHeaders([
      ':path', '/a/B', 'content-type', 'application/grpc', 'te', 'trailers', 'grpc-timeout', '5m',
      'grpc-encoding', 'identity', 'grpc-accept-encoding', 'identity', 'date', 'Fri, 27 Nov 2026 11:23:33 GMT',
      'authorization', 'Bearer t',
    ]);
    assert.deepEqual(md, { authorization: 'Bearer t' });
  });

  it('keeps repeated keys as arrays in order', () => {
    assert.deepEqual(metadataFromHeaders(['x-a', '1', 'x-b', 'z', 'x-a', '2']), { 'x-a': ['1', '2'], 'x-b': 'z' });
  });

  it('decodes -bin values padded, unpadded and comma-separated', () => {
    const md = metadataFromHeaders(['a-bin', 'AQI=', 'b-bin', 'AQI', 'c-bin', 'AQ==, Ag']);
    assert.deepEqual(md, { 'a-bin': Buffer.from([1, 2]), 'b-bin': Buffer.from([1, 2]), 'c-bin': [Buffer.from([1]), Buffer.from([2])] });
  });
});

describe('metadataToHeaders', () => {
  it('base64-encodes -bin values and keeps multi-values as arrays', () => {
    const headers = metadataToHeaders({ 'X-Id': 'abc', 'k-bin': Buffer.from([0xff, 0]), multi: ['1', '2'] });
    assert.deepEqual(headers, { 'x-id': 'abc', 'k-bin': '/wA=', multi: ['1', '2'] });
  });

  it('skips reserved keys so metadata cannot corrupt the call', () => {
    assert.deepEqual(metadataToHeaders({ 'grpc-status': '0', 'content-type': 'text/html', te: 'x', ok: 'y' }), { ok: 'y' });
  });

  it('rejects invalid keys, bytes on text keys and non-ASCII text with INVALID_ARGUMENT', () => {
    const cases: Array<[Record<string, string | Buffer>, string]> = [
      [{ 'bad key': 'v' }, 'invalid metadata key "bad key": use 0-9 a-z _ . -'],
      [{ text: Buffer.from('x') }, 'metadata key "text" carries bytes but does not end in -bin'],
      [{ text: 'zürich' }, 'metadata value of "text" must be printable ASCII (use a -bin key for other bytes): "zürich"'],
    ];
    for (const [md, message] of cases) {
      assert.throws(
        () => metadataToHeaders(md),
        (err: unknown) => err instanceof FlightError && err.code === Code.INVALID_ARGUMENT && err.message === message,
      );
    }
  });

  it('round-trips any binary and printable-ASCII metadata', () => {
    const key = fc.stringMatching(/^[a-z][a-z0-9_.-]{0,10}$/).filter((k) => !k.endsWith('-bin') && k !== 'te');
    fc.assert(
      fc.property(key, fc.uint8Array({ maxLength: 64 }), fc.stringMatching(/^[\x21-\x7e]{0,20}$/), (k, bytes, text) => {
        const md = { [`x-${k}-bin`]: Buffer.from(bytes), [`x-${k}`]: text };
        assert.deepEqual(metadataFromHeaders(raw(metadataToHeaders(md))), md);
      }),
    );
  });
});
