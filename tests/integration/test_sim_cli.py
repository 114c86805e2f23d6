"""`ibbot sim` as a trader runs it: a subprocess with a TOML config, user instruments, clean SIGTERM shutdown."""

from __future__ import annotations

import math
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from ib_async import IB, Stock

from ibbot.cli.sim import parse_fault_flag, replay_start
from ibbot.errors import ConfigError
from ibbot.sim.faults import parse_faults

from .support import start_sim_process, until

CONFIG = """
[sim]
accounts = ["DU7654321"]
seed = 7

[[instruments]]
symbol = "ACME"
sec_type = "STK"
exchange = "SMART"
primary_exchange = "NYSE"
currency = "USD"
calendar = "US_EQUITY"
long_name = "Acme Corporation"
reference_price = 42.0
volatility = 0.3
"""


async def test_sim_command_with_a_config_serves_user_instruments_and_stops_on_sigterm(tmp_path: Path) -> None:
    config = tmp_path / "sim.toml"
    config.write_text(CONFIG)
    proc, port, line = start_sim_process("--ephemeral", "--config", str(config), capture_stderr=True)
    try:
        assert "DU7654321" in line
        ib = IB()
        await ib.connectAsync("127.0.0.1", port, clientId=1, timeout=5)
        assert ib.managedAccounts() == ["DU7654321"]
        (acme,) = await ib.qualifyContractsAsync(Stock("ACME", "SMART", "USD"))
        (details,) = await ib.reqContractDetailsAsync(acme)
        assert details.longName == "Acme Corporation" and acme.primaryExchange == "NYSE"
        ticker = ib.reqMktData(acme)
        await until(lambda: not math.isnan(ticker.bid))
        assert 20 < ticker.bid < 90  # near its reference price
        ib.disconnect()
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert "ibbot sim stopped" in out
    assert "Traceback" not in err


def test_a_bad_config_is_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    config = tmp_path / "sim.toml"
    config.write_text("[sim]\nport = 'seven'\n")
    done = subprocess.run(
        [sys.executable, "-m", "ibbot", "sim", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout.startswith("ibbot sim: ")
    assert "Traceback" not in done.stderr


async def test_faults_scheduled_from_the_command_line_take_every_parameter() -> None:
    proc, port, _ = start_sim_process(
        "--ephemeral",
        "--fault",
        "connectivity_lost@1:0.3,data_lost=true",
        "--fault",
        "latency@1:60,seconds=0.4",  # before: latency@1:20 added a latency of 0 s, i.e. nothing
        capture_stderr=True,
    )
    try:
        ib = IB()
        codes: list[int] = []
        ib.errorEvent += lambda req_id, code, text, contract: codes.append(code)
        await ib.connectAsync("127.0.0.1", port, clientId=1, timeout=5)
        await until(lambda: 1101 in codes, timeout=10)  # data_lost=true: 1101, not 1102
        assert codes.index(1100) < codes.index(1101) and 1102 not in codes
        started = time.perf_counter()
        await ib.reqCurrentTimeAsync()
        assert time.perf_counter() - started >= 0.4  # the latency fault is on
        ib.disconnect()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)


def test_fault_flags_read_every_parameter_and_refuse_unknown_ones() -> None:
    assert parse_fault_flag("farm_down@30:15,farm=hmds") == {"kind": "farm_down", "at": 30.0, "duration": 15.0,
                                                            "farm": "hmds"}  # fmt: skip
    assert parse_fault_flag("reject_orders@10,count=3") == {"kind": "reject_orders", "at": 10.0, "count": 3}
    assert parse_fault_flag("connectivity_lost@5:2, data_lost = false")["data_lost"] is False
    for bad, message in [
        ("latency@1:20,speed=3", "not a parameter"),
        ("reject_orders@1,count=many", "whole number"),
        ("connectivity_lost@1,data_lost=maybe", "bool"),
        ("drop", "KIND@AT"),
        ("drop@soon", "numbers of seconds"),
    ]:
        with pytest.raises(ConfigError, match=message):
            parse_fault_flag(bad)
    with pytest.raises(ConfigError, match="seconds"):
        parse_faults([parse_fault_flag("latency@1:20")])  # a latency of nothing is refused, not ignored


def test_the_help_shows_the_fault_syntax() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ibbot", "sim", "--help"], capture_output=True, text=True, timeout=30, check=False
    )
    text = " ".join(done.stdout.split())
    assert "KIND@AT[:DURATION][,KEY=VALUE...]" in text
    assert "data_lost, farm, seconds, count" in text and "latency@1:20,seconds=0.5" in text
    assert "--replay" in text


def test_replay_starts_on_the_day_asked_and_refuses_a_holiday() -> None:
    assert replay_start("2024-03-12") == datetime(2024, 3, 12, 10, 0, tzinfo=ZoneInfo("US/Eastern"))
    assert replay_start("2024-03-12T09:31") == datetime(2024, 3, 12, 9, 31, tzinfo=ZoneInfo("US/Eastern"))
    with pytest.raises(ConfigError, match="did not trade"):
        replay_start("2024-12-25")
    with pytest.raises(ConfigError, match="DAY"):
        replay_start("last tuesday")


async def test_the_sim_command_replays_a_past_day() -> None:
    proc, port, line = start_sim_process("--replay", "2024-03-12T10:00", capture_stderr=True)
    try:
        assert "replaying 2024-03-12 10:00 New York" in line
        ib = IB()
        await ib.connectAsync("127.0.0.1", port, clientId=1, timeout=5)
        now = await ib.reqCurrentTimeAsync()
        assert datetime(2024, 3, 12, 14, 0, tzinfo=UTC) <= now < datetime(2024, 3, 12, 14, 5, tzinfo=UTC)
        bars = await ib.reqHistoricalDataAsync(Stock("AAPL", "SMART", "USD"), "", "1 D", "1 min", "TRADES", True)
        assert bars and bars[0].date.date() == date(2024, 3, 12) and len(bars) <= 31  # 09:30 up to now
        ib.disconnect()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)


def test_a_bad_fault_flag_is_a_clear_error() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ibbot", "sim", "--fault", "meteor@5"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2 and "unknown fault kind" in done.stdout
