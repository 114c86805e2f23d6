"""Headless Chromium for the dashboard's browser tests: Debian's `chromium`, driven by Playwright.

A missing browser skips the tests on a developer's machine and FAILS them in CI (`CI` set): CI installs it.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("IBBOT_CHROMIUM", "/usr/bin/chromium"))


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    if not CHROMIUM.exists():
        message = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI runs the browser tests")
        pytest.skip(message)
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
        )
        try:
            yield launched
        finally:
            await launched.close()
