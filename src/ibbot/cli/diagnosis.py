"""What `ibbot doctor` concludes, pure: observed facts about a session in, findings out, each with what to do
about it in TWS or IB Gateway's settings (docs/operations.md has the same steps with screenshots' names).

A finding is OK, INFO, WARN (works, but not as a bot wants it) or FAIL (something the bot needs is missing).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field

from ibbot.connection.health import FarmStatus
from ibbot.connection.targets import is_paper

DOCS = "docs/operations.md"
IB_MESSAGE_RATE = 50.0  # messages a second IB accepts from one client (error 100 beyond)
IB_LINES = 100  # IB's default market-data lines
CLOCK_WARN_S = 2.0
CLOCK_FAIL_S = 30.0
API_SETTINGS = (
    "TWS: File (or Edit) > Global Configuration > API > Settings; IB Gateway: Configure > Settings > API > Settings"
)


class Status(enum.Enum):
    OK = "ok"
    INFO = "info"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    check: str
    status: Status
    detail: str
    advice: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class DataCheck:
    """What one instrument's quote line gave: LIVE, DELAYED, or nothing (with IB's reason)."""

    instrument: str
    quality: str = ""  # "live", "frozen", "delayed", "delayed_frozen"; "" when no quote came
    error: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Facts:
    target: str
    server_version: int
    supported: tuple[int, int]  # the server versions ibbot's protocol layer knows
    accounts: tuple[str, ...]
    client_id: int
    read_only: bool | None  # None: the probe got no answer
    data: tuple[DataCheck, ...] = ()
    farms: tuple[tuple[str, str, FarmStatus], ...] = ()  # name, kind, status
    health: str = ""
    health_reason: str = ""
    in_reset_window: bool = False
    clock_skew: float | None = None  # server time minus ours, seconds
    messages_per_second: float | None = IB_MESSAGE_RATE
    send_rate: float | None = 45.0
    market_data_lines: int | None = IB_LINES
    lines_in_use: int = 0
    pacing_notices: tuple[int, ...] = field(default=())  # 100 / 162 / 420 codes seen during the checks


def connect_failure(target: str, kind: str, message: str) -> Finding:
    """The one finding when no session could be started (`kind`: the error's class name)."""
    advice = {
        "LiveGuardError": "log TWS / IB Gateway into the kind of account the target names (paper: tws-paper, "
        "gateway-paper; live needs --live or allow_live = true under [connection])",
        "ClientIdInUseError": "another API client holds the client id: stop it, or pass --client-id N "
        "(or widen client_id_range under [connection])",
    }.get(kind, f"start TWS or IB Gateway and log in; check 'Enable ActiveX and Socket Clients' and the socket "
                f"port ({API_SETTINGS}); add this machine to 'Trusted IPs' when it is not localhost")  # fmt: skip
    return Finding(check="connect", status=Status.FAIL, detail=f"{target}: {message}", advice=f"{advice}; see {DOCS}")


def diagnose(facts: Facts) -> list[Finding]:
    found = [
        Finding(check="connect", status=Status.OK, detail=f"{facts.target}: connected as client id {facts.client_id}")
    ]
    found.append(_version(facts))
    found.append(_account(facts))
    found.append(_read_only(facts))
    found += [_data(check) for check in facts.data]
    found += _farms(facts)
    found.append(_health(facts))
    found.append(_clock(facts))
    found += _pacing(facts)
    return found


def _version(facts: Facts) -> Finding:
    low, high = facts.supported
    detail = f"server version {facts.server_version} (ibbot speaks {low}..{high})"
    if facts.server_version < low:
        return Finding(check="server version", status=Status.FAIL, detail=detail,
                       advice="update TWS / IB Gateway to a current 'stable' or 'latest' release")  # fmt: skip
    return Finding(check="server version", status=Status.OK, detail=detail)


def _account(facts: Facts) -> Finding:
    accounts = ", ".join(facts.accounts) or "none"
    if facts.accounts and all(is_paper(a) for a in facts.accounts):
        return Finding(check="account", status=Status.OK, detail=f"paper account {accounts}")
    return Finding(check="account", status=Status.WARN, detail=f"LIVE account {accounts}: orders trade real money",
                   advice="use a paper login (DU...) until the bot is proven; live trading needs --live")  # fmt: skip


def _read_only(facts: Facts) -> Finding:
    if facts.read_only is None:
        return Finding(check="read-only API", status=Status.INFO, detail="TWS did not answer the probe (a cancel of "
                       "an order id never used); cannot tell")  # fmt: skip
    if facts.read_only:
        return Finding(check="read-only API", status=Status.FAIL,
                       detail="the API is read-only: every order and cancel is refused (321)",
                       advice=f"uncheck 'Read-Only API' ({API_SETTINGS}); see {DOCS}")  # fmt: skip
    return Finding(check="read-only API", status=Status.OK, detail="orders are accepted (not read-only)")


def _data(check: DataCheck) -> Finding:
    name = f"market data {check.instrument}"
    subscribe = ("subscribe in Client Portal: Settings > Market Data Subscriptions (a paper login shares the live "
                 "login's subscriptions once 'Share real-time market data' is on for the paper account)")  # fmt: skip
    if check.quality in ("live", "frozen"):
        return Finding(check=name, status=Status.OK, detail=f"{check.quality} quotes")
    if check.quality:
        return Finding(check=name, status=Status.WARN, detail="delayed quotes (15-20 minutes old): no subscription",
                       advice=f"{subscribe}; see {DOCS}")  # fmt: skip
    return Finding(check=name, status=Status.FAIL, detail=f"no quotes: {check.error or 'nothing arrived'}",
                   advice=f"{subscribe}, or allow delayed data (TWS: Global Configuration > API > Settings). "
                   f"See {DOCS}")  # fmt: skip


def _farms(facts: Facts) -> list[Finding]:
    found = []
    for name, kind, status in facts.farms:
        if status.ok:
            found.append(Finding(check=f"farm {name}", status=Status.OK, detail=f"{kind} farm {status.value}"))
        else:
            found.append(Finding(check=f"farm {name}", status=Status.WARN, detail=f"{kind} farm {status.value}",
                                 advice="IB's side or your network: TWS shows it under Data Connections; it comes "
                                 "back by itself, and ibbot resubscribes when it does"))  # fmt: skip
    if not facts.farms:
        found.append(Finding(check="farms", status=Status.INFO, detail="TWS reported no farm states (2104/2106/2158)"))
    return found


def _health(facts: Facts) -> Finding:
    detail = facts.health + (f": {facts.health_reason}" if facts.health_reason else "")
    if facts.health == "ready":
        return Finding(check="health", status=Status.OK, detail=detail)
    if facts.in_reset_window:
        return Finding(check="health", status=Status.INFO, detail=f"{detail} (inside IB's reset window)")
    return Finding(check="health", status=Status.WARN, detail=detail, advice=f"see {DOCS} for what each state means")


def _clock(facts: Facts) -> Finding:
    skew = facts.clock_skew
    if skew is None:
        return Finding(check="clock", status=Status.INFO, detail="TWS did not tell its time")
    detail = f"this machine is {abs(skew):.1f} s {'behind' if skew > 0 else 'ahead of'} IB's server time"
    if abs(skew) < CLOCK_WARN_S:
        return Finding(check="clock", status=Status.OK, detail=detail)
    advice = (
        "sync the clock with NTP (timedatectl set-ntp true, or chrony): bar times, GTD orders and the "
        "reset windows depend on it"
    )
    status = Status.WARN if abs(skew) < CLOCK_FAIL_S else Status.FAIL
    return Finding(check="clock", status=status, detail=detail, advice=advice)


def _pacing(facts: Facts) -> list[Finding]:
    found = []
    rate, sent = facts.messages_per_second, facts.send_rate
    if rate is None or rate > IB_MESSAGE_RATE:
        found.append(Finding(check="message rate", status=Status.WARN,
                             detail=f"governor allows {rate or 'unlimited'} messages/s; IB takes {IB_MESSAGE_RATE:g}",
                             advice="set [governor] messages_per_second to 50 or less (error 100 and a "
                             "disconnect beyond)"))  # fmt: skip
    else:
        headroom = (
            f"{sent:g} messages/s sent at most, {IB_MESSAGE_RATE - (sent or 0):g}/s below IB's {IB_MESSAGE_RATE:g}"
        )
        found.append(Finding(check="message rate", status=Status.OK, detail=headroom))
    lines = facts.market_data_lines
    detail = f"{facts.lines_in_use} in use of a budget of {lines if lines is not None else 'unlimited'}"
    if lines is None or lines > IB_LINES:
        found.append(Finding(check="market-data lines", status=Status.INFO, detail=detail,
                             advice="more than IB's default 100 lines only with an allowance that large (commissions, "
                             "equity or Quote Booster packs: TWS shows it under Market Data Connections)"))  # fmt: skip
    else:
        found.append(Finding(check="market-data lines", status=Status.OK, detail=detail))
    if facts.pacing_notices:
        codes = ", ".join(str(code) for code in sorted(set(facts.pacing_notices)))
        found.append(Finding(check="pacing", status=Status.WARN, detail=f"IB answered {codes} during the checks",
                             advice="another session of this login may be using IB's budget (historical requests "
                             "count per user)"))  # fmt: skip
    else:
        found.append(Finding(check="pacing", status=Status.OK, detail="no pacing violation (100, 162, 420) seen"))
    return found


def worst(findings: Sequence[Finding]) -> Status:
    order = (Status.OK, Status.INFO, Status.WARN, Status.FAIL)
    return max((f.status for f in findings), key=order.index, default=Status.OK)
