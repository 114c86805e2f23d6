"""IB's daily reset windows and the gateway's own restart, as configuration: is `now` inside one, when is the next.

IB's system status page (interactivebrokers.com/.../systemStatus.php, the current version) gives, Sunday to
Friday: North America 00:15-01:45 ET, Europe 06:25-07:45 CET, Asia-Pacific 04:45-06:05 and 20:15-21:15 HKT;
and for the weekend, Friday 23:00 to Saturday 03:00 ET in every region. An older version of the page gave
23:45-00:45 ET, 05:45-06:45 CET and 20:15-21:00 HKT; both are IB's words, so the windows are settings.
During a window the account is unavailable for seconds to minutes, not the whole window: the supervisor waits
out trouble inside one without alarms (Health.RESETTING) but is READY as soon as the session is.

TWS and IB Gateway also restart themselves daily at a time the user sets (`auto_restart`). Each Sunday at
01:00 ET IB invalidates the login tokens, so the first automatic restart after that needs a manual login
(`needs_manual_login`): a reconnect loop waiting then should say so instead of retrying quietly.

Windows are given in their own zone (zoneinfo), so they follow daylight saving time. A start inside the
spring-forward gap is read with the offset before the change (an hour later on the new clock); an ambiguous
wall time in the autumn is its first occurrence (fold 0). A window is shorter than a day; it may cross midnight.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ibbot.errors import ConfigError

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
EVERY_DAY = frozenset(range(7))
SUNDAY_TO_FRIDAY = frozenset({SUN, MON, TUE, WED, THU, FRI})


class WindowKind(enum.Enum):
    SERVER_RESET = "server reset"  # IB's nightly reset of its servers
    WEEKEND_MAINTENANCE = "weekend maintenance"
    AUTO_RESTART = "auto restart"  # TWS / IB Gateway restarting itself at the time the user set


@dataclass(frozen=True, slots=True, kw_only=True)
class ResetWindow:
    name: str
    zone: str  # an IANA zone: "America/New_York"
    start: time  # wall-clock time in `zone`
    end: time  # earlier than or equal to start: the window ends the next day
    days: frozenset[int] = EVERY_DAY  # weekdays (Monday 0) on which the window starts, in `zone`
    kind: WindowKind = WindowKind.SERVER_RESET

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"reset window {self.name!r}: unknown time zone {self.zone!r}") from None
        if self.start == self.end:
            raise ConfigError(f"reset window {self.name!r}: start and end are both {self.start:%H:%M}")
        if not self.days or not self.days <= EVERY_DAY:
            raise ConfigError(f"reset window {self.name!r}: days must be weekdays 0 (Monday) to 6 (Sunday)")

    def starting_on(self, day: date) -> ResetPeriod | None:
        """The occurrence that starts on local date `day`, or None if the window does not run that day."""
        if day.weekday() not in self.days:
            return None
        zone = ZoneInfo(self.zone)
        end_day = day if self.end > self.start else day + timedelta(days=1)
        start = datetime.combine(day, self.start, tzinfo=zone).astimezone(UTC)
        end = datetime.combine(end_day, self.end, tzinfo=zone).astimezone(UTC)
        return ResetPeriod(window=self, start=start, end=end)


@dataclass(frozen=True, slots=True, kw_only=True)
class ResetPeriod:
    """One occurrence of a window, in UTC: [start, end)."""

    window: ResetWindow
    start: datetime
    end: datetime

    def contains(self, now: datetime) -> bool:
        return self.start <= now < self.end


_ET, _CET, _HKT = "America/New_York", "Europe/Zurich", "Asia/Hong_Kong"  # IB's European centre is in Zug

NORTH_AMERICA = ResetWindow(
    name="IB North America reset", zone=_ET, start=time(0, 15), end=time(1, 45), days=SUNDAY_TO_FRIDAY
)
EUROPE = ResetWindow(name="IB Europe reset", zone=_CET, start=time(6, 25), end=time(7, 45), days=SUNDAY_TO_FRIDAY)
ASIA_FIRST = ResetWindow(
    name="IB Asia-Pacific first reset", zone=_HKT, start=time(4, 45), end=time(6, 5), days=SUNDAY_TO_FRIDAY
)
ASIA_SECOND = ResetWindow(
    name="IB Asia-Pacific second reset", zone=_HKT, start=time(20, 15), end=time(21, 15), days=SUNDAY_TO_FRIDAY
)
WEEKEND = ResetWindow(
    name="IB weekend maintenance", zone=_ET, start=time(23, 0), end=time(3, 0), days=frozenset({FRI}),
    kind=WindowKind.WEEKEND_MAINTENANCE,
)  # fmt: skip
REGIONS: dict[str, tuple[ResetWindow, ...]] = {
    "north_america": (NORTH_AMERICA,),
    "europe": (EUROPE,),
    "asia": (ASIA_FIRST, ASIA_SECOND),
}
TOKEN_INVALIDATION = (SUN, time(1, 0), _ET)  # weekday, wall time, zone


def ib_windows(regions: Iterable[str] = ("north_america",)) -> tuple[ResetWindow, ...]:
    """IB's documented windows for the regions of the servers an account is on, plus the weekend one."""
    windows: list[ResetWindow] = []
    for region in regions:
        if region not in REGIONS:
            raise ConfigError(f"unknown reset region {region!r}; known: {', '.join(sorted(REGIONS))}")
        windows.extend(REGIONS[region])
    return (*windows, WEEKEND)


def auto_restart(
    at: time, zone: str, *, minutes: float = 10.0, name: str = "TWS / Gateway auto restart"
) -> ResetWindow:
    """The daily restart TWS or IB Gateway makes at `at` (its "Auto restart" setting), lasting `minutes`."""
    if not 0 < minutes < 24 * 60:
        raise ConfigError(f"{name}: minutes must be between 0 and a day, not {minutes}")
    end = (datetime.combine(date(2000, 1, 3), at) + timedelta(minutes=minutes)).time()
    return ResetWindow(name=name, zone=zone, start=at, end=end, kind=WindowKind.AUTO_RESTART)


def _periods_around(now: datetime, windows: Iterable[ResetWindow], days: range) -> list[ResetPeriod]:
    periods = []
    for window in windows:
        today = now.astimezone(ZoneInfo(window.zone)).date()
        for offset in days:
            period = window.starting_on(today + timedelta(days=offset))
            if period is not None:
                periods.append(period)
    return sorted(periods, key=lambda p: (p.start, p.end))


def in_reset_window(now: datetime, windows: Iterable[ResetWindow]) -> ResetPeriod | None:
    """The window occurrence `now` is inside (the earliest started, if several overlap), or None."""
    inside = [p for p in _periods_around(now, windows, range(-1, 1)) if p.contains(now)]
    return inside[0] if inside else None


def next_window(now: datetime, windows: Iterable[ResetWindow]) -> ResetPeriod | None:
    """The first occurrence starting after `now`, or None when there are no windows."""
    later = [p for p in _periods_around(now, windows, range(-1, 9)) if p.start > now]
    return later[0] if later else None


def needs_manual_login(period: ResetPeriod) -> bool:
    """Whether this automatic restart is the first after Sunday's token invalidation (restarts are daily)."""
    if period.window.kind is not WindowKind.AUTO_RESTART:
        return False
    weekday, wall, zone = TOKEN_INVALIDATION
    local_day = period.start.astimezone(ZoneInfo(zone)).date()
    for back in range(2):
        day = local_day - timedelta(days=back)
        if day.weekday() == weekday:
            invalidated = datetime.combine(day, wall, tzinfo=ZoneInfo(zone)).astimezone(UTC)
            if invalidated <= period.start < invalidated + timedelta(days=1):
                return True
    return False
