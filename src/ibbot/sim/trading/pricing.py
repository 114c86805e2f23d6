"""What the engine is told about prices: the reference price of an order, the tick that applies at it, IB's
commission for an instrument of the security master, and the engine's `Quote` from the live book's.

Theory of operation
-------------------
The reference price is what the order would trade at (its limit, its trigger, else the touch): TWS checks the
tick (110), the buying power and what-if figures against it. Commissions are IB's fixed schedule
(`ibbot.sim.trading.commissions`) for the instrument's security type, currency and multiplier. A live-book quote
becomes the engine's in Decimals through each float's shortest text; its `last` counts only when a print
happened since the previous quote, and forex sizes do not limit fills (IDEALPRO's depth dwarfs a paper order).
"""

from __future__ import annotations

import math
from decimal import Decimal

from ibbot.sim.instruments.instrument import Instrument
from ibbot.sim.market.feed import Quote as FeedQuote
from ibbot.sim.market.options import OptionQuote
from ibbot.sim.trading.commissions import Commission, execution_commission
from ibbot.sim.trading.orders import OrderSpec, Trigger
from ibbot.sim.trading.working import Quote

ONE = Decimal(1)


# --- the price an order is checked at ---------------------------------------------------------------------


def reference_price(spec: OrderSpec, quote: Quote) -> Decimal | None:
    """The price an order would trade at, for tick rules, buying power and what-if: its limit, its trigger,
    else the touch it would take (then the last trade, then the midpoint)."""
    if spec.lmt_price is not None:
        return spec.lmt_price
    if spec.aux_price is not None and spec.rule.trigger in (Trigger.STOP, Trigger.TOUCH):
        return spec.aux_price
    if spec.trail_stop_price is not None:
        return spec.trail_stop_price
    touch = quote.ask if spec.is_buy else quote.bid
    return touch or quote.last or quote.mid


def tick_at(instrument: Instrument, price: Decimal | None) -> Decimal:
    """The price increment that applies at `price` (the instrument's market rule)."""
    tick = instrument.min_tick if price is None else instrument.tick_size(float(price))
    found = _TICKS.get(tick)
    if found is None:
        found = _TICKS[tick] = Decimal(str(tick))  # a handful of distinct increments exist
    return found


_TICKS: dict[float, Decimal] = {}


# --- the engine's quotes ---------------------------------------------------------------------------------------


def _price(value: float | None) -> Decimal | None:
    if value is None or not math.isfinite(value) or value <= 0:
        return None
    return Decimal(str(value))


def engine_quote(quote: FeedQuote, *, traded: bool, sized: bool = True) -> Quote:
    """The engine's quote from the live book's; `traded`: a print happened since the previous quote; `sized`:
    the displayed sizes limit fills (not for forex: IDEALPRO's depth dwarfs any paper order, and the feed's
    forex sizes are nominal)."""
    last = _price(quote.last) if traded else None
    return Quote(
        bid=_price(quote.bid),
        ask=_price(quote.ask),
        bid_size=Decimal(quote.bid_size) if sized else None,
        ask_size=Decimal(quote.ask_size) if sized else None,
        last=last,
        last_size=Decimal(quote.last_size) if last is not None else None,
    )


def option_engine_quote(quote: OptionQuote) -> Quote:
    """An option's market (derived from its underlying): bid/ask and sizes, no trades."""
    return Quote(
        bid=_price(quote.bid),
        ask=_price(quote.ask),
        bid_size=Decimal(quote.bid_size),
        ask_size=Decimal(quote.ask_size),
    )


# --- commissions --------------------------------------------------------------------------------------


def commission_of(instrument: Instrument, quantity: Decimal, price: Decimal, *, removes: bool = True) -> Commission:
    """IB's fixed-schedule commission for `quantity` at `price`. Forex is charged on the USD value: exact for
    pairs quoted in USD or based on USD; other crosses count their quote currency at par (an approximation)."""
    return execution_commission(
        sec_type=instrument.sec_type,
        currency=instrument.currency,
        pair_currency=instrument.symbol,
        multiplier=Decimal(instrument.multiplier) if instrument.multiplier else ONE,
        quantity=quantity,
        price=price,
        removes_liquidity=removes,
    )
