#!/usr/bin/env node
/** The `flightcache` command: serve a node, load and read datasets, run the demo. */
import { parseArgs } from 'node:util';
import { FlightError } from '../../client/src/flight/errors.js';
import { serveCommand } from './serve.js';
import { coordinatorCommand, shardCommand } from './cluster-commands.js';
import { clientCommands } from './client-commands.js';
import { demoCommand } from './demo.js';
import { hashPasswordCommand } from './hash-password.js';
import { loadCommand } from './load-command.js';
import { queryCommand } from './query-command.js';
import { operatorCommand } from '../../operator/cli.js';
import { kubeflowInitializerCommand } from '../../operator/kubeflow-initializer.js';

const USAGE = `usage: flightcache <command> [options]

commands:
  serve  [--host H] [--port 8815] [--memory SIZE] [--http-port P] [--http-host H] [--user U --password P] [--advertise-host H]
         [--credentials-file FILE] [--auth-key-file FILE] [--max-message SIZE] [--max-request SIZE] [--max-streams N]
         [--default-dataset N]  (N: what path [RANK, WORLD] reads when several datasets exist)
         [--log-level fatal|error|warn|info|debug|trace|silent]  JSON lines on stderr (default info)
         [--tls-cert FILE --tls-key FILE [--tls-ca FILE]]  serve grpc+tls:// (reloaded when the files change); with a CA,
                                     clients need a certificate signed by it (mTLS), and cluster hops use the same files
         [--shards N [--replicas R]]  a coordinator on --port plus N local shard processes
  coordinator [serve options] [--replicas R] [--shard-list grpc://H:P,...] [--shard-dns NAME:PORT] [--partition-size SIZE]
         [--replace-after DURATION]  re-replicate the partitions of a shard down this long (default 60s; 0 or off: never;
                                     also for serve --shards)
  shard  [serve options] [--coordinator grpc://H:P] [--id ID]   one shard (registers with the coordinator)
  put FILE --name N      load an Arrow IPC file or stream into dataset N
  load SOURCE --name N [--format parquet|ipc|csv|jsonl|iceberg] [--columns a,b] [--filter PREDICATE] [--split train]
                         [--snapshot ID] [--partition COL=V1,V2] [--s3-profile NAME]
                         the server reads SOURCE (a file, directory, glob, hive tree, s3:// URL or Iceberg table) into N,
                         replacing it all or nothing, keeping the rows where PREDICATE (the query dialect's WHERE) is true;
                         progress on stdout (a bar, or JSON lines when piped)
  ls                     list datasets
  get N [--out FILE]     read dataset N (to an Arrow IPC stream file with --out)
  drop N                 drop dataset N
  query "SELECT ..." [--format table|ipc] [--output FILE]
                         run a query (Flight SQL): print a table, or write an Arrow IPC stream (to FILE or stdout)
  stats                  node statistics
  demo [--port 8815]     start a node with demo data and stream it to a consumer (npm start)
  hash-password          read a password on stdin, print its hash for a --credentials-file
  operator [--dry-run -f FILE] [--resync-seconds 60] [--lease-duration 15s] [--lease-name N] [--lease-namespace NS] [--identity ID]
                         run the DataCache controller while holding the Lease (kubeconfig or in-cluster),
                         or print the objects it would apply for the DataCaches in FILE
  kubeflow-initializer [--timeout 30m]  Kubeflow Trainer's cache dataset initializer (STORAGE_URI=cache://SCHEMA/TABLE,
                         METADATA_LOC, TRAIN_JOB_NAME, CACHE_IMAGE, CLUSTER_SIZE, WORKER_MEM): creates a DataCache
                         owned by the TrainJob and waits until it is Ready

client commands take --endpoint grpc://HOST:PORT (default grpc://127.0.0.1:8815; grpc+tls://HOST:PORT for TLS),
--user U --password P or --token T, --timeout SECONDS, and for TLS --tls-ca FILE (roots to trust) and
--tls-cert FILE --tls-key FILE (a client certificate, for mTLS).`;

/** A command: its flags and what it runs. */
export interface Command {
  options: NonNullable<Parameters<typeof parseArgs>[0]>['options'];
  run(positionals: string[], flags: Record<string, string | boolean | undefined>): Promise<void>;
}

const commands: Record<string, Command> = {
  serve: serveCommand,
  coordinator: coordinatorCommand,
  shard: shardCommand,
  demo: demoCommand,
  'hash-password': hashPasswordCommand,
  load: loadCommand,
  query: queryCommand,
  operator: operatorCommand,
  'kubeflow-initializer': kubeflowInitializerCommand,
  ...clientCommands,
};

/** Parses the command line and runs the command; errors print one line and exit non-zero. */
async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(USAGE);
    return;
  }
  const command = commands[name];
  if (!command) throw new Error(`unknown command "${name}"; run flightcache --help`);
  const { values, positionals } = parseArgs({ args: rest, options: command.options ?? {}, allowPositionals: true, strict: true });
  await command.run(positionals, values as Record<string, string | boolean | undefined>);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const message = err instanceof FlightError ? `${err.codeName}: ${err.message}` : err instanceof Error ? err.message : String(err);
  process.stderr.write(`flightcache: ${message}\n`);
  process.exit(1);
});
