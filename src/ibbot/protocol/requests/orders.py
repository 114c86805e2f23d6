"""Client requests: orders family (placeholder until filled)."""

from __future__ import annotations

from ibbot.protocol.ids import ClientMsgId
from ibbot.protocol.requests.base import Decoder

DECODERS: dict[ClientMsgId, Decoder] = {}
