"""The oracles of the SQL pushdown differential test (test/node/sql-differential.test.ts).

  sql_oracle.py table OUT.arrows SEED   writes the generated table as an Arrow IPC stream
  sql_oracle.py eval TABLE.arrows CASES.json
      CASES.json: a JSON list of {"sql": predicate over table "t", "alone": bool}. Prints one JSON line:
      {"duckdb": [result...], "datafusion": [result...]}, a result being {"ids": [...]} (the ids of
      the rows where the predicate is TRUE, ascending) or {"error": message}.
  sql_oracle.py select TABLE.arrows EXPRESSIONS.json
      EXPRESSIONS.json: a JSON list of select-list expressions over table "t". Prints one JSON line
      {"duckdb": [...], "datafusion": [...]}, a result being {"name", "type", "values"} (the output
      column's name, type as the describeSchema base name, and one value per row in id order:
      integers as decimal strings, non-finite floats as "NaN"/"Infinity"/"-Infinity") or {"error"}.

Many predicates are evaluated per query, as boolean columns of one SELECT, so that ten thousand
cases take a few hundred queries; a query that fails is split in halves until the failing
predicates stand alone. Predicates marked "alone" (those the caller expects to fail) get a query
each, so that they do not cost a group its bisection.
"""
import datetime
import decimal
import json
import random
import sys

import datafusion
import duckdb
import pyarrow as pa

ROWS_PER_BATCH = 50
BATCHES = 4
STRINGS = ['', 'a', 'abc', 'ABC', 'héllo', 'HÉLLO', '日本', 'x_y', '100%', 'Zürich', 'b%c', 'aXc', 'ab']
FLOATS = [0.0, 1.0, -1.0, 0.5, -2.25, 3.0, 1e10, -1e10, float('nan'), float('inf'), float('-inf'), 7.75, 100.0]
INT_RANGES = {
    'i8': (pa.int8(), -128, 127), 'i16': (pa.int16(), -32768, 32767), 'i32': (pa.int32(), -2**31, 2**31 - 1),
    'i64': (pa.int64(), -2**63, 2**63 - 1), 'u8': (pa.uint8(), 0, 255), 'u16': (pa.uint16(), 0, 65535),
    'u32': (pa.uint32(), 0, 2**32 - 1), 'u64': (pa.uint64(), 0, 2**63 - 1),
}
GROUP = 250
SELECT_GROUP = 40
TYPE_NAMES = {'double': 'float64', 'float': 'float32', 'string': 'utf8', 'large_string': 'large_utf8', 'bool': 'bool'}


def make_table(seed):
    """Every integer width, float32/64 with NaN and infinities, bool, utf8, large_utf8, timestamps (naive us,
    ms in a time zone), date32, decimal128(9, 2) and dictionary<utf8>, with nulls."""
    rng = random.Random(seed)
    n = ROWS_PER_BATCH * BATCHES

    def maybe_null(value, p=0.15):
        return None if rng.random() < p else value

    def int_value(lo, hi):
        pick = rng.random()
        if pick < 0.1:
            return rng.choice([lo, hi])
        return max(lo, min(hi, rng.randint(-20, 20) if lo < 0 else rng.randint(0, 40)))

    columns = {'id': pa.array(range(n), pa.int64())}
    for name, (arrow_type, lo, hi) in INT_RANGES.items():
        columns[name] = pa.array([maybe_null(int_value(lo, hi)) for _ in range(n)], arrow_type)
    columns['f32'] = pa.array([maybe_null(rng.choice(FLOATS)) for _ in range(n)], pa.float32())
    columns['f64'] = pa.array([maybe_null(rng.choice(FLOATS)) for _ in range(n)], pa.float64())
    columns['b'] = pa.array([maybe_null(rng.random() < 0.5) for _ in range(n)], pa.bool_())
    columns['s'] = pa.array([maybe_null(rng.choice(STRINGS)) for _ in range(n)], pa.string())
    columns['ls'] = pa.array([maybe_null(rng.choice(STRINGS)) for _ in range(n)], pa.large_string())
    base = datetime.datetime(2020, 1, 1)
    instants = [base + datetime.timedelta(days=rng.randint(-3, 3), seconds=rng.choice([0, 1, 3600, 86399]), microseconds=rng.choice([0, 1, 500000]))
                for _ in range(n)]
    columns['ts'] = pa.array([maybe_null(t) for t in instants], pa.timestamp('us'))
    columns['tz'] = pa.array([maybe_null(t.replace(microsecond=0, tzinfo=datetime.timezone.utc)) for t in instants], pa.timestamp('ms', tz='America/New_York'))
    columns['d32'] = pa.array([maybe_null(t.date()) for t in instants], pa.date32())
    decimals = [decimal.Decimal(rng.choice(['0', '0.50', '-2.25', '7.75', '12.34', '-0.01', '100.00', '3.00', '-128.99']))
                for _ in range(n)]
    columns['dec'] = pa.array([maybe_null(d) for d in decimals], pa.decimal128(9, 2))
    indices = pa.array([maybe_null(rng.randrange(len(STRINGS))) for _ in range(n)], pa.int32())
    table = pa.table(columns)
    # One dictionary for every batch, so the stream holds a single dictionary message.
    dictionary = pa.array(STRINGS, pa.string())
    batches = []
    for b in range(BATCHES):
        piece = table.slice(b * ROWS_PER_BATCH, ROWS_PER_BATCH)
        d = pa.DictionaryArray.from_arrays(indices.slice(b * ROWS_PER_BATCH, ROWS_PER_BATCH), dictionary)
        arrays = [column.combine_chunks() for column in piece.columns] + [d]
        batches.append(pa.record_batch(arrays, names=piece.column_names + ['d']))
    return batches


def write_table(path, seed):
    batches = make_table(seed)
    with pa.OSFile(path, 'wb') as sink, pa.ipc.new_stream(sink, batches[0].schema) as writer:
        for batch in batches:
            writer.write_batch(batch)


def ids_of(column, ids):
    return [i for i, keep in zip(ids, column) if keep is True]


def describe(error):
    text = str(error).strip().splitlines()
    return text[0][:300] if text else type(error).__name__


def value_of(value):
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, decimal.Decimal):
        # DuckDB types decimal literals as decimals; their values compare as the floats DataFusion computes.
        value = float(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return 'NaN'
        if value in (float('inf'), float('-inf')):
            return 'Infinity' if value > 0 else '-Infinity'
        return value
    return repr(value)


def column_of(field, column):
    return {'name': field.name, 'type': TYPE_NAMES.get(str(field.type), str(field.type)), 'values': [value_of(v) for v in column.to_pylist()]}


class Engine:
    def __init__(self, name, table):
        self.name = name
        if name == 'duckdb':
            self.connection = duckdb.connect()
            self.connection.register('t', table)
        else:
            self.context = datafusion.SessionContext()
            self.context.register_record_batches('t', [table.to_batches()])

    def query(self, sql):
        if self.name == 'duckdb':
            return self.connection.sql(sql).to_arrow_table().to_pydict()
        return self.context.sql(sql).to_arrow_table().to_pydict()

    def evaluate(self, cases):
        """The ids each predicate selects (or its error), in the order given."""
        out = [None] * len(cases)
        grouped = [i for i, case in enumerate(cases) if not case['alone']]
        for start in range(0, len(grouped), GROUP):
            indices = grouped[start:start + GROUP]
            for i, result in zip(indices, self.evaluate_group([cases[i]['sql'] for i in indices])):
                out[i] = result
        for i, case in enumerate(cases):
            if case['alone']:
                out[i] = self.evaluate_group([case['sql']])[0]
        return out

    def select(self, expressions):
        """Each expression's output column (or its error), in the order given."""
        out = []
        for start in range(0, len(expressions), SELECT_GROUP):
            out += self.select_group(expressions[start:start + SELECT_GROUP])
        return out

    def select_group(self, group):
        """One query for the group (unaliased, so the engine names the columns); failing ones alone, by bisection."""
        try:
            if self.name == 'duckdb':
                result = self.connection.sql(f'SELECT {", ".join(group)} FROM t ORDER BY id').to_arrow_table()
            else:
                result = self.context.sql(f'SELECT {", ".join(group)} FROM t ORDER BY id').to_arrow_table()
            return [column_of(result.schema.field(i), result.column(i)) for i in range(len(group))]
        except Exception as error:  # noqa: BLE001 - the error is the oracle's answer for a single expression
            if len(group) == 1:
                return [{'error': describe(error)}]
            half = len(group) // 2
            return self.select_group(group[:half]) + self.select_group(group[half:])

    def evaluate_group(self, group):
        """One query for the group; when it fails, each half on its own, down to the failing predicates."""
        select = ', '.join(f'({p}) AS c{i}' for i, p in enumerate(group))
        try:
            result = self.query(f'SELECT id, {select} FROM t ORDER BY id')
            return [{'ids': ids_of(result[f'c{i}'], result['id'])} for i in range(len(group))]
        except Exception as error:  # noqa: BLE001 - the error is the oracle's answer for a single predicate
            if len(group) == 1:
                return [{'error': describe(error)}]
            half = len(group) // 2
            return self.evaluate_group(group[:half]) + self.evaluate_group(group[half:])


def main():
    if sys.argv[1] == 'table':
        write_table(sys.argv[2], int(sys.argv[3]))
        print(json.dumps({'ok': True}))
        return
    with pa.OSFile(sys.argv[2], 'rb') as source:
        table = pa.ipc.open_stream(source).read_all()
    with open(sys.argv[3], encoding='utf-8') as f:
        cases = json.load(f)
    if sys.argv[1] == 'select':
        result = {name: Engine(name, table).select(cases) for name in ('duckdb', 'datafusion')}
    else:
        result = {name: Engine(name, table).evaluate(cases) for name in ('duckdb', 'datafusion')}
    print(json.dumps(result))


if __name__ == '__main__':
    main()
