"""The encoding frame shared by every server message: the base type and the table shape.

Each module of this package owns one family of messages and exports `ENCODERS`, a table from message type
to a function `(message, server_version) -> bytes` returning one whole frame. An encoder writes exactly the
layout the negotiated version has (../reference section 8) and raises `LocalProtocolError` for a message the
version cannot carry. `fmt_*` from `ibbot.protocol.fields` keep numbers readable by every decoder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from ibbot.errors import LocalProtocolError
from ibbot.protocol.ids import ServerMsgId

FROZEN = {"frozen": True, "slots": True, "kw_only": True}


@dataclass(**FROZEN)
class Response:
    """Base of every server-to-client message."""

    msg_id: ClassVar[ServerMsgId]


Encoder = Callable[[Any, int], bytes]


def require_version(sv: int, minimum: int, what: str) -> None:
    if sv < minimum:
        raise LocalProtocolError(f"{what} needs server version {minimum}, negotiated {sv}")
