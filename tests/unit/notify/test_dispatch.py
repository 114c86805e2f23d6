"""The dispatcher with the channel's fake: retries with backoff, giving up, a full queue, never blocking."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from ibbot.errors import NotifyError
from ibbot.notify import Dispatcher, MemoryNotifier, Notification, RetryPolicy, Severity

NOW = datetime(2026, 11, 18, tzinfo=UTC)


def note(title: str) -> Notification:
    return Notification(kind="fill", title=title, text="t", time=NOW, severity=Severity.INFO, fields={"a": "b"})


def test_the_backoff_doubles_to_its_cap_and_honours_a_longer_ask() -> None:
    policy = RetryPolicy(attempts=6, initial=1.0, factor=2.0, cap=5.0)
    assert [policy.delay(n) for n in range(1, 6)] == [1, 2, 4, 5, 5]
    assert policy.delay(1, asked=3.0) == 3.0 and policy.delay(3, asked=1.0) == 4.0 and policy.delay(1, 99) == 5.0


async def test_failures_are_retried_with_the_policys_waits() -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    channel = MemoryNotifier()
    channel.fail_next = 2
    dispatcher = Dispatcher([channel], retry=RetryPolicy(attempts=4, initial=0.5, factor=3.0, cap=10), sleep=sleep)
    dispatcher.start()
    dispatcher.publish(note("one"))
    assert await dispatcher.drain(5)
    await dispatcher.close()
    assert [n.title for n in channel.sent] == ["one"] and channel.attempts == 3 and waits == [0.5, 1.5]
    stats = dispatcher.channels["memory"]
    assert (stats.delivered, stats.retries, stats.failed) == (1, 2, 0)


async def test_a_note_is_given_up_after_its_attempts_and_the_next_goes() -> None:
    channel = MemoryNotifier()
    channel.fail_next = 3
    dispatcher = Dispatcher([channel], retry=RetryPolicy(attempts=3, initial=0.0, cap=0.0))
    dispatcher.start()
    dispatcher.publish(note("lost"))
    dispatcher.publish(note("kept"))
    assert await dispatcher.drain(5)
    await dispatcher.close()
    assert [n.title for n in channel.sent] == ["kept"] and dispatcher.channels["memory"].failed == 1


async def test_publish_never_blocks_a_full_queue_drops_the_oldest() -> None:
    gate = asyncio.Event()

    class Slow(MemoryNotifier):
        async def send(self, note: Notification) -> None:
            await gate.wait()
            await super().send(note)

    channel = Slow("slow")
    dispatcher = Dispatcher([channel], capacity=2)
    dispatcher.start()
    for i in range(5):
        dispatcher.publish(note(str(i)))  # returns at once, the channel stuck or not
    gate.set()
    assert await dispatcher.drain(5)
    await dispatcher.close()
    assert dispatcher.channels["slow"].dropped >= 2
    assert [n.title for n in channel.sent][-1] == "4"  # the newest always survives


async def test_a_channel_that_raises_something_else_does_not_end_its_task(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(MemoryNotifier):
        async def send(self, note: Notification) -> None:
            if note.title == "bad":
                raise RuntimeError("a bug")
            await super().send(note)

    channel = Broken("broken")
    dispatcher = Dispatcher([channel])
    dispatcher.start()
    dispatcher.publish(note("bad"))
    dispatcher.publish(note("good"))
    assert await dispatcher.drain(5)
    await dispatcher.close()
    assert [n.title for n in channel.sent] == ["good"] and "raised" in caplog.text


def test_a_notification_as_json_and_as_text() -> None:
    item = note("Filled BUY 1 AAPL @ 1")
    assert item.to_json() == {"source": "ibbot", "kind": "fill", "severity": "info", "title": "Filled BUY 1 AAPL @ 1",
                              "text": "t", "time": NOW.isoformat(), "fields": {"a": "b"}}  # fmt: skip
    assert item.as_text().splitlines() == [f"{Severity.INFO.mark} Filled BUY 1 AAPL @ 1", "t", "a: b"]
    assert NotifyError("x", retryable=False).retryable is False
