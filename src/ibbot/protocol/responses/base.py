"""The encoding frame shared by every server message: the base type, the table shape, shared field groups.

Each module of this package owns one family of messages and exports `ENCODERS`, a table from message type
to a function `(message, server_version) -> bytes` returning one whole frame. An encoder writes exactly the
layout the negotiated version has (../reference section 8) and raises `LocalProtocolError` for a message the
version cannot carry. `fmt_*` from `ibbot.protocol.fields` keep numbers readable by every decoder; the
field groups several families write alike (a contract's 11 fields, a counted tag/value list) are here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from ibbot.errors import LocalProtocolError
from ibbot.memo import IdentityMemo
from ibbot.protocol.fields import fmt_float, fmt_int
from ibbot.protocol.ids import ServerMsgId
from ibbot.protocol.types import Contract, TagValue

FROZEN = {"frozen": True, "slots": True, "kw_only": True}


@dataclass(**FROZEN)
class Response:
    """Base of every server-to-client message."""

    msg_id: ClassVar[ServerMsgId]


Encoder = Callable[[Any, int], bytes]


def require_version(sv: int, minimum: int, what: str) -> None:
    if sv < minimum:
        raise LocalProtocolError(f"{what} needs server version {minimum}, negotiated {sv}")


def contract_fields(c: Contract, *, exchange: str | None = None) -> list[str]:
    """conId .. tradingClass without primaryExchange: the 11 contract fields of openOrder, completedOrder,
    execDetails, position and positionMulti. updatePortfolio sends the primary exchange in the exchange's
    place (`exchange=c.primary_exchange`)."""
    return [
        fmt_int(c.con_id),
        c.symbol,
        c.sec_type,
        c.last_trade_date_or_contract_month,
        fmt_float(c.strike),
        c.right,
        c.multiplier,
        c.exchange if exchange is None else exchange,
        c.currency,
        c.local_symbol,
        c.trading_class,
    ]


CONTRACT_WIDTH = 11


def contract_text(c: Contract) -> str:
    """`contract_fields(c)` (CONTRACT_WIDTH fields) joined with NUL separators, kept per Contract object: the
    simulator reports an instrument with one Contract, in every openOrder and execDetails of it."""
    return _contract_texts.get((c,)) or _contract_texts.put((c,), "\0".join(contract_fields(c)))


_contract_texts: IdentityMemo[str] = IdentityMemo()


def tag_value_fields(pairs: tuple[TagValue, ...]) -> list[str]:
    """A counted tag/value list: the count, then tag and value of each pair as two fields."""
    out = [fmt_int(len(pairs))]
    for tv in pairs:
        out += [tv.tag, tv.value]
    return out
