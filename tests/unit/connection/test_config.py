"""The [connection] settings: defaults, a full TOML table, and one clear ConfigError per mistake."""

from __future__ import annotations

import tomllib
from datetime import time
from typing import Any

import pytest

from ibbot.connection.backoff import BackoffPolicy
from ibbot.connection.config import ConnectionSettings, connection_settings
from ibbot.connection.resets import NORTH_AMERICA, WEEKEND, WindowKind
from ibbot.errors import ConfigError

FULL = """
[connection]
target = "gateway-paper"
client_id = 9
client_id_range = [7, 12]
connect_timeout = 5
sync_timeout = 20.5
request_timeout = 15
allow_live = false
read_only = true
reset_regions = ["north_america", "europe"]
auto_restart = { at = "23:45", zone = "America/New_York" }
[connection.backoff]
initial = 0.5
factor = 3
cap = 45
jitter = 0.1
[[connection.reset_windows]]
name = "router reboot"
zone = "Europe/Berlin"
start = 04:00:00
end = "04:05"
days = ["sun", "Wednesday"]
"""


def test_defaults_are_the_simulator_paper_and_ibs_north_american_windows() -> None:
    settings = connection_settings(None)
    assert settings == ConnectionSettings()
    assert settings.target.embedded
    assert settings.client_id == 1
    assert (settings.client_ids.first, settings.client_ids.last) == (1, 10)
    assert not settings.allow_live
    assert not settings.read_only
    assert settings.reset_windows == (NORTH_AMERICA, WEEKEND)
    assert connection_settings({}) == settings


def test_a_full_table_reads_every_setting() -> None:
    settings = connection_settings(tomllib.loads(FULL)["connection"])
    assert settings.target.port == 4002
    assert settings.client_id == 9
    assert (settings.client_ids.first, settings.client_ids.last) == (7, 12)
    assert (settings.connect_timeout, settings.sync_timeout, settings.request_timeout) == (5, 20.5, 15)
    assert settings.read_only
    assert settings.backoff == BackoffPolicy(initial=0.5, factor=3, cap=45, jitter=0.1)
    names = [w.name for w in settings.reset_windows]
    assert names[:3] == ["IB North America reset", "IB Europe reset", "IB weekend maintenance"]
    restart, router = settings.reset_windows[3], settings.reset_windows[4]
    assert restart.kind is WindowKind.AUTO_RESTART
    assert (restart.start, restart.end) == (time(23, 45), time(23, 55))
    assert router.name == "router reboot"
    assert (router.start, router.end, router.days) == (time(4, 0), time(4, 5), frozenset({6, 2}))


def test_a_range_without_client_id_starts_at_its_first_and_a_lone_id_gets_ten() -> None:
    assert connection_settings({"client_id_range": [3, 4]}).client_id == 3
    policy = connection_settings({"client_id": 20}).client_ids
    assert (policy.first, policy.last, policy.initial) == (20, 29, 20)


def test_no_regions_leaves_the_weekend_window() -> None:
    assert connection_settings({"reset_regions": []}).reset_windows == (WEEKEND,)


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"targt": "sim"}, "unknown setting connection.targt"),
        ({"target": 7497}, "connection.target must be text"),
        ({"target": "paper"}, "neither"),
        ({"client_id": "7"}, "client_id must be an integer"),
        ({"client_id": 13, "client_id_range": [7, 12]}, "outside its range"),
        ({"client_id_range": [7]}, r"\[first, last\]"),
        ({"client_id_range": [9, 7]}, "empty"),
        ({"connect_timeout": 0}, "connect_timeout must be a positive number"),
        ({"sync_timeout": True}, "sync_timeout"),
        ({"request_timeout": "30"}, "request_timeout"),
        ({"allow_live": "yes"}, "allow_live must be true or false"),
        ({"read_only": 1}, "read_only must be true or false"),
        ({"backoff": {"cap": 0.1}}, "cap"),
        ({"backoff": {"ceiling": 3}}, "unknown setting connection.backoff.ceiling"),
        ({"backoff": 5}, "backoff must be a table"),
        ({"reset_regions": "europe"}, "reset_regions must be a list"),
        ({"reset_regions": ["mars"]}, "unknown reset region"),
        ({"auto_restart": {"at": "23:45"}}, "auto_restart must be a table"),
        ({"auto_restart": {"at": "late", "zone": "UTC"}}, "auto_restart.at must be a time"),
        ({"auto_restart": {"at": "23:45", "zone": "Nowhere/City"}}, "unknown time zone"),
        ({"reset_windows": {"zone": "UTC"}}, "array of tables"),
        ({"reset_windows": [{"zone": "UTC", "start": "01:00"}]}, r"reset_windows\[0\] needs"),
        ({"reset_windows": [{"zone": "UTC", "start": "01:00", "end": "02:00", "days": ["xyz"]}]}, "weekdays"),
        ({"reset_windows": [{"zone": "UTC", "start": "01:00", "end": "02:00", "kind": "nap"}]}, "kind must be"),
    ],
)
def test_every_mistake_is_a_config_error_naming_the_setting(section: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        connection_settings(section)


def test_a_section_that_is_not_a_table_is_refused() -> None:
    with pytest.raises(ConfigError, match="must be a table"):
        connection_settings(["target"])  # type: ignore[arg-type]
