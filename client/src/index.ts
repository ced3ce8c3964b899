/** flightcache's TypeScript client: high-level datasets over a mid-level Flight client. */
export { connect, Connection, Dataset, type ConnectOptions } from './dataset.js';
export { FlightClient, pathDescriptor, cmdDescriptor, type FlightClientOptions } from './flight-client.js';
export { FlightError, Code } from '../../cache-server/flight/errors.js';
export { hostId } from '../../cache-server/samehost/host-id.js';
export {
  readShare,
  readShareMessages,
  LocationClients,
  type ShareOptions,
  type FailoverOptions,
  type ShareBatch,
  type ShareMessage,
} from './share-reader.js';
