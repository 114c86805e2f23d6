"""What every request handler gets: the simulator, the client's session, `now`, and the outbox to write to."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ibbot.protocol.responses import Response
from ibbot.sim.outbox import Outbox
from ibbot.sim.session import ClientSession

if TYPE_CHECKING:
    from ibbot.sim.simulator import Simulator


@dataclass(slots=True)
class Context:
    sim: Simulator
    session: ClientSession
    now: datetime
    out: Outbox

    def reply(self, *messages: Response) -> None:
        self.out.to(self.session.client_id, *messages)

    def error(self, req_id: int, code: int, text: str) -> None:
        self.out.error(self.session.client_id, req_id, code, text)


Handler = Callable[[Context, Any], None]
