"""A minimal same-host reader for the tests (docs/same-host.md): connects to a node's Unix socket,
says hello, reads one ticket from shared memory and prints a JSON report on its last line.

    same_host_read.py --socket PATH --ticket B64 [--authorization "Bearer ..."] [--grpc grpc://...]
                      [--pause-after N] [--rows]

For each output batch the report holds its rows, cursor, the SHA-256 of the stored body it refers
to (plain batches) and, with --grpc, whether it equals the batch DoGet sends for the same ticket
(read with pyarrow.flight). --pause-after N prints {"paused": N} after N batches and waits for a
line on stdin before reading on; after the stream it re-hashes every body it read to show that the
mapped bytes did not change meanwhile ("unchanged"). Uses only the standard library, numpy and pyarrow.
"""
import argparse
import base64
import collections
import hashlib
import json
import mmap
import os
import socket
import struct
import sys

import numpy as np
import pyarrow as pa


class FrameError(Exception):
    pass


class Connection:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buffer = bytearray()
        self.fds = collections.deque()

    def send(self, message):
        body = json.dumps(message).encode()
        self.sock.sendall(struct.pack('<II', len(body), 0) + body)

    def _fill(self, need):
        while len(self.buffer) < need:
            data, fds, _flags, _addr = socket.recv_fds(self.sock, 1 << 16, 64)
            self.fds.extend(fds)
            if not data:
                raise FrameError('connection closed before the stream ended')
            self.buffer += data

    def read(self):
        self._fill(8)
        json_length, payload_length = struct.unpack_from('<II', self.buffer)
        self._fill(8 + json_length + payload_length)
        message = json.loads(bytes(self.buffer[8:8 + json_length]))
        payload = bytes(self.buffer[8 + json_length:8 + json_length + payload_length])
        del self.buffer[:8 + json_length + payload_length]
        return message, payload


def body_of(mapping, ref):
    start = ref['offset']
    metadata_length = struct.unpack_from('<i', mapping, start + 4)[0]
    return memoryview(mapping)[start + 8 + metadata_length:start + ref['length']]


def message_bytes(maps, ref):
    return bytes(memoryview(maps[ref['segment']])[ref['offset']:ref['offset'] + ref['length']])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--socket', required=True)
    parser.add_argument('--ticket', required=True)
    parser.add_argument('--authorization')
    parser.add_argument('--grpc')
    parser.add_argument('--pause-after', type=int)
    parser.add_argument('--rows', action='store_true', help='include each batch as a list of row dicts')
    args = parser.parse_args()

    report = {'batches': [], 'error': None, 'segments': 0, 'hello': None}
    maps = {}
    seen_bodies = []
    try:
        connection = Connection(args.socket)
        hello = {'type': 'hello', 'version': 1}
        if args.authorization:
            hello['authorization'] = args.authorization
        connection.send(hello)
        reply, _ = connection.read()
        if reply['type'] == 'error':
            report['error'] = reply
            report['fds_received'] = len(connection.fds)
            print(json.dumps(report))
            return
        report['hello'] = reply
        connection.send({'type': 'get', 'ticket': args.ticket})
        grpc_batches = None
        if args.grpc:
            import pyarrow.flight as flight
            options = flight.FlightCallOptions(headers=[(b'authorization', args.authorization.encode())] if args.authorization else [])
            reader = flight.connect(args.grpc).do_get(flight.Ticket(base64.b64decode(args.ticket)), options)
            grpc_batches = []
            for chunk in reader:
                grpc_batches.append((chunk.data, chunk.app_metadata.to_pybytes().decode() if chunk.app_metadata else None))
        stored_schema = None
        stored_schema_bytes = None
        columns = None
        stream_dictionaries = []
        while True:
            frame, payload = connection.read()
            kind = frame['type']
            if kind == 'segments':
                for segment in frame['segments']:
                    fd = connection.fds.popleft()
                    maps[segment['id']] = mmap.mmap(fd, segment['bytes'], flags=mmap.MAP_SHARED, prot=mmap.PROT_READ)
                    os.close(fd)
                    report['segments'] += 1
            elif kind == 'schema':
                stored_schema_bytes = payload[:frame['sourceLength']]
                stored_schema = pa.ipc.read_schema(pa.py_buffer(stored_schema_bytes))
                output_schema = pa.ipc.read_schema(pa.py_buffer(payload[frame['sourceLength']:]))
                columns = frame['columns']
            elif kind == 'dictionary':
                stream_dictionaries.append(frame['ref'])
            elif kind == 'batch':
                sources = []
                for i, ref in enumerate(frame['sources']):
                    mapping = maps[ref['segment']]
                    seen_bodies.append((ref, hashlib.sha256(body_of(mapping, ref)).hexdigest()))
                    if 'dictionaries' in frame or stream_dictionaries:
                        # Dictionaries only decode as part of a stream: schema, dictionaries, then the batch.
                        dictionaries = frame['dictionaries'][i] if 'dictionaries' in frame else stream_dictionaries
                        parts = [stored_schema_bytes] + [message_bytes(maps, d) for d in dictionaries] + [message_bytes(maps, ref)]
                        sources.append(pa.ipc.open_stream(b''.join(parts)).read_next_batch())
                        continue
                    message = pa.ipc.read_message(pa.py_buffer(mapping)[ref['offset']:ref['offset'] + ref['length']])
                    sources.append(pa.ipc.read_record_batch(message, stored_schema))
                entry = {'rows': frame['rows'], 'cursor': frame['cursor'], 'sources': len(sources)}
                if frame['picks'] is None:
                    batch = sources[0]
                    body = body_of(maps[frame['sources'][0]['segment']], frame['sources'][0])
                    entry['body_sha256'] = hashlib.sha256(body).hexdigest()
                else:
                    count = frame['picks']
                    picks = np.frombuffer(payload, dtype='<u4')
                    source, row = picks[:count], picks[count:]
                    starts = np.cumsum([0] + [s.num_rows for s in sources[:-1]])
                    table = pa.Table.from_batches(sources)
                    batch = table.take(pa.array(starts[source] + row)).combine_chunks().to_batches()[0] if count else sources[0].slice(0, 0)
                if columns is not None:
                    # The output schema names the columns (a query's select list may rename them).
                    batch = pa.RecordBatch.from_arrays(batch.select(columns).columns, schema=output_schema)
                entry['num_rows'] = batch.num_rows
                if args.rows:
                    entry['rows_list'] = batch.to_pylist()
                if grpc_batches is not None:
                    index = len(report['batches'])
                    expected, cursor = grpc_batches[index] if index < len(grpc_batches) else (None, None)
                    entry['equals_grpc'] = expected is not None and batch.equals(expected) and cursor == frame['cursor']
                report['batches'].append(entry)
                if args.pause_after is not None and len(report['batches']) == args.pause_after:
                    print(json.dumps({'paused': args.pause_after}), flush=True)
                    sys.stdin.readline()
            elif kind == 'end':
                if grpc_batches is not None:
                    report['grpc_batches'] = len(grpc_batches)
                break
            elif kind == 'error':
                report['error'] = frame
                break
            else:
                raise FrameError(f'unexpected frame {kind}')
    except (FrameError, ConnectionError) as err:
        report['error'] = {'code': 'UNAVAILABLE', 'message': str(err)}
    report['unchanged'] = all(hashlib.sha256(body_of(maps[ref['segment']], ref)).hexdigest() == digest for ref, digest in seen_bodies)
    print(json.dumps(report))


if __name__ == '__main__':
    main()
