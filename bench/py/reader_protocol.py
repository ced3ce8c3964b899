"""What the benchmark reader processes (cluster_reader.py, scale_reader.py) share: a timed window of
back-to-back reads and the loop that answers one command line from stdin at a time.
"""

import time


def positive(kind, text):
    """`text` as `kind` (int or float); exits with a message unless it is > 0."""
    value = kind(text)
    if value <= 0:
        raise SystemExit(f"expected a positive number, got {text!r}")
    return value


def read_window(read_once, seconds):
    """Calls read_once(deadline) back to back for `seconds`; each call returns (rows, bytes, finished)
    and the last one is cut at the deadline. Returns ({"bytes", "rows", "seconds", "reads"}, calls),
    where reads counts the finished calls."""
    start = time.perf_counter()
    deadline = start + seconds
    rows = data_bytes = reads = calls = 0
    while time.perf_counter() < deadline:
        r, b, finished = read_once(deadline)
        rows += r
        data_bytes += b
        reads += finished
        calls += 1
    return {"bytes": data_bytes, "rows": rows, "seconds": time.perf_counter() - start, "reads": reads}, calls


def serve_commands(lines, commands, reply):
    """Answers command lines until `quit` or end of input. `commands` maps a command's first word to
    (argument count, function of the argument strings); reply() gets what the function returns."""
    for line in lines:
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "quit":
            return
        arity, answer = commands.get(parts[0], (None, None))
        if arity != len(parts) - 1:
            raise SystemExit(f"unknown command {line.strip()!r}")
        reply(answer(*parts[1:]))
