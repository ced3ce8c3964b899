/**
 * Canonical descriptions and comparison of Arrow schemas, read straight from Schema flatbuffers so
 * that every type an Arrow writer may send can be described, including ones apache-arrow JS lacks.
 */
import { Field } from 'apache-arrow/fb/field';
import { Schema as FbSchema } from 'apache-arrow/fb/schema';
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
import { UnionMode } from 'apache-arrow/fb/union-mode';
import { Code, FlightError } from '../errors.js';
import { messageAccessor, parseMessageHeader } from './ipc-message.js';

/** One field of a schema in canonical, human-readable form. */
export interface FieldDescription {
  name: string;
  nullable: boolean;
  /** The whole type, children included, e.g. `list<item: int64 not null>`. */
  type: string;
  /** The type without its children, e.g. `list` or `dictionary<values=utf8, indices=int32>`. */
  base: string;
  children: FieldDescription[];
}

/** Arrow C++ refuses deeper nesting when reading IPC; so do we. */
const MAX_DEPTH = 64;
const TIME_UNITS = ['s', 'ms', 'us', 'ns'];
const INTERVAL_UNITS = ['year_month', 'day_time', 'month_day_nano'];
const FLOATS = ['float16', 'float32', 'float64'];
const SIMPLE: Partial<Record<Type, string>> = {
  [Type.Null]: 'null',
  [Type.Bool]: 'bool',
  [Type.Binary]: 'binary',
  [Type.LargeBinary]: 'large_binary',
  [Type.BinaryView]: 'binary_view',
  [Type.Utf8]: 'utf8',
  [Type.LargeUtf8]: 'large_utf8',
  [Type.Utf8View]: 'utf8_view',
};
const LISTS: Partial<Record<Type, string>> = {
  [Type.List]: 'list',
  [Type.LargeList]: 'large_list',
  [Type.ListView]: 'list_view',
  [Type.LargeListView]: 'large_list_view',
};

/** Walk state shared by one description: a budget of fields stops a DAG of shared tables from exploding. */
interface Walk {
  fieldsLeft: number;
}

function invalid(path: string, message: string): FlightError {
  return new FlightError(Code.INVALID_ARGUMENT, `invalid schema: field "${path}" ${message}`);
}

function childText(child: FieldDescription): string {
  return `${child.name}: ${child.type}${child.nullable ? '' : ' not null'}`;
}

function unitName(names: string[], unit: number, path: string): string {
  const name = names[unit];
  if (name === undefined) throw invalid(path, `has unknown unit ${unit}`);
  return name;
}

/** The type table of a field, required for parameterised types. */
function typeTable<T>(field: Field, table: T, path: string): T {
  const found = field.type(table) as T | null;
  if (!found) throw invalid(path, `has type ${Type[field.typeType()]} without its parameters`);
  return found;
}

function intName(int: Int, path: string): string {
  const width = int.bitWidth();
  if (![8, 16, 32, 64].includes(width)) throw invalid(path, `has an integer bit width of ${width}`);
  return `${int.isSigned() ? 'int' : 'uint'}${width}`;
}

function expectChildren(path: string, kind: string, actual: number, expected: number): void {
  if (actual !== expected) throw invalid(path, `of type ${kind} has ${actual} children, expected ${expected}`);
}

/** The base (childless) and full type strings of a field's value type. */
function describeType(field: Field, children: FieldDescription[], path: string): { base: string; type: string } {
  const typeId = field.typeType();
  const simple = SIMPLE[typeId];
  if (simple !== undefined) return { base: simple, type: simple };
  const list = LISTS[typeId];
  if (list !== undefined) {
    expectChildren(path, list, children.length, 1);
    return { base: list, type: `${list}<${childText(children[0]!)}>` };
  }
  const scalar = (name: string): { base: string; type: string } => ({ base: name, type: name });
  switch (typeId) {
    case Type.Int:
      return scalar(intName(typeTable(field, new Int(), path), path));
    case Type.FloatingPoint:
      return scalar(unitName(FLOATS, typeTable(field, new FloatingPoint(), path).precision(), path));
    case Type.Decimal: {
      const t = typeTable(field, new Decimal(), path);
      return scalar(`decimal${t.bitWidth()}(${t.precision()}, ${t.scale()})`);
    }
    case Type.Date:
      return scalar(unitName(['date32', 'date64'], typeTable(field, new FbDate(), path).unit(), path));
    case Type.Time: {
      const t = typeTable(field, new Time(), path);
      return scalar(`time${t.bitWidth()}[${unitName(TIME_UNITS, t.unit(), path)}]`);
    }
    case Type.Timestamp: {
      const t = typeTable(field, new Timestamp(), path);
      const tz = t.timezone();
      return scalar(`timestamp[${unitName(TIME_UNITS, t.unit(), path)}${tz ? `, tz=${tz}` : ''}]`);
    }
    case Type.Interval:
      return scalar(`interval[${unitName(INTERVAL_UNITS, typeTable(field, new Interval(), path).unit(), path)}]`);
    case Type.Duration:
      return scalar(`duration[${unitName(TIME_UNITS, typeTable(field, new Duration(), path).unit(), path)}]`);
    case Type.FixedSizeBinary:
      return scalar(`fixed_size_binary[${typeTable(field, new FixedSizeBinary(), path).byteWidth()}]`);
    case Type.FixedSizeList: {
      const size = typeTable(field, new FixedSizeList(), path).listSize();
      expectChildren(path, 'fixed_size_list', children.length, 1);
      return { base: `fixed_size_list[${size}]`, type: `fixed_size_list<${childText(children[0]!)}>[${size}]` };
    }
    case Type.Struct_:
      return { base: 'struct', type: `struct<${children.map(childText).join(', ')}>` };
    case Type.Map: {
      const base = typeTable(field, new FbMap(), path).keysSorted() ? 'map(keys sorted)' : 'map';
      expectChildren(path, 'map', children.length, 1);
      const entries = children[0]!;
      if (entries.base !== 'struct' || entries.children.length !== 2) {
        throw invalid(path, `of type map has entries of type ${entries.type}, expected a struct of key and value`);
      }
      return { base, type: `map<${entries.children.map(childText).join(', ')}>${base.slice(3)}` };
    }
    case Type.Union: {
      const t = typeTable(field, new Union(), path);
      const mode = t.mode() === UnionMode.Dense ? 'dense_union' : 'sparse_union';
      const n = t.typeIdsLength();
      if (n !== 0) expectChildren(path, mode, children.length, n);
      const codes = children.map((_, i) => (n === 0 ? i : t.typeIds(i)!));
      return {
        base: `${mode}[${codes.join(', ')}]`,
        type: `${mode}<${children.map((c, i) => `${childText(c)}=${codes[i]}`).join(', ')}>`,
      };
    }
    case Type.RunEndEncoded:
      expectChildren(path, 'run_end_encoded', children.length, 2);
      return { base: 'run_end_encoded', type: `run_end_encoded<${children.map(childText).join(', ')}>` };
    case Type.NONE:
      throw invalid(path, 'has no type');
    default:
      throw invalid(path, `has unknown Arrow type id ${typeId}`);
  }
}

/** Charges one field at `path` to the walk, refusing schemas too large or too deep to walk. */
function enterField(path: string, depth: number, walk: Walk): void {
  if (--walk.fieldsLeft < 0) throw invalid(path, 'is one field more than its flatbuffer can hold');
  if (depth > MAX_DEPTH) throw invalid(path, `nests deeper than ${MAX_DEPTH} levels`);
}

/** The children of a field with their dotted paths. */
function childrenOf(field: Field, path: string): { child: Field; path: string }[] {
  const children: { child: Field; path: string }[] = [];
  for (let i = 0, n = field.childrenLength(); i < n; i++) {
    const child = field.children(i);
    if (!child) throw invalid(path, `has a missing child #${i + 1}`);
    children.push({ child, path: `${path}.${child.name() ?? ''}` });
  }
  return children;
}

function describe(field: Field, path: string, depth: number, walk: Walk): FieldDescription {
  enterField(path, depth, walk);
  const name = field.name() ?? '';
  const children = childrenOf(field, path).map(({ child, path: childPath }) => describe(child, childPath, depth + 1, walk));
  let { base, type } = describeType(field, children, path);
  const dictionary = field.dictionary();
  if (dictionary) {
    const indexTable = dictionary.indexType();
    const indices = indexTable ? intName(indexTable, path) : 'int32';
    const ordered = dictionary.isOrdered() ? ', ordered' : '';
    base = `dictionary<values=${base}, indices=${indices}${ordered}>`;
    type = `dictionary<values=${type}, indices=${indices}${ordered}>`;
  }
  return { name, nullable: field.nullable(), type, base, children };
}

/** The Schema table of a raw Message flatbuffer whose header is a Schema. */
function schemaTable(flatbuffer: Uint8Array): FbSchema {
  const info = parseMessageHeader(flatbuffer);
  if (info.kind !== 'schema') {
    throw new FlightError(Code.INVALID_ARGUMENT, `expected a Schema message, got a ${info.kind} message`);
  }
  return messageAccessor(flatbuffer).header(new FbSchema()) as FbSchema;
}

/** Describes one flatbuffer Field, its children and dictionary encoding included. */
export function describeField(field: Field): FieldDescription {
  const name = field.name() ?? '';
  return describe(field, name, 0, { fieldsLeft: Math.ceil((field.bb?.capacity() ?? 0) / 4) });
}

/** The top-level fields of a Schema message flatbuffer and a walk budgeted by its size. */
function topLevelFields(schemaFlatbuffer: Uint8Array): { fields: Field[]; walk: Walk } {
  const schema = schemaTable(schemaFlatbuffer);
  const fields: Field[] = [];
  for (let i = 0, n = schema.fieldsLength(); i < n; i++) {
    const field = schema.fields(i);
    if (!field) throw new FlightError(Code.INVALID_ARGUMENT, `invalid schema: field #${i + 1} is missing`);
    fields.push(field);
  }
  return { fields, walk: { fieldsLeft: Math.ceil(schemaFlatbuffer.length / 4) } };
}

/** Describes every top-level field of a Schema message flatbuffer. */
export function describeSchema(schemaFlatbuffer: Uint8Array): FieldDescription[] {
  const { fields, walk } = topLevelFields(schemaFlatbuffer);
  return fields.map((field) => describe(field, field.name() ?? '', 0, walk));
}

/** The dictionary id a dictionary-encoded field declares, with the field's dotted path. */
export interface DictionaryId {
  path: string;
  id: bigint;
}

function collectDictionaryIds(field: Field, path: string, depth: number, walk: Walk, ids: DictionaryId[]): void {
  enterField(path, depth, walk);
  const dictionary = field.dictionary();
  if (dictionary) ids.push({ path, id: dictionary.id() });
  for (const { child, path: childPath } of childrenOf(field, path)) collectDictionaryIds(child, childPath, depth + 1, walk, ids);
}

/**
 * The dictionary ids of a Schema message in depth-first field order, a field before its children:
 * the order in which Arrow C++ numbers dictionaries 0..n-1.
 */
export function dictionaryIds(schemaFlatbuffer: Uint8Array): DictionaryId[] {
  const { fields, walk } = topLevelFields(schemaFlatbuffer);
  const ids: DictionaryId[] = [];
  for (const field of fields) collectDictionaryIds(field, field.name() ?? '', 0, walk, ids);
  return ids;
}

/** The names of a Schema message's top-level fields, in order. */
export function schemaFieldNames(schemaFlatbuffer: Uint8Array): string[] {
  const schema = schemaTable(schemaFlatbuffer);
  const names: string[] = [];
  for (let i = 0, n = schema.fieldsLength(); i < n; i++) names.push(schema.fields(i)?.name() ?? '');
  return names;
}

function nullability(nullable: boolean): string {
  return nullable ? 'nullable' : 'not nullable';
}

/** The first difference between two described fields at `path`, or undefined. */
function fieldDifference(a: FieldDescription, b: FieldDescription, path: string): string | undefined {
  if (a.nullable !== b.nullable) {
    return `field "${path}" differs: ${nullability(a.nullable)} in the dataset, ${nullability(b.nullable)} in the new data`;
  }
  if (a.base !== b.base || a.children.length !== b.children.length) {
    return `field "${path}" differs: ${a.type} in the dataset, ${b.type} in the new data`;
  }
  for (let i = 0; i < a.children.length; i++) {
    const [x, y] = [a.children[i]!, b.children[i]!];
    if (x.name !== y.name) {
      return `field "${path}" differs: child #${i + 1} is named "${x.name}" in the dataset, "${y.name}" in the new data`;
    }
    const difference = fieldDifference(x, y, `${path}.${x.name}`);
    if (difference) return difference;
  }
  return undefined;
}

/**
 * Compares a dataset's Schema message (`a`) with new data's (`b`): undefined when names, types,
 * nullability and dictionary encodings match in order (metadata and dictionary ids are ignored:
 * see firstDictionaryIdDifference), else a message naming the first differing field.
 */
export function firstSchemaDifference(a: Uint8Array, b: Uint8Array): string | undefined {
  const [left, right] = [describeSchema(a), describeSchema(b)];
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const [x, y] = [left[i]!, right[i]!];
    if (x.name !== y.name) return `field #${i + 1} differs: named "${x.name}" in the dataset, "${y.name}" in the new data`;
    const difference = fieldDifference(x, y, x.name);
    if (difference) return difference;
  }
  if (left.length < right.length) {
    return `field count differs: ${left.length} in the dataset, ${right.length} in the new data (first extra field "${right[left.length]!.name}")`;
  }
  if (left.length > right.length) {
    return `field count differs: ${left.length} in the dataset, ${right.length} in the new data (first missing field "${left[right.length]!.name}")`;
  }
  return undefined;
}

const quotedPaths = (ids: DictionaryId[]): string => (ids.length === 0 ? 'none' : ids.map((d) => `"${d.path}"`).join(', '));

/**
 * Compares the dictionary ids of a dataset's Schema message (`existing`) with new data's: undefined
 * when every dictionary-encoded field declares the same id in both, else a message naming the first
 * field that differs. Appended dictionary batches carry the new data's ids, so they must be the
 * dataset's for the stored stream to stay readable.
 */
export function firstDictionaryIdDifference(existing: Uint8Array, incoming: Uint8Array): string | undefined {
  const [left, right] = [dictionaryIds(existing), dictionaryIds(incoming)];
  if (left.length !== right.length || left.some((d, i) => d.path !== right[i]!.path)) {
    return `dictionary-encoded fields differ: ${quotedPaths(left)} in the dataset, ${quotedPaths(right)} in the new data`;
  }
  const at = left.findIndex((d, i) => d.id !== right[i]!.id);
  if (at < 0) return undefined;
  return (
    `dictionary ids differ: field "${left[at]!.path}" uses id ${right[at]!.id} in the new data, ${left[at]!.id} in the dataset; ` +
    "send the dictionary ids of the dataset's schema (GetSchema) or number dictionaries 0..n-1 in field order as Arrow C++ does"
  );
}
