/** flightcache's TypeScript client: high-level datasets over a mid-level Flight client. */
export { connect, Connection, Dataset, type ConnectOptions } from './dataset.js';
export { FlightClient, pathDescriptor, cmdDescriptor, type FlightClientOptions } from './flight-client.js';
export { FlightError, Code } from '../../cache-server/flight/errors.js';
