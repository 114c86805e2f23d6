"""Session-level requests: startApi, ids, time, accounts list, market-data type, log level."""

from __future__ import annotations

from dataclasses import dataclass

from ibbot.errors import FieldError
from ibbot.protocol.fields import FieldReader
from ibbot.protocol.ids import ClientMsgId
from ibbot.protocol.requests.base import FROZEN, Decoder, Request, versioned_empty


@dataclass(**FROZEN)
class StartApi(Request):
    msg_id = ClientMsgId.START_API
    client_id: int
    optional_capabilities: str = ""


@dataclass(**FROZEN)
class ReqIds(Request):
    msg_id = ClientMsgId.REQ_IDS
    num_ids: int


@dataclass(**FROZEN)
class ReqCurrentTime(Request):
    msg_id = ClientMsgId.REQ_CURRENT_TIME


@dataclass(**FROZEN)
class ReqCurrentTimeInMillis(Request):
    msg_id = ClientMsgId.REQ_CURRENT_TIME_IN_MILLIS


@dataclass(**FROZEN)
class ReqManagedAccts(Request):
    msg_id = ClientMsgId.REQ_MANAGED_ACCTS


@dataclass(**FROZEN)
class ReqMarketDataType(Request):
    msg_id = ClientMsgId.REQ_MARKET_DATA_TYPE
    market_data_type: int


@dataclass(**FROZEN)
class SetServerLogLevel(Request):
    msg_id = ClientMsgId.SET_SERVER_LOGLEVEL
    level: int


def _start_api(r: FieldReader, sv: int) -> StartApi:
    r.int("version")
    client_id = r.opt_int("clientId")
    if client_id is None:  # empty or the unset literal 2147483647: not client 0, the master (ibbot sim refuses it)
        raise FieldError("clientId is empty or unset")
    caps = r.str("optionalCapabilities") if r.remaining() else ""
    return StartApi(client_id=client_id, optional_capabilities=caps)


def _req_ids(r: FieldReader, sv: int) -> ReqIds:
    r.int("version")
    return ReqIds(num_ids=r.int("numIds"))


def _market_data_type(r: FieldReader, sv: int) -> ReqMarketDataType:
    r.int("version")
    return ReqMarketDataType(market_data_type=r.int("marketDataType"))


def _log_level(r: FieldReader, sv: int) -> SetServerLogLevel:
    r.int("version")
    return SetServerLogLevel(level=r.int("logLevel"))


DECODERS: dict[ClientMsgId, Decoder] = {
    ClientMsgId.START_API: _start_api,
    ClientMsgId.REQ_IDS: _req_ids,
    ClientMsgId.REQ_CURRENT_TIME: versioned_empty(ReqCurrentTime, optional=True),
    ClientMsgId.REQ_CURRENT_TIME_IN_MILLIS: versioned_empty(ReqCurrentTimeInMillis, optional=True),
    ClientMsgId.REQ_MANAGED_ACCTS: versioned_empty(ReqManagedAccts, optional=True),
    ClientMsgId.REQ_MARKET_DATA_TYPE: _market_data_type,
    ClientMsgId.SET_SERVER_LOGLEVEL: _log_level,
}
