"""The broker seam: the `Broker` protocol the framework trades through, and the frozen events it emits.

A broker runs one session at a time (connect, run, disconnect or lose the link, connect again on the same
object); reconnecting with backoff is the supervisor's job, built on top. Everything a broker returns or
emits is a model type or one of the small types below: no SDK object crosses the seam. Streams are opened
with `subscribe_*`, which return an int handle; each streamed value arrives wrapped in `Streamed(handle,
value)`, and a stream that IB refuses ends with `StreamError(handle, ...)`. Every request takes a timeout and
raises `RequestTimeoutError` when the answer does not come.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from ibbot.model import (
    AccountValue,
    Bar,
    DataQuality,
    Fill,
    Instrument,
    LinkChange,
    Notice,
    OrderRequest,
    OrderUpdate,
    PnL,
    Position,
    Quote,
    TradeTick,
)

DEFAULT_CONNECT_TIMEOUT = 10.0  # seconds for the socket, the handshake, nextValidId and managedAccounts
DEFAULT_REQUEST_TIMEOUT = 15.0  # seconds for any one request's answer
DEFAULT_HISTORY_TIMEOUT = 60.0  # historical requests can take IB a while


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionInfo:
    """What a started session knows: the negotiated version, the managed accounts, the first order id."""

    server_version: int
    accounts: tuple[str, ...]
    next_order_id: int
    client_id: int
    connected_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class CommissionReport:
    """IB's commissionReport for one execution (it arrives after the execution, keyed by `exec_id`)."""

    exec_id: str
    commission: Decimal
    currency: str
    realized_pnl: Decimal | None = None  # None where IB sends its "unset" maximum
    time: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OptionChainParams:
    """One answer of reqSecDefOptParams: the expirations and strikes listed on one exchange."""

    exchange: str
    underlying_con_id: int
    trading_class: str
    multiplier: Decimal
    expirations: tuple[date, ...]
    strikes: tuple[Decimal, ...]


class DepthSide(enum.Enum):
    ASK = 0
    BID = 1


class DepthOperation(enum.Enum):
    INSERT = 0
    UPDATE = 1
    DELETE = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class DepthUpdate:
    """One change to a row of the order book (updateMktDepth / updateMktDepthL2)."""

    instrument: Instrument
    time: datetime
    position: int
    side: DepthSide
    operation: DepthOperation
    price: float
    size: float
    market_maker: str = ""


StreamValue = Quote | Bar | TradeTick | DepthUpdate


@dataclass(frozen=True, slots=True, kw_only=True)
class Streamed:
    """A value of the stream opened with handle `handle`; `history` for keepUpToDate bars, which come from the
    HMDS farm, not the market-data lines (a competing session silences only the latter)."""

    handle: int
    value: StreamValue
    history: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamError:
    """IB refused or ended the stream `handle` (the handle is closed; the Notice with the same code is sent too)."""

    handle: int
    code: int
    text: str
    time: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportedOrder:
    """An order as IB reports it (openOrder / completedOrder): the request it carries and where it stands."""

    request: OrderRequest
    update: OrderUpdate


BrokerEvent = (
    OrderUpdate | Fill | CommissionReport | Notice | LinkChange | Streamed | StreamError | Position | AccountValue | PnL
)
Listener = Callable[[BrokerEvent], None]


class Broker(Protocol):
    """The framework's view of TWS / IB Gateway (or a simulator of either). snake_case, model types only."""

    # --- session -------------------------------------------------------------------------------------------

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` with every event from now on; returns a function that removes it."""
        ...

    async def connect(
        self, host: str, port: int, client_id: int, *, timeout: float = ..., readonly: bool = False
    ) -> SessionInfo: ...

    async def disconnect(self) -> None: ...

    @property
    def connected(self) -> bool: ...

    def managed_accounts(self) -> list[str]: ...

    def next_order_id(self) -> int:
        """A fresh order id of this session (ids also serve as request ids, as in ib_async)."""
        ...

    async def server_time(self, *, timeout: float = ...) -> datetime: ...

    # --- contracts and history -----------------------------------------------------------------------------

    async def contract_details(self, instrument: Instrument, *, timeout: float = ...) -> list[Instrument]: ...

    async def option_params(self, underlying: Instrument, *, timeout: float = ...) -> list[OptionChainParams]: ...

    async def historical_bars(
        self,
        instrument: Instrument,
        *,
        end: datetime | None,
        duration: str,
        bar_size: str,
        what_to_show: str = "TRADES",
        use_rth: bool = True,
        timeout: float = ...,
    ) -> list[Bar]: ...

    async def head_timestamp(
        self, instrument: Instrument, *, what_to_show: str = "TRADES", use_rth: bool = True, timeout: float = ...
    ) -> datetime: ...

    # --- streams -------------------------------------------------------------------------------------------

    def subscribe_quotes(self, instrument: Instrument, *, generic_ticks: str = "", snapshot: bool = False) -> int: ...

    def subscribe_tick_by_tick(self, instrument: Instrument, *, tick_type: str = "AllLast") -> int: ...

    def subscribe_realtime_bars(self, instrument: Instrument, *, what_to_show: str = "TRADES") -> int: ...

    async def subscribe_history(
        self,
        instrument: Instrument,
        *,
        duration: str,
        bar_size: str,
        what_to_show: str = "TRADES",
        use_rth: bool = True,
        keep_up_to_date: bool = True,
        timeout: float = ...,
    ) -> tuple[int, list[Bar]]:
        """The bars so far and a handle whose stream carries each bar once it is complete."""
        ...

    def subscribe_depth(self, instrument: Instrument, *, rows: int = 5, smart: bool = False) -> int: ...

    def unsubscribe(self, handle: int) -> None: ...

    def set_market_data_type(self, quality: DataQuality) -> None: ...

    def delayed_instruments(self) -> frozenset[Instrument]: ...

    # --- orders --------------------------------------------------------------------------------------------

    def place_order(self, request: OrderRequest, *, order_id: int | None = None, parent_order_id: int = 0) -> int: ...

    def modify_order(self, order_id: int, request: OrderRequest) -> None: ...

    def cancel_order(self, order_id: int) -> None: ...

    def global_cancel(self) -> None: ...

    async def open_orders(self, *, timeout: float = ...) -> list[ReportedOrder]: ...

    async def completed_orders(self, *, timeout: float = ...) -> list[ReportedOrder]: ...

    async def executions(self, since: datetime | None = None, *, timeout: float = ...) -> list[Fill]: ...

    # --- account -------------------------------------------------------------------------------------------

    async def positions(self, *, timeout: float = ...) -> list[Position]: ...

    async def account_values(self, account: str = "", *, timeout: float = ...) -> list[AccountValue]: ...
