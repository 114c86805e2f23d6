"""How the commands show things: one JSON form per model value (for `--json`), rich tables, numbers and times.

JSON numbers come from `ibbot.config.plain` (a Decimal is an int when whole, else a float); times are ISO 8601
in UTC; a value IB did not send is null. Tables go to stdout, progress and notes to stderr.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ibbot.config import mask_url, plain
from ibbot.model import AccountValue, Fill, Instrument, Order, Position, Quote


def print_json(data: Any) -> None:
    json.dump(plain(data), sys.stdout, default=str)
    print()


def masked_url(url: str) -> str:
    """A database URL fit to show: its password masked."""
    return mask_url(url)


def console() -> Console:
    """stdout; when it is not a terminal (a pipe, a file), wide enough that no column is cut."""
    shown = Console()
    return shown if shown.is_terminal else Console(width=max(shown.width, 200))


@contextmanager
def working(text: str, *, quiet: bool = False) -> Iterator[None]:
    """A spinner on stderr while something slow runs, when stderr is a terminal (never in a script's way)."""
    err = Console(stderr=True)
    if quiet or not err.is_terminal:
        yield
        return
    with err.status(escape(text)):
        yield


def note(text: str) -> None:
    """A line for the person (stderr), never in the way of a script reading stdout."""
    Console(stderr=True).print(text)


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[object]], *, right: Iterable[str] = ()) -> Table:
    shown = Table(title=escape(title))
    aligned = set(right)
    for column in columns:
        shown.add_column(escape(column), justify="right" if column in aligned else "left")
    for row in rows:
        shown.add_row(*(Text(text(cell)) for cell in row))  # Text: a "[...]" in a value is not markup
    return shown


def text(value: object) -> str:
    """A cell: Decimals without trailing zeros, times as UTC to the second, None and NaN as blank."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value.normalize():f}" if value == value.to_integral_value() else f"{value:f}".rstrip("0")
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:g}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def instrument_json(instrument: Instrument) -> dict[str, Any]:
    return {
        "symbol": instrument.symbol,
        "description": str(instrument),
        "con_id": instrument.con_id,
        "type": instrument.asset_class.value,
        "exchange": instrument.exchange,
        "primary_exchange": instrument.primary_exchange,
        "currency": instrument.currency,
        "multiplier": instrument.multiplier,
        "expiry": instrument.expiry,
        "strike": instrument.strike,
        "right": instrument.right.value if instrument.right is not None else None,
        "local_symbol": instrument.local_symbol,
        "trading_class": instrument.trading_class,
        "min_tick": instrument.min_tick,
        "time_zone": instrument.time_zone,
        "long_name": instrument.description,
    }


def order_json(order: Order) -> dict[str, Any]:
    request = order.request
    return {
        "order_ref": order.order_ref,
        "strategy": request.strategy,
        "instrument": str(request.instrument),
        "con_id": request.instrument.con_id,
        "side": request.side.value,
        "quantity": request.quantity,
        "type": request.order_type.value,
        "limit_price": request.limit_price,
        "stop_price": request.stop_price,
        "tif": request.tif.value,
        "status": order.status.value,
        "filled": order.filled,
        "remaining": order.remaining,
        "avg_fill_price": order.avg_fill_price,
        "order_id": order.order_id,
        "perm_id": order.perm_id,
        "client_id": order.client_id,
        "parent_ref": request.parent_ref,
        "created": order.created,
        "updated": order.updated,
        "reason": order.reason,
        "external": order.external,
    }


ORDER_COLUMNS = ("ref", "strategy", "instrument", "side", "qty", "type", "price", "tif", "status", "filled",
                 "avg", "id", "updated")  # fmt: skip
ORDER_RIGHT = ("qty", "price", "filled", "avg", "id")


def order_row(order: Order) -> tuple[object, ...]:
    request = order.request
    price = request.limit_price if request.limit_price is not None else request.stop_price
    return (order.order_ref, request.strategy, request.instrument, request.side.value, request.quantity,
            request.order_type.value, price, request.tif.value, order.status.value, order.filled,
            order.avg_fill_price, order.order_id or "", order.updated)  # fmt: skip


def fill_json(fill: Fill) -> dict[str, Any]:
    return {
        "exec_id": fill.exec_id,
        "time": fill.time,
        "instrument": str(fill.instrument),
        "con_id": fill.instrument.con_id,
        "side": fill.side.value,
        "quantity": fill.quantity,
        "price": fill.price,
        "commission": fill.commission,
        "commission_currency": fill.commission_currency,
        "realized_pnl": fill.realized_pnl,
        "order_ref": fill.order_ref,
        "order_id": fill.order_id,
        "perm_id": fill.perm_id,
        "client_id": fill.client_id,
        "account": fill.account,
    }


FILL_COLUMNS = ("time", "instrument", "side", "qty", "price", "commission", "order ref", "exec id")
FILL_RIGHT = ("qty", "price", "commission")


def fill_row(fill: Fill) -> tuple[object, ...]:
    return (fill.time, fill.instrument, fill.side.value, fill.quantity, fill.price, fill.commission,
            fill.order_ref, fill.exec_id)  # fmt: skip


def position_json(position: Position) -> dict[str, Any]:
    return {
        "account": position.account,
        "instrument": str(position.instrument),
        "con_id": position.instrument.con_id,
        "quantity": position.quantity,
        "avg_cost": position.avg_cost,
    }


def account_value_json(value: AccountValue) -> dict[str, Any]:
    return {"account": value.account, "tag": value.tag, "value": value.value, "currency": value.currency}


def number(value: float) -> float | None:
    """A wire float for JSON: NaN (IB sent nothing) is null."""
    return None if math.isnan(value) else value


QUOTE_FIELDS = ("bid", "ask", "last", "bid_size", "ask_size", "last_size", "volume", "close")


def quote_json(quote: Quote) -> dict[str, Any]:
    values = {name: number(getattr(quote, name)) for name in QUOTE_FIELDS}
    return {
        "instrument": str(quote.instrument),
        "con_id": quote.instrument.con_id,
        "time": quote.time,
        **values,
        "quality": quote.quality.name.lower(),
        "delayed": quote.is_delayed,
    }
