"""The decoding frame shared by every client request: the base types, the table shape, unknown/bad requests,
and the field groups and decoder shapes that several request families share.

Each module of this package owns one family of requests and exports `DECODERS`, a table from
`ClientMsgId` to a function `(reader, server_version) -> Request`; `ibbot.protocol.requests` merges them.
A decoder reads fields in wire order with `FieldReader` and raises `FieldError` on a bad field: the
connection turns that into a `BadRequest` event, so one malformed message never kills a session.

Shared here: the contract (`read_contract`, one `FieldRun`), the delta-neutral leg, options lists
(`tag=value;...` in one field, "for internal use only" in IB's docs), and the decoders of the many messages
that carry nothing but a request id (`req_id_only`) or nothing at all past a version field (`versioned_empty`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from ibbot.errors import FieldError
from ibbot.protocol.fields import FLOAT, INT, STR, FieldReader, FieldRun
from ibbot.protocol.ids import ClientMsgId
from ibbot.protocol.types import Contract, DeltaNeutralContract, TagValue, build_contract

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


# The contract's fields in wire order: (name on the wire, our attribute, kind).
_CONTRACT_FIELDS = (
    ("conId", "con_id", INT),
    ("symbol", "symbol", STR),
    ("secType", "sec_type", STR),
    ("lastTradeDateOrContractMonth", "last_trade_date_or_contract_month", STR),
    ("strike", "strike", FLOAT),
    ("right", "right", STR),
    ("multiplier", "multiplier", STR),
    ("exchange", "exchange", STR),
    ("primaryExchange", "primary_exchange", STR),
    ("currency", "currency", STR),
    ("localSymbol", "local_symbol", STR),
    ("tradingClass", "trading_class", STR),
)
_CONTRACT = FieldRun(((wire, kind) for wire, _, kind in _CONTRACT_FIELDS), (key for _, key, _ in _CONTRACT_FIELDS))
_CONTRACT_NO_PRIMARY = FieldRun(
    ((wire, kind) for wire, key, kind in _CONTRACT_FIELDS if key != "primary_exchange"),
    (key for _, key, _ in _CONTRACT_FIELDS if key != "primary_exchange"),
)
_CONTRACT_DEFAULTS: dict[str, Any] = {name: getattr(Contract(), name) for name in Contract.__dataclass_fields__}


def read_contract_fields(r: FieldReader, *, primary_exchange: bool = True) -> dict[str, Any]:
    """The 12 contract fields (11 without primaryExchange, as exerciseOptions sends them) in a dict of every
    Contract field in field order, for a caller that sets more before `build_contract(*d.values())`."""
    values = dict(_CONTRACT_DEFAULTS)
    (_CONTRACT if primary_exchange else _CONTRACT_NO_PRIMARY).read_into(r, values)
    return values


def read_contract(r: FieldReader, *, primary_exchange: bool = True) -> Contract:
    """The 12 contract fields (11 without primaryExchange, as exerciseOptions sends them)."""
    return build_contract(*read_contract_fields(r, primary_exchange=primary_exchange).values())


def read_delta_neutral_contract(r: FieldReader) -> DeltaNeutralContract | None:
    """The flag, then conId, delta and price when it is set (reqMktData and placeOrder send it alike)."""
    if not r.bool("deltaNeutralContract flag"):
        return None
    return read_delta_neutral_fields(r)


def read_delta_neutral_fields(r: FieldReader) -> DeltaNeutralContract:
    """The delta-neutral leg's conId, delta and price (after its flag, when that is set)."""
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
    """A pair count, then all the pairs in ONE `tag=value;...` field, the message's last two fields
    (calculateImpliedVolatility, calculateOptionPrice, reqFundamentalData): the count is redundant, the field
    is the truth. IB's own 10.x client sends the field alone, without the count, so a lone last field is it."""
    if r.remaining() != 1:
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
