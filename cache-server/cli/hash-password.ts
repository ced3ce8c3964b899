/** `flightcache hash-password`: reads a password from stdin and prints its hash for a credentials file. */
import { hashPassword } from '../auth/passwords.js';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import type { Command } from './main.js';

/** Reads all of stdin. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export const hashPasswordCommand: Command = {
  options: {},
  async run() {
    // The password comes on stdin, not the command line other users can read; one trailing newline is dropped.
    const password = (await readStdin()).replace(/\r?\n$/, '');
    if (password === '') throw new FlightError(Code.INVALID_ARGUMENT, 'hash-password reads the password from stdin, got nothing');
    process.stdout.write(hashPassword(password) + '\n');
  },
};
