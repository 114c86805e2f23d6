"""A person's actions on a running bot: halt, resume, flatten, cancel an order, acknowledge a MONITOR_ONLY verdict.

Each action is carried out by the order service (`ibbot.engine.orders`: the kill switch, the risk mode's table,
the cancel path) and recorded as one `OperatorAction` (who, when, what, how it ended) for the audit trail,
whether it succeeded or was refused. `who` names the person and where they acted from ("web:alice@127.0.0.1").

flatten is the kill switch with flattening: every working order cancelled and confirmed, then every position
closed at market, and trading stays halted (a strategy must not reopen what the operator just closed). A
refusal by the risk mode's table (resume while not halted ...) or by the order path comes back as the
`IbbotError` it is, with its message, for the dashboard to show.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from ibbot.clock import Clock
from ibbot.errors import IbbotError, OrderError
from ibbot.ops.decisions import Emit, OperatorAction

ACTIONS = ("halt", "resume", "flatten", "cancel", "acknowledge")


class ControlledService(Protocol):
    """What the controls use of `ibbot.engine.orders.OrderService`."""

    manager: Any

    async def halt(self, reason: str, who: str, *, flatten: bool = False, timeout: float = 10.0) -> None: ...
    def resume(self, who: str) -> None: ...
    def acknowledge(self, who: str) -> None: ...
    async def cancel(self, order_ref: str) -> None: ...


class Controls:
    def __init__(self, service: ControlledService, clock: Clock, emit: Emit, *, halt_timeout: float = 10.0) -> None:
        self._service = service
        self._clock = clock
        self._emit = emit
        self.halt_timeout = halt_timeout

    async def _act(
        self, action: str, who: str, details: Mapping[str, str], work: Callable[[], Awaitable[None]], done: str
    ) -> str:
        """Run `work`, record how it ended, and return `done` (the message shown to the operator)."""
        if not who:
            raise OrderError("an operator action names who takes it")
        try:
            await work()
        except IbbotError as exc:
            self._record(action, who, details, f"refused: {exc}")
            raise
        except Exception as exc:
            self._record(action, who, details, f"failed: {type(exc).__name__}: {exc}")
            raise
        self._record(action, who, details, "ok")
        return done

    def _record(self, action: str, who: str, details: Mapping[str, str], outcome: str) -> None:
        self._emit(OperatorAction(action=action, who=who, time=self._clock.now(), details=dict(details),
                                  outcome=outcome))  # fmt: skip

    async def halt(self, who: str, reason: str = "") -> str:
        why = reason or "operator halt"

        async def work() -> None:
            await self._service.halt(why, who, flatten=False, timeout=self.halt_timeout)

        return await self._act("halt", who, {"reason": why}, work, "halted: every working order is cancelled")

    async def flatten(self, who: str, reason: str = "") -> str:
        why = reason or "operator flatten"

        async def work() -> None:
            await self._service.halt(why, who, flatten=True, timeout=self.halt_timeout)

        return await self._act(
            "flatten", who, {"reason": why}, work, "halted and flattening: orders cancelled, closing orders sent"
        )

    async def resume(self, who: str) -> str:
        async def work() -> None:
            self._service.resume(who)

        return await self._act("resume", who, {}, work, "resumed: orders may go again")

    async def acknowledge(self, who: str) -> str:
        async def work() -> None:
            self._service.acknowledge(who)

        return await self._act("acknowledge", who, {}, work, "acknowledged: the differences are accepted")

    async def cancel(self, who: str, order_ref: str) -> str:
        async def work() -> None:
            order = self._service.manager.by_ref(order_ref)
            if order is None:
                raise OrderError(f"no order {order_ref!r}")
            if not order.status.is_working:
                raise OrderError(f"order {order_ref} is already {order.status.value}")
            await self._service.cancel(order_ref)

        return await self._act("cancel", who, {"order_ref": order_ref}, work, f"cancel sent for {order_ref}")
