"""Client-to-server messages: typed requests and the one table that decodes them.

`decode_request(fields, server_version)` never raises for a bad message: an unknown id gives
`UnknownRequest`, an unreadable field `BadRequest`; both leave the connection usable.
"""

from __future__ import annotations

from ibbot.errors import FieldError
from ibbot.protocol.fields import FieldReader
from ibbot.protocol.ids import ClientMsgId
from ibbot.protocol.requests import account, contracts, history, market, misc, orders, session
from ibbot.protocol.requests.base import BadRequest, Decoder, Request, UnknownRequest
from ibbot.protocol.requests.session import (
    ReqCurrentTime,
    ReqCurrentTimeInMillis,
    ReqIds,
    ReqManagedAccts,
    ReqMarketDataType,
    SetServerLogLevel,
    StartApi,
)

DECODERS: dict[int, Decoder] = {
    int(msg_id): decoder
    for table in (
        session.DECODERS,
        orders.DECODERS,
        market.DECODERS,
        contracts.DECODERS,
        history.DECODERS,
        account.DECODERS,
        misc.DECODERS,
    )
    for msg_id, decoder in table.items()
}


def decode_request(fields: list[str], server_version: int) -> Request | UnknownRequest | BadRequest:
    """Decode one frame's fields (the message id first) into a typed request."""
    try:
        msg_id = int(fields[0])
    except ValueError:
        return UnknownRequest(msg_id=-1, fields=tuple(fields))
    decoder = DECODERS.get(msg_id)
    if decoder is None:
        return UnknownRequest(msg_id=msg_id, fields=tuple(fields))
    reader = FieldReader(fields)
    try:
        return decoder(reader, server_version)
    except FieldError as exc:
        return BadRequest(msg_id=ClientMsgId(msg_id), reason=str(exc), req_id=_request_id(fields, msg_id))


# Where the request (or order) id sits in messages that carry one, so an error about a malformed message can
# name it: right after the id in unversioned messages (3, 20, 22 and 78 up), after the version in the others.
_ID_AFTER_VERSION = frozenset(
    {1, 2, 4, 7, 9, 10, 11, 19, 21, 23, 25, 50, 51, 52, 53, 54, 55, 56, 57, 62, 63, 74, 75, 76, 77}
)
_NO_ID = frozenset({80, 82, 85})


def _request_id(fields: list[str], msg_id: int) -> int:
    if msg_id in _ID_AFTER_VERSION:
        index = 2
    elif msg_id in (3, 20, 22) or (msg_id >= 78 and msg_id not in _NO_ID):
        index = 1
    else:
        return -1
    try:
        return int(fields[index])
    except (IndexError, ValueError):
        return -1


__all__ = [
    "BadRequest",
    "ReqCurrentTime",
    "ReqCurrentTimeInMillis",
    "ReqIds",
    "ReqManagedAccts",
    "ReqMarketDataType",
    "Request",
    "SetServerLogLevel",
    "StartApi",
    "UnknownRequest",
    "decode_request",
]
