"""Where a bot connects and whether it may trade there: named targets, the live guard on accounts, client ids.

A target is `sim` (the embedded simulator on a free port), one of TWS's and IB Gateway's default ports, or
`HOST:PORT`. The port says what the user meant but not what TWS is logged into, so after connecting ibbot
checks the managed accounts before any request that could trade: IB's paper accounts start with "DU" ("DF"
for an advisor's paper master). A live account needs the explicit opt-in; a paper account where live was
asked for is refused too, and so is a mix of both.

On 326 (client id in use) the supervisor asks `ClientIdPolicy` for the next id of the configured range, going
round once from the configured id; when every id was refused it stops with a message naming the range.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ibbot.errors import ClientIdInUseError, ConfigError, LiveGuardError

LOOPBACK = "127.0.0.1"
PAPER_PREFIXES = ("DU", "DF")
MAX_CLIENT_ID = 2**31 - 1  # the API's int


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    name: str
    host: str
    port: int  # 0 for the embedded simulator: it binds a free port when it starts
    live: bool | None  # None for HOST:PORT: only the accounts will tell
    embedded: bool = False


NAMED: dict[str, Target] = {
    "sim": Target(name="sim", host=LOOPBACK, port=0, live=False, embedded=True),
    "tws-paper": Target(name="tws-paper", host=LOOPBACK, port=7497, live=False),
    "tws-live": Target(name="tws-live", host=LOOPBACK, port=7496, live=True),
    "gateway-paper": Target(name="gateway-paper", host=LOOPBACK, port=4002, live=False),
    "gateway-live": Target(name="gateway-live", host=LOOPBACK, port=4001, live=True),
}


def resolve_target(text: str) -> Target:
    """A named target, or "HOST:PORT" ("[::1]:7497" for IPv6)."""
    cleaned = text.strip()
    named = NAMED.get(cleaned.lower())
    if named is not None:
        return named
    host, sep, port_text = cleaned.rpartition(":")
    if not sep or not host:
        raise ConfigError(f"target {text!r} is neither one of {', '.join(NAMED)} nor HOST:PORT")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise ConfigError(f"target {text!r}: write an IPv6 address in brackets, as [::1]:7497")
    if not host or any(c.isspace() for c in host):
        raise ConfigError(f"target {text!r} has no host")
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise ConfigError(f"target {text!r}: the port must be a number from 1 to 65535")
    return Target(name=cleaned, host=host, port=int(port_text), live=None)


def is_paper(account: str) -> bool:
    return account.upper().startswith(PAPER_PREFIXES)


def check_accounts(accounts: Sequence[str], *, live_requested: bool | None, live_opt_in: bool) -> None:
    """Refuse (LiveGuardError) unless the managed accounts are what was asked for and allowed.

    `live_requested` is the target's `live`: True (a live port), False (a paper port or the simulator) or None
    (HOST:PORT: either, but live still needs the opt-in).
    """
    accounts = [a.strip() for a in accounts if a.strip()]
    if not accounts:
        raise LiveGuardError("TWS reported no managed accounts; ibbot cannot tell paper from live and stops")
    paper = [a for a in accounts if is_paper(a)]
    live = [a for a in accounts if not is_paper(a)]
    if paper and live:
        raise LiveGuardError(
            f"TWS reports paper accounts ({', '.join(paper)}) and live ones ({', '.join(live)}) together; "
            "ibbot refuses a mixed session: log in with one kind only"
        )
    if live:
        names = ", ".join(live)
        if live_requested is False:
            raise LiveGuardError(
                f"account {names} is live but the target is a paper one; check which login TWS / IB Gateway "
                "has on this port, or choose a live target and set allow_live = true under [connection]"
            )
        if not live_opt_in:
            raise LiveGuardError(
                f"account {names} is live; trading it needs the explicit opt-in allow_live = true under "
                "[connection]. Nothing was sent."
            )
        return
    if live_requested:
        raise LiveGuardError(
            f"a live target was asked for but account {', '.join(paper)} is paper (DU/DF); log TWS / IB Gateway "
            "into the live account, or choose a paper target (tws-paper, gateway-paper)"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientIdPolicy:
    """Client ids `first`..`last` (inclusive); a session starts at `start` and goes round the range once."""

    first: int
    last: int
    start: int | None = None  # defaults to first

    def __post_init__(self) -> None:
        for name in ("first", "last"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_CLIENT_ID:
                raise ConfigError(f"client id {name} must be an integer from 0 to {MAX_CLIENT_ID}, not {value!r}")
        if self.first > self.last:
            raise ConfigError(f"client id range {self.first}-{self.last} is empty")
        if self.start is not None and not self.first <= self.start <= self.last:
            raise ConfigError(f"client id {self.start} is outside its range {self.first}-{self.last}")

    @property
    def initial(self) -> int:
        return self.first if self.start is None else self.start

    def next_after_conflict(self, current: int) -> int:
        """The id to try after 326 on `current`; ClientIdInUseError once every id of the range was refused."""
        if not self.first <= current <= self.last:
            raise ValueError(f"client id {current} is not in {self.first}-{self.last}")
        following = current + 1 if current < self.last else self.first
        if following == self.initial:
            span = f"{self.first}" if self.first == self.last else f"{self.first}-{self.last}"
            raise ClientIdInUseError(
                f"TWS refused every client id of the range {span} as in use (326): another API client holds "
                "them (another bot, another program, or a session TWS has not dropped yet). Stop the other "
                "client or widen client_id_range under [connection]."
            )
        return following
