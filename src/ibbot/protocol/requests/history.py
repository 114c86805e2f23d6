"""Historical-data requests (bars, head timestamp, histogram, ticks, cancels) and IB's date-time strings.

None of these layouts changes inside 157..200 (reqHistoricalData lost its version field and gained
keepUpToDate at SYNT_REALTIME_BARS 124). Date-time strings stay as the client sent them; the simulator
reads them with `parse_ib_datetime`, because the zone of a zone-less form is the session's, not the wire's.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ibbot.errors import FieldError
from ibbot.protocol.fields import FieldReader
from ibbot.protocol.ids import ClientMsgId
from ibbot.protocol.requests.base import FROZEN, Decoder, Request, read_contract, read_tag_values, req_id_only
from ibbot.protocol.requests.market import read_combo_legs
from ibbot.protocol.types import Contract, TagValue


def parse_ib_datetime(text: str, default_tz: tzinfo) -> datetime | None:
    """An IB request date-time as an aware UTC datetime; "" (meaning "now") gives None.

    Forms: `20240102-21:00:00` (UTC), `20240102 16:00:00 US/Eastern` (any IANA zone, e.g. the `UTC`
    ib_async writes), `20240102 16:00:00` (in `default_tz`, TWS's login zone). Raises FieldError otherwise.
    """
    parts = text.split()
    if not parts:
        return None
    zone: tzinfo = default_tz
    try:
        if len(parts) == 1 and "-" in parts[0]:
            naive = datetime.strptime(parts[0], "%Y%m%d-%H:%M:%S")
            zone = UTC
        elif len(parts) in (2, 3):
            naive = datetime.strptime(f"{parts[0]} {parts[1]}", "%Y%m%d %H:%M:%S")
            if len(parts) == 3:
                zone = ZoneInfo(parts[2])
        else:
            raise ValueError(text)
    except (ValueError, ZoneInfoNotFoundError):
        raise FieldError(f"not an IB date-time: {text[:40]!r}") from None
    return naive.replace(tzinfo=zone).astimezone(UTC)


@dataclass(**FROZEN)
class ReqHistoricalData(Request):
    """reqHistoricalData (20); `contract` carries include_expired and, for a BAG, its legs.

    `format_date` 1 asks for `yyyymmdd hh:mm:ss` bar times, 2 for epoch seconds.
    """

    msg_id = ClientMsgId.REQ_HISTORICAL_DATA
    req_id: int
    contract: Contract
    end_date_time: str
    bar_size_setting: str
    duration_str: str
    use_rth: bool
    what_to_show: str
    format_date: int
    keep_up_to_date: bool = False
    chart_options: tuple[TagValue, ...] = ()


@dataclass(**FROZEN)
class CancelHistoricalData(Request):
    msg_id = ClientMsgId.CANCEL_HISTORICAL_DATA
    req_id: int


@dataclass(**FROZEN)
class ReqHeadTimestamp(Request):
    msg_id = ClientMsgId.REQ_HEAD_TIMESTAMP
    req_id: int
    contract: Contract
    use_rth: bool
    what_to_show: str
    format_date: int


@dataclass(**FROZEN)
class CancelHeadTimestamp(Request):
    msg_id = ClientMsgId.CANCEL_HEAD_TIMESTAMP
    req_id: int


@dataclass(**FROZEN)
class ReqHistogramData(Request):
    """reqHistogramData (88): `time_period` like `3 days` or `1 week`."""

    msg_id = ClientMsgId.REQ_HISTOGRAM_DATA
    req_id: int
    contract: Contract
    use_rth: bool
    time_period: str


@dataclass(**FROZEN)
class CancelHistogramData(Request):
    msg_id = ClientMsgId.CANCEL_HISTOGRAM_DATA
    req_id: int


@dataclass(**FROZEN)
class ReqHistoricalTicks(Request):
    """reqHistoricalTicks (96): one of start/end is set; `what_to_show` is TRADES, BID_ASK or MIDPOINT."""

    msg_id = ClientMsgId.REQ_HISTORICAL_TICKS
    req_id: int
    contract: Contract
    start_date_time: str
    end_date_time: str
    number_of_ticks: int
    what_to_show: str
    use_rth: bool
    ignore_size: bool
    misc_options: tuple[TagValue, ...] = ()


def _contract_with_expired(r: FieldReader) -> Contract:
    contract = read_contract(r)
    return dataclasses.replace(contract, include_expired=r.bool("includeExpired"))


def _req_historical_data(r: FieldReader, sv: int) -> ReqHistoricalData:
    req_id = r.int("reqId")
    contract = _contract_with_expired(r)
    end_date_time = r.str("endDateTime")
    bar_size_setting = r.str("barSizeSetting")
    duration_str = r.str("durationStr")
    use_rth = r.bool("useRTH")
    what_to_show = r.str("whatToShow")
    format_date = r.int("formatDate")
    # The legs come after formatDate here, unlike reqMktData where they follow the contract.
    if contract.sec_type == "BAG":
        contract = dataclasses.replace(contract, combo_legs=read_combo_legs(r))
    return ReqHistoricalData(
        req_id=req_id,
        contract=contract,
        end_date_time=end_date_time,
        bar_size_setting=bar_size_setting,
        duration_str=duration_str,
        use_rth=use_rth,
        what_to_show=what_to_show,
        format_date=format_date,
        keep_up_to_date=r.bool("keepUpToDate"),
        chart_options=read_tag_values(r, "chartOptions"),
    )


def _req_head_timestamp(r: FieldReader, sv: int) -> ReqHeadTimestamp:
    return ReqHeadTimestamp(
        req_id=r.int("reqId"),
        contract=_contract_with_expired(r),
        use_rth=r.bool("useRTH"),
        what_to_show=r.str("whatToShow"),
        format_date=r.int("formatDate"),
    )


def _req_histogram_data(r: FieldReader, sv: int) -> ReqHistogramData:
    return ReqHistogramData(
        req_id=r.int("reqId"),
        contract=_contract_with_expired(r),
        use_rth=r.bool("useRTH"),
        time_period=r.str("timePeriod"),
    )


def _req_historical_ticks(r: FieldReader, sv: int) -> ReqHistoricalTicks:
    return ReqHistoricalTicks(
        req_id=r.int("reqId"),
        contract=_contract_with_expired(r),
        start_date_time=r.str("startDateTime"),
        end_date_time=r.str("endDateTime"),
        number_of_ticks=r.int("numberOfTicks"),
        what_to_show=r.str("whatToShow"),
        use_rth=r.bool("useRth"),
        ignore_size=r.bool("ignoreSize"),
        misc_options=read_tag_values(r, "miscOptions"),
    )


DECODERS: dict[ClientMsgId, Decoder] = {
    ClientMsgId.REQ_HISTORICAL_DATA: _req_historical_data,
    ClientMsgId.CANCEL_HISTORICAL_DATA: req_id_only(CancelHistoricalData, versioned=True),
    ClientMsgId.REQ_HEAD_TIMESTAMP: _req_head_timestamp,
    ClientMsgId.CANCEL_HEAD_TIMESTAMP: req_id_only(CancelHeadTimestamp, versioned=False),
    ClientMsgId.REQ_HISTOGRAM_DATA: _req_histogram_data,
    ClientMsgId.CANCEL_HISTOGRAM_DATA: req_id_only(CancelHistogramData, versioned=False),
    ClientMsgId.REQ_HISTORICAL_TICKS: _req_historical_ticks,
}
