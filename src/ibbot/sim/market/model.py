"""The plain values of the price path: what it is told about an instrument (`PriceModel`), what one built
minute holds (`Minute`), and how a second's volume is printed as trades.

The lead builds a `PriceModel` from an `Instrument` (reference price, volatility, min tick, calendar) plus
the liquidity figures; everything downstream (`path`, `bars`, `ticks`, `feed`) reads only these values.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from ibbot.errors import ConfigError
from ibbot.sim.instruments.calendar import ExchangeCalendar
from ibbot.sim.market import noise

LOTS_PER_PRINT = 3  # a second's volume is printed in trades of about this many lots


@dataclass(frozen=True, slots=True, kw_only=True)
class PriceModel:
    """Everything the path needs to know about an instrument, as plain values (built from an Instrument)."""

    con_id: int
    ref_price: float
    annual_vol: float
    min_tick: float
    calendar: ExchangeCalendar
    spread_ticks: int = 1
    typical_daily_volume: int = 1_000_000  # shares or contracts on a regular day; 0 = no trades (forex)
    lot_size: int = 100  # prints and quote sizes are whole lots
    quote_depth_lots: int = 0  # typical bid/ask size in lots; 0 = derived from the volume
    dividend_yield: float = 0.0  # continuous, annual: ADJUSTED_LAST and option pricing
    head_date: date = date(2004, 1, 1)  # the first date with data (reqHeadTimestamp)
    level_spread: float = -1.0  # stdev of the log level at each anchor; negative = half the annual vol
    tick_decimals: int = field(default=-1)  # decimals of a price; negative = derived from min_tick
    around_the_clock: bool = False  # every minute of every day trades like a liquid one (profile.liquid_profile)

    def __post_init__(self) -> None:
        if self.ref_price <= 0 or self.min_tick <= 0 or self.annual_vol < 0:
            raise ConfigError(f"price model {self.con_id}: ref_price and min_tick > 0, annual_vol >= 0")
        if self.spread_ticks < 1 or self.lot_size < 1 or self.typical_daily_volume < 0:
            raise ConfigError(f"price model {self.con_id}: spread_ticks and lot_size >= 1, volume >= 0")

    @property
    def has_trades(self) -> bool:
        return self.typical_daily_volume > 0

    @property
    def decimals(self) -> int:
        if self.tick_decimals >= 0:
            return self.tick_decimals
        text = f"{self.min_tick:.10f}".rstrip("0")
        return len(text.split(".")[1]) if "." in text else 0


class Minute:
    """One built minute (internal, read-only by convention): points in ticks and per-second data.

    `last`, `bid` and `ask` hold instants start + k for k = 0 .. 60 (60 is the next minute's first instant),
    sizes k = 0 .. 59 (lots, drawn on first use: bars of trades never need them); `volume[k]` lots trade
    during [start + k, start + k + 1) at `last[k + 1]`.
    """

    __slots__ = (
        "_depth",
        "_prices",
        "_size_key",
        "_sizes",
        "ask",
        "bid",
        "index",
        "last",
        "start",
        "state",
        "volume",
    )

    def __init__(
        self,
        *,
        index: int,
        state: int,
        last: array[int],
        bid: array[int],
        ask: array[int],
        volume: array[int],
        size_key: int,
        depth: int,
    ) -> None:
        self.index = index
        self.start = index * 60
        self.state = state
        self.last = last
        self.bid = bid
        self.ask = ask
        self.volume = volume
        self._size_key = size_key
        self._depth = depth
        self._sizes: tuple[array[int], array[int]] | None = None
        self._prices: tuple[array[float], array[float], array[float]] | None = None

    def prices(self, price: Callable[[int], float]) -> tuple[array[float], array[float], array[float]]:
        """(bid, ask, last) as floats for the 61 instants, converted once with `price` (PricePath.price)."""
        if self._prices is None:
            self._prices = (
                array("d", [price(t) for t in self.bid]),
                array("d", [price(t) for t in self.ask]),
                array("d", [price(t) for t in self.last]),
            )
        return self._prices

    def sizes(self) -> tuple[array[int], array[int]]:
        """(bid sizes, ask sizes) in lots for the 60 instants."""
        if self._sizes is None:
            span = 2 * self._depth
            bid_size: list[int] = []
            ask_size: list[int] = []
            for k in range(60):
                h = noise.bits(self._size_key, self.start + k, 0)
                bid_size.append(1 + (h & 0xFFFF) % span)
                ask_size.append(1 + ((h >> 16) & 0xFFFF) % span)
            self._sizes = (array("q", bid_size), array("q", ask_size))
        return self._sizes

    @property
    def bid_size(self) -> array[int]:
        return self.sizes()[0]

    @property
    def ask_size(self) -> array[int]:
        return self.sizes()[1]


def prints_of(lots: int) -> int:
    """How many trades a second's volume is printed in."""
    return (lots + LOTS_PER_PRINT - 1) // LOTS_PER_PRINT


def print_sizes(lots: int) -> list[int]:
    """The sizes (lots) of a second's prints: as even as possible, larger ones first."""
    count = prints_of(lots)
    if count == 0:
        return []
    size, extra = divmod(lots, count)
    return [size + 1] * extra + [size] * (count - extra)
