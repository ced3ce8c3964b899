/** `flightcache operator`: run the DataCache controller, or print what it would apply (--dry-run -f FILE). */
import { Code, FlightError } from '../client/src/flight/errors.js';
import type { Command } from '../cache-server/cli/main.js';

export const operatorCommand: Command = {
  options: { 'dry-run': { type: 'boolean' }, file: { type: 'string', short: 'f' }, 'resync-seconds': { type: 'string' } },
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
    const [{ KubeConfig }, { Reconciler }, { createLogger }] = await Promise.all([import('@kubernetes/client-node'), import('./reconciler.js'), import('../cache-server/logger.js')]);
    const kc = new KubeConfig();
    kc.loadFromDefault();
    const reconciler = new Reconciler(kc, { resyncMs: resync * 1000, logger: createLogger('operator') });
    await reconciler.start();
    await new Promise<void>((resolve) => process.once('SIGTERM', resolve).once('SIGINT', resolve));
    await reconciler.stop();
  },
};
