"""Live market-data subscriptions of every session: reqMktData lines, tick-by-tick, real-time bars, depth.

(Interface fixed by the lead; the body is being written.)
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from ibbot.sim.feed import Quote
from ibbot.sim.outbox import Outbox
from ibbot.sim.session import ClientSession

if TYPE_CHECKING:
    from ibbot.sim.simulator import Simulator


class MarketDataService:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def step(self, now: datetime, quotes: list[Quote], out: Outbox) -> None:
        """Stream what changed since the last step to every subscriber (`quotes`: the live book's changes)."""

    def drop(self, session: ClientSession) -> None:
        """Forget every subscription of `session` (disconnect, 1101) and give back its lines."""

    def request_ids(self, session: ClientSession) -> list[int]:
        """The request ids of `session`'s live market-data lines (10197 is sent to each)."""
        return []
