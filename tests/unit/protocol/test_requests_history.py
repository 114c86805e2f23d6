"""Historical-data requests as ib_async 2.1.0 and ibapi 9.81 send them decode into our typed requests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from ib_async import TagValue as IbTagValue

from ibbot.errors import FieldError
from ibbot.protocol.ids import ClientMsgId
from ibbot.protocol.requests import BadRequest, decode_request
from ibbot.protocol.requests.history import (
    DECODERS,
    CancelHeadTimestamp,
    CancelHistogramData,
    CancelHistoricalData,
    ReqHeadTimestamp,
    ReqHistogramData,
    ReqHistoricalData,
    ReqHistoricalTicks,
    parse_ib_datetime,
)
from ibbot.protocol.types import ComboLeg, Contract, TagValue
from oracles import decode_single, ib_async_requests, ibapi_contract, ibapi_requests, wire_contract

VERSIONS = [157, 176, 178]  # no layout here changes in 157..178
KINDS = ["stock", "option", "future", "forex"]
END_TIMES = ["", "20240102 16:00:00 US/Eastern", "20240102-21:00:00", "20240102 21:00:00 UTC"]


decoded = partial(decode_single, decoders=DECODERS)  # one frame, every field consumed, the table agrees


def ib_contract(kind: str) -> Any:
    import ib_async as ib

    return {
        "stock": lambda: ib.Stock("AAPL", "SMART", "USD", primaryExchange="NASDAQ"),
        "option": lambda: ib.Option("SPY", "20240621", 500.0, "C", "SMART", multiplier="100", currency="USD"),
        "future": lambda: ib.Future("ES", "202312", "CME", localSymbol="ESZ3", includeExpired=True),
        "forex": lambda: ib.Forex("EURUSD"),
        "bag": lambda: ib.Contract(
            secType="BAG",
            symbol="SPY",
            exchange="SMART",
            currency="USD",
            comboLegs=[
                ib.ComboLeg(conId=11, ratio=1, action="BUY", exchange="SMART"),
                ib.ComboLeg(conId=12, ratio=1, action="SELL", exchange="SMART"),
                ib.ComboLeg(conId=13, ratio=2, action="BUY", exchange="CBOE"),
            ],
        ),
    }[kind]()


def to_ibapi(c: Any) -> Any:
    """The same contract as an ibapi 9.81 object."""
    return ibapi_contract(c, "includeExpired")


def as_contract(c: Any) -> Contract:
    """Our Contract for a client's contract: the 12 wire fields, includeExpired, and a BAG's legs."""
    legs = tuple(
        ComboLeg(con_id=x.conId, ratio=x.ratio, action=x.action, exchange=x.exchange) for x in c.comboLegs or ()
    )
    return wire_contract(c, include_expired=c.includeExpired, combo_legs=legs)


# --- reqHistoricalData (20) / cancelHistoricalData (25) -------------------------------------------------


@pytest.mark.parametrize("sv", VERSIONS)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("end", END_TIMES)
def test_ib_async_req_historical_data(sv: int, kind: str, end: str) -> None:
    c = ib_contract(kind)
    frames = ib_async_requests(
        sv, lambda cl: cl.reqHistoricalData(41, c, end, "2 D", "5 mins", "TRADES", True, 1, False, [])
    )
    assert len(frames[0]) == 23  # reference 7.2: reqHistoricalData is 23 fields for a non-BAG contract
    assert decoded(frames, sv) == ReqHistoricalData(
        req_id=41,
        contract=as_contract(c),
        end_date_time=end,
        bar_size_setting="5 mins",
        duration_str="2 D",
        use_rth=True,
        what_to_show="TRADES",
        format_date=1,
    )


@pytest.mark.parametrize("sv", VERSIONS)
def test_ib_async_req_historical_data_variants(sv: int) -> None:
    stock, bag = ib_contract("stock"), ib_contract("bag")
    # keepUpToDate needs an empty end; formatDate 2 asks for epoch seconds; chart options ride along.
    opts = [IbTagValue("a", "1")]
    frames = ib_async_requests(
        sv, lambda cl: cl.reqHistoricalData(42, stock, "", "1 D", "1 min", "MIDPOINT", False, 2, True, opts)
    )
    assert decoded(frames, sv) == ReqHistoricalData(
        req_id=42,
        contract=as_contract(stock),
        end_date_time="",
        bar_size_setting="1 min",
        duration_str="1 D",
        use_rth=False,
        what_to_show="MIDPOINT",
        format_date=2,
        keep_up_to_date=True,
        chart_options=(TagValue(tag="a", value="1"),),
    )
    frames = ib_async_requests(
        sv,
        lambda cl: cl.reqHistoricalData(43, bag, "20240102-21:00:00", "1 W", "1 hour", "BID_ASK", True, 1, False, []),
    )
    assert len(frames[0]) == 23 + 1 + 4 * 3  # leg count, then 4 fields per leg, after formatDate
    msg = decoded(frames, sv)
    assert msg == ReqHistoricalData(
        req_id=43,
        contract=as_contract(bag),
        end_date_time="20240102-21:00:00",
        bar_size_setting="1 hour",
        duration_str="1 W",
        use_rth=True,
        what_to_show="BID_ASK",
        format_date=1,
    )
    assert [leg.con_id for leg in msg.contract.combo_legs] == [11, 12, 13]
    assert decoded(ib_async_requests(sv, lambda cl: cl.cancelHistoricalData(43)), sv) == CancelHistoricalData(req_id=43)


@pytest.mark.parametrize("kind", [*KINDS, "bag"])
@pytest.mark.parametrize("format_date", [1, 2])
def test_ibapi_req_historical_data(kind: str, format_date: int) -> None:
    from ibapi.tag_value import TagValue as ApiTagValue

    c = ib_contract(kind)
    end = "20240102 16:00:00 US/Eastern"
    frames = ibapi_requests(
        lambda cl: cl.reqHistoricalData(
            41, to_ibapi(c), end, "3 D", "15 mins", "TRADES", 1, format_date, False, [ApiTagValue("x", "y")]
        )
    )
    assert decoded(frames, 157) == ReqHistoricalData(
        req_id=41,
        contract=as_contract(c),
        end_date_time=end,
        bar_size_setting="15 mins",
        duration_str="3 D",
        use_rth=True,
        what_to_show="TRADES",
        format_date=format_date,
        chart_options=(TagValue(tag="x", value="y"),),
    )
    assert decoded(ibapi_requests(lambda cl: cl.cancelHistoricalData(41)), 157) == CancelHistoricalData(req_id=41)


# --- head timestamp (87, 90), histogram (88, 89), historical ticks (96) ------------------------------


def _other_requests(send: Any, sv: int, c: Any) -> None:
    assert decoded(send(lambda cl: cl.reqHeadTimeStamp(51, c, "TRADES", True, 2)), sv) == ReqHeadTimestamp(
        req_id=51, contract=as_contract(c), use_rth=True, what_to_show="TRADES", format_date=2
    )
    assert decoded(send(lambda cl: cl.reqHeadTimeStamp(52, c, "BID", False, 1)), sv) == ReqHeadTimestamp(
        req_id=52, contract=as_contract(c), use_rth=False, what_to_show="BID", format_date=1
    )
    assert decoded(send(lambda cl: cl.cancelHeadTimeStamp(52)), sv) == CancelHeadTimestamp(req_id=52)
    assert decoded(send(lambda cl: cl.reqHistogramData(53, c, False, "3 days")), sv) == ReqHistogramData(
        req_id=53, contract=as_contract(c), use_rth=False, time_period="3 days"
    )
    assert decoded(send(lambda cl: cl.cancelHistogramData(53)), sv) == CancelHistogramData(req_id=53)
    start = "20240102 09:30:00 US/Eastern"
    frames = send(lambda cl: cl.reqHistoricalTicks(54, c, start, "", 1000, "BID_ASK", True, False, []))
    assert decoded(frames, sv) == ReqHistoricalTicks(
        req_id=54,
        contract=as_contract(c),
        start_date_time=start,
        end_date_time="",
        number_of_ticks=1000,
        what_to_show="BID_ASK",
        use_rth=True,
        ignore_size=False,
    )
    frames = send(lambda cl: cl.reqHistoricalTicks(55, c, "", "20240102-21:00:00", 10, "TRADES", False, True, []))
    assert decoded(frames, sv) == ReqHistoricalTicks(
        req_id=55,
        contract=as_contract(c),
        start_date_time="",
        end_date_time="20240102-21:00:00",
        number_of_ticks=10,
        what_to_show="TRADES",
        use_rth=False,
        ignore_size=True,
    )


@pytest.mark.parametrize("sv", VERSIONS)
@pytest.mark.parametrize("kind", ["stock", "future"])
def test_ib_async_head_timestamp_histogram_ticks(sv: int, kind: str) -> None:
    _other_requests(lambda call: ib_async_requests(sv, call), sv, ib_contract(kind))


@pytest.mark.parametrize("kind", ["stock", "future"])
def test_ibapi_head_timestamp_histogram_ticks(kind: str) -> None:
    c = ib_contract(kind)
    # ibapi takes its own Contract class; wrap each call so it gets one.
    _other_requests(lambda call: ibapi_requests(lambda cl: call(_IbapiContractSwap(cl, c))), 157, c)


class _IbapiContractSwap:
    """Passes calls through to an ibapi client, replacing the ib_async contract by its ibapi twin."""

    def __init__(self, client: Any, contract: Any) -> None:
        self._client, self._contract, self._twin = client, contract, to_ibapi(contract)

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)
        return lambda *args: method(*[self._twin if a is self._contract else a for a in args])


def test_ib_async_historical_ticks_misc_options() -> None:
    c = ib_contract("stock")
    opts = [IbTagValue("k", "v"), IbTagValue("k2", "v2")]
    frames = ib_async_requests(178, lambda cl: cl.reqHistoricalTicks(56, c, "", "", 5, "MIDPOINT", True, True, opts))
    assert decoded(frames, 178).misc_options == (TagValue(tag="k", value="v"), TagValue(tag="k2", value="v2"))


def test_malformed_history_requests_become_bad_requests() -> None:
    bag = ib_contract("bag")
    fields = ib_async_requests(178, lambda cl: cl.reqHistoricalData(1, bag, "", "1 D", "1 min", "TRADES", 1, 1, 0, []))[
        0
    ]
    fields[21] = "-1"  # the leg count, right after formatDate
    assert fields[20] == "1" and isinstance(decode_request(fields, 178), BadRequest)
    assert isinstance(decode_request(fields[:10], 178), BadRequest)


# --- IB date-time strings ---------------------------------------------------------------------------


def test_parse_ib_datetime_forms() -> None:
    eastern = ZoneInfo("US/Eastern")
    at_21_utc = datetime(2024, 1, 2, 21, 0, tzinfo=UTC)
    assert parse_ib_datetime("", eastern) is None
    assert parse_ib_datetime("20240102 16:00:00 US/Eastern", UTC) == at_21_utc
    assert parse_ib_datetime("20240102-21:00:00", eastern) == at_21_utc  # the dash form is UTC
    assert parse_ib_datetime("20240102 21:00:00 UTC", eastern) == at_21_utc
    assert parse_ib_datetime("20240102 16:00:00", eastern) == at_21_utc  # zone-less: the session's zone
    assert parse_ib_datetime("20240702 16:00:00", eastern) == datetime(2024, 7, 2, 20, 0, tzinfo=UTC)  # EDT
    for bad in ("yesterday", "20240102 16:00:00 Mars/Olympus", "20241302 16:00:00", "20240102 1600 UTC x"):
        with pytest.raises(FieldError):
            parse_ib_datetime(bad, UTC)


@pytest.mark.parametrize(
    "when",
    [
        datetime(2024, 1, 2, 16, 0, tzinfo=ZoneInfo("US/Eastern")),
        datetime(2024, 3, 10, 12, 30, 15, tzinfo=timezone(timedelta(hours=9))),
        date(2024, 6, 28),
    ],
)
def test_parse_ib_datetime_reads_what_ib_async_writes(when: datetime | date) -> None:
    from ib_async.util import formatIBDatetime

    text = formatIBDatetime(when)  # what IB.reqHistoricalData puts in endDateTime
    parsed = parse_ib_datetime(text, ZoneInfo("Asia/Tokyo"))
    assert parsed is not None
    if isinstance(when, datetime):
        assert parsed == when
    else:  # a date means 23:59:59 local on that day
        assert parsed == datetime(when.year, when.month, when.day, 23, 59, 59).astimezone(UTC)


def test_history_table_covers_the_family() -> None:
    assert set(DECODERS) == {
        ClientMsgId.REQ_HISTORICAL_DATA,
        ClientMsgId.CANCEL_HISTORICAL_DATA,
        ClientMsgId.REQ_HEAD_TIMESTAMP,
        ClientMsgId.CANCEL_HEAD_TIMESTAMP,
        ClientMsgId.REQ_HISTOGRAM_DATA,
        ClientMsgId.CANCEL_HISTOGRAM_DATA,
        ClientMsgId.REQ_HISTORICAL_TICKS,
    }
