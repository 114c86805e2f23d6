"""Orders of every client: placeOrder/cancel/modify through the matching engine, the messages TWS sends about
them (openOrder, orderStatus, execDetails, commissionReport) to the right clients, and their persistence.

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


class TradingService:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def step(self, now: datetime, quotes: list[Quote], out: Outbox) -> None:
        """Match working orders against the quotes that changed; expire DAY/GTD orders; closing auctions."""

    def drop(self, session: ClientSession) -> None:
        """A client went away: its orders stay working, as in TWS."""
