"""Orders of every client: placeOrder/cancel/modify through the matching engine, the messages TWS sends about
them (openOrder, orderStatus, execDetails, commissionReport) to the right clients, and their persistence.

Theory of operation
-------------------
* A placeOrder is checked the way TWS checks it, first failure wins: read-only API (321), the contract (200),
  the order's type for this instrument (387) and its other terms; what-if orders are answered here with one
  openOrder carrying margin and commission figures and never trade. Then the order id: a live order of this
  client is a modify (unless the contract differs: 103), a filled one 104, any other finished one 103. New
  orders meet the scripted rejection fault (201), IB's static checks (434, 110, 10268-10270 ...) and the
  account's buying power (201 with the ledger's text) before the `MatchingEngine` accepts them.
* Every change goes through `_commit`: the engine's events are booked (perm ids, fills into the account,
  executions, every changed order) in ONE store transaction, and only after it commits are the messages put in
  the outbox, so nothing a client saw can be lost by a crash. Messages go to the owning client id, and
  openOrder / orderStatus / execDetails / commissionReport also to clientId 0 and the master client.
* Per event: accepted, released, triggered or modified -> openOrder + orderStatus, except that an order
  accepted and filled at once gets only the openOrder for its acceptance (IB: such orders commonly get no
  orderStatus until the fill's); a trailing stop that moved -> openOrder; a fill -> execDetails (reqId -1),
  orderStatus, openOrder, commissionReport (after its execDetails: ib_async matches them by execId); a cancel
  -> orderStatus Cancelled + error 202 (owner only).
* Matching: while an order works, its instrument is subscribed in the live book (`prices.subscribe`, once per
  instrument); `step` feeds the changed quotes to `engine.on_quote`, options from their underlying's quote.
  A quote's `last` counts as a trade only when the print time moved since the previous quote. With
  `exchange_hours` on, regular hours match every order, extended hours only outside_rth ones, closed hours
  none; with it off (the default) every hour is regular. DAY expiry and auctions follow `records`.
* Restore: the constructor rebuilds the engine, the records and the executions from the store. What needs a
  `now` waits for the first request or step (`catch_up`): working orders are subscribed and scheduled, and
  earlier days' executions and finished orders are forgotten, as again at each midnight (TWS's zone).
* Cost per order (bench/sim_orders.py): nothing here grows with the orders or positions of the day. Resolved
  contracts and reported contracts are memoised, deadlines are kept only for orders still working, and a fill
  writes four small documents (the order, its execution, the account header, the position).
"""

from __future__ import annotations

import heapq
import itertools
import logging
from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal
from typing import Protocol
from zoneinfo import ZoneInfo

from ibbot.protocol.requests.orders import PlaceOrder
from ibbot.protocol.responses import Response
from ibbot.protocol.responses.session import ErrorMessage
from ibbot.protocol.types import Contract
from ibbot.sim import errors
from ibbot.sim.accounts.ledger import FillResult, Ledger
from ibbot.sim.accounts.views import terms_of
from ibbot.sim.errors import Rejection
from ibbot.sim.instruments.instrument import Instrument
from ibbot.sim.instruments.master import SecurityMaster
from ibbot.sim.market.feed import Quote as FeedQuote
from ibbot.sim.market.prices import Prices
from ibbot.sim.outbox import Outbox
from ibbot.sim.session import ClientSession
from ibbot.sim.store import Store
from ibbot.sim.trading.contracts import OrderContracts
from ibbot.sim.trading.matching import REMOVED, MatchingEngine
from ibbot.sim.trading.messages import (
    CANCELLED,
    DUPLICATE_ID,
    SIMULATED_REJECTION,
    ExecutionRecord,
    commission_report,
    exec_details,
    exec_id,
    open_order,
    order_status,
    side_of,
    what_if_order,
)
from ibbot.sim.trading.order_ids import OrderIds
from ibbot.sim.trading.orders import (
    MODIFY_FILLED,
    TERMINAL,
    Event,
    OrderAccepted,
    OrderCancelled,
    OrderFilled,
    OrderModified,
    OrderPriceUpdated,
    OrderRejected,
    OrderSpec,
    OrderStatus,
    OrderView,
    TimeInForce,
    rejected,
    validate,
)
from ibbot.sim.trading.pricing import commission_of, reference_price, tick_at
from ibbot.sim.trading.records import SESSION_EDGES, IdBlock, OrderRecord, deadlines, key_text, restore, stale
from ibbot.sim.trading.translate import to_spec
from ibbot.sim.trading.watch import OrderWatch
from ibbot.sim.trading.working import Key, Quote

log = logging.getLogger(__name__)

ORDERS, EXECUTIONS = "trading.orders", "trading.executions"  # store kinds
PERM_IDS, EXEC_IDS, ORDER_IDS = "trading.perm_id", "trading.exec_id", "trading.order_id"  # counters (IdBlock)
PERM_ID_BASE = 1_000_000_000  # perm ids look like TWS's (ten digits) and keep increasing
NO_QUOTE = Quote()  # the market while the exchange is closed: nothing can fill
AUCTION, EXPIRY = 0, 1  # deadline kinds, in the order they run at the same instant (MOC before its DAY end)
ZERO = Decimal(0)
MARGINED_BY_UNDERLYING = frozenset({"OPT", "FOP"})  # short options: margin beyond their own value

Send = tuple[int, Response, bool]  # (owner client id, message, also to the master clients)


class Books(Protocol):
    """The accounts as trading uses them (`ibbot.sim.accounts.service.AccountService`)."""

    def ledger(self, account: str) -> Ledger: ...

    def apply_fill(
        self,
        account: str,
        instrument: Instrument,
        *,
        buy: bool,
        quantity: Decimal,
        price: Decimal,
        commission: Decimal,
        commission_currency: str,
        now: datetime,
    ) -> FillResult: ...


class TradingService:
    """Receives what it uses: the store, TWS's zone, the live prices, the security master, the accounts (as
    `Books`), the connected sessions (to copy order messages to the master clients), the shared order ids."""

    def __init__(
        self,
        *,
        store: Store,
        zone: ZoneInfo,
        prices: Prices,
        securities: SecurityMaster,
        books: Books,
        sessions: Mapping[int, ClientSession],
        master_ids: frozenset[int],
        order_ids: OrderIds,
        accounts: tuple[str, ...],
        read_only: bool,
        exchange_hours: bool,
    ) -> None:
        self.store = store
        self.zone = zone
        self.prices = prices
        self.securities = securities
        self.books = books
        self.sessions = sessions
        self.master_ids = master_ids
        self.order_ids = order_ids
        self.accounts = accounts
        self.read_only = read_only
        self.reject_next_orders = 0  # the scripted fault: the next N new orders are rejected (201)
        found = restore(self.store, orders_kind=ORDERS, executions_kind=EXECUTIONS)  # the subscriptions wait
        self.engine: MatchingEngine = found.engine  # for the first `now` (`catch_up`)
        self.records: dict[Key, OrderRecord] = found.records
        self.executions: list[ExecutionRecord] = found.executions
        self.watch = OrderWatch(prices, exchange_hours=exchange_hours)
        self._deadlines: list[tuple[datetime, int, int, Key]] = []  # (when, kind, tie, key), a heap
        self._tie = itertools.count()
        self.contracts = OrderContracts(securities)
        self._day: date | None = None  # today's date in TWS's zone, once known
        self._generation = securities.generation  # the security master's listing day last checked
        self._perm_ids = IdBlock(self.store, PERM_IDS, first=PERM_ID_BASE)
        self._exec_ids = IdBlock(self.store, EXEC_IDS)
        self._order_ids = IdBlock(self.store, ORDER_IDS)  # above every order id a client used
        if self.store.counter(ORDER_IDS):
            order_ids.note(self.store.counter(ORDER_IDS))

    # --- requests ----------------------------------------------------------------------------------------

    def place(self, session: ClientSession, req: PlaceOrder, now: datetime, out: Outbox) -> None:
        """placeOrder: a new order, a modify of a live one, or a what-if."""
        self.catch_up(now)
        client_id, order_id = session.client_id, req.order_id
        self.order_ids.note(order_id)
        if self.read_only:
            out.error(client_id, order_id, *errors.READ_ONLY)
            return
        instrument = self.contracts.resolve(req.contract)
        if instrument is None:
            out.error(client_id, order_id, *errors.NO_SECURITY_DEFINITION)
            return
        account = req.order.account.strip() or self.accounts[0]
        if account not in self.accounts:
            out.error(client_id, order_id, 321, f"Error validating request.-'bN' : cause - Invalid account: {account}")
            return
        spec = to_spec(
            req.order,
            order_id=order_id,
            client_id=client_id,
            account=account,
            instrument=instrument,
            zone=self.zone,
            now=now,
            session_end=SESSION_EDGES.next_close(instrument.calendar, now, liquid=True),
        )
        if isinstance(spec, Rejection):
            out.error(client_id, order_id, spec.code, spec.text)
            return
        self.watch.hold(instrument.con_id, now)  # a live price for the checks below
        self._place(spec, req, instrument, now, out)

    def _place(self, spec: OrderSpec, req: PlaceOrder, instrument: Instrument, now: datetime, out: Outbox) -> None:
        client_id, order_id = spec.client_id, spec.order_id
        market = self.watch.market(instrument, now)
        tick = tick_at(instrument, reference_price(spec, market))
        if spec.what_if:
            self._what_if(spec, instrument, market, tick, out)
            return
        existing = self.engine.order(order_id, client_id=client_id)
        problem: Rejection | None = None
        if existing is not None:
            if existing.spec.con_id != spec.con_id or existing.status in (OrderStatus.CANCELLED, OrderStatus.INACTIVE):
                problem = Rejection(code=DUPLICATE_ID[0], text=DUPLICATE_ID[1])
            elif existing.status is OrderStatus.FILLED:
                problem = MODIFY_FILLED
            elif spec.quantity > existing.spec.quantity:
                problem = validate(spec, min_tick=tick) or self._buying_power(
                    spec, instrument, market, spec.quantity - existing.spec.quantity
                )
        elif self.reject_next_orders > 0:
            self.reject_next_orders -= 1
            problem = rejected(SIMULATED_REJECTION)
        else:
            problem = validate(spec, min_tick=tick) or self._buying_power(spec, instrument, market, spec.quantity)
        if problem is not None:
            out.error(client_id, order_id, problem.code, problem.text)
            return
        rth = self.watch.in_rth(instrument, now)
        quote = NO_QUOTE if rth is None else market
        expires, auction = deadlines(
            spec, instrument, now if existing is None else self.records[spec_key(spec)].placed_at
        )
        if existing is None:
            record = OrderRecord(
                client_id=client_id,
                order_id=order_id,
                con_id=instrument.con_id,
                exchange=instrument.exchange,
                placed_at=now,
                good_till_text=req.order.good_till_date,
                trigger_method=req.order.trigger_method,
                expires_at=expires,
                auction_at=auction,
            )
            events = self.engine.submit(spec, quote, now, min_tick=tick, in_rth=rth is True)
            self._commit(events, now, out, placed=record)
            return
        events = self.engine.modify(spec, quote, now, min_tick=tick, in_rth=rth is True)
        record = self.records[spec_key(spec)]
        if any(isinstance(e, OrderModified) and e.order.order_id == order_id for e in events):
            record.expires_at, record.auction_at = expires, auction
            record.good_till_text, record.trigger_method = req.order.good_till_date, req.order.trigger_method
            self._schedule(record)
        self._commit(events, now, out)

    def _what_if(self, spec: OrderSpec, instrument: Instrument, market: Quote, tick: Decimal, out: Outbox) -> None:
        price = reference_price(spec, market)
        problem = validate(spec, min_tick=tick)
        if problem is None and price is None:
            problem = rejected("No market data to price the order.")
        if problem is not None:
            out.error(spec.client_id, spec.order_id, problem.code, problem.text)
            return
        assert price is not None
        fee = commission_of(instrument, spec.quantity, price)
        figures = self.books.ledger(spec.account).what_if(
            terms=terms_of(instrument),
            buy=spec.is_buy,
            quantity=spec.quantity,
            price=price,
            commission=fee.amount,
            commission_currency=fee.currency,
        )
        base = self.books.ledger(spec.account).base_currency
        out.to(spec.client_id, what_if_order(spec, instrument.to_contract(), figures, margin_currency=base))

    def _buying_power(self, spec: OrderSpec, instrument: Instrument, market: Quote, qty: Decimal) -> Rejection | None:
        price = reference_price(spec, market)
        if price is None:
            return None  # nothing to price it with yet (no quote): TWS accepts and checks at the fill
        fee = commission_of(instrument, qty, price)
        ledger = self.books.ledger(spec.account)
        if instrument.sec_type not in MARGINED_BY_UNDERLYING and instrument.currency == ledger.base_currency:
            # Margin rates are at most half the value and marks are live, so an order worth less than half the
            # available funds (after its commission) cannot fail the check: skip the ledger's full trial.
            notional = qty * price * (Decimal(instrument.multiplier) if instrument.multiplier else 1)
            if 2 * notional + fee.amount < ledger.available_funds():
                return None
        return ledger.check_order(
            terms=terms_of(instrument),
            buy=spec.is_buy,
            quantity=qty,
            price=price,
            commission=fee.amount,
            commission_currency=fee.currency,
        )

    def cancel(self, session: ClientSession, order_id: int, now: datetime, out: Outbox) -> None:
        """cancelOrder: Cancelled + 202, or 10147 (unknown) / 10148 (finished)."""
        self.catch_up(now)
        if self.read_only:
            out.error(session.client_id, order_id, *errors.READ_ONLY)
            return
        self._commit(self.engine.cancel(order_id, now, client_id=session.client_id), now, out)

    def cancel_all(self, session: ClientSession, now: datetime, out: Outbox) -> None:
        """reqGlobalCancel: every open order of every client."""
        self.catch_up(now)
        if self.read_only:
            out.error(session.client_id, -1, *errors.READ_ONLY)
            return
        self._commit(self.engine.cancel_all(now), now, out)

    # --- time --------------------------------------------------------------------------------------------

    def step(self, now: datetime, quotes: list[FeedQuote], out: Outbox) -> None:
        """Match working orders against the quotes that changed; expire DAY/GTD orders; closing auctions."""
        self.catch_up(now)
        self._roll_day(now)
        events: list[Event] = []
        if self._generation != self.securities.generation:  # a new listing day: expired options are gone
            events += self._untradable(now)
        for con_id, quote, rth in self.watch.updates(quotes, now):
            events += self.engine.on_quote(con_id, quote, now, in_rth=rth)
        events += self._due(now)
        events += self.engine.expire(now)
        if events:
            self._commit(events, now, out)

    def _due(self, now: datetime) -> list[Event]:
        """Auctions and DAY expiries whose time has come (each deadline is checked against the record, so a
        modify that moved it leaves the old heap entry harmless)."""
        events: list[Event] = []
        while self._deadlines and self._deadlines[0][0] <= now:
            when, kind, _, key = heapq.heappop(self._deadlines)
            record = self.records.get(key)
            view = self.engine.order(key[1], client_id=key[0])
            if record is None or view is None or view.status in TERMINAL:
                continue
            if kind == AUCTION and when == record.auction_at:
                # The engine runs the instrument's whole auction: an auction order placed for a LATER session
                # would join it too, which only happens when the simulator was down across a close.
                price = self._auction_price(record.con_id, when)
                if view.spec.tif is TimeInForce.OPG:
                    events += self.engine.on_open(record.con_id, price, now)
                else:
                    events += self.engine.on_close(record.con_id, price, now)
            elif kind == EXPIRY and when == record.expires_at:
                events += self.engine.cancel(key[1], now, client_id=key[0])
        return events

    def _auction_price(self, con_id: int, when: datetime) -> Decimal:
        path = self.prices.path(self.prices.priced_con_id(con_id))
        return Decimal(str(path.price(path.last_ticks(int(when.timestamp())))))

    def drop(self, session: ClientSession) -> None:
        """A client went away: its orders stay working, as in TWS."""

    # --- booking and messages ----------------------------------------------------------------------------

    def _commit(self, events: list[Event], now: datetime, out: Outbox, *, placed: OrderRecord | None = None) -> None:
        """Book `events` in one store transaction, then hand their messages to the outbox."""
        sends: list[Send] = []
        changed: dict[Key, OrderView] = {}
        accepted = placed is not None and self.engine.knows(placed.key)
        if placed is not None and accepted:  # id reservations commit on their own, before anything uses them
            self._perm_ids.reserve()
            self._order_ids.seen(placed.order_id)
            self._order_ids.reserve(0)
        self._exec_ids.reserve(sum(isinstance(e, OrderFilled) for e in events))
        filled_now = {view_key(e.order) for e in events if isinstance(e, OrderFilled)}
        with self.store.transaction():
            if placed is not None and accepted:
                placed.perm_id = self._perm_ids.take()
                self.records[placed.key] = placed
            for event in events:
                if isinstance(event, OrderRejected):
                    sends.append(
                        (event.client_id, ErrorMessage(req_id=event.order_id, code=event.code, text=event.text), False)
                    )
                    continue
                view = event.order
                key = view_key(view)
                record = self.records[key]
                changed[key] = view
                if view.status in TERMINAL and record.completed_at is None:
                    record.completed_at = now
                sends += self._messages(event, record, now, fills_now=key in filled_now)
            if placed is not None and accepted:
                placed_view = changed.get(placed.key)
                if placed_view is None or placed_view.status not in TERMINAL:
                    self._schedule(placed)  # an order that finished at once has no deadline to keep
            for key in changed if self.store.keeps else ():
                state = self.engine.order_state(key[1], client_id=key[0])
                self.store.put(ORDERS, key_text(key), {"engine": state, "record": self.records[key].to_dict()})
        for key, view in changed.items():
            if view.status in TERMINAL:
                self.watch.remove(key, view.spec.con_id, now)
            else:
                self.watch.add(key, view.spec.con_id, now)
        masters = [c for c in self.sessions if c in self.master_ids]
        for owner, message, shared in sends:
            out.to(owner, message)
            for master in masters if shared else ():
                if master != owner:
                    out.to(master, message)

    def _messages(self, event: Event, record: OrderRecord, now: datetime, *, fills_now: bool) -> list[Send]:
        """What clients are told of `event`; `fills_now`: the same commit also fills this order."""
        assert not isinstance(event, OrderRejected)
        view, owner = event.order, event.order.client_id
        status = order_status(view, perm_id=record.perm_id)
        if isinstance(event, OrderFilled):
            exe = self._book_fill(event, record, now)
            details = exec_details(exe, self.contract(record), req_id=-1, zone=self.zone)
            report = commission_report(exe)
            opened = self.open_order(view, record)
            return [(owner, details, True), (owner, status, True), (owner, opened, True), (owner, report, True)]
        if isinstance(event, OrderCancelled):
            return [
                (owner, status, True),
                (owner, ErrorMessage(req_id=view.order_id, code=CANCELLED[0], text=CANCELLED[1]), False),
            ]
        if isinstance(event, OrderPriceUpdated):
            return [(owner, self.open_order(view, record), True)]
        if isinstance(event, OrderAccepted) and fills_now:
            # IB: an order "accepted and executes immediately" commonly gets no orderStatus for its acceptance;
            # the fill's orderStatus (Filled, or Submitted with what is left) is its first.
            return [(owner, self.open_order(view, record), True)]
        return [(owner, self.open_order(view, record), True), (owner, status, True)]

    def _book_fill(self, event: OrderFilled, record: OrderRecord, now: datetime) -> ExecutionRecord:
        """One execution: its commission (per order, see records), the account, the stored record."""
        spec = event.order.spec
        instrument = self._instrument(record.con_id)
        total = commission_of(instrument, event.cum_quantity, event.avg_price, removes=event.liquidity == REMOVED)
        charge = max(total.amount - record.commission, ZERO)
        record.commission += charge
        result = self.books.apply_fill(
            spec.account,
            instrument,
            buy=spec.is_buy,
            quantity=event.quantity,
            price=event.price,
            commission=charge,
            commission_currency=total.currency,
            now=now,
        )
        exe = ExecutionRecord(
            exec_id=exec_id(self._exec_ids.take(), now),
            time=now,
            client_id=spec.client_id,
            order_id=spec.order_id,
            perm_id=record.perm_id,
            con_id=record.con_id,
            symbol=instrument.symbol,
            sec_type=instrument.sec_type,
            account=spec.account,
            exchange=venue(instrument),
            side=side_of(spec.is_buy),
            shares=event.quantity,
            price=event.price,
            cum_qty=event.cum_quantity,
            avg_price=event.avg_price,
            order_ref=spec.order_ref,
            liquidity=event.liquidity,
            commission=charge,
            commission_currency=total.currency,
            realized_pnl=result.realized_pnl,
        )
        if self.store.keeps:
            self.store.append(EXECUTIONS, exe.to_dict(), at=now)
        self.executions.append(exe)
        return exe

    def is_master(self, session: ClientSession) -> bool:
        """clientId 0 and the configured master client see every client's orders."""
        return session.client_id in self.master_ids

    def open_order(self, view: OrderView, record: OrderRecord) -> Response:
        return open_order(
            view,
            self.contract(record),
            perm_id=record.perm_id,
            good_till_text=record.good_till_text,
            trigger_method=record.trigger_method,
        )

    # --- instruments, quotes, subscriptions ----------------------------------------------------------------

    def _instrument(self, con_id: int) -> Instrument:
        return self.prices.instrument(con_id)

    def contract(self, record: OrderRecord) -> Contract:
        """The contract TWS reports with the order of `record`."""
        return self.contracts.reported(record.con_id, record.exchange)

    def _schedule(self, record: OrderRecord) -> None:
        for kind, when in ((AUCTION, record.auction_at), (EXPIRY, record.expires_at)):
            if when is not None:
                heapq.heappush(self._deadlines, (when, kind, next(self._tie), record.key))

    # --- restore and the trading day ---------------------------------------------------------------------

    def midnight(self, now: datetime) -> datetime:
        return datetime.combine(now.astimezone(self.zone).date(), time(0), tzinfo=self.zone)

    def catch_up(self, now: datetime) -> None:
        """On first use (the first request or step brings `now`): forget earlier days, cancel restored orders
        whose contract expired meanwhile, subscribe and schedule the working orders."""
        if self._day is not None:
            return
        self._day = now.astimezone(self.zone).date()
        self._forget_before(self.midnight(now))
        gone = self._untradable(now)
        if gone:
            log.warning("cancelled %d restored orders on contracts that no longer trade", len(gone))
            self._commit(gone, now, Outbox())  # clients learn of it from reqCompletedOrders
        for view in self.engine.open_orders():
            self.watch.add(view_key(view), view.spec.con_id, now)
            self._schedule(self.records[view_key(view)])

    def _untradable(self, now: datetime) -> list[Event]:
        """Cancel the working orders whose contract no longer trades (an option past its last day)."""
        self._generation = self.securities.generation
        gone: list[Event] = []
        for view in self.engine.open_orders():
            if not self.securities.tradable(view.spec.con_id):
                gone += self.engine.cancel(view.order_id, now, client_id=view.client_id)
        return gone

    def _forget_before(self, midnight: datetime) -> None:
        """Earlier days' executions and finished orders leave the store (and the executions memory)."""
        self.executions = [e for e in self.executions if e.time >= midnight]
        with self.store.transaction():
            for key in stale(self.engine, self.records, before=midnight):
                self.store.delete(ORDERS, key_text(key))
            self.store.prune(EXECUTIONS, before=midnight)

    def _roll_day(self, now: datetime) -> None:
        """A new day in TWS's zone: yesterday's executions and finished orders leave the store."""
        day = now.astimezone(self.zone).date()
        if day == self._day:
            return
        self._day = day
        self._forget_before(self.midnight(now))


def view_key(view: OrderView) -> Key:
    return (view.client_id, view.order_id)


def spec_key(spec: OrderSpec) -> Key:
    return (spec.client_id, spec.order_id)


def venue(instrument: Instrument) -> str:
    """Where a fill is reported to have executed: SMART orders at the primary exchange."""
    if instrument.exchange == "SMART" and instrument.primary_exchange:
        return instrument.primary_exchange
    return instrument.exchange
