"""Real IB clients as test oracles: what their own code sends, and what their own decoders make of our bytes.

No hand-written expectations of the wire: `ib_async_requests` / `ibapi_requests` run the clients' request
methods and return the frames they produced (split into fields by our framing); `ib_async_decode` /
`ibapi_decode` feed our frames to the clients' real data paths and return the wrapper callbacks they fired.
Any error either client logs while decoding fails the test (both swallow exceptions into their loggers).
`decode_single` decodes a request test's one frame strictly; `assert_mirrors` / `camel` / `snake` compare our
snake_case objects with the clients' camelCase ones.
"""

from oracles.harness import (
    Call,
    ib_async_decode,
    ib_async_requests,
    ibapi_decode,
    ibapi_requests,
)
from oracles.mirror import assert_mirrors, camel, snake
from oracles.requests import (
    CLIENT_CONTRACT_ATTRS,
    OUR_CONTRACT_ATTRS,
    decode_single,
    ibapi_contract,
    wire_contract,
)

__all__ = [
    "CLIENT_CONTRACT_ATTRS",
    "OUR_CONTRACT_ATTRS",
    "Call",
    "assert_mirrors",
    "camel",
    "decode_single",
    "ib_async_decode",
    "ib_async_requests",
    "ibapi_contract",
    "ibapi_decode",
    "ibapi_requests",
    "snake",
    "wire_contract",
]
