"""Simulator settings: defaults, TOML, overrides, and clear errors for bad values."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from ibbot.errors import ConfigError
from ibbot.sim.config import SimConfig, limits_from, load_config


def test_defaults_are_safe() -> None:
    config = SimConfig()
    assert config.host == "127.0.0.1"  # loopback unless told otherwise
    assert config.port == 7497
    assert config.accounts == ("DU1234567",)
    assert not config.read_only


def test_toml_then_overrides(tmp_path: Path) -> None:
    path = tmp_path / "sim.toml"
    path.write_text(
        '[sim]\nport = 4002\naccounts = ["DU1", "DU2"]\nread_only = true\n'
        "[limits]\nmax_market_data_lines = 5\nidentical_request_window = 1.5\n"
        '[[faults]]\nat = 5\nkind = "drop"\n'
    )
    config = load_config(path, port=4001, seed=None)
    assert config.port == 4001  # the command line wins
    assert config.accounts == ("DU1", "DU2")
    assert config.read_only
    limits = limits_from(config.extra["limits"])
    assert limits.max_market_data_lines == 5
    assert limits.identical_request_window == timedelta(seconds=1.5)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[sim]\nport = 70000\n", "not a TCP port"),
        ("[sim]\nbogus = 1\n", "unknown setting sim.bogus"),
        ("[sim]\naccounts = []\n", "accounts"),
        ("[sim]\nmax_clients = 33\n", "32"),
        ('[sim]\ntrusted_ips = ["not-an-ip"]\n', "trusted ip"),
        ("[limits]\nmax_depth = 0\n", "positive"),
        ("[limits]\nnope = 1\n", "unknown limit"),
        ('[[faults]]\nat = 1\nkind = "meteor"\n', "unknown fault kind"),
        ("[sim\n", "cannot read"),
    ],
)
def test_bad_settings_get_clear_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "sim.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_limits_can_be_switched_off() -> None:
    assert limits_from({"max_messages_per_second": False}).max_messages_per_second is None


def test_only_loopback_and_trusted_ips_may_connect() -> None:
    config = SimConfig(trusted_ips=("10.1.2.0/24", "192.168.7.9"))
    assert config.allows("127.0.0.1") and config.allows("::1")
    assert config.allows("10.1.2.77") and config.allows("192.168.7.9")
    assert not config.allows("10.1.3.1")
    assert not SimConfig().allows("192.168.7.9")


def test_an_ipv4_mapped_peer_is_its_ipv4_address() -> None:
    config = SimConfig(trusted_ips=("10.1.2.0/24",))
    assert config.allows("::ffff:10.1.2.3")  # what a dual-stack listener sees for 10.1.2.3
    assert config.allows("::ffff:127.0.0.1")
    assert not config.allows("::ffff:10.9.9.9")
    assert not config.allows("not an address")


def test_the_handshake_deadline_must_be_positive() -> None:
    assert SimConfig().handshake_timeout == 5.0
    with pytest.raises(ConfigError, match="handshake_timeout"):
        SimConfig(handshake_timeout=0)
