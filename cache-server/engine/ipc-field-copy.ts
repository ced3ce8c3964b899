/**
 * Copies Schema flatbuffer tables (fields, their type tables, dictionary encodings and custom
 * metadata) from a read flatbuffer into a Builder, parameter by parameter, so that a projected
 * schema describes each kept field exactly as the writer did.
 */
import type { Builder, Offset } from 'flatbuffers';
import { Field } from 'apache-arrow/fb/field';
import { KeyValue } from 'apache-arrow/fb/key-value';
import { DictionaryEncoding } from 'apache-arrow/fb/dictionary-encoding';
import { Type } from 'apache-arrow/fb/type';
import { Int } from 'apache-arrow/fb/int';
import { FloatingPoint } from 'apache-arrow/fb/floating-point';
import { Decimal } from 'apache-arrow/fb/decimal';
import { Date as FbDate } from 'apache-arrow/fb/date';
import { Time } from 'apache-arrow/fb/time';
import { Timestamp } from 'apache-arrow/fb/timestamp';
import { Interval } from 'apache-arrow/fb/interval';
import { Duration } from 'apache-arrow/fb/duration';
import { FixedSizeBinary } from 'apache-arrow/fb/fixed-size-binary';
import { FixedSizeList } from 'apache-arrow/fb/fixed-size-list';
import { Map as FbMap } from 'apache-arrow/fb/map';
import { Union } from 'apache-arrow/fb/union';
import { Code, FlightError } from '../../client/src/flight/errors.js';

/** Arrow C++ refuses deeper nesting when reading IPC; so do we. */
const MAX_DEPTH = 64;

/** A custom_metadata list read through a table's accessors. */
interface MetadataSource {
  customMetadataLength(): number;
  customMetadata(index: number, obj?: KeyValue): KeyValue | null;
}

/** INVALID_ARGUMENT for a schema whose field `path` is malformed. */
export function invalidField(path: string, message: string): FlightError {
  return new FlightError(Code.INVALID_ARGUMENT, `invalid schema: field "${path}" ${message}`);
}

/** The type table of a field, required for parameterised types. */
export function typeTable<T>(field: Field, table: T, path: string): T {
  const found = field.type(table) as T | null;
  if (!found) throw invalidField(path, `has type ${Type[field.typeType()]} without its parameters`);
  return found;
}

/** Copies a table's custom_metadata into a vector; 0 (absent) when it has none. */
export function copyMetadata(builder: Builder, source: MetadataSource): Offset {
  const n = source.customMetadataLength();
  if (n === 0) return 0;
  const pairs: Offset[] = [];
  for (let i = 0; i < n; i++) {
    const pair = source.customMetadata(i);
    const key = pair?.key(), value = pair?.value();
    pairs.push(KeyValue.createKeyValue(builder, key == null ? 0 : builder.createString(key), value == null ? 0 : builder.createString(value)));
  }
  // Every table with custom_metadata has the same generated vector helper; Field's serves for all.
  return Field.createCustomMetadataVector(builder, pairs);
}

/** Copies the type table of `field`, every parameter included; view and run-end types were rejected before. */
function copyType(builder: Builder, field: Field, path: string): Offset {
  const type = field.typeType();
  switch (type) {
    case Type.Int: {
      const t = typeTable(field, new Int(), path);
      return Int.createInt(builder, t.bitWidth(), t.isSigned());
    }
    case Type.FloatingPoint:
      return FloatingPoint.createFloatingPoint(builder, typeTable(field, new FloatingPoint(), path).precision());
    case Type.Decimal: {
      const t = typeTable(field, new Decimal(), path);
      return Decimal.createDecimal(builder, t.precision(), t.scale(), t.bitWidth());
    }
    case Type.Date:
      return FbDate.createDate(builder, typeTable(field, new FbDate(), path).unit());
    case Type.Time: {
      const t = typeTable(field, new Time(), path);
      return Time.createTime(builder, t.unit(), t.bitWidth());
    }
    case Type.Timestamp: {
      const t = typeTable(field, new Timestamp(), path);
      const timezone = t.timezone();
      return Timestamp.createTimestamp(builder, t.unit(), timezone == null ? 0 : builder.createString(timezone));
    }
    case Type.Interval:
      return Interval.createInterval(builder, typeTable(field, new Interval(), path).unit());
    case Type.Duration:
      return Duration.createDuration(builder, typeTable(field, new Duration(), path).unit());
    case Type.FixedSizeBinary:
      return FixedSizeBinary.createFixedSizeBinary(builder, typeTable(field, new FixedSizeBinary(), path).byteWidth());
    case Type.FixedSizeList:
      return FixedSizeList.createFixedSizeList(builder, typeTable(field, new FixedSizeList(), path).listSize());
    case Type.Map:
      return FbMap.createMap(builder, typeTable(field, new FbMap(), path).keysSorted());
    case Type.Union: {
      const t = typeTable(field, new Union(), path);
      const ids: number[] = [];
      for (let i = 0, n = t.typeIdsLength(); i < n; i++) ids.push(t.typeIds(i) ?? 0);
      return Union.createUnion(builder, t.mode(), t.typeIdsLength() === 0 ? 0 : Union.createTypeIdsVector(builder, ids));
    }
    case Type.Null:
    case Type.Binary:
    case Type.Utf8:
    case Type.Bool:
    case Type.List:
    case Type.Struct_:
    case Type.LargeBinary:
    case Type.LargeUtf8:
    case Type.LargeList:
      // Types without parameters have empty tables.
      builder.startObject(0);
      return builder.endObject();
    default:
      throw invalidField(path, `has type ${Type[type] ?? type}, which projection cannot copy`);
  }
}

/** Copies a dictionary encoding: id, index type, ordering and kind. */
function copyDictionary(builder: Builder, dictionary: DictionaryEncoding): Offset {
  const index = dictionary.indexType();
  const indexType = index ? Int.createInt(builder, index.bitWidth(), index.isSigned()) : 0;
  DictionaryEncoding.startDictionaryEncoding(builder);
  DictionaryEncoding.addId(builder, dictionary.id());
  if (indexType) DictionaryEncoding.addIndexType(builder, indexType);
  DictionaryEncoding.addIsOrdered(builder, dictionary.isOrdered());
  DictionaryEncoding.addDictionaryKind(builder, dictionary.dictionaryKind());
  return DictionaryEncoding.endDictionaryEncoding(builder);
}

/** Copies a Field with its type, dictionary encoding, children (recursively) and custom metadata; `rename`: its new name. */
export function copyField(builder: Builder, field: Field, path: string, depth = 0, rename?: string): Offset {
  if (depth > MAX_DEPTH) throw invalidField(path, `is nested deeper than ${MAX_DEPTH} levels`);
  const children: Offset[] = [];
  for (let i = 0, n = field.childrenLength(); i < n; i++) {
    const child = field.children(i);
    if (!child) throw invalidField(path, `is missing child #${i + 1}`);
    children.push(copyField(builder, child, `${path}.${child.name() ?? ''}`, depth + 1));
  }
  const name = rename ?? field.name();
  const nameOffset = name == null ? 0 : builder.createString(name);
  const typeOffset = copyType(builder, field, path);
  const dictionary = field.dictionary();
  const dictionaryOffset = dictionary ? copyDictionary(builder, dictionary) : 0;
  const childrenOffset = Field.createChildrenVector(builder, children);
  const metadataOffset = copyMetadata(builder, field);
  Field.startField(builder);
  if (nameOffset) Field.addName(builder, nameOffset);
  Field.addNullable(builder, field.nullable());
  Field.addTypeType(builder, field.typeType());
  Field.addType(builder, typeOffset);
  if (dictionaryOffset) Field.addDictionary(builder, dictionaryOffset);
  Field.addChildren(builder, childrenOffset);
  if (metadataOffset) Field.addCustomMetadata(builder, metadataOffset);
  return Field.endField(builder);
}
