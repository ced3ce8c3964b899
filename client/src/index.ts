/** flightcache's TypeScript client: high-level datasets over a mid-level Flight client. */
export { connect, Connection, Dataset, type ConnectOptions } from './dataset.js';
export { FlightClient, pathDescriptor, cmdDescriptor, type FlightClientOptions } from './flight-client.js';
export { FlightError, Code } from './flight/errors.js';
export { hostId } from './host-id.js';
export {
  readShare,
  readShareMessages,
  LocationClients,
  type ShareOptions,
  type FailoverOptions,
  type ShareBatch,
  type ShareMessage,
} from './share-reader.js';
export { queryInfo, queryStreams, queryTable } from './query.js';
