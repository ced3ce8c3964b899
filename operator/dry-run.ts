/** What `flightcache operator --dry-run` prints: the objects for every DataCache in a file. */
import { dumpYaml } from '@kubernetes/client-node';
import { desiredObjects } from './desired.js';
import { readDataCaches } from './manifests.js';

/** The objects for every DataCache in `path`, as one YAML stream. */
export function dryRun(path: string): string {
  return readDataCaches(path)
    .flatMap((cache) => desiredObjects(cache))
    .map((object) => dumpYaml(object))
    .join('---\n');
}
