/** The high-level client: `connect(url).dataset(name)` to read, write and drop one dataset. */
import { Table, type RecordBatch, type Schema } from 'apache-arrow';
import { FlightClient, pathDescriptor, type FlightClientOptions } from './flight-client.js';
import { LocationClients, readShare, type FailoverOptions, type ShareBatch, type ShareOptions } from './share-reader.js';
import type { FlightInfo, PutResult } from './flight/protocol/messages.js';
import { queryTable } from './query.js';

/** Connection options: a token, or user and password for a Handshake. */
export interface ConnectOptions extends FlightClientOptions {
  user?: string;
  password?: string;
}

/** One dataset of a flightcache server. */
export class Dataset {
  constructor(
    readonly client: FlightClient,
    readonly name: string,
    private readonly locations: LocationClients = new LocationClients(client, () => client.bearerToken),
  ) {}

  /** The dataset's FlightInfo (schema, rows, bytes, endpoints). */
  info(): Promise<FlightInfo> {
    return this.client.getFlightInfo(pathDescriptor(this.name));
  }

  /** The dataset's Arrow schema. */
  schema(): Promise<Schema> {
    return this.client.getSchema(pathDescriptor(this.name));
  }

  /** Streams every record batch of every endpoint, in order, from the endpoints' locations (with failover). */
  async *batches(): AsyncIterable<RecordBatch> {
    for await (const { batch } of this.read()) yield batch;
  }

  /** Streams a rank's share with its resume cursors (filter, shuffle, columns, batch_rows, resume: see ShareOptions). */
  read(options: ShareOptions = {}, failover: FailoverOptions = {}): AsyncIterable<ShareBatch> {
    return readShare(this.locations, this.name, options, failover);
  }

  /** Reads the whole dataset into a Table. */
  async table(): Promise<Table> {
    const batches: RecordBatch[] = [];
    for await (const batch of this.batches()) batches.push(batch);
    return batches.length > 0 ? new Table(batches) : new Table(await this.schema());
  }

  /** Appends a Table or batches (creating the dataset if needed). */
  put(data: Table | Iterable<RecordBatch>): Promise<PutResult[]> {
    return this.client.doPut(pathDescriptor(this.name), data);
  }

  /** Drops the dataset. */
  async drop(): Promise<void> {
    await this.client.action('drop', this.name);
  }
}

/** A connection to a flightcache server. */
export class Connection {
  private readonly locations: LocationClients;

  constructor(readonly client: FlightClient) {
    this.locations = new LocationClients(client, () => client.bearerToken);
  }

  /** A handle on one dataset (no call is made until it is used). */
  dataset(name: string): Dataset {
    return new Dataset(this.client, name, this.locations);
  }

  /** Names of the datasets on the server. */
  async datasets(): Promise<string[]> {
    const names: string[] = [];
    for await (const info of this.client.listFlights()) names.push(info.flightDescriptor?.path[0] ?? '');
    return names;
  }

  /** Runs a SQL query (Flight SQL; the dialect of docs/flight-sql.md) and returns its whole result. */
  query(sql: string): Promise<Table> {
    return queryTable(this.locations, sql);
  }

  /** Closes the connection and those to the locations it read from. */
  close(): void {
    this.locations.close();
    this.client.close();
  }
}

/** Connects to a server (grpc://host:port), authenticating when credentials are given. */
export async function connect(url: string, options: ConnectOptions = {}): Promise<Connection> {
  const client = new FlightClient(url, options);
  if (options.user !== undefined) await client.handshake(options.user, options.password ?? '');
  return new Connection(client);
}
