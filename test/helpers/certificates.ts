/**
 * Test certificates made with the openssl command: a CA, node certificates (SAN 127.0.0.1 and
 * localhost, usable as server and as client, as cluster members present them both ways), a client
 * certificate, and a second, unrelated CA whose certificates the first CA's holders must refuse.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A certificate and its key, as files. */
export interface CertFiles {
  cert: string;
  key: string;
}

/** A CA that can issue certificates. */
export interface TestCa extends CertFiles {
  /** Issues a certificate for `name` (its CN and file names); `node` ones carry the SAN and both usages. */
  issue(name: string, kind: 'node' | 'client'): CertFiles;
}

/** Certificates of one test. */
export interface TestPki {
  dir: string;
  ca: TestCa;
  /** A CA nobody trusts. */
  wrongCa: TestCa;
  /** Server and client certificate of the nodes, signed by `ca`. */
  node: CertFiles;
  /** A client certificate signed by `ca`. */
  client: CertFiles;
  /** A client certificate signed by `wrongCa`. */
  wrongClient: CertFiles;
  /** PEM contents of a file. */
  read(path: string): Buffer;
  remove(): void;
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Makes a self-signed CA in `dir` named `name`. */
function makeCa(dir: string, name: string): TestCa {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}-key.pem`);
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${name}`]);
  let serial = 1;
  return {
    cert,
    key,
    issue(leaf, kind) {
      const leafCert = join(dir, `${leaf}.pem`);
      const leafKey = join(dir, `${leaf}-key.pem`);
      const csr = join(dir, `${leaf}.csr`);
      const ext = join(dir, `${leaf}.ext`);
      const usage = kind === 'node' ? 'serverAuth,clientAuth' : 'clientAuth';
      const san = kind === 'node' ? 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' : '';
      writeFileSync(ext, `${san}extendedKeyUsage=${usage}\nbasicConstraints=CA:FALSE\n`);
      openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', leafKey, '-out', csr, '-subj', `/CN=${leaf}`]);
      openssl(['x509', '-req', '-in', csr, '-CA', cert, '-CAkey', key, '-set_serial', String(serial++), '-days', '2', '-extfile', ext, '-out', leafCert]);
      return { cert: leafCert, key: leafKey };
    },
  };
}

/** Makes a fresh set of test certificates in a temporary directory. */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'flightcache-pki-'));
  const ca = makeCa(dir, 'ca');
  const wrongCa = makeCa(dir, 'wrong-ca');
  return {
    dir,
    ca,
    wrongCa,
    node: ca.issue('node', 'node'),
    client: ca.issue('client', 'client'),
    wrongClient: wrongCa.issue('wrong-client', 'client'),
    read: (path) => readFileSync(path),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
