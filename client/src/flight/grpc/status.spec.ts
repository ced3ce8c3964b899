import assert from 'node:assert/strict';
import { constants } from 'node:http2';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Code, FlightError } from '../errors.js';
import {
  decodeGrpcMessage,
  encodeGrpcMessage,
  errorFromHttpStatus,
  errorFromRstCode,
  errorFromStatus,
  errorFromTransport,
  statusFromHeaders,
  statusHeaders,
} from './status.js';

/** A Node-style error with a code (and optionally a syscall). */
function nodeError(message: string, code: string, syscall?: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code, ...(syscall ? { syscall } : {}) });
}

describe('grpc-message percent-encoding', () => {
  it('encodes non-ASCII and % and keeps printable ASCII', () => {
    assert.equal(encodeGrpcMessage('100% fail: ü\n'), '100%25 fail: %C3%BC%0A');
  });

  it('decodes malformed escapes literally instead of failing', () => {
    assert.equal(decodeGrpcMessage('50%zz and %4'), '50%zz and %4');
  });

  it('round-trips any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        const encoded = encodeGrpcMessage(text);
        assert.match(encoded, /^[\x20-\x7e]*$/);
        assert.equal(decodeGrpcMessage(encoded), text);
      }),
    );
  });
});

describe('statusHeaders and statusFromHeaders', () => {
  it('writes OK without a message', () => {
    assert.deepEqual(statusHeaders(undefined), { 'grpc-status': '0' });
  });

  it('writes an error with its metadata and the trailers, dropping invalid entries', () => {
    const err = new FlightError(Code.NOT_FOUND, 'no table "t" ✗', { metadata: { 'x-arrow-status-detail-bin': Buffer.from([1, 2]) } });
    assert.deepEqual(statusHeaders(err, { 'x-trace': 'abc', 'Bad Key': 'x' }), {
      'x-trace': 'abc',
      'x-arrow-status-detail-bin': 'AQI=',
      'grpc-status': '5',
      'grpc-message': 'no table "t" %E2%9C%97',
    });
  });

  it('reads a status and decodes its message', () => {
    assert.deepEqual(statusFromHeaders({ 'grpc-status': '3', 'grpc-message': 'bad %25 arg' }), {
      code: Code.INVALID_ARGUMENT,
      message: 'bad % arg',
    });
  });

  it('returns undefined without grpc-status', () => {
    assert.equal(statusFromHeaders({ 'content-type': 'application/grpc' }), undefined);
  });

  it('maps an invalid grpc-status to UNKNOWN', () => {
    assert.deepEqual(statusFromHeaders({ 'grpc-status': '99', 'grpc-message': 'boom' }), {
      code: Code.UNKNOWN,
      message: 'invalid grpc-status "99": boom',
    });
  });

  it('builds a FlightError carrying the first value of each trailer', () => {
    const err = errorFromStatus({ code: Code.ABORTED, message: 'retry' }, { a: ['1', '2'], 'b-bin': Buffer.from('x') });
    assert.equal(err.toString(), 'ABORTED: retry');
    assert.deepEqual(err.metadata, { a: '1', 'b-bin': Buffer.from('x') });
  });
});

describe('transport error mapping', () => {
  it('maps HTTP statuses per the gRPC spec', () => {
    const codes = [400, 401, 403, 404, 429, 502, 503, 504, 500].map((s) => errorFromHttpStatus(s).code);
    assert.deepEqual(codes, [
      Code.INTERNAL,
      Code.UNAUTHENTICATED,
      Code.PERMISSION_DENIED,
      Code.UNIMPLEMENTED,
      Code.UNAVAILABLE,
      Code.UNAVAILABLE,
      Code.UNAVAILABLE,
      Code.UNAVAILABLE,
      Code.UNKNOWN,
    ]);
    assert.equal(errorFromHttpStatus(404).message, 'received HTTP status 404 without grpc-status');
  });

  it('maps RST_STREAM codes per the gRPC spec', () => {
    const rst = [
      constants.NGHTTP2_CANCEL,
      constants.NGHTTP2_REFUSED_STREAM,
      constants.NGHTTP2_ENHANCE_YOUR_CALM,
      constants.NGHTTP2_INADEQUATE_SECURITY,
      constants.NGHTTP2_PROTOCOL_ERROR,
      constants.NGHTTP2_NO_ERROR,
    ];
    assert.deepEqual(
      rst.map((c) => errorFromRstCode(c, 'h:1').code),
      [Code.CANCELLED, Code.UNAVAILABLE, Code.RESOURCE_EXHAUSTED, Code.PERMISSION_DENIED, Code.INTERNAL, Code.INTERNAL],
    );
    assert.equal(errorFromRstCode(constants.NGHTTP2_CANCEL, 'h:1').message, 'stream reset by h:1 with NGHTTP2_CANCEL');
  });

  it('maps socket errors to UNAVAILABLE naming the address', () => {
    const err = errorFromTransport(nodeError('connect ECONNREFUSED 127.0.0.1:9', 'ECONNREFUSED', 'connect'), '127.0.0.1:9');
    assert.equal(err.toString(), 'UNAVAILABLE: connection to 127.0.0.1:9 failed: connect ECONNREFUSED 127.0.0.1:9');
  });

  it('maps http2 session errors to UNAVAILABLE', () => {
    assert.equal(errorFromTransport(nodeError('goaway', 'ERR_HTTP2_GOAWAY_SESSION'), 'h:1').code, Code.UNAVAILABLE);
  });

  it('maps stream errors by their NGHTTP2 code', () => {
    const err = errorFromTransport(nodeError('Stream closed with error code NGHTTP2_REFUSED_STREAM', 'ERR_HTTP2_STREAM_ERROR'), 'h:1');
    assert.equal(err.toString(), 'UNAVAILABLE: Stream closed with error code NGHTTP2_REFUSED_STREAM');
  });

  it('maps a cancelled stream to the cause that cancelled it', () => {
    const cause = nodeError('read ECONNRESET', 'ECONNRESET', 'read');
    const cancel = Object.assign(nodeError('The pending stream has been canceled', 'ERR_HTTP2_STREAM_CANCEL'), { cause });
    assert.equal(errorFromTransport(cancel, 'h:1').toString(), 'UNAVAILABLE: connection to h:1 failed: read ECONNRESET');
  });

  it('keeps FlightErrors and maps other errors to INTERNAL', () => {
    const flight = new FlightError(Code.ABORTED, 'x');
    assert.equal(errorFromTransport(flight, 'h:1'), flight);
    assert.equal(errorFromTransport(new Error('odd'), 'h:1').toString(), 'INTERNAL: transport error with h:1: odd');
  });
});
