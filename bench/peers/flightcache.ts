/** flightcache (our server) as an epoch contender, read by pyarrow.flight and by our TypeScript client. */
import { nodeWorker, pythonWorker, type ContenderPlan } from './contender.js';

/** flightcache read by a pyarrow.flight client: the contender every ratio is taken against. */
export const FLIGHTCACHE_PYARROW = 'flightcache-pyarrow';
/** flightcache read by client/src's FlightClient into apache-arrow RecordBatches. */
export const FLIGHTCACHE_TS = 'flightcache-ts';

/** Both flightcache contenders for dataset `dataset` on the server at `url`. */
export function flightcachePlans(python: string, url: string, dataset: string): ContenderPlan[] {
  return [
    {
      name: FLIGHTCACHE_PYARROW,
      description: 'flightcache server, pyarrow.flight client (GetFlightInfo + DoGet)',
      command: pythonWorker(python, 'flight', { url, name: dataset }),
    },
    {
      name: FLIGHTCACHE_TS,
      description: 'flightcache server, our TypeScript FlightClient (apache-arrow batches, node)',
      command: nodeWorker('flight', { url, name: dataset }),
    },
  ];
}
