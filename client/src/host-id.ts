/**
 * Identifies where a process runs, so that a reader can tell whether a node shares its host (same-host
 * reads) and a share can prefer partitions held beside its rank (locality, docs/cluster.md).
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

let cached: string | undefined;

/**
 * `FLIGHTCACHE_HOST_ID` when set (pods of one Kubernetes node that have their own network namespaces
 * set it to the node's name), else the kernel's boot id and the network namespace, e.g.
 * "8e1c...-... net:[4026531840]": processes in different namespaces of one kernel count as different
 * hosts, as they are when a test simulates hosts with namespaces. The host name where /proc lacks them.
 */
export function hostId(): string {
  if (cached === undefined) {
    const configured = process.env.FLIGHTCACHE_HOST_ID;
    if (configured !== undefined && configured !== '') cached = configured;
    else {
      try {
        cached = `${readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()} ${readlinkSync('/proc/self/ns/net')}`;
      } catch {
        cached = `hostname:${hostname()}`;
      }
    }
  }
  return cached;
}
