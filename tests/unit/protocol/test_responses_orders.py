"""openOrder (5) and completedOrder (101) as ib_async 2.1.0 and ibapi 9.81 read our bytes.

The oracle is each client's own decoder: every attribute of the Order/Contract/OrderState objects it builds
is compared with the value we encoded (our snake_case name mapped to its camelCase attribute). Fields a
message does not carry must come out as the client's own defaults, so a shifted field cannot hide.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ibbot.errors import LocalProtocolError
from ibbot.protocol.framing import split_fields
from ibbot.protocol.responses import encode_response
from ibbot.protocol.responses.orders import CompletedOrder, OpenOrder
from ibbot.protocol.types import (
    ComboLeg,
    Contract,
    DeltaNeutralContract,
    ExecutionCondition,
    MarginCondition,
    Order,
    OrderState,
    PercentChangeCondition,
    PriceCondition,
    SoftDollarTier,
    TagValue,
    TimeCondition,
    VolumeCondition,
)
from oracles import camel, ib_async_decode, ibapi_decode

# 157 and every version where openOrder/completedOrder change: duration (158 official, 159 ib_async),
# postToAts 160, autoCancelParent 162, 170 peg-best/mid fields, faProfile dropped at 177; 163/166 unchanged.
VERSIONS = [157, 158, 159, 160, 162, 163, 166, 170, 177, 178]
UNSET_DOUBLE = 1.7976931348623157e308
UNSET_INTEGER = 2**31 - 1

# --- mapping our values to the clients' attributes --------------------------------------------------


def _ib_async_defaults() -> tuple[Any, Any]:
    from ib_async.order import Order as IbOrder
    from ib_async.order import OrderState as IbOrderState

    return IbOrder(), IbOrderState()


IB_ORDER, IB_STATE = _ib_async_defaults()


def norm_condition(cond: Any) -> dict[str, Any]:
    """A condition as plain values, from ours, ib_async's or ibapi's object."""
    if dataclasses.is_dataclass(cond) and hasattr(cond, "cond_type"):  # ours
        out = {camel(f.name): getattr(cond, f.name) for f in dataclasses.fields(cond)}
        out["exch"] = out.pop("exchange", None)
        return {k: v for k, v in out.items() if v is not None}
    if hasattr(cond, "isConjunctionConnection"):  # ibapi 9.81
        out = {"condType": cond.condType, "conjunction": "a" if cond.isConjunctionConnection else "o"}
        attrs = ("isMore", "price", "conId", "triggerMethod", "time", "percent", "secType", "symbol", "volume",
                 "changePercent")  # fmt: skip
        out |= {name: getattr(cond, name) for name in attrs if hasattr(cond, name)}
        if hasattr(cond, "exchange"):
            out["exch"] = cond.exchange
        return out
    return dataclasses.asdict(cond)  # ib_async


def norm(value: Any) -> Any:
    """Client-side containers as plain comparable values."""
    if value is None:
        return []
    if isinstance(value, list):
        out = []
        for item in value:
            if hasattr(item, "tag"):
                out.append((item.tag, item.value))
            elif hasattr(item, "price") and type(item).__name__ == "OrderComboLeg":
                out.append(item.price)
            elif hasattr(item, "condType"):
                out.append(norm_condition(item))
            else:
                out.append(item)
        return out
    return value


def ours_as_client(obj: Any, name: str, default_obj: Any) -> Any:
    """Our attribute `name` as the client should hold it: None -> the client's default, etc."""
    value = getattr(obj, name)
    attr = camel(name)
    if value is None:
        return getattr(default_obj, attr)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, SoftDollarTier):
        return (value.name, value.value, value.display_name)
    if isinstance(value, tuple):
        if name == "order_combo_legs":
            return [UNSET_DOUBLE if p is None else p for p in value]
        if name == "conditions":
            return [norm_condition(c) for c in value]
        return [(tv.tag, tv.value) for tv in value]
    return value


def client_value(obj: Any, attr: str) -> Any:
    value = getattr(obj, attr)
    if type(value).__name__ == "SoftDollarTier":
        return (value.name, value.val, value.displayName)
    return norm(value) if isinstance(value, list) or value is None else value


ALWAYS_ABSENT = {
    "transmit",
    "active_start_time",
    "active_stop_time",
    "override_percentage_constraints",
    "scale_table",
    "algo_id",
    "order_misc_options",
    "ext_operator",
    "mifid2_decision_maker",
    "mifid2_decision_algo",
    "mifid2_execution_trader",
    "mifid2_execution_algo",
    "advanced_error_override",
    "manual_order_time",
}
OPEN_ONLY = {
    "order_id", "client_id", "block_order", "e_trade_only", "firm_quote_only", "nbbo_price_cap",
    "parent_id", "auction_strategy", "delta_neutral_settling_firm", "delta_neutral_clearing_account",
    "delta_neutral_clearing_intent", "delta_neutral_open_close", "basis_points", "basis_points_type",
    "opt_out_smart_routing", "what_if", "adjusted_order_type", "trigger_price", "adjusted_stop_price",
    "adjusted_stop_limit_price", "adjusted_trailing_amount", "adjustable_trailing_unit", "soft_dollar_tier",
    "discretionary_up_to_limit_price", "use_price_mgmt_algo", "duration", "post_to_ats",
}  # fmt: skip
COMPLETED_ONLY = {
    "auto_cancel_date", "filled_quantity", "ref_futures_con_id", "shareholder", "imbalance_only",
    "route_marketable_to_bbo", "parent_perm_id",
}  # fmt: skip
PEG_MID_FIELDS = {
    "min_trade_qty", "min_compete_size", "compete_against_best_offset", "mid_offset_at_whole",
    "mid_offset_at_half",
}  # fmt: skip


def carried_order_fields(sv: int, *, completed: bool) -> set[str]:
    """Our Order attributes the message carries at `sv`, as ib_async reads it."""
    names = {f.name for f in dataclasses.fields(Order)} - ALWAYS_ABSENT
    names -= OPEN_ONLY if completed else COMPLETED_ONLY
    if sv >= 177:
        names.discard("fa_profile")
    if sv < 159:  # sent from 158 (official gate), but ib_async reads duration from 159 only
        names.discard("duration")
    if sv < 160:
        names.discard("post_to_ats")
    if sv < 162 and not completed:
        names.discard("auto_cancel_parent")
    if sv < 170:
        names -= PEG_MID_FIELDS
    return names


CONTRACT_FIELDS = [
    "con_id", "symbol", "sec_type", "last_trade_date_or_contract_month", "strike", "right", "multiplier",
    "exchange", "currency", "local_symbol", "trading_class", "combo_legs_descrip",
]  # fmt: skip
OPEN_STATE_FIELDS = [f.name for f in dataclasses.fields(OrderState)][:15]
COMPLETED_STATE_FIELDS = ["status", "completed_time", "completed_status"]


def assert_order_equal(got: Any, ours: Order, carried: set[str], default_obj: Any = IB_ORDER) -> None:
    mismatches = []
    for f in dataclasses.fields(Order):
        attr = camel(f.name)
        if not hasattr(default_obj, attr):
            continue  # ibapi 9.81 lacks the newest attributes
        if f.name in carried:
            want = ours_as_client(ours, f.name, default_obj)
        else:  # must stay the client's default: catches a field written where another belongs
            want = client_value(default_obj, attr)
        if client_value(got, attr) != want:
            mismatches.append(f"{attr}: got {client_value(got, attr)!r}, want {want!r}")
    assert not mismatches, "\n".join(mismatches)


def assert_contract_equal(got: Any, ours: Contract) -> None:
    for name in CONTRACT_FIELDS:
        assert getattr(got, camel(name)) == getattr(ours, name), name
    legs = [(leg.conId, leg.ratio, leg.action, leg.exchange, leg.openClose, leg.shortSaleSlot,
             leg.designatedLocation, leg.exemptCode) for leg in (got.comboLegs or [])]  # fmt: skip
    assert legs == [dataclasses.astuple(leg) for leg in ours.combo_legs]
    dnc = got.deltaNeutralContract
    want = ours.delta_neutral_contract
    assert (dnc is None) == (want is None)
    if dnc is not None and want is not None:
        assert (dnc.conId, dnc.delta, dnc.price) == (want.con_id, want.delta, want.price)


def assert_state_equal(got: Any, ours: OrderState, names: list[str]) -> None:
    for name in names:
        assert getattr(got, camel(name)) == ours_as_client(ours, name, IB_STATE), name


def decode_open_order(sv: int, order: Order, contract: Contract, state: OrderState) -> tuple[Any, ...]:
    calls = ib_async_decode(sv, encode_response(OpenOrder(order=order, contract=contract, state=state), sv))
    assert [c.name for c in calls] == ["openOrder"]
    order_id, got_contract, got_order, got_state = calls[0].args
    assert order_id == order.order_id
    return got_contract, got_order, got_state


# --- scenarios -------------------------------------------------------------------------------------

AAPL = Contract(con_id=265598, symbol="AAPL", sec_type="STK", exchange="SMART", currency="USD",
                local_symbol="AAPL", trading_class="NMS")  # fmt: skip
ES = Contract(con_id=495512563, symbol="ES", sec_type="FUT", last_trade_date_or_contract_month="20241220",
              multiplier="50", exchange="CME", currency="USD", local_symbol="ESZ4", trading_class="ES")  # fmt: skip
SPY_CALL = Contract(con_id=700000001, symbol="SPY", sec_type="OPT", last_trade_date_or_contract_month="20241220",
                    strike=450.0, right="C", multiplier="100", exchange="SMART", currency="USD",
                    local_symbol="SPY   241220C00450000", trading_class="SPY")  # fmt: skip
BAG = Contract(
    con_id=28812380, symbol="SPY", sec_type="BAG", exchange="SMART", currency="USD",
    combo_legs_descrip="700000001|1,700000002|-1",
    combo_legs=(
        ComboLeg(con_id=700000001, ratio=1, action="BUY", exchange="SMART"),
        ComboLeg(con_id=700000002, ratio=1, action="SELL", exchange="SMART", open_close=2, short_sale_slot=1,
                 designated_location="X", exempt_code=3),
    ),
)  # fmt: skip
BASE = dict(order_id=7, client_id=3, perm_id=1_234_567_890, account="DU123456", action="BUY",
            total_quantity=Decimal(100), tif="DAY")  # fmt: skip
SUBMITTED = OrderState(status="Submitted", commission_currency="USD")

SCENARIOS: dict[str, tuple[Order, Contract, OrderState]] = {
    "lmt": (Order(**BASE, order_type="LMT", lmt_price=187.25, order_ref="mine"), AAPL, SUBMITTED),
    "mkt": (Order(**BASE, order_type="MKT", outside_rth=True), AAPL, OrderState(status="PreSubmitted")),
    "stp": (Order(**BASE, order_type="STP", aux_price=180.5, trigger_method=2), AAPL, SUBMITTED),
    "trail": (Order(**BASE, order_type="TRAIL", trailing_percent=1.5, trail_stop_price=184.0), AAPL, SUBMITTED),
    "bracket_child": (
        Order(**BASE | {"order_id": 8, "action": "SELL"}, order_type="LMT", lmt_price=200.0, parent_id=7,
              oca_group="bracket-7", oca_type=3),
        AAPL, OrderState(status="PreSubmitted"),
    ),
    "oca": (Order(**BASE, order_type="LMT", lmt_price=1.0, oca_group="g1", oca_type=1), AAPL, SUBMITTED),
    "fractional_gtc": (
        Order(**BASE | {"total_quantity": Decimal("0.5"), "tif": "GTC"}, order_type="LMT", lmt_price=10.0,
              good_till_date="20250101 16:00:00 US/Eastern", good_after_time="20240101 09:30:00 US/Eastern"),
        AAPL, SUBMITTED,
    ),
    "bag": (
        Order(**BASE, order_type="LMT", lmt_price=-0.35, order_combo_legs=(1.25, None),
              smart_combo_routing_params=(TagValue(tag="NonGuaranteed", value="1"),)),
        BAG, SUBMITTED,
    ),
    "delta_neutral": (
        Order(**BASE, order_type="VOL", volatility=0.25, volatility_type=2, delta_neutral_order_type="LMT",
              delta_neutral_aux_price=1.5, delta_neutral_con_id=265598, delta_neutral_settling_firm="F",
              delta_neutral_clearing_account="CA", delta_neutral_clearing_intent="IB",
              delta_neutral_open_close="O", delta_neutral_short_sale=True, delta_neutral_short_sale_slot=2,
              delta_neutral_designated_location="L", continuous_update=True, reference_price_type=1),
        dataclasses.replace(SPY_CALL, delta_neutral_contract=DeltaNeutralContract(con_id=756733, delta=0.5,
                                                                                  price=450.25)),
        SUBMITTED,
    ),
    "scale": (
        Order(**BASE, order_type="LMT", lmt_price=99.0, scale_init_level_size=10, scale_subs_level_size=5,
              scale_price_increment=0.05, scale_price_adjust_value=0.01, scale_price_adjust_interval=60,
              scale_profit_offset=0.5, scale_auto_reset=True, scale_init_position=0, scale_init_fill_qty=10,
              scale_random_percent=True),
        AAPL, SUBMITTED,
    ),
    "hedge": (Order(**BASE, order_type="LMT", lmt_price=5.0, hedge_type="D", hedge_param="0.5",
                    parent_id=6), SPY_CALL, SUBMITTED),
    "algo": (
        Order(**BASE, order_type="MKT", algo_strategy="Adaptive",
              algo_params=(TagValue(tag="adaptivePriority", value="Normal"), TagValue(tag="x", value=""))),
        AAPL, SUBMITTED,
    ),
    "what_if": (
        Order(**BASE, order_type="LMT", lmt_price=187.0, what_if=True),
        AAPL,
        OrderState(status="PreSubmitted", init_margin_before="10000.5", maint_margin_before="9000",
                   equity_with_loan_before="50000", init_margin_change="4681.25", maint_margin_change="4255.68",
                   equity_with_loan_change="-1.05", init_margin_after="14681.75", maint_margin_after="13255.68",
                   equity_with_loan_after="49998.95", commission=1.0, min_commission=1.0, max_commission=1.5,
                   commission_currency="USD", warning_text="careful"),
    ),
    "conditions": (
        Order(**BASE, order_type="MKT", conditions_ignore_rth=True, conditions_cancel_order=True, conditions=(
            PriceCondition(is_more=False, price=180.5, con_id=265598, exchange="SMART", trigger_method=2),
            TimeCondition(conjunction="o", time="20241220 15:59:00 US/Eastern"),
            MarginCondition(is_more=False, percent=30),
            ExecutionCondition(sec_type="STK", exchange="SMART", symbol="MSFT"),
            VolumeCondition(volume=1_000_000, con_id=265598, exchange="SMART"),
            PercentChangeCondition(conjunction="o", change_percent=-2.5, con_id=265598, exchange="SMART"),
        )),
        AAPL, SUBMITTED,
    ),
    "peg_bench": (
        Order(**BASE, order_type="PEG BENCH", starting_price=100.0, stock_ref_price=50.0,
              stock_range_lower=45.0, stock_range_upper=55.0, reference_contract_id=8314,
              is_pegged_change_amount_decrease=True, pegged_change_amount=0.2, reference_change_amount=0.5,
              reference_exchange_id="NYSE"),
        AAPL, SUBMITTED,
    ),
    "soft_dollar_tier": (
        Order(**BASE, order_type="LMT", lmt_price=3.0,
              soft_dollar_tier=SoftDollarTier(name="Tier1", value="T1", display_name="Tier One")),
        AAPL, SUBMITTED,
    ),
    "fa_and_misc": (
        Order(**BASE, order_type="LMT", lmt_price=2.0, fa_group="grp", fa_method="EqualQuantity",
              fa_percentage="", fa_profile="prof", model_code="M1", rule80a="A", percent_offset=0.1,
              settling_firm="SF", short_sale_slot=2, designated_location="DL", exempt_code=5, origin=1,
              open_close="C", hidden=True, discretionary_amt=0.05, display_size=100, block_order=True,
              sweep_to_fill=True, all_or_none=True, min_qty=50, e_trade_only=True, firm_quote_only=True,
              nbbo_price_cap=2.5, auction_strategy=2, delta=0.4, basis_points=1.5, basis_points_type=1,
              opt_out_smart_routing=True, clearing_account="CLR", clearing_intent="Away", not_held=True,
              solicited=True, randomize_size=True, randomize_price=True, dont_use_auto_price_for_hedge=True,
              is_oms_container=True, discretionary_up_to_limit_price=True, use_price_mgmt_algo=True,
              cash_qty=1000.0, adjusted_order_type="STP", trigger_price=1.9, lmt_price_offset=0.01,
              adjusted_stop_price=1.8, adjusted_stop_limit_price=1.75, adjusted_trailing_amount=0.2,
              adjustable_trailing_unit=1),
        ES, SUBMITTED,
    ),
    "newest_fields": (
        Order(**BASE, order_type="PEG MID", lmt_price=10.0, duration=300, post_to_ats=1, auto_cancel_parent=True,
              min_trade_qty=10, min_compete_size=100, compete_against_best_offset=0.02, mid_offset_at_whole=0.01,
              mid_offset_at_half=0.005),
        AAPL, SUBMITTED,
    ),
}  # fmt: skip


def _completed(order: Order, state: OrderState) -> tuple[Order, OrderState]:
    """The same order as completedOrder reports it (some attributes only exist there)."""
    order = dataclasses.replace(order, auto_cancel_date="20250101", filled_quantity=Decimal("37.5"),
                                ref_futures_con_id=12087792, shareholder="SH", imbalance_only=False,
                                route_marketable_to_bbo=True, parent_perm_id=1_234_567_000)  # fmt: skip
    state = dataclasses.replace(state, status="Filled", completed_time="20240105 10:00:01 US/Eastern",
                                completed_status="Filled Size: 100")  # fmt: skip
    return order, state


# --- openOrder --------------------------------------------------------------------------------------


@pytest.mark.parametrize("sv", VERSIONS)
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_ib_async_reads_open_order(name: str, sv: int) -> None:
    order, contract, state = SCENARIOS[name]
    got_contract, got_order, got_state = decode_open_order(sv, order, contract, state)
    assert_order_equal(got_order, order, carried_order_fields(sv, completed=False))
    assert_contract_equal(got_contract, contract)
    assert_state_equal(got_state, state, OPEN_STATE_FIELDS)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_ibapi_reads_open_order_at_157(name: str) -> None:
    from ibapi.order import Order as IbapiOrder

    order, contract, state = SCENARIOS[name]
    calls = ibapi_decode(encode_response(OpenOrder(order=order, contract=contract, state=state), 157))
    assert [c.name for c in calls] == ["openOrder"]
    order_id, got_contract, got_order, got_state = calls[0].args
    assert order_id == order.order_id
    assert_order_equal(got_order, order, carried_order_fields(157, completed=False), IbapiOrder())
    assert_contract_equal(got_contract, contract)
    assert_state_equal(got_state, state, OPEN_STATE_FIELDS)


def test_ibapi_sees_unset_not_zero_for_unset_prices() -> None:
    # Fields ibapi reads without SHOW_UNSET: empty would read as 0.0; TWS's literal max reads as unset.
    order, contract, state = SCENARIOS["lmt"]
    calls = ibapi_decode(encode_response(OpenOrder(order=order, contract=contract, state=state), 157))
    got = calls[0].args[2]
    for attr in ("triggerPrice", "trailStopPrice", "lmtPriceOffset", "adjustedStopPrice", "cashQty",
                 "adjustedStopLimitPrice", "adjustedTrailingAmount", "auxPrice", "percentOffset"):  # fmt: skip
        assert getattr(got, attr) == UNSET_DOUBLE, attr
    assert (got.volatilityType, got.referencePriceType, got.minQty) == (UNSET_INTEGER,) * 3


@pytest.mark.parametrize(("sv", "count"), [(157, 120), (178, 127)])
def test_plain_limit_order_field_count(sv: int, count: int) -> None:
    order, contract, state = SCENARIOS["lmt"]
    payload = encode_response(OpenOrder(order=order, contract=contract, state=state), sv)[4:]
    assert len(split_fields(payload)) == count


def test_duration_is_sent_from_158_as_the_official_reader_expects() -> None:
    # ib_async reads it only from 159 and ignores the surplus trailing field at 158 (checked by the
    # decode tests above); the official reader takes it right after usePriceMgmtAlgo from 158.
    order, contract, state = SCENARIOS["newest_fields"]
    at = {sv: split_fields(encode_response(OpenOrder(order=order, contract=contract, state=state), sv)[4:])
          for sv in (157, 158)}  # fmt: skip
    assert at[158][:-1] == at[157]
    assert at[158][-1] == "300"


@pytest.mark.parametrize("sv", [157, 178])
def test_pegbench_spelling_goes_out_as_peg_bench(sv: int) -> None:
    order, contract, state = SCENARIOS["peg_bench"]
    order = dataclasses.replace(order, order_type="PEGBENCH")
    _, got, _ = decode_open_order(sv, order, contract, state)
    assert got.orderType == "PEG BENCH"
    assert (got.referenceContractId, got.referenceExchangeId) == (8314, "NYSE")


@pytest.mark.parametrize("sv", [157, 178])
def test_what_if_without_margins_is_numeric_unset(sv: int) -> None:
    order = Order(**BASE, order_type="MKT", what_if=True)
    _, got_order, got_state = decode_open_order(sv, order, AAPL, OrderState(status="PreSubmitted"))
    assert got_order.whatIf is True
    assert float(got_state.initMarginChange) == UNSET_DOUBLE  # ib_async's "not answered yet"


def test_what_if_with_non_numeric_margin_is_refused() -> None:
    order = Order(**BASE, order_type="MKT", what_if=True)
    with pytest.raises(LocalProtocolError, match="init_margin_change"):
        OpenOrder(order=order, contract=AAPL, state=OrderState(init_margin_change="n/a"))
    with pytest.raises(LocalProtocolError):
        OpenOrder(order=order, contract=AAPL, state=OrderState(init_margin_change="Infinite"))


def test_infinite_offset_is_never_sent() -> None:
    order = dataclasses.replace(SCENARIOS["newest_fields"][0], compete_against_best_offset=float("inf"))
    data = encode_response(OpenOrder(order=order, contract=AAPL, state=SUBMITTED), 178)
    assert b"Infinite" not in data and b"inf" not in data
    _, got, _ = decode_open_order(178, order, AAPL, SUBMITTED)
    assert got.competeAgainstBestOffset == UNSET_DOUBLE


# --- completedOrder -------------------------------------------------------------------------------


@pytest.mark.parametrize("sv", VERSIONS)
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_ib_async_reads_completed_order(name: str, sv: int) -> None:
    base_order, contract, base_state = SCENARIOS[name]
    order, state = _completed(base_order, base_state)
    data = encode_response(CompletedOrder(order=order, contract=contract, state=state), sv)
    calls = ib_async_decode(sv, data)
    assert [c.name for c in calls] == ["completedOrder"]
    got_contract, got_order, got_state = calls[0].args
    assert_order_equal(got_order, order, carried_order_fields(sv, completed=True))
    assert_contract_equal(got_contract, contract)
    assert_state_equal(got_state, state, COMPLETED_STATE_FIELDS)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_ibapi_reads_completed_order_at_157(name: str) -> None:
    from ibapi.order import Order as IbapiOrder

    base_order, contract, base_state = SCENARIOS[name]
    order, state = _completed(base_order, base_state)
    calls = ibapi_decode(encode_response(CompletedOrder(order=order, contract=contract, state=state), 157))
    assert [c.name for c in calls] == ["completedOrder"]
    got_contract, got_order, got_state = calls[0].args
    assert_order_equal(got_order, order, carried_order_fields(157, completed=True), IbapiOrder())
    assert_contract_equal(got_contract, contract)
    assert_state_equal(got_state, state, COMPLETED_STATE_FIELDS)


# --- property: random orders round-trip through ib_async -----------------------------------------

_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), max_size=6)
_price = st.none() | st.floats(min_value=-1e7, max_value=1e7, allow_nan=False, allow_infinity=False)
_opt_int = st.none() | st.integers(min_value=-(2**31) + 1, max_value=2**31 - 2)
_int = st.integers(min_value=0, max_value=2**31 - 2)
_bool = st.booleans()
_qty = st.decimals(min_value=0, max_value=10**7, places=4, allow_nan=False, allow_infinity=False)
_tags = st.lists(st.builds(TagValue, tag=_text, value=_text), max_size=3).map(tuple)
_cond_float = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
_conjunction = st.sampled_from(["a", "o"])
_condition = st.one_of(
    st.builds(PriceCondition, conjunction=_conjunction, is_more=_bool, price=_cond_float, con_id=_int,
              exchange=_text, trigger_method=st.integers(0, 8)),
    st.builds(TimeCondition, conjunction=_conjunction, is_more=_bool, time=_text),
    st.builds(MarginCondition, conjunction=_conjunction, is_more=_bool, percent=st.integers(0, 100)),
    st.builds(ExecutionCondition, conjunction=_conjunction, sec_type=_text, exchange=_text, symbol=_text),
    st.builds(VolumeCondition, conjunction=_conjunction, is_more=_bool, volume=_int, con_id=_int,
              exchange=_text),
    st.builds(PercentChangeCondition, conjunction=_conjunction, is_more=_bool, change_percent=_cond_float,
              con_id=_int, exchange=_text),
)  # fmt: skip


@st.composite
def orders(draw: st.DrawFn, *, completed: bool = False) -> Order:
    kw: dict[str, Any] = {}
    for f in dataclasses.fields(Order):
        if f.name in ALWAYS_ABSENT or (f.name in COMPLETED_ONLY and not completed):
            continue
        ann = str(f.type)
        if ann == "str":
            kw[f.name] = draw(_text)
        elif ann == "bool":
            kw[f.name] = draw(_bool)
        elif ann == "int":
            kw[f.name] = draw(_int)
        elif ann == "int | None":
            kw[f.name] = draw(_opt_int)
        elif ann in ("float", "float | None"):
            kw[f.name] = draw(_price if "None" in ann else _cond_float)
    kw["total_quantity"] = draw(_qty)
    if completed:
        kw["filled_quantity"] = draw(st.none() | _qty)
    kw["order_type"] = draw(st.sampled_from(["LMT", "MKT", "STP", "STP LMT", "REL", "PEG BENCH", "VOL"]))
    kw["open_close"] = draw(st.sampled_from(["O", "C", ""]))
    # Blocks that only exist when their leading field says so: keep the rest at its default otherwise.
    if draw(_bool):
        kw["delta_neutral_order_type"] = draw(st.sampled_from(["LMT", "MKT", "REL"]))
    else:
        for name in ("order_type", "con_id", "settling_firm", "clearing_account", "clearing_intent",
                     "open_close", "short_sale", "short_sale_slot", "designated_location"):  # fmt: skip
            kw.pop(f"delta_neutral_{name}", None)
    if not draw(_bool):
        for name in ("adjust_value", "adjust_interval"):
            kw.pop(f"scale_price_{name}", None)
        for name in ("price_increment", "profit_offset", "auto_reset", "init_position", "init_fill_qty",
                     "random_percent"):  # fmt: skip
            kw.pop(f"scale_{name}", None)
    elif kw.get("scale_price_increment") is None or kw["scale_price_increment"] <= 0:
        kw["scale_price_increment"] = draw(st.floats(min_value=0.0001, max_value=100))
    kw["hedge_type"] = draw(st.sampled_from(["", "D", "B", "F", "P"]))
    if not kw["hedge_type"]:
        kw.pop("hedge_param")
    kw["algo_strategy"] = draw(st.sampled_from(["", "Adaptive", "Vwap"]))
    kw["algo_params"] = draw(_tags) if kw["algo_strategy"] else ()
    kw["smart_combo_routing_params"] = draw(_tags)
    kw["order_combo_legs"] = tuple(draw(st.lists(_price, max_size=3)))
    kw["conditions"] = tuple(draw(st.lists(_condition, max_size=3)))
    if not kw["conditions"]:
        kw.pop("conditions_ignore_rth")
        kw.pop("conditions_cancel_order")
    if kw["order_type"] != "PEG BENCH":
        for name in ("reference_contract_id", "is_pegged_change_amount_decrease", "pegged_change_amount",
                     "reference_change_amount", "reference_exchange_id"):  # fmt: skip
            kw.pop(name)
    kw["what_if"] = False
    kw["soft_dollar_tier"] = SoftDollarTier(name=draw(_text), value=draw(_text), display_name=draw(_text))
    return Order(**kw)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(order=orders(), sv=st.sampled_from(VERSIONS))
def test_random_orders_decode_equal_in_ib_async(order: Order, sv: int) -> None:
    _, got_order, _ = decode_open_order(sv, order, AAPL, SUBMITTED)
    assert_order_equal(got_order, order, carried_order_fields(sv, completed=False))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(order=orders(completed=True), sv=st.sampled_from(VERSIONS))
def test_random_completed_orders_decode_equal_in_ib_async(order: Order, sv: int) -> None:
    data = encode_response(CompletedOrder(order=order, contract=AAPL, state=SUBMITTED), sv)
    (call,) = ib_async_decode(sv, data)
    assert_order_equal(call.args[1], order, carried_order_fields(sv, completed=True))


def test_ibapi_sees_unset_filled_quantity_of_a_completed_order() -> None:
    order = dataclasses.replace(SCENARIOS["lmt"][0], filled_quantity=None)
    calls = ibapi_decode(encode_response(CompletedOrder(order=order, contract=AAPL, state=SUBMITTED), 157))
    got = calls[0].args[1]
    assert (got.filledQuantity, got.cashQty, got.trailStopPrice) == (UNSET_DOUBLE,) * 3
