"""Server messages of the smaller services: news, scanners, fundamentals, verify, display groups, WSH, user.

Most are a version field and a few strings. ibapi 9.81 reads the versioned ones through its generic
path, which demands exactly as many fields as its callback has parameters: these layouts carry no extras.
WSH (104, 105) exist from SV 161 and userInfo (107) from SV 167; ibapi 9.81 knows none of the three.
ibapi also unicode-escape-decodes every string of that generic path while ib_async takes them as they
are, so a backslash or non-ASCII text in these strings reads differently in the two clients at SV 157.
"""

from __future__ import annotations

from dataclasses import dataclass

from ibbot.protocol.fields import fmt_bool, fmt_float, fmt_int
from ibbot.protocol.framing import frame_fields
from ibbot.protocol.ids import SV, ServerMsgId
from ibbot.protocol.responses.base import FROZEN, Encoder, Response, require_version
from ibbot.protocol.types import Contract


@dataclass(**FROZEN)
class NewsBulletin(Response):
    """updateNewsBulletin (14): `bulletin_type` 1 regular, 2 exchange unavailable, 3 exchange available."""

    msg_id = ServerMsgId.NEWS_BULLETINS
    bulletin_id: int
    bulletin_type: int
    message: str
    origin_exchange: str


@dataclass(**FROZEN)
class ScannerParameters(Response):
    msg_id = ServerMsgId.SCANNER_PARAMETERS
    xml: str


@dataclass(**FROZEN)
class ScanRow:
    """One ranked result of a market scanner."""

    rank: int
    contract: Contract
    market_name: str = ""
    distance: str = ""
    benchmark: str = ""
    projection: str = ""
    legs: str = ""


@dataclass(**FROZEN)
class ScannerData(Response):
    """scannerData (20): one scan's results; the clients fire scannerDataEnd after the last row."""

    msg_id = ServerMsgId.SCANNER_DATA
    req_id: int
    rows: tuple[ScanRow, ...]


@dataclass(**FROZEN)
class FundamentalData(Response):
    msg_id = ServerMsgId.FUNDAMENTAL_DATA
    req_id: int
    data: str  # XML


@dataclass(**FROZEN)
class NewsProvider:
    code: str
    name: str


@dataclass(**FROZEN)
class NewsProviders(Response):
    msg_id = ServerMsgId.NEWS_PROVIDERS
    providers: tuple[NewsProvider, ...]


@dataclass(**FROZEN)
class NewsArticle(Response):
    """newsArticle (83): `article_type` 0 plain text or HTML, 1 binary data as base64."""

    msg_id = ServerMsgId.NEWS_ARTICLE
    req_id: int
    article_type: int
    article_text: str


@dataclass(**FROZEN)
class TickNews(Response):
    """tickNews (84): a headline on a market-data line; `time_stamp` in epoch milliseconds."""

    msg_id = ServerMsgId.TICK_NEWS
    ticker_id: int
    time_stamp: int
    provider_code: str
    article_id: str
    headline: str
    extra_data: str


@dataclass(**FROZEN)
class HistoricalNews(Response):
    msg_id = ServerMsgId.HISTORICAL_NEWS
    req_id: int
    time: str  # "YYYY-MM-DD HH:MM:SS.0"
    provider_code: str
    article_id: str
    headline: str


@dataclass(**FROZEN)
class HistoricalNewsEnd(Response):
    msg_id = ServerMsgId.HISTORICAL_NEWS_END
    req_id: int
    has_more: bool


@dataclass(**FROZEN)
class VerifyMessageApi(Response):
    msg_id = ServerMsgId.VERIFY_MESSAGE_API
    api_data: str


@dataclass(**FROZEN)
class VerifyCompleted(Response):
    msg_id = ServerMsgId.VERIFY_COMPLETED
    is_successful: bool
    error_text: str


@dataclass(**FROZEN)
class VerifyAndAuthMessageApi(Response):
    msg_id = ServerMsgId.VERIFY_AND_AUTH_MESSAGE_API
    api_data: str
    xyz_challenge: str


@dataclass(**FROZEN)
class VerifyAndAuthCompleted(Response):
    msg_id = ServerMsgId.VERIFY_AND_AUTH_COMPLETED
    is_successful: bool
    error_text: str


@dataclass(**FROZEN)
class DisplayGroupList(Response):
    msg_id = ServerMsgId.DISPLAY_GROUP_LIST
    req_id: int
    groups: str  # "1|2|3"


@dataclass(**FROZEN)
class DisplayGroupUpdated(Response):
    msg_id = ServerMsgId.DISPLAY_GROUP_UPDATED
    req_id: int
    contract_info: str  # "conId@exchange", or "none"


@dataclass(**FROZEN)
class WshMetaData(Response):
    msg_id = ServerMsgId.WSH_META_DATA
    req_id: int
    data_json: str


@dataclass(**FROZEN)
class WshEventData(Response):
    msg_id = ServerMsgId.WSH_EVENT_DATA
    req_id: int
    data_json: str


@dataclass(**FROZEN)
class UserInfo(Response):
    msg_id = ServerMsgId.USER_INFO
    req_id: int
    white_branding_id: str


# --- encoders -----------------------------------------------------------------------------------------


def _news_bulletin(m: NewsBulletin, sv: int) -> bytes:
    return frame_fields(["14", "1", fmt_int(m.bulletin_id), fmt_int(m.bulletin_type), m.message, m.origin_exchange])


def _scanner_parameters(m: ScannerParameters, sv: int) -> bytes:
    return frame_fields(["19", "1", m.xml])


def _scanner_data(m: ScannerData, sv: int) -> bytes:
    fields = ["20", "3", fmt_int(m.req_id), fmt_int(len(m.rows))]
    for row in m.rows:
        c = row.contract
        fields += [
            fmt_int(row.rank),
            fmt_int(c.con_id),
            c.symbol,
            c.sec_type,
            c.last_trade_date_or_contract_month,
            fmt_float(c.strike),
            c.right,
            c.exchange,
            c.currency,
            c.local_symbol,
            row.market_name,
            c.trading_class,
            row.distance,
            row.benchmark,
            row.projection,
            row.legs,
        ]
    return frame_fields(fields)


def _fundamental_data(m: FundamentalData, sv: int) -> bytes:
    return frame_fields(["51", "1", fmt_int(m.req_id), m.data])


def _news_providers(m: NewsProviders, sv: int) -> bytes:
    fields = ["85", fmt_int(len(m.providers))]
    for provider in m.providers:
        fields += [provider.code, provider.name]
    return frame_fields(fields)


def _news_article(m: NewsArticle, sv: int) -> bytes:
    return frame_fields(["83", fmt_int(m.req_id), fmt_int(m.article_type), m.article_text])


def _tick_news(m: TickNews, sv: int) -> bytes:
    return frame_fields(
        [
            "84",
            fmt_int(m.ticker_id),
            fmt_int(m.time_stamp),
            m.provider_code,
            m.article_id,
            m.headline,
            m.extra_data,
        ]
    )


def _historical_news(m: HistoricalNews, sv: int) -> bytes:
    return frame_fields(["86", fmt_int(m.req_id), m.time, m.provider_code, m.article_id, m.headline])


def _historical_news_end(m: HistoricalNewsEnd, sv: int) -> bytes:
    return frame_fields(["87", fmt_int(m.req_id), fmt_bool(m.has_more)])


def _verify_message_api(m: VerifyMessageApi, sv: int) -> bytes:
    return frame_fields(["65", "1", m.api_data])


def _verify_completed(m: VerifyCompleted, sv: int) -> bytes:
    return frame_fields(["66", "1", fmt_bool(m.is_successful), m.error_text])


def _display_group_list(m: DisplayGroupList, sv: int) -> bytes:
    return frame_fields(["67", "1", fmt_int(m.req_id), m.groups])


def _display_group_updated(m: DisplayGroupUpdated, sv: int) -> bytes:
    return frame_fields(["68", "1", fmt_int(m.req_id), m.contract_info])


def _verify_and_auth_message_api(m: VerifyAndAuthMessageApi, sv: int) -> bytes:
    return frame_fields(["69", "1", m.api_data, m.xyz_challenge])


def _verify_and_auth_completed(m: VerifyAndAuthCompleted, sv: int) -> bytes:
    return frame_fields(["70", "1", fmt_bool(m.is_successful), m.error_text])


def _wsh_meta_data(m: WshMetaData, sv: int) -> bytes:
    require_version(sv, SV.WSHE_CALENDAR, "wshMetaData")
    return frame_fields(["104", fmt_int(m.req_id), m.data_json])


def _wsh_event_data(m: WshEventData, sv: int) -> bytes:
    require_version(sv, SV.WSHE_CALENDAR, "wshEventData")
    return frame_fields(["105", fmt_int(m.req_id), m.data_json])


def _user_info(m: UserInfo, sv: int) -> bytes:
    require_version(sv, SV.USER_INFO, "userInfo")
    return frame_fields(["107", fmt_int(m.req_id), m.white_branding_id])


ENCODERS: dict[type[Response], Encoder] = {
    NewsBulletin: _news_bulletin,
    ScannerParameters: _scanner_parameters,
    ScannerData: _scanner_data,
    FundamentalData: _fundamental_data,
    NewsProviders: _news_providers,
    NewsArticle: _news_article,
    TickNews: _tick_news,
    HistoricalNews: _historical_news,
    HistoricalNewsEnd: _historical_news_end,
    VerifyMessageApi: _verify_message_api,
    VerifyCompleted: _verify_completed,
    VerifyAndAuthMessageApi: _verify_and_auth_message_api,
    VerifyAndAuthCompleted: _verify_and_auth_completed,
    DisplayGroupList: _display_group_list,
    DisplayGroupUpdated: _display_group_updated,
    WshMetaData: _wsh_meta_data,
    WshEventData: _wsh_event_data,
    UserInfo: _user_info,
}
