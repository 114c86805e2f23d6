"""The paper account's books: cash per currency, positions with IB's average cost, PnL, margin, what-if.

Theory of operation
-------------------
* A position keeps its signed quantity, its cost basis with commissions (`cost`; IB's avgCost is
  cost / quantity = price x multiplier +- commission per unit, positive for longs and shorts alike) and its
  opening notional without commissions (`open_value`). A fill first closes against the position (average-cost
  method: the closed share of cost leaves with it) and realizes `proceeds - closed cost - closing commission`,
  then opens the rest at its own price; a flip splits the commission by quantity.
* Cash moves by settlement style, a table by security type: paid instruments (stocks, options, bonds ...) move
  their notional; futures move only realized variation (their open PnL counts in the net liquidation value as
  FuturesPNL); a forex pair EUR.USD moves EUR by the quantity and USD by quantity x price (the position is kept
  for reporting but its value is already in the two cash balances). Commissions leave the commission's
  currency. Amounts are held per currency and converted to the base currency with `rates` (EUR.USD marks
  update the EUR rate themselves when USD is the base).
* Daily PnL per position = value now - value at the day's start (yesterday's close) + today's trade cash flows,
  so it is right across opens, closes and flips; `roll_day` starts a new day (the caller decides when).
* Margin is in `ibbot.sim.accounts.margin`: Reg T for securities, simplified rules for futures, options and forex.
* Views are cached because every order asks for the figures (the buying-power check) and a bot may hold many
  positions: a position's portfolio row and margin exposure are kept until something they depend on changes
  (its fill or mark; for exposures also any rate or an underlying's mark), the figures until anything changes.
  Every mutation goes through the methods above, which drop what they invalidate.
* Stored form: `to_state()` is everything; for persisting one fill cheaply it splits into `header_state()`
  (cash, rates, marks, day counters) and one `position_state(con_id)` per position, which `from_state` joins.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from typing import Any

from ibbot.sim.accounts import margin
from ibbot.sim.accounts.margin import Exposure, Figures, WhatIf
from ibbot.sim.errors import Rejection

ZERO, ONE = Decimal(0), Decimal(1)
PAID, VARIATION, CURRENCY = "paid", "variation", "currency"
SETTLEMENT: dict[str, str] = {"FUT": VARIATION, "CASH": CURRENCY}  # every other type: PAID


@dataclass(frozen=True, slots=True, kw_only=True)
class Terms:
    """What the ledger needs to know about an instrument (the caller has the security master)."""

    con_id: int
    sec_type: str  # IB's: STK, OPT, FUT, FOP, CASH, ...
    currency: str  # the price currency (USD for EUR.USD)
    multiplier: Decimal = ONE
    pair_currency: str = ""  # forex (required there): the traded currency (EUR for EUR.USD)
    initial_margin: Decimal | None = None  # per contract, when the exchange's figure is known (futures)
    maint_margin: Decimal | None = None
    underlying_con_id: int = 0  # options: margin on short options looks at the underlying's mark


@dataclass(slots=True)
class _Position:
    terms: Terms
    quantity: Decimal = ZERO
    cost: Decimal = ZERO  # signed, commissions included: IB's avgCost x quantity
    open_value: Decimal = ZERO  # signed notional at the opening prices, commissions excluded
    realized: Decimal = ZERO  # since the day's start
    day_flow: Decimal = ZERO  # today's trade cash flows in the price currency (notional and commissions)
    start_quantity: Decimal = ZERO
    start_price: Decimal = ZERO  # the previous close the daily PnL starts from
    opened_today: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class FillResult:
    realized_pnl: Decimal | None  # None for an opening fill (commissionReport's UNSET)
    position: Decimal
    avg_cost: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class PortfolioRow:
    """One updatePortfolio / position line; money in the instrument's currency."""

    con_id: int
    currency: str
    position: Decimal
    market_price: Decimal
    market_value: Decimal
    average_cost: Decimal
    unrealized_pnl: Decimal
    realized_pnl: Decimal
    daily_pnl: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class PnL:
    """reqPnL's figures in the base currency."""

    daily: Decimal
    unrealized: Decimal
    realized: Decimal


def _sign(x: Decimal) -> int:
    return (x > 0) - (x < 0)


class Ledger:
    """One account's books. Mutated only by `deposit`, `apply_fill`, `mark`, `set_rate` and `roll_day`."""

    def __init__(
        self,
        *,
        account: str,
        base_currency: str = "USD",
        cash: Mapping[str, Decimal] | None = None,
        account_type: str = "INDIVIDUAL",
        day_trading: bool = True,
        trading_day: date | None = None,
    ) -> None:
        self.account = account
        self.base_currency = base_currency
        self.account_type = account_type
        self.day_trading = day_trading  # 4x (else 2x) buying power, for accounts above the $25,000 PDT floor
        self.trading_day = trading_day
        self.cash: dict[str, Decimal] = dict(cash or {base_currency: ZERO})
        self.rates: dict[str, Decimal] = {base_currency: ONE}
        self.marks: dict[int, Decimal] = {}
        self.positions: dict[int, _Position] = {}
        self.day_trades: list[int] = [0]  # per trading day, the last five, today last
        self.previous_equity: Decimal | None = None  # ELV at the last day's start; None before any roll
        self._rows: dict[int, PortfolioRow] = {}  # cached views, see the module docstring
        self._exposures: dict[int, Exposure | None] = {}
        self._underlyings: set[int] = set()  # conIds whose mark an option position's exposure reads
        self._figures: Figures | None = None

    # --- changes ------------------------------------------------------------------------------------------

    def deposit(self, currency: str, amount: Decimal) -> None:
        self.cash[currency] = self.cash.get(currency, ZERO) + amount
        self._figures = None

    def set_rate(self, currency: str, rate: Decimal) -> None:
        """The value of one unit of `currency` in the base currency."""
        if currency != self.base_currency:
            before, self.rates[currency] = self.rates.get(currency), rate
            if before != rate:
                self._exposures.clear()  # exposures are in the base currency
                self._figures = None

    def mark(self, con_id: int, price: Decimal) -> None:
        """The instrument's current price; a forex pair quoted in the base currency also sets its rate."""
        before, self.marks[con_id] = self.marks.get(con_id), price
        if before != price:
            self._marked(con_id)
        pos = self.positions.get(con_id)
        if pos is not None and pos.terms.sec_type == "CASH" and pos.terms.currency == self.base_currency:
            self.set_rate(pos.terms.pair_currency, price)

    def _marked(self, con_id: int) -> None:
        self._rows.pop(con_id, None)
        if con_id in self._underlyings:
            self._exposures.clear()
        else:
            self._exposures.pop(con_id, None)
        self._figures = None

    def apply_fill(
        self,
        *,
        terms: Terms,
        buy: bool,
        quantity: Decimal,
        price: Decimal,
        commission: Decimal = ZERO,
        commission_currency: str = "",
    ) -> FillResult:
        """Book one execution; returns the realized PnL (net of commissions) if it closed anything."""
        q = abs(quantity)
        signed = q if buy else -q
        m = terms.multiplier
        pos = self.positions.get(terms.con_id)
        if pos is None:
            pos = self.positions[terms.con_id] = _Position(terms=terms)
            if terms.underlying_con_id:
                self._underlyings.add(terms.underlying_con_id)
        self._rows.pop(terms.con_id, None)
        self._exposures.pop(terms.con_id, None)
        self._figures = None
        comm_currency = commission_currency or terms.currency
        comm = commission * self._rate(comm_currency) / self._rate(terms.currency)  # in the price currency
        held = abs(pos.quantity)
        closing = min(q, held) if pos.quantity and _sign(signed) != _sign(pos.quantity) else ZERO
        opening = q - closing
        comm_close = comm * closing / q if q else ZERO
        style = SETTLEMENT.get(terms.sec_type, PAID)
        realized: Decimal | None = None
        if closing:
            side = _sign(pos.quantity)
            closed_cost = pos.cost * closing / held
            closed_open = pos.open_value * closing / held
            proceeds = side * closing * price * m
            realized = proceeds - closed_cost - comm_close
            pos.cost -= closed_cost
            pos.open_value -= closed_open
            pos.quantity -= side * closing
            pos.realized += realized
            if style == VARIATION:
                self.deposit(terms.currency, proceeds - closed_open)
            if pos.opened_today:
                self.day_trades[-1] += 1
        if opening:
            added = _sign(signed) * opening
            pos.quantity += added
            pos.cost += added * price * m + (comm - comm_close)
            pos.open_value += added * price * m
            pos.opened_today = True
        if style == PAID:
            self.deposit(terms.currency, -signed * price * m)
        elif style == CURRENCY:
            self.deposit(terms.pair_currency, signed)
            self.deposit(terms.currency, -signed * price)
            if terms.currency == self.base_currency:
                self.set_rate(terms.pair_currency, price)
        self.deposit(comm_currency, -commission)
        pos.day_flow -= signed * price * m + comm
        if terms.con_id not in self.marks:
            self.marks[terms.con_id] = price
            self._marked(terms.con_id)
        return FillResult(realized_pnl=realized, position=pos.quantity, avg_cost=self._avg_cost(pos))

    def roll_day(self, day: date, closes: Mapping[int, Decimal] | None = None) -> None:
        """A new trading day: daily PnL restarts from `closes` (default: the current marks). Idempotent."""
        if day == self.trading_day:
            return
        self.previous_equity = self.figures().equity_with_loan
        self.trading_day = day
        self.day_trades = [*self.day_trades[-4:], 0]
        self._rows.clear()
        self._exposures.clear()
        self._figures = None
        for con_id, pos in list(self.positions.items()):
            if not pos.quantity:
                del self.positions[con_id]  # closed yesterday: no longer reported
                continue
            close = (closes or {}).get(con_id, self.marks.get(con_id, ZERO))
            pos.start_quantity, pos.start_price = pos.quantity, close
            pos.realized = pos.day_flow = ZERO
            pos.opened_today = False

    # --- views --------------------------------------------------------------------------------------------

    def _rate(self, currency: str) -> Decimal:
        return self.rates.get(currency, ONE)  # unknown rates count as 1 until the caller sets them

    @staticmethod
    def _avg_cost(pos: _Position) -> Decimal:
        return pos.cost / pos.quantity if pos.quantity else ZERO

    def _row(self, con_id: int, pos: _Position) -> PortfolioRow:
        row = self._rows.get(con_id)
        if row is None:
            row = self._rows[con_id] = self._new_row(con_id, pos)
        return row

    def _new_row(self, con_id: int, pos: _Position) -> PortfolioRow:
        m = pos.terms.multiplier
        price = self.marks.get(con_id, ZERO)
        value = pos.quantity * price * m
        start = pos.start_quantity * pos.start_price * m
        return PortfolioRow(
            con_id=con_id,
            currency=pos.terms.currency,
            position=pos.quantity,
            market_price=price,
            market_value=value,
            average_cost=self._avg_cost(pos),
            unrealized_pnl=value - pos.cost,
            realized_pnl=pos.realized,
            daily_pnl=value - start + pos.day_flow,
        )

    def portfolio(self) -> list[PortfolioRow]:
        """updatePortfolio rows, including positions closed today (position 0) as TWS shows them."""
        return [self._row(con_id, pos) for con_id, pos in sorted(self.positions.items())]

    def holds(self, con_id: int) -> bool:
        """Whether the account has a non-zero position in `con_id`."""
        pos = self.positions.get(con_id)
        return pos is not None and pos.quantity != 0

    def position(self, con_id: int) -> PortfolioRow | None:
        pos = self.positions.get(con_id)
        return None if pos is None else self._row(con_id, pos)

    def pnl(self) -> PnL:
        daily = unrealized = realized = ZERO
        for row in self.portfolio():  # one pass; each total adds in portfolio order
            k = self._rate(row.currency)
            daily += row.daily_pnl * k
            unrealized += row.unrealized_pnl * k
            realized += row.realized_pnl * k
        return PnL(daily=daily, unrealized=unrealized, realized=realized)

    def exposures(self) -> list[Exposure]:
        """Each position as the margin rules see it, in the base currency."""
        out = []
        cached = self._exposures
        for con_id, pos in self.positions.items():
            if con_id in cached:
                exposure = cached[con_id]
            else:
                exposure = cached[con_id] = self._exposure(con_id, pos)
            if exposure is not None:
                out.append(exposure)
        return out

    def _exposure(self, con_id: int, pos: _Position) -> Exposure | None:
        if not pos.quantity:
            return None
        t = pos.terms
        rate = self._rate(t.currency)
        price = self.marks.get(con_id, ZERO)
        under = self.marks.get(t.underlying_con_id) if t.underlying_con_id else None
        return Exposure(
            sec_type=t.sec_type,
            quantity=pos.quantity,
            value=pos.quantity * price * t.multiplier * rate,
            open_value=pos.open_value * rate,
            underlying_value=None if under is None else abs(pos.quantity) * under * t.multiplier * rate,
            initial_per_contract=None if t.initial_margin is None else t.initial_margin * rate,
            maint_per_contract=None if t.maint_margin is None else t.maint_margin * rate,
        )

    def _cash_value(self) -> Decimal:
        return sum((amount * self._rate(cur) for cur, amount in self.cash.items()), ZERO)

    def available_funds(self) -> Decimal:
        """`figures().available_funds`, without computing the other figures when they are not cached."""
        if self._figures is not None:
            return self._figures.available_funds
        return margin.available_funds(cash=self._cash_value(), exposures=self.exposures())

    def figures(self) -> Figures:
        if self._figures is None:
            self._figures = margin.figures(
                cash=self._cash_value(),
                exposures=self.exposures(),
                pnl=self.pnl(),
                previous_equity=self.previous_equity,
                day_trading=self.day_trading,
                day_trades=self.day_trades,
            )
        return self._figures

    # --- what-if and the buying-power check ---------------------------------------------------------------

    def what_if(
        self,
        *,
        terms: Terms,
        buy: bool,
        quantity: Decimal,
        price: Decimal,
        commission: Decimal = ZERO,
        commission_currency: str = "",
    ) -> WhatIf:
        """Margin before / change / after and the commission of a hypothetical fill; the books do not change."""
        currency = commission_currency or terms.currency
        trial = self.copy()
        trial.marks.setdefault(terms.con_id, price)  # before the trial computed anything it could cache
        trial.apply_fill(
            terms=terms, buy=buy, quantity=quantity, price=price, commission=commission, commission_currency=currency
        )
        return WhatIf.between(self.figures(), trial.figures(), commission=commission, currency=currency)

    def check_order(
        self,
        *,
        terms: Terms,
        buy: bool,
        quantity: Decimal,
        price: Decimal,
        commission: Decimal = ZERO,
        commission_currency: str = "",
    ) -> Rejection | None:
        """IB's 201 when the order would leave less equity with loan value than initial margin; None if fine."""
        held = self.positions[terms.con_id].quantity if terms.con_id in self.positions else ZERO
        if held and (held > 0) != buy and abs(quantity) <= abs(held):
            return None  # closing orders are always accepted
        trial = self.what_if(
            terms=terms,
            buy=buy,
            quantity=quantity,
            price=price,
            commission=commission,
            commission_currency=commission_currency,
        )
        if trial.equity_after >= trial.init_after or trial.init_after <= trial.init_before:
            return None
        base = self.base_currency
        return Rejection(
            code=201,
            text=(
                "Order rejected - reason:YOUR ORDER IS NOT ACCEPTED. IN ORDER TO OBTAIN THE DESIRED POSITION YOUR "
                f"EQUITY WITH LOAN VALUE [{trial.equity_after:.2f} {base}] MUST EXCEED THE INITIAL MARGIN "
                f"[{trial.init_after:.2f} {base}]"
            ),
        )

    # --- account values with IB's keys --------------------------------------------------------------------

    def account_values(self) -> list[tuple[str, str, str]]:
        """(key, value, currency) as updateAccountValue sends them, base keys first, then per currency."""
        per_currency = self._by_currency()
        return margin.account_values(
            account=self.account,
            account_type=self.account_type,
            base=self.base_currency,
            figures=self.figures(),
            per_currency=per_currency,
            rates={cur: self._rate(cur) for cur in per_currency},
        )

    def _by_currency(self) -> dict[str, dict[str, Decimal]]:
        out: dict[str, dict[str, Decimal]] = {}

        def add(cur: str, key: str, amount: Decimal) -> None:
            bucket = out.setdefault(cur, dict.fromkeys(margin.CURRENCY_KEYS, ZERO))
            bucket[key] += amount

        for cur, amount in self.cash.items():
            add(cur, "CashBalance", amount)
        for row in self.portfolio():
            pos = self.positions[row.con_id]
            sec_type, cur = pos.terms.sec_type, row.currency
            add(cur, "RealizedPnL", row.realized_pnl)
            add(cur, "UnrealizedPnL", row.unrealized_pnl)
            if sec_type == "FUT":
                add(cur, "FuturesPNL", row.market_value - pos.open_value)
            elif sec_type == "OPT":
                add(cur, "OptionMarketValue", row.market_value)
            elif sec_type == "FOP":
                add(cur, "FutureOptionValue", row.market_value)
            elif sec_type != "CASH":
                add(cur, "StockMarketValue", row.market_value)
        return out

    # --- persistence --------------------------------------------------------------------------------------

    def copy(self) -> Ledger:
        """An independent ledger with the same books (what `from_state(to_state())` gives, without the text)."""
        twin = Ledger(
            account=self.account,
            base_currency=self.base_currency,
            cash=self.cash,
            account_type=self.account_type,
            day_trading=self.day_trading,
            trading_day=self.trading_day,
        )
        twin.rates = dict(self.rates)
        twin.marks = dict(self.marks)
        twin.day_trades = list(self.day_trades)
        twin.previous_equity = self.previous_equity
        twin.positions = {con_id: copy.copy(pos) for con_id, pos in self.positions.items()}
        twin._underlyings = set(self._underlyings)
        return twin

    def to_state(self) -> dict[str, Any]:
        """Plain, JSON-ready values (Decimals as text) that `from_state` turns back into the same books."""
        return {**self.header_state(), "positions": [_position_doc(p) for p in self.positions.values()]}

    def header_state(self) -> dict[str, Any]:
        """`to_state()` without the positions: what every fill changes besides its own position."""
        return {
            "account": self.account,
            "base_currency": self.base_currency,
            "account_type": self.account_type,
            "day_trading": self.day_trading,
            "trading_day": None if self.trading_day is None else self.trading_day.isoformat(),
            "cash": {k: str(v) for k, v in self.cash.items()},
            "rates": {k: str(v) for k, v in self.rates.items()},
            "marks": {str(k): str(v) for k, v in self.marks.items()},
            "day_trades": list(self.day_trades),
            "previous_equity": None if self.previous_equity is None else str(self.previous_equity),
        }

    def position_state(self, con_id: int) -> dict[str, Any] | None:
        """One entry of `to_state()["positions"]`; None when the ledger holds no such position."""
        pos = self.positions.get(con_id)
        return None if pos is None else _position_doc(pos)

    @classmethod
    def from_state(cls, state: Mapping[str, Any], positions: Iterable[Mapping[str, Any]] = ()) -> Ledger:
        """The books of `to_state()`, or of `header_state()` with the `position_state`s passed beside it."""
        day = state["trading_day"]
        ledger = cls(
            account=state["account"],
            base_currency=state["base_currency"],
            cash={k: Decimal(v) for k, v in state["cash"].items()},
            account_type=state["account_type"],
            day_trading=bool(state["day_trading"]),
            trading_day=None if day is None else date.fromisoformat(day),
        )
        ledger.rates = {k: Decimal(v) for k, v in state["rates"].items()}
        ledger.marks = {int(k): Decimal(v) for k, v in state["marks"].items()}
        ledger.day_trades = [int(n) for n in state["day_trades"]]
        previous = state["previous_equity"]
        ledger.previous_equity = None if previous is None else Decimal(previous)
        for item in [*state.get("positions", ()), *positions]:
            t = dict(item["terms"])
            for name in ("multiplier", "initial_margin", "maint_margin"):
                t[name] = None if t[name] is None else Decimal(t[name])
            values = {k: v for k, v in item.items() if k != "terms"}
            for name in ("quantity", "cost", "open_value", "realized", "day_flow", "start_quantity", "start_price"):
                values[name] = Decimal(values[name])
            pos = _Position(terms=Terms(**t), **values)
            ledger.positions[pos.terms.con_id] = pos
            if pos.terms.underlying_con_id:
                ledger._underlyings.add(pos.terms.underlying_con_id)
        return ledger


_TERMS_FIELDS = tuple(f.name for f in fields(Terms))
_POSITION_FIELDS = tuple(f.name for f in fields(_Position) if f.name != "terms")


def _plain(x: object) -> object:
    return str(x) if isinstance(x, Decimal) else x


def _position_doc(pos: _Position) -> dict[str, Any]:
    terms = pos.terms
    doc: dict[str, Any] = {"terms": {name: _plain(getattr(terms, name)) for name in _TERMS_FIELDS}}
    for name in _POSITION_FIELDS:
        doc[name] = _plain(getattr(pos, name))
    return doc
