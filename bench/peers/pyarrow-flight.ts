/** pyarrow's C++ Flight server (test/python/peer_server.py) as an epoch contender. */
import { pythonWorker, type ContenderPlan } from './contender.js';

/** The pyarrow FlightServerBase peer read by a pyarrow.flight client. */
export const PYARROW_FLIGHT = 'pyarrow-flight';

/** The peer's contender for dataset `dataset` on the server at `url`. */
export function pyarrowFlightPlan(python: string, url: string, dataset: string): ContenderPlan {
  return {
    name: PYARROW_FLIGHT,
    description: 'pyarrow FlightServerBase (C++ Flight) peer, pyarrow.flight client',
    command: pythonWorker(python, 'flight', { url, name: dataset }),
  };
}
