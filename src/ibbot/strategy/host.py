"""Running a strategy's hooks safely, for every runner: a hook that raises stops the strategy cleanly.

`StrategyHost.call(hook, value)` runs one hook; when it raises, the traceback is logged, the failure kept
(`failure`), `on_stop` still runs (its own exception is logged too) and the working orders are handled by the
policy (`WorkingOrders`: cancel, keep or flatten). The runner then stops feeding the strategy and ends with
`raise_if_failed()`: a `StrategyError` naming the hook, the exception and the time. Runners with a hot loop (the
backtester) call the hooks directly inside one `try` and hand an exception to `fail(hook, exc)`.
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass
from datetime import datetime

from ibbot.errors import IbbotError, StrategyError
from ibbot.model import Side
from ibbot.strategy.base import Strategy
from ibbot.strategy.context import Context, WorkingOrders

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class StrategyFailure:
    hook: str
    error: BaseException
    traceback: str
    time: datetime

    def describe(self, name: str) -> str:
        return f"{name}.{self.hook} raised {type(self.error).__name__}: {self.error} (at {self.time.isoformat()})"


class StrategyHost:
    """One strategy bound to one context; its start, hooks and stop, with the failure policy."""

    def __init__(
        self, strategy: Strategy, context: Context, *, working_orders: WorkingOrders = WorkingOrders.CANCEL
    ) -> None:
        self.strategy = strategy
        self.context = context
        self.policy = working_orders
        self.failure: StrategyFailure | None = None
        self.running = False
        self.stopped = False

    def start(self) -> bool:
        """Bind and run `on_start`; False if it raised (the host has stopped then)."""
        self.strategy.bind(self.context)
        self.running = True
        return self.call("on_start")

    def call(self, hook: str, *args: object) -> bool:
        """Run one hook; False (and the strategy stopped) if it raised."""
        if not self.running:
            return False
        try:
            getattr(self.strategy, hook)(*args)
        except Exception as exc:
            self.fail(hook, exc)
            return False
        return True

    def fail(self, hook: str, error: BaseException) -> None:
        """`hook` raised `error`: log the traceback, keep the failure, stop the strategy."""
        text = "".join(traceback.format_exception(error))
        self.failure = StrategyFailure(hook=hook, error=error, traceback=text, time=self.context.now())
        log.error("%s; stopping it\n%s", self.failure.describe(self.strategy.name), text.rstrip())
        self.stop()

    def stop(self) -> None:
        """Run `on_stop` (once), then handle the working orders by the policy."""
        if self.stopped:
            return
        self.stopped = True
        was_running, self.running = self.running, False
        if was_running and not (self.failure is not None and self.failure.hook == "on_stop"):
            try:
                self.strategy.on_stop()
            except Exception as exc:
                log.error("%s.on_stop raised %r\n%s", self.strategy.name, exc, "".join(traceback.format_exception(exc)))
                if self.failure is None:
                    text = "".join(traceback.format_exception(exc))
                    self.failure = StrategyFailure(hook="on_stop", error=exc, traceback=text, time=self.context.now())
        self.handle_working_orders()

    def handle_working_orders(self) -> None:
        if self.policy is WorkingOrders.KEEP:
            return
        for order in list(self.context.working_orders()):
            try:
                self.context.cancel(order.order_ref)
            except IbbotError as exc:
                log.error("%s: cancelling %s failed: %s", self.strategy.name, order.order_ref, exc)
        if self.policy is WorkingOrders.FLATTEN:
            self.flatten()

    def flatten(self) -> None:
        for position in list(self.context.positions()):
            if position.quantity == 0:
                continue
            side = Side.SELL if position.quantity > 0 else Side.BUY
            request = self.strategy.request(position.instrument, side, abs(position.quantity))
            try:
                self.context.submit(request)
            except IbbotError as exc:
                log.error("%s: flattening %s failed: %s", self.strategy.name, position.instrument, exc)

    def raise_if_failed(self) -> None:
        if self.failure is not None:
            raise StrategyError(self.failure.describe(self.strategy.name)) from self.failure.error
