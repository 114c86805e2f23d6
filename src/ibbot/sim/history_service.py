"""Historical data requests: bars, head timestamps, historical ticks, and keepUpToDate bar updates.

(Interface fixed by the lead; the body is being written.)
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from ibbot.sim.outbox import Outbox
from ibbot.sim.session import ClientSession

if TYPE_CHECKING:
    from ibbot.sim.simulator import Simulator


class HistoryService:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def step(self, now: datetime, out: Outbox) -> None:
        """Send historicalDataUpdate for keepUpToDate requests."""

    def drop(self, session: ClientSession) -> None:
        """Forget `session`'s open requests (disconnect)."""
