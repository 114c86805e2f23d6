"""Every request decoder, fed arbitrary fields, answers with a typed value and never raises."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ibbot.protocol.requests import DECODERS, BadRequest, Request, UnknownRequest, decode_request

# Field texts that reach interesting branches: numbers, unset literals, counts, words the layouts test for.
interesting = st.sampled_from(
    ["", "0", "1", "2", "3", "-1", "7", "100", "2147483647", "1.7976931348623157e308", "Infinite", "Infinity", "1.5",
     "BAG", "PEG BENCH", "PEG BEST", "PEG MID", "IBKRATS", "LMT", "x", "a=b;", "99999999999", "1e400", "nan"]
)  # fmt: skip
fields = st.lists(st.one_of(interesting, st.text(max_size=6)), max_size=140)


@pytest.mark.parametrize("msg_id", sorted(DECODERS))
@settings(max_examples=60, deadline=None)
@given(rest=fields, sv=st.sampled_from([157, 163, 170, 176, 178, 183, 187, 189, 192, 199, 200]))
def test_decoders_never_raise(msg_id: int, rest: list[str], sv: int) -> None:
    result = decode_request([str(msg_id), *rest], sv)
    assert isinstance(result, Request | BadRequest | UnknownRequest)


@given(st.lists(st.text(max_size=8), min_size=1, max_size=30))
def test_any_frame_decodes_to_a_typed_value(frame: list[str]) -> None:
    assert isinstance(decode_request(frame, 178), Request | BadRequest | UnknownRequest)
