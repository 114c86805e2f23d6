"""What every request handler gets: the simulator's parts, the client's session, `now`, and the outbox to write to."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from ibbot.protocol.responses import Response
from ibbot.sim.accounts.service import AccountService
from ibbot.sim.config import SimConfig
from ibbot.sim.history.service import HistoryService
from ibbot.sim.instruments.master import SecurityMaster
from ibbot.sim.marketdata.service import MarketDataService
from ibbot.sim.outbox import Outbox
from ibbot.sim.session import ClientSession
from ibbot.sim.trading.service import TradingService


class Parts(Protocol):
    """The parts of the simulator handlers reach (the `Simulator` provides them; handlers never build them)."""

    @property
    def config(self) -> SimConfig: ...

    @property
    def securities(self) -> SecurityMaster: ...

    @property
    def accounts(self) -> AccountService: ...

    @property
    def market(self) -> MarketDataService: ...

    @property
    def history(self) -> HistoryService: ...

    @property
    def trading(self) -> TradingService: ...

    def next_valid_id(self, session: ClientSession) -> int: ...


@dataclass(slots=True)
class Context:
    sim: Parts
    session: ClientSession
    now: datetime
    out: Outbox

    def reply(self, *messages: Response) -> None:
        self.out.to(self.session.client_id, *messages)

    def error(self, req_id: int, code: int, text: str) -> None:
        self.out.error(self.session.client_id, req_id, code, text)


Handler = Callable[[Context, Any], None]
