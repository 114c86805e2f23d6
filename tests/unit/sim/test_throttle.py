"""Rate-limited warnings: a burst per window per kind, then a count of what was left out."""

from __future__ import annotations

import logging

import pytest

from ibbot.sim.throttle import LogThrottle


def test_a_burst_per_window_then_the_count_of_what_was_left_out(caplog: pytest.LogCaptureFixture) -> None:
    throttle = LogThrottle(logging.getLogger("test.throttle"), burst=3, window=10.0)
    with caplog.at_level(logging.WARNING, logger="test.throttle"):
        logged = [throttle.warning(1.0 + k * 0.1, "bad", "bad request %d", k) for k in range(8)]
        assert logged == [True, True, True, False, False, False, False, False]
        assert throttle.suppressed("bad") == 5
        assert throttle.warning(2.0, "other", "another kind")  # kinds are counted apart
        assert throttle.warning(11.5, "bad", "bad request %d", 99)  # a new window
    messages = [r.getMessage() for r in caplog.records]
    assert messages[:3] == ["bad request 0", "bad request 1", "bad request 2"]
    assert messages[-1] == "bad request 99 (and 5 more like it in the previous 10 s, not logged)"
    assert throttle.suppressed("bad") == 0


def test_nonsense_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        LogThrottle(logging.getLogger("x"), burst=0)
    with pytest.raises(ValueError):
        LogThrottle(logging.getLogger("x"), window=0)
