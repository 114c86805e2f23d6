"""The governed face of a broker: every request the framework sends to IB passes the governor here.

`Gateway` wraps a `Broker` and a `Governor`. Orders wait for ORDER tokens, cancels for RISK tokens (they go
first), queries for DATA, historical requests for IB's pacing rules, subscriptions for a unit of the market-data
budget (refused with `MarketDataLimitError` instead of meeting 101). It also serves the history and contract
services as their `BarSource` and `ContractSource`.

Line accounting follows IB's side of the socket: when the session is lost (or TWS says 1101, data lost) every
subscription IB held is gone, so `session_lost()` gives every unit back; the feeds then subscribe again, each
taking its unit anew.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from ibbot.broker.base import Broker, OptionChainParams, ReportedOrder
from ibbot.data.governor import Governor, HistoricalSlot, Priority
from ibbot.data.pacing import HistoricalRequest, LineHandle, LineKind
from ibbot.model import AccountValue, Bar, DataQuality, Fill, Instrument, OrderRequest, Position

T = TypeVar("T")


class Gateway:
    """Broker calls behind the governor; `broker` stays reachable for listeners and session state."""

    def __init__(self, broker: Broker, governor: Governor) -> None:
        self.broker = broker
        self.governor = governor
        self._lines: dict[int, LineHandle] = {}  # broker handle -> budget unit
        self._slots: dict[int, HistoricalSlot] = {}  # keepUpToDate handle -> its open historical slot

    # --- history and contracts (BarSource, ContractSource) ------------------------------------------------

    async def historical_bars(
        self,
        instrument: Instrument,
        *,
        end: datetime | None,
        duration: str,
        bar_size: str,
        what_to_show: str = "TRADES",
        use_rth: bool = True,
    ) -> list[Bar]:
        request = HistoricalRequest.for_bars(
            contract=instrument.key,
            exchange=instrument.exchange,
            what_to_show=what_to_show,
            bar_size=bar_size,
            end=end.isoformat() if end else "",
            duration=duration,
            use_rth=use_rth,
        )
        timeout = self.governor.limits.historical_timeout

        async def call() -> list[Bar]:
            return await self.broker.historical_bars(
                instrument,
                end=end,
                duration=duration,
                bar_size=bar_size,
                what_to_show=what_to_show,
                use_rth=use_rth,
                timeout=timeout,
            )

        # The broker's own timeout is the inner one; the governor's (slightly longer) names the request.
        return await self.governor.historical(request, call, timeout=timeout + 1)

    async def head_timestamp(
        self, instrument: Instrument, *, what_to_show: str = "TRADES", use_rth: bool = True
    ) -> datetime | None:
        request = HistoricalRequest(
            contract=instrument.key, exchange=instrument.exchange, what_to_show=what_to_show, bar_seconds=None,
            parameters=("head", use_rth),
        )  # fmt: skip
        timeout = self.governor.limits.request_timeout

        async def call() -> datetime:
            return await self.broker.head_timestamp(
                instrument, what_to_show=what_to_show, use_rth=use_rth, timeout=timeout
            )

        return await self.governor.historical(request, call, timeout=timeout + 1)

    async def contract_details(self, instrument: Instrument) -> list[Instrument]:
        timeout = self.governor.limits.request_timeout
        return await self.governor.request(
            Priority.DATA,
            lambda: self.broker.contract_details(instrument, timeout=timeout),
            timeout=timeout + 1,
            name=f"contract details of {instrument}",
        )

    async def option_params(self, underlying: Instrument) -> list[OptionChainParams]:
        timeout = self.governor.limits.request_timeout
        return await self.governor.request(
            Priority.DATA,
            lambda: self.broker.option_params(underlying, timeout=timeout),
            timeout=timeout + 1,
            name=f"option chain of {underlying}",
        )

    # --- streams ------------------------------------------------------------------------------------------

    async def _subscribe(self, kind: LineKind, instrument: Instrument, send: Callable[[], int]) -> int:
        async def call() -> int:
            return send()

        unit, handle = await self.governor.subscribe(kind, instrument.key, call)
        self._lines[handle] = unit
        return handle

    async def subscribe_quotes(self, instrument: Instrument, *, generic_ticks: str = "") -> int:
        return await self._subscribe(
            LineKind.MARKET_DATA,
            instrument,
            lambda: self.broker.subscribe_quotes(instrument, generic_ticks=generic_ticks),
        )

    async def subscribe_tick_by_tick(self, instrument: Instrument, *, tick_type: str = "AllLast") -> int:
        return await self._subscribe(
            LineKind.TICK_BY_TICK,
            instrument,
            lambda: self.broker.subscribe_tick_by_tick(instrument, tick_type=tick_type),
        )

    async def subscribe_realtime_bars(self, instrument: Instrument, *, what_to_show: str = "TRADES") -> int:
        return await self._subscribe(
            LineKind.REALTIME_BARS,
            instrument,
            lambda: self.broker.subscribe_realtime_bars(instrument, what_to_show=what_to_show),
        )

    async def subscribe_depth(self, instrument: Instrument, *, rows: int = 5) -> int:
        return await self._subscribe(
            LineKind.DEPTH, instrument, lambda: self.broker.subscribe_depth(instrument, rows=rows)
        )

    async def subscribe_history(
        self, instrument: Instrument, *, duration: str, bar_size: str, what_to_show: str = "TRADES", use_rth: bool
    ) -> tuple[int, list[Bar]]:
        """keepUpToDate bars: paced as a historical request that stays open (one of IB's 50) until cancelled."""
        request = HistoricalRequest.for_bars(
            contract=instrument.key, exchange=instrument.exchange, what_to_show=what_to_show, bar_size=bar_size,
            end="keep-up-to-date", duration=duration, use_rth=use_rth,
        )  # fmt: skip
        timeout = self.governor.limits.historical_timeout

        async def call() -> tuple[int, list[Bar]]:
            return await self.broker.subscribe_history(
                instrument, duration=duration, bar_size=bar_size, what_to_show=what_to_show, use_rth=use_rth,
                keep_up_to_date=True, timeout=timeout,
            )  # fmt: skip

        slot, (handle, bars) = await self.governor.historical_stream(request, call, timeout=timeout + 1)
        self._slots[handle] = slot
        return handle, bars

    async def unsubscribe(self, handle: int) -> None:
        unit = self._lines.pop(handle, None)
        if unit is None:  # no budget unit (keepUpToDate history), or already given back
            await self.governor.admit(Priority.DATA)
            self.broker.unsubscribe(handle)
            self._close_slot(handle)
            return
        await self.governor.unsubscribe(unit, lambda: self.broker.unsubscribe(handle))

    def _close_slot(self, handle: int) -> None:
        slot = self._slots.pop(handle, None)
        if slot is not None:
            slot.close()

    def stream_ended(self, handle: int) -> None:
        """IB ended or refused the stream `handle` (a StreamError): its unit is free again."""
        unit = self._lines.pop(handle, None)
        if unit is not None:
            self.governor.lines.release(unit)
        self._close_slot(handle)

    def session_lost(self) -> None:
        """Every subscription IB held is gone (socket lost, or 1101): give every unit back."""
        units, self._lines = list(self._lines.values()), {}
        for unit in units:
            self.governor.lines.release(unit)
        slots, self._slots = list(self._slots.values()), {}
        for slot in slots:
            slot.close()

    @property
    def lines_in_use(self) -> int:
        return len(self._lines)

    async def set_market_data_type(self, quality: DataQuality) -> None:
        await self.governor.admit(Priority.DATA)
        self.broker.set_market_data_type(quality)

    # --- orders -------------------------------------------------------------------------------------------

    async def place_order(self, request: OrderRequest, *, order_id: int | None = None, parent_order_id: int = 0) -> int:
        await self.governor.admit(Priority.ORDER)
        return self.broker.place_order(request, order_id=order_id, parent_order_id=parent_order_id)

    async def modify_order(self, order_id: int, request: OrderRequest) -> None:
        await self.governor.admit(Priority.ORDER)
        self.broker.modify_order(order_id, request)

    async def cancel_order(self, order_id: int) -> None:
        await self.governor.admit(Priority.RISK)
        self.broker.cancel_order(order_id)

    async def global_cancel(self) -> None:
        await self.governor.admit(Priority.RISK)
        self.broker.global_cancel()

    # --- snapshots ----------------------------------------------------------------------------------------

    async def _query(self, name: str, call: Callable[[float], Awaitable[T]]) -> T:
        """A snapshot request at DATA priority; the broker's timeout inside the governor's (which names it)."""
        timeout = self.governor.limits.request_timeout
        return await self.governor.request(Priority.DATA, lambda: call(timeout), timeout=timeout + 1, name=name)

    async def open_orders(self) -> list[ReportedOrder]:
        return await self._query("open orders", lambda t: self.broker.open_orders(timeout=t))

    async def completed_orders(self) -> list[ReportedOrder]:
        return await self._query("completed orders", lambda t: self.broker.completed_orders(timeout=t))

    async def executions(self, since: datetime | None = None) -> list[Fill]:
        return await self._query("executions", lambda t: self.broker.executions(since, timeout=t))

    async def positions(self) -> list[Position]:
        return await self._query("positions", lambda t: self.broker.positions(timeout=t))

    async def account_values(self, account: str = "") -> list[AccountValue]:
        return await self._query("account values", lambda t: self.broker.account_values(account, timeout=t))
