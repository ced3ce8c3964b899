/**
 * What each suite measures: the paths whose changes can move its numbers. The report marks a record
 * stale when a commit after the record's touched one of them (bench/report/staleness.ts). A new
 * suite adds its entry here; a suite without one counts every change to the repository.
 */

/** The Flight protocol and transport both ends share. */
const FLIGHT = ['client/src/flight', 'cache-server/flight'];
/** Our server as one node runs it: the Flight layer, the node role, IPC compute, storage, the CLI, the native addon. */
const NODE_SERVER = [...FLIGHT, 'cache-server/engine', 'cache-server/node', 'cache-server/storage', 'cache-server/cli', 'cache-server/config.ts', 'native', 'binding.gyp'];
/** The cluster adds the coordinator and shards. */
const CLUSTER_SERVER = [...NODE_SERVER, 'cache-server/cluster'];
/** The harness every suite runs under. */
const HARNESS = ['bench/run.ts', 'bench/stats.ts', 'bench/servers.ts'];

/** Paths per suite, relative to the repository root; a directory covers everything under it. */
export const MEASURES: Readonly<Record<string, readonly string[]>> = {
  doget: [...NODE_SERVER, ...HARNESS, 'bench/suites/doget.ts', 'bench/py/doget_client.py', 'test/python/peer_server.py'],
  epoch: [...NODE_SERVER, ...HARNESS, 'client/src', 'bench/suites/epoch.ts', 'bench/suites/epoch-results.ts', 'bench/suites/epoch-sweeps.ts', 'bench/suites/limits.ts', 'bench/peers', 'bench/py/epoch_common.py', 'bench/py/epoch_data.py', 'bench/py/epoch_worker.py', 'bench/py/epoch_sweeps.py', 'bench/py/limits.py', 'bench/py/worker_protocol.py', 'test/python/peer_server.py'],
  micro: [...FLIGHT, 'cache-server/engine', 'cache-server/storage', 'native', 'binding.gyp', ...HARNESS, 'bench/suites/micro.ts', 'bench/suites/micro-cases.ts'],
  scale: [...NODE_SERVER, ...HARNESS, 'bench/suites/scale.ts', 'bench/suites/scale-plan.ts', 'bench/suites/scale-reader.ts', 'bench/py/scale_reader.py', 'bench/py/reader_protocol.py', 'bench/py/doget_client.py'],
  cluster: [...CLUSTER_SERVER, ...HARNESS, 'client/src', 'bench/suites/cluster.ts', 'bench/suites/cluster-results.ts', 'bench/suites/cluster-reader.ts', 'bench/suites/cluster-hosts.ts', 'test/helpers/netns.ts', 'bench/suites/line-process.ts', 'bench/py/cluster_reader.py', 'bench/py/reader_protocol.py', 'bench/py/doget_client.py'],
  torch: [...CLUSTER_SERVER, ...HARNESS, 'client/python/src', 'bench/suites/torch.ts', 'bench/suites/torch-results.ts', 'bench/py/torch_common.py', 'bench/py/torch_data.py', 'bench/py/torch_worker.py', 'bench/py/worker_protocol.py'],
  load: [...CLUSTER_SERVER, 'cache-server/loaders', ...HARNESS, 'bench/suites/load.ts', 'bench/suites/cluster.ts', 'bench/py/load_data.py', 'test/python/s3_server.py'],
  tokenize: [...NODE_SERVER, 'cache-server/loaders', 'client/python/src', ...HARNESS, 'bench/suites/tokenize.ts', 'bench/py/tokenize_peers.py', 'test/python/tokenize_check.py'],
  feed: [...CLUSTER_SERVER, 'cache-server/samehost', 'client/src/host-id.ts', 'client/python/src', ...HARNESS, 'bench/suites/feed.ts', 'bench/suites/feed-results.ts', 'bench/py/feed_common.py', 'bench/py/feed_data.py', 'bench/py/feed_worker.py', 'bench/py/torch_common.py', 'bench/peers'],
  soak: [...CLUSTER_SERVER, 'cache-server/loaders', 'cache-server/samehost', 'client/src', 'client/python/src', ...HARNESS, 'bench/suites/soak.ts', 'bench/suites/soak-cluster.ts', 'bench/suites/soak-results.ts', 'bench/suites/soak-partition.ts', 'bench/suites/line-process.ts', 'bench/py/soak_worker.py', 'bench/py/soak_partition.py', 'test/helpers/netns.ts'],
  pushdown: [...NODE_SERVER, ...HARNESS, 'bench/suites/pushdown.ts', 'bench/suites/pushdown-kernel.ts', 'bench/suites/pushdown-results.ts', 'bench/py/pushdown_peers.py'],
  gpu: [...CLUSTER_SERVER, 'client/python/src', 'bench/gpu/gpu_feed.py', 'bench/gpu/run.sh', 'bench/py/torch_common.py'],
};

/** The paths a suite measures; the whole repository for a suite that declares none. */
export function measuredPaths(suite: string): readonly string[] {
  return MEASURES[suite] ?? ['.'];
}
