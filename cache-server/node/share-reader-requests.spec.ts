import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shareCommand } from '../../client/src/share-reader.js';
import { parseFlightRequest } from './flight-request.js';
import { DescriptorType } from '../../client/src/flight/protocol/messages.js';

const json = (bytes: Uint8Array): unknown => JSON.parse(new TextDecoder().decode(bytes));

test('a share command names host and hosts (also the old ranks\' hosts of a resume) only when given, and the server reads them back', () => {
  assert.deepEqual(json(shareCommand('d', { rank: 1, worldSize: 2 })), { dataset: 'd', rank: 1, world_size: 2 });
  const command = shareCommand('d', { rank: 1, worldSize: 2, host: 'b', hosts: ['a', 'b'], resume: { worldSize: 1, cursors: [null], hosts: ['a'] } });
  assert.deepEqual(json(command), {
    dataset: 'd',
    rank: 1,
    world_size: 2,
    resume: { world_size: 1, cursors: [null], hosts: ['a'] },
    host: 'b',
    hosts: ['a', 'b'],
  });
  const request = parseFlightRequest({ type: DescriptorType.CMD, cmd: command, path: [] });
  assert.deepEqual([request.host, request.hosts, request.resume?.hosts], ['b', ['a', 'b'], ['a']]);
});
