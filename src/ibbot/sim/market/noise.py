"""Counter-based random numbers for the simulated market: a normal or uniform draw for any (stream, tag, counter).

Theory of operation: the simulator must give the same bars whatever was asked before, so no draw may depend
on a sequential generator's position. Each draw is instead a pure function of its coordinates: a stream key
(one per seed and conId), a tag naming what is drawn (a bridge level, a volume split, a quote size ...), and
two counters (e.g. the day and the minute). The coordinates are packed into 64 bits and scrambled by the
SplitMix64 finaliser, a bijection with full avalanche; the 64 output bits become two 32-bit uniforms and,
through Box-Muller, one standard normal. A draw costs well under a microsecond in CPython.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

_MASK = (1 << 64) - 1
_U32 = 2.0**-32
_TWO_PI = 2.0 * math.pi
_MAJOR_BITS = 40  # counters: major < 2**40 (epoch seconds fit), minor < 2**16
_MINOR_BITS = 16


def _mix(x: int) -> int:
    """SplitMix64's finaliser: a bijection on 64-bit integers whose every output bit depends on every input bit."""
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def stream_key(seed: int, con_id: int) -> int:
    """The key of one instrument's stream of draws under one simulator seed."""
    return _mix(_mix(seed & _MASK) ^ ((con_id * 0x9E3779B97F4A7C15) & _MASK))


def tag_key(stream: int, tag: int) -> int:
    """A sub-stream for one kind of draw (tags are small constants chosen by the caller)."""
    return _mix(stream ^ ((tag * 0xD1B54A32D192ED03) & _MASK))


def bits(key: int, major: int, minor: int) -> int:
    """64 random bits for coordinates (major, minor) of the sub-stream `key`."""
    packed = ((major & ((1 << _MAJOR_BITS) - 1)) << _MINOR_BITS) | (minor & ((1 << _MINOR_BITS) - 1))
    return _mix(key ^ packed)


def normal(key: int, major: int, minor: int) -> float:
    """A standard normal draw (Box-Muller on the two halves of `bits`)."""
    x = key ^ (((major & ((1 << _MAJOR_BITS) - 1)) << _MINOR_BITS) | (minor & ((1 << _MINOR_BITS) - 1)))
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK  # _mix, inlined: this is the hottest function
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    x ^= x >> 31
    u1 = ((x >> 32) + 0.5) * _U32  # in (0, 1): the log is finite
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(_TWO_PI * (x & 0xFFFFFFFF) * _U32)


def normals(key: int, major: int, count: int) -> list[float]:
    """`count` standard normals for coordinates (major, 0 .. count - 1), two per hash (Box-Muller's pair).

    A different family from `normal` (draw i of `normals` is not `normal(key, major, i)`): use one or the
    other for a given sub-stream.
    """
    base = key ^ ((major & ((1 << _MAJOR_BITS) - 1)) << _MINOR_BITS)
    if count >= _VECTOR_COUNT and 0 <= base <= _MASK:
        return _normals_vector(base, count)
    out: list[float] = []
    sqrt, log, cos, sin = math.sqrt, math.log, math.cos, math.sin
    for pair in range((count + 1) // 2):
        x = base ^ pair
        x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
        x ^= x >> 31
        radius = sqrt(-2.0 * log(((x >> 32) + 0.5) * _U32))
        angle = _TWO_PI * (x & 0xFFFFFFFF) * _U32
        out.append(radius * cos(angle))
        out.append(radius * sin(angle))
    if len(out) > count:
        out.pop()
    return out


_VECTOR_COUNT = 32  # below it numpy's per-call overhead costs more than it saves
_U64 = np.uint64


def _normals_vector(base: int, count: int) -> list[float]:
    """`normals`' loop with the hashing and the uniforms done by numpy (uint64 products wrap exactly as the
    masked ones, and the float arithmetic is the same IEEE operations in the same order: the same bits,
    tested); log, cos and sin stay the math module's, whose results numpy's own need not match."""
    x = np.arange((count + 1) // 2, dtype=np.uint64) ^ _U64(base)
    x = (x ^ (x >> _U64(30))) * _U64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> _U64(27))) * _U64(0x94D049BB133111EB)
    x ^= x >> _U64(31)
    uniforms: list[float] = (((x >> _U64(32)).astype(np.float64) + 0.5) * _U32).tolist()
    angles: list[float] = (_TWO_PI * (x & _U64(0xFFFFFFFF)).astype(np.float64) * _U32).tolist()
    sqrt, log, cos, sin = math.sqrt, math.log, math.cos, math.sin
    out: list[float] = []
    append = out.append
    for u, angle in zip(uniforms, angles, strict=True):
        radius = sqrt(-2.0 * log(u))
        append(radius * cos(angle))
        append(radius * sin(angle))
    if len(out) > count:
        out.pop()
    return out


def normals_rows(key: int, majors: Sequence[int], count: int) -> np.ndarray:
    """(len(majors), count) float64: row i is `normals(key, majors[i], count)`, bit for bit, for many rows at once
    (a request's days): the hashing, the uniforms, sqrt and the products in numpy (uint64 products wrap exactly as
    the masked ones; +, *, sqrt are IEEE operations, correctly rounded, in the loop's order), log, cos and sin the
    math module's mapped over the values (numpy's own may differ in the last bit, by version and by vector unit)."""
    bases = np.array([key ^ ((m & ((1 << _MAJOR_BITS) - 1)) << _MINOR_BITS) for m in majors], dtype=np.uint64)
    pairs = (count + 1) // 2
    x = (bases[:, None] ^ np.arange(pairs, dtype=np.uint64)[None, :]).ravel()
    x = (x ^ (x >> _U64(30))) * _U64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> _U64(27))) * _U64(0x94D049BB133111EB)
    x ^= x >> _U64(31)
    uniforms = ((x >> _U64(32)).astype(np.float64) + 0.5) * _U32
    angles = _TWO_PI * (x & _U64(0xFFFFFFFF)).astype(np.float64) * _U32
    radius = np.sqrt(-2.0 * mapped(math.log, uniforms))
    out = np.empty((len(majors), 2 * pairs), dtype=np.float64)
    out.reshape(-1)[0::2] = radius * mapped(math.cos, angles)
    out.reshape(-1)[1::2] = radius * mapped(math.sin, angles)
    return out[:, :count]


def mapped(function: Callable[[float], float], values: np.ndarray) -> np.ndarray:
    """`function` (a math-module one) of every value, the same shape: the values go through Python floats."""
    flat: list[float] = values.ravel().tolist()
    return np.fromiter(map(function, flat), np.float64, len(flat)).reshape(values.shape)


def normal_at(key: int, major: int, index: int) -> float:
    """Draw `index` of `normals(key, major, ...)` alone: the same value, for a caller that needs only a few."""
    x = key ^ ((major & ((1 << _MAJOR_BITS) - 1)) << _MINOR_BITS) ^ (index >> 1)
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    x ^= x >> 31
    radius = math.sqrt(-2.0 * math.log(((x >> 32) + 0.5) * _U32))
    angle = _TWO_PI * (x & 0xFFFFFFFF) * _U32
    return radius * (math.sin(angle) if index & 1 else math.cos(angle))


def uniform(key: int, major: int, minor: int) -> float:
    """A uniform draw in [0, 1)."""
    return (bits(key, major, minor) >> 11) * 2.0**-53
