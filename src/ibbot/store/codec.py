"""Model values <-> journal row values: instruments as JSON with every field, Decimals as text, enums by value.

Pure: rows are plain mappings of column name to value (what `ibbot.store.schema`'s column types take and give:
`Decimal`, aware `datetime`, `str`, `int`, `bool`). Instruments are JSON with their Decimals as text, so a
round trip is exact to the digit; the JSON is canonical (sorted keys) so equal instruments have equal text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from ibbot.errors import JournalError
from ibbot.memo import IdentityMemo
from ibbot.model import (
    AssetClass,
    Fill,
    Instrument,
    Order,
    OrderRequest,
    OrderStatus,
    OrderType,
    Position,
    Right,
    Session,
    Side,
    TimeInForce,
)
from ibbot.store.records import FillSource

Row = Mapping[Any, Any]  # SQLAlchemy's RowMapping is keyed by names and columns alike

# The request fields an amendment (IB's modify) may change; the rest identify the order and never change.
AMENDABLE = (
    "quantity",
    "order_type",
    "limit_price",
    "stop_price",
    "trail_amount",
    "trail_percent",
    "limit_offset",
    "tif",
    "good_till",
    "outside_rth",
    "oca_group",
    "oca_type",
    "transmit",
)


def aware(moment: datetime, what: str) -> datetime:
    """`moment` in UTC; a naive time is refused (the journal would not know what it meant)."""
    if moment.tzinfo is None:
        raise JournalError(f"{what} must be timezone-aware, got {moment!r}")
    return moment.astimezone(UTC)


# --- instruments ----------------------------------------------------------------------------------------------


_INSTRUMENT_JSON: IdentityMemo[str] = IdentityMemo(256)


def instrument_to_json(instrument: Instrument) -> str:
    """Canonical JSON; kept per instrument object (every order row of an order compares its intent's text)."""
    known = _INSTRUMENT_JSON.get((instrument,))
    if known is not None:
        return known
    doc = {
        "symbol": instrument.symbol,
        "asset_class": instrument.asset_class.value,
        "exchange": instrument.exchange,
        "currency": instrument.currency,
        "primary_exchange": instrument.primary_exchange,
        "con_id": instrument.con_id,
        "multiplier": str(instrument.multiplier),
        "expiry": None if instrument.expiry is None else instrument.expiry.isoformat(),
        "strike": None if instrument.strike is None else str(instrument.strike),
        "right": None if instrument.right is None else instrument.right.value,
        "local_symbol": instrument.local_symbol,
        "trading_class": instrument.trading_class,
        "min_tick": str(instrument.min_tick),
        "time_zone": instrument.time_zone,
        "trading_hours": [_session_to_json(s) for s in instrument.trading_hours],
        "liquid_hours": [_session_to_json(s) for s in instrument.liquid_hours],
        "description": instrument.description,
    }
    return _INSTRUMENT_JSON.put((instrument,), json.dumps(doc, sort_keys=True, separators=(",", ":")))


def instrument_from_json(text: str) -> Instrument:
    doc = json.loads(text)
    return Instrument(
        symbol=doc["symbol"],
        asset_class=AssetClass(doc["asset_class"]),
        exchange=doc["exchange"],
        currency=doc["currency"],
        primary_exchange=doc["primary_exchange"],
        con_id=doc["con_id"],
        multiplier=Decimal(doc["multiplier"]),
        expiry=None if doc["expiry"] is None else date.fromisoformat(doc["expiry"]),
        strike=None if doc["strike"] is None else Decimal(doc["strike"]),
        right=None if doc["right"] is None else Right(doc["right"]),
        local_symbol=doc["local_symbol"],
        trading_class=doc["trading_class"],
        min_tick=Decimal(doc["min_tick"]),
        time_zone=doc["time_zone"],
        trading_hours=tuple(_session_from_json(s) for s in doc["trading_hours"]),
        liquid_hours=tuple(_session_from_json(s) for s in doc["liquid_hours"]),
        description=doc["description"],
    )


def _session_to_json(session: Session) -> list[str]:
    return [session.start.astimezone(UTC).isoformat(), session.end.astimezone(UTC).isoformat()]


def _session_from_json(pair: list[str]) -> Session:
    return Session(start=datetime.fromisoformat(pair[0]), end=datetime.fromisoformat(pair[1]))


# --- intents and orders ---------------------------------------------------------------------------------------


def intent_row(request: OrderRequest, created: datetime) -> dict[str, Any]:
    if not request.order_ref:
        raise JournalError(f"an intent needs an order_ref: {request}")
    return {
        "order_ref": request.order_ref,
        "strategy": request.strategy,
        "instrument": instrument_to_json(request.instrument),
        "instrument_key": request.instrument.key,
        "side": request.side.value,
        "quantity": request.quantity,
        "order_type": request.order_type.value,
        "limit_price": request.limit_price,
        "stop_price": request.stop_price,
        "trail_amount": request.trail_amount,
        "trail_percent": request.trail_percent,
        "limit_offset": request.limit_offset,
        "tif": request.tif.value,
        "good_till": None if request.good_till is None else aware(request.good_till, "good_till"),
        "outside_rth": request.outside_rth,
        "account": request.account,
        "parent_ref": request.parent_ref,
        "oca_group": request.oca_group,
        "oca_type": request.oca_type,
        "transmit": request.transmit,
        "created": aware(created, "created"),
    }


def request_from_row(row: Row) -> OrderRequest:
    return OrderRequest(
        instrument=instrument_from_json(row["instrument"]),
        side=Side(row["side"]),
        quantity=row["quantity"],
        order_type=OrderType(row["order_type"]),
        limit_price=row["limit_price"],
        stop_price=row["stop_price"],
        trail_amount=row["trail_amount"],
        trail_percent=row["trail_percent"],
        limit_offset=row["limit_offset"],
        tif=TimeInForce(row["tif"]),
        good_till=row["good_till"],
        outside_rth=bool(row["outside_rth"]),
        account=row["account"],
        strategy=row["strategy"],
        order_ref=row["order_ref"],
        parent_ref=row["parent_ref"],
        oca_group=row["oca_group"],
        oca_type=row["oca_type"],
        transmit=bool(row["transmit"]),
    )


def same_terms(stored: Row, wanted: Row, fields: tuple[str, ...] | None = None) -> list[str]:
    """The intent fields (all but `created`, or just `fields`) whose row values differ, compared exactly."""
    names = fields if fields is not None else tuple(k for k in wanted if k != "created")
    return [name for name in names if _exact(stored[name]) != _exact(wanted[name])]


def _exact(value: Any) -> Any:
    # Decimal("1.0") == Decimal("1.00"), but the journal keeps digits: compare their text.
    return str(value) if isinstance(value, Decimal) else value


def order_row(order: Order) -> dict[str, Any]:
    return {
        "order_ref": order.order_ref,
        "order_id": order.order_id,
        "perm_id": order.perm_id,
        "client_id": order.client_id,
        "status": order.status.value,
        "filled": order.filled,
        "avg_fill_price": order.avg_fill_price,
        "reason": order.reason,
        "external": order.external,
        "updated": aware(order.updated, "updated"),
    }


# What makes an order_events row: a change in any of these (a new `updated` alone is not a change).
CHANGE_FIELDS = ("order_id", "perm_id", "client_id", "status", "filled", "avg_fill_price", "reason", "external")


def order_from_rows(intent: Row, order: Row | None) -> Order:
    """An `Order` from its intent and its orders row; an intent never recorded as an order is NEW."""
    request = request_from_row(intent)
    if order is None:
        return Order(request=request, status=OrderStatus.NEW, created=intent["created"], updated=intent["created"])
    return Order(
        request=request,
        status=OrderStatus(order["status"]),
        created=intent["created"],
        updated=order["updated"],
        order_id=order["order_id"],
        perm_id=order["perm_id"],
        client_id=order["client_id"],
        filled=order["filled"],
        avg_fill_price=order["avg_fill_price"],
        reason=order["reason"],
        external=bool(order["external"]),
    )


def amendment_json(intent: Row, fields: list[str]) -> str | None:
    """The changed request fields as a JSON object of text (the event's `amended` column), None if none."""
    if not fields:
        return None
    return json.dumps({name: _as_text(intent[name]) for name in fields}, sort_keys=True)


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


# --- fills and positions --------------------------------------------------------------------------------------


def fill_row(fill: Fill, source: FillSource) -> dict[str, Any]:
    if not fill.exec_id:
        raise JournalError(f"a fill needs an exec_id: {fill}")
    return {
        "exec_id": fill.exec_id,
        "order_ref": fill.order_ref,
        "order_id": fill.order_id,
        "perm_id": fill.perm_id,
        "client_id": fill.client_id,
        "account": fill.account,
        "instrument": instrument_to_json(fill.instrument),
        "instrument_key": fill.instrument.key,
        "side": fill.side.value,
        "quantity": fill.quantity,
        "price": fill.price,
        "time": aware(fill.time, "a fill's time"),
        "commission": fill.commission,
        "commission_currency": fill.commission_currency,
        "realized_pnl": fill.realized_pnl,
        "source": source.value,
    }


def fill_from_row(row: Row) -> Fill:
    return Fill(
        exec_id=row["exec_id"],
        instrument=instrument_from_json(row["instrument"]),
        side=Side(row["side"]),
        quantity=row["quantity"],
        price=row["price"],
        time=row["time"],
        order_ref=row["order_ref"],
        order_id=row["order_id"],
        perm_id=row["perm_id"],
        client_id=row["client_id"],
        account=row["account"],
        commission=row["commission"],
        commission_currency=row["commission_currency"],
        realized_pnl=row["realized_pnl"],
    )


def position_row(snapshot_id: int, seq: int, position: Position) -> dict[str, Any]:
    return {
        "snapshot_id": snapshot_id,
        "seq": seq,
        "account": position.account,
        "instrument": instrument_to_json(position.instrument),
        "instrument_key": position.instrument.key,
        "quantity": position.quantity,
        "avg_cost": position.avg_cost,
    }


def position_from_row(row: Row) -> Position:
    return Position(
        account=row["account"],
        instrument=instrument_from_json(row["instrument"]),
        quantity=row["quantity"],
        avg_cost=row["avg_cost"],
    )


def text_pairs(text: str) -> tuple[tuple[str, str], ...]:
    """A JSON object of text values as sorted (name, value) pairs."""
    doc: dict[str, str] = json.loads(text)
    return tuple(sorted(doc.items()))
