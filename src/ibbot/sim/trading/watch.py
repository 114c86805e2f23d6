"""Live quotes for working orders: which instruments stay subscribed in the live book while orders work on
them, and the engine quotes (with their trading-hours state) derived from the book's changed quotes.

Theory of operation
-------------------
An instrument is subscribed (`prices.subscribe`, reference-counted with market data and the accounts) once
when its first order starts working, and released five simulated minutes after its last one ended: starting a
subscription rebuilds the instrument's trading day so far, far too slow to repeat for every order of a bot
that trades one instrument with orders that fill at once. Options have no path of their own: their
quote comes from the underlying's (`prices.option`) each time the underlying's quote changes. A quote's `last`
reaches the engine only when the print time moved since the previous quote (the engine fills resting limits
on a trade through them, and the feed repeats the last print in every quote). Trading hours: without
`exchange_hours` every moment is regular; with it the quote's state decides (regular, extended = only
outside_rth orders, closed = nothing matches).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from ibbot.sim.instruments.calendar import calendar_named
from ibbot.sim.instruments.instrument import Instrument
from ibbot.sim.market.feed import Quote as FeedQuote
from ibbot.sim.market.prices import Prices
from ibbot.sim.market.profile import EXTENDED, REGULAR
from ibbot.sim.trading.pricing import engine_quote, option_engine_quote
from ibbot.sim.trading.working import Key, Quote

OPTION_TYPES = frozenset({"OPT", "FOP"})
UNSIZED = frozenset({"CASH"})  # see pricing.engine_quote
IDLE_HOLD = timedelta(minutes=5)  # an instrument stays subscribed this long after its last order ended
_RTH = {REGULAR: True, EXTENDED: False}  # the feed's minute state -> in_rth; CLOSED is absent


class OrderWatch:
    def __init__(self, prices: Prices, *, exchange_hours: bool) -> None:
        self.prices = prices
        self.exchange_hours = exchange_hours
        self._keys: dict[int, set[Key]] = {}  # con_id -> its working orders
        self._options: dict[int, set[int]] = {}  # underlying con_id -> watched option con_ids
        self._last_trade: dict[int, int] = {}  # con_id -> print time of the previous quote
        self._quotes: dict[int, Quote] = {}  # con_id -> the engine quote last produced
        self._unsized: set[int] = set()  # watched con_ids whose displayed sizes do not limit fills (forex)
        self._idle: dict[int, datetime] = {}  # con_id -> when its last order ended (still subscribed)
        self._book_quotes: dict[int, tuple[FeedQuote, Quote]] = {}  # con_id -> live quote, its engine quote
        self._priced: dict[int, int] = {}  # subscribed con_id -> the con_id whose quote prices it

    def __bool__(self) -> bool:
        return bool(self._keys)

    def add(self, key: Key, con_id: int, now: datetime) -> None:
        keys = self._keys.get(con_id)
        if keys is None:
            if self._idle.pop(con_id, None) is None:
                self._subscribe(con_id, now)
            keys = self._keys[con_id] = set()
            instrument = self.prices.instrument(con_id)
            if instrument.sec_type in OPTION_TYPES:
                self._options.setdefault(instrument.under_con_id, set()).add(con_id)
            else:
                self._last_trade[con_id] = self.prices.quote(con_id).last_time
                if instrument.sec_type in UNSIZED:
                    self._unsized.add(con_id)
        keys.add(key)

    def remove(self, key: Key, con_id: int, now: datetime) -> None:
        keys = self._keys.get(con_id)
        if keys is None or key not in keys:
            return
        keys.discard(key)
        if keys:
            return
        del self._keys[con_id]
        self._quotes.pop(con_id, None)
        self._last_trade.pop(con_id, None)
        self._unsized.discard(con_id)
        for options in self._options.values():
            options.discard(con_id)
        self._idle[con_id] = now  # released by `updates` after IDLE_HOLD unless another order comes

    def hold(self, con_id: int, now: datetime) -> None:
        """Make sure `con_id` has a live quote now (an order is being checked), kept at least IDLE_HOLD."""
        if con_id in self._keys:
            return
        if self._idle.pop(con_id, None) is None:
            self._subscribe(con_id, now)
        self._idle[con_id] = now

    def _subscribe(self, con_id: int, now: datetime) -> None:
        self.prices.subscribe(con_id, now)
        self._priced[con_id] = self.prices.priced_con_id(con_id)

    def _release_idle(self, now: datetime) -> None:
        for con_id, since in list(self._idle.items()):
            if now - since >= IDLE_HOLD or now < since:
                del self._idle[con_id]
                self._book_quotes.pop(con_id, None)
                # by the priced conId: an option that has expired meanwhile is no longer in the master
                self.prices.unsubscribe(self._priced.pop(con_id, con_id))

    def market(self, instrument: Instrument, now: datetime) -> Quote:
        """The current market of a subscribed instrument: the quote last matched if it has working orders
        (so orders placed between two quotes share its displayed size), else the live book's."""
        known = self._quotes.get(instrument.con_id)
        if known is not None:
            return known
        if instrument.sec_type in OPTION_TYPES:
            return option_engine_quote(self.prices.option(instrument.con_id, now)[0])
        live = self.prices.quote(instrument.con_id)
        known_live = self._book_quotes.get(instrument.con_id)
        if known_live is not None and known_live[0] == live:
            return known_live[1]  # the same live quote as for the previous order: the same engine quote
        matched = engine_quote(live, traded=True, sized=instrument.sec_type not in UNSIZED)
        self._book_quotes[instrument.con_id] = (live, matched)
        return matched

    def in_rth(self, instrument: Instrument, now: datetime) -> bool | None:
        """True in regular hours, False in extended hours, None when closed."""
        if not self.exchange_hours:
            return True
        calendar = calendar_named(instrument.calendar)
        if calendar.is_open(now, liquid=True):
            return True
        return False if calendar.is_open(now) else None

    def updates(self, quotes: list[FeedQuote], now: datetime) -> Iterator[tuple[int, Quote, bool]]:
        """(con_id, engine quote, in_rth) for every watched instrument whose market changed."""
        if self._idle:
            self._release_idle(now)
        if not self._keys:
            return
        for quote in quotes:
            con_id = quote.con_id
            previous = self._last_trade.get(con_id)
            if previous is not None:
                self._last_trade[con_id] = quote.last_time
            rth = True if not self.exchange_hours else _RTH.get(quote.state)
            if rth is None:
                continue  # closed: nothing triggers or fills
            if con_id in self._keys:
                traded = previous is not None and quote.last_time != previous
                sized = con_id not in self._unsized
                matched = self._quotes[con_id] = engine_quote(quote, traded=traded, sized=sized)
                yield con_id, matched, rth
            for option in sorted(self._options.get(con_id, ())):
                matched = self._quotes[option] = option_engine_quote(self.prices.option(option, now)[0])
                yield option, matched, rth
