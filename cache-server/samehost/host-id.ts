/** Identifies the kernel a process runs on, so that a reader can tell whether a node shares its host. */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

let cached: string | undefined;

/** The kernel's boot id (the same in every container of a host), or the host name where /proc lacks it. */
export function hostId(): string {
  if (cached === undefined) {
    try {
      cached = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      cached = `hostname:${hostname()}`;
    }
  }
  return cached;
}
