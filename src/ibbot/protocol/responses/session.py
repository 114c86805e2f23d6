"""Session-level server messages: ids, accounts list, time, errors and notices."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ibbot.protocol.fields import fmt_int
from ibbot.protocol.framing import frame_fields
from ibbot.protocol.ids import SV, ServerMsgId
from ibbot.protocol.responses.base import FROZEN, Encoder, Response, require_version


@dataclass(**FROZEN)
class NextValidId(Response):
    msg_id = ServerMsgId.NEXT_VALID_ID
    order_id: int


@dataclass(**FROZEN)
class ManagedAccounts(Response):
    msg_id = ServerMsgId.MANAGED_ACCTS
    accounts: tuple[str, ...]


@dataclass(**FROZEN)
class CurrentTime(Response):
    msg_id = ServerMsgId.CURRENT_TIME
    epoch_seconds: int


@dataclass(**FROZEN)
class CurrentTimeInMillis(Response):
    msg_id = ServerMsgId.CURRENT_TIME_IN_MILLIS
    epoch_millis: int


@dataclass(**FROZEN)
class ErrorMessage(Response):
    """error (4): `req_id` is the request or order id, -1 for a notice about the connection.

    `error_time` (epoch milliseconds, sent from ERROR_TIME 194) None means "when it is sent": the connection
    stamps it (`ServerConnection.send_many(..., now_ms=)`), and an unstamped one goes out as 0.
    """

    msg_id = ServerMsgId.ERR_MSG
    req_id: int
    code: int
    text: str
    advanced_order_reject_json: str = ""
    error_time: int | None = None


def _next_valid_id(m: NextValidId, sv: int) -> bytes:
    # Exactly 3 fields: ib_async's readiness check counts them.
    return frame_fields(["9", "1", fmt_int(m.order_id)])


def _managed_accounts(m: ManagedAccounts, sv: int) -> bytes:
    return frame_fields(["15", "1", ",".join(m.accounts)])


def _current_time(m: CurrentTime, sv: int) -> bytes:
    return frame_fields(["49", "1", fmt_int(m.epoch_seconds)])


def _current_time_millis(m: CurrentTimeInMillis, sv: int) -> bytes:
    require_version(sv, SV.CURRENT_TIME_IN_MILLIS, "currentTimeInMillis")
    return frame_fields(["109", fmt_int(m.epoch_millis)])


def _error(m: ErrorMessage, sv: int) -> bytes:
    if sv >= SV.ERROR_TIME:  # no version field, and the time last
        time_ms = "0" if m.error_time is None else fmt_int(m.error_time)
        return frame_fields(["4", fmt_int(m.req_id), fmt_int(m.code), m.text, m.advanced_order_reject_json, time_ms])
    fields = ["4", "2", fmt_int(m.req_id), fmt_int(m.code), m.text]
    if sv >= SV.ADVANCED_ORDER_REJECT:
        fields.append(m.advanced_order_reject_json)
    return frame_fields(fields)


def stamp_errors(messages: list[Response], now_ms: int) -> list[Response]:
    """`messages` with every ErrorMessage that has no time given `now_ms` (the connection's send path)."""
    return [
        dataclasses.replace(m, error_time=now_ms) if type(m) is ErrorMessage and m.error_time is None else m
        for m in messages
    ]


ENCODERS: dict[type[Response], Encoder] = {
    NextValidId: _next_valid_id,
    ManagedAccounts: _managed_accounts,
    CurrentTime: _current_time,
    CurrentTimeInMillis: _current_time_millis,
    ErrorMessage: _error,
}
