"""Notifications delivered over HTTP to a local server standing in for a webhook and for Telegram's Bot API
(its base URL is configurable for this), with the stand-in failing first so the retries are seen; and end to
end from a bot trading against the simulator: a fill, a risk refusal, a halt and a long disconnect."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ibbot.connection.health import Health
from ibbot.connection.supervisor import HealthChanged
from ibbot.errors import RiskRefusedError
from ibbot.model import Side
from ibbot.notify import (
    Dispatcher,
    Notification,
    NotifySettings,
    RetryPolicy,
    Severity,
    TelegramNotifier,
    TelegramSettings,
    WebhookNotifier,
    WebhookSettings,
)

from ..web.support import LIMITS, market, running_bot

TOKEN = "123456:SECRET-bot-token-never-logged"
NOW = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)
QUICK = RetryPolicy(attempts=4, initial=0.05, factor=2.0, cap=0.5)


class StandIn:
    """A webhook and a Telegram Bot API on one local server; `fail` answers (status, body) before succeeding."""

    def __init__(self) -> None:
        self.webhook: list[dict[str, Any]] = []
        self.telegram: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.fail: dict[str, list[tuple[int, dict[str, Any]]]] = {"webhook": [], "telegram": []}
        self.changed = asyncio.Event()
        self.url = ""

    async def _hook(self, request: Request) -> JSONResponse:
        self.paths.append(request.url.path)
        if self.fail["webhook"]:
            status, body = self.fail["webhook"].pop(0)
            return JSONResponse(body, status_code=status)
        self.webhook.append(await request.json())
        self.changed.set()
        return JSONResponse({"ok": True})

    async def _telegram(self, request: Request) -> JSONResponse:
        self.paths.append(request.url.path)
        if request.path_params["token"] != f"bot{TOKEN}":
            return JSONResponse({"ok": False, "error_code": 401, "description": "Unauthorized"}, status_code=401)
        if self.fail["telegram"]:
            status, body = self.fail["telegram"].pop(0)
            return JSONResponse(body, status_code=status)
        self.telegram.append(await request.json())
        self.changed.set()
        return JSONResponse({"ok": True, "result": {"message_id": len(self.telegram)}})

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/hook", self._hook, methods=["POST"]),
            Route("/{token}/sendMessage", self._telegram, methods=["POST"]),
        ])  # fmt: skip

    async def until(self, condition: Any, timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            while not condition():
                self.changed.clear()
                await self.changed.wait()


@asynccontextmanager
async def stand_in() -> AsyncIterator[StandIn]:
    server = StandIn()
    sock = socket.create_server(("127.0.0.1", 0))
    server.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    config = uvicorn.Config(server.app(), log_level="warning", lifespan="off", ws="none", access_log=False)
    running = uvicorn.Server(config)
    task = asyncio.create_task(running.serve(sockets=[sock]))
    while not running.started:
        await asyncio.sleep(0.01)
    try:
        yield server
    finally:
        running.should_exit = True
        await task


def note(kind: str = "fill", title: str = "Filled BUY 10 AAPL @ 190") -> Notification:
    return Notification(kind=kind, title=title, text="", time=NOW, severity=Severity.INFO, fields={"order": "ibb-1"})


async def test_the_webhook_gets_json_and_failures_are_retried_with_backoff() -> None:
    async with stand_in() as server:
        server.fail["webhook"] = [(503, {"busy": True}), (500, {})]
        dispatcher = Dispatcher([WebhookNotifier(f"{server.url}/hook")], retry=QUICK)
        dispatcher.start()
        dispatcher.publish(note())
        await server.until(lambda: len(server.webhook) == 1)
        await dispatcher.close()
        (body,) = server.webhook
        assert body["source"] == "ibbot" and body["kind"] == "fill" and body["fields"] == {"order": "ibb-1"}
        assert body["time"] == NOW.isoformat() and body["severity"] == "info"
        stats = dispatcher.channels["webhook 127.0.0.1"]
        assert (stats.delivered, stats.retries, stats.failed) == (1, 2, 0)


async def test_a_4xx_is_not_retried_and_a_dead_channel_does_not_hold_up_another() -> None:
    async with stand_in() as server:
        server.fail["webhook"] = [(400, {"error": "bad"})]
        server.fail["telegram"] = [(502, {})] * QUICK.attempts  # every try of the first note: given up on
        telegram = TelegramNotifier(TOKEN, "42", base_url=server.url)
        dispatcher = Dispatcher([WebhookNotifier(f"{server.url}/hook"), telegram], retry=QUICK)
        dispatcher.start()
        dispatcher.publish(note(title="first"))
        dispatcher.publish(note(title="second"))
        await server.until(lambda: len(server.webhook) == 1)  # the second; the first met a 400
        assert server.webhook[0]["title"] == "second"
        assert await dispatcher.drain(10)
        await dispatcher.close()
        stats = dispatcher.channels
        assert (stats["webhook 127.0.0.1"].failed, stats["webhook 127.0.0.1"].retries) == (1, 0)
        assert stats["telegram"].failed == 1 and stats["telegram"].delivered == 1


async def test_telegram_gets_the_message_and_its_retry_after_is_honoured(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with stand_in() as server:
        server.fail["telegram"] = [(429, {"ok": False, "error_code": 429, "description": f"Too Many Requests {TOKEN}",
                                          "parameters": {"retry_after": 0.2}})]  # fmt: skip
        dispatcher = Dispatcher([TelegramNotifier(TOKEN, "-100777", base_url=server.url)], retry=QUICK)
        dispatcher.start()
        started = asyncio.get_running_loop().time()
        dispatcher.publish(note(kind="halt", title="Trading HALTED"))
        await server.until(lambda: len(server.telegram) == 1)
        waited = asyncio.get_running_loop().time() - started
        await dispatcher.close()
        (message,) = server.telegram
        assert (
            message["chat_id"] == "-100777"
            and "Trading HALTED" in message["text"]
            and "order: ibb-1" in message["text"]
        )
        assert waited >= 0.2  # the wait Telegram asked for, longer than the policy's first 0.05 s
        assert server.paths == [f"/bot{TOKEN}/sendMessage"] * 2
    assert caplog.records, "httpx and the dispatcher logged"
    assert all(TOKEN not in record.getMessage() for record in caplog.records)
    assert any("***" in record.getMessage() for record in caplog.records)  # httpx's request lines, scrubbed


async def test_a_bot_notifies_a_fill_a_refusal_a_halt_and_a_long_disconnect(tmp_path: Path) -> None:
    async with stand_in() as server:
        settings = NotifySettings(
            disconnect_after=0.5, daily_summary=None, retry=QUICK,
            webhook=WebhookSettings(url=f"{server.url}/hook"),
            telegram=TelegramSettings(token=TOKEN, chat_id="42", base_url=server.url),
        )  # fmt: skip
        server.fail["webhook"] = [(503, {})]  # the first delivery is retried
        small = replace(LIMITS, max_order_quantity=Decimal(50))
        async with running_bot(tmp_path, notify=settings, limits=small) as bot:
            await bot.service.submit(market(bot.aapl, Side.BUY, 10))
            await server.until(lambda: any(b["kind"] == "fill" for b in server.webhook))
            with pytest.raises(RiskRefusedError):
                await bot.service.submit(market(bot.aapl, Side.BUY, 80))
            await server.until(lambda: any(b["kind"] == "risk_refusal" for b in server.webhook))
            await bot.ops.controls.halt("web:tester@127.0.0.1", "end of the test")
            await server.until(lambda: any(b["kind"] == "halt" for b in server.webhook))
            mark = len(bot.events.items)
            bot.session.simulator.faults.connectivity_lost()  # OFFLINE until restored
            await bot.events.until(lambda: any(isinstance(e, HealthChanged) and e.snapshot.state is Health.OFFLINE
                                               for e in bot.events.items[mark:]))  # fmt: skip
            await server.until(lambda: any(b["kind"] == "disconnect" for b in server.webhook), timeout=10)
            bot.session.simulator.faults.connectivity_restored(data_lost=False)
            await server.until(lambda: [b["title"] for b in server.webhook].count("Reconnected") == 1)
            await server.until(lambda: len(server.telegram) == len(server.webhook))
        kinds = [b["kind"] for b in server.webhook]
        assert kinds == ["fill", "risk_refusal", "halt", "disconnect", "disconnect"]
        refusal = next(b for b in server.webhook if b["kind"] == "risk_refusal")
        assert refusal["fields"]["check"] == "order_quantity" and "80" in refusal["text"]
        halt = next(b for b in server.webhook if b["kind"] == "halt")
        assert halt["severity"] == "critical" and halt["text"] == "end of the test"
        assert halt["fields"]["by"] == "web:tester@127.0.0.1"
        assert "offline" in next(b for b in server.webhook if b["title"] == "Disconnected")["text"]
        assert server.webhook[0]["title"].startswith("Filled BUY 10 AAPL @ ")
        assert [m["text"].splitlines()[0] for m in server.telegram] == [
            f"{Severity(b['severity']).mark} {b['title']}" for b in server.webhook
        ]
