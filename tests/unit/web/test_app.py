"""The dashboard's routes in-process (httpx's ASGI transport): who may see and act, what actions answer, the
page's JSON, the address parser."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from ibbot.clock import ManualClock
from ibbot.errors import DashboardError, RiskStateError
from ibbot.ops import dashboard_token
from ibbot.ops.snapshot import EquityPoint, HealthView, Snapshot, VerdictView
from ibbot.web import create_app, page_json, parse_address

NOW = datetime(2026, 11, 18, tzinfo=UTC)


class Controls:
    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    async def halt(self, who: str, reason: str = "") -> str:
        self.calls.append(("halt", who, reason))
        return "halted"

    async def resume(self, who: str) -> str:
        raise RiskStateError("cannot resume while normal")

    async def cancel(self, who: str, order_ref: str) -> str:
        self.calls.append(("cancel", who, order_ref))
        return f"cancel sent for {order_ref}"


class Source:
    def __init__(self, controls: Any = None) -> None:
        self.controls = controls

    def snapshot(self) -> Snapshot:
        return Snapshot(time=NOW, health=HealthView(state="ready"), verdict=VerdictView(verdict="SAFE"))

    def subscribe(self, callback: Callable[[], None]) -> Callable[[], None]:
        return lambda: None


def client(tmp_path: Path, source: Source, *, view_requires_token: bool = False) -> tuple[httpx.AsyncClient, str]:
    token = dashboard_token(tmp_path)
    app = create_app(source, token=token, clock=ManualClock(NOW), view_requires_token=view_requires_token)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1"), token.value


async def test_actions_need_the_token_and_say_who_acted(tmp_path: Path) -> None:
    controls = Controls()
    http, token = client(tmp_path, Source(controls))
    async with http:
        assert (await http.post("/api/actions/halt", json={})).status_code == 401
        assert (await http.post("/api/actions/halt", headers={"X-Ibbot-Token": token + "x"})).status_code == 401
        ok = await http.post("/api/actions/halt", headers={"Authorization": f"Bearer {token}"},
                             json={"operator": "ann<script>", "reason": "lunch"})  # fmt: skip
        assert ok.status_code == 200 and ok.json() == {"ok": True, "message": "halted"}
        assert controls.calls == [("halt", "web:annscript@127.0.0.1", "lunch")]
        refused = await http.post("/api/actions/resume", headers={"X-Ibbot-Token": token})
        assert refused.status_code == 409 and "cannot resume" in refused.json()["error"]
        cancel = await http.post("/api/orders/ibb-7/cancel", headers={"X-Ibbot-Token": token})
        assert cancel.json()["message"] == "cancel sent for ibb-7"
        unknown = await http.post("/api/actions/explode", headers={"X-Ibbot-Token": token})
        assert unknown.status_code == 404
        bad = await http.post("/api/actions/halt", headers={"X-Ibbot-Token": token}, content=b"[1]")
        assert bad.status_code == 400
        assert (await http.get("/api/state")).status_code == 200  # viewing is open unless told otherwise


async def test_a_read_only_source_refuses_every_action(tmp_path: Path) -> None:
    http, token = client(tmp_path, Source(None), view_requires_token=True)
    async with http:
        answer = await http.post("/api/actions/halt", headers={"X-Ibbot-Token": token})
        assert answer.status_code == 403 and "read-only" in answer.json()["error"]
        assert (await http.get("/api/state")).status_code == 401
        state = (await http.get("/api/state", headers={"X-Ibbot-Token": token})).json()
        assert state["actions"] is False and state["ready"] is True
        assert (await http.get("/ready")).json() == {"ready": True, "connection": "ready", "farms": {},
                                                    "verdict": "SAFE", "reasons": []}  # fmt: skip
        health = (await http.get("/health")).json()
        assert health["status"] == "alive"
        page = await http.get("/")
        assert "Halt" in page.text and page.headers["x-frame-options"] == "DENY"
        assert (await http.get("/static/app.js")).status_code == 200


def test_the_page_gets_a_thinned_equity_series_ending_at_its_last_point() -> None:
    points = tuple(EquityPoint(time=NOW + timedelta(seconds=i), value=i) for i in range(5000))  # type: ignore[arg-type]
    body = page_json(Snapshot(time=NOW, equity=points), actions=True, view_requires_token=False)
    assert len(body["equity"]) == 600 and body["equity"][-1]["value"] == 4999 and body["equity"][0]["value"] == 0


def test_addresses() -> None:
    assert parse_address("8080") == ("127.0.0.1", 8080)
    assert parse_address("0.0.0.0:9000") == ("0.0.0.0", 9000)
    assert parse_address("[::1]:8081") == ("::1", 8081)
    with pytest.raises(DashboardError, match="takes"):
        parse_address("localhost:http")
    with pytest.raises(DashboardError, match="out of range"):
        parse_address("70000")
