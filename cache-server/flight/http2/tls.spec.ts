import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeTestPki, type TestPki } from '../../../test/helpers/certificates.js';
import { Code, FlightError } from '../../../client/src/flight/errors.js';
import { GrpcClient, type GrpcClientOptions } from '../../../client/src/flight/http2/client.js';
import type { GrpcServer } from './server.js';
import { TlsCredentials, type TlsFiles } from '../../../client/src/flight/http2/tls.js';
import { startServer, toy } from './toy-methods.fixture.js';
import { collect } from '../../../test/helpers/flight-assertions.js';

let pki: TestPki;
before(() => (pki = makeTestPki()));
after(() => pki.remove());

/** A toy server serving TLS from `files`, and its grpc+tls:// URL. */
async function tlsServer(files: TlsFiles, tlsReloadMs?: number): Promise<{ server: GrpcServer; url: string }> {
  const { server } = await startServer({ tls: new TlsCredentials(files), ...(tlsReloadMs !== undefined ? { tlsReloadMs } : {}) });
  return { server, url: `grpc+tls://127.0.0.1:${server.address!.port}` };
}

/** Calls Echo once through a fresh client; returns the echoed text or the FlightError. */
async function echo(url: string, options: GrpcClientOptions): Promise<string | FlightError> {
  const client = new GrpcClient(url, options);
  try {
    const [reply] = await collect(client.call(toy.echo, [Buffer.from('over tls')], { timeoutMs: 5000 }).responses);
    return reply!.toString();
  } catch (err) {
    return FlightError.from(err);
  } finally {
    await client.close();
  }
}

/** The CN of the certificate a TLS server presents to a new connection. */
function presentedName(port: number, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca, ALPNProtocols: ['h2'] }, () => {
      const name = String(socket.getPeerCertificate().subject.CN);
      socket.end();
      resolve(name);
    });
    socket.on('error', reject);
  });
}

/** Asserts that a call failed as a refused connection: UNAVAILABLE. */
function assertRefused(result: string | FlightError): void {
  assert.ok(result instanceof FlightError, `expected a refusal, got ${JSON.stringify(result)}`);
  assert.equal(result.code, Code.UNAVAILABLE, result.message);
}

describe('TLS transport', () => {
  it('serves a client that trusts the server CA over grpc+tls:// and refuses one that trusts another CA', async () => {
    const { server, url } = await tlsServer(pki.node);
    try {
      assert.equal(await echo(url, { tls: { ca: pki.read(pki.ca.cert) } }), 'over tls');
      assertRefused(await echo(url, { tls: { ca: pki.read(pki.wrongCa.cert) } }));
      assertRefused(await echo(url.replace('grpc+tls:', 'grpc:'), {}));
    } finally {
      await server.close();
    }
  });

  it('with a CA requires a client certificate signed by it (mTLS)', async () => {
    const { server, url } = await tlsServer({ ...pki.node, ca: pki.ca.cert });
    const ca = pki.read(pki.ca.cert);
    try {
      assert.equal(await echo(url, { tls: { ca, cert: pki.read(pki.client.cert), key: pki.read(pki.client.key) } }), 'over tls');
      assertRefused(await echo(url, { tls: { ca } }));
      assertRefused(await echo(url, { tls: { ca, cert: pki.read(pki.wrongClient.cert), key: pki.read(pki.wrongClient.key) } }));
    } finally {
      await server.close();
    }
  });

  it('gives new connections the certificate its files hold after they change, and keeps serving open ones', async () => {
    const files = { cert: `${pki.dir}/served.pem`, key: `${pki.dir}/served-key.pem` };
    copyFileSync(pki.node.cert, files.cert);
    copyFileSync(pki.node.key, files.key);
    const { server, url } = await tlsServer(files, 20);
    const ca = pki.read(pki.ca.cert);
    const open = new GrpcClient(url, { tls: { ca } });
    try {
      assert.equal((await collect(open.call(toy.echo, [Buffer.from('before')]).responses))[0]!.toString(), 'before');
      assert.equal(await presentedName(server.address!.port, ca), 'node');
      const renewed = pki.ca.issue('node-renewed', 'node');
      copyFileSync(renewed.key, files.key);
      copyFileSync(renewed.cert, files.cert);
      const deadline = Date.now() + 5000;
      while ((await presentedName(server.address!.port, ca)) !== 'node-renewed') {
        assert.ok(Date.now() < deadline, 'the renewed certificate was not served within 5 s');
        await sleep(20);
      }
      assert.equal((await collect(open.call(toy.echo, [Buffer.from('after')]).responses))[0]!.toString(), 'after');
      assert.equal(await echo(url, { tls: { ca } }), 'over tls');
    } finally {
      await open.close();
      await server.close();
    }
  });

  it('keeps the previous certificate while the files do not fit together', async () => {
    const files = { cert: `${pki.dir}/half.pem`, key: `${pki.dir}/half-key.pem` };
    copyFileSync(pki.node.cert, files.cert);
    copyFileSync(pki.node.key, files.key);
    const credentials = new TlsCredentials(files);
    const before = credentials.current;
    copyFileSync(pki.client.cert, files.cert);
    await assert.rejects(credentials.refresh(), (err: unknown) => err instanceof FlightError && err.code === Code.INVALID_ARGUMENT);
    assert.equal(credentials.current, before);
    copyFileSync(pki.client.key, files.key);
    assert.equal(await credentials.refresh(), true);
    assert.deepEqual(credentials.current.cert, pki.read(pki.client.cert));
    assert.equal(await credentials.refresh(), false);
  });

  it('refuses unreadable files and a key that is not the certificate’s, naming the setting', () => {
    assert.throws(
      () => new TlsCredentials({ cert: `${pki.dir}/missing.pem`, key: pki.node.key }),
      (err: unknown) => err instanceof FlightError && err.code === Code.INVALID_ARGUMENT && err.message.startsWith(`--tls-cert ${pki.dir}/missing.pem cannot be read`),
    );
    assert.throws(
      () => new TlsCredentials({ cert: pki.node.cert, key: pki.client.key }),
      (err: unknown) => err instanceof FlightError && err.code === Code.INVALID_ARGUMENT && err.message.includes(`--tls-key ${pki.client.key}`),
    );
  });
});
