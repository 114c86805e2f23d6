"""openOrder's fast paths write exactly the bytes of its general layout.

`encode_response(OpenOrder)` writes a plain order from a template made from the layout, and keeps the text
of each Order/Contract and OrderState object it wrote; both must give `frame_fields(open_order_fields(...))`
byte for byte, for any order (plain or not), contract, state and version. The client oracles
(test_responses_orders.py) then vouch for that general layout.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ibbot.errors import FrameError
from ibbot.protocol.fields import fmt_bool, fmt_decimal, fmt_float, fmt_int
from ibbot.protocol.framing import frame_fields, frame_joined
from ibbot.protocol.responses import encode_response, order_layout
from ibbot.protocol.responses.base import contract_fields, contract_text
from ibbot.protocol.responses.order_layout import (
    NOT_IN_OPEN_ORDER,
    PLAIN_HEAD,
    PLAIN_TAIL,
    PLAIN_TAIL_FROM,
    fmt_float_max,
    is_plain,
    open_order_fields,
)
from ibbot.protocol.responses.orders import OpenOrder
from ibbot.protocol.types import (
    ComboLeg,
    Contract,
    DeltaNeutralContract,
    Order,
    OrderState,
    PriceCondition,
    SoftDollarTier,
    TagValue,
)

VERSIONS = [157, 158, 159, 160, 161, 162, 163, 166, 169, 170, 176, 177, 178, 183, 185, 189, 193, 195, 198, 199, 200]

SPY = Contract(con_id=756733, symbol="SPY", sec_type="STK", exchange="SMART", primary_exchange="ARCA",
               currency="USD", local_symbol="SPY", trading_class="SPY")  # fmt: skip
ES = Contract(con_id=495512563, symbol="ES", sec_type="FUT", last_trade_date_or_contract_month="20241220",
              multiplier="50", exchange="CME", currency="USD", local_symbol="ESZ4", trading_class="ES")  # fmt: skip
CALL = Contract(con_id=700000001, symbol="SPY", sec_type="OPT", last_trade_date_or_contract_month="20241220",
                strike=450.0, right="C", multiplier="100", exchange="SMART", currency="USD",
                local_symbol="SPY   241220C00450000", trading_class="SPY",
                combo_legs_descrip="odd {0} {text}")  # fmt: skip
BAG = Contract(con_id=28812380, symbol="SPY", sec_type="BAG", exchange="SMART", currency="USD",
               combo_legs_descrip="700000001|1,700000002|-1",
               combo_legs=(ComboLeg(con_id=700000001, ratio=1, action="BUY", exchange="SMART"),))  # fmt: skip
DELTA_NEUTRAL = dataclasses.replace(CALL, delta_neutral_contract=DeltaNeutralContract(con_id=1, delta=0.5, price=2.0))
CONTRACTS = [SPY, ES, CALL, BAG, DELTA_NEUTRAL, Contract()]
STATES = [
    OrderState(status="Submitted"),
    OrderState(status="Filled"),
    OrderState(status="PreSubmitted", commission_currency="USD", warning_text="careful"),
    OrderState(
        status="PreSubmitted",
        init_margin_before="10000.5",
        maint_margin_change="-1.05",
        commission=1.0,
        min_commission=-0.0,
        max_commission=1.5,
        commission_currency="USD",
    ),  # fmt: skip
]


def general(order: Order, contract: Contract, state: OrderState, sv: int) -> bytes:
    return frame_fields(["5", *open_order_fields(order, contract, state, sv)])


def fast(order: Order, contract: Contract, state: OrderState, sv: int) -> bytes:
    return encode_response(OpenOrder(order=order, contract=contract, state=state), sv)


# --- strategies ----------------------------------------------------------------------------------------

_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), max_size=5)
_float = st.none() | st.floats()  # with -0.0, NaN and infinities
_by_format: dict[Any, st.SearchStrategy[Any]] = {
    fmt_int: st.integers(-(2**31), 2**31),
    fmt_bool: st.booleans(),
    fmt_float: _float,
    fmt_float_max: _float,
    fmt_decimal: st.decimals(allow_nan=False, allow_infinity=False, places=4)
    | st.sampled_from([Decimal("-0"), Decimal("1E+2"), Decimal("1.50")]),
    order_layout._as_is: _text,
}
_order_types = st.sampled_from(["MKT", "LMT", "STP", "STP LMT", "TRAIL", "REL", "PEG BENCH", "PEGBENCH"]) | _text
PLAIN_FIELDS = {name: _by_format[fmt] for name, fmt in PLAIN_HEAD + PLAIN_TAIL} | {"order_type": _order_types}
PLAIN_FIELDS |= {name: _by_format[fmt] for _, name, fmt in PLAIN_TAIL_FROM}
RARE = [f.name for f in dataclasses.fields(Order) if f.name not in PLAIN_FIELDS and f.name not in NOT_IN_OPEN_ORDER]


def probe(name: str) -> Any:
    """A value of attribute `name` other than its default."""
    default = getattr(Order(), name)
    if isinstance(default, bool):
        return not default
    if isinstance(default, int):
        return default + 2
    if isinstance(default, str):
        return default + "z"
    if name == "soft_dollar_tier":
        return SoftDollarTier(name="T", value="1", display_name="Tier")
    if name in ("algo_params", "smart_combo_routing_params", "order_misc_options"):
        return (TagValue(tag="t", value="v"),)
    if name == "conditions":
        return (PriceCondition(price=1.5, con_id=1, exchange="SMART"),)
    if name == "order_combo_legs":
        return (1.25, None)
    if name in ("total_quantity", "filled_quantity"):
        return Decimal("2.5")
    return 3  # an int | None or float | None attribute


@st.composite
def orders(draw: st.DrawFn) -> Order:
    """Orders as the simulator makes them (only the plain fields set), some with one rare attribute too."""
    order = Order(**{name: draw(strategy) for name, strategy in PLAIN_FIELDS.items()})
    if draw(st.booleans()):
        name = draw(st.sampled_from(RARE + sorted(NOT_IN_OPEN_ORDER)))
        order = dataclasses.replace(order, **{name: probe(name)})
    return order


# --- the same bytes -------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(order=orders(), contract=st.sampled_from(CONTRACTS), state=st.sampled_from(STATES),
       sv=st.sampled_from(VERSIONS))  # fmt: skip
def test_fast_open_order_is_the_general_layout(order: Order, contract: Contract, state: OrderState, sv: int) -> None:
    want = general(order, contract, state, sv)
    assert fast(order, contract, state, sv) == want
    assert fast(order, contract, state, sv) == want  # from the texts kept for these objects
    assert fast(dataclasses.replace(order), dataclasses.replace(contract), state, sv) == want  # equal, not same


def test_the_simulators_orders_are_plain() -> None:
    order = Order(order_id=7, client_id=1, perm_id=10**9, action="BUY", total_quantity=Decimal(1),
                  order_type="MKT", tif="DAY", account="DU1", transmit=False, filled_quantity=Decimal(1))  # fmt: skip
    assert is_plain(order, SPY)
    assert not is_plain(order, BAG) and not is_plain(order, DELTA_NEUTRAL)
    assert not is_plain(dataclasses.replace(order, order_type="PEGBENCH"), SPY)


@pytest.mark.parametrize("name", RARE)
def test_any_rare_attribute_makes_an_order_not_plain(name: str) -> None:
    order = dataclasses.replace(Order(order_id=1, action="BUY", order_type="LMT", lmt_price=1.0), **{name: probe(name)})
    assert not is_plain(order, SPY)
    for sv in (157, 178, 200):
        assert fast(order, SPY, STATES[0], sv) == general(order, SPY, STATES[0], sv)


def test_the_submitter_is_written_from_198_and_keeps_an_order_plain() -> None:
    order = Order(order_id=1, action="BUY", order_type="LMT", lmt_price=1.0, submitter="ibbotsim")
    assert is_plain(order, SPY)
    for sv in (197, 198, 200):
        assert fast(order, SPY, STATES[0], sv) == general(order, SPY, STATES[0], sv)
        assert (b"\0ibbotsim\0" in fast(order, SPY, STATES[0], sv)) is (sv >= 198)


@pytest.mark.parametrize("name", sorted(NOT_IN_OPEN_ORDER))
def test_attributes_openorder_does_not_carry_leave_its_bytes_alone(name: str) -> None:
    # A plain order ignores them; that is right only if the general layout never writes them.
    base = Order(order_id=1, action="BUY", order_type="LMT", lmt_price=1.0)
    order = dataclasses.replace(base, **{name: probe(name)})
    assert is_plain(order, SPY)
    for sv in VERSIONS:
        assert open_order_fields(order, SPY, STATES[0], sv) == open_order_fields(base, SPY, STATES[0], sv)


@pytest.mark.parametrize("sv", [157, 178])
def test_negative_zero_is_written_as_such(sv: int) -> None:
    order = Order(order_id=1, action="SELL", order_type="LMT", lmt_price=-0.0, discretionary_amt=-0.0,
                  total_quantity=Decimal("-0"), trail_stop_price=-0.0)  # fmt: skip
    data = fast(order, SPY, STATES[0], sv)
    assert data == general(order, SPY, STATES[0], sv)
    assert b"\0-0.0\0" in data


@pytest.mark.parametrize("order", [Order(order_ref="a\0b"), Order(order_ref="a\0b", algo_strategy="x")])
def test_a_nul_inside_a_field_is_refused_on_both_paths(order: Order) -> None:
    with pytest.raises(FrameError):
        fast(order, SPY, STATES[0], 178)
    with pytest.raises(FrameError):
        fast(Order(), dataclasses.replace(SPY, symbol="S\0PY"), STATES[0], 178)


def test_kept_texts_are_bounded_and_stay_right() -> None:
    kept = order_layout._order_texts
    orders = [Order(order_id=i, action="BUY", order_type="MKT") for i in range(kept.size + 10)]
    for order in orders:
        assert fast(order, SPY, STATES[0], 178) == general(order, SPY, STATES[0], 178)
    assert len(kept) <= kept.size


def test_a_kept_text_belongs_to_its_objects_not_to_their_ids() -> None:
    # An entry keyed by an id that now names another object (once its own is gone) must not be used.
    order, other = Order(order_id=1, action="BUY"), Order(order_id=2, action="SELL")
    kept = order_layout._order_texts
    key = kept.key((other, SPY), 178)
    stale = kept._entries[key] = ((order, SPY), (("x", 1), ("y", 1)))
    try:
        assert fast(other, SPY, STATES[0], 178) == general(other, SPY, STATES[0], 178)
    finally:
        if kept._entries.get(key) is stale:
            del kept._entries[key]


def test_a_template_refuses_a_field_written_twice_or_nowhere() -> None:
    twice = lambda o, c: [o.order_ref, "0", o.order_ref]  # noqa: E731
    with pytest.raises(ValueError, match="order_ref"):
        order_layout._template(twice, (("order_ref", order_layout._as_is),))
    nowhere = lambda o, c: ["0"]  # noqa: E731
    with pytest.raises(ValueError, match="order_ref"):
        order_layout._template(nowhere, (("order_ref", order_layout._as_is),))
    wrong_format = lambda o, c: [fmt_float(o.lmt_price)]  # noqa: E731
    with pytest.raises(ValueError, match="lmt_price"):
        order_layout._template(wrong_format, (("lmt_price", fmt_float_max),))


# --- the pieces ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("contract", CONTRACTS)
def test_contract_text_is_its_fields_joined_and_kept(contract: Contract) -> None:
    assert contract_text(contract) == "\0".join(contract_fields(contract))
    assert contract_text(contract) is contract_text(contract)


@given(st.lists(st.text(max_size=4), min_size=1, max_size=6))
def test_frame_joined_is_frame_fields(fields: list[str]) -> None:
    if any("\0" in f for f in fields):
        with pytest.raises(FrameError):
            frame_joined("\0".join(fields), len(fields))
    else:
        assert frame_joined("\0".join(fields), len(fields)) == frame_fields(fields)


def test_fmt_bool_and_int_agree_on_equal_values() -> None:
    # What lets a plain order compare int and bool attributes with their defaults by ==.
    for value in (0, 0.0, -0.0, False, Decimal("-0")):
        assert fmt_int(value) == "0" and fmt_bool(value) == "0"
