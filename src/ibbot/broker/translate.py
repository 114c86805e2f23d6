"""Pure conversions between ibbot's model and ib_async's objects (Contract, Order, Trade, Fill, Ticker, bars ...).

No sockets and no clock: whatever needs the time takes `now`. Prices go to IB as `Decimal` (ib_async writes
them with `str`, so they reach the wire exactly); quantities as floats, because ib_async does arithmetic on
them. Numbers coming back are read through their shortest repr, so 150.25 on the wire is `Decimal("150.25")`,
and IB's "unset" values (the largest double, the largest int, NaN) become None.
"""

from __future__ import annotations

import math
import sys
from dataclasses import replace
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ib_async import Contract, ExecutionFilter
from ib_async import Order as IbOrder

from ibbot.broker.base import (
    CommissionReport,
    DepthOperation,
    DepthSide,
    DepthUpdate,
    OptionChainParams,
    ReportedOrder,
)
from ibbot.data.calendar import parse_sessions
from ibbot.model import (
    AccountValue,
    AssetClass,
    Bar,
    DataQuality,
    Fill,
    Instrument,
    OrderRequest,
    OrderType,
    OrderUpdate,
    Position,
    Quote,
    Right,
    Side,
    TimeInForce,
    TradeTick,
)
from ibbot.protocol.types import fast_constructor

UNSET_DOUBLE = sys.float_info.max
UNSET_INTEGER = 2**31 - 1
_SEC_TYPES = {c.value: c for c in AssetClass if c is not AssetClass.ETF}
_EXEC_SIDES = {"BOT": Side.BUY, "SLD": Side.SELL, "BUY": Side.BUY, "SELL": Side.SELL}
_USES_LIMIT = frozenset(
    {OrderType.LIMIT, OrderType.STOP_LIMIT, OrderType.LIMIT_ON_CLOSE, OrderType.TRAILING_STOP_LIMIT}
)
_USES_STOP = frozenset({OrderType.STOP, OrderType.STOP_LIMIT})
IB_TIME = "%Y%m%d-%H:%M:%S"  # IB's UTC form of a time ("yyyymmdd-hh:mm:ss")


def dec(value: object) -> Decimal | None:
    """A number from ib_async as an exact Decimal of its shortest repr; None for IB's unset values and NaN."""
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value) or value == UNSET_DOUBLE:
            return None
        return Decimal(repr(value))
    if isinstance(value, int):
        return None if value == UNSET_INTEGER else Decimal(value)
    return Decimal(str(value))


def dec0(value: object) -> Decimal:
    return dec(value) or Decimal(0)


# --- instruments -----------------------------------------------------------------------------------------------


def to_contract(instrument: Instrument) -> Contract:
    """The ib_async Contract IB matches `instrument` against (the con_id alone suffices once qualified)."""
    expiry = ""
    if instrument.expiry is not None:
        # An unqualified future names its month; options and qualified contracts their last trade date.
        month_only = instrument.asset_class is AssetClass.FUTURE and not instrument.con_id
        expiry = instrument.expiry.strftime("%Y%m" if month_only else "%Y%m%d")
    return Contract(
        secType=instrument.asset_class.sec_type,
        conId=instrument.con_id,
        symbol=instrument.symbol,
        lastTradeDateOrContractMonth=expiry,
        strike=float(instrument.strike) if instrument.strike is not None else 0.0,
        right=instrument.right.value if instrument.right is not None else "",
        multiplier=str(instrument.multiplier) if instrument.multiplier != 1 else "",
        exchange=instrument.exchange,
        primaryExchange=instrument.primary_exchange,
        currency=instrument.currency,
        localSymbol=instrument.local_symbol,
        tradingClass=instrument.trading_class,
    )


def _expiry(text: str) -> date | None:
    text = text.strip()[:8]
    if len(text) == 8:
        return datetime.strptime(text, "%Y%m%d").date()
    if len(text) == 6:
        return datetime.strptime(text, "%Y%m").date()
    return None


def _asset_class(contract: Any, like: Instrument | None, stock_type: str = "") -> AssetClass:
    sec_type = contract.secType
    if sec_type == "STK" and (stock_type == "ETF" or (like is not None and like.asset_class is AssetClass.ETF)):
        return AssetClass.ETF
    try:
        return _SEC_TYPES[sec_type]
    except KeyError:
        raise ValueError(f"ibbot does not trade secType {sec_type!r} ({contract.symbol})") from None


def from_contract(contract: Any, *, like: Instrument | None = None) -> Instrument:
    """An Instrument from an ib_async Contract (`like`, when given, keeps what IB does not say: ETF, min_tick)."""
    right = contract.right[:1].upper() if contract.right else ""
    strike = dec(contract.strike)
    return Instrument(
        symbol=contract.symbol,
        asset_class=_asset_class(contract, like),
        exchange=contract.exchange or (like.exchange if like else "SMART"),
        currency=contract.currency or "USD",
        primary_exchange=contract.primaryExchange,
        con_id=contract.conId,
        multiplier=dec(contract.multiplier) or Decimal(1),
        expiry=_expiry(contract.lastTradeDateOrContractMonth),
        strike=strike if strike else None,
        right=Right(right) if right in ("C", "P") else None,
        local_symbol=contract.localSymbol,
        trading_class=contract.tradingClass,
        min_tick=like.min_tick if like else Decimal("0.01"),
        time_zone=like.time_zone if like else "",
        trading_hours=like.trading_hours if like else (),
        liquid_hours=like.liquid_hours if like else (),
        description=like.description if like else "",
    )


def from_details(details: Any, *, like: Instrument | None = None) -> Instrument:
    """A fully described Instrument from ib_async ContractDetails, its hours read by `ibbot.data.calendar`
    (HoursError when TWS's hours text cannot be read: a calendar that guesses would trade at the wrong time)."""
    contract = details.contract
    base = from_contract(contract, like=like)
    min_tick = dec(details.minTick)
    zone = details.timeZoneId
    return base.with_details(
        asset_class=_asset_class(contract, like, details.stockType),
        min_tick=min_tick if min_tick and min_tick > 0 else base.min_tick,
        time_zone=zone,
        trading_hours=parse_sessions(details.tradingHours, zone) if details.tradingHours and zone else (),
        liquid_hours=parse_sessions(details.liquidHours, zone) if details.liquidHours and zone else (),
        description=details.longName,
    )


def option_params_from(chain: Any) -> OptionChainParams:
    return OptionChainParams(
        exchange=chain.exchange,
        underlying_con_id=chain.underlyingConId,
        trading_class=chain.tradingClass,
        multiplier=dec(chain.multiplier) or Decimal(1),
        expirations=tuple(sorted(d for d in (_expiry(e) for e in chain.expirations) if d is not None)),
        strikes=tuple(sorted(dec0(s) for s in chain.strikes)),
    )


# --- orders ----------------------------------------------------------------------------------------------------


def format_ib_time(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("IB times must be timezone-aware")
    return moment.astimezone(UTC).strftime(IB_TIME)


def parse_ib_time(text: str) -> datetime | None:
    """`yyyymmdd-hh:mm:ss` (UTC), `yyyymmdd hh:mm:ss [zone]` (UTC without a zone) or `yyyymmdd`; None if empty."""
    text = text.strip()
    if not text:
        return None
    if len(text) >= 17 and text[8] == "-":
        return datetime.strptime(text[:17], IB_TIME).replace(tzinfo=UTC)
    parts = text.split()
    if len(parts) == 1:
        return datetime.strptime(text, "%Y%m%d").replace(tzinfo=UTC)
    try:
        zone = ZoneInfo(parts[2]) if len(parts) >= 3 else UTC
    except ZoneInfoNotFoundError:
        raise ValueError(f"unknown time zone in IB time {text!r}") from None
    return datetime.strptime(parts[0] + parts[1], "%Y%m%d%H:%M:%S").replace(tzinfo=zone).astimezone(UTC)


def to_ib_order(request: OrderRequest, *, order_id: int = 0, parent_id: int = 0) -> IbOrder:
    """Every field of `request` on an ib_async Order (IB's orderRef carries ibbot's order_ref)."""
    kind = request.order_type
    order = IbOrder(
        orderId=order_id,
        action=request.side.value,
        totalQuantity=float(request.quantity),
        orderType=kind.value,
        tif=request.tif.value,
        goodTillDate=format_ib_time(request.good_till) if request.good_till is not None else "",
        outsideRth=request.outside_rth,
        account=request.account,
        orderRef=request.order_ref,
        ocaGroup=request.oca_group,
        ocaType=request.oca_type,
        parentId=parent_id,
        transmit=request.transmit,
    )
    if request.limit_price is not None:
        order.lmtPrice = request.limit_price
    trailing = kind in (OrderType.TRAILING_STOP, OrderType.TRAILING_STOP_LIMIT)
    if trailing:
        # TRAIL: auxPrice is the trailing amount; the initial stop goes in trailStopPrice.
        if request.trail_amount is not None:
            order.auxPrice = request.trail_amount
        if request.trail_percent is not None:
            order.trailingPercent = request.trail_percent
        if request.stop_price is not None:
            order.trailStopPrice = request.stop_price
        if request.limit_offset is not None:
            order.lmtPriceOffset = request.limit_offset
    elif request.stop_price is not None:
        order.auxPrice = request.stop_price
    return order


def from_ib_order(order: Any, contract: Any, *, like: Instrument | None = None) -> OrderRequest:
    """The OrderRequest an ib_async Order carries (ValueError for an order type or tif ibbot does not build)."""
    kind = OrderType(order.orderType)
    trailing = kind in (OrderType.TRAILING_STOP, OrderType.TRAILING_STOP_LIMIT)
    trail_percent = dec(order.trailingPercent) if trailing else None
    # IB reports 0 for the prices an order type does not use; only the ones it uses are read.
    limit = dec(order.lmtPrice) if kind in _USES_LIMIT else None
    stop = dec(order.trailStopPrice) if trailing else dec(order.auxPrice) if kind in _USES_STOP else None
    return OrderRequest(
        instrument=from_contract(contract, like=like),
        side=Side(order.action),
        quantity=dec0(order.totalQuantity),
        order_type=kind,
        limit_price=limit if limit or kind is not OrderType.TRAILING_STOP_LIMIT else None,
        stop_price=stop if stop or not trailing else None,
        trail_amount=dec(order.auxPrice) if trailing and trail_percent is None else None,
        trail_percent=trail_percent,
        limit_offset=dec(order.lmtPriceOffset) if trailing else None,
        tif=TimeInForce(order.tif or "DAY"),
        good_till=parse_ib_time(order.goodTillDate),
        outside_rth=bool(order.outsideRth),
        account=order.account,
        order_ref=order.orderRef or "",
        oca_group=order.ocaGroup,
        oca_type=order.ocaType if order.ocaType != UNSET_INTEGER else 0,
        transmit=bool(order.transmit),
    )


def order_update(trade: Any, now: datetime) -> OrderUpdate:
    """An ib_async Trade's order and status as an OrderUpdate (IB's status word kept as it is)."""
    order, status = trade.order, trade.orderStatus
    filled = dec0(status.filled)
    remaining = dec0(status.remaining)
    if not filled and not remaining:  # openOrder before any orderStatus: nothing is filled yet
        remaining = dec0(order.totalQuantity)
    entry = trade.log[-1] if trade.log else None
    reason = f"{entry.errorCode} {entry.message}" if entry is not None and entry.errorCode else status.whyHeld
    return OrderUpdate(
        order_id=order.orderId,
        ib_status=status.status,
        time=now,
        order_ref=order.orderRef or "",
        perm_id=order.permId or status.permId,
        client_id=order.clientId or status.clientId,
        filled=filled,
        remaining=remaining,
        avg_fill_price=dec(status.avgFillPrice) if filled else None,
        reason=reason,
    )


def reported_order(trade: Any, now: datetime, *, completed: bool = False) -> ReportedOrder:
    """An open or completed order as ibbot reports it. ib_async builds a completedOrder's status from the status
    word alone (filled 0, remaining 0): the quantities come from the order's own filledQuantity instead."""
    update = order_update(trade, now)
    order = trade.order
    if completed and not trade.orderStatus.filled:
        filled = order.filledQuantity
        if isinstance(filled, int | float | Decimal) and filled != UNSET_DOUBLE and not _nan(filled):
            done = dec0(filled)
            update = replace(update, filled=done, remaining=max(dec0(order.totalQuantity) - done, Decimal(0)))
    return ReportedOrder(request=from_ib_order(order, trade.contract), update=update)


def _nan(value: object) -> bool:
    return isinstance(value, float) and math.isnan(value)


def fill_from(fill: Any, *, instrument: Instrument | None = None) -> Fill:
    """An ib_async Fill (contract, execution, commissionReport) as a Fill; the commission when it is known."""
    execution, report = fill.execution, fill.commissionReport
    known = report is not None and report.execId == execution.execId and bool(report.currency)
    return Fill(
        exec_id=execution.execId,
        instrument=instrument or from_contract(fill.contract),
        side=_EXEC_SIDES[execution.side],
        quantity=dec0(execution.shares),
        price=dec0(execution.price),
        time=execution.time.astimezone(UTC),
        order_ref=execution.orderRef or "",
        order_id=execution.orderId,
        perm_id=execution.permId,
        client_id=execution.clientId,
        account=execution.acctNumber,
        commission=dec(report.commission) if known else None,
        commission_currency=report.currency if known else "",
        realized_pnl=dec(report.realizedPNL) if known else None,
    )


def commission_from(report: Any, now: datetime) -> CommissionReport:
    return CommissionReport(
        exec_id=report.execId,
        commission=dec0(report.commission),
        currency=report.currency,
        realized_pnl=dec(report.realizedPNL),
        time=now,
    )


def execution_filter(since: datetime | None, client_id: int = 0) -> ExecutionFilter:
    return ExecutionFilter(clientId=client_id, time=format_ib_time(since) if since is not None else "")


# --- market data -----------------------------------------------------------------------------------------------


def quality_of(market_data_type: int) -> DataQuality:
    try:
        return DataQuality(market_data_type)
    except ValueError:
        return DataQuality.LIVE


def quote_from(ticker: Any, instrument: Instrument, now: datetime, *, delayed: bool = False) -> Quote:
    quality = quality_of(ticker.marketDataType)
    if delayed and not quality.is_delayed:
        quality = DataQuality.DELAYED
    return Quote(
        instrument=instrument,
        time=now,
        bid=_price(ticker.bid),
        ask=_price(ticker.ask),
        last=_price(ticker.last),
        bid_size=_price(ticker.bidSize),
        ask_size=_price(ticker.askSize),
        last_size=_price(ticker.lastSize),
        volume=_price(ticker.volume),
        close=_price(ticker.close),
        quality=quality,
    )


def _price(value: object) -> float:
    """IB's -1 ("no price") and unset values as NaN, everything else as a float."""
    if value is None:
        return math.nan
    number = float(value)  # type: ignore[arg-type]
    return math.nan if number in (-1.0, UNSET_DOUBLE) else number


def _bar_time(value: date | datetime, instrument: Instrument) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    # A daily bar's date: the day starts at midnight where the instrument trades.
    zone = ZoneInfo(instrument.time_zone) if instrument.time_zone else UTC
    return datetime.combine(value, time(0), zone).astimezone(UTC)


def bar_from(bar: Any, instrument: Instrument, bar_size: str) -> Bar:
    """A historical (or keepUpToDate) BarData as a Bar."""
    return Bar(
        instrument=instrument,
        time=_bar_time(bar.date, instrument),
        open=bar.open,
        high=bar.high,
        low=bar.low,
        close=bar.close,
        volume=float(bar.volume),
        wap=float(bar.average),
        count=int(bar.barCount),
        bar_size=bar_size,
    )


def realtime_bar_from(bar: Any, instrument: Instrument) -> Bar:
    """A RealTimeBar (5 seconds) as a Bar."""
    return Bar(
        instrument=instrument,
        time=_bar_time(bar.time, instrument),
        open=bar.open_,
        high=bar.high,
        low=bar.low,
        close=bar.close,
        volume=float(bar.volume),
        wap=float(bar.wap),
        count=int(bar.count),
        bar_size="5 secs",
    )


def trade_tick_from(tick: Any, instrument: Instrument) -> TradeTick:
    return _build_trade_tick(
        instrument=instrument,
        time=tick.time.astimezone(UTC),
        price=float(tick.price),
        size=float(tick.size),
        exchange=tick.exchange,
        conditions=tick.specialConditions,
    )


def bid_ask_quote_from(tick: Any, instrument: Instrument, quality: DataQuality) -> Quote:
    return Quote(
        instrument=instrument,
        time=tick.time.astimezone(UTC),
        bid=float(tick.bidPrice),
        ask=float(tick.askPrice),
        bid_size=float(tick.bidSize),
        ask_size=float(tick.askSize),
        quality=quality,
    )


_SIDES = tuple(DepthSide)  # by IB's number: 0 ask, 1 bid
_OPERATIONS = tuple(DepthOperation)  # 0 insert, 1 update, 2 delete
# Depth and tick-by-tick are the busiest streams: their values are built without the frozen __init__'s cost.
_build_depth = fast_constructor(DepthUpdate)
_build_trade_tick = fast_constructor(TradeTick)


def depth_from(tick: Any, instrument: Instrument, now: datetime) -> DepthUpdate:
    return _build_depth(
        instrument=instrument,
        time=now,
        position=tick.position,
        side=_SIDES[tick.side],
        operation=_OPERATIONS[tick.operation],
        price=float(tick.price),
        size=float(tick.size),
        market_maker=tick.marketMaker,
    )


# --- account ---------------------------------------------------------------------------------------------------


def position_from(position: Any) -> Position:
    return Position(
        account=position.account,
        instrument=from_contract(position.contract),
        quantity=dec0(position.position),
        avg_cost=dec0(position.avgCost),
    )


def account_value_from(value: Any) -> AccountValue:
    return AccountValue(account=value.account, tag=value.tag, value=value.value, currency=value.currency)
