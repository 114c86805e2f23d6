"""Other requests: bulletins, FA config, scanner, fundamentals, verify, display groups, news, WSH, user info.

Theory of operation: ids below 78 carry a version field (read and ignored; REQ_SCANNER_SUBSCRIPTION (22) lost
its version at SCANNER_GENERIC_OPTS, 143, below every version we speak); ids from 78 have none. Option lists
(`tag=value;tag2=value2;`, one field) decode into `TagValue` tuples. reqWshEventData (102) grows at
WSH_EVENT_DATA_FILTERS (171) and WSH_EVENT_DATA_FILTERS_DATE (173), and ib_async sends it with UNSET values
literal (`2147483647`), which the field reader already reads as unset.
"""

from __future__ import annotations

from dataclasses import dataclass

from ibbot.protocol.fields import FieldReader
from ibbot.protocol.ids import SV, ClientMsgId
from ibbot.protocol.requests.base import (
    FROZEN,
    Decoder,
    Request,
    read_counted_tag_values,
    read_tag_values,
    req_id_only,
    versioned_empty,
)
from ibbot.protocol.types import Contract, TagValue

# --- shared field readers ------------------------------------------------------------------------------


def _tag_values(r: FieldReader, what: str) -> tuple[TagValue, ...]:
    """One `tag=value;tag2=value2;` field; an item without `=` is a bad field, an empty tag is kept."""
    return read_tag_values(r, what, require_tag=False)


def _req_id_after_version(r: FieldReader) -> int:
    r.int("version")
    return r.int("reqId")


# --- news bulletins, FA configuration ------------------------------------------------------------------


@dataclass(**FROZEN)
class ReqNewsBulletins(Request):
    """`all_msgs`: today's existing bulletins too, not only new ones."""

    msg_id = ClientMsgId.REQ_NEWS_BULLETINS
    all_msgs: bool


@dataclass(**FROZEN)
class CancelNewsBulletins(Request):
    msg_id = ClientMsgId.CANCEL_NEWS_BULLETINS


@dataclass(**FROZEN)
class ReqFa(Request):
    """requestFA: `fa_data_type` 1 groups, 2 profiles, 3 account aliases."""

    msg_id = ClientMsgId.REQ_FA
    fa_data_type: int


@dataclass(**FROZEN)
class ReplaceFa(Request):
    msg_id = ClientMsgId.REPLACE_FA
    req_id: int
    fa_data_type: int
    xml: str


def _news_bulletins(r: FieldReader, sv: int) -> ReqNewsBulletins:
    r.int("version")
    return ReqNewsBulletins(all_msgs=r.bool("allMsgs"))


def _req_fa(r: FieldReader, sv: int) -> ReqFa:
    r.int("version")
    return ReqFa(fa_data_type=r.int("faDataType"))


def _replace_fa(r: FieldReader, sv: int) -> ReplaceFa:
    r.int("version")
    fa_data_type = r.int("faDataType")
    xml = r.str("cxml")
    # reqId comes last, appended at REPLACE_FA_END (157) so the server can answer replaceFAEnd.
    req_id = r.int("reqId") if sv >= SV.REPLACE_FA_END else -1
    return ReplaceFa(req_id=req_id, fa_data_type=fa_data_type, xml=xml)


# --- market scanner ------------------------------------------------------------------------------------


@dataclass(**FROZEN)
class ScannerSubscription:
    """IB's ScannerSubscription in snake_case; unset numeric filters are None."""

    number_of_rows: int = -1  # IB's NO_ROW_NUMBER_SPECIFIED
    instrument: str = ""
    location_code: str = ""
    scan_code: str = ""
    above_price: float | None = None
    below_price: float | None = None
    above_volume: int | None = None
    market_cap_above: float | None = None
    market_cap_below: float | None = None
    moody_rating_above: str = ""
    moody_rating_below: str = ""
    sp_rating_above: str = ""
    sp_rating_below: str = ""
    maturity_date_above: str = ""
    maturity_date_below: str = ""
    coupon_rate_above: float | None = None
    coupon_rate_below: float | None = None
    exclude_convertible: bool = False
    average_option_volume_above: int | None = None
    scanner_setting_pairs: str = ""
    stock_type_filter: str = ""


@dataclass(**FROZEN)
class ReqScannerSubscription(Request):
    msg_id = ClientMsgId.REQ_SCANNER_SUBSCRIPTION
    req_id: int
    subscription: ScannerSubscription
    options: tuple[TagValue, ...] = ()
    filter_options: tuple[TagValue, ...] = ()


@dataclass(**FROZEN)
class CancelScannerSubscription(Request):
    msg_id = ClientMsgId.CANCEL_SCANNER_SUBSCRIPTION
    req_id: int


@dataclass(**FROZEN)
class ReqScannerParameters(Request):
    msg_id = ClientMsgId.REQ_SCANNER_PARAMETERS


def _scanner_subscription(r: FieldReader, sv: int) -> ReqScannerSubscription:
    req_id = r.int("reqId")
    sub = ScannerSubscription(
        number_of_rows=r.int("numberOfRows", default=-1),
        instrument=r.str("instrument"),
        location_code=r.str("locationCode"),
        scan_code=r.str("scanCode"),
        above_price=r.opt_float("abovePrice"),
        below_price=r.opt_float("belowPrice"),
        above_volume=r.opt_int("aboveVolume"),
        market_cap_above=r.opt_float("marketCapAbove"),
        market_cap_below=r.opt_float("marketCapBelow"),
        moody_rating_above=r.str("moodyRatingAbove"),
        moody_rating_below=r.str("moodyRatingBelow"),
        sp_rating_above=r.str("spRatingAbove"),
        sp_rating_below=r.str("spRatingBelow"),
        maturity_date_above=r.str("maturityDateAbove"),
        maturity_date_below=r.str("maturityDateBelow"),
        coupon_rate_above=r.opt_float("couponRateAbove"),
        coupon_rate_below=r.opt_float("couponRateBelow"),
        exclude_convertible=r.bool("excludeConvertible"),
        average_option_volume_above=r.opt_int("averageOptionVolumeAbove"),
        scanner_setting_pairs=r.str("scannerSettingPairs"),
        stock_type_filter=r.str("stockTypeFilter"),
    )
    # Filter options come first on the wire, although both clients take them as the last argument.
    filter_options = _tag_values(r, "scannerSubscriptionFilterOptions")
    options = _tag_values(r, "scannerSubscriptionOptions")
    return ReqScannerSubscription(req_id=req_id, subscription=sub, options=options, filter_options=filter_options)


# --- fundamental data ----------------------------------------------------------------------------------


@dataclass(**FROZEN)
class ReqFundamentalData(Request):
    """`contract` carries only conId, symbol, secType, exchange, primaryExchange, currency, localSymbol."""

    msg_id = ClientMsgId.REQ_FUNDAMENTAL_DATA
    req_id: int
    contract: Contract
    report_type: str
    options: tuple[TagValue, ...] = ()


@dataclass(**FROZEN)
class CancelFundamentalData(Request):
    msg_id = ClientMsgId.CANCEL_FUNDAMENTAL_DATA
    req_id: int


def _fundamental_data(r: FieldReader, sv: int) -> ReqFundamentalData:
    req_id = _req_id_after_version(r)
    contract = Contract(
        con_id=r.int("conId"),
        symbol=r.str("symbol"),
        sec_type=r.str("secType"),
        exchange=r.str("exchange"),
        primary_exchange=r.str("primaryExchange"),
        currency=r.str("currency"),
        local_symbol=r.str("localSymbol"),
    )
    report_type = r.str("reportType")
    options = read_counted_tag_values(r, "fundamentalDataOptions", require_tag=False)
    return ReqFundamentalData(req_id=req_id, contract=contract, report_type=report_type, options=options)


# --- third-party verification (IB-internal; decoded so they can be refused cleanly) ---------------------


@dataclass(**FROZEN)
class VerifyRequest(Request):
    msg_id = ClientMsgId.VERIFY_REQUEST
    api_name: str
    api_version: str


@dataclass(**FROZEN)
class VerifyMessage(Request):
    msg_id = ClientMsgId.VERIFY_MESSAGE
    api_data: str


@dataclass(**FROZEN)
class VerifyAndAuthRequest(Request):
    msg_id = ClientMsgId.VERIFY_AND_AUTH_REQUEST
    api_name: str
    api_version: str
    opaque_isv_key: str


@dataclass(**FROZEN)
class VerifyAndAuthMessage(Request):
    msg_id = ClientMsgId.VERIFY_AND_AUTH_MESSAGE
    api_data: str
    xyz_response: str


def _verify_request(r: FieldReader, sv: int) -> VerifyRequest:
    r.int("version")
    return VerifyRequest(api_name=r.str("apiName"), api_version=r.str("apiVersion"))


def _verify_message(r: FieldReader, sv: int) -> VerifyMessage:
    r.int("version")
    return VerifyMessage(api_data=r.str("apiData"))


def _verify_and_auth_request(r: FieldReader, sv: int) -> VerifyAndAuthRequest:
    r.int("version")
    return VerifyAndAuthRequest(
        api_name=r.str("apiName"), api_version=r.str("apiVersion"), opaque_isv_key=r.str("opaqueIsvKey")
    )


def _verify_and_auth_message(r: FieldReader, sv: int) -> VerifyAndAuthMessage:
    r.int("version")
    return VerifyAndAuthMessage(api_data=r.str("apiData"), xyz_response=r.str("xyzResponse"))


# --- display groups ------------------------------------------------------------------------------------


@dataclass(**FROZEN)
class QueryDisplayGroups(Request):
    msg_id = ClientMsgId.QUERY_DISPLAY_GROUPS
    req_id: int


@dataclass(**FROZEN)
class SubscribeToGroupEvents(Request):
    msg_id = ClientMsgId.SUBSCRIBE_TO_GROUP_EVENTS
    req_id: int
    group_id: int


@dataclass(**FROZEN)
class UpdateDisplayGroup(Request):
    """`contract_info`: `none`, `combo`, or `<conId>@<exchange>`."""

    msg_id = ClientMsgId.UPDATE_DISPLAY_GROUP
    req_id: int
    contract_info: str


@dataclass(**FROZEN)
class UnsubscribeFromGroupEvents(Request):
    msg_id = ClientMsgId.UNSUBSCRIBE_FROM_GROUP_EVENTS
    req_id: int


def _subscribe_to_group_events(r: FieldReader, sv: int) -> SubscribeToGroupEvents:
    return SubscribeToGroupEvents(req_id=_req_id_after_version(r), group_id=r.int("groupId"))


def _update_display_group(r: FieldReader, sv: int) -> UpdateDisplayGroup:
    return UpdateDisplayGroup(req_id=_req_id_after_version(r), contract_info=r.str("contractInfo"))


# --- news ----------------------------------------------------------------------------------------------


@dataclass(**FROZEN)
class ReqNewsArticle(Request):
    msg_id = ClientMsgId.REQ_NEWS_ARTICLE
    req_id: int
    provider_code: str
    article_id: str
    options: tuple[TagValue, ...] = ()


@dataclass(**FROZEN)
class ReqNewsProviders(Request):
    msg_id = ClientMsgId.REQ_NEWS_PROVIDERS


@dataclass(**FROZEN)
class ReqHistoricalNews(Request):
    """`provider_codes` from IB's `+`-separated list (`BRFG+DJNL`); datetimes pass through as text."""

    msg_id = ClientMsgId.REQ_HISTORICAL_NEWS
    req_id: int
    con_id: int
    provider_codes: tuple[str, ...]
    start: str
    end: str
    total_results: int
    options: tuple[TagValue, ...] = ()


def _news_article(r: FieldReader, sv: int) -> ReqNewsArticle:
    return ReqNewsArticle(
        req_id=r.int("reqId"),
        provider_code=r.str("providerCode"),
        article_id=r.str("articleId"),
        options=_tag_values(r, "newsArticleOptions"),
    )


def _news_providers(r: FieldReader, sv: int) -> ReqNewsProviders:
    return ReqNewsProviders()


def _historical_news(r: FieldReader, sv: int) -> ReqHistoricalNews:
    return ReqHistoricalNews(
        req_id=r.int("reqId"),
        con_id=r.int("conId"),
        provider_codes=tuple(code for code in r.str("providerCodes").split("+") if code),
        start=r.str("startDateTime"),
        end=r.str("endDateTime"),
        total_results=r.int("totalResults"),
        options=_tag_values(r, "historicalNewsOptions"),
    )


# --- Wall Street Horizon calendar, user info -----------------------------------------------------------


@dataclass(**FROZEN)
class ReqWshMetaData(Request):
    msg_id = ClientMsgId.REQ_WSH_META_DATA
    req_id: int


@dataclass(**FROZEN)
class CancelWshMetaData(Request):
    msg_id = ClientMsgId.CANCEL_WSH_META_DATA
    req_id: int


@dataclass(**FROZEN)
class ReqWshEventData(Request):
    """Fields past `con_id` exist from SV 171 (filter, fills) and 173 (dates, limit); else defaults."""

    msg_id = ClientMsgId.REQ_WSH_EVENT_DATA
    req_id: int
    con_id: int | None = None
    filter: str = ""
    fill_watchlist: bool = False
    fill_portfolio: bool = False
    fill_competitors: bool = False
    start_date: str = ""
    end_date: str = ""
    total_limit: int | None = None


@dataclass(**FROZEN)
class CancelWshEventData(Request):
    msg_id = ClientMsgId.CANCEL_WSH_EVENT_DATA
    req_id: int


@dataclass(**FROZEN)
class ReqUserInfo(Request):
    msg_id = ClientMsgId.REQ_USER_INFO
    req_id: int


def _wsh_event_data(r: FieldReader, sv: int) -> ReqWshEventData:
    req_id = r.int("reqId")
    con_id = r.opt_int("conId")
    if sv < SV.WSH_EVENT_DATA_FILTERS:
        return ReqWshEventData(req_id=req_id, con_id=con_id)
    filter_json = r.str("filter")
    fill_watchlist = r.bool("fillWatchlist")
    fill_portfolio = r.bool("fillPortfolio")
    fill_competitors = r.bool("fillCompetitors")
    start_date = end_date = ""
    total_limit = None
    if sv >= SV.WSH_EVENT_DATA_FILTERS_DATE:
        start_date = r.str("startDate")
        end_date = r.str("endDate")
        total_limit = r.opt_int("totalLimit")
    return ReqWshEventData(
        req_id=req_id,
        con_id=con_id,
        filter=filter_json,
        fill_watchlist=fill_watchlist,
        fill_portfolio=fill_portfolio,
        fill_competitors=fill_competitors,
        start_date=start_date,
        end_date=end_date,
        total_limit=total_limit,
    )


DECODERS: dict[ClientMsgId, Decoder] = {
    ClientMsgId.REQ_NEWS_BULLETINS: _news_bulletins,
    ClientMsgId.CANCEL_NEWS_BULLETINS: versioned_empty(CancelNewsBulletins),
    ClientMsgId.REQ_FA: _req_fa,
    ClientMsgId.REPLACE_FA: _replace_fa,
    ClientMsgId.REQ_SCANNER_SUBSCRIPTION: _scanner_subscription,
    ClientMsgId.CANCEL_SCANNER_SUBSCRIPTION: req_id_only(CancelScannerSubscription, versioned=True),
    ClientMsgId.REQ_SCANNER_PARAMETERS: versioned_empty(ReqScannerParameters),
    ClientMsgId.REQ_FUNDAMENTAL_DATA: _fundamental_data,
    ClientMsgId.CANCEL_FUNDAMENTAL_DATA: req_id_only(CancelFundamentalData, versioned=True),
    ClientMsgId.VERIFY_REQUEST: _verify_request,
    ClientMsgId.VERIFY_MESSAGE: _verify_message,
    ClientMsgId.VERIFY_AND_AUTH_REQUEST: _verify_and_auth_request,
    ClientMsgId.VERIFY_AND_AUTH_MESSAGE: _verify_and_auth_message,
    ClientMsgId.QUERY_DISPLAY_GROUPS: req_id_only(QueryDisplayGroups, versioned=True),
    ClientMsgId.SUBSCRIBE_TO_GROUP_EVENTS: _subscribe_to_group_events,
    ClientMsgId.UPDATE_DISPLAY_GROUP: _update_display_group,
    ClientMsgId.UNSUBSCRIBE_FROM_GROUP_EVENTS: req_id_only(UnsubscribeFromGroupEvents, versioned=True),
    ClientMsgId.REQ_NEWS_ARTICLE: _news_article,
    ClientMsgId.REQ_NEWS_PROVIDERS: _news_providers,
    ClientMsgId.REQ_HISTORICAL_NEWS: _historical_news,
    ClientMsgId.REQ_WSH_META_DATA: req_id_only(ReqWshMetaData, versioned=False),
    ClientMsgId.CANCEL_WSH_META_DATA: req_id_only(CancelWshMetaData, versioned=False),
    ClientMsgId.REQ_WSH_EVENT_DATA: _wsh_event_data,
    ClientMsgId.CANCEL_WSH_EVENT_DATA: req_id_only(CancelWshEventData, versioned=False),
    ClientMsgId.REQ_USER_INFO: req_id_only(ReqUserInfo, versioned=False),
}
