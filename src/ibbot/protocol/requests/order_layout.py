"""The field walk of placeOrder (id 3): every field after the order id, at server versions 157..200.

Theory of operation: placeOrder has no version field; its layout is a fixed skeleton with optional blocks
that the *client* switches on from values it has already sent (secType BAG, a non-empty deltaNeutralOrderType,
0 < scalePriceIncrement, a hedgeType, the deltaNeutralContract flag, an algoStrategy, the order type PEG BENCH /
PEG BEST / PEG MID, exchange IBKRATS) plus fields gated on the negotiated server version. The walk below reads
the same values in the same order and makes the same decisions, so it stays in step with the sender. Straight
runs of fields are tables of `(attribute, kind)`; the order is ib_async 2.1.0 `Client.placeOrder`, which
ibapi 9.81 matches at 157 (ibapi's only difference: it treats just "PEG BENCH", not "PEGBENCH", as pegged to
a benchmark). Above 178 the official client (IB's 10.50) appends fields after the PEG BEST/MID block:
customerAccount 183, professionalCustomer 184, two always-unset RFQ fields at 187..189 (removed at 190),
includeOvernight 189, manualOrderIndicator 192, imbalanceOnly 199. Unset values (empty, or ibapi's literal
maxima) are `None`; the total quantity is a `Decimal`.

Speed (placeOrder is on the order round trip): each server version's plan, compiled once, is a list of
steps: a straight run of fields, then a switch. From a step, the rest of the frame is parsed in one C-level
pass as if no switch were on (`FieldRun.parse_prefix`), and the walk then moves through the parsed fields
step by step; a plain order is read in that one pass. Values gather in dicts copied from the defaults, in
field order, so the frozen Contract and Order are each built from their values in one call.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, NamedTuple

from ibbot.errors import FieldError
from ibbot.protocol.fields import (
    BOOL,
    DECIMAL,
    FLOAT,
    INT,
    OPT_FLOAT,
    OPT_INT,
    STR,
    FieldReader,
    FieldRun,
    Kind,
    memo_kind,
    parse_opt_int,
)
from ibbot.protocol.ids import SV
from ibbot.protocol.requests.base import (
    parse_tag_values,
    read_contract_fields,
    read_delta_neutral_fields,
    read_tag_values,
)
from ibbot.protocol.types import (
    ComboLeg,
    Contract,
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

_Run = tuple[tuple[str, Kind], ...]


def _parse_exempt_code(text: str) -> int:
    value = parse_opt_int(text)
    return -1 if value is None else value  # -1 is IB's "no exemption", not 0


def _read_exempt_code(r: FieldReader, what: str) -> int:
    return r.int(what, default=-1)


def _parse_misc_options(text: str) -> tuple[TagValue, ...]:
    """orderMiscOptions travels as one field `tag=value;tag=value;`; nothing in it is refused."""
    return parse_tag_values(text, require_equals=False, require_tag=False)


def _read_misc_options(r: FieldReader, what: str) -> tuple[TagValue, ...]:
    return read_tag_values(r, what, require_equals=False, require_tag=False)


EXEMPT_CODE = memo_kind(_parse_exempt_code, _read_exempt_code)
MISC_OPTIONS = memo_kind(_parse_misc_options, _read_misc_options, common=("",))


# --- straight runs, in wire order --------------------------------------------------------------------

_MAIN: _Run = (
    ("action", STR),
    ("total_quantity", DECIMAL),
    ("order_type", STR),
    ("lmt_price", OPT_FLOAT),
    ("aux_price", OPT_FLOAT),
    ("tif", STR),
    ("oca_group", STR),
    ("account", STR),
    ("open_close", STR),
    ("origin", INT),
    ("order_ref", STR),
    ("transmit", BOOL),
    ("parent_id", INT),
    ("block_order", BOOL),
    ("sweep_to_fill", BOOL),
    ("display_size", INT),
    ("trigger_method", INT),
    ("outside_rth", BOOL),
    ("hidden", BOOL),
)

_FA: _Run = (  # after the deprecated, always-empty sharesAllocation field
    ("discretionary_amt", FLOAT),
    ("good_after_time", STR),
    ("good_till_date", STR),
    ("fa_group", STR),
    ("fa_method", STR),
    ("fa_percentage", STR),
)

_MISC: _Run = (
    ("model_code", STR),
    ("short_sale_slot", INT),
    ("designated_location", STR),
    ("exempt_code", EXEMPT_CODE),
    ("oca_type", INT),
    ("rule80a", STR),
    ("settling_firm", STR),
    ("all_or_none", BOOL),
    ("min_qty", OPT_INT),
    ("percent_offset", OPT_FLOAT),
    ("e_trade_only", BOOL),
    ("firm_quote_only", BOOL),
    ("nbbo_price_cap", OPT_FLOAT),
    ("auction_strategy", INT),
    ("starting_price", OPT_FLOAT),
    ("stock_ref_price", OPT_FLOAT),
    ("delta", OPT_FLOAT),
    ("stock_range_lower", OPT_FLOAT),
    ("stock_range_upper", OPT_FLOAT),
    ("override_percentage_constraints", BOOL),
    ("volatility", OPT_FLOAT),
    ("volatility_type", OPT_INT),
    ("delta_neutral_order_type", STR),
    ("delta_neutral_aux_price", OPT_FLOAT),
)

_DELTA_NEUTRAL: _Run = (  # only when deltaNeutralOrderType is non-empty
    ("delta_neutral_con_id", INT),
    ("delta_neutral_settling_firm", STR),
    ("delta_neutral_clearing_account", STR),
    ("delta_neutral_clearing_intent", STR),
    ("delta_neutral_open_close", STR),
    ("delta_neutral_short_sale", BOOL),
    ("delta_neutral_short_sale_slot", INT),
    ("delta_neutral_designated_location", STR),
)

_SCALE: _Run = (
    ("continuous_update", BOOL),
    ("reference_price_type", OPT_INT),
    ("trail_stop_price", OPT_FLOAT),
    ("trailing_percent", OPT_FLOAT),
    ("scale_init_level_size", OPT_INT),
    ("scale_subs_level_size", OPT_INT),
    ("scale_price_increment", OPT_FLOAT),
)

_SCALE_MORE: _Run = (  # only when 0 < scalePriceIncrement < unset
    ("scale_price_adjust_value", OPT_FLOAT),
    ("scale_price_adjust_interval", OPT_INT),
    ("scale_profit_offset", OPT_FLOAT),
    ("scale_auto_reset", BOOL),
    ("scale_init_position", OPT_INT),
    ("scale_init_fill_qty", OPT_INT),
    ("scale_random_percent", BOOL),
)

_ACTIVE: _Run = (
    ("scale_table", STR),
    ("active_start_time", STR),
    ("active_stop_time", STR),
    ("hedge_type", STR),
)

_CLEARING: _Run = (
    ("opt_out_smart_routing", BOOL),
    ("clearing_account", STR),
    ("clearing_intent", STR),
    ("not_held", BOOL),
)

_ALGO_TAIL: _Run = (
    ("algo_id", STR),
    ("what_if", BOOL),
    ("order_misc_options", MISC_OPTIONS),
    ("solicited", BOOL),
    ("randomize_size", BOOL),
    ("randomize_price", BOOL),
)

_PEG_BENCH: _Run = (
    ("reference_contract_id", INT),
    ("is_pegged_change_amount_decrease", BOOL),
    ("pegged_change_amount", FLOAT),
    ("reference_change_amount", FLOAT),
    ("reference_exchange_id", STR),
)

_ADJUSTED: _Run = (
    ("adjusted_order_type", STR),
    ("trigger_price", OPT_FLOAT),
    ("lmt_price_offset", OPT_FLOAT),
    ("adjusted_stop_price", OPT_FLOAT),
    ("adjusted_stop_limit_price", OPT_FLOAT),
    ("adjusted_trailing_amount", OPT_FLOAT),
    ("adjustable_trailing_unit", INT),
    ("ext_operator", STR),
)

_MIFID: _Run = (  # after the soft-dollar tier's name and value
    ("cash_qty", OPT_FLOAT),
    ("mifid2_decision_maker", STR),
    ("mifid2_decision_algo", STR),
    ("mifid2_execution_trader", STR),
    ("mifid2_execution_algo", STR),
    ("dont_use_auto_price_for_hedge", BOOL),
    ("is_oms_container", BOOL),
    ("discretionary_up_to_limit_price", BOOL),
    ("use_price_mgmt_algo", BOOL),
)

_VERSIONED_TAIL: tuple[tuple[int, str, Kind], ...] = (
    (SV.DURATION, "duration", OPT_INT),
    (SV.POST_TO_ATS, "post_to_ats", OPT_INT),
    (SV.AUTO_CANCEL_PARENT, "auto_cancel_parent", BOOL),
    (SV.ADVANCED_ORDER_REJECT, "advanced_error_override", STR),
    (SV.MANUAL_ORDER_TIME, "manual_order_time", STR),
)

# after the PEG BEST/MID block, from IB's 10.x clients: (from version, up to but excluding, name, kind)
_AFTER_PEGS: tuple[tuple[int, int, str, Kind], ...] = (
    (SV.CUSTOMER_ACCOUNT, SV.PROTOBUF, "customer_account", STR),
    (SV.PROFESSIONAL_CUSTOMER, SV.PROTOBUF, "professional_customer", BOOL),
    (SV.RFQ_FIELDS, SV.UNDO_RFQ_FIELDS, "rfq field", STR),  # always "", then UNSET_INTEGER: read, dropped
    (SV.RFQ_FIELDS, SV.UNDO_RFQ_FIELDS, "rfq int field", OPT_INT),
    (SV.INCLUDE_OVERNIGHT, SV.PROTOBUF, "include_overnight", BOOL),
    (SV.CME_TAGGING_FIELDS, SV.PROTOBUF, "manual_order_indicator", OPT_INT),
    (SV.IMBALANCE_ONLY, SV.PROTOBUF, "imbalance_only", BOOL),
)

# one- and two-field runs around the switches; the names of scratch values double as their error labels
_SEC_ID: _Run = (("secIdType", STR), ("secId", STR))  # the contract's, read into the order's dict
_SHARES_ALLOCATION: _Run = (("sharesAllocation", STR),)  # deprecated; always empty
_DELTA_NEUTRAL_FLAG: _Run = (("deltaNeutralContract flag", BOOL),)
_ALGO_STRATEGY: _Run = (("algo_strategy", STR),)
_CONDITIONS_COUNT: _Run = (("conditions count", INT),)
_SOFT_DOLLAR_TIER: _Run = (("softDollarTier name", STR), ("softDollarTier value", STR))
_HEDGE_PARAM: _Run = (("hedge_param", STR),)

PEG_BENCH_TYPES = frozenset({"PEG BENCH", "PEGBENCH"})
PEG_BEST_TYPES = frozenset({"PEG BEST", "PEGBEST"})
PEG_MID_TYPES = frozenset({"PEG MID", "PEGMID"})


# --- blocks --------------------------------------------------------------------------------------------


def _tag_value_pairs(r: FieldReader, what: str) -> tuple[TagValue, ...]:
    count = r.int(f"{what} count")
    return tuple(TagValue(tag=r.str(f"{what} tag"), value=r.str(f"{what} value")) for _ in range(count))


def _combo_leg(r: FieldReader) -> ComboLeg:
    return ComboLeg(
        con_id=r.int("leg conId"),
        ratio=r.int("leg ratio"),
        action=r.str("leg action"),
        exchange=r.str("leg exchange"),
        open_close=r.int("leg openClose"),
        short_sale_slot=r.int("leg shortSaleSlot"),
        designated_location=r.str("leg designatedLocation"),
        exempt_code=r.int("leg exemptCode", default=-1),
    )


def _whole(r: FieldReader, what: str) -> int:
    """An integer condition value; ibapi writes it with str(), so a user's float (`30.0`) may arrive."""
    text = r.str(what)
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not value.is_integer():
        raise FieldError(f"field {r.pos - 1} ({what}): cannot read {text[:40]!r}")
    return int(value)


def read_condition(r: FieldReader) -> OrderCondition:
    """One order condition: its type code, then the fields of that type in IB's order."""
    cond_type = r.int("condition type")
    conjunction = r.str("conjunction")
    if cond_type == 5:  # execution: no isMore
        return ExecutionCondition(
            conjunction=conjunction,
            sec_type=r.str("secType"),
            exchange=r.str("exchange"),
            symbol=r.str("symbol"),
        )
    is_more = r.bool("isMore")
    if cond_type == 1:
        return PriceCondition(
            conjunction=conjunction,
            is_more=is_more,
            price=r.float("price"),
            con_id=r.int("conId"),
            exchange=r.str("exchange"),
            trigger_method=r.int("triggerMethod"),
        )
    if cond_type == 3:
        return TimeCondition(conjunction=conjunction, is_more=is_more, time=r.str("time"))
    if cond_type == 4:
        return MarginCondition(conjunction=conjunction, is_more=is_more, percent=_whole(r, "percent"))
    if cond_type == 6:
        return VolumeCondition(
            conjunction=conjunction,
            is_more=is_more,
            volume=_whole(r, "volume"),
            con_id=r.int("conId"),
            exchange=r.str("exchange"),
        )
    if cond_type == 7:
        return PercentChangeCondition(
            conjunction=conjunction,
            is_more=is_more,
            change_percent=r.float("changePercent"),
            con_id=r.int("conId"),
            exchange=r.str("exchange"),
        )
    raise FieldError(f"unknown order condition type {cond_type}")


# --- switches: a block the client sends only when values it has already sent say so -----------------------

_Values = dict[str, Any]  # the contract's and the order's values so far, by attribute (plus scratch values)
_SCRATCH = frozenset(  # read into the order's dict, but not Order fields: removed before the Order is built
    name
    for run in (
        _SEC_ID,
        _SHARES_ALLOCATION,
        _DELTA_NEUTRAL_FLAG,
        _CONDITIONS_COUNT,
        _SOFT_DOLLAR_TIER,
        tuple((name, kind) for _, _, name, kind in _AFTER_PEGS if name.startswith("rfq")),
    )
    for name, _ in run
)
_ORDER_DEFAULTS: _Values = {name: getattr(Order(), name) for name in Order.__dataclass_fields__}
_NO_TIER = SoftDollarTier()


def _compile(*runs: _Run) -> FieldRun:
    items = [item for run in runs for item in run]
    unknown = {name for name, _ in items} - _ORDER_DEFAULTS.keys() - _SCRATCH
    if unknown:
        raise ValueError(f"not Order fields: {sorted(unknown)}")
    return FieldRun(items)


class _Switch(NamedTuple):
    on: Callable[[_Values, _Values], bool]  # (contract, order) -> the block follows; reads values sent before
    read: Callable[[FieldReader, _Values, _Values], None]  # reads the block into them


def _run_block(*runs: _Run) -> Callable[[FieldReader, _Values, _Values], None]:
    run = _compile(*runs)
    return lambda r, c, o: run.read_into(r, o)


def _read_bag(r: FieldReader, c: _Values, o: _Values) -> None:
    c["combo_legs"] = tuple(_combo_leg(r) for _ in range(r.int("comboLegs count")))
    n_prices = r.int("orderComboLegs count")
    o["order_combo_legs"] = tuple(r.opt_float("orderComboLeg price") for _ in range(n_prices))
    o["smart_combo_routing_params"] = _tag_value_pairs(r, "smartComboRoutingParams")


def _scale_profits(c: _Values, o: _Values) -> bool:
    increment = o["scale_price_increment"]
    return increment is not None and 0 < increment < math.inf


def _read_delta_neutral_contract(r: FieldReader, c: _Values, o: _Values) -> None:
    c["delta_neutral_contract"] = read_delta_neutral_fields(r)


def _read_algo_params(r: FieldReader, c: _Values, o: _Values) -> None:
    o["algo_params"] = _tag_value_pairs(r, "algoParams")


def _read_conditions(r: FieldReader, c: _Values, o: _Values) -> None:
    o["conditions"] = tuple(read_condition(r) for _ in range(o["conditions count"]))
    o["conditions_ignore_rth"] = r.bool("conditions_ignore_rth")
    o["conditions_cancel_order"] = r.bool("conditions_cancel_order")


def _pegs_or_ats(c: _Values, o: _Values) -> bool:
    return c["exchange"] == "IBKRATS" or o["order_type"] in PEG_BEST_TYPES or o["order_type"] in PEG_MID_TYPES


def _read_pegs_and_ats(r: FieldReader, c: _Values, o: _Values) -> None:
    if c["exchange"] == "IBKRATS":
        o["min_trade_qty"] = r.opt_int("min_trade_qty")
    if o["order_type"] in PEG_BEST_TYPES:
        o["min_compete_size"] = r.opt_int("min_compete_size")
        o["compete_against_best_offset"] = r.opt_float("compete_against_best_offset")
        # "Infinite" means "up to mid": only then do the mid offsets follow
        if o["compete_against_best_offset"] == math.inf:
            o["mid_offset_at_whole"] = r.opt_float("mid_offset_at_whole")
            o["mid_offset_at_half"] = r.opt_float("mid_offset_at_half")
    elif o["order_type"] in PEG_MID_TYPES:
        o["mid_offset_at_whole"] = r.opt_float("mid_offset_at_whole")
        o["mid_offset_at_half"] = r.opt_float("mid_offset_at_half")


_IF_BAG = _Switch(lambda c, o: c["sec_type"] == "BAG", _read_bag)
_IF_DELTA_NEUTRAL_ORDER = _Switch(lambda c, o: o["delta_neutral_order_type"] != "", _run_block(_DELTA_NEUTRAL))
_IF_SCALE_PROFITS = _Switch(_scale_profits, _run_block(_SCALE_MORE))
_IF_HEDGE = _Switch(lambda c, o: o["hedge_type"] != "", _run_block(_HEDGE_PARAM))
_IF_DELTA_NEUTRAL_CONTRACT = _Switch(lambda c, o: o["deltaNeutralContract flag"], _read_delta_neutral_contract)
_IF_ALGO = _Switch(lambda c, o: o["algo_strategy"] != "", _read_algo_params)
_IF_PEG_BENCH = _Switch(lambda c, o: o["order_type"] in PEG_BENCH_TYPES, _run_block(_PEG_BENCH))
# a negative count reads no condition, but still the two flags after them (as a non-zero count always has)
_IF_CONDITIONS = _Switch(lambda c, o: o["conditions count"] != 0, _read_conditions)
_IF_PEGS_OR_ATS = _Switch(_pegs_or_ats, _read_pegs_and_ats)
_NEVER = _Switch(lambda c, o: False, lambda r, c, o: None)


# --- per-version plans, compiled once --------------------------------------------------------------------


class _Step(NamedTuple):
    run: FieldRun  # a straight run of fields
    switch: _Switch  # then the block it may turn on
    rest: FieldRun  # this run and every later step's run back to back: the frame if no switch is on


@functools.cache
def _plan(sv: int) -> tuple[_Step, ...]:
    fa_profile: _Run = (("fa_profile", STR),) if sv < SV.FA_PROFILE_DESUPPORT else ()
    versioned = tuple((name, kind) for version, name, kind in _VERSIONED_TAIL if sv >= version)
    pegs_or_ats = _IF_PEGS_OR_ATS if sv >= SV.PEGBEST_PEGMID_OFFSETS else _NEVER
    after_pegs = tuple((name, kind) for low, high, name, kind in _AFTER_PEGS if low <= sv < high)
    layout: list[tuple[tuple[_Run, ...], _Switch]] = [
        ((_SEC_ID, _MAIN), _IF_BAG),
        ((_SHARES_ALLOCATION, _FA, fa_profile, _MISC), _IF_DELTA_NEUTRAL_ORDER),
        ((_SCALE,), _IF_SCALE_PROFITS),
        ((_ACTIVE,), _IF_HEDGE),
        ((_CLEARING, _DELTA_NEUTRAL_FLAG), _IF_DELTA_NEUTRAL_CONTRACT),
        ((_ALGO_STRATEGY,), _IF_ALGO),
        ((_ALGO_TAIL,), _IF_PEG_BENCH),
        ((_CONDITIONS_COUNT,), _IF_CONDITIONS),
        ((_ADJUSTED, _SOFT_DOLLAR_TIER, _MIFID, versioned), pegs_or_ats),
        ((after_pegs,), _NEVER),
    ]
    return tuple(
        _Step(_compile(*runs), switch, _compile(*(run for later, _ in layout[i:] for run in later)))
        for i, (runs, switch) in enumerate(layout)
    )


# --- the walk ------------------------------------------------------------------------------------------


def read_place_order_body(r: FieldReader, sv: int, order_id: int) -> tuple[Contract, Order]:
    """Everything placeOrder sends after the order id, read in the sender's order.

    The fields before `parsed` were parsed in step with the walk, by one pass over the rest of the frame. A
    switch reads only values of steps before it, which are in step; after its block, what was parsed
    beyond is out of step (as far as the block is long), so the next step parses again. A text refused, or
    the frame ending, inside a step sends that step to the reader, which raises the error naming the field,
    exactly as a walk reading field by field would.
    """
    c = read_contract_fields(r)
    o = dict(_ORDER_DEFAULTS)
    parsed = r.pos
    for run, switch, rest in _plan(sv):
        end = r.pos + run.size
        if end > parsed:
            parsed = r.pos + rest.parse_prefix(r, o)
            if end > parsed:  # a text refused, or the frame ending, in this very run: the reader decides
                run.read_into(r, o)
        r.pos = end
        if switch.on(c, o):
            switch.read(r, c, o)
            parsed = r.pos

    o["order_id"] = order_id
    c["sec_id_type"] = o.pop("secIdType")
    c["sec_id"] = o.pop("secId")
    tier = (o.pop("softDollarTier name"), o.pop("softDollarTier value"))
    o["soft_dollar_tier"] = SoftDollarTier(name=tier[0], value=tier[1]) if any(tier) else _NO_TIER
    del o["sharesAllocation"], o["deltaNeutralContract flag"], o["conditions count"]
    o.pop("rfq field", None)
    o.pop("rfq int field", None)
    # both dicts now hold exactly their type's fields, in field order (copied from the defaults)
    return build_contract(*c.values()), build_order(*o.values())
