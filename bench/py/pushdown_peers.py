"""Python side of the `pushdown` benchmark suite. Prints ONE JSON line per command.

    python pushdown_peers.py write DIR MIB                   # DIR/pushdown.arrows: the generated table
    python pushdown_peers.py load URL NAME DIR               # DoPut it into a server as NAME
    python pushdown_peers.py e2e URL NAME RUNS CASES_JSON    # filtered DoGet against full DoGet + pyarrow.compute
    python pushdown_peers.py engines DIR RUNS REPEAT CASES_JSON  # DuckDB and DataFusion filter rates over the same table

CASES_JSON: [{"name", "column", "op", "value", "sql"}]; op is one of < = (what the cases use).
The table: `id` int64, `score` float64 uniform in [0, 1), `tag` utf8 and `lang` dictionary<int32,
utf8> whose values 'x0.1', 'x1', 'x10' and 'x50' (x = t or l) hold 0.1 %, 1 %, 10 % and 50 % of
the rows (the rest are 5,000 other words), and `text`, 200 bytes of payload per row.
"""

import json
import os
import resource
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.flight as flight

BATCH_ROWS = 65536
TEXT_BYTES = 200
SHARES = [("0.1", 0.001), ("1", 0.01), ("10", 0.1), ("50", 0.5)]
OTHER_WORDS = 5000
ROW_BYTES = 8 + 8 + (4 + 6) + 4 + (4 + TEXT_BYTES)
FILE = "pushdown.arrows"


def vocabulary(prefix):
    """The values of a selectivity column: the shared labels first, then the other words."""
    return np.array([f"{prefix}{label}" for label, _ in SHARES] + [f"{prefix}w{k:05d}" for k in range(OTHER_WORDS)], dtype=object)


def label_indices(rng, rows):
    """Indices into a vocabulary: shared label k on its share of the rows, other words elsewhere."""
    u = rng.random(rows)
    out = rng.integers(len(SHARES), len(SHARES) + OTHER_WORDS, rows).astype(np.int32)
    low = 0.0
    for k, (_, share) in enumerate(SHARES):
        out[(u >= low) & (u < low + share)] = k
        low += share
    return out


def write(directory, mib):
    rng = np.random.default_rng(14)
    rows_wanted = max(BATCH_ROWS, mib * 2**20 // ROW_BYTES)
    batches = -(-rows_wanted // BATCH_ROWS)
    alphabet = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz     ", dtype=np.uint8)
    schema = pa.schema(
        [("id", pa.int64()), ("score", pa.float64()), ("tag", pa.string()), ("lang", pa.dictionary(pa.int32(), pa.string())), ("text", pa.string())]
    )
    tags, langs = vocabulary("t"), pa.array(vocabulary("l"), pa.string())
    path = os.path.join(directory, FILE)
    n = BATCH_ROWS
    offsets = pa.array(np.arange(0, (n + 1) * TEXT_BYTES, TEXT_BYTES, dtype=np.int32)).buffers()[1]
    with pa.OSFile(path, "wb") as sink, pa.ipc.new_stream(sink, schema) as writer:
        for b in range(batches):
            text = pa.StringArray.from_buffers(n, offsets, pa.py_buffer(alphabet[rng.integers(0, len(alphabet), n * TEXT_BYTES)].tobytes()))
            lang = pa.DictionaryArray.from_arrays(pa.array(label_indices(rng, n)), langs)
            tag = pa.array(tags[label_indices(rng, n)], pa.string())
            ids = pa.array(np.arange(b * n, (b + 1) * n, dtype=np.int64))
            writer.write_batch(pa.record_batch([ids, pa.array(rng.random(n)), tag, lang, text], schema=schema))
    table = read_table(directory)
    print(json.dumps({"rows": table.num_rows, "batches": batches, "bytes": table.nbytes, "file": path}))


def read_table(directory):
    with pa.memory_map(os.path.join(directory, FILE)) as source:
        return pa.ipc.open_stream(source).read_all()


def load(url, name, directory):
    client = flight.connect(url)
    table = read_table(directory)
    writer, _ = client.do_put(flight.FlightDescriptor.for_path(name), table.schema)
    writer.write_table(table, max_chunksize=BATCH_ROWS)
    writer.close()
    print(json.dumps({"rows": table.num_rows}))


def expression(case):
    field = pc.field(case["column"])
    return field < case["value"] if case["op"] == "<" else field == case["value"]


def read_all(client, command):
    info = client.get_flight_info(flight.FlightDescriptor.for_command(json.dumps(command)))
    tables = [client.do_get(endpoint.ticket).read_all() for endpoint in info.endpoints]
    return pa.concat_tables(tables) if len(tables) > 1 else tables[0]


def ship_all(client, name, case):
    """The whole dataset, filtered here."""
    return read_all(client, {"dataset": name}).filter(expression(case))


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(fn, *args):
    wall, cpu = time.perf_counter(), cpu_seconds()
    value = fn(*args)
    return value, time.perf_counter() - wall, cpu_seconds() - cpu


def e2e(url, name, runs, cases):
    """Per case and run: our filtered stream read whole, then the full stream read and filtered here."""
    client = flight.connect(url)
    out = {case["name"]: {"ours": [], "shipAll": [], "oursCpu": [], "shipAllCpu": [], "rows": None} for case in cases}
    # Warm-up, discarded: the server's first filtered and full reads (JIT, first plan) and the client's.
    read_all(client, {"dataset": name, "filter": f"id < {BATCH_ROWS}"})
    read_all(client, {"dataset": name})
    for _ in range(runs):
        for case in cases:
            result = out[case["name"]]
            ours, seconds, cpu = timed(read_all, client, {"dataset": name, "filter": case["sql"]})
            result["ours"].append(seconds)
            result["oursCpu"].append(cpu)
            ship, seconds, cpu = timed(ship_all, client, name, case)
            result["shipAll"].append(seconds)
            result["shipAllCpu"].append(cpu)
            if ours.num_rows != ship.num_rows or not ours.column("id").equals(ship.column("id")):
                raise SystemExit(f"{case['name']}: ours sent {ours.num_rows} rows, the client filter kept {ship.num_rows}")
            result["rows"] = ours.num_rows
    print(json.dumps(out))


def repeated(run, sql, repeat):
    """The count of `repeat` runs of one query (all equal)."""
    for _ in range(repeat):
        rows = run(sql)
    return rows


def engines(directory, runs, repeat, cases):
    """Seconds of samples of `repeat` runs of `SELECT count(*) ... WHERE <predicate>` over the in-memory table."""
    table = read_table(directory)
    out = {}
    try:
        import duckdb

        connection = duckdb.connect()
        connection.register("t", table)
        out["duckdb"] = lambda sql: connection.execute(f"SELECT count(*) FROM t WHERE {sql}").fetchone()[0]
        duckdb_threads = connection.execute("SELECT current_setting('threads')").fetchone()[0]
    except ImportError as error:
        out["duckdb"] = str(error)
        duckdb_threads = None
    try:
        import datafusion

        context = datafusion.SessionContext()
        context.register_record_batches("t", [table.to_batches()])
        out["datafusion"] = lambda sql: context.sql(f"SELECT count(*) FROM t WHERE {sql}").collect()[0].column(0)[0].as_py()
    except ImportError as error:
        out["datafusion"] = str(error)
    results = {}
    for engine, run in out.items():
        if isinstance(run, str):
            results[engine] = {"skipped": run}
            continue
        per_case = {}
        for case in cases:
            run(case["sql"])  # warm-up
            walls, cpus, rows = [], [], None
            for _ in range(runs):
                rows, seconds, cpu = timed(repeated, run, case["sql"], repeat)
                walls.append(seconds)
                cpus.append(cpu)
            per_case[case["name"]] = {"rows": rows, "seconds": walls, "cpuSeconds": cpus}
        results[engine] = per_case
    print(json.dumps({"rows": table.num_rows, "duckdbThreads": duckdb_threads, "engines": results}))


def main(argv):
    command = argv[0]
    if command == "write":
        write(argv[1], int(argv[2]))
    elif command == "load":
        load(argv[1], argv[2], argv[3])
    elif command == "e2e":
        e2e(argv[1], argv[2], int(argv[3]), json.loads(argv[4]))
    elif command == "engines":
        engines(argv[1], int(argv[2]), int(argv[3]), json.loads(argv[4]))
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
