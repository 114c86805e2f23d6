"""The prices option chains are listed around: an underlying's price at an instant (a listing's close), read off
the same deterministic path the live market follows (`ibbot.sim.market.path`).

Each underlying gets a `PricePath` of its own here, so a listing that reads hundreds of past closes never evicts
the live book's cached minutes; the values are the same, being pure functions of (seed, model, instant).
"""

from __future__ import annotations

import math
from datetime import datetime

from ibbot.sim.instruments.instrument import Instrument
from ibbot.sim.market.path import PricePath
from ibbot.sim.market.prices import price_model


class ListingSpots:
    """`SpotSource` over the simulator's price paths: `spots(underlying, at)` is its last price at `at`."""

    __slots__ = ("_around_the_clock", "_paths", "_seed")

    def __init__(self, seed: int, *, around_the_clock: bool = False) -> None:
        self._seed = seed
        self._around_the_clock = around_the_clock
        self._paths: dict[int, PricePath] = {}

    def __call__(self, underlying: Instrument, at: datetime) -> float:
        path = self._paths.get(underlying.con_id)
        if path is None:
            model = price_model(underlying, around_the_clock=self._around_the_clock)
            path = self._paths[underlying.con_id] = PricePath(model, seed=self._seed)
        return math.exp(path.x(int(at.timestamp())))
