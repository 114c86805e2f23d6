"""News, scanner, fundamentals, verification, display-group, WSH and user-info messages, read back by
ib_async 2.1.0's and ibapi 9.81's own decoders."""

from __future__ import annotations

from typing import Any

import pytest

from ibbot.errors import LocalProtocolError
from ibbot.protocol.responses import encode_response
from ibbot.protocol.responses.base import Response
from ibbot.protocol.responses.misc import (
    DisplayGroupList,
    DisplayGroupUpdated,
    FundamentalData,
    HistoricalNews,
    HistoricalNewsEnd,
    NewsArticle,
    NewsBulletin,
    NewsProvider,
    NewsProviders,
    ScannerData,
    ScannerParameters,
    ScanRow,
    TickNews,
    UserInfo,
    VerifyAndAuthCompleted,
    VerifyAndAuthMessageApi,
    VerifyCompleted,
    VerifyMessageApi,
    WshEventData,
    WshMetaData,
)
from ibbot.protocol.types import Contract
from oracles import Call, ib_async_decode, ibapi_decode
from oracles.mirror import assert_mirrors

# No layout here changes inside 157..178; WSH appears at 161 and userInfo at 167.
VERSIONS = [157, 161, 167, 178]

# Plain messages: (message, the callback and arguments both clients fire for it).
SIMPLE: list[tuple[Response, str, tuple[Any, ...]]] = [
    (
        NewsBulletin(bulletin_id=7, bulletin_type=1, message="Trading halted in XYZ", origin_exchange="NYSE"),
        "updateNewsBulletin",
        (7, 1, "Trading halted in XYZ", "NYSE"),
    ),
    (ScannerParameters(xml="<ScanParameterResponse/>"), "scannerParameters", ("<ScanParameterResponse/>",)),
    (
        FundamentalData(req_id=31, data="<ReportSnapshot><CoIDs/></ReportSnapshot>"),
        "fundamentalData",
        (31, "<ReportSnapshot><CoIDs/></ReportSnapshot>"),
    ),
    (
        NewsArticle(req_id=32, article_type=0, article_text="<p>Headline body</p>"),
        "newsArticle",
        (32, 0, "<p>Headline body</p>"),
    ),
    (
        TickNews(
            ticker_id=33,
            time_stamp=1_705_600_000_000,
            provider_code="BZ",
            article_id="BZ$1234",
            headline="AAPL up",
            extra_data="A:800015:L:en:K:n/a:C:0.97",
        ),
        "tickNews",
        (33, 1_705_600_000_000, "BZ", "BZ$1234", "AAPL up", "A:800015:L:en:K:n/a:C:0.97"),
    ),
    (
        HistoricalNews(
            req_id=34, time="2024-01-18 09:30:00.0", provider_code="BRFG", article_id="BRFG$1", headline="Opening"
        ),
        "historicalNews",
        (34, "2024-01-18 09:30:00.0", "BRFG", "BRFG$1", "Opening"),
    ),
    (HistoricalNewsEnd(req_id=34, has_more=True), "historicalNewsEnd", (34, True)),
    (HistoricalNewsEnd(req_id=35, has_more=False), "historicalNewsEnd", (35, False)),
    (VerifyMessageApi(api_data="data"), "verifyMessageAPI", ("data",)),
    (VerifyAndAuthMessageApi(api_data="data", xyz_challenge="xyz"), "verifyAndAuthMessageAPI", ("data", "xyz")),
    (DisplayGroupList(req_id=36, groups="1|2|3|4"), "displayGroupList", (36, "1|2|3|4")),
    (DisplayGroupUpdated(req_id=37, contract_info="265598@SMART"), "displayGroupUpdated", (37, "265598@SMART")),
]

# ibapi 9.81 passes these through its generic path, which only converts int and float parameters.
VERIFY: list[tuple[Response, str, bool, str]] = [
    (VerifyCompleted(is_successful=True, error_text=""), "verifyCompleted", True, ""),
    (VerifyAndAuthCompleted(is_successful=False, error_text="bad"), "verifyAndAuthCompleted", False, "bad"),
]


def encode(sv: int, *messages: Response) -> bytes:
    return b"".join(encode_response(m, sv) for m in messages)


def pairs(calls: list[Call]) -> list[tuple[str, tuple[Any, ...]]]:
    return [(c.name, c.args) for c in calls]


@pytest.mark.parametrize("sv", VERSIONS)
def test_ib_async_reads_simple_messages(sv: int) -> None:
    calls = ib_async_decode(sv, encode(sv, *(m for m, _, _ in SIMPLE)))
    assert pairs(calls) == [(name, args) for _, name, args in SIMPLE]


def test_ibapi_reads_simple_messages() -> None:
    calls = ibapi_decode(encode(157, *(m for m, _, _ in SIMPLE)))
    assert pairs(calls) == [(name, args) for _, name, args in SIMPLE]


@pytest.mark.parametrize("sv", VERSIONS)
def test_verify_completed(sv: int) -> None:
    calls = ib_async_decode(sv, encode(sv, *(m for m, _, _, _ in VERIFY)))
    assert pairs(calls) == [(name, (ok, text)) for _, name, ok, text in VERIFY]
    if sv == 157:
        # ibapi hands the flag over as the text it received: "1" / "0".
        calls = ibapi_decode(encode(sv, *(m for m, _, _, _ in VERIFY)))
        assert pairs(calls) == [(name, (str(int(ok)), text)) for _, name, ok, text in VERIFY]


PROVIDERS = NewsProviders(
    providers=(
        NewsProvider(code="BRFG", name="Briefing.com General Market Columns"),
        NewsProvider(code="BZ", name="Benzinga Pro"),
    )
)


@pytest.mark.parametrize("sv", VERSIONS)
def test_news_providers(sv: int) -> None:
    decoded = [ib_async_decode(sv, encode(sv, PROVIDERS, NewsProviders(providers=())))]
    if sv == 157:
        decoded.append(ibapi_decode(encode(sv, PROVIDERS, NewsProviders(providers=()))))
    for calls in decoded:
        assert [c.name for c in calls] == ["newsProviders", "newsProviders"]
        (got,) = calls[0].args
        assert [(p.code, p.name) for p in got] == [(p.code, p.name) for p in PROVIDERS.providers]
        assert calls[1].args == ([],)


ROWS = (
    ScanRow(
        rank=0,
        contract=Contract(
            con_id=265598,
            symbol="AAPL",
            sec_type="STK",
            exchange="SMART",
            currency="USD",
            local_symbol="AAPL",
            trading_class="NMS",
        ),
        market_name="NMS",
    ),
    ScanRow(
        rank=1,
        contract=Contract(
            con_id=655563912,
            symbol="SPY",
            sec_type="OPT",
            last_trade_date_or_contract_month="20240119",
            strike=470.5,
            right="C",
            exchange="SMART",
            currency="USD",
            local_symbol="SPY   240119C00470500",
            trading_class="SPY",
        ),
        market_name="SPY",
        distance="0.5",
        benchmark="b",
        projection="p",
        legs="legs",
    ),
)
# scannerData carries neither primaryExchange nor multiplier.
NOT_CARRIED = frozenset(
    f"contract.{n}"
    for n in (
        "primaryExchange",
        "multiplier",
        "secIdType",
        "secId",
        "issuerId",
        "includeExpired",
        "comboLegsDescrip",
        "comboLegs",
        "deltaNeutralContract",
    )
)


@pytest.mark.parametrize("sv", VERSIONS)
def test_scanner_data(sv: int) -> None:
    data = encode(sv, ScannerData(req_id=40, rows=ROWS), ScannerData(req_id=41, rows=()))
    decoded = [ib_async_decode(sv, data)] + ([ibapi_decode(data)] if sv == 157 else [])
    for calls in decoded:
        assert [c.name for c in calls] == ["scannerData", "scannerData", "scannerDataEnd", "scannerDataEnd"]
        for call, row in zip(calls, ROWS, strict=False):
            req_id, rank, details, distance, benchmark, projection, legs = call.args
            assert (req_id, rank, distance, benchmark, projection, legs) == (
                40,
                row.rank,
                row.distance,
                row.benchmark,
                row.projection,
                row.legs,
            )
            assert details.marketName == row.market_name
            assert_mirrors(details.contract, row.contract, at_default=NOT_CARRIED)
        assert calls[2].args == (40,)
        assert calls[3].args == (41,)


@pytest.mark.parametrize("sv", [161, 167, 178])
def test_ib_async_reads_wsh_data(sv: int) -> None:
    meta = WshMetaData(req_id=50, data_json='{"meta": 1}')
    event = WshEventData(req_id=51, data_json='{"event": [1, 2]}')
    assert pairs(ib_async_decode(sv, encode(sv, meta, event))) == [
        ("wshMetaData", (50, '{"meta": 1}')),
        ("wshEventData", (51, '{"event": [1, 2]}')),
    ]


@pytest.mark.parametrize("sv", [167, 178])
def test_ib_async_reads_user_info(sv: int) -> None:
    calls = ib_async_decode(sv, encode_response(UserInfo(req_id=52, white_branding_id="brand"), sv))
    assert pairs(calls) == [("userInfo", (52, "brand"))]


@pytest.mark.parametrize(
    ("message", "sv"),
    [
        (WshMetaData(req_id=1, data_json="{}"), 160),
        (WshEventData(req_id=1, data_json="{}"), 160),
        (UserInfo(req_id=1, white_branding_id=""), 166),
    ],
)
def test_messages_newer_than_the_session_are_refused(message: Response, sv: int) -> None:
    with pytest.raises(LocalProtocolError):
        encode_response(message, sv)
