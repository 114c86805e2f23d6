"""Account-family requests as ib_async 2.1.0 and ibapi 9.81 send them decode into typed requests."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest

from ibbot.protocol.framing import split_fields
from ibbot.protocol.requests import BadRequest, decode_request
from ibbot.protocol.requests.account import (
    DECODERS,
    CancelAccountSummary,
    CancelAccountUpdatesMulti,
    CancelPnl,
    CancelPnlSingle,
    CancelPositions,
    CancelPositionsMulti,
    ReqAccountSummary,
    ReqAccountUpdates,
    ReqAccountUpdatesMulti,
    ReqPnl,
    ReqPnlSingle,
    ReqPositions,
    ReqPositionsMulti,
)
from oracles import decode_single, ib_async_requests, ibapi_requests

# No account-family layout changes between 157 and 178: the two ends suffice.
VERSIONS = [157, 178]


decode_whole = partial(decode_single, decoders=DECODERS)  # one frame, every field consumed, the table agrees


# (client call, expected request); the same calls are valid for ib_async and ibapi.
CASES: list[tuple[str, Any, object]] = [
    (
        "account updates on",
        lambda c: c.reqAccountUpdates(True, "DU123"),
        ReqAccountUpdates(subscribe=True, account="DU123"),
    ),
    (
        "account updates off",
        lambda c: c.reqAccountUpdates(False, ""),
        ReqAccountUpdates(subscribe=False, account=""),
    ),
    ("positions", lambda c: c.reqPositions(), ReqPositions()),
    ("cancel positions", lambda c: c.cancelPositions(), CancelPositions()),
    (
        "account summary",
        lambda c: c.reqAccountSummary(9, "All", "NetLiquidation,BuyingPower,$LEDGER:ALL"),
        ReqAccountSummary(req_id=9, group="All", tags=("NetLiquidation", "BuyingPower", "$LEDGER:ALL")),
    ),
    ("cancel account summary", lambda c: c.cancelAccountSummary(9), CancelAccountSummary(req_id=9)),
    (
        "positions multi",
        lambda c: c.reqPositionsMulti(11, "DU123", "MODEL1"),
        ReqPositionsMulti(req_id=11, account="DU123", model_code="MODEL1"),
    ),
    ("cancel positions multi", lambda c: c.cancelPositionsMulti(11), CancelPositionsMulti(req_id=11)),
    (
        "account updates multi",
        lambda c: c.reqAccountUpdatesMulti(12, "DU456", "M2", True),
        ReqAccountUpdatesMulti(req_id=12, account="DU456", model_code="M2", ledger_and_nlv=True),
    ),
    (
        "cancel account updates multi",
        lambda c: c.cancelAccountUpdatesMulti(12),
        CancelAccountUpdatesMulti(req_id=12),
    ),
    ("pnl", lambda c: c.reqPnL(13, "DU123", ""), ReqPnl(req_id=13, account="DU123", model_code="")),
    ("cancel pnl", lambda c: c.cancelPnL(13), CancelPnl(req_id=13)),
    (
        "pnl single",
        lambda c: c.reqPnLSingle(14, "DU123", "M3", 265598),
        ReqPnlSingle(req_id=14, account="DU123", model_code="M3", con_id=265598),
    ),
    ("cancel pnl single", lambda c: c.cancelPnLSingle(14), CancelPnlSingle(req_id=14)),
]
IDS = [case[0] for case in CASES]


@pytest.mark.parametrize("sv", VERSIONS)
@pytest.mark.parametrize(("name", "call", "expected"), CASES, ids=IDS)
def test_ib_async_account_requests_decode(sv: int, name: str, call: Any, expected: object) -> None:
    assert decode_whole(ib_async_requests(sv, call), sv) == expected


@pytest.mark.parametrize(("name", "call", "expected"), CASES, ids=IDS)
def test_ibapi_account_requests_decode(name: str, call: Any, expected: object) -> None:
    assert decode_whole(ibapi_requests(call), 157) == expected


def test_every_account_decoder_is_exercised() -> None:
    assert {type(expected).msg_id for _, _, expected in CASES} == set(DECODERS)


# --- ib_async's own startup sync (IB.connectAsync), driven through its IB-level methods ---------------


REQ_ID_SEQ = 41


async def _ib_level_requests(sv: int, call: Any) -> list[list[str]]:
    """Frames ib_async's `IB` object sends for `call(ib)`; async because its futures need a running loop."""
    from ib_async import IB

    ib = IB()
    client = ib.client
    client._serverVersion = sv
    client.decoder.serverVersion = sv
    client.connState = client.CONNECTED
    client._apiReady = True  # getReqId refuses otherwise
    client._reqIdSeq = REQ_ID_SEQ
    sent: list[str] = []
    client.sendMsg = sent.append  # bypass only the throttle queue
    try:
        call(ib)
    finally:
        # so IB.__del__ does not try to disconnect a fake session
        client.connState = client.DISCONNECTED
        client._apiReady = False
    return [split_fields(msg.encode()) for msg in sent]


@pytest.mark.parametrize("sv", VERSIONS)
async def test_ib_async_startup_sync_requests_decode(sv: int) -> None:
    frames = await _ib_level_requests(sv, lambda ib: ib.reqPositionsAsync())
    assert decode_whole(frames, sv) == ReqPositions()

    frames = await _ib_level_requests(sv, lambda ib: ib.reqAccountUpdatesAsync("DU123"))
    assert decode_whole(frames, sv) == ReqAccountUpdates(subscribe=True, account="DU123")

    frames = await _ib_level_requests(sv, lambda ib: ib.reqAccountUpdatesMultiAsync("DU123"))
    req = decode_whole(frames, sv)
    assert isinstance(req, ReqAccountUpdatesMulti)
    assert (req.account, req.model_code, req.ledger_and_nlv) == ("DU123", "", False)
    assert req.req_id == REQ_ID_SEQ


@pytest.mark.parametrize("sv", VERSIONS)
async def test_ib_async_full_account_summary_tags_decode(sv: int) -> None:
    frames = await _ib_level_requests(sv, lambda ib: ib.reqAccountSummaryAsync())
    req = decode_whole(frames, sv)
    assert isinstance(req, ReqAccountSummary)
    assert req.group == "All"
    # ib_async asks for its whole fixed tag list; every tag arrives as one clean entry.
    assert len(req.tags) == 34
    assert {"NetLiquidation", "DayTradesRemainingT+4", "$LEDGER:ALL"} <= set(req.tags)
    assert all(tag and tag == tag.strip() and "," not in tag for tag in req.tags)


def test_account_summary_tags_tolerate_spaces_and_trailing_comma() -> None:
    req = decode_request(["62", "1", "4", "All", " NetLiquidation , BuyingPower,"], 178)
    assert req == ReqAccountSummary(req_id=4, group="All", tags=("NetLiquidation", "BuyingPower"))


def test_truncated_account_request_is_a_bad_request() -> None:
    req = decode_request(["94", "14", "DU123", "M3"], 178)
    assert isinstance(req, BadRequest)
    assert "conId" in req.reason
