"""Server-to-client messages: typed structs and the one table that encodes them per server version.

Import message types from their family module (`ibbot.protocol.responses.market.TickPrice`, ...);
`encode_response(message, server_version)` returns the frame's bytes.
"""

from __future__ import annotations

from ibbot.errors import LocalProtocolError
from ibbot.protocol.responses import account, contracts, history, market, misc, orders, session
from ibbot.protocol.responses.base import Encoder, Response

ENCODERS: dict[type[Response], Encoder] = {
    **session.ENCODERS,
    **orders.ENCODERS,
    **market.ENCODERS,
    **contracts.ENCODERS,
    **history.ENCODERS,
    **account.ENCODERS,
    **misc.ENCODERS,
}


def encode_response(message: Response, server_version: int) -> bytes:
    encoder = ENCODERS.get(type(message))
    if encoder is None:
        raise LocalProtocolError(f"no encoder for {type(message).__name__}")
    return encoder(message, server_version)


__all__ = ["ENCODERS", "Response", "encode_response"]
