"""The decoding frame shared by every client request: the base types, the table shape, unknown/bad requests.

Each module of this package owns one family of requests and exports `DECODERS`, a table from
`ClientMsgId` to a function `(reader, server_version) -> Request`; `ibbot.protocol.requests` merges them.
A decoder reads fields in wire order with `FieldReader` and raises `FieldError` on a bad field: the
connection turns that into a `BadRequest` event, so one malformed message never kills a session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from ibbot.protocol.fields import FieldReader
from ibbot.protocol.ids import ClientMsgId
from ibbot.protocol.types import Contract

FROZEN = {"frozen": True, "slots": True, "kw_only": True}


@dataclass(**FROZEN)
class Request:
    """Base of every decoded client-to-server message."""

    msg_id: ClassVar[ClientMsgId]


@dataclass(**FROZEN)
class UnknownRequest:
    """A frame whose message id we do not know; answered with an error, the connection goes on."""

    msg_id: int
    fields: tuple[str, ...]


@dataclass(**FROZEN)
class BadRequest:
    """A known message whose fields could not be read; `req_id` is the request/order id if it was read."""

    msg_id: ClientMsgId
    reason: str
    req_id: int = -1


Decoder = Callable[[FieldReader, int], Request]


def read_contract(r: FieldReader, *, primary_exchange: bool = True) -> Contract:
    """The 12 contract fields (11 without primaryExchange, as exerciseOptions sends them)."""
    return Contract(
        con_id=r.int("conId"),
        symbol=r.str("symbol"),
        sec_type=r.str("secType"),
        last_trade_date_or_contract_month=r.str("lastTradeDateOrContractMonth"),
        strike=r.float("strike"),
        right=r.str("right"),
        multiplier=r.str("multiplier"),
        exchange=r.str("exchange"),
        primary_exchange=r.str("primaryExchange") if primary_exchange else "",
        currency=r.str("currency"),
        local_symbol=r.str("localSymbol"),
        trading_class=r.str("tradingClass"),
    )
