"""The TWS API wire protocol, sans-IO: framing, field codec, handshake, typed requests and responses.

Nothing here touches a socket, a loop or a clock; `ServerConnection` is the entry point for a server. Its names
are resolved on first use (PEP 562): `connection` loads every request and response module, which a reader of
`ibbot.protocol.types` or `ibbot.protocol.ids` alone (the framework, through its configuration) does not need.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from ibbot.protocol.ids import MAX_SUPPORTED_VERSION, MIN_SUPPORTED_VERSION, SV, ClientMsgId, ServerMsgId

if TYPE_CHECKING:
    from ibbot.protocol.connection import NEED_DATA, ConnectionClosed, NeedData, Negotiated, ServerConnection, State

_LAZY = {name: "ibbot.protocol.connection" for name in ("NEED_DATA", "ConnectionClosed", "NeedData", "Negotiated")}
_LAZY.update({"ServerConnection": "ibbot.protocol.connection", "State": "ibbot.protocol.connection"})


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ibbot.protocol' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # resolved once
    return value


__all__ = [
    "MAX_SUPPORTED_VERSION",
    "MIN_SUPPORTED_VERSION",
    "NEED_DATA",
    "SV",
    "ClientMsgId",
    "ConnectionClosed",
    "NeedData",
    "Negotiated",
    "ServerConnection",
    "ServerMsgId",
    "State",
]
