/**
 * Where the coordinator learns its members from: a static `--shard-list`, and a DNS name that
 * resolves to every shard (a Kubernetes headless Service), re-resolved periodically. Member ids of
 * both are their locations, `grpc://host:port` (`grpc+tls://` for TLS members) with IPv6 hosts in brackets.
 */
import { promises as dns } from 'node:dns';
import { isIPv6 } from 'node:net';
import { Code, FlightError } from '../../client/src/flight/errors.js';
import { parseFlightUrl } from '../../client/src/flight/http2/client.js';
import type { Logger } from '../logger.js';
import type { Membership } from './membership.js';

/** A member as a source reports it: its id is its location. */
export interface SourceMember {
  id: string;
  location: string;
}

/** Resolves a host name to all its addresses. */
export type HostLookup = (host: string) => Promise<{ address: string; family: number }[]>;

/** Re-resolution period of watchShardDns by default. */
export const DEFAULT_DNS_INTERVAL_MS = 5000;

/** The canonical location of host:port: grpc+tls:// over TLS, else grpc://. */
function location(host: string, port: number, tls: boolean): string {
  return `${tls ? 'grpc+tls' : 'grpc'}://${isIPv6(host) ? `[${host}]` : host}:${port}`;
}

/** One member per distinct location, in first-seen order. */
function distinct(locations: string[]): SourceMember[] {
  return [...new Set(locations)].map((where) => ({ id: where, location: where }));
}

/** Parses "--shard-list grpc://h:p,grpc://h2:p2" into members (id = the location); empty entries are skipped, duplicates removed. INVALID_ARGUMENT naming the bad entry. */
export function parseShardList(text: string): SourceMember[] {
  const locations: string[] = [];
  for (const entry of text.split(',').map((part) => part.trim())) {
    if (entry === '') continue;
    let url;
    try {
      url = parseFlightUrl(entry);
    } catch (err) {
      throw new FlightError(Code.INVALID_ARGUMENT, `bad --shard-list entry ${JSON.stringify(entry)}: ${FlightError.from(err).message}`);
    }
    if (url.port === 0) throw new FlightError(Code.INVALID_ARGUMENT, `bad --shard-list entry ${JSON.stringify(entry)}: port 0 is not a shard's port`);
    locations.push(location(url.host, url.port, url.scheme === 'grpc+tls'));
  }
  return distinct(locations);
}

/** Splits "name:port" (or "[v6]:port") into host and port; INVALID_ARGUMENT when malformed. */
function parseDnsSpec(spec: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(spec.trim());
  const port = Number(match?.[3]);
  if (match === null || port < 1 || port > 65535) {
    throw new FlightError(Code.INVALID_ARGUMENT, `bad --shard-dns ${JSON.stringify(spec)}: expected NAME:PORT, e.g. shards.flightcache.svc:8815`);
  }
  return { host: match[1] ?? match[2]!, port };
}

const systemLookup: HostLookup = (host) => dns.lookup(host, { all: true });

/** Resolves a headless-Service style name "name:port" to one member per address (id = location, grpc+tls:// when `tls`), using dns.promises.lookup(name, {all: true}) unless a resolver is injected. UNAVAILABLE when the name resolves to nothing. */
export async function resolveShardDns(spec: string, lookup: HostLookup = systemLookup, tls = false): Promise<SourceMember[]> {
  const { host, port } = parseDnsSpec(spec);
  let addresses: { address: string; family: number }[];
  try {
    addresses = await lookup(host);
  } catch (err) {
    throw new FlightError(Code.UNAVAILABLE, `cannot resolve shard name ${JSON.stringify(host)}: ${FlightError.from(err).message}`);
  }
  if (addresses.length === 0) throw new FlightError(Code.UNAVAILABLE, `shard name ${JSON.stringify(host)} resolved to no addresses`);
  return distinct(addresses.map((entry) => location(entry.address, port, tls)));
}

/** Options of watchShardDns. */
export interface WatchShardDnsOptions {
  /** Re-resolution period (default 5000). */
  intervalMs?: number;
  logger: Logger;
  lookup?: HostLookup;
  /** The shards serve TLS: their locations are grpc+tls:// (their certificates must name their addresses). */
  tls?: boolean;
}

/** Resolves `spec` now and every intervalMs into membership.replaceSource('dns', ...); resolution errors are logged and keep the previous members. Throws INVALID_ARGUMENT for a malformed spec. Returns stop(). */
export function watchShardDns(spec: string, membership: Membership, options: WatchShardDnsOptions): () => void {
  parseDnsSpec(spec);
  const lookup = options.lookup ?? systemLookup;
  let stopped = false;
  let resolving = false;
  const refresh = async (): Promise<void> => {
    // A slow resolver must not pile up lookups; the next tick retries.
    if (resolving) return;
    resolving = true;
    try {
      const members = await resolveShardDns(spec, lookup, options.tls);
      if (!stopped) membership.replaceSource('dns', members);
    } catch (err) {
      if (!stopped) options.logger.warn({ err, spec }, 'shard DNS resolution failed; keeping the previous members');
    } finally {
      resolving = false;
    }
  };
  const timer = setInterval(() => void refresh(), options.intervalMs ?? DEFAULT_DNS_INTERVAL_MS);
  timer.unref();
  void refresh();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
