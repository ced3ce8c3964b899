/**
 * Simulated hosts for tests: network namespaces this test creates, joined by a bridge in a namespace
 * of their own, with addresses of one private /24 that exists only inside them. Nothing is added to
 * the namespace the test runs in. Needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN).
 */
import { execFileSync, execFile } from 'node:child_process';

/** A simulated host: its namespace and its address on the bridge. */
export interface SimulatedHost {
  readonly name: string;
  readonly namespace: string;
  readonly address: string;
}

/** Simulated hosts and the teardown that removes every namespace made for them. */
export interface SimulatedHosts {
  readonly hosts: readonly SimulatedHost[];
  remove(): void;
}

const ip = (...args: string[]): void => {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
};

/**
 * Creates one namespace per name, prefixed with `prefix`, at `${subnet}.${10 + i}` (hosts 0, 1, ...),
 * all on a bridge in namespace `${prefix}-sw`. Throws (after removing what it made) when it cannot.
 */
export function createHosts(prefix: string, names: readonly string[], subnet: string): SimulatedHosts {
  const made: string[] = [];
  const remove = (): void => {
    for (const namespace of made.splice(0).reverse()) {
      try {
        ip('netns', 'del', namespace);
      } catch {
        // Already gone: nothing left to remove.
      }
    }
  };
  try {
    const switchNs = `${prefix}-sw`;
    ip('netns', 'add', switchNs);
    made.push(switchNs);
    ip('-n', switchNs, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', switchNs, 'link', 'set', 'br0', 'up');
    const hosts = names.map((name, i) => {
      const namespace = `${prefix}-${name}`;
      ip('netns', 'add', namespace);
      made.push(namespace);
      const address = `${subnet}.${10 + i}`;
      ip('-n', switchNs, 'link', 'add', `p${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', namespace);
      ip('-n', switchNs, 'link', 'set', `p${i}`, 'master', 'br0', 'up');
      ip('-n', namespace, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
      ip('-n', namespace, 'link', 'set', 'eth0', 'up');
      ip('-n', namespace, 'link', 'set', 'lo', 'up');
      return { name, namespace, address };
    });
    return { hosts, remove };
  } catch (err) {
    remove();
    throw err;
  }
}

/** Runs `command args...` inside a namespace and resolves with its stdout; rejects with stderr on failure. */
export function execIn(namespace: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ip', ['netns', 'exec', namespace, command, ...args], { env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${command} ${args.join(' ')} in ${namespace} failed (${err.message.split('\n')[0]}):\n${stderr}`));
      else resolve(stdout);
    });
  });
}
