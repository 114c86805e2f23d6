"""The bar fill model: how one OHLCV bar becomes the quotes the simulator's fill engine matches orders against.

Theory of operation
-------------------
A strategy acts at a bar's close; its orders meet the market from the next bar on. For each bar during which
orders are working, the engine (`ibbot.sim.trading.fills.FillEngine`, the simulator's own) sees, in order:

1. **The open**: bid = open - half spread, ask = open + half spread, last = open. Market orders fill here, a buy
   at the ask and a sell at the bid (the next bar's open plus half the spread). A limit the open gapped through
   fills at that touch (the better price); a stop the open gapped through triggers and fills at the touch.
2. **The path** open -> low -> high -> close for a bar that closed up (open -> high -> low -> close otherwise).
   Along each leg, a quote at every working order's price level the leg reaches (its stop, its limit, in the
   order the leg meets them) with that level -/+ half the spread and last = the level: a stop triggers at its
   level and fills at its level plus (buy) or minus (sell) half the spread. At each turning point a quote with
   last = the extreme and no bid or ask: a resting limit the bar traded *through* (strictly beyond it) fills
   completely at its limit price (the engine's trade-through rule), a bar that only touches it does not.
3. **Volume**: the displayed size of every quote with a bid and ask is what is left of `volume_share` x the
   bar's volume, so a market order larger than that fills partially and the rest waits for the next bar
   (a bar without volume, forex midpoints, does not limit). Trade-through limit fills are complete.

Trailing stops ratchet with the last prices of the path (the engine's rules). DAY orders do not expire:
bars carry no session boundaries (GTD orders expire at their time).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from ibbot.sim.trading.orders import OrderView
from ibbot.sim.trading.working import Quote


def decimal(value: float) -> Decimal:
    """A bar's float price as the Decimal it was written as (shortest repr, not the binary expansion)."""
    return Decimal(repr(value))


def touch_quote(price: Decimal, half: Decimal, size: Decimal | None) -> Quote:
    """The open, or a price level on the path: a market around `price` with `size` on each side."""
    return Quote(bid=price - half, ask=price + half, bid_size=size, ask_size=size, last=price)


def turn_quote(price: Decimal) -> Quote:
    """A turning point of the path: a trade at `price`, no market to take."""
    return Quote(last=price)


def path(open_: float, high: float, low: float, close: float) -> tuple[float, float, float]:
    """The turning points after the open: low then high for a bar that closed up, high then low otherwise."""
    return (low, high, close) if close >= open_ else (high, low, close)


def levels(views: Iterable[OrderView], start: Decimal, end: Decimal) -> list[Decimal]:
    """The working orders' stop and limit prices a leg from `start` to `end` reaches (after `start`, up to and
    including `end`), in the order the leg meets them."""
    rising = end > start
    found: set[Decimal] = set()
    for view in views:
        for price in (view.stop_price, view.limit_price):
            if price is None:
                continue
            if (start < price <= end) if rising else (end <= price < start):
                found.add(price)
    return sorted(found, reverse=not rising)
