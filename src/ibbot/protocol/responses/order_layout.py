"""Field writer for the Order/Contract/OrderState body of openOrder (5) and completedOrder (101), per version.

Theory of operation: both messages are one long, flat list of fields whose shape depends on the order
itself (blocks that exist only when a leading field says so) and on the server version. The layouts follow
ib_async 2.1.0 `Decoder.openOrder` / `Decoder.completedOrder` and the official `OrderDecoder`; at 157 they
are also what ibapi 9.81 reads. Conditional blocks, written exactly when the readers expect them:

* delta-neutral order: 8 (openOrder) or 4 (completedOrder) fields when `deltaNeutralOrderType` is non-empty;
* scale order: 7 fields when 0 < `scalePriceIncrement` (unset is empty, read as UNSET_DOUBLE, so no block);
* hedge: `hedgeParam` when `hedgeType` is non-empty; algo: count and pairs when `algoStrategy` is non-empty;
* PEG BENCH (sent with that spelling even for "PEGBENCH"): 5 fields;
* conditions: `ignoreRth`, `cancelOrder` only when there is at least one condition.

Versions: `faProfile` below 177 (FA_PROFILE_DESUPPORT); `duration` from 158 (the official reader's gate;
ib_async reads it only from 159, but it ignores surplus trailing fields, so writing it at 158 satisfies both
readers); `postToAts` >= 160; `autoCancelParent` >= 162; minTradeQty..midOffsetAtHalf >= 170. After them, as
IB's 10.50 reads them: customerAccount 183, professionalCustomer 184, then in openOrder only bondAccruedInterest
185, includeOvernight 189, extOperator and manualOrderIndicator 193; submitter 198 (both); imbalanceOnly 199
(openOrder; completedOrder has carried it all along). The OrderState of openOrder gains the full what-if
preview at 195 (margin currency, nine outside-RTH margin figures, suggested size, reject reason, allocations)
before warningText.

Unset values: empty where every reader maps empty to "unset" (ibapi's SHOW_UNSET reads, ib_async's object
parser). A few doubles and ints are read by the official/ibapi 9.81 decoders *without* SHOW_UNSET, so empty
would become a real 0 there (a cash quantity or trigger price of 0); those carry TWS's own literal maxima,
which ib_async's `float()`/`int()` also read as UNSET. `Infinite` and the 10.x unset-Decimal are never
written (ib_async's parser would fail on the first and take the second for a real size).

Speed: `open_order_text` / `open_order_state_text` give openOrder's text without formatting ~130 fields per
message: kept per Order/Contract/OrderState object, and for the usual "plain" order written from a template
made from the layout itself (see "openOrder's text, fast"). `open_order_fields` remains the reference.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from operator import attrgetter
from typing import Any

from ibbot.memo import IdentityMemo
from ibbot.protocol.fields import fmt_bool, fmt_decimal, fmt_float, fmt_int
from ibbot.protocol.ids import SV
from ibbot.protocol.responses.base import contract_fields, contract_text, tag_value_fields
from ibbot.protocol.types import (
    Contract,
    ExecutionCondition,
    MarginCondition,
    Order,
    OrderCondition,
    OrderState,
    PercentChangeCondition,
    PriceCondition,
    TimeCondition,
    VolumeCondition,
)

UNSET_DOUBLE_TEXT = "1.7976931348623157E308"  # how TWS spells UNSET_DOUBLE
UNSET_INTEGER_TEXT = "2147483647"  # UNSET_INTEGER
PEG_BENCH_TYPES = frozenset({"PEG BENCH", "PEGBENCH"})


def fmt_float_max(value: float | None) -> str:
    """A double that some reader takes without an "empty means unset" rule: unset as TWS's literal max."""
    if value is None or math.isinf(value) or math.isnan(value):
        return UNSET_DOUBLE_TEXT
    return repr(float(value))


def fmt_int_max(value: int | None) -> str:
    """An int that some reader takes without an "empty means unset" rule: unset as the literal max."""
    return UNSET_INTEGER_TEXT if value is None else str(int(value))


def fmt_decimal_max(value: Decimal | None) -> str:
    return UNSET_DOUBLE_TEXT if value is None else fmt_decimal(value)


def wire_order_type(order: Order) -> str:
    """ib_async and newer official readers take both spellings, ibapi 9.81 only "PEG BENCH": send that one."""
    return "PEG BENCH" if order.order_type in PEG_BENCH_TYPES else order.order_type


def what_if_margin(text: str, what_if: bool) -> str:
    """A margin figure; in a what-if answer an empty one is TWS's UNSET literal ("not computed").

    ib_async calls float() on initMarginChange of every what-if openOrder, so it must be numeric text;
    `OpenOrder` checks the non-empty ones when it is built.
    """
    return UNSET_DOUBLE_TEXT if what_if and not text else text


# --- blocks shared by openOrder and completedOrder ---------------------------------------------------


def _combo_legs(order: Order, contract: Contract) -> list[str]:
    """comboLegsDescrip, the contract's legs, the order's per-leg prices, smart-combo routing params."""
    out = [contract.combo_legs_descrip, fmt_int(len(contract.combo_legs))]
    for leg in contract.combo_legs:
        out += [
            fmt_int(leg.con_id),
            fmt_int(leg.ratio),
            leg.action,
            leg.exchange,
            fmt_int(leg.open_close),
            fmt_int(leg.short_sale_slot),
            leg.designated_location,
            fmt_int(leg.exempt_code),
        ]
    out.append(fmt_int(len(order.order_combo_legs)))
    out += [fmt_float(price) for price in order.order_combo_legs]
    return out + tag_value_fields(order.smart_combo_routing_params)


def _scale(order: Order) -> list[str]:
    out = [
        fmt_int(order.scale_init_level_size),
        fmt_int(order.scale_subs_level_size),
        fmt_float(order.scale_price_increment),
    ]
    increment = order.scale_price_increment
    if increment is not None and increment > 0 and math.isfinite(increment):
        out += [
            fmt_float(order.scale_price_adjust_value),
            fmt_int(order.scale_price_adjust_interval),
            fmt_float(order.scale_profit_offset),
            fmt_bool(order.scale_auto_reset),
            fmt_int(order.scale_init_position),
            fmt_int(order.scale_init_fill_qty),
            fmt_bool(order.scale_random_percent),
        ]
    return out


def _hedge(order: Order) -> list[str]:
    return [order.hedge_type, order.hedge_param] if order.hedge_type else [order.hedge_type]


def _delta_neutral_contract(contract: Contract) -> list[str]:
    dnc = contract.delta_neutral_contract
    if dnc is None:
        return ["0"]
    return ["1", fmt_int(dnc.con_id), fmt_float(dnc.delta), fmt_float(dnc.price)]


def _algo(order: Order) -> list[str]:
    if not order.algo_strategy:
        return [""]
    return [order.algo_strategy, *tag_value_fields(order.algo_params)]


def _peg_bench(order: Order) -> list[str]:
    if order.order_type not in PEG_BENCH_TYPES:
        return []
    return [
        fmt_int(order.reference_contract_id),
        fmt_bool(order.is_pegged_change_amount_decrease),
        fmt_float(order.pegged_change_amount),
        fmt_float(order.reference_change_amount),
        order.reference_exchange_id,
    ]


def _condition(cond: OrderCondition) -> list[str]:
    # Every reader takes: type, conjunction ("a"/"o"), then the type's own fields in this order.
    head = [fmt_int(cond.cond_type), cond.conjunction]
    match cond:
        case PriceCondition():
            more, value = fmt_bool(cond.is_more), fmt_float(cond.price)
            return [*head, more, value, fmt_int(cond.con_id), cond.exchange, fmt_int(cond.trigger_method)]
        case TimeCondition():
            return [*head, fmt_bool(cond.is_more), cond.time]
        case MarginCondition():
            return [*head, fmt_bool(cond.is_more), fmt_int(cond.percent)]
        case ExecutionCondition():
            return [*head, cond.sec_type, cond.exchange, cond.symbol]
        case VolumeCondition():
            more, value = fmt_bool(cond.is_more), fmt_int(cond.volume)
            return [*head, more, value, fmt_int(cond.con_id), cond.exchange]
        case PercentChangeCondition():
            more, value = fmt_bool(cond.is_more), fmt_float(cond.change_percent)
            return [*head, more, value, fmt_int(cond.con_id), cond.exchange]


def _conditions(order: Order) -> list[str]:
    out = [fmt_int(len(order.conditions))]
    for cond in order.conditions:
        out += _condition(cond)
    if order.conditions:
        out += [fmt_bool(order.conditions_ignore_rth), fmt_bool(order.conditions_cancel_order)]
    return out


def _peg_best_peg_mid(order: Order, sv: int) -> list[str]:
    if sv < SV.PEGBEST_PEGMID_OFFSETS:
        return []
    return [
        fmt_int(order.min_trade_qty),
        fmt_int(order.min_compete_size),
        fmt_float(order.compete_against_best_offset),  # the "up to mid" infinity is sent as unset
        fmt_float(order.mid_offset_at_whole),
        fmt_float(order.mid_offset_at_half),
    ]


def _after_pegs(order: Order, sv: int, *, completed: bool) -> list[str]:
    """The fields IB's 10.x clients read after the PEG BEST/MID block (183..199)."""
    out = []
    if sv >= SV.CUSTOMER_ACCOUNT:
        out.append(order.customer_account)
    if sv >= SV.PROFESSIONAL_CUSTOMER:
        out.append(fmt_bool(order.professional_customer))
    if not completed:
        if sv >= SV.BOND_ACCRUED_INTEREST:
            out.append(order.bond_accrued_interest)
        if sv >= SV.INCLUDE_OVERNIGHT:
            out.append(fmt_bool(order.include_overnight))
        if sv >= SV.CME_TAGGING_FIELDS_IN_OPEN_ORDER:
            out += [order.ext_operator, fmt_int(order.manual_order_indicator)]
    if sv >= SV.SUBMITTER:
        out.append(order.submitter)
    if sv >= SV.IMBALANCE_ONLY and not completed:
        out.append(fmt_bool(order.imbalance_only))
    return out


def _head(order: Order, *, completed: bool) -> list[str]:
    """action .. goodAfterTime: openOrder adds clientId and the deprecated sharesAllocation."""
    out = [
        order.action,
        fmt_decimal(order.total_quantity),
        wire_order_type(order),
        fmt_float(order.lmt_price),
        fmt_float(order.aux_price),
        order.tif,
        order.oca_group,
        order.account,
        order.open_close,
        fmt_int(order.origin),
        order.order_ref,
    ]
    if not completed:
        out.append(fmt_int(order.client_id))
    out += [
        fmt_int(order.perm_id),
        fmt_bool(order.outside_rth),
        fmt_bool(order.hidden),
        fmt_float(order.discretionary_amt),
        order.good_after_time,
    ]
    if not completed:
        out.append("")  # sharesAllocation, deprecated
    return out


def _fa(order: Order, sv: int) -> list[str]:
    out = [order.fa_group, order.fa_method, order.fa_percentage]
    if sv < SV.FA_PROFILE_DESUPPORT:
        out.append(order.fa_profile)
    return out


# --- openOrder ----------------------------------------------------------------------------------------


def open_order_head(order: Order, contract: Contract, sv: int) -> list[str]:
    """openOrder's fields before the OrderState: orderId .. whatIf."""
    out = [fmt_int(order.order_id), *contract_fields(contract), *_head(order, completed=False)]
    out += _fa(order, sv)
    out += [
        order.model_code,
        order.good_till_date,
        order.rule80a,
        fmt_float(order.percent_offset),
        order.settling_firm,
        fmt_int(order.short_sale_slot),
        order.designated_location,
        fmt_int(order.exempt_code),
        fmt_int(order.auction_strategy),
        fmt_float(order.starting_price),
        fmt_float(order.stock_ref_price),
        fmt_float(order.delta),
        fmt_float(order.stock_range_lower),
        fmt_float(order.stock_range_upper),
        fmt_int(order.display_size),
        fmt_bool(order.block_order),
        fmt_bool(order.sweep_to_fill),
        fmt_bool(order.all_or_none),
        fmt_int(order.min_qty),
        fmt_int(order.oca_type),
        fmt_bool(order.e_trade_only),
        fmt_bool(order.firm_quote_only),
        fmt_float(order.nbbo_price_cap),
        fmt_int(order.parent_id),
        fmt_int(order.trigger_method),
        fmt_float(order.volatility),
        fmt_int_max(order.volatility_type),
        order.delta_neutral_order_type,
        fmt_float(order.delta_neutral_aux_price),
    ]
    if order.delta_neutral_order_type:
        out += [
            fmt_int(order.delta_neutral_con_id),
            order.delta_neutral_settling_firm,
            order.delta_neutral_clearing_account,
            order.delta_neutral_clearing_intent,
            order.delta_neutral_open_close,
            fmt_bool(order.delta_neutral_short_sale),
            fmt_int(order.delta_neutral_short_sale_slot),
            order.delta_neutral_designated_location,
        ]
    out += [
        fmt_bool(order.continuous_update),
        fmt_int_max(order.reference_price_type),
        fmt_float(order.trail_stop_price),
        fmt_float(order.trailing_percent),
        fmt_float(order.basis_points),
        fmt_int(order.basis_points_type),
    ]
    out += _combo_legs(order, contract)
    out += _scale(order)
    out += _hedge(order)
    out += [
        fmt_bool(order.opt_out_smart_routing),
        order.clearing_account,
        order.clearing_intent,
        fmt_bool(order.not_held),
    ]
    out += _delta_neutral_contract(contract)
    out += _algo(order)
    out += [fmt_bool(order.solicited), fmt_bool(order.what_if)]
    return out


def open_order_state(state: OrderState, what_if: bool, sv: int) -> list[str]:
    """openOrder's OrderState fields: status .. warningText."""
    out = [
        state.status,
        what_if_margin(state.init_margin_before, what_if),
        what_if_margin(state.maint_margin_before, what_if),
        what_if_margin(state.equity_with_loan_before, what_if),
        what_if_margin(state.init_margin_change, what_if),
        what_if_margin(state.maint_margin_change, what_if),
        what_if_margin(state.equity_with_loan_change, what_if),
        what_if_margin(state.init_margin_after, what_if),
        what_if_margin(state.maint_margin_after, what_if),
        what_if_margin(state.equity_with_loan_after, what_if),
        fmt_float(state.commission),
        fmt_float(state.min_commission),
        fmt_float(state.max_commission),
        state.commission_currency,
    ]
    if sv >= SV.FULL_ORDER_PREVIEW_FIELDS:
        out += _preview(state)
    out.append(state.warning_text)
    return out


def _preview(state: OrderState) -> list[str]:
    """The full what-if preview (195): margin currency, outside-RTH margins, suggested size, allocations."""
    out = [
        state.margin_currency,
        fmt_float(state.init_margin_before_outside_rth),
        fmt_float(state.maint_margin_before_outside_rth),
        fmt_float(state.equity_with_loan_before_outside_rth),
        fmt_float(state.init_margin_change_outside_rth),
        fmt_float(state.maint_margin_change_outside_rth),
        fmt_float(state.equity_with_loan_change_outside_rth),
        fmt_float(state.init_margin_after_outside_rth),
        fmt_float(state.maint_margin_after_outside_rth),
        fmt_float(state.equity_with_loan_after_outside_rth),
        fmt_decimal(state.suggested_size),
        state.reject_reason,
        fmt_int(len(state.order_allocations)),
    ]
    for a in state.order_allocations:
        out += [
            a.account,
            fmt_decimal(a.position),
            fmt_decimal(a.position_desired),
            fmt_decimal(a.position_after),
            fmt_decimal(a.desired_alloc_qty),
            fmt_decimal(a.allowed_alloc_qty),
            fmt_bool(a.is_monetary),
        ]
    return out


def open_order_tail(order: Order, sv: int) -> list[str]:
    """openOrder's fields after the OrderState: randomizeSize .. the last field of `sv`."""
    out = [fmt_bool(order.randomize_size), fmt_bool(order.randomize_price)]
    out += _peg_bench(order)
    out += _conditions(order)
    out += [
        order.adjusted_order_type,
        fmt_float_max(order.trigger_price),
        fmt_float_max(order.trail_stop_price),  # read a second time here, without SHOW_UNSET
        fmt_float_max(order.lmt_price_offset),
        fmt_float_max(order.adjusted_stop_price),
        fmt_float_max(order.adjusted_stop_limit_price),
        fmt_float_max(order.adjusted_trailing_amount),
        fmt_int(order.adjustable_trailing_unit),
        order.soft_dollar_tier.name,
        order.soft_dollar_tier.value,
        order.soft_dollar_tier.display_name,
        fmt_float_max(order.cash_qty),
        fmt_bool(order.dont_use_auto_price_for_hedge),
        fmt_bool(order.is_oms_container),
        fmt_bool(order.discretionary_up_to_limit_price),
        fmt_bool(order.use_price_mgmt_algo),
    ]
    if sv >= SV.DURATION:
        out.append(fmt_int(order.duration))
    if sv >= SV.POST_TO_ATS:
        out.append(fmt_int(order.post_to_ats))
    if sv >= SV.AUTO_CANCEL_PARENT:
        out.append(fmt_bool(order.auto_cancel_parent))
    return out + _peg_best_peg_mid(order, sv) + _after_pegs(order, sv, completed=False)


def open_order_fields(order: Order, contract: Contract, state: OrderState, sv: int) -> list[str]:
    """Every field of openOrder after the message id (no version field at SV >= 145)."""
    head = open_order_head(order, contract, sv)
    return head + open_order_state(state, order.what_if, sv) + open_order_tail(order, sv)


# --- openOrder's text, fast ------------------------------------------------------------------------------
#
# openOrder is the one long message of a fill (~130 fields), and TWS sends it again at every change of the
# order. Two shortcuts give the same text as `open_order_fields`:
#
# * One order's openOrders (accepted, filled, listed again) carry the same frozen Order and Contract objects
#   and differ in their OrderState, which the simulator keeps as one constant per status. The joined text of
#   each part is kept per object identity (`ibbot.memo.IdentityMemo`).
# * Almost every order leaves all its attributes but a few (`PLAIN_HEAD`, `PLAIN_TAIL`) at their defaults;
#   the simulator's always do. A plain order's text is the default Order's with those fields (and the
#   contract's) in their places: a template made once per version from the general layout above, which stays
#   the one description of the message. The template is found, not written: a field's place is where the
#   layout's output changes when that field alone does, and a field that is not where it should be, or
#   written twice, stops the template from being made.

Format = Callable[[Any], str]
Joined = tuple[str, int]
"""Fields joined with NUL separators (no final NUL), and how many there are."""


def _as_is(value: str) -> str:
    return value


PLAIN_HEAD: tuple[tuple[str, Format], ...] = (
    ("order_id", fmt_int),
    ("action", _as_is),
    ("total_quantity", fmt_decimal),
    ("order_type", _as_is),  # never PEG BENCH here: that adds fields
    ("lmt_price", fmt_float),
    ("aux_price", fmt_float),
    ("tif", _as_is),
    ("oca_group", _as_is),
    ("account", _as_is),
    ("order_ref", _as_is),
    ("client_id", fmt_int),
    ("perm_id", fmt_int),
    ("outside_rth", fmt_bool),
    ("discretionary_amt", fmt_float),  # its default 0.0 is not exact (see below)
    ("good_till_date", _as_is),
    ("oca_type", fmt_int),
    ("parent_id", fmt_int),
    ("trigger_method", fmt_int),
    ("trail_stop_price", fmt_float),
    ("trailing_percent", fmt_float),
    ("what_if", fmt_bool),
)
PLAIN_TAIL: tuple[tuple[str, Format], ...] = (
    ("trail_stop_price", fmt_float_max),
    ("lmt_price_offset", fmt_float_max),
)
PLAIN_TAIL_FROM: tuple[tuple[int, str, Format], ...] = (
    (SV.SUBMITTER, "submitter", _as_is),  # the simulator names one for every order: never a reason to go slow
)
"""Fields of the tail's template from a server version on; below it they are not written at all."""


def plain_tail(sv: int) -> tuple[tuple[str, Format], ...]:
    return PLAIN_TAIL + tuple((name, fmt) for version, name, fmt in PLAIN_TAIL_FROM if sv >= version)


NOT_IN_OPEN_ORDER = frozenset(
    {
        "transmit",
        "active_start_time",
        "active_stop_time",
        "override_percentage_constraints",
        "scale_table",
        "algo_id",
        "order_misc_options",
        "mifid2_decision_maker",
        "mifid2_decision_algo",
        "mifid2_execution_trader",
        "mifid2_execution_algo",
        "advanced_error_override",
        "manual_order_time",
        # completedOrder's own
        "auto_cancel_date",
        "filled_quantity",
        "ref_futures_con_id",
        "shareholder",
        "route_marketable_to_bbo",
        "parent_perm_id",
        # the PEG BENCH block's, written only for that type, which is never plain
        "reference_contract_id",
        "is_pegged_change_amount_decrease",
        "pegged_change_amount",
        "reference_change_amount",
        "reference_exchange_id",
    }
)
_DEFAULT_ORDER = Order()
_BARE_CONTRACT = Contract()
_PROBES: dict[Format, Any] = {
    fmt_int: 7,
    fmt_bool: True,
    fmt_float: 0.5,
    fmt_float_max: 0.5,
    fmt_decimal: Decimal(7),
    _as_is: "x",
}
_PROBE_CONTRACT = Contract(
    con_id=7,
    symbol="x",
    sec_type="x",
    last_trade_date_or_contract_month="x",
    strike=0.5,
    right="x",
    multiplier="x",
    exchange="x",
    currency="x",
    local_symbol="x",
    trading_class="x",
)


def _rest_of_plain() -> tuple[attrgetter[Any], tuple[Any, ...]]:
    """What a plain order leaves at its defaults, and those defaults. Comparing all of them in C is exact
    only if every value equal to a default writes the same text: so no float or Decimal defaults (-0.0 == 0.0
    but they print differently); bools and ints compare equal exactly when they write alike."""
    shown = {name for name, _ in PLAIN_HEAD + PLAIN_TAIL} | {name for _, name, _ in PLAIN_TAIL_FROM} | NOT_IN_OPEN_ORDER
    names = [f.name for f in dataclasses.fields(Order) if f.name not in shown]
    defaults = tuple(getattr(_DEFAULT_ORDER, name) for name in names)
    for name, default in zip(names, defaults, strict=True):
        if isinstance(default, float | Decimal):
            raise TypeError(f"a plain order cannot compare {name} with its default {default!r}")
    return attrgetter(*names), defaults


_rest_values, _rest_defaults = _rest_of_plain()


def is_plain(order: Order, contract: Contract) -> bool:
    """Whether `plain_open_order_text` can write this openOrder."""
    return (
        _rest_values(order) == _rest_defaults
        and order.order_type not in PEG_BENCH_TYPES
        and not contract.combo_legs
        and contract.delta_neutral_contract is None
    )


@dataclass(frozen=True, slots=True)
class _Template:
    """One part of a plain openOrder: `text(order, *contract_texts)`, `count` fields long."""

    text: Callable[..., str]
    count: int


def _compile(pieces: list[str], slots: list[tuple[str, Format] | int], params: int) -> Callable[..., str]:
    """`text(order, contract text 0, ...)`: the constant pieces with each slot's text between two of them, as
    one join expression. Generated (as dataclasses generates __init__) because a loop over the slots costs
    as much again as formatting them; a slot is an order field and its format, or a contract text's index."""
    env: dict[str, Any] = {f"_p{i}": piece for i, piece in enumerate(pieces)}
    items = ["_p0"]
    for i, slot in enumerate(slots, start=1):
        if isinstance(slot, int):
            items.append(f"c{slot}")
        elif slot[1] is _as_is:
            items.append(f"o.{slot[0]}")  # join refuses anything but a str, as in the general path
        else:
            env[f"_f{i}"] = slot[1]
            items.append(f"_f{i}(o.{slot[0]})")
        items.append(f"_p{i}")
    args = "".join(f", c{i}" for i in range(params))
    exec(f"def text(o{args}):\n    return ''.join(({', '.join(items)}))", env)
    text: Callable[..., str] = env["text"]
    return text


def _places(base: list[str], changed: list[str], what: str) -> list[int]:
    if len(changed) != len(base):
        raise ValueError(f"{what} changes the shape of openOrder")
    return [i for i, (old, new) in enumerate(zip(base, changed, strict=True)) if old != new]


def _template(layout: Callable[[Order, Contract], list[str]], fields: tuple[tuple[str, Format], ...]) -> _Template:
    """The template of one part: the default order's fields, with a slot in each place a field takes. In the
    head, the contract has two slots: its 11 fields as one, and its comboLegsDescrip."""
    base = layout(_DEFAULT_ORDER, _BARE_CONTRACT)
    slots: list[tuple[int, int]] = []  # (first place, places) of each slot: the contract's, then `fields`
    if layout(_DEFAULT_ORDER, _PROBE_CONTRACT) != base:
        places = _places(base, layout(_DEFAULT_ORDER, _PROBE_CONTRACT), "the contract")
        width = len(contract_fields(_PROBE_CONTRACT))
        if places != list(range(places[0], places[0] + width)):
            raise ValueError("the contract's fields are not together in openOrder")
        (descrip,) = _places(base, layout(_DEFAULT_ORDER, Contract(combo_legs_descrip="x")), "comboLegsDescrip")
        slots += [(places[0], width), (descrip, 1)]
    contract_slots = len(slots)
    for name, fmt in fields:
        probe = _PROBES[fmt]
        changed = layout(dataclasses.replace(_DEFAULT_ORDER, **{name: probe}), _BARE_CONTRACT)
        places = _places(base, changed, name)
        if (
            len(places) != 1
            or base[places[0]] != fmt(getattr(_DEFAULT_ORDER, name))
            or changed[places[0]] != fmt(probe)
        ):
            raise ValueError(f"openOrder does not write {name} once, as {fmt.__name__}")
        slots.append((places[0], 1))
    by_place = sorted(range(len(slots)), key=lambda i: slots[i][0])
    # The text between two slots: the separator after the first, the fields between, each with its own.
    pieces: list[str] = []
    start = 0
    for i in by_place:
        first, width = slots[i]
        pieces.append(("\0" if pieces else "") + "".join(text + "\0" for text in base[start:first]))
        start = first + width
    pieces.append("".join("\0" + text for text in base[start:]))
    filling = [i if i < contract_slots else fields[i - contract_slots] for i in by_place]
    return _Template(text=_compile(pieces, filling, contract_slots), count=len(base))


_templates: dict[int, tuple[_Template, _Template]] = {}


def plain_open_order_text(order: Order, contract: Contract, sv: int) -> tuple[Joined, Joined]:
    """`open_order_head` and `open_order_tail`, joined, for an order `is_plain` accepts."""
    templates = _templates.get(sv)
    if templates is None:
        templates = _templates[sv] = (
            _template(lambda o, c: open_order_head(o, c, sv), PLAIN_HEAD),
            _template(lambda o, c: open_order_tail(o, sv), plain_tail(sv)),
        )
    head, tail = templates
    head_text = head.text(order, contract_text(contract), contract.combo_legs_descrip)
    return (head_text, head.count), (tail.text(order), tail.count)


_PREVIEW = int(SV.FULL_ORDER_PREVIEW_FIELDS)  # a plain int: an IntEnum member costs a lookup on this hot path
_order_texts: IdentityMemo[tuple[Joined, Joined]] = IdentityMemo()
_state_texts: IdentityMemo[Joined] = IdentityMemo()


def _joined(fields: list[str]) -> Joined:
    return "\0".join(fields), len(fields)


def open_order_text(order: Order, contract: Contract, sv: int) -> tuple[Joined, Joined]:
    """`open_order_head` and `open_order_tail`, joined."""
    kept = _order_texts.get((order, contract), sv)
    if kept is not None:
        return kept
    if is_plain(order, contract):
        texts = plain_open_order_text(order, contract, sv)
    else:
        texts = _joined(open_order_head(order, contract, sv)), _joined(open_order_tail(order, sv))
    return _order_texts.put((order, contract), texts, sv)


def open_order_state_text(state: OrderState, what_if: bool, sv: int) -> Joined:
    """`open_order_state`, joined."""
    tag = what_if + 2 if sv >= _PREVIEW else what_if  # all the text depends on besides the state
    kept = _state_texts.get((state,), tag)
    if kept is not None:
        return kept
    return _state_texts.put((state,), _joined(open_order_state(state, what_if, sv)), tag)


# --- completedOrder -----------------------------------------------------------------------------------


def completed_order_fields(order: Order, contract: Contract, state: OrderState, sv: int) -> list[str]:
    """Every field of completedOrder after the message id: no orderId, clientId or version field."""
    out = [*contract_fields(contract), *_head(order, completed=True)]
    out += _fa(order, sv)
    out += [
        order.model_code,
        order.good_till_date,
        order.rule80a,
        fmt_float(order.percent_offset),
        order.settling_firm,
        fmt_int(order.short_sale_slot),
        order.designated_location,
        fmt_int(order.exempt_code),
        fmt_float(order.starting_price),
        fmt_float(order.stock_ref_price),
        fmt_float(order.delta),
        fmt_float(order.stock_range_lower),
        fmt_float(order.stock_range_upper),
        fmt_int(order.display_size),
        fmt_bool(order.sweep_to_fill),
        fmt_bool(order.all_or_none),
        fmt_int(order.min_qty),
        fmt_int(order.oca_type),
        fmt_int(order.trigger_method),
        fmt_float(order.volatility),
        fmt_int_max(order.volatility_type),
        order.delta_neutral_order_type,
        fmt_float(order.delta_neutral_aux_price),
    ]
    if order.delta_neutral_order_type:
        out += [
            fmt_int(order.delta_neutral_con_id),
            fmt_bool(order.delta_neutral_short_sale),
            fmt_int(order.delta_neutral_short_sale_slot),
            order.delta_neutral_designated_location,
        ]
    out += [
        fmt_bool(order.continuous_update),
        fmt_int_max(order.reference_price_type),
        fmt_float(order.trail_stop_price),
        fmt_float(order.trailing_percent),
    ]
    out += _combo_legs(order, contract)
    out += _scale(order)
    out += _hedge(order)
    out += [order.clearing_account, order.clearing_intent, fmt_bool(order.not_held)]
    out += _delta_neutral_contract(contract)
    out += _algo(order)
    out += [
        fmt_bool(order.solicited),
        state.status,
        fmt_bool(order.randomize_size),
        fmt_bool(order.randomize_price),
    ]
    out += _peg_bench(order)
    out += _conditions(order)
    out += [
        fmt_float_max(order.trail_stop_price),
        fmt_float_max(order.lmt_price_offset),
        fmt_float_max(order.cash_qty),
        fmt_bool(order.dont_use_auto_price_for_hedge),
        fmt_bool(order.is_oms_container),
        order.auto_cancel_date,
        fmt_decimal_max(order.filled_quantity),
        fmt_int(order.ref_futures_con_id),
        fmt_bool(order.auto_cancel_parent),
        order.shareholder,
        fmt_bool(order.imbalance_only),
        fmt_bool(order.route_marketable_to_bbo),
        fmt_int(order.parent_perm_id),
        state.completed_time,
        state.completed_status,
    ]
    return out + _peg_best_peg_mid(order, sv) + _after_pegs(order, sv, completed=True)
