"""What we send at server versions 178..200, as IB's own client 10.50 (ibapi-stable, v100..226) reads it.

The oracle is its Decoder, run in a worker process (`oracles.ibapi10`); any error it logs fails the test. The
order messages reuse the scenarios of test_responses_orders, compared attribute by attribute with the 10.50
client's own objects (fields the version does not carry must keep its defaults); each layout change above 178
is checked at its version: errorTime (194), the full what-if preview (195), historicalDataEnd (196),
currentTimeInMillis (197), submitter (198), imbalanceOnly (199), and the contract details fields (179..188).
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest

from ibbot.protocol.responses import encode_response
from ibbot.protocol.responses.account import AccountSummary, AccountValue, PnLSingle, PortfolioValue, Position
from ibbot.protocol.responses.contracts import (
    BondContractDetailsMsg,
    BondTerms,
    ContractDetailsEnd,
    ContractDetailsMsg,
    SymbolSamples,
)
from ibbot.protocol.responses.history import Bar, HistoricalData, HistoricalDataEnd, HistoricalDataUpdate
from ibbot.protocol.responses.market import TickByTickLast, TickGeneric, TickPrice, TickReqParams, TickSize
from ibbot.protocol.responses.orders import (
    CommissionReport,
    CompletedOrder,
    ExecDetails,
    ExecDetailsEnd,
    OpenOrder,
    OrderStatus,
)
from ibbot.protocol.responses.session import CurrentTime, CurrentTimeInMillis, ErrorMessage, NextValidId
from ibbot.protocol.types import (
    Contract,
    ContractDescription,
    ContractDetails,
    Execution,
    FundData,
    IneligibilityReason,
    Order,
    OrderAllocation,
    OrderState,
)
from oracles.ibapi10 import ibapi10_decode, ibapi10_defaults
from unit.protocol.test_responses_orders import (
    AAPL,
    ALWAYS_ABSENT,
    BASE,
    COMPLETED_ONLY,
    SCENARIOS,
    SUBMITTED,
    _completed,
    assert_contract_equal,
    assert_order_equal,
    carried_order_fields,
)

VERSIONS = [178, 187, 194, 197, 200]
UNSET_DOUBLE = 1.7976931348623157e308


@pytest.fixture(scope="module")
def defaults() -> dict[str, Any]:
    return ibapi10_defaults("Order", "OrderState", "Execution", "ContractDetails")


def decode(sv: int, *messages: Any) -> list[Any]:
    return ibapi10_decode(sv, b"".join(encode_response(m, sv) for m in messages))


# --- openOrder and completedOrder ---------------------------------------------------------------------------

# (first version, field) of the order attributes IB's 10.x clients read; "open": in openOrder only
_TENX_FROM = {"customer_account": (183, False), "professional_customer": (184, False),
              "bond_accrued_interest": (185, True), "include_overnight": (189, True), "ext_operator": (193, True),
              "manual_order_indicator": (193, True), "submitter": (198, False)}  # fmt: skip
_SKIPPED = {"e_trade_only", "firm_quote_only", "nbbo_price_cap"}  # read and dropped by the 10.x decoder


def carried10(sv: int, *, completed: bool) -> set[str]:
    """Our Order attributes the message carries at `sv`, as the 10.50 client reads it."""
    names = carried_order_fields(sv, completed=completed) - _SKIPPED
    for name, (version, open_only) in _TENX_FROM.items():
        names.discard(name)
        if sv >= version and not (open_only and completed):
            names.add(name)
    if not completed:
        names.discard("imbalance_only")
        if sv >= 199:
            names.add("imbalance_only")
    return names


TENX_ORDER = Order(**BASE, order_type="LMT", lmt_price=187.25, customer_account="CUST-7", professional_customer=True,
                   bond_accrued_interest="12.5", include_overnight=True, ext_operator="desk-3",
                   manual_order_indicator=1, submitter="ibbotsim", imbalance_only=True)  # fmt: skip
ALL_SCENARIOS = {**SCENARIOS, "tenx": (TENX_ORDER, AAPL, SUBMITTED)}

_STATE_NAMES = {"commission": "commissionAndFees", "min_commission": "minCommissionAndFees",
                "max_commission": "maxCommissionAndFees",
                "commission_currency": "commissionAndFeesCurrency"}  # fmt: skip
OPEN_STATE = ["status", "init_margin_before", "maint_margin_before", "equity_with_loan_before", "init_margin_change",
              "maint_margin_change", "equity_with_loan_change", "init_margin_after", "maint_margin_after",
              "equity_with_loan_after", "commission", "min_commission", "max_commission", "commission_currency",
              "warning_text"]  # fmt: skip
PREVIEW_STATE = ["margin_currency", *(f"{w}_margin_{when}_outside_rth" for when in ("before", "change", "after")
                                      for w in ("init", "maint")), "equity_with_loan_before_outside_rth",
                 "equity_with_loan_change_outside_rth", "equity_with_loan_after_outside_rth", "suggested_size",
                 "reject_reason"]  # fmt: skip


def state_name(name: str) -> str:
    if name in _STATE_NAMES:
        return _STATE_NAMES[name]
    head, *rest = name.removesuffix("_outside_rth").split("_")
    camel = head + "".join(part.capitalize() for part in rest)
    return camel + "OutsideRTH" if name.endswith("_outside_rth") else camel


def assert_state10(got: Any, ours: OrderState, names: list[str], default: Any) -> None:
    for name in names:
        value = getattr(ours, name)
        want = getattr(default, state_name(name)) if value is None else value
        assert getattr(got, state_name(name)) == want, name


@pytest.mark.parametrize("sv", VERSIONS + [183, 185, 189, 193, 195, 198, 199])
def test_open_order_scenarios(sv: int, defaults: dict[str, Any]) -> None:
    messages = [OpenOrder(order=o, contract=c, state=s) for o, c, s in ALL_SCENARIOS.values()]
    calls = decode(sv, *messages)
    assert [c.name for c in calls] == ["openOrder"] * len(messages)
    for name, call, message in zip(ALL_SCENARIOS, calls, messages, strict=True):
        order_id, got_contract, got_order, got_state = call.args
        assert order_id == message.order.order_id, name
        assert_order_equal(got_order, message.order, carried10(sv, completed=False), defaults["Order"])
        assert_contract_equal(got_contract, message.contract)
        assert_state10(got_state, message.state, OPEN_STATE, defaults["OrderState"])
        assert_state10(got_state, OrderState(), PREVIEW_STATE, defaults["OrderState"])  # none sent: defaults


@pytest.mark.parametrize("sv", VERSIONS + [183, 184, 198])
def test_completed_order_scenarios(sv: int, defaults: dict[str, Any]) -> None:
    messages = []
    for order, contract, state in ALL_SCENARIOS.values():
        done, final = _completed(order, state)
        messages.append(CompletedOrder(order=done, contract=contract, state=final))
    calls = decode(sv, *messages)
    assert [c.name for c in calls] == ["completedOrder"] * len(messages)
    for call, message in zip(calls, messages, strict=True):
        got_contract, got_order, got_state = call.args
        assert_order_equal(got_order, message.order, carried10(sv, completed=True), defaults["Order"])
        assert_contract_equal(got_contract, message.contract)
        assert (got_state.status, got_state.completedTime, got_state.completedStatus) == (
            message.state.status,
            message.state.completed_time,
            message.state.completed_status,
        )


def test_imbalance_only_reaches_open_order_from_199(defaults: dict[str, Any]) -> None:
    for sv, want in ((198, False), (199, True)):
        (call,) = decode(sv, OpenOrder(order=TENX_ORDER, contract=AAPL, state=SUBMITTED))
        assert call.args[2].imbalanceOnly is want


PREVIEW = OrderState(
    status="PreSubmitted", init_margin_before="10000.5", maint_margin_before="9000", equity_with_loan_before="50000",
    init_margin_change="4681.25", maint_margin_change="4255.68", equity_with_loan_change="-1.05",
    init_margin_after="14681.75", maint_margin_after="13255.68", equity_with_loan_after="49998.95", commission=1.0,
    min_commission=1.0, max_commission=1.5, commission_currency="USD", warning_text="careful", margin_currency="USD",
    init_margin_before_outside_rth=12000.0, maint_margin_before_outside_rth=11000.0,
    equity_with_loan_before_outside_rth=50000.0, init_margin_change_outside_rth=5617.5,
    maint_margin_change_outside_rth=5106.8, equity_with_loan_change_outside_rth=-1.05,
    init_margin_after_outside_rth=17617.5, maint_margin_after_outside_rth=16106.8,
    equity_with_loan_after_outside_rth=49998.95, suggested_size=Decimal(25), reject_reason="",
    order_allocations=(OrderAllocation(account="DU1", position=Decimal(0), position_desired=Decimal(25),
                                       position_after=Decimal(25), desired_alloc_qty=Decimal(25),
                                       allowed_alloc_qty=Decimal(25), is_monetary=False),),
)  # fmt: skip


@pytest.mark.parametrize("sv", [194, 195, 200])
def test_the_full_what_if_preview_from_195(sv: int, defaults: dict[str, Any]) -> None:
    order = Order(**BASE, order_type="LMT", lmt_price=187.0, what_if=True)
    (call,) = decode(sv, OpenOrder(order=order, contract=AAPL, state=PREVIEW))
    got = call.args[3]
    assert_state10(got, PREVIEW, OPEN_STATE, defaults["OrderState"])
    if sv < 195:
        assert_state10(got, OrderState(), PREVIEW_STATE, defaults["OrderState"])
        assert got.orderAllocations is None
        return
    assert_state10(got, PREVIEW, PREVIEW_STATE, defaults["OrderState"])
    (alloc,) = got.orderAllocations
    assert (alloc.account, alloc.positionDesired, alloc.allowedAllocQty, alloc.isMonetary) == (
        "DU1",
        Decimal(25),
        Decimal(25),
        False,
    )


# --- fills: execDetails (submitter), commissionAndFeesReport, orderStatus ----------------------------------

EXECUTION = Execution(exec_id="0000e0d5.6573a4b1.01.01", time="20250102 10:00:01 US/Eastern", acct_number="DU1",
                      exchange="ISLAND", side="BOT", shares=Decimal(100), price=187.25, perm_id=1_234_567_890,
                      client_id=3, order_id=7, cum_qty=Decimal(100), avg_price=187.25, order_ref="mine",
                      last_liquidity=2, submitter="ibbotsim")  # fmt: skip


@pytest.mark.parametrize("sv", VERSIONS + [198])
def test_fills(sv: int, defaults: dict[str, Any]) -> None:
    calls = decode(
        sv,
        ExecDetails(req_id=-1, contract=AAPL, execution=EXECUTION),
        CommissionReport(exec_id=EXECUTION.exec_id, commission=1.0, currency="USD"),
        OrderStatus(
            order_id=7,
            status="Filled",
            filled=Decimal(100),
            remaining=Decimal(0),
            avg_fill_price=187.25,
            perm_id=1_234_567_890,
            parent_id=0,
            last_fill_price=187.25,
            client_id=3,
        ),  # fmt: skip
        ExecDetailsEnd(req_id=5),
    )
    assert [c.name for c in calls] == ["execDetails", "commissionAndFeesReport", "orderStatus", "execDetailsEnd"]
    req_id, contract, execution = calls[0].args
    assert (req_id, contract.conId, contract.symbol) == (-1, 265598, "AAPL")
    for f in dataclasses.fields(Execution):
        camel = f.name.split("_")[0] + "".join(p.capitalize() for p in f.name.split("_")[1:])
        want = getattr(EXECUTION, f.name)
        if f.name == "submitter" and sv < 198:
            want = defaults["Execution"].submitter
        if want is None:
            want = getattr(defaults["Execution"], camel)
        assert getattr(execution, camel) == want, f.name
    report = calls[1].args[0]
    assert (report.execId, report.commissionAndFees, report.currency, report.realizedPNL) == (
        EXECUTION.exec_id,
        1.0,
        "USD",
        UNSET_DOUBLE,
    )
    assert calls[2].args[:5] == (7, "Filled", Decimal(100), Decimal(0), 187.25)
    assert calls[3].args == (5,)


# --- errors and time ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("sv", VERSIONS + [193])
def test_error_carries_its_time_from_194(sv: int) -> None:
    message = ErrorMessage(req_id=7, code=201, text="Order rejected - reason: it is late", error_time=1735830001234)
    (call,) = decode(sv, message)
    time_ms = 1735830001234 if sv >= 194 else 0
    assert call.args == (7, time_ms, 201, "Order rejected - reason: it is late", "")


def test_an_error_without_a_time_goes_out_as_zero() -> None:
    (call,) = decode(200, ErrorMessage(req_id=-1, code=2104, text="Market data farm connection is OK:usfarm"))
    assert call.args[:3] == (-1, 0, 2104)


@pytest.mark.parametrize("sv", [197, 200])
def test_current_time_in_millis(sv: int) -> None:
    calls = decode(sv, CurrentTimeInMillis(epoch_millis=1735830001234), CurrentTime(epoch_seconds=1735830001))
    assert [(c.name, c.args) for c in calls] == [
        ("currentTimeInMillis", (1735830001234,)),
        ("currentTime", (1735830001,)),
    ]


# --- history: historicalDataEnd as its own message from 196 ------------------------------------------------

BARS = (
    Bar(date="20250102  09:30:00", open=187.0, high=188.5, low=186.75, close=188.0, volume=Decimal(12500),
        wap=Decimal("187.6"), bar_count=41),
    Bar(date="20250102  09:31:00", open=188.0, high=188.25, low=187.5, close=187.75, volume=Decimal("300.5"),
        wap=Decimal("187.9"), bar_count=7),
)  # fmt: skip


@pytest.mark.parametrize("sv", [178, 194, 195, 196, 197, 200])
def test_historical_data_and_its_end(sv: int) -> None:
    answer = HistoricalData(req_id=9, start="20250102  09:30:00", end="20250102  09:32:00", bars=BARS)
    calls = decode(sv, answer, HistoricalDataUpdate(req_id=9, bar=BARS[1]))
    assert [c.name for c in calls] == ["historicalData", "historicalData", "historicalDataEnd", "historicalDataUpdate"]
    for call, bar in zip(calls, BARS, strict=False):
        got = call.args[1]
        assert (got.date, got.open, got.high, got.low, got.close, got.volume, got.wap, got.barCount) == (
            bar.date, bar.open, bar.high, bar.low, bar.close, bar.volume, bar.wap, bar.bar_count,
        )  # fmt: skip
    assert calls[2].args == (9, "20250102  09:30:00", "20250102  09:32:00")


def test_historical_data_end_alone_needs_196() -> None:
    (call,) = decode(196, HistoricalDataEnd(req_id=3, start="a", end="b"))
    assert (call.name, call.args) == ("historicalDataEnd", (3, "a", "b"))
    with pytest.raises(Exception, match="historicalDataEnd needs server version 196"):
        encode_response(HistoricalDataEnd(req_id=3, start="a", end="b"), 195)


# --- contract details: lastTradeDate (182), fund data (179), ineligibility (186), bond hours (188) ------------

OPTION = Contract(con_id=700000001, symbol="SPY", sec_type="OPT", last_trade_date_or_contract_month="20250620",
                  strike=450.0, right="C", multiplier="100", exchange="SMART", primary_exchange="", currency="USD",
                  local_symbol="SPY   250620C00450000", trading_class="SPY")  # fmt: skip
FUND = Contract(con_id=12345678, symbol="VFIAX", sec_type="FUND", exchange="FUNDSERV", currency="USD",
                local_symbol="VFIAX")  # fmt: skip
FUND_TERMS = FundData(name="Vanguard 500 Index Admiral", family="Vanguard", type="Open-end", front_load="0",
                      back_load="0", back_load_time_interval="0", management_fee="0.04", closed=False,
                      closed_for_new_investors=True, closed_for_new_money=False, notify_amount="100",
                      minimum_initial_purchase="3000", subsequent_minimum_purchase="1",
                      blue_sky_states="AL,AK", blue_sky_territories="PR", distribution_policy_indicator="Y",
                      asset_type="004")  # fmt: skip
REASONS = (IneligibilityReason(id="1", description="Not permitted in this account"),)


def details(contract: Contract, **more: Any) -> ContractDetails:
    return ContractDetails(contract=contract, market_name=contract.symbol, min_tick=0.01, order_types="LMT,MKT",
                           valid_exchanges="SMART", long_name=f"{contract.symbol} long", time_zone_id="US/Eastern",
                           trading_hours="20250102:0930-20250102:1600", liquid_hours="20250102:0930-20250102:1600",
                           last_trade_time="16:00:00", **more)  # fmt: skip


@pytest.mark.parametrize("sv", [178, 179, 182, 186, 187, 200])
def test_contract_details_10x_fields(sv: int) -> None:
    calls = decode(
        sv,
        ContractDetailsMsg(req_id=4, details=details(OPTION, ineligibility_reasons=REASONS)),
        ContractDetailsMsg(req_id=4, details=details(FUND, fund=FUND_TERMS)),
        ContractDetailsMsg(req_id=4, details=details(AAPL, last_trade_date="20250103")),
        ContractDetailsEnd(req_id=4),
    )
    assert [c.name for c in calls] == ["contractDetails"] * 3 + ["contractDetailsEnd"]
    option, fund, stock = (c.args[1] for c in calls[:3])
    assert option.contract.lastTradeDateOrContractMonth == "20250620" and option.lastTradeTime == "16:00:00"
    assert option.contract.lastTradeDate == ("20250620" if sv >= 182 else "")
    assert stock.contract.lastTradeDate == ("20250103" if sv >= 182 else "")
    assert (option.contract.strike, option.longName, option.timeZoneId) == (450.0, "SPY long", "US/Eastern")
    if sv >= 186:
        assert [(r.id_, r.description) for r in option.ineligibilityReasonList] == [("1", REASONS[0].description)]
    else:
        assert option.ineligibilityReasonList is None
    if sv >= 179:
        assert (fund.fundName, fund.fundFamily, fund.fundManagementFee, fund.fundClosedForNewInvestors) == (
            FUND_TERMS.name,
            FUND_TERMS.family,
            "0.04",
            True,
        )
        assert (fund.fundBlueSkyTerritories, fund.fundDistributionPolicyIndicator, fund.fundAssetType) == (
            "PR",
            "IncomeFund",
            "Equity",
        )
    else:
        assert fund.fundName == "" and fund.fundDistributionPolicyIndicator == "NoneItem"
    assert (fund.contract.secType, fund.minTick, stock.contract.conId) == ("FUND", 0.01, 265598)


@pytest.mark.parametrize("sv", [178, 187, 188, 200])
def test_bond_details_trading_hours_from_188(sv: int) -> None:
    bond = Contract(con_id=147554578, symbol="IBM", sec_type="BOND", exchange="SMART", currency="USD")
    terms = BondTerms(cusip="459200HU8", coupon=3.0, maturity="20290515", issue_date="20190515", ratings="A-")
    (call,) = decode(sv, BondContractDetailsMsg(req_id=5, details=details(bond), bond=terms))
    got = call.args[1]
    assert (call.name, got.cusip, got.maturity, got.ratings) == ("bondContractDetails", "459200HU8", "20290515", "A-")
    hours = (got.timeZoneId, got.tradingHours, got.liquidHours)
    if sv >= 188:
        assert hours == ("US/Eastern", "20250102:0930-20250102:1600", "20250102:0930-20250102:1600")
    else:
        assert hours[1:] == ("", "")


# --- everything else a bot meets, at the newest version ---------------------------------------------------


def test_the_rest_of_a_session_at_200() -> None:
    calls = decode(
        200,
        NextValidId(order_id=101),
        TickReqParams(req_id=1, min_tick=0.01, bbo_exchange="9c0001", snapshot_permissions=3),
        TickPrice(req_id=1, tick_type=1, price=187.24, size=300, can_auto_execute=True),
        TickSize(req_id=1, tick_type=8, size=1_250_000),
        TickGeneric(req_id=1, tick_type=49, value=0.0),
        TickByTickLast(req_id=2, time=1735830001, price=187.25, size=100, exchange="ISLAND", all_last=True),
        AccountValue(key="NetLiquidation", value="1000000.00", currency="USD", account="DU1"),
        PortfolioValue(
            contract=AAPL,
            position=Decimal(100),
            market_price=187.25,
            market_value=18725.0,
            average_cost=187.0,
            unrealized_pnl=25.0,
            realized_pnl=0.0,
            account="DU1",
        ),  # fmt: skip
        Position(account="DU1", contract=AAPL, position=Decimal(100), avg_cost=187.0),
        AccountSummary(req_id=3, account="DU1", tag="BuyingPower", value="4000000.00", currency="USD"),
        PnLSingle(
            req_id=4, position=Decimal(100), daily_pnl=25.0, unrealized_pnl=25.0, realized_pnl=0.0, value=18725.0
        ),  # fmt: skip
        SymbolSamples(req_id=5, descriptions=(ContractDescription(contract=AAPL, derivative_sec_types=("OPT",)),)),
    )
    got = {c.name: c.args for c in calls}
    assert got["nextValidId"] == (101,)
    assert got["tickReqParams"] == (1, 0.01, "9c0001", 3)
    assert got["tickPrice"][:3] == (1, 1, 187.24) and got["tickPrice"][3].canAutoExecute is True
    assert [c.args for c in calls if c.name == "tickSize"] == [(1, 0, Decimal(300)), (1, 8, Decimal(1_250_000))]
    assert got["tickGeneric"] == (1, 49, 0.0)
    assert got["tickByTickAllLast"][:5] == (2, 2, 1735830001, 187.25, Decimal(100))
    assert got["updateAccountValue"] == ("NetLiquidation", "1000000.00", "USD", "DU1")
    assert got["updatePortfolio"][1:] == (Decimal(100), 187.25, 18725.0, 187.0, 25.0, 0.0, "DU1")
    assert got["position"][0] == "DU1" and got["position"][2:] == (Decimal(100), 187.0)
    assert got["accountSummary"] == (3, "DU1", "BuyingPower", "4000000.00", "USD")
    assert got["pnlSingle"] == (4, Decimal(100), 25.0, 25.0, 0.0, 18725.0)
    assert got["symbolSamples"][1][0].contract.symbol == "AAPL"


def test_unknown_attributes_stay_out_of_our_scenarios() -> None:
    # The scenarios above set every 10.x attribute only where the version carries it: a sanity check that the
    # test's own tables agree with the order layout's gates (ALWAYS_ABSENT and COMPLETED_ONLY are ib_async's).
    assert "ext_operator" in ALWAYS_ABSENT and "imbalance_only" in COMPLETED_ONLY
    assert carried10(193, completed=False) - carried10(192, completed=False) == {
        "ext_operator",
        "manual_order_indicator",
    }
    assert carried10(200, completed=True) - carried10(178, completed=True) == {"customer_account",
                                                                                "professional_customer",
                                                                                "submitter"}  # fmt: skip
