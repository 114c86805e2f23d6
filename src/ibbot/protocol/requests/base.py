"""The decoding frame shared by every client request: the base types, the table shape, unknown/bad requests,
and the field groups and decoder shapes that several request families share.

Each module of this package owns one family of requests and exports `DECODERS`, a table from
`ClientMsgId` to a function `(reader, server_version) -> Request`; `ibbot.protocol.requests` merges them.
A decoder reads fields in wire order with `FieldReader` and raises `FieldError` on a bad field: the
connection turns that into a `BadRequest` event, so one malformed message never kills a session.

Shared here: the contract (`read_contract`), the delta-neutral leg, options lists (`tag=value;...` in one
field, "for internal use only" in IB's docs), and the decoders of the many messages that carry nothing but
a request id (`req_id_only`) or nothing at all past a version field (`versioned_empty`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from ibbot.errors import FieldError
from ibbot.protocol.fields import FieldReader
from ibbot.protocol.ids import ClientMsgId
from ibbot.protocol.types import Contract, DeltaNeutralContract, TagValue

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


def read_delta_neutral_contract(r: FieldReader) -> DeltaNeutralContract | None:
    """The flag, then conId, delta and price when it is set (reqMktData and placeOrder send it alike)."""
    if not r.bool("deltaNeutralContract flag"):
        return None
    return DeltaNeutralContract(
        con_id=r.int("deltaNeutralContract conId"),
        delta=r.float("deltaNeutralContract delta"),
        price=r.float("deltaNeutralContract price"),
    )


def parse_tag_values(text: str, *, require_equals: bool = True, require_tag: bool = True) -> tuple[TagValue, ...]:
    """`a=1;b=2;` -> (TagValue(a, 1), TagValue(b, 2)); empty text gives (). The value may contain `=`.

    An item without `=` is a FieldError unless `require_equals` is off (then it is a tag with an empty
    value), and so is one with an empty tag unless `require_tag` is off: the families differ in how much
    they forgive, and each keeps its own rule.
    """
    pairs = []
    for item in text.split(";"):
        if not item:
            continue
        tag, sep, value = item.partition("=")
        if (require_equals and not sep) or (require_tag and not tag):
            raise FieldError(f"{item[:40]!r} is not tag=value")
        pairs.append(TagValue(tag=tag, value=value))
    return tuple(pairs)


def read_tag_values(
    r: FieldReader, what: str, *, require_equals: bool = True, require_tag: bool = True
) -> tuple[TagValue, ...]:
    """One field holding a `tag=value;...` list (see `parse_tag_values`); a bad one names the field."""
    text = r.str(what)
    try:
        return parse_tag_values(text, require_equals=require_equals, require_tag=require_tag)
    except FieldError as exc:
        raise FieldError(f"field {r.pos - 1} ({what}): {exc}") from None


def read_counted_tag_values(r: FieldReader, what: str, *, require_tag: bool = True) -> tuple[TagValue, ...]:
    """A pair count, then all the pairs in ONE `tag=value;...` field (calculateImpliedVolatility,
    calculateOptionPrice, reqFundamentalData): the count is redundant, the field is the truth."""
    r.int("tagValuesCount")
    return read_tag_values(r, what, require_tag=require_tag)


def req_id_only(cls: Callable[..., Request], *, versioned: bool) -> Decoder:
    """A decoder for the many `[version,] reqId` messages (cancels mostly): the version is read and ignored."""

    def decode(r: FieldReader, sv: int) -> Request:
        if versioned:
            r.int("version")
        return cls(req_id=r.int("reqId"))

    return decode


def versioned_empty(cls: Callable[[], Request], *, optional: bool = False) -> Decoder:
    """A decoder for a message that carries only a version field (read and ignored); with `optional` the
    version may be missing too, and the message is still read."""

    def decode(r: FieldReader, sv: int) -> Request:
        if not optional or r.remaining():
            r.int("version")
        return cls()

    return decode
