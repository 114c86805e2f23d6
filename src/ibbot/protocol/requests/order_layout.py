"""The field walk of placeOrder (id 3): every field after the order id, at server versions 157..178.

Theory of operation: placeOrder has no version field; its layout is a fixed skeleton with optional blocks
that the *client* switches on from values it has already sent (secType BAG, a non-empty deltaNeutralOrderType,
0 < scalePriceIncrement, a hedgeType, the deltaNeutralContract flag, an algoStrategy, the order type PEG BENCH /
PEG BEST / PEG MID, exchange IBKRATS) plus fields gated on the negotiated server version. The walk below reads
the same values in the same order and makes the same decisions, so it stays in step with the sender. Straight
runs of fields are tables of `(attribute, reader)`; the order is ib_async 2.1.0 `Client.placeOrder`, which
ibapi 9.81 matches at 157 (ibapi's only difference: it treats just "PEG BENCH", not "PEGBENCH", as pegged to
a benchmark). Unset values (empty, or ibapi's literal maxima) are `None`; the total quantity is a `Decimal`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

from ibbot.errors import FieldError
from ibbot.protocol.fields import FieldReader
from ibbot.protocol.ids import SV
from ibbot.protocol.requests.base import read_contract, read_delta_neutral_contract, read_tag_values
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
)

_Read = Callable[[FieldReader, str], Any]
_Run = tuple[tuple[str, _Read], ...]

STR: _Read = FieldReader.str
INT: _Read = FieldReader.int
OPT_INT: _Read = FieldReader.opt_int
FLOAT: _Read = FieldReader.float
OPT_FLOAT: _Read = FieldReader.opt_float
BOOL: _Read = FieldReader.bool
DECIMAL: _Read = FieldReader.decimal


def _exempt_code(r: FieldReader, what: str) -> int:
    return r.int(what, default=-1)  # -1 is IB's "no exemption", not 0


def _tag_values_text(r: FieldReader, what: str) -> tuple[TagValue, ...]:
    """orderMiscOptions travels as one field `tag=value;tag=value;`; nothing in it is refused."""
    return read_tag_values(r, what, require_equals=False, require_tag=False)


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
    ("exempt_code", _exempt_code),
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
    ("order_misc_options", _tag_values_text),
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

_VERSIONED_TAIL: tuple[tuple[int, str, _Read], ...] = (
    (SV.DURATION, "duration", OPT_INT),
    (SV.POST_TO_ATS, "post_to_ats", OPT_INT),
    (SV.AUTO_CANCEL_PARENT, "auto_cancel_parent", BOOL),
    (SV.ADVANCED_ORDER_REJECT, "advanced_error_override", STR),
    (SV.MANUAL_ORDER_TIME, "manual_order_time", STR),
)

PEG_BENCH_TYPES = frozenset({"PEG BENCH", "PEGBENCH"})
PEG_BEST_TYPES = frozenset({"PEG BEST", "PEGBEST"})
PEG_MID_TYPES = frozenset({"PEG MID", "PEGMID"})


def _run(r: FieldReader, into: dict[str, Any], run: _Run) -> None:
    for name, read in run:
        into[name] = read(r, name)


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


# --- the walk ------------------------------------------------------------------------------------------


def read_place_order_body(r: FieldReader, sv: int, order_id: int) -> tuple[Contract, Order]:
    """Everything placeOrder sends after the order id, read in the sender's order."""
    contract = read_contract(r)
    sec_id_type = r.str("secIdType")
    sec_id = r.str("secId")
    o: dict[str, Any] = {"order_id": order_id}
    _run(r, o, _MAIN)

    legs: tuple[ComboLeg, ...] = ()
    if contract.sec_type == "BAG":
        legs = tuple(_combo_leg(r) for _ in range(r.int("comboLegs count")))
        n_prices = r.int("orderComboLegs count")
        o["order_combo_legs"] = tuple(r.opt_float("orderComboLeg price") for _ in range(n_prices))
        o["smart_combo_routing_params"] = _tag_value_pairs(r, "smartComboRoutingParams")

    r.str("sharesAllocation")  # deprecated; always empty
    _run(r, o, _FA)
    if sv < SV.FA_PROFILE_DESUPPORT:
        o["fa_profile"] = r.str("fa_profile")
    _run(r, o, _MISC)
    if o["delta_neutral_order_type"]:
        _run(r, o, _DELTA_NEUTRAL)
    _run(r, o, _SCALE)
    increment = o["scale_price_increment"]
    if increment is not None and 0 < increment < math.inf:
        _run(r, o, _SCALE_MORE)
    _run(r, o, _ACTIVE)
    if o["hedge_type"]:
        o["hedge_param"] = r.str("hedge_param")
    _run(r, o, _CLEARING)

    delta_neutral = read_delta_neutral_contract(r)

    o["algo_strategy"] = r.str("algo_strategy")
    if o["algo_strategy"]:
        o["algo_params"] = _tag_value_pairs(r, "algoParams")
    _run(r, o, _ALGO_TAIL)
    if o["order_type"] in PEG_BENCH_TYPES:
        _run(r, o, _PEG_BENCH)

    n_conditions = r.int("conditions count")
    if n_conditions:
        o["conditions"] = tuple(read_condition(r) for _ in range(n_conditions))
        o["conditions_ignore_rth"] = r.bool("conditions_ignore_rth")
        o["conditions_cancel_order"] = r.bool("conditions_cancel_order")

    _run(r, o, _ADJUSTED)
    o["soft_dollar_tier"] = SoftDollarTier(name=r.str("softDollarTier name"), value=r.str("softDollarTier value"))
    _run(r, o, _MIFID)
    for version, name, read in _VERSIONED_TAIL:
        if sv >= version:
            o[name] = read(r, name)

    if sv >= SV.PEGBEST_PEGMID_OFFSETS:
        if contract.exchange == "IBKRATS":
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

    contract = dataclasses.replace(
        contract, sec_id_type=sec_id_type, sec_id=sec_id, combo_legs=legs, delta_neutral_contract=delta_neutral
    )
    return contract, Order(**o)
