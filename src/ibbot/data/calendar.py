"""A contract's trading calendar: IB's tradingHours/liquidHours text -> UTC sessions, and questions about them.

Theory of operation
-------------------
IB's contract details carry the hours of the next few trading dates as text in the contract's `timeZoneId`:

    current   20250102:0930-20250102:1600;20250103:CLOSED         (each session names both its dates)
    overnight 20250101:1700-20250102:1600                          (opens the evening before)
    old       20250102:0930-1600,1700-2000;20250103:CLOSED         (one date per day, times after it)

Days are separated by `;`, several sessions of one day by `,` (both are accepted anywhere). In the old form a
session whose end is not after its start crosses midnight, and `2400` is the midnight that ends the day.
`parse_sessions` reads either form (DST is zoneinfo's business) and returns sorted UTC `Session`s with
overlapping or touching ones joined, so a market open around the clock has one long session and `next_close`
is when it really closes. `TradingCalendar` answers from those sessions only: outside the dates the text
covers it knows nothing and says so (None), it does not guess.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ibbot.errors import HoursError
from ibbot.model import Instrument, Session

_ONE_DAY = timedelta(days=1)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise HoursError(f"unknown time zone {name!r} in contract details") from None


def _day(text: str, part: str) -> date:
    if len(text) != 8 or not text.isdigit():
        raise HoursError(f"hours entry {part!r}: {text!r} is not a YYYYMMDD date")
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise HoursError(f"hours entry {part!r}: {text!r} is not a date") from None


def _clock(text: str, part: str) -> tuple[time, bool]:
    """HHMM -> (time, True when it is 2400: the midnight ending the day)."""
    if len(text) != 4 or not text.isdigit():
        raise HoursError(f"hours entry {part!r}: {text!r} is not an HHMM time")
    hours, minutes = int(text[:2]), int(text[2:])
    if (hours, minutes) == (24, 0):
        return time(0), True
    if hours > 23 or minutes > 59:
        raise HoursError(f"hours entry {part!r}: {text!r} is not a time of day")
    return time(hours, minutes), False


def _moment(day: date, hhmm: str, zone: ZoneInfo, part: str) -> datetime:
    clock, next_midnight = _clock(hhmm, part)
    local = datetime.combine(day + _ONE_DAY if next_midnight else day, clock, tzinfo=zone)
    return local.astimezone(UTC)


def _endpoint(text: str, default_day: date | None, zone: ZoneInfo, part: str) -> tuple[datetime, bool]:
    """`YYYYMMDD:HHMM` or a bare `HHMM` on `default_day` -> (UTC moment, whether the date was named)."""
    day_text, colon, hhmm = text.strip().rpartition(":")
    if colon:
        return _moment(_day(day_text, part), hhmm, zone, part), True
    if default_day is None:
        raise HoursError(f"hours entry {part!r}: a time without a date")
    return _moment(default_day, hhmm, zone, part), False


def _session(part: str, day: date | None, zone: ZoneInfo) -> tuple[Session | None, date]:
    """One `start-end` entry (either form) -> its session (None if it lasts no time) and the date of bare entries."""
    left, dash, right = part.partition("-")
    if not dash or not right:
        raise HoursError(f"hours entry {part!r} is not START-END")
    start, dated = _endpoint(left, day, zone, part)
    if dated:
        day = _day(left.strip().rpartition(":")[0], part)
    end, end_dated = _endpoint(right, day, zone, part)
    if not end_dated and end <= start:
        end = _endpoint(right, _later(day), zone, part)[0]  # old form: the session crosses midnight
    if end < start:
        raise HoursError(f"hours entry {part!r} ends before it starts")
    assert day is not None  # set by the start (dated) or given (bare)
    # Equal ends: a window inside the hour a DST change skips; it is no time at all.
    return (Session(start=start, end=end) if end > start else None), day


def _later(day: date | None) -> date | None:
    return None if day is None else day + _ONE_DAY


def parse_sessions(hours_text: str, time_zone: str) -> tuple[Session, ...]:
    """IB's tradingHours or liquidHours text in `time_zone` -> sorted, joined UTC sessions (module doc)."""
    zone = _zone(time_zone)
    found: list[Session] = []
    day: date | None = None
    for raw in hours_text.replace(",", ";").split(";"):
        part = raw.strip()
        if not part:
            continue
        if part.upper().endswith(":CLOSED"):
            day = _day(part[: -len(":CLOSED")], part)
            continue
        session, day = _session(part, day, zone)
        if session is not None:
            found.append(session)
    return _joined(found)


def _joined(sessions: list[Session]) -> tuple[Session, ...]:
    ordered = sorted(sessions, key=lambda s: s.start)
    joined: list[Session] = []
    for session in ordered:
        if joined and session.start <= joined[-1].end:
            last = joined.pop()
            joined.append(Session(start=last.start, end=max(last.end, session.end)))
        else:
            joined.append(session)
    return tuple(joined)


@dataclass(frozen=True, slots=True)
class TradingCalendar:
    """Questions about a sorted tuple of disjoint sessions; every answer takes `now` (aware)."""

    sessions: tuple[Session, ...]

    def __post_init__(self) -> None:
        for before, after in zip(self.sessions, self.sessions[1:], strict=False):
            if after.start < before.end:
                raise ValueError(f"sessions overlap or are out of order: {before} and {after}")

    @classmethod
    def of(cls, instrument: Instrument, *, liquid: bool = False) -> TradingCalendar:
        """The calendar of a qualified instrument's trading (or, with `liquid`, regular) hours."""
        return cls(sessions=_joined(list(instrument.liquid_hours if liquid else instrument.trading_hours)))

    @property
    def span(self) -> Session | None:
        """From the first open to the last close the calendar knows; None when it knows no session."""
        if not self.sessions:
            return None
        return Session(start=self.sessions[0].start, end=self.sessions[-1].end)

    def _index_after(self, now: datetime) -> int:
        """Index of the first session starting strictly after `now`."""
        starts = [s.start for s in self.sessions]
        return bisect.bisect_right(starts, _aware(now))

    def session_at(self, now: datetime) -> Session | None:
        """The session open at `now`, if any."""
        index = self._index_after(now) - 1
        if index >= 0 and self.sessions[index].contains(_aware(now)):
            return self.sessions[index]
        return None

    def is_open(self, now: datetime) -> bool:
        return self.session_at(now) is not None

    def next_open(self, now: datetime) -> datetime | None:
        """The start of the first session after `now`; None when the calendar's dates end before one."""
        index = self._index_after(now)
        return self.sessions[index].start if index < len(self.sessions) else None

    def next_close(self, now: datetime) -> datetime | None:
        """The end of the session open at `now`, or of the next one; None when the calendar knows neither."""
        current = self.session_at(now)
        if current is not None:
            return current.end
        index = self._index_after(now)
        return self.sessions[index].end if index < len(self.sessions) else None

    def open_between(self, start: datetime, end: datetime) -> tuple[Session, ...]:
        """The open parts of [start, end): each session clipped to the interval."""
        parts = []
        for session in self.sessions:
            lo, hi = max(session.start, start), min(session.end, end)
            if lo < hi:
                parts.append(Session(start=lo, end=hi))
        return tuple(parts)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"{moment} is naive: pass an aware datetime (UTC)")
    return moment
