"""Frames of the same-host protocol (docs/same-host.md, "Wire protocol") over a Unix stream socket.

A frame is `u32 LE json_length`, `u32 LE payload_length`, the JSON object, the payload. Server
frames may carry file descriptors (SCM_RIGHTS); every descriptor received is queued in arrival
order, and a `segments` frame takes its own from the front of the queue.
"""

from __future__ import annotations

import json
import os
import socket
import struct
from collections import deque
from typing import Any

HEADER = struct.Struct("<II")
MAX_JSON = 1 << 20
MAX_PAYLOAD = 1 << 30
RECEIVE_BYTES = 256 * 1024
MAX_FDS = 64


class FrameError(ConnectionError):
    """The connection broke or sent something that is not a frame."""


class FrameSocket:
    """One connection's frames: send JSON requests, receive (message, payload) with queued descriptors."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self._buffer = bytearray()
        self._fds: deque[int] = deque()

    def send(self, message: dict[str, Any]) -> None:
        """Sends one client frame (no payload)."""
        body = json.dumps(message, separators=(",", ":")).encode()
        self.sock.sendall(HEADER.pack(len(body), 0) + body)

    def _fill(self, size: int) -> None:
        while len(self._buffer) < size:
            try:
                data, fds, flags, _ = socket.recv_fds(self.sock, RECEIVE_BYTES, MAX_FDS)
            except OSError as error:
                raise FrameError(f"same-host connection failed: {error}") from error
            self._fds.extend(fds)
            if flags & socket.MSG_CTRUNC:
                raise FrameError("same-host connection dropped file descriptors (MSG_CTRUNC)")
            if not data:
                raise FrameError("same-host connection closed by the server")
            self._buffer += data

    def receive(self) -> tuple[dict[str, Any], bytes]:
        """The next server frame: its JSON object and its payload."""
        self._fill(HEADER.size)
        json_length, payload_length = HEADER.unpack_from(self._buffer)
        if not (1 <= json_length <= MAX_JSON and payload_length <= MAX_PAYLOAD):
            raise FrameError(f"same-host frame with lengths {json_length}/{payload_length} is out of range")
        end = HEADER.size + json_length + payload_length
        self._fill(end)
        try:
            message = json.loads(bytes(self._buffer[HEADER.size : HEADER.size + json_length]))
        except ValueError as error:
            raise FrameError(f"same-host frame is not JSON: {error}") from error
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            raise FrameError("same-host frame is not an object with a string type")
        payload = bytes(self._buffer[HEADER.size + json_length : end])
        del self._buffer[:end]
        return message, payload

    def take_fds(self, count: int) -> list[int]:
        """The next `count` queued descriptors (a segments frame's own)."""
        if count > len(self._fds):
            raise FrameError(f"a segments frame names {count} descriptors, {len(self._fds)} arrived")
        return [self._fds.popleft() for _ in range(count)]

    def close(self) -> None:
        """Closes the socket and every descriptor not taken."""
        while self._fds:
            os.close(self._fds.popleft())
        self.sock.close()
