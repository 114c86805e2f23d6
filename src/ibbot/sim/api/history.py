"""Handlers for history requests: each hands the request to the simulator's `HistoryService`."""

from __future__ import annotations

from typing import Any

from ibbot.sim.api.base import Context, Handler
from ibbot.sim.history.service import HistoryService


def _to_history(ctx: Context, request: Any) -> None:
    ctx.sim.history.handle(ctx.session, request, ctx.now, ctx.out)


HANDLERS: dict[type, Handler] = dict.fromkeys(HistoryService.REQUEST_TYPES, _to_history)
