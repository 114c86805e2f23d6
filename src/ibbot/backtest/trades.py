"""Round-trip trades from fills: a trade opens when a holding leaves flat and closes when it returns to flat.

A fill through zero (long 1, sell 2) closes one trade and opens the next with the rest, its commission split
by quantity as the ledger splits it. A trade's PnL is the ledger's realized PnL of its closing fills, which is
net of the commissions of both its opening and its closing fills (the opening ones are in the cost basis).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ibbot.model import Fill
from ibbot.protocol.types import fast_constructor

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Trade:
    symbol: str
    direction: str  # "long" or "short"
    quantity: Decimal  # the largest holding of the trade
    entry_time: datetime
    entry_price: Decimal  # average of the opening fills
    exit_time: datetime
    exit_price: Decimal  # average of the closing fills
    pnl: Decimal  # net of commissions
    commission: Decimal
    fills: int

    @property
    def won(self) -> bool:
        return self.pnl > 0

    def row(self) -> dict[str, str]:
        return {
            "symbol": self.symbol,
            "direction": self.direction,
            "quantity": f"{self.quantity:f}",
            "entry_time": self.entry_time.isoformat(),
            "entry_price": f"{self.entry_price:f}",
            "exit_time": self.exit_time.isoformat(),
            "exit_price": f"{self.exit_price:f}",
            "pnl": f"{self.pnl:f}",
            "commission": f"{self.commission:f}",
            "fills": str(self.fills),
        }


COLUMNS = tuple(Trade.__dataclass_fields__)
_new_trade = fast_constructor(Trade)  # the same object as Trade(...), a fifth of the cost (one per round trip)


class _Open:
    __slots__ = ("commission", "entry_notional", "entry_qty", "entry_time", "exit_notional", "exit_qty", "fills",
                 "held", "peak", "pnl", "sign")  # fmt: skip

    def __init__(self, sign: int, time: datetime) -> None:
        self.sign = sign
        self.entry_time = time
        self.held = ZERO
        self.peak = ZERO
        self.entry_qty = self.entry_notional = ZERO
        self.exit_qty = self.exit_notional = ZERO
        self.pnl = self.commission = ZERO
        self.fills = 0


class TradeBook:
    def __init__(self) -> None:
        self.closed: list[Trade] = []
        self._open: dict[str, _Open] = {}

    def record(self, fill: Fill, position_after: Decimal) -> None:
        """One fill (its `realized_pnl` is the ledger's) and the holding after it."""
        key = fill.instrument.key
        trade = self._open.get(key)
        signed = fill.signed_quantity
        commission = fill.commission or ZERO
        before = position_after - signed
        if trade is None:
            self._opened(key, fill, abs(signed), commission)
            return
        closing = min(abs(signed), abs(before)) if (before > 0) != (signed > 0) else ZERO
        opening = abs(signed) - closing
        share = commission * closing / abs(signed) if closing else ZERO
        trade.fills += 1
        if closing:
            trade.exit_qty += closing
            trade.exit_notional += closing * fill.price
            trade.held -= closing
            trade.pnl += fill.realized_pnl or ZERO
            trade.commission += share
        if trade.held == 0:
            self._close(key, trade, fill.instrument.symbol, fill.time)
            if opening:
                self._opened(key, fill, opening, commission - share)
            return
        if opening:
            trade.entry_qty += opening
            trade.entry_notional += opening * fill.price
            trade.held += opening
            trade.peak = max(trade.peak, trade.held)
            trade.commission += commission - share

    def _opened(self, key: str, fill: Fill, quantity: Decimal, commission: Decimal) -> None:
        trade = self._open[key] = _Open(fill.side.sign, fill.time)
        trade.entry_qty = trade.held = trade.peak = quantity
        trade.entry_notional = quantity * fill.price
        trade.commission = commission
        trade.pnl = ZERO  # the opening commission is in the cost basis: the closing fills' realized PnL has it
        trade.fills = 1

    def _close(self, key: str, trade: _Open, symbol: str, time: datetime) -> None:
        del self._open[key]
        self.closed.append(
            _new_trade(
                symbol=symbol,
                direction="long" if trade.sign > 0 else "short",
                quantity=trade.peak,
                entry_time=trade.entry_time,
                entry_price=trade.entry_notional / trade.entry_qty,
                exit_time=time,
                exit_price=trade.exit_notional / trade.exit_qty,
                pnl=trade.pnl,
                commission=trade.commission,
                fills=trade.fills,
            )
        )

    @property
    def open_trades(self) -> int:
        return len(self._open)
