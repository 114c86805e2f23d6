"""The order model: the status table, IB's validation codes and texts, snapshots and the plain-dict form."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from ibbot.errors import OrderStateError
from ibbot.sim.trading.orders import (
    ECHOED_FIELDS,
    NO_ECHO,
    TERMINAL,
    TRANSITIONS,
    Action,
    EchoedTerms,
    OrderSpec,
    OrderStatus,
    OrderType,
    OrderView,
    Step,
    TimeInForce,
    cancel_not_cancellable,
    cancel_not_found,
    next_status,
    spec_from_dict,
    spec_to_dict,
    validate,
)

TICK = D("0.01")


def spec(**kw: object) -> OrderSpec:
    values: dict[str, object] = {
        "order_id": 7,
        "con_id": 265598,
        "action": Action.BUY,
        "quantity": D(100),
        "order_type": OrderType.LMT,
        "lmt_price": D("150.25"),
    }
    values.update(kw)
    return OrderSpec(**values)  # type: ignore[arg-type]


# --- the status table -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "step", "after"),
    [
        (OrderStatus.PENDING_SUBMIT, Step.HOLD, OrderStatus.PRE_SUBMITTED),
        (OrderStatus.PENDING_SUBMIT, Step.WORK, OrderStatus.SUBMITTED),
        (OrderStatus.PRE_SUBMITTED, Step.WORK, OrderStatus.SUBMITTED),
        (OrderStatus.SUBMITTED, Step.PARTIAL_FILL, OrderStatus.SUBMITTED),
        (OrderStatus.SUBMITTED, Step.FILL, OrderStatus.FILLED),
        (OrderStatus.SUBMITTED, Step.CANCEL, OrderStatus.CANCELLED),
        (OrderStatus.PRE_SUBMITTED, Step.CANCEL, OrderStatus.CANCELLED),
        (OrderStatus.SUBMITTED, Step.REJECT, OrderStatus.INACTIVE),
        (OrderStatus.PENDING_CANCEL, Step.FILL, OrderStatus.FILLED),
    ],
)
def test_the_table_moves_orders_like_tws(status: OrderStatus, step: Step, after: OrderStatus) -> None:
    assert next_status(status, step) is after


@pytest.mark.parametrize("status", sorted(TERMINAL))
@pytest.mark.parametrize("step", list(Step))
def test_terminal_statuses_have_no_way_out(status: OrderStatus, step: Step) -> None:
    with pytest.raises(OrderStateError, match=status.value):
        next_status(status, step)


@pytest.mark.parametrize(
    ("status", "step"),
    [
        (OrderStatus.PRE_SUBMITTED, Step.FILL),  # an untriggered or held order cannot fill
        (OrderStatus.PRE_SUBMITTED, Step.PARTIAL_FILL),
        (OrderStatus.PENDING_SUBMIT, Step.FILL),
        (OrderStatus.SUBMITTED, Step.HOLD),
    ],
)
def test_an_unknown_transition_raises(status: OrderStatus, step: Step) -> None:
    with pytest.raises(OrderStateError):
        next_status(status, step)


def test_every_status_has_a_row() -> None:
    assert set(TRANSITIONS) == set(OrderStatus)
    assert all(not TRANSITIONS[s] for s in TERMINAL)


# --- validation -----------------------------------------------------------------------------------------


def test_a_good_order_passes() -> None:
    assert validate(spec(), min_tick=TICK) is None


@pytest.mark.parametrize("quantity", [D(0), D(-5)])
def test_zero_or_negative_size_is_434(quantity: D) -> None:
    rejection = validate(spec(quantity=quantity), min_tick=TICK)
    assert rejection is not None
    assert (rejection.code, rejection.text) == (434, "The order size cannot be zero")


@pytest.mark.parametrize(
    "changes",
    [
        {"lmt_price": D("150.255")},
        {"order_type": OrderType.STP, "aux_price": D("149.999")},
        {"order_type": OrderType.TRAIL, "aux_price": D("0.015")},
        {"order_type": OrderType.TRAIL, "aux_price": D("1"), "trail_stop_price": D("148.001")},
    ],
)
def test_a_price_off_the_tick_is_110(changes: dict[str, object]) -> None:
    rejection = validate(spec(**changes), min_tick=TICK)
    assert rejection is not None
    assert rejection.code == 110
    assert rejection.text == "The price does not conform to the minimum price variation for this contract."


def test_prices_on_a_coarser_tick_pass_and_fail_by_that_tick() -> None:
    assert validate(spec(lmt_price=D("4500.25")), min_tick=D("0.25")) is None
    assert validate(spec(lmt_price=D("4500.10")), min_tick=D("0.25")) is not None


@pytest.mark.parametrize(
    ("changes", "code", "attribute"),
    [
        ({"e_trade_only": True}, 10268, "'EtradeOnly'"),
        ({"firm_quote_only": True}, 10269, "'FirmQuoteOnly'"),
        ({"nbbo_price_cap": D("1")}, 10270, "'NbboPriceCap'"),
    ],
)
def test_unsupported_attributes_get_the_10268_family(changes: dict[str, object], code: int, attribute: str) -> None:
    rejection = validate(spec(**changes), min_tick=TICK)
    assert rejection is not None
    assert rejection.code == code
    assert rejection.text == f"The {attribute} order attribute is not supported."


@pytest.mark.parametrize(
    "changes",
    [
        {"lmt_price": None},
        {"order_type": OrderType.STP, "lmt_price": None},
        {"order_type": OrderType.STP_LMT, "aux_price": D("150"), "lmt_price": None},
        {"order_type": OrderType.STP_LMT},
        {"order_type": OrderType.TRAIL},
        {"order_type": OrderType.TRAIL_LIMIT, "aux_price": D("1"), "lmt_price": None},
        {"order_type": OrderType.TRAIL, "trailing_percent": D("150")},
        {"tif": TimeInForce.GTD},
        {"order_type": OrderType.STP, "aux_price": D("150"), "tif": TimeInForce.OPG},
        {"order_type": OrderType.MOC, "lmt_price": None, "tif": TimeInForce.IOC},
    ],
)
def test_incomplete_orders_are_rejected_with_201(changes: dict[str, object]) -> None:
    rejection = validate(spec(**changes), min_tick=TICK)
    assert rejection is not None
    assert rejection.code == 201
    assert rejection.text.startswith("Order rejected - reason:")


def test_cancel_error_texts_are_ibs() -> None:
    assert cancel_not_found(12).text == "OrderId 12 that needs to be cancelled is not found."
    assert cancel_not_found(12).code == 10147
    refused = cancel_not_cancellable(12, OrderStatus.FILLED)
    assert (refused.code, refused.text) == (
        10148,
        "OrderId 12 that needs to be cancelled cannot be cancelled, state: Filled.",
    )


# --- snapshots and persistence --------------------------------------------------------------------------


def test_a_view_reports_remaining_until_the_order_is_done() -> None:
    view = OrderView(
        spec=spec(),
        status=OrderStatus.SUBMITTED,
        filled=D(30),
        avg_fill_price=D("150"),
        last_fill_price=D("150"),
        stop_price=None,
        limit_price=D("150.25"),
        held=False,
        waiting_parent=False,
        triggered=True,
    )
    assert view.remaining == D(70)
    assert replace(view, status=OrderStatus.CANCELLED).remaining == 0
    assert (view.order_id, view.client_id) == (7, 0)


def test_a_spec_survives_the_plain_dict_form() -> None:
    original = spec(
        order_type=OrderType.TRAIL_LIMIT,
        aux_price=D("0.5"),
        lmt_price=None,
        lmt_price_offset=D("0.1"),
        trail_stop_price=D("149.5"),
        tif=TimeInForce.GTD,
        good_till_date=datetime(2024, 3, 5, 21, 0, tzinfo=UTC),
        action=Action.SSHORT,
        oca_group="g",
        oca_type=2,
    )
    plain = spec_to_dict(original)
    assert all(isinstance(v, str | int | bool | type(None)) for v in plain.values())
    assert spec_from_dict(plain) == original


def test_the_echoed_terms_survive_the_plain_dict_form_and_older_states_read_without_them() -> None:
    original = spec(echoed=EchoedTerms(customer_account="C1", manual_order_indicator=0, imbalance_only=True))
    plain = spec_to_dict(original)
    assert (plain["customer_account"], plain["manual_order_indicator"], plain["imbalance_only"]) == ("C1", 0, True)
    assert all(isinstance(v, str | int | bool | type(None)) for v in plain.values())
    assert spec_from_dict(plain) == original
    bare = spec_to_dict(spec())
    assert not set(ECHOED_FIELDS) & set(bare)  # a plain order's dict is the one written before the terms existed
    assert spec_from_dict(bare).echoed is NO_ECHO
    assert spec_from_dict(bare | {"customer_account": ""}).echoed is NO_ECHO  # defaults read back as NO_ECHO
