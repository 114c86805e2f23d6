"""noise.normals: the numpy-hashed batch gives the very bits of the pure loop."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from ibbot.sim.market import noise
from ibbot.sim.market.noise import normals, stream_key, tag_key

_MASK = (1 << 64) - 1


def _loop_normals(key: int, major: int, count: int) -> list[float]:
    """normals as the pure-Python loop computes them (the reference)."""
    base = key ^ ((major & ((1 << 40) - 1)) << 16)
    out: list[float] = []
    for pair in range((count + 1) // 2):
        x = base ^ pair
        x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
        x ^= x >> 31
        radius = math.sqrt(-2.0 * math.log(((x >> 32) + 0.5) * 2.0**-32))
        angle = 2.0 * math.pi * (x & 0xFFFFFFFF) * 2.0**-32
        out += [radius * math.cos(angle), radius * math.sin(angle)]
    return out[:count]


@settings(max_examples=60, deadline=None)
@given(st.integers(0, _MASK), st.integers(0, (1 << 40) - 1), st.integers(0, 3000))
def test_normals_match_the_loop_bit_for_bit(key: int, major: int, count: int) -> None:
    found = normals(key, major, count)
    assert [v.hex() for v in found] == [v.hex() for v in _loop_normals(key, major, count)]


def test_the_batch_path_is_taken_and_matches_for_a_real_stream() -> None:
    key = tag_key(stream_key(7, 265598), 3)
    assert noise._VECTOR_COUNT <= 289  # a day's 5-minute grid goes the numpy way
    found = noise._normals_vector(key ^ (20_000 << 16), 289)
    assert found == _loop_normals(key, 20_000, 289)
    assert len(found) == 289 and abs(sum(found) / 289) < 0.3  # standard normals, roughly centred
