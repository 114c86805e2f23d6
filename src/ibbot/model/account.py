"""Account values: positions, account values as IB reports them (tag, value, currency) and PnL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ibbot.model.instruments import Instrument

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Position:
    """A holding: signed quantity (negative = short) and the average cost per unit (multiplier included)."""

    account: str
    instrument: Instrument
    quantity: Decimal
    avg_cost: Decimal = ZERO

    @property
    def is_flat(self) -> bool:
        return self.quantity == 0


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountValue:
    """One of IB's account values (`NetLiquidation`, `TotalCashValue`, `BuyingPower` ...) as text."""

    account: str
    tag: str
    value: str
    currency: str = ""

    def as_decimal(self) -> Decimal | None:
        try:
            return Decimal(self.value)
        except ArithmeticError:
            return None


@dataclass(frozen=True, slots=True, kw_only=True)
class PnL:
    """Profit and loss, per instrument (`instrument` set) or for the account (`instrument` None)."""

    realized: Decimal = ZERO
    unrealized: Decimal = ZERO
    daily: Decimal = ZERO  # since the start of the trading day, realized plus unrealized
    instrument: Instrument | None = None
    time: datetime | None = None

    @property
    def total(self) -> Decimal:
        return self.realized + self.unrealized
