"""Every instrument's price: one deterministic path per priced instrument, the shared live book, and option
quotes derived from their underlying (Black-Scholes on the underlying's live mid).

Market data, matching and the ledger all read prices here, so a fill, a tick and a portfolio mark at the same
second agree. The live book is reference-counted: whoever needs live quotes of an instrument (a market-data
line, a working order, a position to mark) subscribes, and unsubscribes when done.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime, time

from ibbot.sim.instruments.calendar import calendar_named
from ibbot.sim.instruments.instrument import Instrument
from ibbot.sim.instruments.master import SecurityMaster
from ibbot.sim.market.feed import LiveBook, Quote
from ibbot.sim.market.model import PriceModel
from ibbot.sim.market.options import OptionQuote, option_quote
from ibbot.sim.market.path import PricePath

RATE = 0.04  # the simulated risk-free rate, for option values
_SECONDS_PER_YEAR = 365.25 * 86_400
_DAILY_VOLUME = {"STK": 20_000_000, "FUT": 1_500_000, "IND": 0, "CASH": 0}
# Forex quotes on IDEALPRO show sizes in units of the base currency, in the millions; 100,000 is a standard lot.
_LOT = {"STK": 100, "FUT": 1, "IND": 1, "CASH": 100_000}


def price_model(instrument: Instrument, *, around_the_clock: bool = False) -> PriceModel:
    """The path parameters of a priced (non-option) instrument; `around_the_clock`: every hour liquid."""
    return PriceModel(
        con_id=instrument.con_id,
        ref_price=instrument.reference_price or 100.0,
        annual_vol=instrument.volatility or 0.2,
        min_tick=instrument.min_tick,
        calendar=calendar_named(instrument.calendar),
        typical_daily_volume=_DAILY_VOLUME.get(instrument.sec_type, 1_000_000),
        lot_size=_LOT.get(instrument.sec_type, 100),
        quote_depth_lots=20 if instrument.sec_type == "CASH" else 0,
        around_the_clock=around_the_clock,
    )


class Prices:
    def __init__(self, securities: SecurityMaster, seed: int, *, around_the_clock: bool = False) -> None:
        self.securities = securities
        self.seed = seed
        self.around_the_clock = around_the_clock  # every hour trades like a liquid one (no exchange hours)
        self.book = LiveBook()
        self._paths: dict[int, PricePath] = {}
        self._holders: Counter[int] = Counter()  # live subscriptions per priced con_id

    def instrument(self, con_id: int) -> Instrument:
        instrument = self.securities.by_con_id(con_id)
        if instrument is None:
            raise KeyError(con_id)
        return instrument

    def priced_con_id(self, con_id: int) -> int:
        """The instrument whose path gives this one's price: itself, or an option's underlying."""
        instrument = self.instrument(con_id)
        return instrument.under_con_id if instrument.sec_type in ("OPT", "FOP") else con_id

    def path(self, con_id: int) -> PricePath:
        """The deterministic path of a priced instrument (built once, then cached)."""
        path = self._paths.get(con_id)
        if path is None:
            model = price_model(self.instrument(con_id), around_the_clock=self.around_the_clock)
            path = PricePath(model, seed=self.seed)
            self._paths[con_id] = path
        return path

    # --- live ------------------------------------------------------------------------------------------

    def subscribe(self, con_id: int, now: datetime) -> None:
        priced = self.priced_con_id(con_id)
        if self._holders[priced] == 0:
            self.book.subscribe(self.path(priced), now)
        self._holders[priced] += 1

    def unsubscribe(self, con_id: int) -> None:
        priced = self.priced_con_id(con_id)
        if self._holders[priced] <= 0:
            return
        self._holders[priced] -= 1
        if self._holders[priced] == 0:
            del self._holders[priced]
            self.book.unsubscribe(priced)

    def step(self, now: datetime) -> list[Quote]:
        """Advance every live instrument to `now`; the quotes that changed."""
        return self.book.step(now)

    def quote(self, con_id: int) -> Quote:
        """The live quote of a subscribed priced instrument."""
        return self.book.quote(con_id)

    def option(self, con_id: int, now: datetime) -> tuple[OptionQuote, Quote]:
        """An option's market from its (subscribed) underlying's live quote, and that quote."""
        option = self.instrument(con_id)
        under = self.book.quote(option.under_con_id)
        spot = (under.bid + under.ask) / 2 if under.bid > 0 and under.ask > 0 else (under.last or under.bid)
        expiry = option.expiry
        if expiry is None:
            raise KeyError(con_id)
        close = datetime.combine(expiry, time(20, 0), tzinfo=UTC)  # 16:00 New York, near enough for pricing
        years = max((close - now).total_seconds() / _SECONDS_PER_YEAR, 1.0 / _SECONDS_PER_YEAR)
        vol = self.instrument(option.under_con_id).volatility or 0.25
        quote = option_quote(option.right, spot=spot, strike=option.strike, years=years, atm_vol=vol, rate=RATE)
        return quote, under

    def mark(self, con_id: int, now: datetime) -> float | None:
        """The price to value a position at: last trade, else the mid; options at their model value."""
        instrument = self.instrument(con_id)
        if instrument.sec_type in ("OPT", "FOP"):
            return self.option(con_id, now)[0].theo
        quote = self.book.quote(con_id)
        if quote.last is not None:
            return quote.last
        mid = (quote.bid + quote.ask) / 2
        return mid if math.isfinite(mid) and mid > 0 else None
