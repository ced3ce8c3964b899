"""Unit checks of flightcache.samehost without a server: frames with descriptors over a socket
pair, one private mapping per segment per process, stored messages decoded in place (with and
without dictionaries), gathers of picked rows from one and several sources, error frames mapped
to pyarrow's exceptions, and the transport setting."""

import json
import os
import socket
import struct

import numpy as np
import pyarrow as pa
import pyarrow.flight as flight
from flightcache import samehost
from flightcache.shm_wire import FrameError, FrameSocket
from torch_common import check, raises


def server_frame(message, payload=b""):
    body = json.dumps(message).encode()
    return struct.pack("<II", len(body), len(payload)) + body + payload


def encapsulated(batch):
    """The encapsulated IPC messages of a one-batch stream: schema, dictionaries, the batch."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batch.schema) as writer:
        writer.write_batch(batch)
    reader = pa.ipc.MessageReader.open_stream(sink.getvalue())
    messages = []
    while True:
        try:
            messages.append(reader.read_next_message())
        except StopIteration:
            break
    return [m.serialize() for m in messages]


def segment_with(messages):
    """A memfd holding each message at a 64-byte aligned offset; returns (fd, size, refs)."""
    fd = os.memfd_create("flightcache-test")
    refs, offset, data = [], 0, bytearray()
    for message in messages:
        offset = -(-len(data) // 64) * 64
        data.extend(b"\0" * (offset - len(data)))
        data.extend(message.to_pybytes())
        refs.append({"segment": 1, "offset": offset, "length": message.size})
    os.write(fd, bytes(data))
    return fd, len(data), refs


def test_frames_carry_descriptors_in_order_and_reject_bad_lengths_and_closed_connections():
    left, right = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    fd = os.memfd_create("flightcache-test")
    frames = FrameSocket(left)
    socket.send_fds(right, [server_frame({"type": "segments", "segments": [{"id": 3, "bytes": 0}]})], [fd])
    right.sendall(server_frame({"type": "batch", "rows": 2}, b"\1\2\3"))
    message, payload = frames.receive()
    check(message == {"type": "segments", "segments": [{"id": 3, "bytes": 0}]}, f"segments frame: {message}")
    got = frames.take_fds(1)
    check(len(got) == 1 and os.fstat(got[0]).st_ino == os.fstat(fd).st_ino, "the frame's descriptor is the one sent")
    message, payload = frames.receive()
    check(message["type"] == "batch" and payload == b"\1\2\3", f"payload after the JSON: {payload!r}")
    raises(FrameError, lambda: frames.take_fds(1), "taking a descriptor that never came")
    right.sendall(struct.pack("<II", 0, 0))
    raises(FrameError, frames.receive, "a zero JSON length")
    right.close()
    raises(FrameError, FrameSocket(left).receive, "a closed connection")
    frames.close()
    for f in got + [fd]:
        os.close(f)


def test_stored_messages_decode_in_place_and_gathers_and_projections_give_doget_batches():
    table = pa.table({"id": pa.array(np.arange(10, dtype=np.int64)), "x": pa.FixedSizeListArray.from_arrays(pa.array(np.arange(40, dtype=np.float32)), 4)})
    batch = table.to_batches()[0]
    schema_msg, batch_msg = encapsulated(batch)
    fd, size, refs = segment_with([batch_msg])
    mapping = samehost._map_segment("inst", 1, size, fd)
    other = os.open("/dev/null", os.O_RDONLY)
    check(samehost._map_segment("inst", 1, size, other) is mapping, "one mapping per segment per process")
    raises(OSError, lambda: os.fstat(other), "the second descriptor is closed")
    decoder = samehost._Decoder({"sourceLength": schema_msg.size, "columns": None}, schema_msg.to_pybytes() + schema_msg.to_pybytes())
    buffer = pa.py_buffer(mapping).slice(refs[0]["offset"], refs[0]["length"])
    stored = decoder.stored_batch(buffer)
    check(stored.equals(batch), "a stored message decodes to the batch")
    address = stored.column(0).buffers()[1].address
    base = np.frombuffer(mapping, dtype=np.uint8).ctypes.data
    check(base <= address < base + size, "the decoded batch points into the mapping (no copy)")
    picks = np.array([0, 0, 0, 9, 2, 5], dtype="<u4").tobytes()
    gathered = decoder.finish(samehost._gather([stored], picks, 3))
    check(gathered.column("id").to_pylist() == [9, 2, 5], f"picked rows of one source: {gathered.column('id')}")
    two = np.array([1, 0, 1, 0, 9, 3], dtype="<u4").tobytes()
    both = samehost._gather([stored, stored.slice(5)], two, 3)
    check(both.column("id").to_pylist() == [5, 9, 8], f"picked rows of two sources: {both.column('id')}")
    raises(FrameError, lambda: samehost._gather([stored], picks[:-4], 3), "a picks payload shorter than its count")
    check(samehost._gather([stored, stored], b"", 0).num_rows == 0, "no picks give an empty batch")
    projected = samehost._Decoder({"sourceLength": schema_msg.size, "columns": [1]}, schema_msg.to_pybytes() + encapsulated(batch.select([1]))[0].to_pybytes())
    out = projected.finish(stored)
    check(out.schema.names == ["x"] and out.column(0).equals(batch.column(1)), "columns select the output columns")


def test_mappings_are_private_in_place_writes_stay_in_this_process():
    batch = pa.record_batch({"id": pa.array(np.arange(16, dtype=np.int64))})
    fd, size, refs = segment_with([encapsulated(batch)[1]])
    keep = os.dup(fd)
    mapping = samehost._map_segment("inst", 2, size, fd)
    before = os.pread(keep, size, 0)
    np.frombuffer(mapping, dtype=np.uint8)[refs[0]["offset"] :] ^= 0xFF
    check(os.pread(keep, size, 0) == before, "a write into the mapping never reaches the segment")
    os.close(keep)


def test_dictionary_batches_decode_and_gather():
    batch = pa.record_batch({"tag": pa.array(["b", "a", "b", "c"]).dictionary_encode(), "id": pa.array([0, 1, 2, 3])})
    schema_msg, dictionary_msg, batch_msg = encapsulated(batch)
    fd, size, refs = segment_with([dictionary_msg, batch_msg])
    mapping = samehost._map_segment("inst", 3, size, fd)
    decoder = samehost._Decoder({"sourceLength": schema_msg.size, "columns": None}, schema_msg.to_pybytes() * 2)
    ref = lambda r: pa.py_buffer(mapping).slice(r["offset"], r["length"])  # noqa: E731
    decoder.dictionary(ref(refs[0]))
    stored = decoder.stored_batch(ref(refs[1]))
    check(stored.equals(batch), f"a dictionary-encoded batch decodes with its dictionary: {stored}")
    picked = samehost._gather([stored], np.array([0, 0, 3, 1], dtype="<u4").tobytes(), 2)
    check(picked.column("tag").to_pylist() == ["c", "a"], f"gathered dictionary column: {picked.column('tag')}")


def test_error_frames_map_to_pyarrow_exceptions_and_the_transport_setting():
    cases = {5: pa.ArrowKeyError, 3: pa.ArrowInvalid, 14: flight.FlightUnavailableError, 16: flight.FlightUnauthenticatedError, 9: flight.FlightServerError}
    for status, kind in cases.items():
        error = samehost._error({"type": "error", "status": status, "code": "C", "message": "why"})
        check(type(error) is kind and "C: why" in str(error), f"status {status} -> {type(error).__name__}")
    os.environ.pop("FLIGHTCACHE_TRANSPORT", None)
    check(samehost.check_transport(None) == "auto", "the default transport is auto")
    os.environ["FLIGHTCACHE_TRANSPORT"] = "grpc"
    check(samehost.check_transport(None) == "grpc" and samehost.check_transport("shm") == "shm", "the environment sets the default only")
    os.environ["FLIGHTCACHE_TRANSPORT"] = "tcp"
    error = raises(ValueError, lambda: samehost.check_transport(None), "a bad FLIGHTCACHE_TRANSPORT")
    check("FLIGHTCACHE_TRANSPORT" in str(error), str(error))
    raises(ValueError, lambda: samehost.check_transport("udp"), "a bad transport")
    os.environ.pop("FLIGHTCACHE_TRANSPORT")
