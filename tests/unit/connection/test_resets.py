"""Reset windows: IB's documented times in their own zones, across midnight and daylight saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ibbot.connection.resets import (
    NORTH_AMERICA,
    WEEKEND,
    ResetWindow,
    WindowKind,
    auto_restart,
    ib_windows,
    in_reset_window,
    needs_manual_login,
    next_window,
)
from ibbot.errors import ConfigError

ET = ZoneInfo("America/New_York")
WINDOWS = ib_windows()


def et(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ET).astimezone(UTC)


def test_inside_and_outside_the_north_america_reset() -> None:
    period = in_reset_window(et(2026, 3, 3, 0, 30), WINDOWS)  # a Tuesday
    assert period is not None
    assert period.window is NORTH_AMERICA
    assert (period.start, period.end) == (et(2026, 3, 3, 0, 15), et(2026, 3, 3, 1, 45))
    assert in_reset_window(et(2026, 3, 3, 0, 14), WINDOWS) is None
    assert in_reset_window(et(2026, 3, 3, 1, 45), WINDOWS) is None  # the end is outside
    assert in_reset_window(et(2026, 3, 3, 12, 0), WINDOWS) is None


def test_the_weekend_window_crosses_midnight_and_replaces_saturdays_reset() -> None:
    friday_night = in_reset_window(et(2026, 3, 6, 23, 30), WINDOWS)
    saturday_early = in_reset_window(et(2026, 3, 7, 2, 59), WINDOWS)
    assert friday_night is not None and friday_night.window is WEEKEND
    assert saturday_early == friday_night
    assert friday_night.end - friday_night.start == timedelta(hours=4)
    assert in_reset_window(et(2026, 3, 7, 3, 0), WINDOWS) is None
    upcoming = next_window(et(2026, 3, 7, 3, 0), WINDOWS)  # no reset on Saturday: Sunday 00:15 is next
    assert upcoming is not None
    assert upcoming.start == et(2026, 3, 8, 0, 15)


def test_windows_follow_daylight_saving_time_in_their_zone() -> None:
    # US clocks go forward on Sunday 2026-03-08: the same 00:15 ET is an hour earlier in UTC from then on
    before = next_window(et(2026, 3, 6, 12, 0), [NORTH_AMERICA])
    after = next_window(et(2026, 3, 8, 12, 0), [NORTH_AMERICA])
    assert before is not None and after is not None
    assert before.start == datetime(2026, 3, 8, 5, 15, tzinfo=UTC)  # Sunday 00:15 EST, before the 02:00 change
    assert after.start == datetime(2026, 3, 9, 4, 15, tzinfo=UTC)
    # back in November (2026-11-01): 01:45 happens twice; the window ends at the first
    autumn = next_window(et(2026, 10, 31, 12, 0), [NORTH_AMERICA])
    assert autumn is not None
    assert (autumn.start, autumn.end) == (
        datetime(2026, 11, 1, 4, 15, tzinfo=UTC), datetime(2026, 11, 1, 5, 45, tzinfo=UTC),
    )  # fmt: skip


def test_a_restart_across_the_autumn_change_lasts_its_real_length() -> None:
    window = auto_restart(time(1, 30), "America/New_York", minutes=60)
    period = window.starting_on(datetime(2026, 11, 1).date())
    assert period is not None
    assert period.end - period.start == timedelta(hours=2)  # 01:30 EDT to 02:30 EST: the clock went back
    spring = window.starting_on(datetime(2026, 3, 8).date())
    assert spring is not None
    assert spring.end - spring.start == timedelta(hours=1)  # 01:30 EST to "02:30", read as EST: 03:30 EDT


def test_a_start_in_the_spring_gap_is_read_before_the_change() -> None:
    window = ResetWindow(name="gap", zone="America/New_York", start=time(2, 30), end=time(3, 30))
    period = window.starting_on(datetime(2026, 3, 8).date())
    assert period is not None
    assert period.start == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)  # 02:30 EST, i.e. 03:30 EDT
    assert period.end == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)  # 03:30 EDT: an empty window that day
    assert not period.contains(period.start)


def test_next_window_is_the_earliest_of_all_regions() -> None:
    windows = ib_windows(["north_america", "europe", "asia"])
    now = et(2026, 3, 3, 12, 0)  # Tuesday noon ET
    upcoming = next_window(now, windows)
    assert upcoming is not None
    assert upcoming.start > now
    later = [p for w in windows for d in range(-1, 9) if (p := w.starting_on((now + timedelta(days=d)).date()))]
    assert upcoming.start == min(p.start for p in later if p.start > now)


def test_next_window_without_windows_is_none() -> None:
    assert next_window(et(2026, 3, 3, 12, 0), []) is None
    assert in_reset_window(et(2026, 3, 3, 0, 30), []) is None


def test_the_first_auto_restart_after_sundays_token_invalidation_needs_a_login() -> None:
    restart = auto_restart(time(23, 45), "America/New_York")
    windows = [restart]
    sunday_night = next_window(et(2026, 3, 1, 12, 0), windows)  # Sunday 23:45 ET, after Sunday 01:00
    monday_night = next_window(et(2026, 3, 2, 12, 0), windows)
    assert sunday_night is not None and monday_night is not None
    assert needs_manual_login(sunday_night)
    assert not needs_manual_login(monday_night)
    early = next_window(et(2026, 3, 1, 0, 0), [auto_restart(time(0, 30), "America/New_York")])
    assert early is not None and early.start == et(2026, 3, 1, 0, 30)
    assert not needs_manual_login(early)  # before Sunday's 01:00: the token is still good
    ib_reset = in_reset_window(et(2026, 3, 2, 0, 30), WINDOWS)
    assert ib_reset is not None and not needs_manual_login(ib_reset)
    assert restart.kind is WindowKind.AUTO_RESTART


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"zone": "Mars/Olympus"}, "unknown time zone"),
        ({"end": time(0, 15)}, "start and end"),
        ({"days": frozenset({7})}, "weekdays"),
        ({"days": frozenset()}, "weekdays"),
    ],
)
def test_a_bad_window_is_a_config_error(kwargs: dict[str, object], message: str) -> None:
    values: dict[str, object] = {"name": "x", "zone": "America/New_York", "start": time(0, 15), "end": time(1, 0)}
    values.update(kwargs)
    with pytest.raises(ConfigError, match=message):
        ResetWindow(**values)  # type: ignore[arg-type]


def test_unknown_regions_and_restart_lengths_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="unknown reset region"):
        ib_windows(["antarctica"])
    with pytest.raises(ConfigError, match="minutes"):
        auto_restart(time(23, 45), "America/New_York", minutes=0)


@settings(max_examples=300, deadline=None)
@given(now=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)))
def test_the_current_and_next_windows_agree_with_every_occurrence(now: datetime) -> None:
    windows = ib_windows(["north_america", "europe", "asia"])
    occurrences = [
        p
        for w in windows
        for d in range(-2, 10)
        if (p := w.starting_on(now.astimezone(ZoneInfo(w.zone)).date() + timedelta(days=d))) is not None
    ]
    current = in_reset_window(now, windows)
    assert (current is not None) is any(p.contains(now) for p in occurrences)
    if current is not None:
        assert current.contains(now)
    upcoming = next_window(now, windows)
    assert upcoming is not None
    assert upcoming.start == min(p.start for p in occurrences if p.start > now)
