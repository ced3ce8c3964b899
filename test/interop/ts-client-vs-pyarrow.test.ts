/** Our TypeScript client against a pyarrow.flight server (FlightServerBase): every RPC the peer offers, auth, errors. */
import assert from 'node:assert/strict';
import { test, before, after } from 'node:test';
import { Table, Utf8, tableToIPC, vectorFromArray } from 'apache-arrow';
import { startProcess, type StartedProcess } from '../helpers/process.js';
import { pythonScript, venvPython } from '../helpers/python.js';
import { FlightClient, pathDescriptor } from '../../client/src/flight-client.js';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { drain } from '../helpers/flight.js';

let peer: StartedProcess;
let securePeer: StartedProcess;

const table = new Table({
  id: vectorFromArray(Int32Array.from({ length: 1000 }, (_, i) => i)),
  label: vectorFromArray(Array.from({ length: 1000 }, (_, i) => `label-${i % 7}`), new Utf8()),
  weight: vectorFromArray(Float64Array.from({ length: 1000 }, (_, i) => i * 0.25)),
});

before(async () => {
  const start = (args: string[]): Promise<StartedProcess> =>
    startProcess(venvPython(), [pythonScript('peer_server.py'), '--port', '0', ...args], /^peer ready (grpc:\/\/\S+)$/);
  peer = await start([]);
  securePeer = await start(['--user', 'bob', '--password', 'pw']);
});

after(async () => {
  await peer.stop();
  await securePeer.stop();
});

test('our client puts a table into pyarrow and reads back identical bytes', async () => {
  const client = new FlightClient(peer.url);
  await client.doPut(pathDescriptor('from-ts'), table);
  const info = await client.getFlightInfo(pathDescriptor('from-ts'));
  assert.equal(info.totalRecords, 1000n);
  const batches = [];
  for (const endpoint of info.endpoints) for await (const batch of client.doGet(endpoint.ticket)) batches.push(batch);
  assert.deepEqual(tableToIPC(new Table(batches)), tableToIPC(table));
  const schema = await client.getSchema(pathDescriptor('from-ts'));
  assert.deepEqual(schema.fields.map((f) => `${f.name}:${f.type}`), ['id:Int32', 'label:Utf8', 'weight:Float64']);
  const listed = [];
  for await (const flight of client.listFlights()) listed.push(flight.flightDescriptor?.path[0]);
  assert.ok(listed.includes('from-ts'));
  const actions = await client.listActions();
  assert.ok(actions.some((a) => a.type === 'drop'));
  for await (const _ of client.doAction('drop', 'from-ts')) void _;
  await assert.rejects(client.getFlightInfo(pathDescriptor('from-ts')), (err: FlightError) => err.code === Code.NOT_FOUND);
  client.close();
});

test('our client authenticates against pyarrow with Basic -> Bearer and is refused without it', async () => {
  const anonymous = new FlightClient(securePeer.url);
  await assert.rejects(drain(anonymous.listFlights()), (err: FlightError) => err.code === Code.UNAUTHENTICATED);
  const client = new FlightClient(securePeer.url);
  await assert.rejects(client.handshake('bob', 'wrong'), (err: FlightError) => err.code === Code.UNAUTHENTICATED);
  const token = await client.handshake('bob', 'pw');
  assert.ok(token.length > 0);
  assert.deepEqual(await drain(client.listFlights()), []);
  anonymous.close();
  client.close();
});

test('an unknown ticket at a pyarrow server surfaces as NOT_FOUND with its message', async () => {
  const client = new FlightClient(peer.url);
  await assert.rejects(drain(client.doGet({ ticket: Buffer.from('no-such-dataset') })), (err: FlightError) => {
    assert.equal(err.codeName, 'NOT_FOUND');
    assert.match(err.message, /no-such-dataset/);
    return true;
  });
  client.close();
});

