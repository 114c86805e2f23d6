"""`ibbot web --data-dir DIR`: a read-only dashboard over a bot's journal and status file, as a real process."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from ibbot.model import Fill, Instrument, Side
from ibbot.ops import write_status
from ibbot.ops.snapshot import HealthView, Snapshot, VerdictView
from ibbot.store import FillSource, Journal

AAPL = Instrument.stock("AAPL")


async def start_web(data_dir: Path, *extra: str) -> tuple[asyncio.subprocess.Process, str]:
    """`ibbot web` on a free port, once it serves: the process and its URL."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ibbot", "web", "--data-dir", str(data_dir), "--web", "127.0.0.1:0", "--for", "30",
        *extra, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
    assert line.startswith("ibbot web: http://127.0.0.1:"), line
    url = line.split()[2]
    return process, url


async def stop(process: asyncio.subprocess.Process) -> str:
    process.terminate()
    _, err = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 0, err
    return err.decode()


async def test_ibbot_web_shows_the_journal_and_the_bots_status_read_only(tmp_path: Path) -> None:
    data_dir = tmp_path / "bot"
    now = datetime.now(UTC)
    with Journal.open(Journal.default_url(data_dir)) as journal:
        fill = Fill(exec_id="e-1", instrument=AAPL, side=Side.BUY, quantity=Decimal(5), price=Decimal("190.5"),
                    time=now - timedelta(minutes=1), order_ref="ibb-x-1", account="DU1")  # fmt: skip
        journal.record_fill(fill, FillSource.LIVE)
        journal.record_reconciliation("SAFE", [], now)
    process, url = await start_web(data_dir)
    try:
        async with httpx.AsyncClient(base_url=url) as client:
            state = (await client.get("/api/state")).json()
            assert state["source"] == "watch" and state["read_only"] is True and state["stale"] is True
            assert state["health"]["state"] == "unknown" and "status" in state["health"]["reason"]
            assert state["counters"]["fills"] == 1 and state["fills"][0]["exec_id"] == "e-1"
            assert state["positions"][0]["quantity"] == 5 and state["verdict"]["verdict"] == "SAFE"
            assert (await client.get("/ready")).status_code == 503  # no bot behind it
            token = (data_dir / "web-token").read_text().strip()
            assert (data_dir / "web-token").stat().st_mode & 0o777 == 0o600
            refused = await client.post("/api/actions/halt", headers={"Authorization": f"Bearer {token}"}, json={})
            assert refused.status_code == 403 and "read-only" in refused.json()["error"]
            # a running bot's status file: the connection as the bot sees it
            live = Snapshot(time=datetime.now(UTC), label="gateway-paper", health=HealthView(state="ready"),
                            verdict=VerdictView(verdict="SAFE"))  # fmt: skip
            write_status(data_dir / "status.json", live)
            async with asyncio.timeout(10):
                while (await client.get("/ready")).status_code != 200:
                    await asyncio.sleep(0.2)
            state = (await client.get("/api/state")).json()
            assert state["stale"] is False and state["label"] == "gateway-paper"
            assert state["health"]["state"] == "ready" and state["counters"]["fills"] == 1  # still the journal's
    finally:
        err = await stop(process)
    assert token in err and "shown this once" in err  # the first run shows the token once ...
    process, url = await start_web(data_dir)
    assert token not in await stop(process)  # ... and never again


async def test_ibbot_web_without_a_journal_says_so(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ibbot", "web", "--data-dir", str(tmp_path / "none"), "--web", "127.0.0.1:0",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 5 and b"no journal" in err


async def test_ibbot_runs_attach_point_audits_the_start_and_serves_the_dashboard(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ibbot.cli import web
    from ibbot.engine.orders import OrderService
    from ibbot.engine.session import SessionSettings, TradingSession
    from ibbot.ops.audit import read
    from ibbot.risk import RiskGate
    from ibbot.sim.config import SimConfig

    from .support import LIMITS

    data_dir = tmp_path / "data"
    args = argparse.Namespace(config=None, data_dir=data_dir, journal=None, web="127.0.0.1:0", view_token=False)
    settings = SessionSettings(data_dir=data_dir, sim=SimConfig(ephemeral=True), startup_wait=10.0, seed=3)
    async with TradingSession(settings) as session:
        with Journal.open(Journal.default_url(data_dir)) as journal:
            service = OrderService(session, journal, RiskGate(LIMITS), clock=session.clock)
            async with web.attached(args, session, service, {}) as ops:
                await service.start()
                url = capsys.readouterr().err.split("dashboard on ")[1].split()[0]
                async with httpx.AsyncClient(base_url=url) as client:
                    assert (await client.get("/ready")).status_code == 200
                    assert (await client.get("/api/state")).json()["actions"] is True
            await service.close()
    assert ops.audit.path == data_dir / "audit.jsonl"
    assert [line["kind"] for line in read(ops.audit.path)][:1] == ["reconciliation"]
    assert (data_dir / "web-token").exists() and (data_dir / "status.json").exists()
