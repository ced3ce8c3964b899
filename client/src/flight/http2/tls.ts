/**
 * TLS material of the gRPC transport: a process's certificate, key and CA read from files, read
 * again when the files change (a rotated Kubernetes Secret, a renewed certificate), and the options
 * node:tls and node:http2 take for servers and clients. With a CA, servers require client
 * certificates signed by it (mTLS) and clients verify servers against it.
 */
import { readFileSync, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { Code, FlightError } from '../errors.js';

/** PEM material: a certificate chain and its key (the identity presented), and the CA that peers must be signed by. */
export interface TlsMaterial {
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Trusted roots; absent: the system's roots (clients) or no client certificates asked for (servers). */
  ca?: string | Buffer;
}

/** Where a process's TLS files lie. */
export interface TlsFiles {
  cert: string;
  key: string;
  /** With a CA, servers require client certificates signed by it (mTLS). */
  ca?: string;
}

/** What `TlsCredentials.refresh` compares to notice a changed file. */
function signature(stats: { mtimeMs: number; size: number; ino: number }[]): string {
  return stats.map((s) => `${s.mtimeMs}:${s.size}:${s.ino}`).join(',');
}

/** A file's stats, or none for a file that cannot be read (readMaterial then names it). */
function statOrUnread(path: string): { mtimeMs: number; size: number; ino: number } {
  try {
    return statSync(path);
  } catch {
    return { mtimeMs: -1, size: -1, ino: -1 };
  }
}

/** Reads one TLS file; INVALID_ARGUMENT naming the file and the setting when it cannot be read. */
function readTlsFile(path: string, setting: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new FlightError(Code.INVALID_ARGUMENT, `${setting} ${path} cannot be read: ${(err as Error).message}`, { cause: err });
  }
}

/** Reads the files and checks that the certificate, key and CA parse and belong together. */
function readMaterial(files: TlsFiles): Required<Pick<TlsMaterial, 'cert' | 'key'>> & TlsMaterial {
  const material = {
    cert: readTlsFile(files.cert, '--tls-cert'),
    key: readTlsFile(files.key, '--tls-key'),
    ...(files.ca === undefined ? {} : { ca: readTlsFile(files.ca, '--tls-ca') }),
  };
  try {
    createSecureContext(material);
  } catch (err) {
    throw new FlightError(Code.INVALID_ARGUMENT, `--tls-cert ${files.cert}, --tls-key ${files.key}${files.ca ? `, --tls-ca ${files.ca}` : ''}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return material;
}

/** A process's certificate, key and CA, read from files and read again when they change. */
export class TlsCredentials {
  #material: TlsMaterial;
  #signature: string;

  /** Reads the files now; INVALID_ARGUMENT naming the setting when one cannot be read or they do not fit together. */
  constructor(readonly files: TlsFiles) {
    // The signature is taken first: a file changed while it is read is read again on the next refresh.
    this.#signature = signature(this.paths().map((path) => statOrUnread(path)));
    this.#material = readMaterial(files);
  }

  /** The current material: a new object after every reload, so holders notice a change by identity. */
  get current(): TlsMaterial {
    return this.#material;
  }

  /** Whether servers require client certificates (a CA is given). */
  get verifiesClients(): boolean {
    return this.files.ca !== undefined;
  }

  /**
   * Reads the files again when any of them changed since the last look (modification time, size or
   * inode, so a replaced file counts); true when the material changed. Files caught half-written
   * (a key that does not fit its certificate) throw and are looked at again next time.
   */
  async refresh(): Promise<boolean> {
    const seen = signature(await Promise.all(this.paths().map((path) => stat(path))));
    if (seen === this.#signature) return false;
    this.#material = readMaterial(this.files);
    this.#signature = seen;
    return true;
  }

  private paths(): string[] {
    return [this.files.cert, this.files.key, ...(this.files.ca === undefined ? [] : [this.files.ca])];
  }
}

/** How often a TLS server looks at its files for a new certificate, by default. */
export const DEFAULT_TLS_RELOAD_MS = 2000;

/** The secure-context options of some material, for servers and clients alike. */
export function secureContextOptions(material: TlsMaterial): SecureContextOptions {
  return {
    ...(material.cert === undefined ? {} : { cert: material.cert }),
    ...(material.key === undefined ? {} : { key: material.key }),
    ...(material.ca === undefined ? {} : { ca: material.ca }),
  };
}
