"""One API client of the simulator: its identity, negotiated version and per-client request state."""

from __future__ import annotations

from dataclasses import dataclass, field

from ibbot.sim.pacing import ClientPacing


@dataclass(slots=True, kw_only=True)
class ClientSession:
    """Per-client state. Owned by the `Simulator`; the server holds only the socket beside it."""

    client_id: int
    server_version: int
    pacing: ClientPacing
    peer: str = ""
    market_data_type: int = 1  # 1 live, 2 frozen, 3 delayed, 4 delayed-frozen
    auto_open_orders: bool = False
    # open subscriptions by request id; values are owned by the service that opened them
    subscriptions: dict[int, object] = field(default_factory=dict)
    account_updates: str | None = None  # account subscribed with reqAccountUpdates
    positions_subscribed: bool = False
    log_level: int = 2

    @property
    def is_master(self) -> bool:
        return self.client_id == 0
