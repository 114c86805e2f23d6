"""Handlers for marketdata requests (being written)."""

from __future__ import annotations

from ibbot.sim.api.base import Handler

HANDLERS: dict[type, Handler] = {}
