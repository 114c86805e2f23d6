"""What the broker reports, in the framework's terms: order status updates (with IB's status text, for the
order manager's table), notices (IB's codes) and connection changes. The broker adapter builds these."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderUpdate:
    """An orderStatus / openOrder from IB: `ib_status` is IB's word (Submitted, Filled, Inactive ...)."""

    order_id: int
    ib_status: str
    time: datetime
    order_ref: str = ""
    perm_id: int = 0
    client_id: int = 0
    filled: Decimal = ZERO
    remaining: Decimal = ZERO
    avg_fill_price: Decimal | None = None
    reason: str = ""  # an error's code and text, why_held ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Notice:
    """An error or notice message from TWS: IB's code, its text and the request or order it concerns (-1: none)."""

    code: int
    text: str
    time: datetime
    req_id: int = -1
    advanced: str = ""  # advancedOrderRejectJson, where TWS sends one


class LinkState(enum.Enum):
    """The socket-level state of the broker's link (the supervisor's health table is built on it)."""

    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"  # the socket is up and nextValidId arrived


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkChange:
    state: LinkState
    time: datetime
    reason: str = ""
