"""Server messages: market family (placeholder until filled)."""

from __future__ import annotations

from ibbot.protocol.responses.base import Encoder, Response

ENCODERS: dict[type[Response], Encoder] = {}
