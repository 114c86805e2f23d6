"""Frames encoded once and sent to many subscribers: only the request id differs between their copies.

Theory of operation: a market-data update of one instrument goes to every line that streams it, and the
frames of two lines differ only in the request id (the third field or so of every tick message). So a batch
is encoded once, through the protocol's own encoders (byte-for-byte what `encode_response` writes), with a
sentinel request id; each frame is cut at the sentinel into a head and a tail. A line's copy is then one
`bytes.join` with its request id's text as the separator: the length prefixes depend only on the length of
that text, so the pieces are built once per id length (ids of 1..10 digits: a handful of variants at most).
Every market-data message carries the request id before any other variable field, so the first occurrence
of the sentinel field is the id.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

from ibbot.protocol.responses import Response, encode_response

SENTINEL = 1_987_654_321  # the request id of messages built for a template; never sent
_MARK = b"\x00%d\x00" % SENTINEL
_pack = struct.Struct(">I").pack


def request_id_text(req_id: int) -> bytes:
    """The field text of a request id, as a line keeps it to join its copies."""
    return b"%d" % req_id


class FrameTemplate:
    """A batch of messages (built with `req_id=SENTINEL`) ready to be copied for any request id."""

    __slots__ = ("_cuts", "_pieces")

    def __init__(self, messages: Sequence[Response], server_version: int) -> None:
        cuts: list[tuple[bytes, bytes]] = []
        for message in messages:
            payload = encode_response(message, server_version)[4:]
            head, sep, tail = payload.partition(_MARK)
            if not sep:
                raise ValueError(f"{type(message).__name__} was not built with the sentinel request id")
            cuts.append((head + b"\x00", b"\x00" + tail))
        self._cuts = cuts
        self._pieces: dict[int, list[bytes]] = {}

    def __bool__(self) -> bool:
        return bool(self._cuts)

    def pieces(self, id_length: int) -> list[bytes]:
        """The batch split around its request ids, for ids whose text is `id_length` bytes long."""
        pieces = self._pieces.get(id_length)
        if pieces is None:
            pieces = []
            carry = b""
            for head, tail in self._cuts:
                pieces.append(carry + _pack(len(head) + id_length + len(tail)) + head)
                carry = tail
            pieces.append(carry)
            self._pieces[id_length] = pieces
        return pieces

    def for_request(self, req_id_text: bytes) -> bytes:
        """The whole batch, framed, for the request id whose text is `req_id_text`."""
        return req_id_text.join(self.pieces(len(req_id_text)))
