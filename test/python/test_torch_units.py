"""flightcache.torch without a server: tensor conversion, re-chunking, stream positions (also of a
share read ahead over endpoints, failing over and stopped early), re-splitting and drop_last batch counts."""

import json
import threading
import time
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.flight as flight
import pytest
import torch
from flightcache.request import share_request
from flightcache.stream import Piece, ShareStream
from flightcache.torch import batch_to_tensors
from flightcache.torch.convert import BatchRows
from flightcache.torch.plan import Mark, Segment, advance, batch_limits, remaining, resplit
from flightcache.torch.rechunk import rechunk


def test_conversion():
    values = pa.array(np.arange(24, dtype=np.float32))
    batch = pa.record_batch(
        {
            "f": values.slice(4, 3),
            "cube": pa.FixedSizeListArray.from_arrays(pa.FixedSizeListArray.from_arrays(values, 2), 3).slice(1, 3),
            "tokens": pa.array([[1, 2], [3], [], [4, 5, 6], [7]], pa.list_(pa.int64())).slice(1, 3),
            "flag": pa.array([True, False, True]),
            "when": pa.array([1, 2, 3], pa.timestamp("ms")),
            "name": pa.array(["a", "b", "a"]).dictionary_encode(),
        }
    )
    out = batch_to_tensors(batch)
    assert torch.equal(out["f"], torch.tensor([4.0, 5.0, 6.0])) and out["f"].dtype == torch.float32
    assert out["f"].data_ptr() == values.buffers()[1].address + 4 * 4, "numeric columns share Arrow's buffer"
    assert torch.equal(out["cube"], torch.arange(6, 24, dtype=torch.float32).reshape(3, 3, 2))
    assert out["cube"].data_ptr() == values.buffers()[1].address + 6 * 4, "fixed_size_list shares Arrow's buffer"
    assert torch.equal(out["tokens"], torch.tensor([[3, 0, 0], [0, 0, 0], [4, 5, 6]]))
    assert torch.equal(out["flag"], torch.tensor([True, False, True]))
    assert torch.equal(out["when"], torch.tensor([1, 2, 3]))
    assert out["name"] == ["a", "b", "a"]
    nested = batch_to_tensors(batch, sequences="nested")["tokens"]
    assert [t.tolist() for t in nested.unbind()] == [[3], [], [4, 5, 6]]
    assert torch.equal(batch_to_tensors(batch, pad_value=-1)["tokens"], torch.tensor([[3, -1, -1], [-1, -1, -1], [4, 5, 6]]))
    for bad in (pa.array([1, None], pa.int64()), pa.array([{"a": 1}, {"a": 2}])):
        try:
            batch_to_tensors(pa.record_batch({"c": bad}))
            raise AssertionError(f"{bad.type} converted")
        except TypeError as error:
            assert "'c'" in str(error), str(error)


def pieces(sizes, segment=0, first_before=None):
    """Pieces of consecutive server batches of the given sizes (cursors c0, c1, ...), ids counting up."""
    out, before, base, start = [], first_before, 0, 0
    for i, size in enumerate(sizes):
        rows = pa.record_batch({"id": pa.array(range(start, start + size))})
        out.append((segment, Piece(rows, f"c{i}", before, base, 0, size)))
        before, base, start = f"c{i}", base + size, start + size
    return out


def with_rows(pieces):
    """(segment, piece, rows) triples for rechunk, the rows being each piece's record batch."""
    return [(segment, piece, piece.rows) for segment, piece in pieces]


def test_rechunking_and_positions():
    out = list(rechunk(with_rows(pieces([5, 3, 7])), 4, False))
    assert [[i for part in parts for i in part.column("id").to_pylist()] for parts, _ in out] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11], [12, 13, 14]]
    assert [len(parts) for parts, _ in out] == [1, 2, 1, 1], "a batch spanning server batches comes in parts"
    assert [(m.cursor, m.end) for _, m in out] == [("c0", 4), ("c1", 3), ("c2", 4), ("c2", 7)]
    assert len(list(rechunk(with_rows(pieces([5, 3, 7])), 4, True))) == 3
    segment = Segment({"rank": 0, "world_size": 1})
    assert advance(segment, out[0][1]) == Segment(segment.request, None, 4, None, "c0", 5), "inside the first batch"
    assert advance(segment, out[1][1]) == Segment(segment.request, "c1", 0, None), "at a batch end"
    assert advance(segment, out[2][1]) == Segment(segment.request, "c1", 4, None, "c2", 7)
    bounded = Segment({"rank": 0, "world_size": 1}, "c9", 2, 5)
    assert advance(bounded, out[0][1]) == Segment(bounded.request, None, 4, 5, "c0", 5)
    two = [Segment({"rank": 0, "world_size": 2}), Segment({"rank": 1, "world_size": 2})]
    mark = Mark(1, "c1", "c0", 5, 3, 3)
    assert remaining(two, mark) == [Segment(two[1].request, "c1", 0, None)]


def _same(got, expected):
    assert got.keys() == expected.keys()
    for name, value in expected.items():
        if isinstance(value, torch.Tensor):
            assert isinstance(got[name], torch.Tensor) and got[name].dtype == value.dtype and torch.equal(got[name], value), name
        else:
            assert got[name] == value, name


def _mixed_batch(start, rows, rng):
    ids = np.arange(start, start + rows, dtype=np.int64)
    return pa.record_batch(
        {
            "id": pa.array(ids),
            "vec": pa.FixedSizeListArray.from_arrays(pa.array(rng.standard_normal(rows * 3).astype(np.float32)), 3),
            "flag": pa.array(ids % 3 == 0),
            "when": pa.array(ids, pa.timestamp("us")),
            "name": pa.array([f"n{i % 5}" for i in ids]),
            "lang": pa.array([["en", "fr", "de"][i % 3] for i in ids]).dictionary_encode(),
        }
    )


def test_batches_cut_from_converted_server_batches_equal_converting_each_batch():
    rng = np.random.default_rng(5)
    for _ in range(60):
        sizes = [int(size) for size in rng.integers(1, 40, size=int(rng.integers(1, 6)))]
        batch_size = int(rng.integers(1, 50))
        batches, start = [], 0
        for size in sizes:
            batches.append(_mixed_batch(start, size, rng))
            start += size
        triples = [(0, piece, BatchRows(batch)) for (_, piece), batch in zip(pieces(sizes), batches)]
        whole = pa.Table.from_batches(batches).combine_chunks().to_batches()[0]
        at = 0
        for parts, _ in rechunk(triples, batch_size, False):
            rows = sum(part.num_rows for part in parts)
            _same(BatchRows.join(parts), batch_to_tensors(whole.slice(at, rows)))
            at += rows
        assert at == sum(sizes)


def test_a_slice_of_a_converted_server_batch_shares_its_memory():
    values = pa.array(np.arange(40, dtype=np.float32))
    batch = pa.record_batch({"f": values.slice(0, 10), "cube": pa.FixedSizeListArray.from_arrays(values, 4)})
    part = BatchRows(batch).slice(3, 4)
    tensors = part.tensors()
    assert tensors["f"].data_ptr() == values.buffers()[1].address + 3 * 4
    assert tensors["cube"].data_ptr() == values.buffers()[1].address + 3 * 4 * 4
    assert torch.equal(tensors["cube"], torch.arange(12, 28, dtype=torch.float32).reshape(4, 4))


def test_padded_sequences_and_nulls_are_converted_per_batch():
    tokens = pa.array([[1], [2, 3, 4], [5, 6], [7]], pa.list_(pa.int32()))
    part = BatchRows(pa.record_batch({"tokens": tokens})).slice(2, 2)
    assert torch.equal(part.tensors()["tokens"], torch.tensor([[5, 6], [7, 0]], dtype=torch.int32)), "padded to this batch's longest row"
    nullable = BatchRows(pa.record_batch({"c": pa.array([1, 2, None, 4], pa.int64())}))
    assert torch.equal(nullable.slice(0, 2).tensors()["c"], torch.tensor([1, 2]))
    try:
        nullable.slice(2, 2).tensors()
        raise AssertionError("a batch with a null converted")
    except TypeError as error:
        assert "'c' has 1 nulls" in str(error), str(error)
    _same(BatchRows.join([nullable.slice(0, 2), BatchRows(pa.record_batch({"c": pa.array([9], pa.int64())}))]), {"c": torch.tensor([1, 2, 9])})


class FakeStream:
    """One endpoint's DoGet: its batch of ids, or FlightUnavailableError when told to break (a pipelined
    one breaks as it starts, when the node refuses the request)."""

    def __init__(self, log, index, broken):
        self.index, self.broken, self.state = index, broken, "open"
        self.thread = threading.current_thread()
        self.started_before = None
        log.append(self)
        self.log = log

    def start(self):
        # How many streams had been read to their end when this one sent its request.
        self.started_before = sum(s.state == "finished" for s in self.log)
        if self.broken:
            self.state = "broken"
            raise flight.FlightUnavailableError("shard refused the request")

    def __iter__(self):
        if self.broken:
            self.state = "broken"
            raise flight.FlightUnavailableError("shard died")
        yield pa.record_batch({"id": pa.array([self.index * 10 + i for i in range(10)])}), f"c{self.index}"
        if self.state == "open":
            self.state = "finished"

    def cancel(self):
        if self.state == "open":
            self.state = "cancelled"


class FakeServer:
    """A share of ENDPOINTS one-batch endpoints listed at grpc://a then grpc://b; endpoint BREAK fails once at grpc://a."""

    ENDPOINTS, BREAK = 12, 5
    endpoint = "grpc://head"
    transport = "grpc"

    def __init__(self, pipelined=False):
        self.plans, self.streams, self.pipelined = [], [], pipelined

    def flight_client(self, uri):
        return self

    def options_for(self, uri):
        return None

    def get_flight_info(self, descriptor, options):
        start_after = json.loads(descriptor.command).get("start_after")
        self.plans.append(start_after)
        first = 0 if start_after is None else int(start_after[1:]) + 1
        locations = [flight.Location("grpc://a"), flight.Location("grpc://b")]
        endpoints = [flight.FlightEndpoint(str(i).encode(), locations) for i in range(first, self.ENDPOINTS)]
        return flight.FlightInfo(pa.schema([("id", pa.int64())]), flight.FlightDescriptor.for_path("x"), endpoints, -1, -1)

    def reader(self, uri):
        server = self

        class Reader:
            pipelined = server.pipelined

            def stream(self, ticket):
                index = int(ticket.ticket)
                return FakeStream(server.streams, index, uri == "grpc://a" and index == server.BREAK and not server.broke(index))

        return Reader()

    def broke(self, index):
        return any(s.index == index and s.state == "broken" for s in self.streams)


def settled(baseline):
    """True once the threads started since `baseline` was counted have ended (waiting up to 1 s)."""
    deadline = time.monotonic() + 1
    while threading.active_count() > baseline and time.monotonic() < deadline:
        time.sleep(0.01)
    return threading.active_count() == baseline


@pytest.mark.parametrize("pipelined", [False, True])
def test_read_ahead_positions(pipelined):
    """A failure in an endpoint read ahead re-plans after the last delivered cursor; closing stops every thread."""
    expected = list(range(FakeServer.ENDPOINTS * 10))
    baseline = threading.active_count()
    for depth in (1, 4):
        server: Any = FakeServer(pipelined)  # stands in for Connections
        stream = ShareStream(server, share_request("d"), read_ahead=depth, sleep=lambda s: None)
        ids = [i for piece in stream for i in piece.rows.column("id").to_pylist()]
        assert ids == expected, f"read_ahead={depth}: ids {ids}"
        assert server.plans == [None, f"c{FakeServer.BREAK - 1}"], f"read_ahead={depth}: plans {server.plans}"
        assert stream.failovers == 1
        assert settled(baseline), f"read_ahead={depth}: {threading.active_count() - baseline} threads left"
        assert all(s.state != "open" for s in server.streams), f"read_ahead={depth}: streams left open"
        # The broken endpoint was opened twice, and so were those read ahead of it (up to depth - 1), but delivered once.
        opened = len(server.streams)
        assert FakeServer.ENDPOINTS + 1 <= opened <= FakeServer.ENDPOINTS + depth, f"read_ahead={depth}: {opened} streams"
        server = FakeServer(pipelined)
        pieces = iter(ShareStream(server, share_request("d"), read_ahead=depth))
        first = next(pieces)
        assert first.cursor == "c0" and first.before is None
        pieces.close()
        assert settled(baseline), f"read_ahead={depth}: {threading.active_count() - baseline} threads left after close"
        assert all(s.state in ("finished", "cancelled") for s in server.streams), [s.state for s in server.streams]


def test_read_ahead_reuses_its_threads():
    """A window of depth 4 over 12 endpoints opens them on at most 4 threads, none of them the consumer's."""
    server: Any = FakeServer()
    server.BREAK = -1
    baseline = threading.active_count()
    ids = [i for piece in ShareStream(server, share_request("d"), read_ahead=4) for i in piece.rows.column("id").to_pylist()]
    assert ids == list(range(FakeServer.ENDPOINTS * 10))
    threads = {s.thread for s in server.streams}
    assert len(server.streams) == FakeServer.ENDPOINTS and 1 <= len(threads) <= 4, f"{len(threads)} threads opened {len(server.streams)} streams"
    assert threading.current_thread() not in threads
    assert settled(baseline), f"{threading.active_count() - baseline} threads left"


def test_pipelined_endpoints_are_requested_ahead_and_read_without_threads():
    """Same-host endpoints: a window of depth 4 sends each request while up to 3 earlier endpoints are still
    unread, and reads every one in the consumer's thread."""
    server: Any = FakeServer(pipelined=True)
    server.BREAK = -1
    baseline = threading.active_count()
    pieces = ShareStream(server, share_request("d"), read_ahead=4)
    ids = []
    for piece in pieces:
        ids.extend(piece.rows.column("id").to_pylist())
        assert threading.active_count() == baseline, "no read-ahead thread"
    assert ids == list(range(FakeServer.ENDPOINTS * 10))
    assert {s.thread for s in server.streams} == {threading.current_thread()}
    assert [s.started_before for s in server.streams] == [0, 0, 0, 0, *range(1, FakeServer.ENDPOINTS - 3)]


def test_resplitting_and_drop_last_limits():
    def request(v, world, resume=None):
        return {"rank": v, "world_size": world, **({"resume": resume} if resume else {})}

    old = {
        0: [Segment(request(0, 2), "a", 3, None, "b", 10)],
        1: [Segment(request(1, 2), "x", 0, None)],
    }
    plan = resplit(old, 2, 3, lambda v, resume: request(v, 3, resume))
    resume = {"world_size": 2, "cursors": ["b", "x"]}
    assert plan == {
        0: [Segment(request(0, 2), "a", 3, 10), Segment(request(0, 3, resume))],
        1: [Segment(request(1, 3, resume))],
        2: [Segment(request(2, 3, resume))],
    }, plan
    for bad in ({0: old[0]}, {0: [Segment(request(0, 2, resume))], 1: old[1]}):
        try:
            resplit(bad, 2, 3, lambda v, r: request(v, 3, r))
            raise AssertionError("resplit accepted a bad state")
        except ValueError:
            pass
    assert batch_limits({0: 70, 1: 40, 2: 64, 3: 64}, 2, 2, 16) == {0: 4, 1: 2, 2: 3, 3: 3}
    assert batch_limits({0: 33, 1: 47, 2: 16}, 3, 1, 16) == {0: 1, 1: 1, 2: 1}


def test_resplitting_an_epoch_read_over_hosts_tells_the_server_the_old_ranks_hosts():
    hosts = ["host-a", "host-b"]
    old = {rank: [Segment(share_request("d", rank=rank, world_size=2, hosts=hosts), cursor, 0, None)] for rank, cursor in ((0, "x"), (1, None))}
    plan = resplit(old, 2, 1, lambda v, resume: share_request("d", rank=v, world_size=1, resume=resume))
    assert plan == {0: [Segment(share_request("d", rank=0, world_size=1, resume={"world_size": 2, "cursors": ["x", None], "hosts": hosts}))]}
