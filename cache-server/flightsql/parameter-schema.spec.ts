import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dictionary, Field, Float64, Int16, Int32, Schema, Utf8 } from 'apache-arrow';
import { Code } from '../../client/src/flight/errors.js';
import { parameterSchema } from './parameter-schema.js';

const TRAIN = new Schema([
  new Field('id', new Int32()),
  new Field('score', new Float64()),
  new Field('lang', new Dictionary(new Utf8(), new Int16())),
]);
const schemaOf = async (dataset: string): Promise<Schema> => {
  assert.equal(dataset, 'train');
  return TRAIN;
};
const fields = (schema: Schema | undefined): string[] | undefined => schema?.fields.map((f) => `${f.name}: ${String(f.type)}`);

test('each ? takes the type of the column it is compared with, in the order the ? appear', async () => {
  const sql = 'SELECT id FROM train WHERE lang = ? AND ? < score AND id BETWEEN ? AND ? OR length(lang) > ?';
  assert.deepEqual(fields(await parameterSchema(sql, schemaOf)), [
    'parameter_1: Utf8',
    'parameter_2: Float64',
    'parameter_3: Int32',
    'parameter_4: Int32',
    'parameter_5: Utf8',
  ]);
});

test('$N placeholders are typed by number, IN lists included', async () => {
  assert.deepEqual(fields(await parameterSchema('SELECT id FROM train WHERE score > $2 AND id IN ($1, 3)', schemaOf)), ['parameter_1: Int32', 'parameter_2: Float64']);
});

test('a query without parameters has no parameter schema and is not parsed here', async () => {
  assert.equal(await parameterSchema('SELECT id FROM train', async () => assert.fail('no schema needed')), undefined);
});

test('text that does not parse is the SQL core\'s INVALID_ARGUMENT', async () => {
  await assert.rejects(parameterSchema('SELECT id FROM train WHERE id = ? AND', schemaOf), { code: Code.INVALID_ARGUMENT });
});
