/** What `flightcache operator --dry-run` prints: the objects for every DataCache in a file. */
import { dumpYaml } from '@kubernetes/client-node';
import { desiredObjects } from './desired.js';
import { readDataCaches } from './manifests.js';
import { podDefaultOf } from './poddefault.js';

/** Heads the PodDefault, which the operator applies only where Kubeflow serves PodDefaults (a dry run cannot tell). */
const PODDEFAULT_NOTE = '# applied where the API server serves PodDefaults (kubeflow.org/v1alpha1, Kubeflow installed)\n';

/** The objects for every DataCache in `path`, as one YAML stream. */
export function dryRun(path: string): string {
  return readDataCaches(path)
    .flatMap((cache) => [...desiredObjects(cache).map((object) => dumpYaml(object)), PODDEFAULT_NOTE + dumpYaml(podDefaultOf(cache))])
    .join('---\n');
}
