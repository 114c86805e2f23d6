"""The TWS API wire protocol, sans-IO: framing, field codec, handshake, typed requests and responses.

Nothing here touches a socket, a loop or a clock; `ServerConnection` is the entry point for a server.
"""

from ibbot.protocol.connection import NEED_DATA, ConnectionClosed, NeedData, Negotiated, ServerConnection, State
from ibbot.protocol.ids import MAX_SUPPORTED_VERSION, MIN_SUPPORTED_VERSION, SV, ClientMsgId, ServerMsgId

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
