"""Server messages of market depth and routing: book updates, depth exchanges, SMART components, reroutes.

Part of the market family: `market.ENCODERS` includes this module's table.
"""

from __future__ import annotations

from dataclasses import dataclass

from ibbot.protocol.fields import fmt_bool, fmt_int, fmt_price
from ibbot.protocol.framing import frame_fields
from ibbot.protocol.ids import ServerMsgId
from ibbot.protocol.responses.base import FROZEN, Encoder, Response
from ibbot.protocol.responses.sizes import fmt_size

# updateMktDepth operation and side codes.
INSERT, UPDATE, DELETE = 0, 1, 2
ASK_SIDE, BID_SIDE = 0, 1


@dataclass(**FROZEN)
class MarketDepth(Response):
    """updateMktDepth (12): one level of an exchange's book; `operation` 0 insert, 1 update, 2 delete;
    `side` 0 ask, 1 bid."""

    msg_id = ServerMsgId.MARKET_DEPTH
    req_id: int
    position: int
    operation: int
    side: int
    price: float
    size: float


@dataclass(**FROZEN)
class MarketDepthL2(Response):
    """updateMktDepthL2 (13): a level with its market maker (or exchange, for SMART depth)."""

    msg_id = ServerMsgId.MARKET_DEPTH_L2
    req_id: int
    position: int
    market_maker: str
    operation: int
    side: int
    price: float
    size: float
    is_smart_depth: bool = False


@dataclass(**FROZEN)
class DepthExchange:
    """One entry of mktDepthExchanges; `agg_group` must be a number (ib_async reads it with bare int())."""

    exchange: str
    sec_type: str
    listing_exchange: str
    service_data_type: str
    agg_group: int


@dataclass(**FROZEN)
class MktDepthExchanges(Response):
    msg_id = ServerMsgId.MKT_DEPTH_EXCHANGES
    exchanges: tuple[DepthExchange, ...]


@dataclass(**FROZEN)
class SmartComponent:
    bit_number: int
    exchange: str
    exchange_letter: str


@dataclass(**FROZEN)
class SmartComponents(Response):
    msg_id = ServerMsgId.SMART_COMPONENTS
    req_id: int
    components: tuple[SmartComponent, ...]


@dataclass(**FROZEN)
class RerouteMktDataReq(Response):
    """rerouteMktDataReq (91): a CFD's data request was rerouted to the underlying `con_id` on `exchange`."""

    msg_id = ServerMsgId.REROUTE_MKT_DATA_REQ
    req_id: int
    con_id: int
    exchange: str


@dataclass(**FROZEN)
class RerouteMktDepthReq(Response):
    msg_id = ServerMsgId.REROUTE_MKT_DEPTH_REQ
    req_id: int
    con_id: int
    exchange: str


def _market_depth(m: MarketDepth, sv: int) -> bytes:
    # ibapi 9.81 maps these fields onto its wrapper signature one to one, so the count must be exact.
    return frame_fields(
        [
            "12",
            "1",
            fmt_int(m.req_id),
            fmt_int(m.position),
            fmt_int(m.operation),
            fmt_int(m.side),
            fmt_price(m.price),
            fmt_size(m.size, sv),
        ]
    )


def _market_depth_l2(m: MarketDepthL2, sv: int) -> bytes:
    # isSmartDepth exists from SMART_DEPTH (146), below every version we serve.
    return frame_fields(
        [
            "13",
            "1",
            fmt_int(m.req_id),
            fmt_int(m.position),
            m.market_maker,
            fmt_int(m.operation),
            fmt_int(m.side),
            fmt_price(m.price),
            fmt_size(m.size, sv),
            fmt_bool(m.is_smart_depth),
        ]
    )


def _mkt_depth_exchanges(m: MktDepthExchanges, sv: int) -> bytes:
    # The listing exchange, service data type and aggGroup exist from SERVICE_DATA_TYPE (120).
    fields = ["80", fmt_int(len(m.exchanges))]
    for e in m.exchanges:
        fields += [e.exchange, e.sec_type, e.listing_exchange, e.service_data_type, fmt_int(e.agg_group)]
    return frame_fields(fields)


def _smart_components(m: SmartComponents, sv: int) -> bytes:
    fields = ["82", fmt_int(m.req_id), fmt_int(len(m.components))]
    for c in m.components:
        fields += [fmt_int(c.bit_number), c.exchange, c.exchange_letter]
    return frame_fields(fields)


def _reroute_mkt_data(m: RerouteMktDataReq, sv: int) -> bytes:
    return frame_fields(["91", fmt_int(m.req_id), fmt_int(m.con_id), m.exchange])


def _reroute_mkt_depth(m: RerouteMktDepthReq, sv: int) -> bytes:
    return frame_fields(["92", fmt_int(m.req_id), fmt_int(m.con_id), m.exchange])


ENCODERS: dict[type[Response], Encoder] = {
    MarketDepth: _market_depth,
    MarketDepthL2: _market_depth_l2,
    MktDepthExchanges: _mkt_depth_exchanges,
    SmartComponents: _smart_components,
    RerouteMktDataReq: _reroute_mkt_data,
    RerouteMktDepthReq: _reroute_mkt_depth,
}
