"""Value types carried by TWS messages in both directions: contracts, orders, order state, executions, bars.

They mirror IB's objects field for field in snake_case, frozen and keyword-only. "Unset" (IB's
UNSET_INTEGER / UNSET_DOUBLE, or an empty field) is `None`; quantities are `Decimal`, prices `float`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import MISSING, dataclass, field, fields
from decimal import Decimal
from typing import Any, TypeVar

_FROZEN = {"frozen": True, "slots": True, "kw_only": True}
_T = TypeVar("_T")


@dataclass(**_FROZEN)
class TagValue:
    tag: str
    value: str


@dataclass(**_FROZEN)
class ComboLeg:
    con_id: int = 0
    ratio: int = 0
    action: str = ""
    exchange: str = ""
    open_close: int = 0
    short_sale_slot: int = 0
    designated_location: str = ""
    exempt_code: int = -1


@dataclass(**_FROZEN)
class DeltaNeutralContract:
    con_id: int = 0
    delta: float = 0.0
    price: float = 0.0


@dataclass(**_FROZEN)
class Contract:
    """The 12 contract fields a client sends (plus combo legs and a delta-neutral leg where present)."""

    con_id: int = 0
    symbol: str = ""
    sec_type: str = ""
    last_trade_date_or_contract_month: str = ""
    strike: float = 0.0
    right: str = ""
    multiplier: str = ""
    exchange: str = ""
    primary_exchange: str = ""
    currency: str = ""
    local_symbol: str = ""
    trading_class: str = ""
    sec_id_type: str = ""
    sec_id: str = ""
    issuer_id: str = ""
    include_expired: bool = False
    combo_legs_descrip: str = ""
    combo_legs: tuple[ComboLeg, ...] = ()
    delta_neutral_contract: DeltaNeutralContract | None = None


@dataclass(**_FROZEN)
class SoftDollarTier:
    name: str = ""
    value: str = ""
    display_name: str = ""


# --- order conditions (wire type codes 1, 3, 4, 5, 6, 7) ---------------------------------------------


@dataclass(**_FROZEN)
class PriceCondition:
    cond_type: int = field(default=1, init=False)
    conjunction: str = "a"
    is_more: bool = True
    price: float = 0.0
    con_id: int = 0
    exchange: str = ""
    trigger_method: int = 0


@dataclass(**_FROZEN)
class TimeCondition:
    cond_type: int = field(default=3, init=False)
    conjunction: str = "a"
    is_more: bool = True
    time: str = ""


@dataclass(**_FROZEN)
class MarginCondition:
    cond_type: int = field(default=4, init=False)
    conjunction: str = "a"
    is_more: bool = True
    percent: int = 0


@dataclass(**_FROZEN)
class ExecutionCondition:
    cond_type: int = field(default=5, init=False)
    conjunction: str = "a"
    sec_type: str = ""
    exchange: str = ""
    symbol: str = ""


@dataclass(**_FROZEN)
class VolumeCondition:
    cond_type: int = field(default=6, init=False)
    conjunction: str = "a"
    is_more: bool = True
    volume: int = 0
    con_id: int = 0
    exchange: str = ""


@dataclass(**_FROZEN)
class PercentChangeCondition:
    cond_type: int = field(default=7, init=False)
    conjunction: str = "a"
    is_more: bool = True
    change_percent: float = 0.0
    con_id: int = 0
    exchange: str = ""


OrderCondition = (
    PriceCondition | TimeCondition | MarginCondition | ExecutionCondition | VolumeCondition | PercentChangeCondition
)


@dataclass(**_FROZEN)
class Order:
    """Every order attribute of placeOrder / openOrder, as ib_async 2.1.0's `Order` has them."""

    order_id: int = 0
    client_id: int = 0
    perm_id: int = 0
    action: str = ""
    total_quantity: Decimal = Decimal(0)
    order_type: str = ""
    lmt_price: float | None = None
    aux_price: float | None = None
    tif: str = ""
    active_start_time: str = ""
    active_stop_time: str = ""
    oca_group: str = ""
    oca_type: int = 0
    order_ref: str = ""
    transmit: bool = True
    parent_id: int = 0
    block_order: bool = False
    sweep_to_fill: bool = False
    display_size: int = 0
    trigger_method: int = 0
    outside_rth: bool = False
    hidden: bool = False
    good_after_time: str = ""
    good_till_date: str = ""
    rule80a: str = ""
    all_or_none: bool = False
    min_qty: int | None = None
    percent_offset: float | None = None
    override_percentage_constraints: bool = False
    trail_stop_price: float | None = None
    trailing_percent: float | None = None
    fa_group: str = ""
    fa_profile: str = ""
    fa_method: str = ""
    fa_percentage: str = ""
    designated_location: str = ""
    open_close: str = "O"
    origin: int = 0
    short_sale_slot: int = 0
    exempt_code: int = -1
    discretionary_amt: float = 0.0
    e_trade_only: bool = False
    firm_quote_only: bool = False
    nbbo_price_cap: float | None = None
    opt_out_smart_routing: bool = False
    auction_strategy: int = 0
    starting_price: float | None = None
    stock_ref_price: float | None = None
    delta: float | None = None
    stock_range_lower: float | None = None
    stock_range_upper: float | None = None
    randomize_price: bool = False
    randomize_size: bool = False
    volatility: float | None = None
    volatility_type: int | None = None
    delta_neutral_order_type: str = ""
    delta_neutral_aux_price: float | None = None
    delta_neutral_con_id: int = 0
    delta_neutral_settling_firm: str = ""
    delta_neutral_clearing_account: str = ""
    delta_neutral_clearing_intent: str = ""
    delta_neutral_open_close: str = ""
    delta_neutral_short_sale: bool = False
    delta_neutral_short_sale_slot: int = 0
    delta_neutral_designated_location: str = ""
    continuous_update: bool = False
    reference_price_type: int | None = None
    basis_points: float | None = None
    basis_points_type: int | None = None
    scale_init_level_size: int | None = None
    scale_subs_level_size: int | None = None
    scale_price_increment: float | None = None
    scale_price_adjust_value: float | None = None
    scale_price_adjust_interval: int | None = None
    scale_profit_offset: float | None = None
    scale_auto_reset: bool = False
    scale_init_position: int | None = None
    scale_init_fill_qty: int | None = None
    scale_random_percent: bool = False
    scale_table: str = ""
    hedge_type: str = ""
    hedge_param: str = ""
    account: str = ""
    settling_firm: str = ""
    clearing_account: str = ""
    clearing_intent: str = ""
    algo_strategy: str = ""
    algo_params: tuple[TagValue, ...] = ()
    smart_combo_routing_params: tuple[TagValue, ...] = ()
    algo_id: str = ""
    what_if: bool = False
    not_held: bool = False
    solicited: bool = False
    model_code: str = ""
    order_combo_legs: tuple[float | None, ...] = ()
    order_misc_options: tuple[TagValue, ...] = ()
    reference_contract_id: int = 0
    pegged_change_amount: float = 0.0
    is_pegged_change_amount_decrease: bool = False
    reference_change_amount: float = 0.0
    reference_exchange_id: str = ""
    adjusted_order_type: str = ""
    trigger_price: float | None = None
    adjusted_stop_price: float | None = None
    adjusted_stop_limit_price: float | None = None
    adjusted_trailing_amount: float | None = None
    adjustable_trailing_unit: int = 0
    lmt_price_offset: float | None = None
    conditions: tuple[OrderCondition, ...] = ()
    conditions_cancel_order: bool = False
    conditions_ignore_rth: bool = False
    ext_operator: str = ""
    soft_dollar_tier: SoftDollarTier = field(default_factory=SoftDollarTier)
    cash_qty: float | None = None
    mifid2_decision_maker: str = ""
    mifid2_decision_algo: str = ""
    mifid2_execution_trader: str = ""
    mifid2_execution_algo: str = ""
    dont_use_auto_price_for_hedge: bool = False
    is_oms_container: bool = False
    discretionary_up_to_limit_price: bool = False
    auto_cancel_date: str = ""
    filled_quantity: Decimal | None = None
    ref_futures_con_id: int = 0
    auto_cancel_parent: bool = False
    shareholder: str = ""
    imbalance_only: bool = False
    route_marketable_to_bbo: bool = False
    parent_perm_id: int = 0
    use_price_mgmt_algo: bool = False
    duration: int | None = None
    post_to_ats: int | None = None
    advanced_error_override: str = ""
    manual_order_time: str = ""
    min_trade_qty: int | None = None
    min_compete_size: int | None = None
    compete_against_best_offset: float | None = None
    mid_offset_at_whole: float | None = None
    mid_offset_at_half: float | None = None
    # server versions 183..199 (IB's 10.30+ clients)
    customer_account: str = ""
    professional_customer: bool = False
    bond_accrued_interest: str = ""  # openOrder only
    include_overnight: bool = False
    manual_order_indicator: int | None = None  # CME tagging: 0 electronic, 1 manual
    submitter: str = ""  # the TWS user who submitted the order (openOrder, completedOrder)


def fast_constructor(cls: type[_T]) -> Callable[..., _T]:
    """`build(...)`: the same object as `cls(...)` for a frozen, slotted dataclass, at a fraction of the cost.

    A frozen dataclass's __init__ stores each field through `object.__setattr__`, about 80 ns a field: 12-15 us
    for the 139 fields of an `Order`, paid by every placeOrder decoded and every openOrder built. `build` makes
    an instance of a twin class with the very same slots, fills them by plain attribute writes, then turns it
    into a `cls`: the layouts are identical, so CPython allows the `__class__` change (a mismatch would be a
    TypeError, never a wrong value), and from then on it is as frozen as any other. The code is generated from
    the fields, as dataclasses generates __init__, so it cannot drift from them; a class with what it would skip
    (a __post_init__, a field __init__ does not take) is refused. Parameters are in field order and also
    positional when every field has a default: `build(*values)` with one value per field is the cheapest call.
    """
    fields_ = fields(cls)  # type: ignore[arg-type]
    names = tuple(f.name for f in fields_)
    if hasattr(cls, "__post_init__") or not all(f.init for f in fields_) or getattr(cls, "__slots__", None) != names:
        raise TypeError(f"{cls.__name__} is not a plain frozen slotted dataclass")
    env: dict[str, Any] = {"_Twin": type(f"_{cls.__name__}Twin", (), {"__slots__": names}), "_cls": cls}
    params, body = [], []
    for f in fields_:
        if f.default_factory is not MISSING:
            env[f"_f_{f.name}"], env["_MISSING"] = f.default_factory, MISSING
            params.append(f"{f.name}=_MISSING")
            body.append(f"    o.{f.name} = _f_{f.name}() if {f.name} is _MISSING else {f.name}")
        else:
            if f.default is not MISSING:
                env[f"_d_{f.name}"] = f.default
            params.append(f.name if f.default is MISSING else f"{f.name}=_d_{f.name}")
            body.append(f"    o.{f.name} = {f.name}")
    positional = all(f.default is not MISSING or f.default_factory is not MISSING for f in fields_)
    head = f"def build({'' if positional else '*, '}{', '.join(params)}):"
    exec("\n".join([head, "    o = _Twin()", *body, "    o.__class__ = _cls", "    return o"]), env)
    build: Callable[..., _T] = env["build"]
    return build


build_order = fast_constructor(Order)
build_contract = fast_constructor(Contract)


@dataclass(**_FROZEN)
class OrderState:
    """What openOrder / completedOrder report beside the order: status, margin impact, commission."""

    status: str = ""
    init_margin_before: str = ""
    maint_margin_before: str = ""
    equity_with_loan_before: str = ""
    init_margin_change: str = ""
    maint_margin_change: str = ""
    equity_with_loan_change: str = ""
    init_margin_after: str = ""
    maint_margin_after: str = ""
    equity_with_loan_after: str = ""
    commission: float | None = None
    min_commission: float | None = None
    max_commission: float | None = None
    commission_currency: str = ""
    warning_text: str = ""
    completed_time: str = ""
    completed_status: str = ""
    # the full what-if preview (server version 195, FULL_ORDER_PREVIEW_FIELDS)
    margin_currency: str = ""
    init_margin_before_outside_rth: float | None = None
    maint_margin_before_outside_rth: float | None = None
    equity_with_loan_before_outside_rth: float | None = None
    init_margin_change_outside_rth: float | None = None
    maint_margin_change_outside_rth: float | None = None
    equity_with_loan_change_outside_rth: float | None = None
    init_margin_after_outside_rth: float | None = None
    maint_margin_after_outside_rth: float | None = None
    equity_with_loan_after_outside_rth: float | None = None
    suggested_size: Decimal | None = None
    reject_reason: str = ""
    order_allocations: tuple[OrderAllocation, ...] = ()


@dataclass(**_FROZEN)
class OrderAllocation:
    """One account's share of an advisor's what-if order (server version 195)."""

    account: str = ""
    position: Decimal | None = None
    position_desired: Decimal | None = None
    position_after: Decimal | None = None
    desired_alloc_qty: Decimal | None = None
    allowed_alloc_qty: Decimal | None = None
    is_monetary: bool = False


@dataclass(**_FROZEN)
class Execution:
    exec_id: str = ""
    time: str = ""  # "YYYYMMDD HH:MM:SS TZ" or "YYYYMMDD-HH:MM:SS" as TWS writes it
    acct_number: str = ""
    exchange: str = ""
    side: str = ""  # BOT / SLD
    shares: Decimal = Decimal(0)
    price: float = 0.0
    perm_id: int = 0
    client_id: int = 0
    order_id: int = 0
    liquidation: int = 0
    cum_qty: Decimal = Decimal(0)
    avg_price: float = 0.0
    order_ref: str = ""
    ev_rule: str = ""
    ev_multiplier: float | None = None
    model_code: str = ""
    last_liquidity: int = 0
    pending_price_revision: bool = False
    submitter: str = ""  # server version 198


@dataclass(**_FROZEN)
class ContractDetails:
    """A contract as reqContractDetails describes it (non-bond fields)."""

    contract: Contract
    market_name: str = ""
    min_tick: float = 0.01
    order_types: str = ""
    valid_exchanges: str = ""
    price_magnifier: int = 1
    under_con_id: int = 0
    long_name: str = ""
    contract_month: str = ""
    industry: str = ""
    category: str = ""
    subcategory: str = ""
    time_zone_id: str = ""
    trading_hours: str = ""
    liquid_hours: str = ""
    ev_rule: str = ""
    ev_multiplier: float | None = None
    md_size_multiplier: int = 1
    agg_group: int | None = None
    under_symbol: str = ""
    under_sec_type: str = ""
    market_rule_ids: str = ""
    sec_id_list: tuple[TagValue, ...] = ()
    real_expiration_date: str = ""
    last_trade_time: str = ""
    stock_type: str = ""
    min_size: Decimal = Decimal(1)
    size_increment: Decimal = Decimal(1)
    suggested_size_increment: Decimal = Decimal(1)
    last_trade_date: str = ""  # server version 182; empty: the date of a dated contract's combined field
    fund: FundData | None = None  # server version 179, secType FUND only
    ineligibility_reasons: tuple[IneligibilityReason, ...] = ()  # server version 186


@dataclass(**_FROZEN)
class FundData:
    """A mutual fund's terms in contractDetails (server version 179); IB sends most of them as text."""

    name: str = ""
    family: str = ""
    type: str = ""
    front_load: str = ""
    back_load: str = ""
    back_load_time_interval: str = ""
    management_fee: str = ""
    closed: bool = False
    closed_for_new_investors: bool = False
    closed_for_new_money: bool = False
    notify_amount: str = ""
    minimum_initial_purchase: str = ""
    subsequent_minimum_purchase: str = ""
    blue_sky_states: str = ""
    blue_sky_territories: str = ""
    distribution_policy_indicator: str = ""  # IB's codes: "N" accumulation, "Y" income
    asset_type: str = ""  # IB's codes: "000" others, "001" money market, "002" fixed income, ... "007"


@dataclass(**_FROZEN)
class IneligibilityReason:
    """Why an account may not trade a contract (server version 186)."""

    id: str = ""
    description: str = ""


@dataclass(**_FROZEN)
class ContractDescription:
    """One reqMatchingSymbols answer: a contract and the derivative security types it has."""

    contract: Contract
    derivative_sec_types: tuple[str, ...] = ()
    description: str = ""
    issuer_id: str = ""


@dataclass(**_FROZEN)
class Bar:
    """One historical bar; `date` is already the text formatDate asks for."""

    date: str
    open: float
    high: float
    low: float
    close: float
    volume: Decimal
    wap: Decimal
    bar_count: int


@dataclass(**_FROZEN)
class BarColumns:
    """Many bars as columns, as a server writes a long historicalData (`HistoricalData.bars`) without an object
    per bar. Written exactly as the `Bar`s of `bar(i)` would be: `volume` is whole units (Decimal(volume)),
    `wap` the float whose repr is the WAP's text (Decimal(repr(wap)))."""

    date: tuple[str, ...]
    open: tuple[float, ...]
    high: tuple[float, ...]
    low: tuple[float, ...]
    close: tuple[float, ...]
    volume: tuple[int, ...]
    wap: tuple[float, ...]
    bar_count: tuple[int, ...]

    def __len__(self) -> int:
        return len(self.date)

    def __getitem__(self, i: int) -> Bar:
        return self.bar(i)

    def __iter__(self) -> Iterator[Bar]:
        return iter(self.bars())

    def bar(self, i: int) -> Bar:
        """Bar `i` (negative counts from the end) as a `Bar`."""
        return Bar(
            date=self.date[i],
            open=self.open[i],
            high=self.high[i],
            low=self.low[i],
            close=self.close[i],
            volume=Decimal(self.volume[i]),
            wap=Decimal(repr(self.wap[i])),
            bar_count=self.bar_count[i],
        )

    def bars(self) -> tuple[Bar, ...]:
        return tuple(self.bar(i) for i in range(len(self)))


@dataclass(**_FROZEN)
class PriceIncrement:
    low_edge: float
    increment: float
