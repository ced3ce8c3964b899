import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Code } from '../../client/src/flight/errors.js';
import { encodeFrame, FrameDecoder, MAX_JSON_BYTES } from './frames.js';

const concat = (chunks: Uint8Array[]): Uint8Array => Uint8Array.from(chunks.flatMap((chunk) => [...chunk]));

describe('same-host frames', () => {
  it('encode as u32 LE JSON length, u32 LE payload length, JSON, payload; the payload is not copied', () => {
    const payload = Uint8Array.of(9, 8, 7);
    const chunks = encodeFrame({ type: 'batch', rows: 3 }, payload);
    const json = '{"type":"batch","rows":3}';
    assert.equal(chunks.length, 2);
    assert.equal(chunks[1], payload);
    assert.deepEqual([...chunks[0]!.subarray(0, 8)], [json.length, 0, 0, 0, 3, 0, 0, 0]);
    assert.equal(Buffer.from(chunks[0]!.subarray(8)).toString(), json);
    assert.equal(encodeFrame({ type: 'end' }).length, 1);
  });

  it('decode whatever way the stream is cut, including one byte at a time and several frames per chunk', () => {
    const stream = concat([...encodeFrame({ type: 'a' }), ...encodeFrame({ type: 'b', n: 1 }, Uint8Array.of(1, 2)), ...encodeFrame({ type: 'c' })]);
    const expected = [
      { json: { type: 'a' }, payload: [] },
      { json: { type: 'b', n: 1 }, payload: [1, 2] },
      { json: { type: 'c' }, payload: [] },
    ];
    for (const cut of [1, 3, 8, 11, stream.length]) {
      const decoder = new FrameDecoder(16);
      const frames = [];
      for (let at = 0; at < stream.length; at += cut) frames.push(...decoder.push(stream.subarray(at, at + cut)));
      assert.deepEqual(frames.map((f) => ({ json: f.json, payload: [...f.payload] })), expected, `chunks of ${cut}`);
    }
  });

  it('refuse lengths out of range, payloads over the limit, bad JSON and JSON without a string type with INVALID_ARGUMENT', () => {
    const prefix = (json: number, payload: number): Uint8Array => {
      const bytes = new Uint8Array(8);
      new DataView(bytes.buffer).setUint32(0, json, true);
      new DataView(bytes.buffer).setUint32(4, payload, true);
      return bytes;
    };
    const cases: Array<[Uint8Array, string]> = [
      [prefix(0, 0), `frame JSON length 0 is out of range (1 to ${MAX_JSON_BYTES})`],
      [prefix(MAX_JSON_BYTES + 1, 0), `frame JSON length ${MAX_JSON_BYTES + 1} is out of range (1 to ${MAX_JSON_BYTES})`],
      [prefix(2, 5), 'frame payload length 5 exceeds 4'],
      [concat([prefix(4, 0), Buffer.from('{"ty')]), 'frame JSON is not valid UTF-8 JSON: Unterminated string in JSON at position 4'],
      [concat([prefix(2, 0), Uint8Array.of(0xff, 0xfe)]), 'frame JSON is not valid UTF-8 JSON: The encoded data was not valid for encoding utf-8'],
      [concat([prefix(4, 0), Buffer.from('null')]), 'frame JSON must be an object with a string "type"'],
      [concat([prefix(10, 0), Buffer.from('{"type":1}')]), 'frame JSON must be an object with a string "type"'],
    ];
    for (const [bytes, message] of cases) {
      assert.throws(() => new FrameDecoder(4).push(bytes), { code: Code.INVALID_ARGUMENT, message });
    }
  });
});
