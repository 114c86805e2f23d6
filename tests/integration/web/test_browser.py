"""The dashboard in a real headless Chromium, in front of a bot trading against the simulator: a fill shows within
2 s of the simulator executing it, the halt button leaves no working order at the simulator, an action without
the token is refused, and the page survives the bot reconnecting after a simulator `drop`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from ibbot.connection.supervisor import Resynced
from ibbot.model import Fill, OrderStatus, Side
from ibbot.ops.audit import read

from .support import Bot, limit, market, running_bot


async def open_page(browser: Any, bot: Bot, *, token: str | None = None) -> tuple[Any, list[str]]:
    """The dashboard in a new page (with the token in the URL's fragment when given), once it shows READY."""
    page = await browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(bot.url + (f"#token={token}" if token else ""))
    await page.wait_for_selector('#pill-connection[data-value="ready"]', timeout=10_000)
    return page, errors


async def test_a_fill_shows_within_two_seconds_of_the_simulator_executing_it(tmp_path: Path, browser: Any) -> None:
    async with running_bot(tmp_path) as bot:
        page, errors = await open_page(browser, bot)
        order = await bot.service.submit(market(bot.aapl, Side.BUY, 25))
        row = await page.wait_for_selector("#fills tr[data-exec-id]", timeout=5_000)
        shown_at = bot.clock.now()
        exec_id = await row.get_attribute("data-exec-id")
        (executed,) = [e for e in bot.executions_at_simulator() if e.exec_id == exec_id]
        assert executed.order_ref == order.order_ref
        assert (shown_at - executed.time).total_seconds() < 2.0
        assert "BUY" in await row.inner_text() and "25" in await row.inner_text()
        await page.wait_for_selector("#positions tbody tr[data-key]")
        assert errors == []


async def test_the_halt_button_leaves_no_working_order_at_the_simulator(tmp_path: Path, browser: Any) -> None:
    async with running_bot(tmp_path) as bot:
        placed = [await bot.service.submit(limit(bot.aapl, Side.BUY, 10 + i, "50.00")) for i in range(3)]
        await bot.orders.until(lambda: all(bot.service.order(o.order_ref).status is OrderStatus.WORKING
                                           for o in placed))  # fmt: skip
        assert len(bot.working_at_simulator()) == 3
        page, errors = await open_page(browser, bot, token=bot.token.value)
        await page.wait_for_selector(f'#orders tr[data-order-ref="{placed[-1].order_ref}"]')
        await page.click("#act-halt")
        await page.fill("#confirm-reason", "browser test")
        await page.fill("#confirm-operator", "tester")
        await page.click("#confirm-ok")
        await page.wait_for_selector('#pill-risk[data-value="halted"]', timeout=10_000)
        assert bot.working_at_simulator() == []
        assert all(bot.service.order(o.order_ref).status is OrderStatus.CANCELLED for o in placed)
        await page.wait_for_selector("#orders td.empty")
        assert "halted" in (await page.inner_text("#toast")).lower()
        (action,) = [line for line in read(bot.ops.audit.path) if line["kind"] == "operator"]
        assert action["action"] == "halt" and action["outcome"] == "ok"
        assert action["who"].startswith("web:tester@127.0.0.1")
        assert errors == []


async def test_an_action_without_the_token_is_refused(tmp_path: Path, browser: Any) -> None:
    async with running_bot(tmp_path) as bot:
        resting = await bot.service.submit(limit(bot.aapl, Side.BUY, 5, "50.00"))
        page, errors = await open_page(browser, bot)  # no token in this browser
        await page.click("#act-halt")
        await page.click("#confirm-ok")
        await page.wait_for_selector("#toast:not([hidden])")
        assert "needs the dashboard token" in await page.inner_text("#toast")
        assert await page.is_visible("#unlock")  # the page asks for the token
        async with httpx.AsyncClient(base_url=bot.url) as client:
            for headers in ({}, {"Authorization": "Bearer not-the-token"}, {"X-Ibbot-Token": ""}):
                answer = await client.post("/api/actions/flatten", headers=headers, json={})
                assert answer.status_code == 401, headers
                answer = await client.post(f"/api/orders/{resting.order_ref}/cancel", headers=headers)
                assert answer.status_code == 401
        assert bot.service.risk_state.mode.value == "normal"
        assert bot.service.order(resting.order_ref).status.is_working
        assert [line for line in read(bot.ops.audit.path) if line["kind"] == "operator"] == []
        assert errors == []


async def test_the_page_survives_the_bot_reconnecting_after_a_simulator_drop(tmp_path: Path, browser: Any) -> None:
    async with running_bot(tmp_path) as bot:
        page, errors = await open_page(browser, bot)
        mark = len(bot.events.items)
        await bot.session.simulator.faults.drop_all()
        await bot.events.wait_for(Resynced, since=mark, timeout=15)
        await page.wait_for_selector('#pill-connection[data-value="ready"]', timeout=5_000)
        await page.wait_for_selector('#log li[data-kind="resync"]', timeout=5_000)
        states = [e.snapshot.state.value for e in bot.events.items[mark:] if hasattr(e, "snapshot")]
        assert "disconnected" in states and states[-1] == "ready"
        before = len([i for i in bot.orders.items if isinstance(i, Fill)])
        await bot.service.submit(market(bot.aapl, Side.SELL, 7))
        await bot.orders.until(lambda: len([i for i in bot.orders.items if isinstance(i, Fill)]) > before)
        fill = [i for i in bot.orders.items if isinstance(i, Fill)][-1]
        await page.wait_for_selector(f'#fills tr[data-exec-id="{fill.exec_id}"]', timeout=3_000)
        assert "live" in await page.inner_text("#stream")
        assert errors == []
