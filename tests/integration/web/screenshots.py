"""The dashboard's screenshots in docs/img/: a bot trades against the simulator for a while (its clock at 20x, so
the equity chart has some history), then headless Chromium takes the pictures.

    .venv/bin/python tests/integration/web/screenshots.py
"""

from __future__ import annotations

import asyncio
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tests"))

from ibbot.clock import OffsetClock  # noqa: E402
from ibbot.model import Side  # noqa: E402
from integration.web import support  # noqa: E402
from integration.web.support import limit, market, running_bot  # noqa: E402

OUT = ROOT / "docs" / "img"


async def trade(bot: support.Bot, seconds: float) -> None:
    rng = random.Random(7)
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while loop.time() < end:
        side = Side.BUY if rng.random() < 0.55 else Side.SELL
        await bot.service.submit(market(bot.aapl, side, rng.choice((10, 20, 25, 40))))
        await asyncio.sleep(rng.uniform(0.4, 1.2))


async def shoot(page: Any, name: str) -> None:
    await page.wait_for_timeout(1200)  # let the last push render and the row flash fade
    await page.screenshot(path=str(OUT / name), full_page=True)
    print("wrote", OUT / name)


async def main() -> None:
    from playwright.async_api import async_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    original = support.OffsetClock
    support.OffsetClock = lambda start: OffsetClock(start, rate=20.0)  # type: ignore[misc, assignment]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            async with running_bot(Path(tmp), sample_every=0.25) as bot:
                await trade(bot, 25)
                await bot.service.submit(limit(bot.aapl, Side.BUY, 50, "180.00"))
                await bot.service.submit(limit(bot.aapl, Side.SELL, 40, "205.00"))
                async with async_playwright() as playwright:
                    browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                               args=["--no-sandbox"])  # fmt: skip
                    page = await browser.new_page(viewport={"width": 1440, "height": 900})
                    await page.goto(bot.url + f"#token={bot.token.value}")
                    await page.wait_for_selector('#pill-connection[data-value="ready"]')
                    await shoot(page, "dashboard.png")
                    mobile = await browser.new_page(viewport={"width": 420, "height": 900}, device_scale_factor=2)
                    await mobile.goto(bot.url)
                    await mobile.wait_for_selector('#pill-connection[data-value="ready"]')
                    await shoot(mobile, "dashboard-mobile.png")
                    await bot.ops.controls.halt("web:ops@127.0.0.1", "end of the demo")
                    await page.wait_for_selector('#pill-risk[data-value="halted"]')
                    await shoot(page, "dashboard-halted.png")
                    await browser.close()
    finally:
        support.OffsetClock = original  # type: ignore[misc]


if __name__ == "__main__":
    asyncio.run(main())
