"""Misc-family requests as ib_async 2.1.0 and ibapi 9.81 send them decode into typed requests."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ibbot.protocol.requests import BadRequest, decode_request
from ibbot.protocol.requests.misc import (
    DECODERS,
    CancelFundamentalData,
    CancelNewsBulletins,
    CancelScannerSubscription,
    CancelWshEventData,
    CancelWshMetaData,
    QueryDisplayGroups,
    ReplaceFa,
    ReqFa,
    ReqFundamentalData,
    ReqHistoricalNews,
    ReqNewsArticle,
    ReqNewsBulletins,
    ReqNewsProviders,
    ReqScannerParameters,
    ReqScannerSubscription,
    ReqUserInfo,
    ReqWshEventData,
    ReqWshMetaData,
    ScannerSubscription,
    SubscribeToGroupEvents,
    UnsubscribeFromGroupEvents,
    UpdateDisplayGroup,
    VerifyAndAuthMessage,
    VerifyAndAuthRequest,
    VerifyMessage,
    VerifyRequest,
)
from ibbot.protocol.types import Contract, TagValue
from oracles import decode_single, ib_async_requests, ibapi_requests

# Only reqWshEventData changes layout in this family (171, 173); the rest is checked at both ends.
VERSIONS = [157, 178]
WSH_VERSIONS = [157, 170, 171, 172, 173, 178]


decode_whole = partial(decode_single, decoders=DECODERS)  # one frame, every field consumed, the table agrees


# --- client-side values, built per client so each sends its own objects --------------------------------


def _tags(tv: Any, pairs: list[tuple[str, str]]) -> list[Any]:
    return [tv(tag, value) for tag, value in pairs]


OPTIONS = [("usdMarketValueAbove", "1000"), ("note", "a=b")]  # a value may contain "="
FILTERS = [("priceAbove", "5"), ("priceBelow", "50")]
DECODED_OPTIONS = tuple(TagValue(tag=t, value=v) for t, v in OPTIONS)
DECODED_FILTERS = tuple(TagValue(tag=t, value=v) for t, v in FILTERS)

SUB_FIELDS = {
    "numberOfRows": 20,
    "instrument": "STK",
    "locationCode": "STK.US.MAJOR",
    "scanCode": "TOP_PERC_GAIN",
    "abovePrice": 5.0,
    "belowPrice": 100.5,
    "aboveVolume": 10000,
    "marketCapAbove": 1e6,
    "marketCapBelow": 2e9,
    "moodyRatingAbove": "Aaa",
    "moodyRatingBelow": "Baa",
    "spRatingAbove": "AA",
    "spRatingBelow": "BB",
    "maturityDateAbove": "20250101",
    "maturityDateBelow": "20300101",
    "couponRateAbove": 1.5,
    "couponRateBelow": 7.25,
    "excludeConvertible": True,
    "averageOptionVolumeAbove": 50,
    "scannerSettingPairs": "Annual,true",
    "stockTypeFilter": "CORP",
}
DECODED_SUB = ScannerSubscription(
    number_of_rows=20,
    instrument="STK",
    location_code="STK.US.MAJOR",
    scan_code="TOP_PERC_GAIN",
    above_price=5.0,
    below_price=100.5,
    above_volume=10000,
    market_cap_above=1e6,
    market_cap_below=2e9,
    moody_rating_above="Aaa",
    moody_rating_below="Baa",
    sp_rating_above="AA",
    sp_rating_below="BB",
    maturity_date_above="20250101",
    maturity_date_below="20300101",
    coupon_rate_above=1.5,
    coupon_rate_below=7.25,
    exclude_convertible=True,
    average_option_volume_above=50,
    scanner_setting_pairs="Annual,true",
    stock_type_filter="CORP",
)


def _filled(obj: Any, values: dict[str, Any]) -> Any:
    for name, value in values.items():
        setattr(obj, name, value)
    return obj


FUND_CONTRACT = {
    "conId": 265598,
    "symbol": "AAPL",
    "secType": "STK",
    "exchange": "SMART",
    "primaryExchange": "NASDAQ",
    "currency": "USD",
    "localSymbol": "AAPL",
}
DECODED_FUND_CONTRACT = Contract(
    con_id=265598,
    symbol="AAPL",
    sec_type="STK",
    exchange="SMART",
    primary_exchange="NASDAQ",
    currency="USD",
    local_symbol="AAPL",
)


class _Kit:
    """The few client classes a call needs: ib_async's or ibapi's."""

    def __init__(self, contract: Any, tag_value: Any, scanner: Any) -> None:
        self.contract = contract
        self.tag_value = tag_value
        self.scanner = scanner


def _ib_async_kit() -> _Kit:
    from ib_async import Contract as IbContract
    from ib_async import ScannerSubscription as IbScanner
    from ib_async import TagValue as IbTagValue

    return _Kit(IbContract, IbTagValue, IbScanner)


def _ibapi_kit() -> _Kit:
    from ibapi.contract import Contract as ApiContract
    from ibapi.scanner import ScannerSubscription as ApiScanner
    from ibapi.tag_value import TagValue as ApiTagValue

    return _Kit(ApiContract, ApiTagValue, ApiScanner)


def _cases(k: _Kit) -> list[tuple[str, Any, object]]:
    """(name, client call, expected request) for every message both clients can send."""
    return [
        ("news bulletins", lambda c: c.reqNewsBulletins(True), ReqNewsBulletins(all_msgs=True)),
        ("cancel news bulletins", lambda c: c.cancelNewsBulletins(), CancelNewsBulletins()),
        ("request fa", lambda c: c.requestFA(3), ReqFa(fa_data_type=3)),
        (
            "replace fa",
            lambda c: c.replaceFA(77, 1, "<ListOfGroups/>"),
            ReplaceFa(req_id=77, fa_data_type=1, xml="<ListOfGroups/>"),
        ),
        (
            "scanner subscription",
            lambda c: c.reqScannerSubscription(
                5, _filled(k.scanner(), SUB_FIELDS), _tags(k.tag_value, OPTIONS), _tags(k.tag_value, FILTERS)
            ),
            ReqScannerSubscription(
                req_id=5, subscription=DECODED_SUB, options=DECODED_OPTIONS, filter_options=DECODED_FILTERS
            ),
        ),
        (
            "scanner subscription unset",
            lambda c: c.reqScannerSubscription(6, k.scanner(), [], []),
            ReqScannerSubscription(req_id=6, subscription=ScannerSubscription()),
        ),
        ("cancel scanner", lambda c: c.cancelScannerSubscription(5), CancelScannerSubscription(req_id=5)),
        ("scanner parameters", lambda c: c.reqScannerParameters(), ReqScannerParameters()),
        (
            "fundamental data",
            lambda c: c.reqFundamentalData(
                8, _filled(k.contract(), FUND_CONTRACT), "ReportsFinSummary", _tags(k.tag_value, OPTIONS)
            ),
            ReqFundamentalData(
                req_id=8,
                contract=DECODED_FUND_CONTRACT,
                report_type="ReportsFinSummary",
                options=DECODED_OPTIONS,
            ),
        ),
        ("cancel fundamental data", lambda c: c.cancelFundamentalData(8), CancelFundamentalData(req_id=8)),
        ("verify request", _verify_request, VerifyRequest(api_name="bot", api_version="1.2")),
        ("verify message", lambda c: c.verifyMessage("data"), VerifyMessage(api_data="data")),
        (
            "verify and auth request",
            _verify_and_auth_request,
            VerifyAndAuthRequest(api_name="bot", api_version="1.2", opaque_isv_key="KEY"),
        ),
        (
            "verify and auth message",
            lambda c: c.verifyAndAuthMessage("data", "xyz"),
            VerifyAndAuthMessage(api_data="data", xyz_response="xyz"),
        ),
        ("query display groups", lambda c: c.queryDisplayGroups(21), QueryDisplayGroups(req_id=21)),
        (
            "subscribe to group events",
            lambda c: c.subscribeToGroupEvents(22, 4),
            SubscribeToGroupEvents(req_id=22, group_id=4),
        ),
        (
            "update display group",
            lambda c: c.updateDisplayGroup(22, "8314@SMART"),
            UpdateDisplayGroup(req_id=22, contract_info="8314@SMART"),
        ),
        (
            "unsubscribe from group events",
            lambda c: c.unsubscribeFromGroupEvents(22),
            UnsubscribeFromGroupEvents(req_id=22),
        ),
        (
            "news article",
            lambda c: c.reqNewsArticle(31, "BRFG", "BRFG$04fb9da2", _tags(k.tag_value, OPTIONS)),
            ReqNewsArticle(req_id=31, provider_code="BRFG", article_id="BRFG$04fb9da2", options=DECODED_OPTIONS),
        ),
        ("news providers", lambda c: c.reqNewsProviders(), ReqNewsProviders()),
        (
            # No options: ibapi 9.81 drops them anyway (it iterates the empty string it is building).
            "historical news",
            lambda c: c.reqHistoricalNews(
                32, 8314, "BRFG+DJNL", "2024-01-02 00:00:00.0", "2024-01-03 00:00:00.0", 10, []
            ),
            ReqHistoricalNews(
                req_id=32,
                con_id=8314,
                provider_codes=("BRFG", "DJNL"),
                start="2024-01-02 00:00:00.0",
                end="2024-01-03 00:00:00.0",
                total_results=10,
            ),
        ),
    ]


def _verify_request(c: Any) -> None:
    c.extraAuth = True  # ibapi refuses verifyRequest unless asked for at connect; ib_async ignores it
    c.verifyRequest("bot", "1.2")


def _verify_and_auth_request(c: Any) -> None:
    c.extraAuth = True
    c.verifyAndAuthRequest("bot", "1.2", "KEY")


def _ib_async_only_cases() -> list[tuple[str, Any, object]]:
    """Messages ibapi 9.81 cannot send (WSH arrived at 161, user info at 167)."""
    return [
        ("wsh meta data", lambda c: c.reqWshMetaData(41), ReqWshMetaData(req_id=41)),
        ("cancel wsh meta data", lambda c: c.cancelWshMetaData(41), CancelWshMetaData(req_id=41)),
        ("cancel wsh event data", lambda c: c.cancelWshEventData(42), CancelWshEventData(req_id=42)),
        ("user info", lambda c: c.reqUserInfo(43), ReqUserInfo(req_id=43)),
    ]


IB_ASYNC_CASES = _cases(_ib_async_kit()) + _ib_async_only_cases()
IBAPI_CASES = _cases(_ibapi_kit())


@pytest.mark.parametrize("sv", VERSIONS)
@pytest.mark.parametrize(("name", "call", "expected"), IB_ASYNC_CASES, ids=[c[0] for c in IB_ASYNC_CASES])
def test_ib_async_misc_requests_decode(sv: int, name: str, call: Any, expected: object) -> None:
    assert decode_whole(ib_async_requests(sv, call), sv) == expected


@pytest.mark.parametrize(("name", "call", "expected"), IBAPI_CASES, ids=[c[0] for c in IBAPI_CASES])
def test_ibapi_misc_requests_decode(name: str, call: Any, expected: object) -> None:
    assert decode_whole(ibapi_requests(call), 157) == expected


def test_every_misc_decoder_is_exercised() -> None:
    covered = {type(expected).msg_id for _, _, expected in IB_ASYNC_CASES}
    covered.add(ReqWshEventData.msg_id)  # its own version-sweeping tests below
    assert covered == set(DECODERS)


# --- reqWshEventData: grows at 171 and 173, and is sent with UNSET values literal ---------------------


def _wsh(**values: Any) -> Any:
    from ib_async import WshEventData

    return WshEventData(**values)


@pytest.mark.parametrize("sv", WSH_VERSIONS)
def test_ib_async_wsh_event_data_decodes_at_each_layout(sv: int) -> None:
    data = _wsh(
        conId=8314,
        filter='{"watchlist":["8314"]}',
        fillWatchlist=True,
        fillPortfolio=False,
        fillCompetitors=True,
        startDate="20240101",
        endDate="20240201",
        totalLimit=25,
    )
    req = decode_whole(ib_async_requests(sv, lambda c: c.reqWshEventData(51, data)), sv)
    expected = ReqWshEventData(req_id=51, con_id=8314)
    if sv >= 171:
        expected = ReqWshEventData(
            req_id=51,
            con_id=8314,
            filter='{"watchlist":["8314"]}',
            fill_watchlist=True,
            fill_portfolio=False,
            fill_competitors=True,
        )
    if sv >= 173:
        expected = ReqWshEventData(
            req_id=51,
            con_id=8314,
            filter='{"watchlist":["8314"]}',
            fill_watchlist=True,
            fill_portfolio=False,
            fill_competitors=True,
            start_date="20240101",
            end_date="20240201",
            total_limit=25,
        )
    assert req == expected


@pytest.mark.parametrize("sv", WSH_VERSIONS)
def test_ib_async_wsh_event_data_literal_unset_values_read_as_unset(sv: int) -> None:
    frames = ib_async_requests(sv, lambda c: c.reqWshEventData(52, _wsh(filter='{"country":"US"}')))
    req = decode_whole(frames, sv)
    assert isinstance(req, ReqWshEventData)
    assert req.req_id == 52
    assert req.con_id is None
    assert req.total_limit is None
    assert req.filter == ('{"country":"US"}' if sv >= 171 else "")


# --- option lists and malformed fields -----------------------------------------------------------------

_TEXT = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126, exclude_characters=";="), max_size=8)


@settings(max_examples=60, deadline=None)
@given(pairs=st.lists(st.tuples(_TEXT, st.text(alphabet=st.sampled_from("ab=1. :_"), max_size=8)), max_size=5))
def test_any_option_list_ib_async_sends_decodes_to_the_same_pairs(pairs: list[tuple[str, str]]) -> None:
    from ib_async import TagValue as IbTagValue

    options = [IbTagValue(tag, value) for tag, value in pairs]
    frames = ib_async_requests(178, lambda c: c.reqNewsArticle(1, "BRFG", "A1", options))
    req = decode_whole(frames, 178)
    assert isinstance(req, ReqNewsArticle)
    assert req.options == tuple(TagValue(tag=t, value=v) for t, v in pairs)


def test_option_item_without_equals_is_a_bad_request() -> None:
    req = decode_request(["84", "1", "BRFG", "A1", "good=1;broken;"], 178)
    assert isinstance(req, BadRequest)
    assert "newsArticleOptions" in req.reason


def test_non_numeric_req_id_is_a_bad_request() -> None:
    req = decode_request(["104", "abc"], 178)
    assert isinstance(req, BadRequest)
    assert "reqId" in req.reason
