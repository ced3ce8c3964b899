/** `flightcache operator`: run the DataCache controller under leader election, or print what it would apply (--dry-run -f FILE). */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Code, FlightError } from '../client/src/flight/errors.js';
import { parseDuration, parsePort } from '../cache-server/config.js';
import type { Command } from '../cache-server/cli/main.js';

export const operatorCommand: Command = {
  options: {
    'dry-run': { type: 'boolean' },
    file: { type: 'string', short: 'f' },
    'resync-seconds': { type: 'string' },
    'lease-name': { type: 'string' },
    'lease-namespace': { type: 'string' },
    'lease-duration': { type: 'string' },
    identity: { type: 'string' },
    'webhook-cert-dir': { type: 'string' },
    'webhook-port': { type: 'string' },
    'coordinator-address': { type: 'string' },
    'coordinator-http-address': { type: 'string' },
  },
  // The Kubernetes client is imported here, not at the top: it adds about a second to every other command's start.
  async run(_positionals, flags) {
    if (flags['dry-run']) {
      if (typeof flags.file !== 'string') throw new FlightError(Code.INVALID_ARGUMENT, 'operator --dry-run needs -f FILE');
      const { dryRun } = await import('./dry-run.js');
      process.stdout.write(dryRun(flags.file));
      return;
    }
    const resync = Number(flags['resync-seconds'] ?? '60');
    if (!Number.isFinite(resync) || resync <= 0) throw new FlightError(Code.INVALID_ARGUMENT, `invalid --resync-seconds ${String(flags['resync-seconds'])}`);
    const leaseMs = parseDuration(String(flags['lease-duration'] ?? '15s'), '--lease-duration');
    if (leaseMs < 1000 || leaseMs % 1000 !== 0) throw new FlightError(Code.INVALID_ARGUMENT, `--lease-duration must be whole seconds, at least 1s, got "${String(flags['lease-duration'])}"`);
    const webhookPort = parsePort(String(flags['webhook-port'] ?? '9443'), '--webhook-port');
    // Where each cache's coordinator answers: host:port templates of {name} and {namespace} (tests point them at loopback processes).
    const coordinator = {
      ...(typeof flags['coordinator-address'] === 'string' ? { grpc: flags['coordinator-address'] } : {}),
      ...(typeof flags['coordinator-http-address'] === 'string' ? { http: flags['coordinator-http-address'] } : {}),
    };
    const [{ KubeConfig }, { Reconciler }, { LeaderElector }, { startWebhook }, { TlsCredentials }, { createLogger }] = await Promise.all([
      import('@kubernetes/client-node'),
      import('./reconciler.js'),
      import('../cache-server/cluster/lease-election.js'),
      import('./webhook.js'),
      import('../client/src/flight/http2/tls.js'),
      import('../cache-server/logger.js'),
    ]);
    const kc = new KubeConfig();
    kc.loadFromDefault();
    const logger = createLogger('operator');
    // The webhook serves on every replica, leader or not: it only reads DataCaches.
    const certDir = flags['webhook-cert-dir'];
    const webhook =
      typeof certDir === 'string'
        ? await startWebhook(kc, { host: '0.0.0.0', port: webhookPort, tls: new TlsCredentials({ cert: join(certDir, 'tls.crt'), key: join(certDir, 'tls.key') }), logger })
        : undefined;
    // A Reconciler cannot start again once stopped: each term of leadership gets a new one.
    let reconciler: InstanceType<typeof Reconciler> | undefined;
    const elector = new LeaderElector(
      kc,
      {
        namespace: String(flags['lease-namespace'] ?? process.env.POD_NAMESPACE ?? 'default'),
        name: String(flags['lease-name'] ?? 'flightcache-operator'),
        identity: String(flags.identity ?? process.env.POD_NAME ?? `${hostname()}_${randomUUID()}`),
        leaseSeconds: leaseMs / 1000,
        logger,
      },
      {
        start: async () => {
          reconciler = new Reconciler(kc, { resyncMs: resync * 1000, logger, coordinator });
          await reconciler.start();
        },
        stop: async () => {
          await reconciler?.stop();
          reconciler = undefined;
        },
      },
    );
    elector.start();
    await new Promise<void>((resolve) => process.once('SIGTERM', resolve).once('SIGINT', resolve));
    await Promise.all([elector.stop(), webhook?.close()]);
  },
};
