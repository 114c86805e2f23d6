"""Session requests and responses against both real clients."""

from __future__ import annotations

import pytest

from ibbot.protocol.requests import decode_request
from ibbot.protocol.requests.session import (
    ReqCurrentTime,
    ReqIds,
    ReqManagedAccts,
    ReqMarketDataType,
    SetServerLogLevel,
    StartApi,
)
from ibbot.protocol.responses import encode_response
from ibbot.protocol.responses.session import CurrentTime, ErrorMessage, ManagedAccounts, NextValidId
from oracles import ib_async_decode, ib_async_requests, ibapi_decode, ibapi_requests

VERSIONS = [157, 165, 166, 178]


def one(frames: list[list[str]], sv: int) -> object:
    assert len(frames) == 1
    return decode_request(frames[0], sv)


@pytest.mark.parametrize("sv", VERSIONS)
def test_ib_async_session_requests_decode(sv: int) -> None:
    def start(c: object) -> None:
        c.clientId = 7  # type: ignore[attr-defined]
        c.optCapab = ""  # type: ignore[attr-defined]
        c.startApi()  # type: ignore[attr-defined]

    assert one(ib_async_requests(sv, start), sv) == StartApi(client_id=7)
    assert one(ib_async_requests(sv, lambda c: c.reqIds(3)), sv) == ReqIds(num_ids=3)
    assert one(ib_async_requests(sv, lambda c: c.reqCurrentTime()), sv) == ReqCurrentTime()
    assert one(ib_async_requests(sv, lambda c: c.reqManagedAccts()), sv) == ReqManagedAccts()
    assert one(ib_async_requests(sv, lambda c: c.reqMarketDataType(3)), sv) == ReqMarketDataType(market_data_type=3)
    assert one(ib_async_requests(sv, lambda c: c.setServerLogLevel(5)), sv) == SetServerLogLevel(level=5)


def test_ibapi_session_requests_decode() -> None:
    assert one(ibapi_requests(lambda c: c.reqIds(1)), 157) == ReqIds(num_ids=1)
    assert one(ibapi_requests(lambda c: c.reqCurrentTime()), 157) == ReqCurrentTime()
    assert one(ibapi_requests(lambda c: c.reqMarketDataType(4)), 157) == ReqMarketDataType(market_data_type=4)


@pytest.mark.parametrize("sv", VERSIONS)
def test_ib_async_reads_session_responses(sv: int) -> None:
    calls = ib_async_decode(sv, encode_response(NextValidId(order_id=42), sv))
    assert [(c.name, c.args) for c in calls] == [("nextValidId", (42,))]
    calls = ib_async_decode(sv, encode_response(ManagedAccounts(accounts=("DU123", "DU456")), sv))
    assert [(c.name, c.args) for c in calls] == [("managedAccounts", ("DU123,DU456",))]
    calls = ib_async_decode(sv, encode_response(CurrentTime(epoch_seconds=1_700_000_000), sv))
    assert [(c.name, c.args) for c in calls] == [("currentTime", (1_700_000_000,))]
    err = ErrorMessage(req_id=5, code=200, text="No security definition", advanced_order_reject_json="")
    calls = ib_async_decode(sv, encode_response(err, sv))
    assert [(c.name, c.args) for c in calls] == [("error", (5, 200, "No security definition", ""))]


def test_ibapi_reads_session_responses() -> None:
    calls = ibapi_decode(encode_response(NextValidId(order_id=42), 157))
    assert [(c.name, c.args) for c in calls] == [("nextValidId", (42,))]
    err = ErrorMessage(req_id=-1, code=2104, text="Market data farm connection is OK:usfarm")
    calls = ibapi_decode(encode_response(err, 157))
    assert [(c.name, c.args) for c in calls] == [("error", (-1, 2104, "Market data farm connection is OK:usfarm"))]
