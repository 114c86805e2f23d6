"""`ibbot sim` as a trader runs it: a subprocess with a TOML config, user instruments, clean SIGTERM shutdown."""

from __future__ import annotations

import math
import signal
import subprocess
import sys
from pathlib import Path

from ib_async import IB, Stock

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


async def test_faults_scheduled_from_the_command_line() -> None:
    proc, port, _ = start_sim_process("--ephemeral", "--fault", "connectivity_lost@1:0.3", capture_stderr=True)
    try:
        ib = IB()
        codes: list[int] = []
        ib.errorEvent += lambda req_id, code, text, contract: codes.append(code)
        await ib.connectAsync("127.0.0.1", port, clientId=1, timeout=5)
        await until(lambda: 1102 in codes, timeout=10)
        assert codes.index(1100) < codes.index(1102)
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
