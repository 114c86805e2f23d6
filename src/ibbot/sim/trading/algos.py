"""IB's algos in the simulator (placeOrder's algoStrategy and algoParams): which strategies and parameters TWS
accepts (error 400 otherwise), and how each one works an order, simplified and deterministic. Pure.

Theory of operation
-------------------
* Checks (`check`): strategy names as IB spells them, compared without case: Adaptive, ArrivalPx, Vwap, Twap.
  IB's other algos (PctVol, DarkIce, ClosePx ...) and unknown names are refused, as are tags the algo does not
  take, values outside IB's ranges, an order type the algo does not work (LMT or MKT only) and a security type
  it does not trade (Adaptive: stocks, options, futures; the others: stocks). The order keeps the strategy and
  its parameters exactly as sent (openOrder echoes them), plus the window its schedule runs in.
* Adaptive (`adaptive`): the working price starts between the midpoint and the touch the order would take
  (Patient at the midpoint, Normal 3/8 and Urgent 1/4 of the spread from the touch) and walks to the touch over
  the priority's horizon H (Patient 15 min, Normal 5 min, Urgent 1 min), never past the limit. It fills at the
  touch once its price reaches it (or the market comes through the limit), and inside the spread at its working
  price once it has worked H x d, d its distance from the touch in spreads: a sell limited at the midpoint of
  a market that does not move (d = 1/2) fills after H / 2, a Patient one in 7.5 minutes, an Urgent one in 30 s.
* Vwap, Twap, ArrivalPx (`scheduled`): between startTime and endTime (default: now to the regular close) the
  quantity filled follows a schedule of the window's elapsed share t: TWAP t, VWAP the share of a U-shaped
  intraday volume curve (w(u) = 1 + 2 (2u - 1)^2 over the 9:30-16:00 session), ArrivalPx front-loaded,
  1 - (1 - t)^k with k = 4, 3, 2, 1.3 for riskAversion Get Done, Aggressive, Neutral, Passive. At each quote the
  shortfall fills (whole units for whole quantities) at the touch, within the limit; Twap's Matching Midpoint,
  Matching Same Side and Matching Last work at the midpoint, the own side and the last price, Vwap's noTakeLiq
  on the own side. What is left at endTime fills at the touch. maxPctVol is checked, not enforced: the book's
  displayed sizes bound every fill.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, Decimal
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ibbot.sim.errors import Rejection
from ibbot.sim.trading.orders import OrderSpec
from ibbot.sim.trading.working import Quote

ALGO_ERROR = 400
NEW_YORK = ZoneInfo("America/New_York")
ADAPTIVE, ARRIVAL, VWAP, TWAP = "adaptive", "arrivalpx", "vwap", "twap"
HORIZON = MappingProxyType({"urgent": 60.0, "normal": 300.0, "patient": 900.0})  # seconds
START_DISTANCE = MappingProxyType({"urgent": 0.25, "normal": 0.375, "patient": 0.5})  # spreads from the touch
RISK_EXPONENT = MappingProxyType({"get done": 4.0, "aggressive": 3.0, "neutral": 2.0, "passive": 1.3})
TWAP_STYLES = ("marketable", "matching midpoint", "matching same side", "matching last")
NOT_SIMULATED = frozenset(
    {"pctvol", "pctvolpx", "pctvolsz", "pctvoltm", "darkice", "closepx", "ad", "balanceimpactrisk", "minimpact"}
)
_SESSION = (time(9, 30), time(16, 0))
ZERO, ONE = Decimal(0), Decimal(1)


def algo_error(reason: str) -> Rejection:
    return Rejection(code=ALGO_ERROR, text=f"Algo order error. {reason}")


# --- checking placeOrder's algo -------------------------------------------------------------------------------


def _choice(*allowed: str) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        return None if value.strip().lower() in allowed else f"must be one of {', '.join(a.title() for a in allowed)}"

    return check


def _fraction(low: float, high: float) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        try:
            number = float(value)
        except ValueError:
            return "must be a number"
        return None if low <= number <= high else f"must be between {low:g} and {high:g}"

    return check


def _flag(value: str) -> str | None:
    return None if value.strip().lower() in {"0", "1", "true", "false"} else "must be 0 or 1"


_ANY_DAY = datetime(2024, 1, 2, tzinfo=UTC)  # to check a time's text (the order's own `now` places it)


def _time(value: str) -> str | None:
    return None if value.strip() == "" or _parse_time(value, _ANY_DAY) is not None else "is not a time"


_WINDOW = {"startTime": _time, "endTime": _time, "allowPastEndTime": _flag}


@dataclass(frozen=True, slots=True)
class AlgoRules:
    name: str  # as IB spells it
    params: Mapping[str, Callable[[str], str | None]]
    sec_types: frozenset[str]


ALGOS: Mapping[str, AlgoRules] = MappingProxyType(
    {
        ADAPTIVE: AlgoRules(
            "Adaptive",
            {"adaptivePriority": _choice("urgent", "normal", "patient")},
            frozenset({"STK", "OPT", "FUT", "FOP"}),
        ),
        ARRIVAL: AlgoRules(
            "ArrivalPx",
            {
                "maxPctVol": _fraction(0.1, 0.5),
                "riskAversion": _choice(*RISK_EXPONENT),
                "forceCompletion": _flag,
                **_WINDOW,
            },
            frozenset({"STK"}),
        ),
        VWAP: AlgoRules(
            "Vwap",
            {"maxPctVol": _fraction(0.01, 0.5), "noTakeLiq": _flag, "speedUp": _flag, **_WINDOW},
            frozenset({"STK"}),
        ),
        TWAP: AlgoRules("Twap", {"strategyType": _choice(*TWAP_STYLES), **_WINDOW}, frozenset({"STK"})),
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class AlgoTerms:
    """An accepted algo: its strategy and parameters as sent, and the window a scheduled one runs in (UTC)."""

    strategy: str
    params: tuple[tuple[str, str], ...]
    start: datetime | None
    end: datetime | None


def check(
    strategy: str,
    params: tuple[tuple[str, str], ...],
    *,
    order_type: str,
    sec_type: str,
    now: datetime,
    session_end: datetime,
) -> AlgoTerms | Rejection:
    """TWS's checks of a placeOrder's algo; the terms to keep, or IB's error 400."""
    key = strategy.strip().lower()
    rules = ALGOS.get(key)
    if rules is None:
        if key in NOT_SIMULATED:
            return algo_error(f"The algo strategy {strategy!r} is not supported by the simulator.")
        return algo_error(f"Invalid algo strategy {strategy!r}: Adaptive, ArrivalPx, Vwap or Twap.")
    if order_type not in ("LMT", "MKT"):
        return algo_error(f"{rules.name} works LMT and MKT orders, not {order_type}.")
    if sec_type not in rules.sec_types:
        return algo_error(f"{rules.name} is not available for {sec_type}.")
    known = {tag.lower(): tag for tag in rules.params}
    values: dict[str, str] = {}
    for tag, value in params:
        name = known.get(tag.strip().lower())
        if name is None:
            return algo_error(f"Invalid parameter {tag!r} for the {rules.name} algo.")
        problem = rules.params[name](value)
        if problem is not None:
            return algo_error(f"{rules.name} parameter {name} {problem}, not {value!r}.")
        values[name] = value
    if key == ADAPTIVE:
        return AlgoTerms(strategy=strategy, params=params, start=None, end=None)
    start = _parse_time(values.get("startTime", ""), now) or now
    end = _parse_time(values.get("endTime", ""), now) or session_end
    if end <= max(start, now):
        return algo_error(f"{rules.name} endTime must be after its startTime and now.")
    return AlgoTerms(strategy=strategy, params=params, start=start, end=end)


def _parse_time(text: str, now: datetime) -> datetime | None:
    """IB's algo times: `HH:MM:SS Zone` (today in that zone), `YYYYMMDD HH:MM:SS Zone`, `YYYYMMDD-HH:MM:SS`
    (UTC); None for empty or bad text."""
    text = text.strip()
    if not text:
        return None
    try:
        if len(text) >= 17 and text[8] == "-":
            return datetime.strptime(text[:17], "%Y%m%d-%H:%M:%S").replace(tzinfo=UTC)
        parts = text.split()
        zone = ZoneInfo(parts[-1]) if len(parts) in (2, 3) else NEW_YORK
        clock = parts[1] if len(parts) == 3 else parts[0]
        at = datetime.strptime(clock, "%H:%M:%S").time()
        day = datetime.strptime(parts[0], "%Y%m%d").date() if len(parts) == 3 else now.astimezone(zone).date()
        return datetime.combine(day, at, tzinfo=zone)
    except (ValueError, ZoneInfoNotFoundError, IndexError):
        return None


def param(params: tuple[tuple[str, str], ...], name: str, default: str = "") -> str:
    """A parameter's value (tags compared without case)."""
    return next((v for t, v in params if t.strip().lower() == name.lower()), default)


# --- working an order -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AlgoFill:
    """What an algo does at one quote: fill `quantity` (None: all it may) at `price`, taking or adding liquidity."""

    price: Decimal
    quantity: Decimal | None
    takes: bool


def adaptive(
    *,
    buy: bool,
    limit: Decimal | None,
    priority: str,
    worked: float,
    bid: Decimal,
    ask: Decimal,
    tick: Decimal,
) -> AlgoFill | None:
    """An Adaptive order after `worked` seconds: a fill at this quote, or None (see the module docstring)."""
    horizon = HORIZON.get(priority.strip().lower(), HORIZON["normal"])
    spread = ask - bid
    touch, far = (ask, bid) if buy else (bid, ask)
    if spread <= 0:
        return None
    distance = Decimal(str(START_DISTANCE.get(priority.strip().lower(), 0.375) * max(0.0, 1.0 - worked / horizon)))
    raw = touch - distance * spread if buy else touch + distance * spread
    working = (raw / tick).to_integral_value(rounding=ROUND_FLOOR if buy else ROUND_CEILING) * tick
    if limit is not None:
        working = min(working, limit) if buy else max(working, limit)
    if (working >= touch) if buy else (working <= touch):
        return AlgoFill(price=touch, quantity=None, takes=True)
    if (working <= far) if buy else (working >= far):
        return None  # limited away from the market: nobody trades there
    away = float((touch - working) / spread if buy else (working - touch) / spread)
    return AlgoFill(price=working, quantity=None, takes=False) if worked >= horizon * away else None


def schedule_share(
    key: str, params: tuple[tuple[str, str], ...], start: datetime, end: datetime, now: datetime
) -> float:
    """The share of the order a scheduled algo has filled by `now`."""
    if now <= start:
        return 0.0
    if now >= end:
        return 1.0
    if key == VWAP:
        total = _volume_share(end) - _volume_share(start)
        if total > 0:
            return min(1.0, (_volume_share(now) - _volume_share(start)) / total)
    t = (now - start) / (end - start)
    if key == ARRIVAL:
        exponent = RISK_EXPONENT.get(param(params, "riskAversion", "neutral").lower(), 2.0)
        return 1.0 - float((1.0 - t) ** exponent)
    return t


def _volume_share(moment: datetime) -> float:
    """The U-shaped intraday volume curve, integrated from the session's open to `moment` (days count whole)."""
    local = moment.astimezone(NEW_YORK)
    opens = datetime.combine(local.date(), _SESSION[0], tzinfo=NEW_YORK)
    length = (datetime.combine(local.date(), _SESSION[1], tzinfo=NEW_YORK) - opens).total_seconds()
    u = min(max((local - opens).total_seconds() / length, 0.0), 1.0)
    day = (local.date() - datetime(2000, 1, 1).date()).days
    return day * 5 / 3 + u + ((2 * u - 1) ** 3 + 1) / 3


def scheduled(
    *,
    key: str,
    params: tuple[tuple[str, str], ...],
    buy: bool,
    quantity: Decimal,
    filled: Decimal,
    limit: Decimal | None,
    start: datetime,
    end: datetime,
    now: datetime,
    bid: Decimal | None,
    ask: Decimal | None,
    last: Decimal | None,
) -> AlgoFill | None:
    """A VWAP / TWAP / ArrivalPx order's fill at this quote: its shortfall against the schedule."""
    share = Decimal(str(schedule_share(key, params, start, end, now)))
    target = quantity * share
    target = target.to_integral_value(rounding=ROUND_DOWN) if quantity == quantity.to_integral_value() else target
    shortfall = min(target, quantity) - filled
    if shortfall <= 0:
        return None
    style = param(params, "strategyType", "marketable").lower() if key == TWAP else "marketable"
    if key == VWAP and param(params, "noTakeLiq", "0").lower() in {"1", "true"}:
        style = "matching same side"
    if now >= end:
        style = "marketable"  # what is left at the end crosses the spread
    touch, own = (ask, bid) if buy else (bid, ask)
    price = {
        "marketable": touch,
        "matching midpoint": None if bid is None or ask is None else (bid + ask) / 2,
        "matching same side": own,
        "matching last": last,
    }.get(style, touch)
    if price is None or (limit is not None and (price > limit if buy else price < limit)):
        return None
    return AlgoFill(price=price, quantity=shortfall, takes=style == "marketable")


def worked_seconds(since: datetime | None, now: datetime) -> float:
    return 0.0 if since is None else max((now - since) / timedelta(seconds=1), 0.0)


def step(
    spec: OrderSpec,
    quote: Quote,
    *,
    limit: Decimal | None,
    filled: Decimal,
    since: datetime | None,
    tick: Decimal,
    now: datetime,
) -> AlgoFill | None:
    """An algo order's fill at this quote (`since`: when it started working), by its strategy's rules."""
    if quote.bid is None or quote.ask is None:
        return None
    key = spec.algo_strategy.strip().lower()
    if key == ADAPTIVE:
        return adaptive(
            buy=spec.is_buy,
            limit=limit,
            priority=param(spec.algo_params, "adaptivePriority", "Normal"),
            worked=worked_seconds(since, now),
            bid=quote.bid,
            ask=quote.ask,
            tick=tick,
        )
    return scheduled(
        key=key,
        params=spec.algo_params,
        buy=spec.is_buy,
        quantity=spec.quantity,
        filled=filled,
        limit=limit,
        start=spec.algo_start or since or now,
        end=spec.algo_end or now,
        now=now,
        bid=quote.bid,
        ask=quote.ask,
        last=quote.last,
    )
