import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Binary, Bool, DateDay, Float64, Int32, Int64, Table, Utf8, vectorFromArray } from 'apache-arrow';
import { Code } from '../../client/src/flight/errors.js';
import { bindParameters, findPlaceholders, parameterCount, parameterLiterals, sqlLiteral } from './parameters.js';
import { parseQueryText } from '../engine/sql/plan.js';

test('placeholders inside strings, quoted identifiers and comments are not parameters', () => {
  const sql = `SELECT "a?" FROM t -- why?\nWHERE b = '?''?' /* ? */ AND c = ? AND d = ?`;
  assert.deepStrictEqual(findPlaceholders(sql).map((p) => [sql.slice(p.start, p.end), p.index]), [['?', 0], ['?', 1]]);
  assert.equal(parameterCount(sql), 2);
});

test('$N placeholders are 1-based and may repeat', () => {
  assert.equal(bindParameters('SELECT * FROM t WHERE a = $2 OR b = $1 OR c = $2', ['1', "'x'"]), "SELECT * FROM t WHERE a = 'x' OR b = 1 OR c = 'x'");
  assert.throws(() => findPlaceholders('SELECT $0'), { code: Code.INVALID_ARGUMENT, message: 'placeholder $0 at offset 7: numbered placeholders start at $1' });
  assert.throws(() => findPlaceholders('SELECT ? + $1'), { code: Code.INVALID_ARGUMENT, message: 'the query mixes ? and $N placeholders: use one style' });
});

test('a bound string cannot end its literal: quotes are doubled', () => {
  const literal = sqlLiteral("x' OR 1=1 --", new Utf8(), 'parameter 1');
  assert.equal(literal, "'x'' OR 1=1 --'");
  assert.equal(bindParameters('SELECT a FROM t WHERE s = ?', [literal]), "SELECT a FROM t WHERE s = 'x'' OR 1=1 --'");
});

test('the SQL core parses a bound string with quotes, backslashes and comment marks as one literal', () => {
  for (const value of ["x' OR id = 1 --", "\\' OR id = 1 --", "a\\", "'; DROP TABLE t; --", '/* ? */ $1 ?']) {
    const sql = bindParameters('SELECT id FROM t WHERE s = ?', [sqlLiteral(value, new Utf8(), 'p')]);
    const where = JSON.stringify(parseQueryText({ sql }).where);
    assert.match(where, /^\{"BinaryOp":\{"left":\{"Identifier":\{"value":"s"/, sql);
    assert.ok(where.includes(JSON.stringify({ SingleQuotedString: value })), `${sql} -> ${where}`);
  }
});

test('values become literals of their Arrow type', () => {
  assert.equal(sqlLiteral(null, new Int32(), 'p'), 'NULL');
  assert.equal(sqlLiteral(true, new Bool(), 'p'), 'TRUE');
  assert.equal(sqlLiteral(-42, new Int32(), 'p'), '-42');
  assert.equal(sqlLiteral(9007199254740993n, new Int64(), 'p'), '9007199254740993');
  assert.equal(sqlLiteral(1, new Float64(), 'p'), '1e+0');
  assert.equal(sqlLiteral(0.25, new Float64(), 'p'), '2.5e-1');
  assert.equal(sqlLiteral(Number.NaN, new Float64(), 'p'), "CAST('NaN' AS DOUBLE)");
  assert.equal(sqlLiteral(-Infinity, new Float64(), 'p'), "CAST('-Infinity' AS DOUBLE)");
  assert.equal(sqlLiteral(Date.UTC(2024, 0, 2), new DateDay(), 'p'), "DATE '2024-01-02'");
  assert.throws(() => sqlLiteral(new Uint8Array([1]), new Binary(), 'parameter 2 ("blob")'), {
    code: Code.UNIMPLEMENTED,
    message: 'parameter 2 ("blob") has Arrow type Binary, which a parameter cannot bind: bind booleans, integers, floats, strings or dates',
  });
});

test('a parameter batch binds exactly one row, its columns in order', () => {
  const one = new Table({ a: vectorFromArray([7], new Int32()), b: vectorFromArray(['é'], new Utf8()) });
  assert.deepStrictEqual(parameterLiterals(one.batches), ['7', "'é'"]);
  const two = new Table({ a: vectorFromArray([7, 8], new Int32()) });
  assert.throws(() => parameterLiterals(two.batches), { code: Code.INVALID_ARGUMENT, message: 'bound 2 parameter rows: a query statement takes exactly one row of parameters' });
});

test('the number of bound values must match the placeholders', () => {
  assert.throws(() => bindParameters('SELECT a FROM t WHERE a = ? AND b = ?', ['1']), {
    code: Code.INVALID_ARGUMENT,
    message: 'the query takes 2 parameter(s) but 1 were bound',
  });
  assert.equal(bindParameters('SELECT a FROM t', []), 'SELECT a FROM t');
});
