"""The simulator's fill engine on its own: matching, commissions and the ledger driven from plain values.

No `Simulator`, sessions, store or wire types: an `OrderSpec`, the instrument's ledger `Terms`, a `Quote` (or a
bar's price through `quote_at`) and `now` go in; engine events, `Fill`s and the updated `Ledger`s come out. The
simulator's `TradingService` wraps the same `MatchingEngine`, commission schedule and `Ledger` with the wire,
persistence and TWS's messages; the framework's backtester drives this class directly.

    from datetime import UTC, datetime
    from decimal import Decimal

    from ibbot.sim.accounts.ledger import Ledger, Terms
    from ibbot.sim.trading.fills import FillEngine, quote_at
    from ibbot.sim.trading.orders import Action, OrderSpec, OrderType

    engine = FillEngine([Ledger(account="DU1", cash={"USD": Decimal(100_000)})])
    aapl = Terms(con_id=265598, sec_type="STK", currency="USD")
    now = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)
    spec = OrderSpec(order_id=1, account="DU1", con_id=265598, action=Action.BUY, quantity=Decimal(10),
                     order_type=OrderType.LMT, lmt_price=Decimal("230.00"))
    engine.submit(spec, terms=aapl, quote=quote_at(Decimal("230.50")), now=now)   # rests: nothing fills
    done = engine.on_quote(265598, quote_at(Decimal("229.90")), now)             # the price came down
    done.fills[0].price, done.fills[0].commission    # Decimal('229.90'), Commission(amount=Decimal('1.00') ...)
    engine.ledger("DU1").position(265598)             # 10 shares, cash down by 2,299 + 1.00

Commissions follow `TradingService`: IB's fixed schedule on the order's cumulative fills, each execution
charged what the total grew by (so one order pays the minimum once, however many partial fills it has).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ibbot.sim.accounts.ledger import FillResult, Ledger, Terms
from ibbot.sim.trading.commissions import Commission, execution_commission
from ibbot.sim.trading.matching import REMOVED, MatchingEngine
from ibbot.sim.trading.orders import Event, OrderFilled, OrderSpec, OrderView
from ibbot.sim.trading.working import Key, Quote

ZERO = Decimal(0)
CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True, kw_only=True)
class Fill:
    """One execution, booked: the order after it, what was charged, and what it did to the account."""

    order: OrderView
    quantity: Decimal
    price: Decimal
    liquidity: int  # 1 added (a resting order), 2 removed (took the touch), 3 auction
    time: datetime
    commission: Commission
    booked: FillResult  # realized PnL (None for an opening fill), the position and its average cost after it


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """What one call did: every engine event (acceptances, cancels, rejections, fills) and the fills booked."""

    events: list[Event]
    fills: list[Fill]


def quote_at(price: Decimal, *, size: Decimal | None = None) -> Quote:
    """A single price (a bar's close, a replayed trade) as a quote: bid = ask = last = `price`; `size` None means
    depth unknown, so fills are not limited by it."""
    return Quote(bid=price, ask=price, bid_size=size, ask_size=size, last=price, last_size=size)


class FillEngine:
    """The matching engine, IB's commissions and the accounts' ledgers, composed; pure (time is an argument)."""

    def __init__(self, ledgers: Iterable[Ledger]) -> None:
        self.matching = MatchingEngine()
        self.ledgers: dict[str, Ledger] = {ledger.account: ledger for ledger in ledgers}
        self._terms: dict[int, Terms] = {}  # conId -> its ledger terms, given with its first order
        self._charged: dict[Key, Decimal] = {}  # commission charged so far per order

    def ledger(self, account: str) -> Ledger:
        return self.ledgers[account]

    # --- orders ------------------------------------------------------------------------------------------

    def submit(
        self,
        spec: OrderSpec,
        *,
        terms: Terms,
        quote: Quote | None,
        now: datetime,
        min_tick: Decimal = CENT,
        in_rth: bool = True,
    ) -> Outcome:
        """A new order (`spec.account` must be one of the ledgers); it may fill at once against `quote`."""
        if spec.account not in self.ledgers:
            raise KeyError(f"no ledger for account {spec.account!r}")
        self._terms[spec.con_id] = terms
        return self._book(self.matching.submit(spec, quote, now, min_tick=min_tick, in_rth=in_rth), now)

    def modify(
        self, spec: OrderSpec, *, quote: Quote | None, now: datetime, min_tick: Decimal = CENT, in_rth: bool = True
    ) -> Outcome:
        return self._book(self.matching.modify(spec, quote, now, min_tick=min_tick, in_rth=in_rth), now)

    def cancel(self, order_id: int, now: datetime, *, client_id: int = 0) -> Outcome:
        return self._book(self.matching.cancel(order_id, now, client_id=client_id), now)

    # --- the market --------------------------------------------------------------------------------------

    def on_quote(self, con_id: int, quote: Quote, now: datetime, *, in_rth: bool = True) -> Outcome:
        """A new top of book (or a bar's price, `quote_at`) for `con_id`: working orders match against it."""
        return self._book(self.matching.on_quote(con_id, quote, now, in_rth=in_rth), now)

    def on_close(self, con_id: int, close_price: Decimal, now: datetime) -> Outcome:
        return self._book(self.matching.on_close(con_id, close_price, now), now)

    def on_open(self, con_id: int, open_price: Decimal, now: datetime) -> Outcome:
        return self._book(self.matching.on_open(con_id, open_price, now), now)

    def on_session_end(self, now: datetime, *, con_id: int | None = None) -> Outcome:
        return self._book(self.matching.on_session_end(now, con_id=con_id), now)

    # --- booking -----------------------------------------------------------------------------------------

    def _book(self, events: list[Event], now: datetime) -> Outcome:
        return Outcome(events=events, fills=[self._fill(e, now) for e in events if isinstance(e, OrderFilled)])

    def _fill(self, event: OrderFilled, now: datetime) -> Fill:
        spec = event.order.spec
        terms = self._terms[spec.con_id]
        key = (spec.client_id, spec.order_id)
        total = execution_commission(
            sec_type=terms.sec_type,
            currency=terms.currency,
            pair_currency=terms.pair_currency,
            multiplier=terms.multiplier,
            quantity=event.cum_quantity,
            price=event.avg_price,
            removes_liquidity=event.liquidity == REMOVED,
        )
        charge = max(total.amount - self._charged.get(key, ZERO), ZERO)
        self._charged[key] = self._charged.get(key, ZERO) + charge
        booked = self.ledgers[spec.account].apply_fill(
            terms=terms,
            buy=spec.is_buy,
            quantity=event.quantity,
            price=event.price,
            commission=charge,
            commission_currency=total.currency,
        )
        return Fill(
            order=event.order,
            quantity=event.quantity,
            price=event.price,
            liquidity=event.liquidity,
            time=now,
            commission=Commission(amount=charge, currency=total.currency),
            booked=booked,
        )
