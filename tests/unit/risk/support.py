"""Builders for the risk tests: an instrument with sessions, quotes, positions, working orders and contexts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from ibbot.model import (
    Instrument,
    Order,
    OrderRequest,
    OrderStatus,
    OrderType,
    PnL,
    Position,
    Quote,
    Session,
    Side,
)
from ibbot.risk import Mode, RiskContext, RiskLimits

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # a Monday, 10:00 New York
# Regular hours 14:30-21:00 UTC, extended 09:00-01:00 UTC (crossing midnight, like IB's overnight sessions).
RTH = Session(start=datetime(2026, 3, 2, 14, 30, tzinfo=UTC), end=datetime(2026, 3, 2, 21, 0, tzinfo=UTC))
EXTENDED = Session(start=datetime(2026, 3, 2, 9, 0, tzinfo=UTC), end=datetime(2026, 3, 3, 1, 0, tzinfo=UTC))
AAPL = Instrument.stock("AAPL").with_details(con_id=265598, trading_hours=(EXTENDED,), liquid_hours=(RTH,))
MSFT = Instrument.stock("MSFT").with_details(con_id=272093, trading_hours=(EXTENDED,), liquid_hours=(RTH,))
ES = Instrument.future("ES").with_details(con_id=495512563, multiplier=Decimal(50), trading_hours=(EXTENDED,))

# Every limit off, so each test switches on only the one it is about.
OFF = RiskLimits(
    max_order_quantity=None,
    max_order_notional=None,
    max_position_quantity=None,
    max_position_notional=None,
    max_gross_exposure=None,
    max_working_orders=None,
    max_working_orders_per_instrument=None,
    price_band_percent=None,
    market_band_percent=None,
    max_quote_age_seconds=None,
    max_orders_per_window=None,
    daily_loss_limit=None,
    allow_outside_hours=True,
)


def d(text: str | int) -> Decimal:
    return Decimal(str(text))


def buy(quantity: str | int, instrument: Instrument = AAPL, **fields: object) -> OrderRequest:
    return OrderRequest(instrument=instrument, side=Side.BUY, quantity=d(quantity), **fields)  # type: ignore[arg-type]


def sell(quantity: str | int, instrument: Instrument = AAPL, **fields: object) -> OrderRequest:
    return OrderRequest(instrument=instrument, side=Side.SELL, quantity=d(quantity), **fields)  # type: ignore[arg-type]


def limit(request: OrderRequest, price: str | int) -> OrderRequest:
    return OrderRequest(
        instrument=request.instrument,
        side=request.side,
        quantity=request.quantity,
        order_type=OrderType.LIMIT,
        limit_price=d(price),
        order_ref=request.order_ref,
        strategy=request.strategy,
        outside_rth=request.outside_rth,
    )


def working(
    request: OrderRequest, *, filled: str | int = 0, ref: str = "", status: OrderStatus = OrderStatus.WORKING
) -> Order:
    if ref:
        request = OrderRequest(
            instrument=request.instrument,
            side=request.side,
            quantity=request.quantity,
            order_type=request.order_type,
            limit_price=request.limit_price,
            order_ref=ref,
        )
    return Order(request=request, status=status, created=NOW, updated=NOW, filled=d(filled))


def position(quantity: str | int, instrument: Instrument = AAPL, avg_cost: str | int = 0) -> Position:
    return Position(account="DU1", instrument=instrument, quantity=d(quantity), avg_cost=d(avg_cost))


def quote(instrument: Instrument = AAPL, *, bid: float = 99.9, ask: float = 100.1, age: float = 1.0) -> Quote:
    return Quote(instrument=instrument, time=NOW - timedelta(seconds=age), bid=bid, ask=ask, last=100.0)


def context(
    *,
    positions: tuple[Position, ...] = (),
    working_orders: tuple[Order, ...] = (),
    quotes: tuple[Quote, ...] = (),
    daily: str | int = 0,
    recent: tuple[datetime, ...] = (),
    mode: Mode = Mode.NORMAL,
    now: datetime = NOW,
) -> RiskContext:
    return RiskContext(
        now=now,
        mode=mode,
        positions={p.instrument.key: p for p in positions},
        working=working_orders,
        quotes={q.instrument.key: q for q in quotes},
        pnl=PnL(daily=d(daily)),
        recent_orders=recent,
    )
