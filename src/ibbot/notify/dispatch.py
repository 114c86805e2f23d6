"""The dispatcher: notifications leave through bounded queues and background tasks, so trading never waits.

Theory of operation. `publish(note)` is synchronous and never blocks: it puts the note on each channel's queue
(bounded; when one is full the oldest note waiting there is dropped and counted, since a fresh alert is worth
more than a stale one). One task per channel sends what its queue holds, in order; a failure that may pass
(`NotifyError.retryable`) is retried after `RetryPolicy` backoff (doubling, capped; the wait a channel asks
for, Telegram's retry_after, when it is longer), up to `attempts` tries, then dropped with a warning. One
slow or dead channel delays only itself. `close()` gives the queues `drain` seconds to empty, then stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from ibbot.errors import ConfigError, NotifyError
from ibbot.notify.base import Notification, Notifier

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    attempts: int = 5  # tries in all, the first included
    initial: float = 1.0  # seconds before the first retry
    factor: float = 2.0
    cap: float = 60.0

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.initial < 0 or self.factor < 1 or self.cap < self.initial:
            raise ConfigError("notify.retry: attempts >= 1, initial >= 0, factor >= 1 and cap >= initial")

    def delay(self, retry: int, asked: float | None = None) -> float:
        """Seconds before retry number `retry` (1 for the first), or the channel's own ask when longer."""
        planned = min(self.cap, self.initial * self.factor ** (retry - 1))
        return max(planned, min(asked, self.cap)) if asked is not None else planned


@dataclass(slots=True)
class ChannelStats:
    delivered: int = 0
    failed: int = 0  # given up on
    retries: int = 0
    dropped: int = 0  # pushed out of a full queue


class _Channel:
    def __init__(self, notifier: Notifier, capacity: int) -> None:
        self.notifier = notifier
        self.queue: asyncio.Queue[Notification] = asyncio.Queue(maxsize=capacity)
        self.stats = ChannelStats()
        self.task: asyncio.Task[None] | None = None


class Dispatcher:
    def __init__(
        self,
        notifiers: Sequence[Notifier],
        *,
        capacity: int = 200,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if capacity < 1:
            raise ConfigError("notify.queue must hold at least one notification")
        self._channels = [_Channel(notifier, capacity) for notifier in notifiers]
        self._retry = retry or RetryPolicy()
        self._sleep = sleep

    @property
    def channels(self) -> dict[str, ChannelStats]:
        return {channel.notifier.name: channel.stats for channel in self._channels}

    def start(self) -> None:
        for channel in self._channels:
            if channel.task is None:
                channel.task = asyncio.get_running_loop().create_task(
                    self._run(channel), name=f"ibbot-notify-{channel.notifier.name}"
                )

    def publish(self, note: Notification) -> None:
        """Queue `note` on every channel; never blocks, never raises."""
        for channel in self._channels:
            if channel.queue.full():
                channel.queue.get_nowait()
                channel.queue.task_done()
                channel.stats.dropped += 1
                log.warning("notifications to %s are backing up; the oldest was dropped", channel.notifier.name)
            channel.queue.put_nowait(note)

    async def _run(self, channel: _Channel) -> None:
        while True:
            note = await channel.queue.get()
            try:
                await self._deliver(channel, note)
            finally:
                channel.queue.task_done()

    async def _deliver(self, channel: _Channel, note: Notification) -> None:
        name = channel.notifier.name
        for attempt in range(1, self._retry.attempts + 1):
            try:
                await channel.notifier.send(note)
            except NotifyError as exc:
                if not exc.retryable or attempt == self._retry.attempts:
                    channel.stats.failed += 1
                    log.warning("notification %r not delivered to %s after %d tries: %s", note.kind, name, attempt, exc)
                    return
                channel.stats.retries += 1
                delay = self._retry.delay(attempt, exc.retry_after)
                log.info("notification to %s failed (%s); retrying in %.1f s", name, exc, delay)
                await self._sleep(delay)
            except Exception:  # a channel's bug: logged, never allowed to end the channel's task
                channel.stats.failed += 1
                log.exception("notification channel %s raised", name)
                return
            else:
                channel.stats.delivered += 1
                return

    async def drain(self, timeout: float) -> bool:
        """Wait until every queue is empty and its note handled; False if `timeout` passed first."""
        try:
            async with asyncio.timeout(timeout):
                for channel in self._channels:
                    await channel.queue.join()
        except TimeoutError:
            return False
        return True

    async def close(self, drain: float = 5.0) -> None:
        if any(channel.task is not None for channel in self._channels):
            await self.drain(drain)
        for channel in self._channels:
            if channel.task is not None:
                channel.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await channel.task
                channel.task = None
            await channel.notifier.close()
