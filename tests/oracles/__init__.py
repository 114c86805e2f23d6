"""Real IB clients as test oracles: what their own code sends, and what their own decoders make of our bytes.

No hand-written expectations of the wire: `ib_async_requests` / `ibapi_requests` run the clients' request
methods and return the frames they produced (split into fields by our framing); `ib_async_decode` /
`ibapi_decode` feed our frames to the clients' real data paths and return the wrapper callbacks they fired.
Any error either client logs while decoding fails the test (both swallow exceptions into their loggers).
"""

from oracles.harness import (
    Call,
    ib_async_decode,
    ib_async_requests,
    ibapi_decode,
    ibapi_requests,
)

__all__ = ["Call", "ib_async_decode", "ib_async_requests", "ibapi_decode", "ibapi_requests"]
