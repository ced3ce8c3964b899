/**
 * The real Kubeflow Trainer controller (trainer-controller-manager, built by scripts/kube-tools.sh from
 * github.com/kubeflow/trainer/v2) run out of cluster against a test API server: a kubeconfig file, no
 * leader election, no metrics or probe listeners, and its certificate management off. Its own webhooks
 * are served from the test PKI's certificate (controller-runtime reads them from
 * $TMPDIR/k8s-webhook-server/serving-certs/) but never registered, so the API server does not call them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestPki } from '../helpers/certificates.js';
import { freePort, kubeToolPath, type ControlPlane } from './control-plane.js';

/** The trainer-controller-manager binary of the version scripts/kube-tools.sh pins. */
export function trainerControllerBinary(): string {
  return kubeToolPath('trainer-controller-manager', 'TRAINER_VERSION');
}

export interface TrainerController {
  /** The controller's last log lines, for a failing test's message. */
  logs(): string;
  stop(): Promise<void>;
}

/** Starts the controller against `cp`; it runs until stop() (an early exit shows in logs()). */
export async function startTrainerController(cp: ControlPlane, pki: TestPki): Promise<TrainerController> {
  const work = mkdtempSync(join(tmpdir(), 'fc-trainer-'));
  const certs = join(work, 'k8s-webhook-server', 'serving-certs');
  mkdirSync(certs, { recursive: true });
  copyFileSync(pki.node.cert, join(certs, 'tls.crt'));
  copyFileSync(pki.node.key, join(certs, 'tls.key'));
  writeFileSync(join(work, 'kubeconfig'), cp.kubeConfig.exportConfig());
  writeFileSync(
    join(work, 'config.yaml'),
    [
      'apiVersion: config.trainer.kubeflow.org/v1alpha1',
      'kind: Configuration',
      'health: {healthProbeBindAddress: "0"}',
      'metrics: {bindAddress: "0"}',
      `webhook: {host: 127.0.0.1, port: ${await freePort()}}`,
      'leaderElection: {leaderElect: false}',
      'certManagement: {enable: false}',
      '',
    ].join('\n'),
  );
  const lines: string[] = [];
  const child: ChildProcess = spawn(trainerControllerBinary(), ['--config', join(work, 'config.yaml')], {
    env: { ...process.env, KUBECONFIG: join(work, 'kubeconfig'), TMPDIR: work },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (chunk: Buffer) => {
    lines.push(chunk.toString());
    if (lines.length > 100) lines.shift();
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return {
    logs: () => `${child.exitCode !== null ? `exited ${child.exitCode}\n` : ''}${lines.slice(-30).join('')}`,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        await new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        });
      }
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/** Why the controller cannot run here, or undefined. */
export function trainerControllerUnavailableReason(): string | undefined {
  const binary = trainerControllerBinary();
  return existsSync(binary) ? undefined : `no ${binary}: run bash scripts/kube-tools.sh`;
}
