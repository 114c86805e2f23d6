"""/metrics parsed with prometheus-client's own parser and checked against the journal; /ready false during a
simulator fault and true again after Resynced; /health; the view token; a taken port."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from ibbot.connection.health import Health
from ibbot.connection.supervisor import HealthChanged, Resynced
from ibbot.errors import DashboardError, RiskRefusedError
from ibbot.model import Fill, OrderStatus, Side
from ibbot.oms import PositionBook
from ibbot.ops import Monitor, dashboard_token
from ibbot.ops.views import is_rejected
from ibbot.web import serve

from .support import LIMITS, Bot, limit, market, running_bot


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition, by (name, sorted labels)."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def scrape(bot: Bot) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with httpx.AsyncClient(base_url=bot.url) as client:
        answer = await client.get("/metrics")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    return samples(answer.text)


def fills_of(bot: Bot) -> list[Fill]:
    return [i for i in bot.orders.items if isinstance(i, Fill)]


async def test_metrics_agree_with_the_journal(tmp_path: Path) -> None:
    small = replace(LIMITS, max_order_quantity=Decimal(100))
    async with running_bot(tmp_path, limits=small) as bot:
        service, journal = bot.service, bot.journal
        await service.submit(market(bot.aapl, Side.BUY, 30))
        await service.submit(market(bot.aapl, Side.SELL, 10))
        resting = await service.submit(limit(bot.aapl, Side.BUY, 5, "50.00"))
        with pytest.raises(RiskRefusedError):
            await service.submit(market(bot.aapl, Side.BUY, 500))
        await bot.orders.until(lambda: len(fills_of(bot)) == 2 and service.order(resting.order_ref).status
                               is OrderStatus.WORKING)  # fmt: skip
        bot.session.simulator.faults.reject_next_orders(1)  # the simulator has answered every order before
        rejected = await service.submit(limit(bot.aapl, Side.BUY, 1, "60.00"))
        await bot.orders.until(lambda: is_rejected(service.order(rejected.order_ref)))
        await bot.orders.until(lambda: all(f.commission is not None for f in journal.fills()))
        found = await scrape(bot)

        assert found[("ibbot_fills_total", ())] == len(journal.fills()) == 2
        by_status: dict[str, int] = {}
        for order in journal.orders():
            by_status[order.status.value] = by_status.get(order.status.value, 0) + 1
        for status in ("filled", "working", "rejected", "cancelled"):
            assert found[("ibbot_orders", (("status", status),))] == by_status.get(status, 0), status
        assert found[("ibbot_rejects_total", ())] == len([o for o in journal.orders() if is_rejected(o)]) == 1
        assert found[("ibbot_working_orders", ())] == len(journal.orders(open_only=True)) == 1
        refusals = [e for e in journal.risk_events() if e.check == "order_quantity"]
        assert found[("ibbot_risk_refusals_total", ())] == len(refusals) == 1
        book = PositionBook()
        for fill in journal.fills():
            book.apply(fill)
        realized = book.pnl({}).total.realized
        assert found[("ibbot_pnl", (("kind", "realized"),))] == pytest.approx(float(realized))
        assert found[("ibbot_positions", ())] == len(book.positions()) == 1
        answered = found[("ibbot_order_roundtrip_seconds_count", ())]
        assert answered == 4  # two fills, the resting limit, the rejected one: each had IB's first answer
        assert found[("ibbot_order_roundtrip_seconds_bucket", (("le", "+Inf"),))] == answered
        assert found[("ibbot_connection_state", (("state", "ready"),))] == 1
        assert found[("ibbot_ready", ())] == 1
        assert found[("ibbot_reconciliation_verdict", (("verdict", "SAFE"),))] == 1
        assert found[("ibbot_market_data_lines", (("kind", "market data"),))] == 1
        assert found[("ibbot_messages_sent_total", ())] >= 6
        assert {labels for name, labels in found if name == "ibbot_farm_up"}  # the farms TWS reported
        assert all(v == 1 for (name, _), v in found.items() if name == "ibbot_farm_up")


async def test_ready_is_false_during_a_fault_and_true_after_resynced(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot, httpx.AsyncClient(base_url=bot.url) as client:
        assert (await client.get("/ready")).status_code == 200
        mark = len(bot.events.items)
        bot.session.simulator.faults.connectivity_lost()
        await bot.events.until(lambda: any(isinstance(e, HealthChanged) and e.snapshot.state is Health.OFFLINE
                                           for e in bot.events.items[mark:]))  # fmt: skip
        answer = await client.get("/ready")
        assert answer.status_code == 503
        body = answer.json()
        assert body["ready"] is False and body["connection"] == "offline"
        assert any("1100" in reason for reason in body["reasons"])
        assert (await client.get("/health")).status_code == 200  # alive all the same
        bot.session.simulator.faults.connectivity_restored(data_lost=True)
        await bot.events.wait_for(Resynced, since=mark)
        answer = await client.get("/ready")
        assert answer.status_code == 200 and answer.json()["verdict"] == "SAFE"
        # a dropped socket: not ready until the reconnect's Resynced
        mark = len(bot.events.items)
        await bot.session.simulator.faults.restart(1.0)
        await bot.events.until(lambda: any(isinstance(e, HealthChanged) and e.snapshot.state is Health.DISCONNECTED
                                           for e in bot.events.items[mark:]))  # fmt: skip
        assert (await client.get("/ready")).status_code == 503
        await bot.events.wait_for(Resynced, since=mark, timeout=15)
        assert (await client.get("/ready")).status_code == 200


async def test_health_counts_loop_turns_and_needs_no_token(tmp_path: Path) -> None:
    async with running_bot(tmp_path, view_requires_token=True) as bot, httpx.AsyncClient(base_url=bot.url) as client:
        first = (await client.get("/health")).json()
        assert first["status"] == "alive" and first["loop_turns"] >= 0
        assert (await client.get("/ready")).status_code == 200
        for path in ("/api/state", "/metrics", "/api/stream"):
            assert (await client.get(path)).status_code == 401, path
        state = await client.get("/api/state", headers=bot.auth())
        assert state.status_code == 200 and state.json()["view_requires_token"] is True
        assert (await client.get("/metrics", headers=bot.auth())).status_code == 200
        assert (await client.get("/api/auth", headers=bot.auth())).status_code == 204
        assert (await client.get("/api/auth", headers={"Authorization": "Bearer nope"})).status_code == 401
        page = await client.get("/")
        assert page.status_code == 200 and "script-src 'self'" in page.headers["content-security-policy"]


async def test_a_taken_port_is_a_clear_error(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        monitor = Monitor(bot.clock)
        with pytest.raises(DashboardError, match=f"cannot listen on 127.0.0.1:{bot.web.port}"):
            await serve(monitor, "127.0.0.1", bot.web.port, dashboard_token(tmp_path / "other"))
