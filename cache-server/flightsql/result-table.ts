/**
 * Small result tables of the Flight SQL metadata commands, built with apache-arrow JS with the
 * exact field names, types and nullability the spec gives (clients such as the ADBC driver compare
 * the schema they receive with the spec's before reading it).
 */
import { Binary, Field, RecordBatch, Schema, Struct, Table, Utf8, makeData, vectorFromArray, type Data, type DataType } from 'apache-arrow';
import { encapsulate } from '../../client/src/flight/protocol/ipc-message.js';
import { schemaToFlatbuffer } from '../../client/src/flight/protocol/arrow-codec.js';

/** A not-null or nullable utf8 field. */
export const utf8Field = (name: string, nullable: boolean): Field => new Field(name, new Utf8(), nullable);

/** A table of `schema` from one column of Data per field (no batch when the columns are empty). */
export function tableOf(schema: Schema, columns: readonly Data[]): Table {
  const length = columns[0]?.length ?? 0;
  if (length === 0) return new Table(schema);
  const data = makeData({ type: new Struct(schema.fields), length, nullCount: 0, children: columns as Data[] });
  return new Table([new RecordBatch(schema, data)]);
}

/** A column of strings (null where the value is null). */
export function stringColumn(values: readonly (string | null)[]): Data {
  return vectorFromArray(values as (string | null)[], new Utf8()).data[0]!;
}

/** A column of byte strings. */
export function binaryColumn(values: readonly Uint8Array[]): Data {
  return vectorFromArray(values as Uint8Array[], new Binary()).data[0]!;
}

/** A column of values of `type`. */
export function columnOf<T extends DataType>(values: readonly unknown[], type: T): Data<T> {
  return vectorFromArray(values as never[], type).data[0]! as Data<T>;
}

/** The schema as an encapsulated IPC Schema message (what FlightInfo.schema and GetSchema carry). */
export function encapsulatedSchema(schema: Schema): Uint8Array {
  return encapsulate(schemaToFlatbuffer(schema));
}
