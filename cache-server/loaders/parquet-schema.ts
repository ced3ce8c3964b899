/**
 * Brings the schema arrow-rs (parquet-wasm) reads from a pyarrow-written Parquet file to the one
 * pyarrow reads: a timestamp keeps the time zone of the ARROW:schema the writer stored (arrow-rs
 * falls back to UTC when the stored unit was coerced, e.g. seconds written as milliseconds). Only
 * time zones change, never a buffer layout, so record batches stay as they are.
 */
import {
  DataType, Field, FixedSizeList, LargeList, List, Map_, Schema, Struct, Timestamp, type Field as ArrowField,
} from 'apache-arrow';
import { schemaFromFlatbuffer, schemaToFlatbuffer } from '../../client/src/flight/protocol/arrow-codec.js';
import { extractSchemaFromEncapsulated } from '../../client/src/flight/protocol/ipc-message.js';

/** The writer's Arrow schema (the ARROW:schema key, base64 IPC), or undefined when absent or unreadable. */
function writerSchema(encoded: string | undefined): Schema | undefined {
  if (encoded === undefined) return undefined;
  try {
    return schemaFromFlatbuffer(extractSchemaFromEncapsulated(Buffer.from(encoded, 'base64')));
  } catch {
    return undefined;
  }
}

/** The field as pyarrow reads it, given the writer's field at the same place (if known). */
function pyarrowField(field: ArrowField, hint: ArrowField | undefined): ArrowField {
  const type = field.type as DataType;
  const hintChild = (i: number): ArrowField | undefined => (hint?.type as DataType | undefined)?.children?.[i];
  const child = (i: number): ArrowField => pyarrowField(type.children[i]!, hintChild(i));
  let fixed: DataType = type;
  if (DataType.isTimestamp(type)) {
    const zone = hint && DataType.isTimestamp(hint.type) ? hint.type.timezone : undefined;
    if (zone && zone !== type.timezone) fixed = new Timestamp(type.unit, zone);
  } else if (DataType.isMap(type)) fixed = new Map_(child(0) as never, type.keysSorted);
  else if (DataType.isList(type)) fixed = new List(child(0));
  else if (DataType.isLargeList(type)) fixed = new LargeList(child(0));
  else if (DataType.isFixedSizeList(type)) fixed = new FixedSizeList(type.listSize, child(0));
  else if (DataType.isStruct(type)) fixed = new Struct(type.children.map((_, i) => child(i)));
  else if (DataType.isDictionary(type)) return field;
  return fixed === type ? field : new Field(field.name, fixed, field.nullable, field.metadata);
}

/**
 * The Schema message pyarrow's read would have, or undefined when arrow-rs's already is; `arrowSchema`
 * is the ARROW:schema value of the file's key-value metadata.
 */
export function pyarrowSchema(flatbuffer: Uint8Array, arrowSchema: string | undefined): Uint8Array | undefined {
  let schema: Schema;
  try {
    schema = schemaFromFlatbuffer(flatbuffer);
  } catch {
    // A type apache-arrow JS cannot decode: keep arrow-rs's schema.
    return undefined;
  }
  const hint = writerSchema(arrowSchema);
  const fields = schema.fields.map((f) => pyarrowField(f, hint?.fields.find((h) => h.name === f.name)));
  if (fields.every((f, i) => f === schema.fields[i])) return undefined;
  return schemaToFlatbuffer(new Schema(fields, schema.metadata));
}
