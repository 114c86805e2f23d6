"""Server messages describing instruments: contract details, symbol search, option chains, market rules.

Theory of operation: contractDetails (10) is the one layout with version-dependent fields. Below SV 164
(SIZE_RULES) it starts with a version field [8] and carries the obsolete mdSizeMultiplier after minTick; at
exactly 163 (FRACTIONAL_SIZE_SUPPORT) one size field (IB's obsolete sizeMinTick) follows stockType, which
ib_async 2.1.0 stores as suggestedSizeIncrement; from 164 on come minSize, sizeIncrement and
suggestedSizeIncrement. The last-trade date, time and time zone travel in one field, split on spaces.
IB's 10.x clients read more, as the official decoder does: lastTradeDate after that combined field (182), a
fund's 17 fields after the size rules when secType is FUND (179), then the ineligibility reasons (186);
bondContractDetails gains timeZoneId, tradingHours and liquidHours after longName (188).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ibbot.errors import LocalProtocolError
from ibbot.protocol.fields import fmt_bool, fmt_decimal, fmt_float, fmt_int, fmt_num
from ibbot.protocol.framing import frame_fields
from ibbot.protocol.ids import SV, ServerMsgId
from ibbot.protocol.responses.base import FROZEN, Encoder, Response, tag_value_fields
from ibbot.protocol.types import (
    ContractDescription,
    ContractDetails,
    DeltaNeutralContract,
    FundData,
    PriceIncrement,
    SoftDollarTier,
)

_CONTRACT_DATA_VERSION = "8"  # ibapi 9.81 reads evRule/evMultiplier only from version 8
_BOND_CONTRACT_DATA_VERSION = "6"  # ibapi 9.81 reads evRule/evMultiplier only from version 6


@dataclass(**FROZEN)
class ContractDetailsMsg(Response):
    """contractDetails (10): one answer to reqContractDetails."""

    msg_id = ServerMsgId.CONTRACT_DATA
    req_id: int
    details: ContractDetails


@dataclass(**FROZEN)
class ContractDetailsEnd(Response):
    msg_id = ServerMsgId.CONTRACT_DATA_END
    req_id: int


@dataclass(**FROZEN)
class BondTerms:
    """The bond-only part of bondContractDetails; `maturity` takes the last-trade date's place."""

    cusip: str = ""
    coupon: float = 0.0  # ibapi 9.81 reads it with int(): only whole coupons reach that client
    maturity: str = ""
    issue_date: str = ""
    ratings: str = ""
    bond_type: str = ""
    coupon_type: str = ""
    convertible: bool = False
    callable: bool = False
    putable: bool = False
    desc_append: str = ""
    next_option_date: str = ""
    next_option_type: str = ""
    next_option_partial: bool = False
    notes: str = ""


@dataclass(**FROZEN)
class BondContractDetailsMsg(Response):
    """bondContractDetails (18): reqContractDetails for a bond; `details` gives the shared fields."""

    msg_id = ServerMsgId.BOND_CONTRACT_DATA
    req_id: int
    details: ContractDetails
    bond: BondTerms


@dataclass(**FROZEN)
class SymbolSamples(Response):
    """symbolSamples (79): the answer to reqMatchingSymbols."""

    msg_id = ServerMsgId.SYMBOL_SAMPLES
    req_id: int
    descriptions: tuple[ContractDescription, ...]


@dataclass(**FROZEN)
class SecurityDefinitionOptionParameter(Response):
    """securityDefinitionOptionParameter (75): one exchange's option chain for reqSecDefOptParams."""

    msg_id = ServerMsgId.SECURITY_DEFINITION_OPTION_PARAMETER
    req_id: int
    exchange: str
    underlying_con_id: int
    trading_class: str
    multiplier: str
    expirations: tuple[str, ...]
    strikes: tuple[float, ...]


@dataclass(**FROZEN)
class SecurityDefinitionOptionParameterEnd(Response):
    msg_id = ServerMsgId.SECURITY_DEFINITION_OPTION_PARAMETER_END
    req_id: int


@dataclass(**FROZEN)
class MarketRule(Response):
    """marketRule (93): the price increments of one market rule id."""

    msg_id = ServerMsgId.MARKET_RULE
    market_rule_id: int
    increments: tuple[PriceIncrement, ...]


@dataclass(**FROZEN)
class FamilyCode:
    account_id: str
    family_code: str


@dataclass(**FROZEN)
class FamilyCodes(Response):
    msg_id = ServerMsgId.FAMILY_CODES
    codes: tuple[FamilyCode, ...]


@dataclass(**FROZEN)
class SoftDollarTiers(Response):
    msg_id = ServerMsgId.SOFT_DOLLAR_TIERS
    req_id: int
    tiers: tuple[SoftDollarTier, ...]


@dataclass(**FROZEN)
class DeltaNeutralValidation(Response):
    """deltaNeutralValidation (56): the delta-neutral leg TWS accepted for an order."""

    msg_id = ServerMsgId.DELTA_NEUTRAL_VALIDATION
    req_id: int
    contract: DeltaNeutralContract


# --- field helpers -------------------------------------------------------------------------------------


def _last_times(date: str, time: str, zone: str) -> str:
    """The combined "date [time [zone]]" field.

    ibapi 9.81 splits it on whitespace; ib_async splits on "-" when the text has one, so a zone such as
    Etc/GMT-5 would break the date apart: such a zone is left out here (its own field still carries it).
    """
    parts = [date]
    if time:
        parts.append(time)
        if zone and "-" not in zone and not any(ch.isspace() for ch in zone):
            parts.append(zone)
    return " ".join(parts)


def _escaped(text: str) -> str:
    # Both clients pass longName through a unicode-escape decode (ibapi from SV 153, ENCODE_MSG_ASCII7).
    return text.encode("unicode_escape").decode("ascii")


def _int_text(value: float | None, what: str) -> str:
    """A value both clients read with int(): integral or unset, anything else cannot be sent."""
    if value is None:
        return ""
    if not math.isfinite(value) or value != int(value):
        raise LocalProtocolError(f"{what} must be integral for the clients' int() readers, got {value}")
    return str(int(value))


def _size_rules(d: ContractDetails) -> list[str]:
    """minSize, sizeIncrement, suggestedSizeIncrement: the tail of both details messages from SIZE_RULES."""
    return [fmt_decimal(d.min_size), fmt_decimal(d.size_increment), fmt_decimal(d.suggested_size_increment)]


# --- encoders -----------------------------------------------------------------------------------------


def _contract_details(m: ContractDetailsMsg, sv: int) -> bytes:
    d = m.details
    c = d.contract
    old = sv < SV.SIZE_RULES
    fields = ["10", _CONTRACT_DATA_VERSION] if old else ["10"]
    fields += [
        fmt_int(m.req_id),
        c.symbol,
        c.sec_type,
        _last_times(c.last_trade_date_or_contract_month, d.last_trade_time, d.time_zone_id),
    ]
    if sv >= SV.LAST_TRADE_DATE:
        fields.append(_last_trade_date(d))
    fields += [
        fmt_float(c.strike),
        c.right,
        c.exchange,
        c.currency,
        c.local_symbol,
        d.market_name,
        c.trading_class,
        fmt_int(c.con_id),
        fmt_float(d.min_tick),
    ]
    if old:
        fields.append(fmt_int(d.md_size_multiplier))
    fields += [
        c.multiplier,
        d.order_types,
        d.valid_exchanges,
        fmt_int(d.price_magnifier),
        fmt_int(d.under_con_id),
        _escaped(d.long_name),
        c.primary_exchange,
        d.contract_month,
        d.industry,
        d.category,
        d.subcategory,
        d.time_zone_id,
        d.trading_hours,
        d.liquid_hours,
        d.ev_rule,
        _int_text(d.ev_multiplier, "evMultiplier"),
        *tag_value_fields(d.sec_id_list),
        fmt_int(d.agg_group),
        d.under_symbol,
        d.under_sec_type,
        d.market_rule_ids,
        d.real_expiration_date,
        d.stock_type,
    ]
    if sv == SV.FRACTIONAL_SIZE_SUPPORT:
        fields.append(fmt_decimal(d.suggested_size_increment))  # IB's sizeMinTick; ib_async reads it so
    elif not old:
        fields += _size_rules(d)
    if sv >= SV.FUND_DATA_FIELDS and c.sec_type == "FUND":
        fields += _fund_fields(d.fund or _NO_FUND)
    if sv >= SV.INELIGIBILITY_REASONS:
        fields.append(fmt_int(len(d.ineligibility_reasons)))
        for reason in d.ineligibility_reasons:
            fields += [reason.id, reason.description]
    return frame_fields(fields)


_NO_FUND = FundData()


def _last_trade_date(d: ContractDetails) -> str:
    """lastTradeDate (182): as given, else the date of a dated contract (an expiry, not a contract month)."""
    if d.last_trade_date:
        return d.last_trade_date
    date = d.contract.last_trade_date_or_contract_month
    return date if len(date) == 8 and date.isdigit() else ""


def _fund_fields(f: FundData) -> list[str]:
    return [
        f.name,
        f.family,
        f.type,
        f.front_load,
        f.back_load,
        f.back_load_time_interval,
        f.management_fee,
        fmt_bool(f.closed),
        fmt_bool(f.closed_for_new_investors),
        fmt_bool(f.closed_for_new_money),
        f.notify_amount,
        f.minimum_initial_purchase,
        f.subsequent_minimum_purchase,
        f.blue_sky_states,
        f.blue_sky_territories,
        f.distribution_policy_indicator,
        f.asset_type,
    ]


def _contract_details_end(m: ContractDetailsEnd, sv: int) -> bytes:
    return frame_fields(["52", "1", fmt_int(m.req_id)])


def _bond_contract_details(m: BondContractDetailsMsg, sv: int) -> bytes:
    d = m.details
    c = d.contract
    b = m.bond
    old = sv < SV.SIZE_RULES
    fields = ["18", _BOND_CONTRACT_DATA_VERSION] if old else ["18"]
    fields += [
        fmt_int(m.req_id),
        c.symbol,
        c.sec_type,
        b.cusip,
        fmt_num(b.coupon),
        # Bonds are the one case where both clients read the zone from the combined field.
        _last_times(b.maturity, d.last_trade_time, d.time_zone_id),
        b.issue_date,
        b.ratings,
        b.bond_type,
        b.coupon_type,
        fmt_bool(b.convertible),
        fmt_bool(b.callable),
        fmt_bool(b.putable),
        b.desc_append,
        c.exchange,
        c.currency,
        d.market_name,
        c.trading_class,
        fmt_int(c.con_id),
        fmt_float(d.min_tick),
    ]
    if old:
        fields.append(fmt_int(d.md_size_multiplier))
    fields += [
        d.order_types,
        d.valid_exchanges,
        b.next_option_date,
        b.next_option_type,
        fmt_bool(b.next_option_partial),
        b.notes,
        d.long_name,  # no unicode-escape decode for bonds in either client
    ]
    if sv >= SV.BOND_TRADING_HOURS:
        fields += [d.time_zone_id, d.trading_hours, d.liquid_hours]
    fields += [
        d.ev_rule,
        _int_text(d.ev_multiplier, "evMultiplier"),
        *tag_value_fields(d.sec_id_list),
        fmt_int(d.agg_group),
        d.market_rule_ids,
    ]
    if not old:
        fields += _size_rules(d)
    return frame_fields(fields)


def _symbol_samples(m: SymbolSamples, sv: int) -> bytes:
    fields = ["79", fmt_int(m.req_id), fmt_int(len(m.descriptions))]
    for desc in m.descriptions:
        c = desc.contract
        fields += [
            fmt_int(c.con_id),
            c.symbol,
            c.sec_type,
            c.primary_exchange,
            c.currency,
            fmt_int(len(desc.derivative_sec_types)),
            *desc.derivative_sec_types,
        ]
        if sv >= SV.BOND_ISSUERID:
            fields += [desc.description, desc.issuer_id]
    return frame_fields(fields)


def _sec_def_opt_params(m: SecurityDefinitionOptionParameter, sv: int) -> bytes:
    # ib_async takes every field after the strike count as a strike: nothing may follow them.
    return frame_fields(
        [
            "75",
            fmt_int(m.req_id),
            m.exchange,
            fmt_int(m.underlying_con_id),
            m.trading_class,
            m.multiplier,
            fmt_int(len(m.expirations)),
            *m.expirations,
            fmt_int(len(m.strikes)),
            *(fmt_float(strike) for strike in m.strikes),
        ]
    )


def _sec_def_opt_params_end(m: SecurityDefinitionOptionParameterEnd, sv: int) -> bytes:
    return frame_fields(["76", fmt_int(m.req_id)])


def _market_rule(m: MarketRule, sv: int) -> bytes:
    fields = ["93", fmt_int(m.market_rule_id), fmt_int(len(m.increments))]
    for inc in m.increments:
        fields += [fmt_float(inc.low_edge), fmt_float(inc.increment)]
    return frame_fields(fields)


def _family_codes(m: FamilyCodes, sv: int) -> bytes:
    fields = ["78", fmt_int(len(m.codes))]
    for code in m.codes:
        fields += [code.account_id, code.family_code]
    return frame_fields(fields)


def _soft_dollar_tiers(m: SoftDollarTiers, sv: int) -> bytes:
    fields = ["77", fmt_int(m.req_id), fmt_int(len(m.tiers))]
    for tier in m.tiers:
        fields += [tier.name, tier.value, tier.display_name]
    return frame_fields(fields)


def _delta_neutral_validation(m: DeltaNeutralValidation, sv: int) -> bytes:
    dn = m.contract
    return frame_fields(["56", "1", fmt_int(m.req_id), fmt_int(dn.con_id), fmt_float(dn.delta), fmt_float(dn.price)])


ENCODERS: dict[type[Response], Encoder] = {
    ContractDetailsMsg: _contract_details,
    ContractDetailsEnd: _contract_details_end,
    BondContractDetailsMsg: _bond_contract_details,
    SymbolSamples: _symbol_samples,
    SecurityDefinitionOptionParameter: _sec_def_opt_params,
    SecurityDefinitionOptionParameterEnd: _sec_def_opt_params_end,
    MarketRule: _market_rule,
    FamilyCodes: _family_codes,
    SoftDollarTiers: _soft_dollar_tiers,
    DeltaNeutralValidation: _delta_neutral_validation,
}
