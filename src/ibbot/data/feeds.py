"""Live data that survives reconnects: the registry of every subscription a bot holds, and how each is remade.

Theory of operation
-------------------
A `Feed` is the bot's subscription; the broker's handle behind it lasts one session. `Feeds.on_event` routes
each streamed value to its feed. When IB drops the data (a lost socket, 1101) the supervisor calls
`resubscribe()`, which opens every feed again through the governed gateway and, for bar feeds, backfills what
the outage missed before any new live value is delivered:

* quotes, tick-by-tick, depth: subscribed again; nothing to backfill (a quote is a state, not a series).
* real-time 5-second bars and the N-minute bars built from them: the 5-second bars since the last one seen are
  fetched from history and fed in order; live bars that arrive meanwhile wait in a buffer, so the aggregate has
  no gap and no bar twice.
* keepUpToDate bars: asked again with a duration reaching back past the last complete bar seen; only bars
  after it are delivered, so the series has no gap and no duplicate across the outage.

A farm back up or a competing session over (`resume()`): the streams IB ended meanwhile (keepUpToDate ends
with 10182 when the HMDS farm goes) are made again as above, and every bar series whose stream stayed open but
fell silent is refilled from history (live bars wait in the buffer meanwhile). 1102 (data kept) remakes nothing
but refills the same way: nothing streamed while TWS was cut off from IB.

Every value is delivered at most once per feed: bars strictly after the last bar the feed delivered, whatever
path they arrive by.
"""

from __future__ import annotations

import contextlib
import enum
import itertools
import logging
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from ibbot.broker.base import BrokerEvent, Streamed, StreamError, StreamValue
from ibbot.clock import Clock
from ibbot.connection.continuity import Subscription, SubscriptionKind
from ibbot.data.aggregate import BarAggregator
from ibbot.data.gateway import Gateway
from ibbot.model import Bar, BarSize, Instrument

log = logging.getLogger(__name__)


class FeedKind(enum.Enum):
    QUOTES = "quotes"
    TICKS = "tick-by-tick"
    DEPTH = "depth"
    REALTIME_BARS = "5-second bars"
    AGGREGATED_BARS = "bars from 5-second bars"
    BARS = "keepUpToDate bars"


_KINDS = {
    FeedKind.QUOTES: SubscriptionKind.QUOTES,
    FeedKind.TICKS: SubscriptionKind.TICKS,
    FeedKind.DEPTH: SubscriptionKind.DEPTH,
    FeedKind.REALTIME_BARS: SubscriptionKind.REALTIME_BARS,
    FeedKind.AGGREGATED_BARS: SubscriptionKind.BARS,
    FeedKind.BARS: SubscriptionKind.KEEP_UP_TO_DATE_HISTORY,
}
_SERIES = frozenset({FeedKind.REALTIME_BARS, FeedKind.AGGREGATED_BARS, FeedKind.BARS})
Callback = Callable[[StreamValue], None]


@dataclass(eq=False, slots=True, kw_only=True)
class Feed:
    """One subscription the bot holds. `values` receives what it streams (set `callback`, or read `last`)."""

    id: int
    kind: FeedKind
    instrument: Instrument
    callback: Callback | None = None
    generic_ticks: str = ""
    bar_size: str = ""
    what_to_show: str = "TRADES"
    use_rth: bool = False
    handle: int | None = None
    last: StreamValue | None = None
    last_bar_time: datetime | None = None  # the last bar delivered (series feeds)
    last_input_time: datetime | None = None  # the last 5-second bar fed to the aggregator
    aggregator: BarAggregator | None = None
    buffer: list[Bar] | None = None  # live bars held back while a backfill runs
    delivered: int = 0
    error: str = ""  # why IB ended the stream, if it did

    @property
    def live(self) -> bool:
        return self.handle is not None

    @property
    def subscription(self) -> Subscription:
        """The feed as the continuity planner and its report name it."""
        params = tuple((k, v) for k, v in (("bar_size", self.bar_size), ("generic_ticks", self.generic_ticks),
                                            ("what_to_show", self.what_to_show)) if v)  # fmt: skip
        return Subscription(kind=_KINDS[self.kind], instrument=self.instrument.key, params=params)

    def describe(self) -> str:
        size = f" {self.bar_size}" if self.bar_size else ""
        return f"{self.kind.value}{size} of {self.instrument}"


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedsReport:
    resubscribed: tuple[Subscription, ...] = ()
    backfilled: tuple[tuple[Subscription, int], ...] = ()  # bars delivered by each series' backfill
    failed: tuple[tuple[Subscription, str], ...] = ()  # why a feed could not be remade


def _duration_since(moment: datetime, now: datetime, bar_seconds: int) -> str:
    """An IB durationStr reaching from `moment` (minus one bar of margin) to `now`."""
    seconds = max(math.ceil((now - moment).total_seconds()) + 2 * bar_seconds, 60)
    if seconds <= 86400:
        return f"{seconds} S"
    return f"{math.ceil(seconds / 86400)} D"


class Feeds:
    def __init__(self, gateway: Gateway, clock: Clock) -> None:
        self._gateway = gateway
        self._clock = clock
        self._feeds: dict[int, Feed] = {}
        self._by_handle: dict[int, Feed] = {}
        self._ids = itertools.count(1)
        # One resync's 5-second history, shared by every series of an instrument: two identical requests
        # within 15 s would make the governor wait out IB's rule, and the outage would grow meanwhile.
        self._fives: dict[tuple[str, str, datetime], list[Bar]] = {}

    def __iter__(self) -> Iterator[Feed]:
        return iter(list(self._feeds.values()))

    def __len__(self) -> int:
        return len(self._feeds)

    def delayed(self) -> frozenset[Instrument]:
        """The instruments whose quotes fell back to delayed data (354, 10089, 10167, 10168): marked DELAYED."""
        return self._gateway.broker.delayed_instruments()

    # --- opening and closing ------------------------------------------------------------------------------

    async def quotes(
        self, instrument: Instrument, *, generic_ticks: str = "", callback: Callback | None = None
    ) -> Feed:
        feed = Feed(
            id=next(self._ids), kind=FeedKind.QUOTES, instrument=instrument, generic_ticks=generic_ticks,
            callback=callback,
        )  # fmt: skip
        return await self._open(feed)

    async def ticks(self, instrument: Instrument, *, callback: Callback | None = None) -> Feed:
        return await self._open(Feed(id=next(self._ids), kind=FeedKind.TICKS, instrument=instrument, callback=callback))

    async def depth(self, instrument: Instrument, *, callback: Callback | None = None) -> Feed:
        return await self._open(Feed(id=next(self._ids), kind=FeedKind.DEPTH, instrument=instrument, callback=callback))

    async def realtime_bars(
        self, instrument: Instrument, *, bar_size: str = "5 secs", what_to_show: str = "TRADES",
        callback: Callback | None = None,
    ) -> Feed:  # fmt: skip
        """5-second bars, or N-minute bars built from them (`bar_size="1 min"`)."""
        size = BarSize.parse(bar_size)
        if size.seconds == 5:
            feed = Feed(
                id=next(self._ids), kind=FeedKind.REALTIME_BARS, instrument=instrument, bar_size=size.text,
                what_to_show=what_to_show, callback=callback,
            )  # fmt: skip
        else:
            feed = Feed(
                id=next(self._ids), kind=FeedKind.AGGREGATED_BARS, instrument=instrument, bar_size=size.text,
                what_to_show=what_to_show, callback=callback, aggregator=BarAggregator(size.text),
            )  # fmt: skip
        return await self._open(feed)

    async def bars(
        self, instrument: Instrument, bar_size: str, *, lookback: str = "3600 S", what_to_show: str = "TRADES",
        use_rth: bool = False, callback: Callback | None = None,
    ) -> tuple[Feed, list[Bar]]:  # fmt: skip
        """keepUpToDate bars: the complete bars of `lookback`, then each new bar once it is complete."""
        feed = Feed(
            id=next(self._ids), kind=FeedKind.BARS, instrument=instrument, bar_size=BarSize.parse(bar_size).text,
            what_to_show=what_to_show, use_rth=use_rth, callback=callback,
        )  # fmt: skip
        self._feeds[feed.id] = feed
        try:
            initial = await self._open_bars(feed, lookback)
        except BaseException:
            del self._feeds[feed.id]
            raise
        return feed, initial

    async def _open(self, feed: Feed) -> Feed:
        self._feeds[feed.id] = feed
        try:
            await self._subscribe(feed)
        except BaseException:
            del self._feeds[feed.id]
            raise
        return feed

    async def _subscribe(self, feed: Feed) -> None:
        gw = self._gateway
        if feed.kind is FeedKind.QUOTES:
            handle = await gw.subscribe_quotes(feed.instrument, generic_ticks=feed.generic_ticks)
        elif feed.kind is FeedKind.TICKS:
            handle = await gw.subscribe_tick_by_tick(feed.instrument)
        elif feed.kind is FeedKind.DEPTH:
            handle = await gw.subscribe_depth(feed.instrument)
        elif feed.kind in (FeedKind.REALTIME_BARS, FeedKind.AGGREGATED_BARS):
            handle = await gw.subscribe_realtime_bars(feed.instrument, what_to_show=feed.what_to_show)
        else:
            raise ValueError(f"{feed.describe()} is opened with _open_bars")
        self._attach(feed, handle)

    async def _open_bars(self, feed: Feed, lookback: str) -> list[Bar]:
        handle, bars = await self._gateway.subscribe_history(
            feed.instrument, duration=lookback, bar_size=feed.bar_size, what_to_show=feed.what_to_show,
            use_rth=feed.use_rth,
        )  # fmt: skip
        complete = self._complete(bars, self._seconds(feed))
        fresh = [b for b in complete if feed.last_bar_time is None or b.time > feed.last_bar_time]
        if fresh:
            feed.last_bar_time = fresh[-1].time
        self._attach(feed, handle)
        return fresh

    def _complete(self, bars: list[Bar], bar_seconds: int) -> list[Bar]:
        """Bars whose end has passed: IB's answer may end with the bar still being built."""
        now = self._clock.now()
        size = timedelta(seconds=bar_seconds)
        return [b for b in bars if b.time + size <= now]

    def _attach(self, feed: Feed, handle: int) -> None:
        feed.handle = handle
        feed.error = ""
        self._by_handle[handle] = feed

    async def close(self, feed: Feed) -> None:
        self._feeds.pop(feed.id, None)
        handle, feed.handle = feed.handle, None
        if handle is not None:
            self._by_handle.pop(handle, None)
            await self._gateway.unsubscribe(handle)

    async def close_all(self) -> None:
        for feed in list(self._feeds.values()):
            await self.close(feed)

    # --- values -------------------------------------------------------------------------------------------

    def on_event(self, event: BrokerEvent) -> None:
        if isinstance(event, Streamed):
            feed = self._by_handle.get(event.handle)
            if feed is not None:
                self._on_value(feed, event.value)
        elif isinstance(event, StreamError):
            feed = self._by_handle.pop(event.handle, None)
            self._gateway.stream_ended(event.handle)
            if feed is not None:
                feed.handle = None
                feed.error = f"IB error {event.code}: {event.text}"
                log.warning("%s ended: %s", feed.describe(), feed.error)

    def _on_value(self, feed: Feed, value: StreamValue) -> None:
        if feed.kind is FeedKind.AGGREGATED_BARS and isinstance(value, Bar):
            if feed.buffer is not None:
                feed.buffer.append(value)
                return
            self._aggregate(feed, value)
        elif feed.kind in (FeedKind.BARS, FeedKind.REALTIME_BARS) and isinstance(value, Bar):
            if feed.buffer is not None:  # a backfill is running: it delivers first
                feed.buffer.append(value)
                return
            self._deliver_bar(feed, value)
        else:
            self._deliver(feed, value)

    def _aggregate(self, feed: Feed, five: Bar) -> None:
        assert feed.aggregator is not None
        if feed.last_input_time is not None and five.time <= feed.last_input_time:
            return
        feed.last_input_time = five.time
        for bar in feed.aggregator.add(five):
            self._deliver_bar(feed, bar)

    def _deliver_bar(self, feed: Feed, bar: Bar) -> bool:
        if feed.last_bar_time is not None and bar.time <= feed.last_bar_time:
            return False  # already delivered: a repeat after a reconnect
        feed.last_bar_time = bar.time
        if feed.kind is FeedKind.REALTIME_BARS:
            feed.last_input_time = bar.time
        self._deliver(feed, bar)
        return True

    def _deliver(self, feed: Feed, value: StreamValue) -> None:
        feed.last = value
        feed.delivered += 1
        if feed.callback is not None:
            try:
                feed.callback(value)
            except Exception:  # a bot's callback must not break the feed for the others
                log.exception("the callback of %s raised", feed.describe())

    # --- continuity ---------------------------------------------------------------------------------------

    def session_lost(self) -> None:
        """IB's subscriptions are gone with the session (or 1101): drop the broker's streams, keep the feeds.

        After 1101 the socket stays up and the broker still holds its streams, so each is closed (a cancel IB
        may answer with 300, harmless); after a lost socket the broker has closed them already.
        """
        for feed in self._feeds.values():
            if feed.handle is not None:
                self._by_handle.pop(feed.handle, None)
                with contextlib.suppress(ValueError):  # already gone with the socket
                    self._gateway.broker.unsubscribe(feed.handle)
            feed.handle = None
        self._gateway.session_lost()

    async def resubscribe(self) -> FeedsReport:
        """Open every feed again; bar series are backfilled across the outage before live values flow."""
        resubscribed: list[Subscription] = []
        backfilled: list[tuple[Subscription, int]] = []
        failed: list[tuple[Subscription, str]] = []
        self._fives.clear()
        for feed in list(self._feeds.values()):
            if feed.handle is not None:
                continue
            try:
                count = await self._remake(feed)
            except Exception as exc:  # one feed that cannot be remade must not keep the others down
                failed.append((feed.subscription, str(exc)))
                log.error("could not resubscribe %s: %s", feed.describe(), exc)
                continue
            resubscribed.append(feed.subscription)
            if count is not None:
                backfilled.append((feed.subscription, count))
        return FeedsReport(resubscribed=tuple(resubscribed), backfilled=tuple(backfilled), failed=tuple(failed))

    def hold(self) -> None:
        """The data fell silent on a live session (1100, a market farm down, a competing session): from now on
        each bar series keeps its live bars back, so that `resume()` can put the silence's bars from history
        before them. Without the hold the first live bar after the silence would be delivered before the
        backfill, and the bars in between would count as repeats."""
        for feed in self._feeds.values():
            if feed.live and feed.kind in _SERIES and feed.buffer is None:
                feed.buffer = []

    async def resume(self, *, remake: bool = True) -> FeedsReport:
        """Data flows again on the same session (a farm back, a competing session over, 1102): remake what IB
        ended (`remake`), and refill from history every bar series whose stream stayed open but fell silent."""
        report = await self.resubscribe() if remake else FeedsReport()
        if not remake:
            self._fives.clear()
        remade = set(report.resubscribed)
        backfilled = list(report.backfilled)
        failed = list(report.failed)
        for feed in list(self._feeds.values()):
            if not feed.live or feed.kind not in _SERIES or feed.subscription in remade:
                continue
            try:
                backfilled.append((feed.subscription, await self._refill(feed)))
            except Exception as exc:  # one series that cannot be refilled must not keep the others silent
                failed.append((feed.subscription, str(exc)))
                log.error("could not refill %s: %s", feed.describe(), exc)
        return FeedsReport(resubscribed=report.resubscribed, backfilled=tuple(backfilled), failed=tuple(failed))

    async def _refill(self, feed: Feed) -> int:
        if feed.kind is not FeedKind.BARS:
            return await self._remake_realtime(feed, subscribe=False)
        since = feed.last_bar_time
        if since is None:
            self._flush(feed)
            return 0
        before = feed.delivered
        feed.buffer = feed.buffer if feed.buffer is not None else []  # held since the silence began
        try:
            for bar in await self._history_between(feed, feed.bar_size, since, self._clock.now()):
                self._deliver_bar(feed, bar)
        finally:
            self._flush(feed)
        return feed.delivered - before

    async def _history_between(self, feed: Feed, bar_size: str, since: datetime, end: datetime) -> list[Bar]:
        """The complete bars after `since` up to `end`: the end is explicit, so however long the request waits
        for its turn, it covers the same span."""
        seconds = BarSize.parse(bar_size).seconds
        history = await self._gateway.historical_bars(
            feed.instrument, end=end, duration=_duration_since(since, end, seconds), bar_size=bar_size,
            what_to_show=feed.what_to_show, use_rth=feed.use_rth if feed.kind is FeedKind.BARS else False,
        )  # fmt: skip
        size = timedelta(seconds=seconds)
        return [b for b in history if b.time > since and b.time + size <= end]

    def _flush(self, feed: Feed) -> None:
        """The backfill is done: the live bars that arrived meanwhile follow it (repeats are dropped)."""
        waiting, feed.buffer = feed.buffer or [], None
        for bar in waiting:
            if feed.kind is FeedKind.BARS:
                self._deliver_bar(feed, bar)
            else:
                self._feed_five(feed, bar)

    async def _remake(self, feed: Feed) -> int | None:
        if feed.kind is FeedKind.BARS:
            since = feed.last_bar_time
            before = feed.delivered
            lookback = "3600 S" if since is None else _duration_since(since, self._clock.now(), self._seconds(feed))
            feed.buffer = []
            try:
                bars = await self._open_bars_again(feed, lookback)
                if since is not None and bars and bars[0].time - since > BarSize.parse(feed.bar_size).delta:
                    # The answer starts later than asked (the request waited its turn): fetch the gap first.
                    for bar in await self._history_between(feed, feed.bar_size, since, bars[0].time):
                        self._deliver_bar(feed, bar)
                for bar in bars:
                    self._deliver_bar(feed, bar)
            finally:
                self._flush(feed)
            return feed.delivered - before
        if feed.kind in (FeedKind.REALTIME_BARS, FeedKind.AGGREGATED_BARS):
            return await self._remake_realtime(feed)
        await self._subscribe(feed)
        return None

    async def _open_bars_again(self, feed: Feed, lookback: str) -> list[Bar]:
        handle, bars = await self._gateway.subscribe_history(
            feed.instrument, duration=lookback, bar_size=feed.bar_size, what_to_show=feed.what_to_show,
            use_rth=feed.use_rth,
        )  # fmt: skip
        self._attach(feed, handle)
        return self._complete(bars, self._seconds(feed))

    async def _remake_realtime(self, feed: Feed, *, subscribe: bool = True) -> int:
        """Live 5-second bars again; those missed are fetched from history first, live ones wait meanwhile."""
        before = feed.delivered
        feed.buffer = feed.buffer if feed.buffer is not None and not subscribe else []
        try:
            if subscribe:
                await self._subscribe(feed)
            since = feed.last_input_time
            if since is not None:
                key = (feed.instrument.key, feed.what_to_show, since)
                if key not in self._fives:
                    self._fives[key] = await self._history_between(feed, "5 secs", since, self._clock.now())
                for bar in self._fives[key]:
                    self._feed_five(feed, bar)
        finally:
            self._flush(feed)
        return feed.delivered - before

    def _feed_five(self, feed: Feed, bar: Bar) -> None:
        if feed.kind is FeedKind.AGGREGATED_BARS:
            self._aggregate(feed, bar)
        else:
            self._deliver_bar(feed, bar)

    @staticmethod
    def _seconds(feed: Feed) -> int:
        return BarSize.parse(feed.bar_size).seconds
