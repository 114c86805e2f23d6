"""The backtest's order path and books: the `Context` a strategy sees in a backtest, minus the bar loop.

The same pieces as the live path (`ibbot.engine.orders.OrderService`), in the same order, without I/O:
validate -> risk gate (a refusal raises `RiskRefusedError` and is counted) -> the order manager's intent ->
`submitted` -> the simulator's `FillEngine` (the matching engine, IB's commissions, the ledger). What the
engine reports goes back through the order manager's table as IB's reports would (`OrderUpdate`s, `Fill`s
keyed by exec id), into the `PositionBook` and the strategy's hooks, queued and delivered by the driver after
the hook that caused them returns. Only the strategy's orders are working, so the working set is kept here
(the manager's own `working()` scans every order ever placed).

Floats mirror the Decimal books for the per-bar equity curve (`cash`, `position`, `marked`): the ledger stays
the truth and the driver checks the two agree at the end.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

from ibbot.backtest.data import BarSeries, micros_to_datetime, to_micros
from ibbot.backtest.fill_model import decimal, turn_quote
from ibbot.backtest.orders import ledger_terms, order_spec
from ibbot.backtest.trades import Trade, TradeBook
from ibbot.clock import ManualClock
from ibbot.errors import OrderError, RiskRefusedError, StrategyError
from ibbot.model import (
    Bar,
    BarSize,
    Fill,
    Instrument,
    Order,
    OrderRequest,
    OrderStatus,
    OrderUpdate,
    PnL,
    Position,
    Quote,
    Side,
)
from ibbot.oms import OrderChange, OrderManager, OrderRefs, PositionBook
from ibbot.oms import bracket as build_bracket
from ibbot.oms.manager import OVER
from ibbot.oms.validation import DEFAULT_RULES, ValidationRules, validate
from ibbot.protocol.types import fast_constructor
from ibbot.risk import Mode, RiskContext, RiskGate, RiskLimits
from ibbot.sim.accounts.ledger import Ledger, Terms
from ibbot.sim.trading.fills import Fill as EngineFill
from ibbot.sim.trading.fills import FillEngine, Outcome
from ibbot.sim.trading.orders import OrderCancelled, OrderFilled, OrderRejected
from ibbot.strategy.context import Account, BracketOrders, Execution

ZERO = Decimal(0)
_RATE_WINDOW = timedelta(hours=1)
# Values made for every order and fill: the fast frozen constructor (the same objects, a fifth of the cost).
_new_fill = fast_constructor(Fill)
_new_update = fast_constructor(OrderUpdate)
_new_quote = fast_constructor(Quote)
_new_pnl = fast_constructor(PnL)
_new_execution = fast_constructor(Execution)
_build_bar = fast_constructor(Bar)
_new_order = fast_constructor(Order)


class CountingRefs(OrderRefs):
    """Order refs numbered in sequence: unique within a run (all a backtest needs), the same in every rerun,
    and a fraction of the cost of the random part live refs carry."""

    def __init__(self, prefix: str, rng: random.Random, now_fn: Callable[[], datetime]) -> None:
        super().__init__(prefix, rng, now_fn)
        self._count = 0

    def next(self) -> str:
        self._count += 1
        return f"{self.prefix}-{self._count}"


class Listing:
    """One instrument of the run: the strategy's handle, the engine's conId and terms, its bars and last price."""

    __slots__ = (
        "bar_size", "bar_text", "bar_us", "bars", "con_id", "half", "half_float", "history", "history_rows", "index",
        "instrument", "last", "multiplier", "position", "quotes", "row", "series", "terms", "working",
    )  # fmt: skip

    def __init__(self, instrument: Instrument, con_id: int, index: int) -> None:
        self.instrument = instrument
        self.con_id = con_id
        self.index = index
        self.terms: Terms = ledger_terms(instrument, con_id)
        self.multiplier = float(self.terms.multiplier)
        self.half = instrument.min_tick / 2
        self.half_float = float(self.half)
        self.bars: BarSize | None = None  # the subscribed bar size
        self.quotes = False
        self.bar_size: BarSize | None = None  # the data's
        self.bar_us = 0  # its length in microseconds
        self.bar_text = ""
        self.series: object = None
        self.last = float("nan")  # the last close seen
        self.position = 0.0  # float mirror of the holding
        self.working = 0  # working orders on it
        self.history: deque[Bar] = deque(maxlen=1)
        self.history_rows = 1
        self.row = -1  # the series row delivered last


def rebuild_history(listing: Listing, count: int) -> list[Bar]:
    """The last `count` bars delivered for `listing`, rebuilt from its columns (a history() that grew)."""
    series = listing.series
    if not isinstance(series, BarSeries) or listing.row < 0:
        return []
    first = max(0, listing.row - count + 1)
    size = series.bar_size.text
    return [
        _build_bar(
            instrument=listing.instrument,
            time=micros_to_datetime(int(series.times[i])),
            open=float(series.open[i]),
            high=float(series.high[i]),
            low=float(series.low[i]),
            close=float(series.close[i]),
            volume=float(series.volume[i]),
            wap=float("nan"),
            count=0,
            bar_size=size,
        )
        for i in range(first, listing.row + 1)
    ]


class BacktestEngine:
    """The order path, the books and the queries of the strategy `Context` (module doc)."""

    def __init__(
        self,
        *,
        strategy_name: str,
        cash: Decimal,
        currency: str = "USD",
        account: str = "BACKTEST",
        limits: RiskLimits | None = None,
        rules: ValidationRules = DEFAULT_RULES,
        spread: Decimal | None = None,
        seed: int = 1,
        start: datetime,
    ) -> None:
        self.strategy_name = strategy_name
        self.account_id = account
        self.currency = currency
        self.initial_cash = cash
        self.clock = ManualClock(start)
        self.rules = rules
        self.gate = RiskGate(limits if limits is not None else RiskLimits(allow_outside_hours=True))
        self.refs = CountingRefs("bt", random.Random(seed), self.clock.now)
        self.manager = OrderManager(self.refs, rules)
        self.book = PositionBook()
        self.fills = FillEngine([Ledger(account=account, base_currency=currency, cash={currency: cash})])
        self.ledger = self.fills.ledger(account)
        self.booked: list[tuple[Fill, Decimal]] = []  # each fill and the holding after it: trades, at the end
        self.spread = spread
        self.listings: dict[str, Listing] = {}
        self.known: dict[str, Instrument] = {}  # the data's instruments, by key and by symbol
        self._aliases: dict[str, str] = {}  # what the strategy named -> its handle's key
        self.by_con_id: dict[int, Listing] = {}
        self.working: dict[str, Order] = {}
        self.pending: deque[tuple[str, object]] = deque()  # (hook, value) for the driver to deliver
        self.refusals = 0
        self.orders_placed = 0
        self.fill_count = 0
        self.commissions = ZERO
        self.cash = float(cash)  # float mirrors (module doc)
        self.marked = 0.0  # sum of position x last x multiplier
        self.day_start_equity = float(cash)
        self.open_positions = 0  # instruments held
        self._order_ids = 0
        self._exec_ids = 0
        self._by_order_id: dict[int, str] = {}
        self._recent: deque[datetime] = deque()
        self._held: dict[str, Position] | None = None
        self._now = start
        self._now_at = self.now_us = to_micros(start)

    # --- time -------------------------------------------------------------------------------------------------

    def set_time(self, micros: int) -> None:
        """The simulated time, in microseconds since the epoch (the driver writes `now_us` directly); the
        datetime, and the `ManualClock`, follow when someone asks for `now()`."""
        self.now_us = micros

    def now(self) -> datetime:
        if self._now_at != self.now_us:
            self._now_at = self.now_us
            moment = datetime.fromtimestamp(self.now_us // 1_000_000, self._now.tzinfo)
            moment = moment.replace(microsecond=self.now_us % 1_000_000)
            if moment > self._now:
                self.clock.set(moment)
            self._now = moment
        return self._now

    # --- instruments and subscriptions ---------------------------------------------------------------------

    def instrument(self, instrument: Instrument) -> Instrument:
        """The handle: the data's own instrument when it names this one (qualified, from the history cache),
        else `instrument` numbered by the run (con_id 1,000,000 and up), so the books key it cheaply."""
        found = self.listings.get(instrument.key) or self.listings.get(self._aliases.get(instrument.key, ""))
        if found is not None:
            return found.instrument
        known = self.known.get(instrument.key) or self.known.get(instrument.symbol)
        if known is not None and known.asset_class is instrument.asset_class:
            handle = known
        elif instrument.con_id:
            handle = instrument
        else:
            handle = instrument.with_details(con_id=1_000_000 + len(self.listings))
        self._aliases[instrument.key] = handle.key
        listing = Listing(handle, handle.con_id, len(self.listings))
        instrument = handle
        if self.spread is not None:
            listing.half = self.spread / 2
            listing.half_float = float(listing.half)
        self.listings[instrument.key] = listing
        self.by_con_id[handle.con_id] = listing
        return instrument

    def listing(self, instrument: Instrument) -> Listing:
        found = self.listings.get(instrument.key) or self.listings.get(self._aliases.get(instrument.key, ""))
        if found is None:
            raise StrategyError(f"{instrument} was not declared with self.instrument(...) in on_start")
        return found

    def subscribe_bars(self, instrument: Instrument, bar_size: BarSize) -> None:
        self.listing(instrument).bars = bar_size

    def subscribe_quotes(self, instrument: Instrument) -> None:
        self.listing(instrument).quotes = True

    def history(self, instrument: Instrument, count: int) -> Sequence[Bar]:
        listing = self.listing(instrument)
        if count > listing.history_rows:
            self._grow_history(listing, count)
        bars = listing.history
        if count >= len(bars):
            return list(bars)
        return list(bars)[-count:]

    def _grow_history(self, listing: Listing, count: int) -> None:
        """Keep `count` bars from now on, refilled from the columns so far."""
        listing.history = deque(rebuild_history(listing, count), maxlen=count)
        listing.history_rows = count

    # --- orders out -------------------------------------------------------------------------------------------

    def submit(self, request: OrderRequest) -> Order:
        (order,) = self._prepare((request,))
        return self._send(order, parent_id=0)

    def submit_bracket(
        self, entry: OrderRequest, take_profit: Decimal | OrderRequest, stop_loss: Decimal | OrderRequest
    ) -> BracketOrders:
        built = build_bracket(entry, take_profit, stop_loss, refs=self.refs)
        parent, profit, loss = self._prepare(built.requests)
        sent = self._send(parent, parent_id=0)
        parent_id = sent.order_id
        profit_sent = self._send(profit, parent_id=parent_id)
        loss_sent = self._send(loss, parent_id=parent_id)
        return BracketOrders(self._latest(sent), self._latest(profit_sent), self._latest(loss_sent))

    def _latest(self, order: Order) -> Order:
        return self.manager.by_ref(order.order_ref) or order

    def _prepare(self, requests: tuple[OrderRequest, ...]) -> list[Order]:
        now = self.now()
        ready: list[OrderRequest] = []
        pending: list[Order] = []
        last = len(requests) - 1
        for n, asked in enumerate(requests):
            self.listing(asked.instrument)
            # `create` validates (and names) it again; before the gate only where validation may round prices.
            checked = validate(asked, now, self.rules) if self.rules.round_to_tick else asked
            verdict = self.gate.check(checked, self.risk_context(now, tuple(pending)))
            if not verdict.allowed:
                self.refusals += 1
                raise RiskRefusedError(verdict.check, verdict.reason)
            ready.append(checked)
            if n < last:  # what the next requests' checks count as working (a bracket's)
                pending.append(_new_order(request=checked, status=OrderStatus.NEW, created=now, updated=now))
        created = []
        for request in ready:
            order = self.manager.create(request, now)
            self._recent.append(now)
            self.working[order.order_ref] = order
            self.listings[order.instrument.key].working += 1
            created.append(order)
        return created

    def _send(self, order: Order, *, parent_id: int) -> Order:
        """Hand a created order to the fill engine; refused there (IB's checks), it is REJECTED, never working."""
        now = self.now()
        listing = self.listings[order.instrument.key]
        self._order_ids += 1
        order_id = self._order_ids
        self._by_order_id[order_id] = order.order_ref
        self.orders_placed += 1
        spec = order_spec(
            order.request, order_id=order_id, con_id=listing.con_id, account=self.account_id, parent_id=parent_id
        )
        # The book is the last close, a trade without a market to take: nothing fills before the next bar.
        quote = turn_quote(decimal(listing.last)) if not math.isnan(listing.last) else None
        outcome = self.fills.submit(spec, terms=listing.terms, quote=quote, now=now, min_tick=order.instrument.min_tick)
        for event in outcome.events:
            if isinstance(event, OrderRejected) and event.order_id == order_id:
                change = self.manager.reject(order.order_ref, f"{event.code} {event.text}", now)
                self._changed(change.order)
                return change.order
        sent = self.manager.submitted(order.order_ref, order_id, 0, now)
        self._track(sent)
        self.apply(outcome)
        return self.manager.by_ref(order.order_ref) or sent

    def modify(self, order_ref: str, request: OrderRequest) -> Order:
        now = self.now()
        current = self.working.get(order_ref)
        if current is None:
            raise OrderError(f"order {order_ref} is not working: it cannot be modified")
        kept = replace(request, order_ref=order_ref)
        verdict = self.gate.check(validate(kept, now, self.rules), self.risk_context(now))
        if not verdict.allowed:
            self.refusals += 1
            raise RiskRefusedError(verdict.check, verdict.reason)
        order = self.manager.modify(order_ref, kept, now)
        self._track(order)
        listing = self.listings[order.instrument.key]
        spec = order_spec(
            order.request, order_id=order.order_id, con_id=listing.con_id, account=self.account_id,
            parent_id=self._parent_id(order),
        )  # fmt: skip
        quote = turn_quote(decimal(listing.last)) if not math.isnan(listing.last) else None
        self.apply(self.fills.modify(spec, quote=quote, now=now, min_tick=order.instrument.min_tick))
        return self.manager.by_ref(order_ref) or order

    def _parent_id(self, order: Order) -> int:
        parent = self.manager.by_ref(order.request.parent_ref) if order.request.parent_ref else None
        return parent.order_id if parent is not None else 0

    def cancel(self, order_ref: str) -> None:
        now = self.now()
        plan = self.manager.cancel(order_ref, now)
        for change in plan.dropped:
            self._changed(change.order)
        for order in plan.send:
            self.apply(self.fills.cancel(order.order_id, now))

    # --- what the engine reports --------------------------------------------------------------------------

    def apply(self, outcome: Outcome) -> None:
        """The fill engine's events and fills, through the order manager as IB's reports would go."""
        fills = iter(outcome.fills)
        now = self.now()
        for event in outcome.events:
            if isinstance(event, OrderFilled):
                self._fill(next(fills), now)
                continue
            if isinstance(event, OrderRejected):
                continue  # a refused modify or cancel (a new order's refusal is `_send`'s): nothing changed
            view = event.order
            word = "Cancelled" if isinstance(event, OrderCancelled) else view.status.value
            update = _new_update(
                order_id=view.spec.order_id, ib_status=word, time=now, order_ref=view.spec.order_ref,
                filled=view.filled, remaining=view.remaining,
            )  # fmt: skip
            change = self.manager.on_update(update)
            if isinstance(change, OrderChange) and change.moved:
                self._changed(change.order)

    def _fill(self, done: EngineFill, now: datetime) -> None:
        view = done.order
        listing = self.by_con_id[view.spec.con_id]
        self._exec_ids += 1
        side = Side.BUY if view.spec.is_buy else Side.SELL
        commission = done.commission.amount
        fill = _new_fill(
            exec_id=f"bt.{self._exec_ids:08d}", instrument=listing.instrument, side=side, quantity=done.quantity,
            price=done.price, time=now, order_ref=view.spec.order_ref, order_id=view.spec.order_id,
            account=self.account_id, commission=commission, commission_currency=done.commission.currency,
            realized_pnl=done.booked.realized_pnl,
        )  # fmt: skip
        outcome = self.manager.on_fill(fill)
        self.book.apply(fill)
        self._held = None
        self.fill_count += 1
        self.commissions += commission
        signed = float(done.quantity) * side.sign
        price = float(done.price)
        self.cash -= signed * price * listing.multiplier + float(commission)
        last = price if math.isnan(listing.last) else listing.last  # NaN before the first close
        self.marked += signed * last * listing.multiplier
        was_flat = listing.position == 0
        listing.position += signed
        if abs(listing.position) < 1e-9:
            listing.position = 0.0
        self.open_positions += (listing.position != 0) - (not was_flat)
        self.booked.append((fill, done.booked.position))
        order = outcome.change.order if outcome.change is not None else self.manager.by_ref(fill.order_ref)
        assert order is not None
        if order.status in OVER or outcome.change is None:
            self._track(order)
        else:
            self.working[order.order_ref] = order
        self.pending.append(("on_fill", _new_execution(fill=fill, order=order)))
        if outcome.change is not None and outcome.change.moved:
            self.pending.append(("on_order", order))

    def _changed(self, order: Order) -> None:
        self._track(order)
        self.pending.append(("on_order", order))

    def _track(self, order: Order) -> None:
        ref = order.request.order_ref
        if order.status in OVER:
            if self.working.pop(ref, None) is not None:
                self.listings[order.instrument.key].working -= 1
        elif ref in self.working:
            self.working[ref] = order

    # --- the risk gate's view -----------------------------------------------------------------------------

    def quote(self, listing: Listing, now: datetime) -> Quote | None:
        last = listing.last
        if math.isnan(last):
            return None
        half = listing.half_float
        return _new_quote(
            instrument=listing.instrument, time=now, bid=last - half, ask=last + half, last=last, close=last
        )

    def risk_context(self, now: datetime, extra: tuple[Order, ...] = ()) -> RiskContext:
        recent = self._recent
        while recent and now - recent[0] >= _RATE_WINDOW:
            recent.popleft()
        quotes = {key: q for key, listing in self.listings.items() if (q := self.quote(listing, now)) is not None}
        daily = round(self.cash + self.marked - self.day_start_equity, 2)
        return RiskContext(
            now=now,
            mode=Mode.NORMAL,
            positions=self._positions(),
            working=(*self.working.values(), *extra),
            quotes=quotes,
            pnl=_new_pnl(daily=decimal(daily)),
            recent_orders=tuple(recent),
        )

    def _positions(self) -> dict[str, Position]:
        """The holdings by instrument key, rebuilt only after a fill."""
        if self._held is None:
            self._held = {p.instrument.key: p for p in self.book.positions()}
        return self._held

    # --- queries ---------------------------------------------------------------------------------------------

    def trades(self) -> list[Trade]:
        """The closed round trips of the run so far (built from the fills when asked)."""
        book = TradeBook()
        for fill, position in self.booked:
            book.record(fill, position)
        return book.closed

    def order(self, order_ref: str) -> Order | None:
        return self.manager.by_ref(order_ref)

    def working_orders(self) -> Sequence[Order]:
        return tuple(self.working.values())

    def position(self, instrument: Instrument) -> Position:
        found = self._positions().get(instrument.key)
        if found is not None:
            return found
        return Position(account=self.account_id, instrument=self.listing(instrument).instrument, quantity=ZERO)

    def positions(self) -> Sequence[Position]:
        return tuple(self._positions().values())

    def mark_ledger(self) -> None:
        for listing in self.listings.values():
            if not math.isnan(listing.last):
                self.ledger.mark(listing.con_id, decimal(listing.last))

    def account(self) -> Account:
        self.mark_ledger()
        figures = self.ledger.figures()
        return Account(
            cash=figures.total_cash,
            equity=figures.net_liquidation,
            realized_pnl=figures.realized_pnl,
            unrealized_pnl=figures.unrealized_pnl,
            commissions=self.commissions,
            currency=self.currency,
        )
