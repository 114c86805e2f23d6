"""The risk gate: every check of `CHECKS` in its fixed order, a `Verdict` with every refusal, and the events.

Every order passes `RiskGate.check` before the order manager sends it; a refused order is never sent and each
refusal becomes a `RiskEvent` for the caller to journal and notify. Cancels are never refused
(`check_cancel` exists so the caller's path reads the same for both). The checks run in this order, and all
of them run, so an operator sees every reason at once; the first refusal is the decisive one:

1. mode (HALTED and MONITOR_ONLY refuse every order; REDUCE_ONLY only reducing ones)
2. daily_loss (past `daily_loss_limit`: only reducing orders)
3. asset_class, 4. trading_hours
5. order_quantity, 6. order_notional
7. price_band (limit and stop prices), 8. market_band (market orders)
9. position_quantity, 10. position_notional, 11. gross_exposure
12. working_orders, 13. working_orders_per_instrument
14. order_rate

The gate holds no state: the mode comes in the context (the caller keeps a `RiskState`), and `assess` turns
the day's PnL into the daily-loss trip for the caller to save.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ibbot.errors import RiskRefusedError
from ibbot.model import OrderRequest, PnL
from ibbot.protocol.types import fast_constructor
from ibbot.risk import checks
from ibbot.risk.checks import Check, Refusal
from ibbot.risk.context import RiskContext
from ibbot.risk.limits import RiskLimits
from ibbot.risk.state import Mode, RiskState

CHECKS: tuple[tuple[str, Check], ...] = (
    ("mode", checks.check_mode),
    ("daily_loss", checks.check_daily_loss),
    ("asset_class", checks.check_asset_class),
    ("trading_hours", checks.check_trading_hours),
    ("order_quantity", checks.check_order_quantity),
    ("order_notional", checks.check_order_notional),
    ("price_band", checks.check_price_band),
    ("market_band", checks.check_market_band),
    ("position_quantity", checks.check_position_quantity),
    ("position_notional", checks.check_position_notional),
    ("gross_exposure", checks.check_gross_exposure),
    ("working_orders", checks.check_working_orders),
    ("working_orders_per_instrument", checks.check_working_orders_per_instrument),
    ("order_rate", checks.check_order_rate),
)


def _never(limits: RiskLimits) -> bool:
    return False


# Checks that return None at once, whatever the order, when these say their limit is off (see each check).
_SWITCHED_OFF: dict[Check, Callable[[RiskLimits], bool]] = {
    checks.check_daily_loss: lambda limits: limits.daily_loss_limit is None,
    checks.check_trading_hours: lambda limits: limits.allow_outside_hours,
    checks.check_order_quantity: lambda limits: limits.max_order_quantity is None,
    checks.check_order_notional: lambda limits: limits.max_order_notional is None,
    checks.check_price_band: lambda limits: limits.price_band_percent is None,
    checks.check_market_band: lambda limits: limits.market_band_percent is None,
    checks.check_position_quantity: lambda limits: limits.max_position_quantity is None,
    checks.check_position_notional: lambda limits: limits.max_position_notional is None,
    checks.check_gross_exposure: lambda limits: limits.max_gross_exposure is None,
    checks.check_working_orders: lambda limits: limits.max_working_orders is None,
    checks.check_working_orders_per_instrument: lambda limits: limits.max_working_orders_per_instrument is None,
    checks.check_order_rate: lambda limits: limits.max_orders_per_window is None,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskEvent:
    """One refusal (or a daily-loss trip) for the journal and notifications."""

    time: datetime
    check: str
    reason: str
    order_ref: str = ""
    strategy: str = ""
    mode: Mode = Mode.NORMAL


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    """The gate's answer for one order: allowed iff no check refused it."""

    time: datetime
    mode: Mode
    order_ref: str = ""
    strategy: str = ""
    refusals: tuple[Refusal, ...] = ()

    @property
    def allowed(self) -> bool:
        return not self.refusals

    @property
    def check(self) -> str:
        """The decisive (first) refusal's check, "" when allowed."""
        return self.refusals[0].check if self.refusals else ""

    @property
    def reason(self) -> str:
        """The decisive (first) refusal's reason, "" when allowed."""
        return self.refusals[0].reason if self.refusals else ""

    @property
    def events(self) -> tuple[RiskEvent, ...]:
        """One event per refusal, in check order."""
        return tuple(
            RiskEvent(
                time=self.time,
                check=r.check,
                reason=r.reason,
                order_ref=self.order_ref,
                strategy=self.strategy,
                mode=self.mode,
            )
            for r in self.refusals
        )

    def raise_if_refused(self) -> None:
        if self.refusals:
            raise RiskRefusedError(self.check, self.reason)


_new_verdict = fast_constructor(Verdict)  # the same object as Verdict(...), a third of the cost (one per order)


class RiskGate:
    """Runs the checks of `checks` (default `CHECKS`) against `limits`; pure, holds nothing between calls."""

    def __init__(self, limits: RiskLimits, *, checks: tuple[tuple[str, Check], ...] = CHECKS) -> None:
        self.limits = limits
        self.checks = checks
        self._active: tuple[Check, ...] = ()
        self._built_for: tuple[RiskLimits, tuple[tuple[str, Check], ...]] | None = None

    def active(self) -> tuple[Check, ...]:
        """The checks that can refuse anything under `limits`: those whose limit is switched off pass every
        order without looking at it, so they are left out, once per limits (rebuilt if either is replaced)."""
        built = self._built_for
        if built is None or built[0] is not self.limits or built[1] is not self.checks:
            limits = self.limits
            self._active = tuple(run for _, run in self.checks if not _SWITCHED_OFF.get(run, _never)(limits))
            self._built_for = (limits, self.checks)
        return self._active

    def check(self, request: OrderRequest, context: RiskContext) -> Verdict:
        limits = self.limits
        context.memo.clear()  # nothing of another call's (module context's `memo`)
        refused: list[Refusal] = []
        for run in self.active():
            refusal = run(request, context, limits)
            if refusal is not None:
                refused.append(refusal)
        return _new_verdict(
            time=context.now,
            mode=context.mode,
            order_ref=request.order_ref,
            strategy=request.strategy,
            refusals=tuple(refused),
        )

    def check_cancel(self, order_ref: str, context: RiskContext) -> Verdict:
        """Cancels are never refused, whatever the mode: pulling an order can only reduce risk."""
        return Verdict(time=context.now, mode=context.mode, order_ref=order_ref)

    def assess(self, state: RiskState, pnl: PnL, now: datetime) -> tuple[RiskState, RiskEvent | None]:
        """The state after today's PnL: tripped to reduce-only once the loss passes `daily_loss_limit`."""
        limit = self.limits.daily_loss_limit
        loss = -pnl.daily
        if limit is None or loss <= limit or state.daily_loss_tripped:
            return state, None
        reason = (
            f"daily loss {checks.num(loss)} {self.limits.currency} exceeds daily_loss_limit {checks.num(limit)}: "
            "reduce-only until the next trading day"
        )
        tripped = state.trip_daily_loss(reason, now)
        return tripped, RiskEvent(time=now, check="daily_loss", reason=reason, mode=tripped.effective)
