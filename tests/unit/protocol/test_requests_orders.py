"""Order-family requests: what ib_async 2.1.0 (157..178) and ibapi 9.81 (157) send decodes to the typed requests.

The expectation of every placeOrder test is the client's own order object, converted field by field
(`expected`), never hand-written bytes; each scenario also checks a few decoded values by hand, so a slip in
the converter cannot hide one in the decoder. `decode_place_order` counts unread fields: any leftover means
our walk is out of step with the client's layout.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from unittest import mock

import ib_async as ia
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ib_async.util import UNSET_DOUBLE, UNSET_INTEGER

from ibbot.errors import FieldError
from ibbot.protocol.fields import FieldReader, FieldRun
from ibbot.protocol.requests import BadRequest, decode_request, order_layout
from ibbot.protocol.requests.orders import (
    PlaceOrder,
    decode_place_order,
)
from ibbot.protocol.types import (
    ComboLeg,
    Contract,
    DeltaNeutralContract,
    ExecutionCondition,
    MarginCondition,
    Order,
    OrderCondition,
    PercentChangeCondition,
    PriceCondition,
    SoftDollarTier,
    TagValue,
    TimeCondition,
    VolumeCondition,
    build_contract,
    build_order,
)
from oracles import camel, ib_async_requests, ibapi_requests

# 157 and every version where placeOrder's layout changes (cancelOrder's too, at 169)
VERSIONS = [157, 158, 160, 162, 166, 169, 170, 177, 178]

# --- the oracle side: ib_async objects -> the typed values we must decode -----------------------------

_SENT_FROM = {
    "duration": 158,
    "post_to_ats": 160,
    "auto_cancel_parent": 162,
    "advanced_error_override": 166,
    "manual_order_time": 169,
    "min_trade_qty": 170,
    "min_compete_size": 170,
    "compete_against_best_offset": 170,
    "mid_offset_at_whole": 170,
    "mid_offset_at_half": 170,
    # IB's 10.x clients only (ib_async 2.1.0 and ibapi 9.81 have no such attributes)
    "customer_account": 183,
    "professional_customer": 184,
    "include_overnight": 189,
    "manual_order_indicator": 192,
    "imbalance_only": 199,
    "bond_accrued_interest": 10**6,  # openOrder's alone: placeOrder never sends them
    "submitter": 10**6,
}


def _tags(values: Any) -> tuple[TagValue, ...]:
    return tuple(TagValue(tag=t.tag, value=t.value) for t in values or [])


def _condition(c: Any) -> OrderCondition:
    if isinstance(c, ia.PriceCondition):
        return PriceCondition(
            conjunction=c.conjunction,
            is_more=c.isMore,
            price=c.price,
            con_id=c.conId,
            exchange=c.exch,
            trigger_method=c.triggerMethod,
        )
    if isinstance(c, ia.TimeCondition):
        return TimeCondition(conjunction=c.conjunction, is_more=c.isMore, time=c.time)
    if isinstance(c, ia.MarginCondition):
        return MarginCondition(conjunction=c.conjunction, is_more=c.isMore, percent=c.percent)
    if isinstance(c, ia.ExecutionCondition):
        return ExecutionCondition(conjunction=c.conjunction, sec_type=c.secType, exchange=c.exch, symbol=c.symbol)
    if isinstance(c, ia.VolumeCondition):
        return VolumeCondition(
            conjunction=c.conjunction, is_more=c.isMore, volume=c.volume, con_id=c.conId, exchange=c.exch
        )
    assert isinstance(c, ia.PercentChangeCondition)
    return PercentChangeCondition(
        conjunction=c.conjunction,
        is_more=c.isMore,
        change_percent=c.changePercent,
        con_id=c.conId,
        exchange=c.exch,
    )


def _value(name: str, v: Any) -> Any:
    if name == "total_quantity":
        return Decimal(str(v))
    if name in ("algo_params", "smart_combo_routing_params", "order_misc_options"):
        return _tags(v)
    if name == "order_combo_legs":
        return tuple(None if leg.price == UNSET_DOUBLE else float(leg.price) for leg in v or [])
    if name == "conditions":
        return tuple(_condition(c) for c in v)
    if name == "soft_dollar_tier":
        return SoftDollarTier(name=v.name, value=v.val)  # displayName is not sent
    if name == "filled_quantity":
        return None if v == UNSET_DOUBLE else Decimal(str(v))
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return None if v == UNSET_INTEGER else v
    return None if v == UNSET_DOUBLE else float(v)


def expected_contract(c: Any) -> Contract:
    """The contract fields placeOrder carries; the others stay at their defaults."""
    dnc = c.deltaNeutralContract
    return Contract(
        con_id=c.conId,
        symbol=c.symbol,
        sec_type=c.secType,
        last_trade_date_or_contract_month=c.lastTradeDateOrContractMonth,
        strike=float(c.strike),
        right=c.right,
        multiplier=c.multiplier,
        exchange=c.exchange,
        primary_exchange=c.primaryExchange,
        currency=c.currency,
        local_symbol=c.localSymbol,
        trading_class=c.tradingClass,
        sec_id_type=c.secIdType,
        sec_id=c.secId,
        combo_legs=tuple(
            ComboLeg(
                con_id=leg.conId,
                ratio=leg.ratio,
                action=leg.action,
                exchange=leg.exchange,
                open_close=leg.openClose,
                short_sale_slot=leg.shortSaleSlot,
                designated_location=leg.designatedLocation,
                exempt_code=leg.exemptCode,
            )
            for leg in c.comboLegs or []
        ),
        delta_neutral_contract=DeltaNeutralContract(con_id=dnc.conId, delta=dnc.delta, price=dnc.price)
        if dnc
        else None,
    )


def expected(order_id: int, contract: Any, order: Any, sv: int) -> PlaceOrder:
    """Every attribute of ib_async's Order, converted; fields the version does not carry stay default."""
    defaults = Order()
    values: dict[str, Any] = {}
    for f in dataclasses.fields(Order):
        sent = sv >= _SENT_FROM.get(f.name, 0) and not (f.name == "fa_profile" and sv >= 177)
        if sent and not hasattr(order, camel(f.name)):  # ib_async's Order lacks the 10.x attributes
            assert sv > 178, f"{f.name} is sent at {sv} but the client has no {camel(f.name)}"
            sent = False
        values[f.name] = _value(f.name, getattr(order, camel(f.name))) if sent else getattr(defaults, f.name)
    values["order_id"] = order_id
    return PlaceOrder(order_id=order_id, contract=expected_contract(contract), order=Order(**values))


def decode_all(frames: list[list[str]], sv: int) -> list[PlaceOrder]:
    """Decode placeOrder frames; every field must be consumed, and the table must agree."""
    out = []
    for frame in frames:
        request, leftover = decode_place_order(frame, sv)
        assert leftover == 0, f"{leftover} fields left unread: {frame[-leftover:]}"
        assert decode_request(frame, sv) == request
        out.append(request)
    return out


def ib_async_place(sv: int, orders: list[tuple[int, Any, Any]]) -> list[PlaceOrder]:
    def call(c: Any) -> None:
        for order_id, contract, order in orders:
            c.placeOrder(order_id, contract, order)

    return decode_all(ib_async_requests(sv, call), sv)


# --- ib_async objects -> ibapi 9.81 objects, for the same scenarios at 157 ---------------------------


def to_ibapi(contract: Any, order: Any) -> tuple[Any, Any]:
    from ibapi import order_condition as ioc
    from ibapi.contract import ComboLeg as IComboLeg
    from ibapi.contract import Contract as IContract
    from ibapi.contract import DeltaNeutralContract as IDeltaNeutral
    from ibapi.order import Order as IOrder
    from ibapi.order import OrderComboLeg as IOrderComboLeg
    from ibapi.softdollartier import SoftDollarTier as ISoftDollarTier
    from ibapi.tag_value import TagValue as ITagValue

    ic = IContract()
    for name in vars(ic):
        if name not in ("comboLegs", "deltaNeutralContract") and hasattr(contract, name):
            setattr(ic, name, getattr(contract, name))
    ic.comboLegs = []
    for leg in contract.comboLegs or []:
        il = IComboLeg()
        for name in vars(il):
            setattr(il, name, getattr(leg, name))
        ic.comboLegs.append(il)
    if contract.deltaNeutralContract:
        ic.deltaNeutralContract = IDeltaNeutral()
        for name in ("conId", "delta", "price"):
            setattr(ic.deltaNeutralContract, name, getattr(contract.deltaNeutralContract, name))

    io = IOrder()
    for name in vars(io):
        value = getattr(order, name, None)
        if value is None:
            continue
        if name in ("algoParams", "smartComboRoutingParams", "orderMiscOptions"):
            value = [ITagValue(t.tag, t.value) for t in value]
        elif name == "orderComboLegs":
            legs = []
            for leg in value:
                il = IOrderComboLeg()
                il.price = leg.price
                legs.append(il)
            value = legs
        elif name == "softDollarTier":
            value = ISoftDollarTier(value.name, value.val, value.displayName)
        elif name == "conditions":
            conds = []
            for c in value:
                ic_ = ioc.Create(c.condType)
                ic_.isConjunctionConnection = c.conjunction == "a"
                for src, dst in (("isMore", "isMore"), ("exch", "exchange"), ("conId", "conId")):
                    if hasattr(c, src):
                        setattr(ic_, dst, getattr(c, src))
                for attr in ("price", "triggerMethod", "time", "percent", "secType", "symbol", "volume"):
                    if hasattr(c, attr):
                        setattr(ic_, attr, getattr(c, attr))
                if hasattr(c, "changePercent"):
                    ic_.changePercent = c.changePercent
                conds.append(ic_)
            value = conds
        setattr(io, name, value)
    return ic, io


def ibapi_place(orders: list[tuple[int, Any, Any]]) -> list[PlaceOrder]:
    translated = [(oid, *to_ibapi(c, o)) for oid, c, o in orders]

    def call(client: Any) -> None:
        for order_id, contract, order in translated:
            client.placeOrder(order_id, contract, order)

    return decode_all(ibapi_requests(call), 157)


# --- scenarios ---------------------------------------------------------------------------------------

STOCK = dict(symbol="AAPL", exchange="SMART", currency="USD")


@dataclass
class Scenario:
    name: str
    build: Callable[[], list[tuple[int, Any, Any]]]
    check: Callable[[list[PlaceOrder]], bool]


def _one(contract: Any, order: Any, order_id: int = 7) -> Callable[[], list[tuple[int, Any, Any]]]:
    return lambda: [(order_id, contract(), order())]


def _bracket() -> list[tuple[int, Any, Any]]:
    stock = ia.Stock(**STOCK)
    parent = ia.LimitOrder("BUY", 100, 150.0, transmit=False, orderRef="entry")
    take = ia.LimitOrder("SELL", 100, 160.0, parentId=10, transmit=False, tif="GTC")
    stop = ia.StopOrder("SELL", 100, 145.0, parentId=10, transmit=True, tif="GTC")
    return [(10, stock, parent), (11, stock, take), (12, stock, stop)]


def _bag() -> Any:
    return ia.Contract(
        secType="BAG",
        symbol="SPY",
        exchange="SMART",
        currency="USD",
        comboLegs=[
            ia.ComboLeg(conId=1001, ratio=1, action="BUY", exchange="SMART"),
            ia.ComboLeg(
                conId=1002,
                ratio=2,
                action="SELL",
                exchange="CBOE",
                openClose=2,
                shortSaleSlot=2,
                designatedLocation="LOC1",
                exemptCode=3,
            ),
        ],
    )


def _bag_order() -> Any:
    return ia.LimitOrder(
        "BUY",
        3,
        1.25,
        orderComboLegs=[ia.OrderComboLeg(price=0.75), ia.OrderComboLeg()],
        smartComboRoutingParams=[ia.TagValue("NonGuaranteed", "1"), ia.TagValue("LeginPrio", "-1")],
    )


def _option() -> Any:
    contract = ia.Option("SPY", "20250620", 450.0, "C", "SMART", multiplier="100", currency="USD")
    contract.conId = 555001
    contract.deltaNeutralContract = ia.DeltaNeutralContract(conId=756733, delta=0.45, price=451.5)
    return contract


def _delta_neutral() -> Any:
    return ia.Order(
        action="BUY",
        totalQuantity=2,
        orderType="VOL",
        volatility=0.25,
        volatilityType=2,
        continuousUpdate=True,
        referencePriceType=1,
        deltaNeutralOrderType="LMT",
        deltaNeutralAuxPrice=1.5,
        deltaNeutralConId=756733,
        deltaNeutralSettlingFirm="FIRM",
        deltaNeutralClearingAccount="CLR1",
        deltaNeutralClearingIntent="IB",
        deltaNeutralOpenClose="O",
        deltaNeutralShortSale=True,
        deltaNeutralShortSaleSlot=1,
        deltaNeutralDesignatedLocation="DL",
    )


def _scale() -> Any:
    return ia.LimitOrder(
        "BUY",
        1000,
        50.0,
        scaleInitLevelSize=100,
        scaleSubsLevelSize=50,
        scalePriceIncrement=0.05,
        scalePriceAdjustValue=0.01,
        scalePriceAdjustInterval=60,
        scaleProfitOffset=0.5,
        scaleAutoReset=True,
        scaleInitPosition=10,
        scaleInitFillQty=5,
        scaleRandomPercent=True,
        scaleTable="1/2/3",
        activeStartTime="20250101 09:30:00 US/Eastern",
        activeStopTime="20250101 16:00:00 US/Eastern",
    )


def _conditions() -> Any:
    return ia.LimitOrder(
        "BUY",
        10,
        99.0,
        conditions=[
            ia.PriceCondition(isMore=False, price=101.5, conId=265598, exch="SMART", triggerMethod=2),
            ia.TimeCondition(conjunction="o", time="20250101 10:00:00 US/Eastern"),
            ia.MarginCondition(isMore=False, percent=30),
            ia.ExecutionCondition(secType="STK", exch="SMART", symbol="MSFT"),
            ia.VolumeCondition(conjunction="o", volume=100000, conId=272093, exch="SMART"),
            ia.PercentChangeCondition(changePercent=-2.5, conId=265598, exch="SMART"),
        ],
        conditionsIgnoreRth=True,
        conditionsCancelOrder=False,  # unequal, so a swap of the two would show
    )


def _everything_else() -> Any:
    """The straight fields and the version-gated tail, all set (the tail is dropped by version)."""
    return ia.LimitOrder(
        "SSHORT",
        Decimal("12.5"),
        Decimal("10.05"),
        account="DU123",
        openClose="C",
        origin=1,
        blockOrder=True,
        sweepToFill=True,
        displaySize=5,
        triggerMethod=7,
        hidden=True,
        discretionaryAmt=0.1,
        faGroup="grp",
        faMethod="EqualQuantity",
        faPercentage="50",
        faProfile="prof",
        modelCode="MODEL",
        shortSaleSlot=2,
        designatedLocation="LOC",
        exemptCode=4,
        rule80A="I",
        settlingFirm="SF",
        allOrNone=True,
        minQty=3,
        percentOffset=0.02,
        nbboPriceCap=11.0,
        auctionStrategy=2,
        optOutSmartRouting=True,
        clearingAccount="CA",
        clearingIntent="Away",
        notHeld=True,
        solicited=True,
        randomizeSize=True,
        randomizePrice=True,
        adjustedOrderType="STP LMT",
        triggerPrice=9.5,
        lmtPriceOffset=0.05,
        adjustedStopPrice=9.0,
        adjustedStopLimitPrice=8.9,
        adjustedTrailingAmount=0.2,
        adjustableTrailingUnit=1,
        extOperator="op",
        softDollarTier=ia.SoftDollarTier(name="tier", val="v1", displayName="Tier 1"),
        cashQty=125.0,
        mifid2DecisionMaker="dm",
        mifid2DecisionAlgo="da",
        mifid2ExecutionTrader="et",
        mifid2ExecutionAlgo="ea",
        dontUseAutoPriceForHedge=True,
        isOmsContainer=True,
        discretionaryUpToLimitPrice=True,
        usePriceMgmtAlgo=True,
        duration=30,
        postToAts=1,
        autoCancelParent=True,
        advancedErrorOverride="8229",
        manualOrderTime="20250101 10:00:00",
    )


def _sec_id_contract() -> Any:
    return ia.Contract(secType="BOND", secIdType="ISIN", secId="US912828Z780", exchange="SMART", currency="USD")


def _peg_best(offset: float) -> Any:
    order = ia.Order(action="BUY", totalQuantity=100, orderType="PEG BEST", lmtPrice=10.0)
    order.minCompeteSize = 100
    order.competeAgainstBestOffset = offset
    if offset == math.inf:
        order.midOffsetAtWhole, order.midOffsetAtHalf = 0.01, 0.005
    return order


def _o(p: list[PlaceOrder]) -> Order:
    return p[0].order


SCENARIOS = [
    Scenario(
        "mkt",
        _one(lambda: ia.Stock(**STOCK), lambda: ia.MarketOrder("BUY", 100)),
        lambda p: _o(p).order_type == "MKT" and _o(p).total_quantity == 100 and _o(p).lmt_price is None,
    ),
    Scenario(
        "lmt",
        _one(
            lambda: ia.Stock(**STOCK, primaryExchange="NASDAQ"),
            lambda: ia.LimitOrder("SELL", 10.5, 187.25, tif="GTC", outsideRth=True, orderRef="r1"),
        ),
        lambda p: (
            _o(p).lmt_price == 187.25
            and _o(p).total_quantity == Decimal("10.5")
            and _o(p).outside_rth
            and p[0].contract.primary_exchange == "NASDAQ"
        ),
    ),
    Scenario(
        "stp",
        _one(lambda: ia.Stock(**STOCK), lambda: ia.StopOrder("BUY", 50, 101.5)),
        lambda p: _o(p).aux_price == 101.5 and _o(p).lmt_price is None,
    ),
    Scenario(
        "stp_lmt",
        _one(lambda: ia.Stock(**STOCK), lambda: ia.StopLimitOrder("BUY", 50, 102.0, 101.5)),
        lambda p: (_o(p).order_type, _o(p).lmt_price, _o(p).aux_price) == ("STP LMT", 102.0, 101.5),
    ),
    Scenario(
        "trail_percent",
        _one(
            lambda: ia.Stock(**STOCK),
            lambda: ia.Order(
                action="SELL", totalQuantity=100, orderType="TRAIL", trailingPercent=1.5, trailStopPrice=98.0
            ),
        ),
        lambda p: _o(p).trailing_percent == 1.5 and _o(p).trail_stop_price == 98.0 and _o(p).aux_price is None,
    ),
    Scenario(
        "trail_amount",
        _one(
            lambda: ia.Stock(**STOCK),
            lambda: ia.Order(action="SELL", totalQuantity=100, orderType="TRAIL", auxPrice=2.0),
        ),
        lambda p: _o(p).aux_price == 2.0 and _o(p).trailing_percent is None,
    ),
    Scenario(
        "bracket",
        _bracket,
        lambda p: (
            [(x.order_id, x.order.parent_id, x.order.transmit) for x in p]
            == [(10, 0, False), (11, 10, False), (12, 10, True)]
        ),
    ),
    Scenario(
        "oca",
        _one(lambda: ia.Stock(**STOCK), lambda: ia.LimitOrder("BUY", 1, 5.0, ocaGroup="g1", ocaType=2)),
        lambda p: (_o(p).oca_group, _o(p).oca_type) == ("g1", 2),
    ),
    Scenario(
        "bag",
        _one(_bag, _bag_order),
        lambda p: (
            [leg.con_id for leg in p[0].contract.combo_legs] == [1001, 1002]
            and p[0].contract.combo_legs[1].exempt_code == 3
            and _o(p).order_combo_legs == (0.75, None)
            and _o(p).smart_combo_routing_params[0] == TagValue(tag="NonGuaranteed", value="1")
        ),
    ),
    Scenario(
        "delta_neutral",
        _one(_option, _delta_neutral),
        lambda p: (
            _o(p).delta_neutral_con_id == 756733
            and _o(p).delta_neutral_short_sale
            and _o(p).volatility == 0.25
            and p[0].contract.delta_neutral_contract == DeltaNeutralContract(con_id=756733, delta=0.45, price=451.5)
        ),
    ),
    Scenario(
        "scale",
        _one(lambda: ia.Stock(**STOCK), _scale),
        lambda p: (
            _o(p).scale_price_increment == 0.05
            and _o(p).scale_init_fill_qty == 5
            and _o(p).scale_random_percent
            and _o(p).active_stop_time.startswith("20250101 16")
        ),
    ),
    Scenario(
        "hedge",
        _one(
            lambda: ia.Stock(**STOCK),
            lambda: ia.LimitOrder("SELL", 100, 10.0, parentId=9, hedgeType="B", hedgeParam="beta=1.2"),
        ),
        lambda p: (_o(p).hedge_type, _o(p).hedge_param, _o(p).parent_id) == ("B", "beta=1.2", 9),
    ),
    Scenario(
        "algo",
        _one(
            lambda: ia.Stock(**STOCK),
            lambda: ia.LimitOrder(
                "BUY",
                100,
                10.0,
                algoStrategy="Adaptive",
                algoParams=[ia.TagValue("adaptivePriority", "Normal"), ia.TagValue("x", "")],
                algoId="a1",
                orderMiscOptions=[ia.TagValue("k1", "v1"), ia.TagValue("k2", "v2")],
            ),
        ),
        lambda p: (
            _o(p).algo_params[0] == TagValue(tag="adaptivePriority", value="Normal")
            and len(_o(p).algo_params) == 2
            and _o(p).order_misc_options == (TagValue(tag="k1", value="v1"), TagValue(tag="k2", value="v2"))
        ),
    ),
    Scenario(
        "peg_bench",
        _one(
            lambda: ia.Stock(**STOCK),
            lambda: ia.Order(
                action="BUY",
                totalQuantity=100,
                orderType="PEG BENCH",
                startingPrice=100.0,
                stockRefPrice=200.0,
                stockRangeLower=190.0,
                stockRangeUpper=210.0,
                referenceContractId=756733,
                isPeggedChangeAmountDecrease=True,
                peggedChangeAmount=0.5,
                referenceChangeAmount=0.25,
                referenceExchangeId="ISLAND",
            ),
        ),
        lambda p: (
            (_o(p).reference_contract_id, _o(p).pegged_change_amount, _o(p).reference_exchange_id)
            == (756733, 0.5, "ISLAND")
            and _o(p).is_pegged_change_amount_decrease
        ),
    ),
    Scenario(
        "conditions",
        _one(lambda: ia.Stock(**STOCK), _conditions),
        lambda p: (
            [c.cond_type for c in _o(p).conditions] == [1, 3, 4, 5, 6, 7]
            and _o(p).conditions[1].conjunction == "o"
            and _o(p).conditions[2] == MarginCondition(is_more=False, percent=30)
            and _o(p).conditions_ignore_rth
            and not _o(p).conditions_cancel_order
        ),
    ),
    Scenario(
        "what_if",
        _one(lambda: ia.Stock(**STOCK), lambda: ia.LimitOrder("BUY", 100, 10.0, whatIf=True)),
        lambda p: _o(p).what_if,
    ),
    Scenario(
        "gtd",
        _one(
            lambda: ia.Stock(**STOCK),
            lambda: ia.LimitOrder(
                "BUY",
                100,
                10.0,
                tif="GTD",
                goodTillDate="20250101 16:00:00 US/Eastern",
                goodAfterTime="20241231 09:30:00 US/Eastern",
            ),
        ),
        lambda p: (_o(p).tif, _o(p).good_till_date) == ("GTD", "20250101 16:00:00 US/Eastern"),
    ),
    Scenario(
        "everything_else",
        _one(_sec_id_contract, _everything_else),
        lambda p: (
            p[0].contract.sec_id == "US912828Z780"
            and _o(p).soft_dollar_tier == SoftDollarTier(name="tier", value="v1")
            and _o(p).cash_qty == 125.0
            and _o(p).total_quantity == Decimal("12.5")
            and _o(p).lmt_price == 10.05
        ),
    ),
    Scenario(
        "ibkrats_min_trade_qty",
        _one(
            lambda: ia.Stock("AAPL", "IBKRATS", "USD"),
            lambda: ia.LimitOrder("BUY", 100, 10.0, minTradeQty=50),
        ),
        lambda p: True,
    ),
    Scenario(
        "peg_best_offset",
        _one(lambda: ia.Stock("AAPL", "IBKRATS", "USD"), lambda: _peg_best(0.02)),
        lambda p: _o(p).mid_offset_at_whole is None,
    ),
    Scenario(
        "peg_best_up_to_mid",
        _one(lambda: ia.Stock("AAPL", "IBKRATS", "USD"), lambda: _peg_best(math.inf)),
        lambda p: _o(p).compete_against_best_offset in (None, math.inf),
    ),
    Scenario(
        "peg_mid",
        _one(
            lambda: ia.Stock("AAPL", "IBKRATS", "USD"),
            lambda: ia.Order(
                action="SELL",
                totalQuantity=100,
                orderType="PEG MID",
                lmtPrice=10.0,
                midOffsetAtWhole=0.02,
                midOffsetAtHalf=0.01,
            ),
        ),
        lambda p: _o(p).compete_against_best_offset is None,
    ),
]

# values that only exist from 170: (scenario, attribute, value there)
_FROM_170 = {
    "ibkrats_min_trade_qty": ("min_trade_qty", 50),
    "peg_best_offset": ("compete_against_best_offset", 0.02),
    "peg_best_up_to_mid": ("mid_offset_at_half", 0.005),
    "peg_mid": ("mid_offset_at_whole", 0.02),
}


@pytest.mark.parametrize("sv", VERSIONS)
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_ib_async_place_order_decodes(scenario: Scenario, sv: int) -> None:
    orders = scenario.build()
    decoded = ib_async_place(sv, orders)
    assert decoded == [expected(oid, c, o, sv) for oid, c, o in orders]
    assert scenario.check(decoded)
    if scenario.name in _FROM_170:
        attr, value = _FROM_170[scenario.name]
        assert getattr(decoded[0].order, attr) == (value if sv >= 170 else None)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_ibapi_place_order_decodes_like_ib_async(scenario: Scenario) -> None:
    orders = scenario.build()
    decoded = ibapi_place(orders)
    assert decoded == [expected(oid, c, o, 157) for oid, c, o in orders]
    assert decoded == ib_async_place(157, scenario.build())


def test_version_gated_tail_appears_at_its_version() -> None:
    def tail(sv: int) -> Order:
        return ib_async_place(sv, [(1, ia.Stock(**STOCK), _everything_else())])[0].order

    assert (tail(157).duration, tail(157).fa_profile) == (None, "prof")
    assert tail(158).duration == 30 and tail(158).post_to_ats is None
    assert tail(160).post_to_ats == 1 and not tail(160).auto_cancel_parent
    assert tail(162).auto_cancel_parent and tail(162).advanced_error_override == ""
    assert tail(166).advanced_error_override == "8229" and tail(166).manual_order_time == ""
    assert tail(169).manual_order_time == "20250101 10:00:00"
    assert (tail(176).fa_profile, tail(177).fa_profile) == ("prof", "")


@pytest.mark.parametrize(("sv", "count"), [(157, 110), (178, 114)])
def test_plain_limit_order_field_count(sv: int, count: int) -> None:
    frames = ib_async_requests(sv, lambda c: c.placeOrder(1, ia.Stock(**STOCK), ia.LimitOrder("BUY", 1, 2.0)))
    assert len(frames[0]) == count
    assert decode_place_order(frames[0], sv)[1] == 0


def test_ibapi_plain_order_with_its_own_defaults() -> None:
    """ibapi's defaults differ from ib_async's and it writes some unset values as literal maxima."""
    from ibapi.contract import Contract as IContract
    from ibapi.order import Order as IOrder

    c = IContract()
    c.symbol, c.secType, c.exchange, c.currency = "AAPL", "STK", "SMART", "USD"
    o = IOrder()
    o.action, o.totalQuantity, o.orderType, o.lmtPrice = "BUY", 100, "LMT", 99.5
    frames = ibapi_requests(lambda client: client.placeOrder(3, c, o))
    assert len(frames[0]) == 110
    assert "1.7976931348623157e+308" in frames[0]  # triggerPrice, cashQty ... sent literally
    request, leftover = decode_place_order(frames[0], 157)
    assert leftover == 0
    order = request.order
    assert (order.order_id, order.action, order.total_quantity, order.lmt_price) == (3, "BUY", 100, 99.5)
    assert (order.open_close, order.e_trade_only, order.firm_quote_only) == ("", True, True)
    assert order.trigger_price is None and order.cash_qty is None and order.min_qty is None
    assert not order.use_price_mgmt_algo  # ibapi sends None as empty


# --- robustness --------------------------------------------------------------------------------------


def _plain_frame(sv: int) -> list[str]:
    return ib_async_requests(sv, lambda c: c.placeOrder(4, ia.Stock(**STOCK), _conditions()))[0]


def test_trailing_fields_are_ignored_but_counted() -> None:
    frame = [*_plain_frame(178), "extra", "more"]
    request, leftover = decode_place_order(frame, 178)
    assert leftover == 2
    assert decode_request(frame, 178) == request


def test_truncated_place_order_is_a_bad_request() -> None:
    bad = decode_request(_plain_frame(178)[:-3], 178)
    assert isinstance(bad, BadRequest) and "ends before" in bad.reason


def test_unknown_condition_type_is_a_bad_request() -> None:
    frame = _plain_frame(178)
    # the condition count, then the first (price) condition: type 1, "a", isMore 0, price 101.5
    first = next(i for i in range(len(frame)) if frame[i : i + 5] == ["6", "1", "a", "0", "101.5"])
    frame[first + 1] = "2"  # 2 is not a condition type IB defines
    bad = decode_request(frame, 178)
    assert isinstance(bad, BadRequest) and "condition type 2" in bad.reason


def test_whole_number_condition_values_may_be_written_as_floats() -> None:
    from ibapi.contract import Contract as IContract
    from ibapi.order import Order as IOrder
    from ibapi.order_condition import MarginCondition as IMargin
    from ibapi.order_condition import VolumeCondition as IVolume

    c = IContract()
    c.symbol, c.secType, c.exchange, c.currency = "AAPL", "STK", "SMART", "USD"
    o = IOrder()
    o.action, o.totalQuantity, o.orderType, o.lmtPrice = "BUY", 1, "LMT", 1.0
    o.conditions = [IMargin(isMore=True, percent=30.0), IVolume(1, "SMART", False, 5000.0)]
    frames = ibapi_requests(lambda client: client.placeOrder(3, c, o))
    request, leftover = decode_place_order(frames[0], 157)
    assert leftover == 0
    assert request.order.conditions == (
        MarginCondition(is_more=True, percent=30),
        VolumeCondition(is_more=False, volume=5000, con_id=1, exchange="SMART"),
    )
    frames[0][frames[0].index("30.0")] = "30.5"
    assert isinstance(decode_request(frames[0], 157), BadRequest)


# --- property: random ib_async orders survive ib_async-encode -> our decode ---------------------------

_NOT_ON_WIRE = {
    "orderId",
    "clientId",
    "permId",
    "basisPoints",
    "basisPointsType",
    "autoCancelDate",
    "filledQuantity",
    "refFuturesConId",
    "shareholder",
    "imbalanceOnly",
    "routeMarketableToBbo",
    "parentPermId",
}
_TEXT = st.text(alphabet="abcXYZ019 ./:-", max_size=8)
_INTS = st.integers(-5, 10**9)
_FLOATS = st.floats(-1e9, 1e9, allow_nan=False)
_CONJ = st.sampled_from(["a", "o"])
_TAGS = st.lists(st.builds(ia.TagValue, _TEXT, _TEXT), max_size=3)
_CONDITION = st.one_of(
    st.builds(
        ia.PriceCondition,
        conjunction=_CONJ,
        isMore=st.booleans(),
        price=_FLOATS,
        conId=_INTS,
        exch=_TEXT,
        triggerMethod=st.integers(0, 8),
    ),
    st.builds(ia.TimeCondition, conjunction=_CONJ, isMore=st.booleans(), time=_TEXT),
    st.builds(ia.MarginCondition, conjunction=_CONJ, isMore=st.booleans(), percent=st.integers(0, 100)),
    st.builds(ia.ExecutionCondition, conjunction=_CONJ, secType=_TEXT, exch=_TEXT, symbol=_TEXT),
    st.builds(ia.VolumeCondition, conjunction=_CONJ, isMore=st.booleans(), volume=_INTS, conId=_INTS, exch=_TEXT),
    st.builds(
        ia.PercentChangeCondition,
        conjunction=_CONJ,
        isMore=st.booleans(),
        changePercent=_FLOATS,
        conId=_INTS,
        exch=_TEXT,
    ),
)
_ORDER_TYPES = ["MKT", "LMT", "STP", "STP LMT", "TRAIL", "REL", "VOL", "PEG BENCH", "PEG BEST", "PEG MID"]


def _ib_orders(
    special: dict[str, st.SearchStrategy[Any]],
    *,
    ints: st.SearchStrategy[int],
    floats: st.SearchStrategy[float],
    text: st.SearchStrategy[str],
) -> st.SearchStrategy[Any]:
    """ib_async Orders: `special` fields as given, every other field by the type of its default (its unset
    value included where the default is unset)."""

    def field(f: dataclasses.Field[Any]) -> st.SearchStrategy[Any]:
        if f.name in special:
            return special[f.name]
        default = f.default
        if isinstance(default, bool):
            return st.booleans()
        if isinstance(default, int):
            return st.one_of(st.just(UNSET_INTEGER), ints) if default == UNSET_INTEGER else ints
        if isinstance(default, float):
            return st.one_of(st.just(UNSET_DOUBLE), floats) if default == UNSET_DOUBLE else floats
        assert isinstance(default, str), f.name
        return text

    fields = {f.name: field(f) for f in dataclasses.fields(ia.Order) if f.name not in _NOT_ON_WIRE}
    return st.fixed_dictionaries(fields).map(lambda kw: ia.Order(**kw))


_ORDER = _ib_orders(
    {
        "totalQuantity": st.one_of(st.floats(0, 1e7, allow_nan=False), st.decimals(0, 10**6, places=4)),
        "lmtPrice": st.one_of(st.just(UNSET_DOUBLE), _FLOATS, st.decimals(-(10**6), 10**6, places=4)),
        "orderType": st.sampled_from(_ORDER_TYPES),
        "competeAgainstBestOffset": st.one_of(st.just(UNSET_DOUBLE), st.just(math.inf), _FLOATS),
        "algoParams": _TAGS,
        "smartComboRoutingParams": _TAGS,
        "orderMiscOptions": _TAGS,
        "orderComboLegs": st.lists(st.builds(ia.OrderComboLeg, st.one_of(st.just(UNSET_DOUBLE), _FLOATS)), max_size=3),
        "conditions": st.lists(_CONDITION, max_size=4),
        "softDollarTier": st.builds(ia.SoftDollarTier, _TEXT, _TEXT, _TEXT),
    },
    ints=_INTS,
    floats=_FLOATS,
    text=_TEXT,
)

_LEG = st.builds(
    ia.ComboLeg,
    conId=_INTS,
    ratio=st.integers(1, 10),
    action=st.sampled_from(["BUY", "SELL"]),
    exchange=_TEXT,
    openClose=st.integers(0, 3),
    shortSaleSlot=st.integers(0, 2),
    designatedLocation=_TEXT,
    exemptCode=st.integers(-1, 5),
)
_CONTRACT = st.builds(
    ia.Contract,
    conId=_INTS,
    symbol=_TEXT,
    secType=st.sampled_from(["STK", "OPT", "FUT", "BAG"]),
    lastTradeDateOrContractMonth=_TEXT,
    strike=_FLOATS,
    right=st.sampled_from(["", "C", "P"]),
    multiplier=_TEXT,
    exchange=st.sampled_from(["SMART", "IBKRATS", ""]),
    primaryExchange=_TEXT,
    currency=_TEXT,
    localSymbol=_TEXT,
    tradingClass=_TEXT,
    secIdType=_TEXT,
    secId=_TEXT,
    comboLegs=st.lists(_LEG, max_size=3),
    deltaNeutralContract=st.none() | st.builds(ia.DeltaNeutralContract, _INTS, _FLOATS, _FLOATS),
)


def _consistent(contract: Any, order: Any) -> None:
    """Reset what the client would not send anyway (its own conditions, from ib_async's placeOrder)."""
    blank = ia.Order()

    def reset(*names: str) -> None:
        for name in names:
            setattr(order, name, getattr(blank, name))

    if contract.secType != "BAG":
        contract.comboLegs = []
        reset("orderComboLegs", "smartComboRoutingParams")
    if not order.deltaNeutralOrderType:
        reset(*(f"deltaNeutral{x}" for x in ("ConId", "SettlingFirm", "ClearingAccount", "ClearingIntent")))
        reset(*(f"deltaNeutral{x}" for x in ("OpenClose", "ShortSale", "ShortSaleSlot", "DesignatedLocation")))
    if not 0 < order.scalePriceIncrement < UNSET_DOUBLE:
        reset("scalePriceAdjustValue", "scalePriceAdjustInterval", "scaleProfitOffset", "scaleAutoReset")
        reset("scaleInitPosition", "scaleInitFillQty", "scaleRandomPercent")
    if not order.hedgeType:
        reset("hedgeParam")
    if not order.algoStrategy:
        reset("algoParams")
    if order.orderType != "PEG BENCH":
        reset("referenceContractId", "isPeggedChangeAmountDecrease", "peggedChangeAmount")
        reset("referenceChangeAmount", "referenceExchangeId")
    if not order.conditions:
        reset("conditionsIgnoreRth", "conditionsCancelOrder")
    if contract.exchange != "IBKRATS":
        reset("minTradeQty")
    best = order.orderType == "PEG BEST"
    if not best:
        reset("minCompeteSize", "competeAgainstBestOffset")
    if not (order.orderType == "PEG MID" or (best and order.competeAgainstBestOffset == math.inf)):
        reset("midOffsetAtWhole", "midOffsetAtHalf")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sv=st.sampled_from(VERSIONS), order_id=st.integers(1, 10**9), contract=_CONTRACT, order=_ORDER)
def test_random_ib_async_orders_round_trip(sv: int, order_id: int, contract: Any, order: Any) -> None:
    _consistent(contract, order)
    frames = ib_async_requests(sv, lambda c: c.placeOrder(order_id, contract, order))
    request, leftover = decode_place_order(frames[0], sv)
    assert leftover == 0
    assert request == expected(order_id, contract, order, sv)


# --- the one-pass reading against the reader's field-by-field walk ------------------------------------

_MUTANTS = st.sampled_from(
    ["", "0", "1", "-1", "2", "BAG", "PEG BENCH", "PEG BEST", "PEG MID", "IBKRATS", "Adaptive", "x", "true",
     "Infinite", "0.5", "2147483647", "1.7976931348623157e+308", "nan"]
)  # fmt: skip


# Orders whose every text is "", "0" or "1": read out of step (a block late or early), such a frame would
# still parse, so only the walk's bookkeeping keeps the values in place.
_SMALL_TEXT = st.sampled_from(["", "0", "1"])


_SMALL_ORDER = _ib_orders(
    {
        "totalQuantity": st.sampled_from([0, 1]),
        "orderType": st.sampled_from(_ORDER_TYPES),
        "scalePriceIncrement": st.sampled_from([UNSET_DOUBLE, 0.0, 1.0]),
        "competeAgainstBestOffset": st.sampled_from([UNSET_DOUBLE, math.inf, 1.0]),
        "algoParams": st.lists(st.builds(ia.TagValue, _SMALL_TEXT, _SMALL_TEXT), max_size=1),
        "smartComboRoutingParams": st.lists(st.builds(ia.TagValue, _SMALL_TEXT, _SMALL_TEXT), max_size=1),
        "orderMiscOptions": st.just([]),
        "orderComboLegs": st.lists(st.builds(ia.OrderComboLeg, st.just(1.0)), max_size=1),
        "conditions": st.lists(st.builds(ia.TimeCondition, conjunction=_CONJ, time=_SMALL_TEXT), max_size=1),
        "softDollarTier": st.builds(ia.SoftDollarTier, _SMALL_TEXT, _SMALL_TEXT, _SMALL_TEXT),
    },
    ints=st.sampled_from([0, 1]),
    floats=st.sampled_from([0.0, 1.0]),
    text=_SMALL_TEXT,
)
_SMALL_CONTRACT = st.builds(
    ia.Contract,
    secType=st.sampled_from(["STK", "BAG"]),
    exchange=st.sampled_from(["SMART", "IBKRATS"]),
    comboLegs=st.lists(st.builds(ia.ComboLeg, conId=st.just(1), ratio=st.just(1)), max_size=1),
    deltaNeutralContract=st.none() | st.builds(ia.DeltaNeutralContract, st.just(1), st.just(0.0), st.just(1.0)),
)


def _switches_off(contract: Any, order: Any) -> None:
    """Turn off every switch of the layout: a plain order, read in one pass."""
    _consistent(contract, order)
    if contract.secType == "BAG":
        contract.secType = "STK"
    contract.exchange = "SMART"
    contract.deltaNeutralContract = None
    order.deltaNeutralOrderType = order.hedgeType = order.algoStrategy = ""
    order.scalePriceIncrement = UNSET_DOUBLE
    order.conditions = []
    if order.orderType.startswith("PEG"):
        order.orderType = "LMT"


def _by_field(frame: list[str], sv: int) -> Any:
    """decode_request and the leftover count with the one-pass parse switched off: the reader reads every
    field, one at a time, as the walk reaches it (the reference)."""
    with mock.patch.object(FieldRun, "parse_prefix", return_value=0):
        return decode_request(frame, sv), _leftover(frame, sv)


def _leftover(frame: list[str], sv: int) -> int | None:
    try:
        return decode_place_order(frame, sv)[1]
    except FieldError:
        return None


# Drawing an Order (a hundred-odd fields) is most of an example's cost, editing its frame nearly none: each
# order is read in three edited (or cut) frames, so 100 examples still check 300 frames.
_EDITS = st.lists(st.tuples(st.integers(1, 200), st.sampled_from(["set", "drop", "add"]), _MUTANTS), max_size=2)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sv=st.sampled_from(VERSIONS),
    contract=_CONTRACT | _SMALL_CONTRACT,
    order=_ORDER | _SMALL_ORDER,
    prepare=st.sampled_from([_switches_off, _switches_off, _consistent, lambda c, o: None]),
    variants=st.lists(st.tuples(_EDITS, st.none() | st.integers(1, 200)), min_size=3, max_size=3),
)
def test_one_pass_reading_decodes_as_the_reader_walk(
    sv: int,
    contract: Any,
    order: Any,
    prepare: Callable[[Any, Any], None],
    variants: list[tuple[list[tuple[int, str, str]], int | None]],
) -> None:
    """Random orders (plain or not), then random edits: the same request, or the same BadRequest reason."""
    prepare(contract, order)
    sent = ib_async_requests(sv, lambda c: c.placeOrder(7, contract, order))[0]
    for edits, cut in variants:
        frame = list(sent)
        for at, edit, text in edits:
            i = 1 + at % (len(frame) - 1)
            if edit == "set":
                frame[i] = text
            elif edit == "drop" and len(frame) > 2:
                del frame[i]
            else:
                frame.insert(i, text)
        if cut is not None:
            frame = frame[: 1 + cut % len(frame)]
        assert (decode_request(frame, sv), _leftover(frame, sv)) == _by_field(frame, sv), (edits, cut)


@contextmanager
def _count_passes() -> Iterator[list[int]]:
    """Count one-pass parses per decode; the reader's field-by-field path must not be needed at all."""
    passes = [0]
    real = FieldRun.parse_prefix

    def parse_prefix(run: FieldRun, r: FieldReader, into: dict[str, Any]) -> int:
        passes[0] += 1
        return real(run, r, into)

    with (
        mock.patch.object(FieldRun, "parse_prefix", parse_prefix),
        mock.patch.object(FieldRun, "read_by_field", side_effect=AssertionError("read field by field")),
    ):
        yield passes


@pytest.mark.parametrize("sv", VERSIONS)
def test_a_plain_order_is_read_in_one_pass(sv: int) -> None:
    """Market, limit and stop orders, from both clients: the contract, then the rest in one pass."""
    orders = [(1, ia.Stock(**STOCK), ia.MarketOrder("BUY", 1)), (2, ia.Stock(**STOCK), ia.LimitOrder("SELL", 5, 9.5))]
    orders.append((3, ia.Stock(**STOCK), ia.StopOrder("SELL", 5, 9.0, tif="GTC", outsideRth=True)))
    frames = ib_async_requests(sv, lambda c: [c.placeOrder(*order) for order in orders])
    if sv == 157:
        frames += ibapi_requests(lambda c: [c.placeOrder(oid, *to_ibapi(con, o)) for oid, con, o in orders])
    for frame in frames:
        with _count_passes() as passes:
            request, leftover = decode_place_order(frame, sv)
        assert passes == [2] and leftover == 0 and request.order.order_id in (1, 2, 3)


def _one_switch_on(name: str) -> tuple[Any, Any]:
    """A market order with exactly one switch on, its block made of "0"s and "1"s: read a block out of step,
    the frame would still parse."""
    contract, order = ia.Stock("AAPL", "SMART", "USD"), ia.MarketOrder("BUY", 1)
    if name == "bag":
        contract.secType, contract.comboLegs = "BAG", [ia.ComboLeg(conId=1, ratio=1, action="1", exchange="1")]
    elif name == "delta_neutral_order":
        order.deltaNeutralOrderType, order.deltaNeutralConId = "1", 1
    elif name == "scale_profits":
        order.scalePriceIncrement, order.scaleAutoReset = 1.0, True
    elif name == "hedge":
        order.hedgeType, order.hedgeParam = "1", "1"
    elif name == "delta_neutral_contract":
        contract.deltaNeutralContract = ia.DeltaNeutralContract(conId=1, delta=0, price=1)
    elif name == "algo":
        order.algoStrategy, order.algoParams = "1", [ia.TagValue("1", "0")]
    elif name == "peg_bench":
        order.orderType, order.referenceContractId = "PEG BENCH", 1
    elif name == "conditions":
        order.conditions = [ia.MarginCondition(isMore=True, percent=1)]
    elif name == "ibkrats":
        contract.exchange, order.minTradeQty = "IBKRATS", 1
    return contract, order


@pytest.mark.parametrize(
    ("name", "passes"),
    [("bag", 3), ("delta_neutral_order", 4), ("scale_profits", 4), ("hedge", 4), ("delta_neutral_contract", 3),
     ("algo", 3), ("peg_bench", 4), ("conditions", 3), ("ibkrats", 2)],
)  # fmt: skip
def test_after_a_block_the_rest_is_parsed_again(name: str, passes: int) -> None:
    """The contract, the frame up to the switch in one pass, the block (one more pass if it is a straight
    run), then the rest in a second pass (none after the last step's block)."""
    contract, order = _one_switch_on(name)
    frame = ib_async_requests(178, lambda c: c.placeOrder(5, contract, order))[0]
    with _count_passes() as count:
        request, leftover = decode_place_order(frame, 178)
    assert count == [passes] and leftover == 0
    assert request == expected(5, contract, order, 178)


@pytest.mark.parametrize("sv", range(157, 201))
def test_each_steps_rest_is_its_run_and_every_later_one(sv: int) -> None:
    steps = order_layout._plan(sv)
    for i, step in enumerate(steps):
        assert step.rest.names == tuple(name for later in steps[i:] for name in later.run.names)
        assert step.rest.readers == tuple(read for later in steps[i:] for read in later.run.readers)


# --- building orders and contracts from their values ------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(order_id=st.integers(0, 10**9), action=st.sampled_from(["BUY", "SELL"]), qty=st.decimals(0, 10**6, places=2))
def test_build_order_from_values_is_the_order_built_by_name(order_id: int, action: str, qty: Decimal) -> None:
    by_name = Order(order_id=order_id, action=action, total_quantity=qty, lmt_price=1.5, conditions=(TimeCondition(),))
    values = [getattr(by_name, f.name) for f in dataclasses.fields(Order)]
    built = build_order(*values)
    assert type(built) is Order and built == by_name and hash(built) == hash(by_name) and repr(built) == repr(by_name)
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.action = "SELL"  # type: ignore[misc]
    assert dataclasses.replace(built, action="X").action == "X"


def test_build_contract_from_values_is_the_contract_built_by_name() -> None:
    by_name = Contract(con_id=756733, symbol="SPY", sec_type="STK", exchange="SMART", currency="USD")
    built = build_contract(*(getattr(by_name, f.name) for f in dataclasses.fields(Contract)))
    assert type(built) is Contract and built == by_name
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.symbol = "QQQ"  # type: ignore[misc]
    with pytest.raises(TypeError):
        build_contract(*range(len(dataclasses.fields(Contract)) + 1))  # at most one value per field
