"""`Strategy`: the class a trader subclasses. Synchronous hooks, typed parameters, and order helpers over a `Context`.

    from ibbot import Strategy

    class SmaCross(Strategy):
        fast: int = 10
        slow: int = 30

        def on_start(self) -> None:
            self.stock = self.instrument("AAPL")
            self.subscribe_bars(self.stock, "1 min")

        def on_bar(self, bar) -> None:
            closes = [b.close for b in self.history(self.stock, self.slow)]
            if len(closes) == self.slow:
                above = sum(closes[-self.fast:]) / self.fast > sum(closes) / self.slow
                self.order_target(self.stock, 1 if above else -1)

The same class runs in a backtest, against the simulator, an IB paper account and live: only the `Context`
behind it changes (`ibbot.strategy.context`). Hooks run one at a time and must not block; order and fill news
arrive through `on_order` / `on_fill` after the hook that caused them returns. Each order helper returns the
`Order` it placed (a bracket: all three), or raises `OrderError` / `RiskRefusedError` when it cannot be placed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from ibbot.errors import OrderError, StrategyError
from ibbot.model import (
    AssetClass,
    Bar,
    BarSize,
    Instrument,
    Order,
    OrderRequest,
    OrderType,
    Position,
    Quote,
    Right,
    Side,
    TimeInForce,
)
from ibbot.strategy.context import Account, BracketOrders, Context, Execution
from ibbot.strategy.params import Parameter, declared, resolve

Number = Decimal | int | float | str
ZERO = Decimal(0)

_CLASSES: dict[str, AssetClass] = {
    **{c.value.lower(): c for c in AssetClass},
    **{c.name.lower(): c for c in AssetClass},
    "stk": AssetClass.STOCK,
    "fut": AssetClass.FUTURE,
    "opt": AssetClass.OPTION,
    "fx": AssetClass.FOREX,
    "cash": AssetClass.FOREX,
    "ind": AssetClass.INDEX,
}
_EXCHANGES = {
    AssetClass.FUTURE: "CME",
    AssetClass.FUTURE_OPTION: "CME",
    AssetClass.FOREX: "IDEALPRO",
    AssetClass.INDEX: "CBOE",
}
_SPEC_KEYS = frozenset(
    {"asset_class", "exchange", "currency", "primary_exchange", "expiry", "strike", "right", "multiplier",
     "con_id", "min_tick", "local_symbol", "trading_class"}
)  # fmt: skip


def _decimal(value: Number, what: str) -> Decimal:
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except ArithmeticError:
        raise OrderError(f"{what} {value!r} is not a number") from None
    if not number.is_finite():
        raise OrderError(f"{what} {value!r} is not a finite number")
    return number


def _looks_like_pair(symbol: str) -> bool:
    parts = symbol.replace("/", ".").split(".")
    return len(parts) == 2 and all(len(p) == 3 and p.isalpha() for p in parts)


def _expiry(value: object) -> date | None:
    if value is None or isinstance(value, date):
        return value if not isinstance(value, datetime) else value.date()
    text = str(value).strip()
    try:
        return date.fromisoformat(text if "-" in text else f"{text[:4]}-{text[4:6]}-{text[6:8] or '01'}")
    except ValueError:
        raise StrategyError(f"expiry {value!r} is not a date (YYYY-MM-DD or YYYYMMDD)") from None


def build_instrument(symbol: str, **spec: object) -> Instrument:
    """An `Instrument` from what a person names: a stock on SMART in USD unless `spec` says otherwise
    (`asset_class="future"`, `expiry=...`; forex from "EUR.USD"; options with expiry, strike and right)."""
    unknown = set(spec) - _SPEC_KEYS
    if unknown:
        raise StrategyError(f"instrument {symbol!r}: unknown spec {sorted(unknown)} (known: {sorted(_SPEC_KEYS)})")
    text = symbol.strip().upper()
    named = spec.pop("asset_class", None)
    if isinstance(named, AssetClass):
        kind = named
    elif named is None:
        kind = AssetClass.FOREX if _looks_like_pair(text) else AssetClass.STOCK
    else:
        found = _CLASSES.get(str(named).strip().lower())
        if found is None:
            raise StrategyError(f"instrument {symbol!r}: unknown asset class {named!r}")
        kind = found
    try:
        if kind is AssetClass.FOREX:
            pair = Instrument.forex(text, exchange=str(spec.pop("exchange", "IDEALPRO")))
            return pair.with_details(**spec) if spec else pair
        values: dict[str, object] = {
            "symbol": text,
            "asset_class": kind,
            "exchange": str(spec.pop("exchange", _EXCHANGES.get(kind, "SMART"))),
            "currency": str(spec.pop("currency", "USD")).upper(),
        }
        if "expiry" in spec:
            values["expiry"] = _expiry(spec.pop("expiry"))
        if "strike" in spec:
            values["strike"] = Decimal(str(spec.pop("strike")))
        if "right" in spec:
            right = spec.pop("right")
            values["right"] = right if isinstance(right, Right) else Right(str(right).upper()[:1])
        for name in ("multiplier", "min_tick"):
            if name in spec:
                values[name] = Decimal(str(spec.pop(name)))
        if kind in (AssetClass.OPTION, AssetClass.FUTURE_OPTION):
            values.setdefault("multiplier", Decimal(100))
            if values.get("expiry") is None or values.get("strike") is None or values.get("right") is None:
                raise StrategyError(f"option {symbol!r} needs expiry=, strike= and right=")
        values.update(spec)
        return Instrument(**values)  # type: ignore[arg-type]
    except (ValueError, TypeError, ArithmeticError) as exc:
        raise StrategyError(f"instrument {symbol!r}: {exc}") from None


class Strategy:
    """Subclass it; override the hooks you need. Parameters are the annotated class attributes (module doc)."""

    _RESERVED: ClassVar[frozenset[str]] = frozenset({"name", "log", "params", "account", "now"})

    def __init__(self, params: Mapping[str, object] | None = None, *, name: str | None = None) -> None:
        cls = type(self)
        parameters = cls.parameters()
        for value_name, value in resolve(cls.__name__, parameters, params).items():
            setattr(self, value_name, value)
        self.name: str = name or cls.__name__
        self.log: logging.Logger = logging.getLogger(f"ibbot.strategy.{self.name}")
        self._context: Context | None = None
        try:
            self.validate()
        except StrategyError:
            raise
        except (ValueError, TypeError) as exc:
            raise StrategyError(f"{cls.__name__}: {exc}") from None

    @classmethod
    def parameters(cls) -> dict[str, Parameter]:
        """The declared parameters, by name, in declaration order."""
        found = declared(cls, Strategy)
        clash = sorted(set(found) & (cls._RESERVED | set(dir(Strategy))))
        if clash:
            raise StrategyError(f"{cls.__name__}: {', '.join(clash)} cannot be a parameter (Strategy uses the name)")
        return found

    @property
    def params(self) -> dict[str, object]:
        """The parameters' values this instance runs with."""
        return {name: getattr(self, name) for name in type(self).parameters()}

    # --- hooks (override) -------------------------------------------------------------------------------

    def validate(self) -> None:
        """Check the parameters together (`fast < slow`); raise ValueError or StrategyError with the reason."""

    def on_start(self) -> None:
        """Called once before any data: declare instruments and subscriptions here."""

    def on_bar(self, bar: Bar) -> None:
        """A complete bar of a subscribed series."""

    def on_quote(self, quote: Quote) -> None:
        """A new quote of a subscribed instrument."""

    def on_fill(self, fill: Execution) -> None:
        """One of the strategy's orders was (partly) filled; `fill.order` is the order after it."""

    def on_order(self, order: Order) -> None:
        """One of the strategy's orders changed status."""

    def on_stop(self) -> None:
        """Called once at the end (the data ended, the run was stopped, or a hook raised)."""

    # --- binding ------------------------------------------------------------------------------------------

    def bind(self, context: Context) -> None:
        """Called by the runner before `on_start`."""
        self._context = context

    @property
    def context(self) -> Context:
        if self._context is None:
            raise StrategyError(f"{self.name} is not running: its context is bound by a backtest or a runner")
        return self._context

    # --- data ---------------------------------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        return self.context.now()

    def instrument(self, symbol: str, **spec: object) -> Instrument:
        """A stock on SMART in USD by default; futures, options, forex and indices by `spec` (`build_instrument`)."""
        return self.context.instrument(build_instrument(symbol, **spec))

    def subscribe_bars(self, instrument: Instrument, bar_size: str | BarSize = "1 min") -> None:
        try:
            size = bar_size if isinstance(bar_size, BarSize) else BarSize.parse(bar_size)
        except ValueError as exc:
            raise StrategyError(str(exc)) from None
        self.context.subscribe_bars(instrument, size)

    def subscribe_quotes(self, instrument: Instrument) -> None:
        self.context.subscribe_quotes(instrument)

    def history(self, instrument: Instrument, bars: int) -> Sequence[Bar]:
        """The last `bars` complete bars of `instrument`, oldest first (fewer at the start of the data)."""
        if bars < 1:
            raise StrategyError(f"history(): bars must be at least 1, got {bars}")
        return self.context.history(instrument, bars)

    def position(self, instrument: Instrument) -> Position:
        return self.context.position(instrument)

    def positions(self) -> Sequence[Position]:
        return self.context.positions()

    @property
    def account(self) -> Account:
        return self.context.account()

    def order(self, order_ref: str) -> Order | None:
        return self.context.order(order_ref)

    def working_orders(self, instrument: Instrument | None = None) -> list[Order]:
        found = self.context.working_orders()
        key = None if instrument is None else instrument.key
        return [o for o in found if key is None or o.instrument.key == key]

    # --- orders -------------------------------------------------------------------------------------------

    def request(
        self,
        instrument: Instrument,
        side: Side,
        quantity: Number,
        *,
        limit: Number | None = None,
        stop: Number | None = None,
        trail_amount: Number | None = None,
        trail_percent: Number | None = None,
        limit_offset: Number | None = None,
        tif: TimeInForce | str = TimeInForce.DAY,
        good_till: datetime | None = None,
        outside_rth: bool = False,
    ) -> OrderRequest:
        """The `OrderRequest` `buy`/`sell` would place: market unless a price keyword says otherwise."""
        trailing = trail_amount is not None or trail_percent is not None
        if trailing:
            kind = OrderType.TRAILING_STOP_LIMIT if limit_offset is not None else OrderType.TRAILING_STOP
            if limit is not None:
                raise OrderError("a trailing order takes limit_offset=, not limit=")
        elif stop is not None:
            kind = OrderType.STOP_LIMIT if limit is not None else OrderType.STOP
        else:
            kind = OrderType.LIMIT if limit is not None else OrderType.MARKET
        try:
            time_in_force = tif if isinstance(tif, TimeInForce) else TimeInForce(str(tif).upper())
        except ValueError:
            raise OrderError(f"tif {tif!r} is not one of {', '.join(t.value for t in TimeInForce)}") from None
        return OrderRequest(
            instrument=instrument,
            side=side,
            quantity=_decimal(quantity, "quantity"),
            order_type=kind,
            limit_price=None if limit is None else _decimal(limit, "limit"),
            stop_price=None if stop is None else _decimal(stop, "stop"),
            trail_amount=None if trail_amount is None else _decimal(trail_amount, "trail_amount"),
            trail_percent=None if trail_percent is None else _decimal(trail_percent, "trail_percent"),
            limit_offset=None if limit_offset is None else _decimal(limit_offset, "limit_offset"),
            tif=time_in_force,
            good_till=good_till,
            outside_rth=outside_rth,
            strategy=self.name,
        )

    def buy(self, instrument: Instrument, quantity: Number, **terms: object) -> Order:
        """Buy `quantity`: market by default; `limit=`, `stop=`, `trail_amount=`/`trail_percent=`, `tif=` ..."""
        return self.context.submit(self.request(instrument, Side.BUY, quantity, **terms))  # type: ignore[arg-type]

    def sell(self, instrument: Instrument, quantity: Number, **terms: object) -> Order:
        """Sell `quantity` (the same keywords as `buy`)."""
        return self.context.submit(self.request(instrument, Side.SELL, quantity, **terms))  # type: ignore[arg-type]

    def bracket(
        self,
        instrument: Instrument,
        quantity: Number,
        *,
        take_profit: Number,
        stop_loss: Number,
        side: Side | str = Side.BUY,
        limit: Number | None = None,
        tif: TimeInForce | str = TimeInForce.DAY,
        outside_rth: bool = False,
    ) -> BracketOrders:
        """An entry (a limit at `limit`, else market) with its take profit (limit) and stop loss (stop)."""
        chosen = side if isinstance(side, Side) else Side(str(side).upper())
        entry = self.request(instrument, chosen, quantity, limit=limit, tif=tif, outside_rth=outside_rth)
        return self.context.submit_bracket(
            entry, _decimal(take_profit, "take_profit"), _decimal(stop_loss, "stop_loss")
        )

    def order_target(self, instrument: Instrument, quantity: Number, **terms: object) -> Order | None:
        """Trade towards a signed holding of `quantity` (working orders counted); None when already there."""
        target = _decimal(quantity, "target quantity")
        key = instrument.key
        working = self.context.working_orders()
        pending = ZERO
        if working:  # usually none: no generator to build
            pending = sum((o.remaining * o.side.sign for o in working if o.instrument.key == key), ZERO)
        delta = target - self.context.position(instrument).quantity - pending
        if delta == 0:
            return None
        side = Side.BUY if delta > 0 else Side.SELL
        return self.context.submit(self.request(instrument, side, abs(delta), **terms))  # type: ignore[arg-type]

    def modify(self, order: Order | str, **terms: object) -> Order:
        """New terms for a working order: `quantity=`, `limit=`, `stop=` ... (the rest as it was)."""
        ref = order if isinstance(order, str) else order.order_ref
        current = self.context.order(ref)
        if current is None:
            raise OrderError(f"{self.name}: no order {ref!r}")
        old = current.request
        values: dict[str, object] = {
            "limit": old.limit_price, "stop": old.stop_price, "trail_amount": old.trail_amount,
            "trail_percent": old.trail_percent, "limit_offset": old.limit_offset, "tif": old.tif,
            "good_till": old.good_till, "outside_rth": old.outside_rth,
        }  # fmt: skip
        quantity = terms.pop("quantity", old.quantity)
        values.update(terms)
        request = self.request(old.instrument, old.side, quantity, **values)  # type: ignore[arg-type]
        return self.context.modify(ref, request)

    def cancel(self, order: Order | str) -> None:
        """Cancel one order (by the `Order` or its `order_ref`); the outcome arrives through `on_order`."""
        self.context.cancel(order if isinstance(order, str) else order.order_ref)

    def cancel_all(self, instrument: Instrument | None = None) -> None:
        for order in self.working_orders(instrument):
            self.context.cancel(order.order_ref)
