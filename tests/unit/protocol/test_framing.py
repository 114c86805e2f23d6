"""Framing: whole frames from any split of the stream, clear errors for oversize or malformed frames."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ibbot.errors import FrameError, ProtocolError
from ibbot.protocol.framing import MAX_FRAME_SIZE, FrameBuffer, frame, frame_fields, split_fields

field_text = st.text(alphabet=st.characters(blacklist_characters="\0", blacklist_categories=("Cs",)))
messages = st.lists(st.lists(field_text, min_size=1, max_size=8), min_size=1, max_size=12)


def drain(buf: FrameBuffer) -> list[list[str]]:
    out = []
    while (payload := buf.next_frame()) is not None:
        out.append(split_fields(payload))
    return out


@given(messages, st.data())
def test_any_split_of_a_stream_gives_the_same_frames(msgs: list[list[str]], data: st.DataObject) -> None:
    stream = b"".join(frame_fields(m) for m in msgs)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=10)))
    buf = FrameBuffer()
    got: list[list[str]] = []
    start = 0
    for cut in [*cuts, len(stream)]:
        buf.feed(stream[start:cut])
        start = cut
        got.extend(drain(buf))
    assert got == msgs
    assert len(buf) == 0


@given(st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_protocol_errors(data: bytes) -> None:
    buf = FrameBuffer(max_size=256)
    buf.feed(data)
    with contextlib.suppress(ProtocolError):
        drain(buf)


def test_oversize_frame_is_refused_before_buffering() -> None:
    buf = FrameBuffer()
    buf.feed((MAX_FRAME_SIZE + 1).to_bytes(4, "big"))
    with pytest.raises(FrameError, match="exceeds the maximum"):
        buf.next_frame()


def test_the_maximum_size_itself_is_accepted() -> None:
    buf = FrameBuffer(max_size=10)
    buf.feed(frame(b"123456789\0"))
    assert buf.next_frame() == b"123456789\0"


def test_payload_without_terminator_is_malformed() -> None:
    with pytest.raises(FrameError, match="NUL"):
        split_fields(b"49\x001")
    with pytest.raises(FrameError, match="empty"):
        split_fields(b"")


def test_invalid_utf8_is_kept_readable() -> None:
    assert split_fields(b"4\0\xff\0") == ["4", "\\xff"]


def test_encoding_refuses_oversize_payloads() -> None:
    with pytest.raises(FrameError):
        frame(b"x" * (MAX_FRAME_SIZE + 1))


def test_long_streams_compact_the_buffer() -> None:
    buf = FrameBuffer()
    one = frame_fields(["1", "x" * 1000])
    for _ in range(200):
        buf.feed(one)
        assert buf.next_frame() is not None
    assert len(buf) == 0


def test_a_nul_inside_a_field_is_refused() -> None:
    with pytest.raises(FrameError, match="NUL"):
        frame_fields(["4", "bad\0text"])
