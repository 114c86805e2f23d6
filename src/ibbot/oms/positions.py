"""Positions and PnL from the framework's own fills (Decimal), and their comparison with IB's positions.

Average cost, as IB reports it: a fill that adds to a position moves the average price; a fill that reduces it
realizes (fill price - average) x quantity x multiplier and leaves the average alone; a fill through zero closes
the old side and opens the new one at the fill's price. Commissions are realized when they are charged (with
the fill, or later from IB's commission report) and are not folded into the average price, so `avg_cost` can
differ from IB's by the opening commission: `compare` checks quantities, which must agree exactly.

The cross-check with IB's own figures: `compare` for positions, `pnl_differences` for PnL against IB's
account values (`broker_pnl`: the RealizedPnL and UnrealizedPnL tags of reqAccountUpdates), within a tolerance,
since IB folds commissions into its average cost and marks at its own prices.

Daily PnL is by value since `start_day(marks)`: (value now - value at the day's first mark) plus the day's cash
flows (fills and commissions), i.e. what the day made whatever was traded. A position without a mark is valued
at its average price (no unrealized PnL) and listed in `PnLReport.unmarked`, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ibbot.model import AccountValue, Fill, Instrument, PnL, Position
from ibbot.protocol.types import fast_constructor

ZERO = Decimal(0)
Key = tuple[str, str]  # (account, instrument key)
_new_position = fast_constructor(Position)  # the same object as Position(...), cheaper (the book is asked often)


@dataclass(frozen=True, slots=True, kw_only=True)
class Discrepancy:
    """A holding where the framework's fills and IB disagree (a manual trade in TWS, another client's order)."""

    account: str
    instrument: Instrument
    ours: Decimal
    broker: Decimal

    @property
    def difference(self) -> Decimal:
        return self.broker - self.ours

    def __str__(self) -> str:
        return f"{self.instrument} ({self.account or 'no account'}): ours {self.ours}, IB's {self.broker}"


@dataclass(frozen=True, slots=True, kw_only=True)
class PnLReport:
    per_instrument: tuple[PnL, ...]
    total: PnL
    unmarked: tuple[str, ...] = ()  # instrument keys valued at their average price for want of a mark


class _Holding:
    __slots__ = ("avg_price", "day_cash", "day_value", "instrument", "quantity", "realized")

    def __init__(self, instrument: Instrument) -> None:
        self.instrument = instrument
        self.quantity = ZERO
        self.avg_price = ZERO  # per unit, without the multiplier
        self.realized = ZERO
        self.day_value = ZERO  # the position's value at the day's first mark
        self.day_cash = ZERO  # cash flows of the day's fills and commissions

    def value(self, mark: Decimal) -> Decimal:
        return self.quantity * mark * self.instrument.multiplier


class PositionBook:
    def __init__(self) -> None:
        self._holdings: dict[Key, _Holding] = {}

    @classmethod
    def from_positions(cls, positions: Iterable[Position]) -> PositionBook:
        """A book that starts from holdings (the journal's), `avg_cost` being per unit with the multiplier."""
        book = cls()
        for position in positions:
            holding = book._holding(position.account, position.instrument)
            holding.quantity += position.quantity
            holding.avg_price = position.avg_cost / position.instrument.multiplier
        return book

    def _holding(self, account: str, instrument: Instrument) -> _Holding:
        key = (account, instrument.key)
        holding = self._holdings.get(key)
        if holding is None:
            holding = self._holdings[key] = _Holding(instrument)
        return holding

    def apply(self, fill: Fill) -> None:
        """One new fill (the order manager has already dropped duplicates)."""
        holding = self._holding(fill.account, fill.instrument)
        signed, price, multiplier = fill.signed_quantity, fill.price, fill.instrument.multiplier
        held = holding.quantity
        if held == 0 or (held > 0) == (signed > 0):
            holding.avg_price = (held * holding.avg_price + signed * price) / (held + signed)
        else:
            closed = min(abs(signed), abs(held))
            direction = 1 if held > 0 else -1
            holding.realized += closed * (price - holding.avg_price) * direction * multiplier
            if abs(signed) > abs(held):
                holding.avg_price = price  # through zero: the rest opens the other side at this price
            elif abs(signed) == abs(held):
                holding.avg_price = ZERO
        holding.quantity = held + signed
        holding.day_cash -= signed * price * multiplier
        if fill.commission is not None:
            self.charge(fill.account, fill.instrument, fill.commission)

    def charge(self, account: str, instrument: Instrument, commission: Decimal) -> None:
        """A commission (IB's commission report, often after its fill): realized at once."""
        holding = self._holding(account, instrument)
        holding.realized -= commission
        holding.day_cash -= commission

    def start_day(self, marks: Mapping[str, Decimal]) -> None:
        """The trading day starts: value each holding at `marks` (by instrument key), reset the day's flows."""
        for holding in self._holdings.values():
            mark = marks.get(holding.instrument.key, holding.avg_price)
            holding.day_value = holding.value(mark)
            holding.day_cash = ZERO

    def positions(self) -> tuple[Position, ...]:
        return tuple(
            _new_position(
                account=account,
                instrument=holding.instrument,
                quantity=holding.quantity,
                avg_cost=holding.avg_price * holding.instrument.multiplier,
            )
            for (account, _), holding in self._holdings.items()
            if holding.quantity != 0
        )

    def quantity(self, instrument: Instrument, account: str = "") -> Decimal:
        holding = self._holdings.get((account, instrument.key))
        return ZERO if holding is None else holding.quantity

    def pnl(self, marks: Mapping[str, Decimal], time: datetime | None = None) -> PnLReport:
        """Realized, unrealized and daily PnL per holding and in total, at `marks` (by instrument key)."""
        rows: list[PnL] = []
        unmarked: list[str] = []
        for holding in self._holdings.values():
            mark = marks.get(holding.instrument.key)
            if mark is None:
                if holding.quantity != 0:
                    unmarked.append(holding.instrument.key)
                mark = holding.avg_price
            unrealized = (mark - holding.avg_price) * holding.quantity * holding.instrument.multiplier
            daily = holding.value(mark) - holding.day_value + holding.day_cash
            rows.append(
                PnL(
                    realized=holding.realized,
                    unrealized=unrealized,
                    daily=daily,
                    instrument=holding.instrument,
                    time=time,
                )
            )
        total = PnL(
            realized=sum((row.realized for row in rows), ZERO),
            unrealized=sum((row.unrealized for row in rows), ZERO),
            daily=sum((row.daily for row in rows), ZERO),
            time=time,
        )
        return PnLReport(per_instrument=tuple(rows), total=total, unmarked=tuple(unmarked))

    def compare(self, broker_positions: Iterable[Position]) -> list[Discrepancy]:
        """Holdings whose quantity differs from IB's, by (account, instrument); flat and absent are the same."""
        theirs: dict[Key, tuple[Instrument, Decimal]] = {}
        for position in broker_positions:
            key = (position.account, position.instrument.key)
            _, quantity = theirs.get(key, (position.instrument, ZERO))
            theirs[key] = (position.instrument, quantity + position.quantity)
        found: list[Discrepancy] = []
        for key in sorted(set(theirs) | set(self._holdings)):
            ours = self._holdings[key].quantity if key in self._holdings else ZERO
            instrument, broker = theirs.get(key, (None, ZERO))
            if ours != broker:
                shown = instrument if instrument is not None else self._holdings[key].instrument
                found.append(Discrepancy(account=key[0], instrument=shown, ours=ours, broker=broker))
        return found


_PNL_TAGS = {"RealizedPnL": "realized", "UnrealizedPnL": "unrealized"}


def broker_pnl(values: Iterable[AccountValue], currency: str = "USD") -> PnL:
    """IB's realized and unrealized PnL from its account values in `currency` (absent tags count as zero)."""
    found = {name: ZERO for name in _PNL_TAGS.values()}
    for value in values:
        name = _PNL_TAGS.get(value.tag)
        amount = value.as_decimal() if name is not None and value.currency == currency else None
        if name is not None and amount is not None:
            found[name] += amount
    return PnL(realized=found["realized"], unrealized=found["unrealized"])


def pnl_differences(ours: PnL, broker: PnL, tolerance: Decimal) -> tuple[str, ...]:
    """The PnL figures where ours and IB's differ by more than `tolerance`, as readable lines."""
    return tuple(
        f"{name} PnL: ours {mine}, IB's {theirs}"
        for name, mine, theirs in (
            ("realized", ours.realized, broker.realized),
            ("unrealized", ours.unrealized, broker.unrealized),
        )
        if abs(mine - theirs) > tolerance
    )
