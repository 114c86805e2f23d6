"""TWS's own link to IB as the simulator's parts see it: connectivity, the data farms, a competing session.

One `Link` is shared: the `Simulator` changes it when a fault is injected (1100/1101/1102, farm notices,
10197), the market-data and history services read it before they answer or stream.
"""

from __future__ import annotations

from dataclasses import dataclass, field

FARMS = ("market", "hmds", "secdef")


@dataclass(slots=True, kw_only=True)
class Link:
    connected_to_ib: bool = True  # False between a 1100 and its 1101/1102
    competing_session: bool = False  # another session holds the market-data login (10197)
    farms_up: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(FARMS, True))
