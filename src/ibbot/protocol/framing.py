"""Framing of the TWS byte stream: a 4-byte big-endian length, then a payload of NUL-terminated fields.

Theory of operation: `FrameBuffer` accumulates bytes from any split of the stream and hands out whole
payloads; `split_fields` turns a payload into its text fields. A length above `MAX_FRAME_SIZE` (IB's
16 MiB - 1) cannot be a real message and would make us buffer without bound, so it raises `FrameError`:
the stream can no longer be trusted and the connection must close.
"""

from __future__ import annotations

from ibbot.errors import FrameError

MAX_FRAME_SIZE = 0xFFFFFF  # 16 MiB - 1, the largest payload TWS accepts
HEADER_SIZE = 4
API_SIGN = b"API\0"


class FrameBuffer:
    """Accumulates stream bytes; `next_frame` returns one whole payload or None when more bytes are needed."""

    __slots__ = ("_buf", "_pos", "max_size")

    def __init__(self, max_size: int = MAX_FRAME_SIZE) -> None:
        self._buf = bytearray()
        self._pos = 0
        self.max_size = max_size

    def feed(self, data: bytes) -> None:
        if self._pos and self._pos == len(self._buf):
            self._buf.clear()
            self._pos = 0
        self._buf += data

    def __len__(self) -> int:
        """Bytes received but not yet returned as frames."""
        return len(self._buf) - self._pos

    def peek(self, n: int) -> bytes:
        """Up to `n` buffered bytes, without consuming them."""
        return bytes(self._buf[self._pos : self._pos + n])

    def take(self, n: int) -> bytes | None:
        """Take exactly `n` raw bytes (the handshake's API sign), or None if fewer are buffered."""
        if len(self) < n:
            return None
        start = self._pos
        self._pos += n
        return bytes(self._buf[start : self._pos])

    def next_frame(self) -> bytes | None:
        buf = self._buf
        pos = self._pos
        if len(buf) - pos < HEADER_SIZE:
            return None
        size = int.from_bytes(buf[pos : pos + HEADER_SIZE], "big")
        if size > self.max_size:
            raise FrameError(f"frame of {size} bytes exceeds the maximum of {self.max_size}")
        end = pos + HEADER_SIZE + size
        if len(buf) < end:
            return None
        payload = bytes(buf[pos + HEADER_SIZE : end])
        self._pos = end
        if end > 65536 and end * 2 > len(buf):
            # Compact now and then so a long-lived connection does not keep consumed bytes alive.
            del buf[:end]
            self._pos = 0
        return payload


def split_fields(payload: bytes) -> list[str]:
    """Split a payload into its fields; every field, the last included, must end with NUL."""
    if not payload:
        raise FrameError("empty frame")
    if payload[-1] != 0:
        raise FrameError("frame does not end with a NUL field terminator")
    return payload[:-1].decode("utf-8", errors="backslashreplace").split("\0")


def frame(payload: bytes) -> bytes:
    """Prefix a payload with its length."""
    size = len(payload)
    if size > MAX_FRAME_SIZE:
        raise FrameError(f"frame of {size} bytes exceeds the maximum of {MAX_FRAME_SIZE}")
    return size.to_bytes(HEADER_SIZE, "big") + payload


def frame_fields(fields: list[str]) -> bytes:
    """Encode text fields as one NUL-terminated, length-prefixed frame.

    A NUL inside a field would shift every later field for the reader, so it is refused (one C-speed scan).
    """
    return frame_joined("\0".join(fields), len(fields))


def frame_joined(text: str, count: int) -> bytes:
    """`frame_fields` of `count` fields already joined with NUL separators (no final NUL), for encoders that
    keep the text of parts of a message; a NUL inside a field is refused all the same."""
    payload = (text + "\0").encode()
    if payload.count(0) != count:
        raise FrameError("a field contains a NUL byte")
    return frame(payload)
