"""IB's message codes as data: what each code means, how bad it is, and what ibbot does about it.

TWS sends errors, warnings and routine notices through one `error(reqId, code, text)` message. ibbot reads
every one through `classify(code, text)`, which returns a frozen `Code` record from the table below:

* `severity` decides how it is shown: INFO and NOTICE are routine (2104/2106/2158 "farm OK" are INFO and are
  never shown as errors), WARNING needs no action, ERROR fails something, CRITICAL stops the session.
* `scope` says what the `reqId` names: the session (-1), a request, an order, or either (ib_async shares one
  counter for request and order ids, so 200 or 321 can be about either).
* `order_effect` says whether the code moves an order: ENDS (201 rejected, 202 cancelled), REJECTS_PENDING (a
  new order was refused; a live order the same id names stays live, e.g. a refused modify), or NONE. Codes that
  are informational (399, 404, 2109, 2137, 10349 ...) and codes about a failed cancel (135, 161, 10147, 10148)
  are NONE: they never mark an order cancelled. ib_async marks a live order cancelled on any code it does not
  know to be a warning (its 10349 bug); ibbot moves an order only on a known code or on orderStatus.
* `action` is what the connection layer does (farm table, reconnect, backoff, switch to delayed data ...).

Some codes carry several meanings told apart by their text: 162 is a pacing violation, an empty answer, a
competing session or a cancelled query; 354 and 10089 say whether delayed data is available. An unknown code
is never dropped: it comes back as an UNKNOWN-category ERROR record that names it.

Sources: IB's message-code pages (via the official docs and clients), ib_async 2.1.0's `wrapper.error`, and
the simulator's texts (`ibbot.sim.errors` and the modules that send codes). Entries marked "uncertain" are
from practice or forums, not from IB's documentation.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any


class Severity(enum.IntEnum):
    """How bad a code is; ordered, so `severity >= Severity.ERROR` reads naturally."""

    INFO = 10  # routine: shown in a log, never as an error
    NOTICE = 20  # worth showing (a farm went down, connectivity restored) but expected
    WARNING = 30  # something is off; nothing failed
    ERROR = 40  # a request or an order failed
    CRITICAL = 50  # the session cannot go on as it is


class Category(enum.Enum):
    CONNECTIVITY = "connectivity"
    PACING = "pacing"
    MARKET_DATA = "market data"
    ORDER = "order"
    CONTRACT = "contract"
    ACCOUNT = "account"
    SYSTEM = "system"
    UNKNOWN = "unknown"


class Scope(enum.Enum):
    """What the reqId of the message names."""

    SESSION = "session"  # reqId -1: about the connection as a whole
    REQUEST = "request"  # a data or contract request's id
    ORDER = "order"  # an order id
    REQUEST_OR_ORDER = "request or order"  # either; look the id up


class OrderEffect(enum.Enum):
    NONE = "none"  # never moves an order
    REJECTS_PENDING = "rejects pending"  # a new (pending-submit) order was refused; a live order stays live
    ENDS = "ends"  # the order is over (rejected or cancelled) whatever its state


class Action(enum.Enum):
    """What the connection layer does when the code arrives."""

    NONE = "none"  # log it at its severity
    SURFACE = "surface"  # unknown to ibbot: show it as an error with its text
    MARK_FARM_DOWN = "mark farm down"
    MARK_FARM_UP = "mark farm up"
    MARK_FARM_INACTIVE = "mark farm inactive"  # dormant, available on demand: not a problem
    MARK_FARM_CONNECTING = "mark farm connecting"
    CONNECTIVITY_LOST = "connectivity lost"  # 1100: TWS lost IB's servers
    RESTORED_DATA_LOST = "restored, data lost"  # 1101: resubscribe everything
    RESTORED_DATA_KEPT = "restored, data kept"  # 1102: verify only
    RECONNECT = "reconnect"  # the socket is going away (1300, 100)
    RETRY_AFTER_BACKOFF = "retry after backoff"  # pacing: the governor backs off and retries
    NO_DATA = "no data"  # an empty answer, not a failure of the connection
    SWITCH_TO_DELAYED = "switch to delayed"  # live data not subscribed; delayed data may be asked for
    DELAYED_DATA = "delayed data"  # the stream now carries delayed data: mark it so
    CLEAR_DEPTH = "clear depth"  # 317: empty the book before applying new entries
    RESUBSCRIBE = "resubscribe"  # the stream ended (316, 10182): subscribe again when the farm is back
    REJECT_ORDER = "reject order"
    ORDER_CANCELLED = "order cancelled"
    ORDER_REQUEST_REFUSED = "order request refused"  # a cancel/modify failed; the order itself is unchanged
    ORDER_WARNING = "order warning"  # recorded on the order, which stays live
    COMPETING_SESSION = "competing session"  # 10197: another session holds the market data
    CLIENT_ID_IN_USE = "client id in use"  # 326: try the next id of the range
    FAIL_REQUEST = "fail request"  # the request named by reqId failed


@dataclass(frozen=True, slots=True, kw_only=True)
class Code:
    code: int
    name: str
    severity: Severity
    category: Category
    action: Action
    scope: Scope
    order_effect: OrderEffect
    meaning: str

    @property
    def is_error(self) -> bool:
        """Shown as an error (not a routine notice or a warning)."""
        return self.severity >= Severity.ERROR

    @property
    def never_moves_order(self) -> bool:
        return self.order_effect is OrderEffect.NONE


# short aliases keep each row of the table on two lines
S, C, A, P, E = Severity, Category, Action, Scope, OrderEffect


def _c(  # noqa: PLR0917 (positional, so a row reads like a table row)
    code: int,
    name: str,
    severity: Severity,
    category: Category,
    action: Action,
    scope: Scope,
    meaning: str,
    order_effect: OrderEffect = OrderEffect.NONE,
) -> Code:
    return Code(
        code=code,
        name=name,
        severity=severity,
        category=category,
        action=action,
        scope=scope,
        order_effect=order_effect,
        meaning=meaning,
    )


_ROWS = (
    # --- connectivity and the session
    _c(100, "MAX_MESSAGE_RATE", S.CRITICAL, C.PACING, A.RECONNECT, P.SESSION,
       "more than 50 messages a second; TWS is likely to drop the connection"),
    _c(326, "CLIENT_ID_IN_USE", S.ERROR, C.CONNECTIVITY, A.CLIENT_ID_IN_USE, P.SESSION,
       "another API client holds this client id; TWS closes the socket"),
    _c(501, "ALREADY_CONNECTED", S.ERROR, C.CONNECTIVITY, A.NONE, P.SESSION,
       "the client is already connected (client-side)"),
    _c(502, "CONNECT_FAIL", S.ERROR, C.CONNECTIVITY, A.RECONNECT, P.SESSION,
       "cannot connect: API not enabled in TWS or wrong port (client-side)"),
    _c(504, "NOT_CONNECTED", S.ERROR, C.CONNECTIVITY, A.RECONNECT, P.SESSION, "not connected (client-side)"),
    _c(507, "BAD_MESSAGE_LENGTH", S.ERROR, C.CONNECTIVITY, A.RECONNECT, P.SESSION,
       "the socket broke while reading (client-side): the connection is not valid"),
    _c(1100, "CONNECTIVITY_LOST", S.WARNING, C.CONNECTIVITY, A.CONNECTIVITY_LOST, P.SESSION,
       "TWS lost its connection to IB's servers (network, nightly reset or competing session)"),
    _c(1101, "RESTORED_DATA_LOST", S.NOTICE, C.CONNECTIVITY, A.RESTORED_DATA_LOST, P.SESSION,
       "TWS is back with IB; market data subscriptions were lost and must be made again"),
    _c(1102, "RESTORED_DATA_KEPT", S.NOTICE, C.CONNECTIVITY, A.RESTORED_DATA_KEPT, P.SESSION,
       "TWS is back with IB; market data subscriptions were kept"),
    _c(1300, "SOCKET_PORT_RESET", S.ERROR, C.CONNECTIVITY, A.RECONNECT, P.SESSION,
       "TWS's API port was changed; this connection is dropped, reconnect on the new port"),
    _c(2110, "TWS_SERVER_BROKEN", S.WARNING, C.CONNECTIVITY, A.NONE, P.SESSION,
       # we act on the 1100 that follows, not on this: 2110 is not always followed by 1101/1102 (uncertain)
       "connectivity between TWS and IB's server is broken; TWS restores it by itself"),
    # --- data farms (the text ends with the farm's name, e.g. ":usfarm")
    _c(2103, "MARKET_FARM_BROKEN", S.NOTICE, C.CONNECTIVITY, A.MARK_FARM_DOWN, P.SESSION,
       "a market data farm is disconnected"),
    _c(2104, "MARKET_FARM_OK", S.INFO, C.CONNECTIVITY, A.MARK_FARM_UP, P.SESSION,
       "a market data farm is connected (routine, sent on every connection)"),
    _c(2105, "HMDS_FARM_BROKEN", S.NOTICE, C.CONNECTIVITY, A.MARK_FARM_DOWN, P.SESSION,
       "a historical data farm is disconnected"),
    _c(2106, "HMDS_FARM_OK", S.INFO, C.CONNECTIVITY, A.MARK_FARM_UP, P.SESSION,
       "a historical data farm is connected (routine)"),
    _c(2107, "HMDS_FARM_INACTIVE", S.INFO, C.CONNECTIVITY, A.MARK_FARM_INACTIVE, P.SESSION,
       "a historical data farm is idle but available on demand"),
    _c(2108, "MARKET_FARM_INACTIVE", S.INFO, C.CONNECTIVITY, A.MARK_FARM_INACTIVE, P.SESSION,
       "a market data farm is idle but available on demand"),
    _c(2119, "MARKET_FARM_CONNECTING", S.INFO, C.CONNECTIVITY, A.MARK_FARM_CONNECTING, P.SESSION,
       "a market data farm is connecting"),
    _c(2157, "SECDEF_FARM_BROKEN", S.NOTICE, C.CONNECTIVITY, A.MARK_FARM_DOWN, P.SESSION,
       "a security definition farm is disconnected"),
    _c(2158, "SECDEF_FARM_OK", S.INFO, C.CONNECTIVITY, A.MARK_FARM_UP, P.SESSION,
       "a security definition farm is connected (routine)"),
    # --- account
    _c(2100, "ACCOUNT_DATA_UNSUBSCRIBED", S.WARNING, C.ACCOUNT, A.NONE, P.SESSION,
       "a new reqAccountUpdates replaced the previous subscription (one account at a time)"),
    _c(2101, "ACCOUNT_SUBSCRIBED_ELSEWHERE", S.WARNING, C.ACCOUNT, A.NONE, P.SESSION,
       "another client is subscribed to a different account's updates"),
    # --- market data and its limits
    _c(101, "MAX_TICKERS", S.ERROR, C.PACING, A.FAIL_REQUEST, P.REQUEST,
       "the account's market data lines are all in use"),
    _c(102, "DUPLICATE_TICKER_ID", S.ERROR, C.MARKET_DATA, A.FAIL_REQUEST, P.REQUEST,
       "a market data request reused an active ticker id (a bug of ours)"),
    _c(300, "UNKNOWN_TICKER_ID", S.WARNING, C.MARKET_DATA, A.NONE, P.REQUEST,
       "a cancel named a ticker id that is not subscribed (often: it already ended)"),
    _c(309, "MAX_DEPTH", S.ERROR, C.PACING, A.FAIL_REQUEST, P.REQUEST,
       "the maximum number of market depth subscriptions is reached"),
    _c(310, "UNKNOWN_DEPTH_ID", S.WARNING, C.MARKET_DATA, A.NONE, P.REQUEST,
       "a depth cancel named an id that is not subscribed"),
    _c(316, "DEPTH_HALTED", S.WARNING, C.MARKET_DATA, A.RESUBSCRIBE, P.REQUEST,
       "market depth was halted; subscribe again"),
    _c(317, "DEPTH_RESET", S.NOTICE, C.MARKET_DATA, A.CLEAR_DEPTH, P.REQUEST,
       "market depth was reset; empty the book before applying new entries"),
    _c(354, "NOT_SUBSCRIBED", S.ERROR, C.MARKET_DATA, A.FAIL_REQUEST, P.REQUEST,
       "the account has no live market data subscription for this instrument"),
    _c(420, "INVALID_REALTIME_QUERY", S.ERROR, C.MARKET_DATA, A.FAIL_REQUEST, P.REQUEST,
       "a real-time bars request was refused (permissions or pacing, by its text)"),
    _c(10089, "NEEDS_API_SUBSCRIPTION", S.ERROR, C.MARKET_DATA, A.FAIL_REQUEST, P.REQUEST,
       "the data needs an additional subscription for the API"),
    _c(10090, "PARTLY_SUBSCRIBED", S.WARNING, C.MARKET_DATA, A.NONE, P.REQUEST,
       "part of the requested data is not subscribed; the other ticks still flow"),
    _c(10091, "PARTLY_NEEDS_API_SUBSCRIPTION", S.WARNING, C.MARKET_DATA, A.NONE, P.REQUEST,
       "part of the requested data needs an additional subscription for the API (uncertain)"),
    _c(10092, "DEPTH_NOT_SUPPORTED", S.ERROR, C.MARKET_DATA, A.FAIL_REQUEST, P.REQUEST,
       "market depth is not offered for this security type and exchange"),
    _c(10167, "DISPLAYING_DELAYED", S.NOTICE, C.MARKET_DATA, A.DELAYED_DATA, P.REQUEST,
       "not subscribed to live data: the stream carries delayed data instead"),
    _c(10168, "DELAYED_NOT_ENABLED", S.ERROR, C.MARKET_DATA, A.SWITCH_TO_DELAYED, P.REQUEST,
       "not subscribed to live data, and delayed data was not asked for (reqMarketDataType 3)"),
    _c(10186, "DELAYED_NOT_ENABLED_ALT", S.ERROR, C.MARKET_DATA, A.FAIL_REQUEST, P.REQUEST,
       # IB's list words it like 10168; some clients report it for a PnL cancel (uncertain)
       "not subscribed to live data; delayed data is not enabled"),
    _c(10190, "MAX_TICK_BY_TICK", S.ERROR, C.PACING, A.FAIL_REQUEST, P.REQUEST,
       "the maximum number of tick-by-tick subscriptions is reached (code from practice: uncertain)"),
    _c(10197, "COMPETING_SESSION", S.WARNING, C.MARKET_DATA, A.COMPETING_SESSION, P.REQUEST,
       "no market data while another live session of the same user is logged in"),
    _c(10225, "BUST_EVENT", S.WARNING, C.MARKET_DATA, A.RESUBSCRIBE, P.REQUEST,
       "a bust event deactivated the real-time bars subscription; subscribe again"),
    # --- historical data
    _c(162, "HMDS_ERROR", S.ERROR, C.MARKET_DATA, A.FAIL_REQUEST, P.REQUEST,
       "the historical data service refused the request"),
    _c(165, "HMDS_QUERY_MESSAGE", S.INFO, C.MARKET_DATA, A.NONE, P.REQUEST,
       "a message from the historical data service (e.g. its connection was successful)"),
    _c(166, "HMDS_EXPIRED_CONTRACT", S.ERROR, C.MARKET_DATA, A.NO_DATA, P.REQUEST,
       "no historical data for this expired contract"),
    _c(366, "NO_HISTORICAL_QUERY", S.WARNING, C.MARKET_DATA, A.NONE, P.REQUEST,
       "a cancel named a historical query that is not running (often: it already ended)"),
    _c(386, "DUPLICATE_HISTORICAL_ID", S.ERROR, C.MARKET_DATA, A.FAIL_REQUEST, P.REQUEST,
       "a historical request reused an active ticker id (a bug of ours)"),
    _c(2174, "IMPLIED_TIME_ZONE", S.INFO, C.MARKET_DATA, A.NONE, P.REQUEST,
       "an end time named no zone and was read in TWS's zone (ibbot always names UTC)"),
    _c(10182, "LIVE_UPDATES_LOST", S.WARNING, C.MARKET_DATA, A.RESUBSCRIBE, P.REQUEST,
       "a keepUpToDate history stream ended because the farm disconnected"),
    # --- contracts
    _c(200, "NO_SECURITY_DEFINITION", S.ERROR, C.CONTRACT, A.FAIL_REQUEST, P.REQUEST_OR_ORDER,
       "no contract matches the description, or it is ambiguous", E.REJECTS_PENDING),
    _c(203, "SECURITY_NOT_ALLOWED", S.ERROR, C.CONTRACT, A.REJECT_ORDER, P.ORDER,
       "the security is not available or allowed for this account", E.REJECTS_PENDING),
    # --- requests in general
    _c(320, "SERVER_READ_ERROR", S.ERROR, C.SYSTEM, A.FAIL_REQUEST, P.REQUEST_OR_ORDER,
       "TWS could not read a request (a bug of ours or a version mismatch)", E.REJECTS_PENDING),
    _c(321, "VALIDATION_ERROR", S.ERROR, C.SYSTEM, A.FAIL_REQUEST, P.REQUEST_OR_ORDER,
       # on a modify the order stays live; on read-only API every order is refused with 321
       "TWS refused a request while validating it (the cause follows in the text)", E.REJECTS_PENDING),
    _c(322, "SERVER_PROCESSING_ERROR", S.ERROR, C.SYSTEM, A.FAIL_REQUEST, P.REQUEST_OR_ORDER,
       "TWS failed while processing a request (e.g. too many open historical requests)", E.REJECTS_PENDING),
    _c(505, "UNKNOWN_MESSAGE_ID", S.CRITICAL, C.SYSTEM, A.RECONNECT, P.SESSION,
       "TWS did not know a message id we sent (a version mismatch)"),
    # --- orders
    _c(103, "DUPLICATE_ORDER_ID", S.ERROR, C.ORDER, A.REJECT_ORDER, P.ORDER,
       "an order id was not above this client's previous ones", E.REJECTS_PENDING),
    _c(104, "MODIFY_FILLED", S.WARNING, C.ORDER, A.ORDER_REQUEST_REFUSED, P.ORDER,
       "a modify reached an order that is already filled"),
    _c(105, "MODIFY_MISMATCH", S.WARNING, C.ORDER, A.ORDER_REQUEST_REFUSED, P.ORDER,
       "a modify changed more than quantity or prices; the order stays as it was"),
    _c(110, "PRICE_NOT_ON_TICK", S.ERROR, C.ORDER, A.REJECT_ORDER, P.ORDER,
       "a price is not a multiple of the contract's minimum tick", E.REJECTS_PENDING),
    _c(133, "SUBMIT_FAILED", S.ERROR, C.ORDER, A.REJECT_ORDER, P.ORDER,
       "submitting a new order failed", E.REJECTS_PENDING),
    _c(134, "MODIFY_FAILED", S.WARNING, C.ORDER, A.ORDER_REQUEST_REFUSED, P.ORDER,
       "modifying an order failed; the order stays as it was"),
    _c(135, "ORDER_NOT_FOUND", S.WARNING, C.ORDER, A.ORDER_REQUEST_REFUSED, P.ORDER,
       "a cancel or modify named an order TWS cannot find"),
    _c(161, "NOT_CANCELLABLE", S.WARNING, C.ORDER, A.ORDER_REQUEST_REFUSED, P.ORDER,
       "a cancel reached an order that is not in a cancellable state"),
    _c(201, "ORDER_REJECTED", S.ERROR, C.ORDER, A.REJECT_ORDER, P.ORDER,
       # also sent when IB rejects an order later (margin); whether a refused modify of a live order can
       # come as 201 is uncertain: the next orderStatus confirms
       "IB rejected the order (the reason follows in the text)", E.ENDS),
    _c(202, "ORDER_CANCELLED", S.NOTICE, C.ORDER, A.ORDER_CANCELLED, P.ORDER,
       "the order was cancelled (by us, by IB, or at the end of its time in force)", E.ENDS),
    _c(329, "MODIFY_TYPE_CHANGE", S.WARNING, C.ORDER, A.ORDER_REQUEST_REFUSED, P.ORDER,
       "a modify tried to change the order type; the order stays as it was"),
    _c(387, "UNSUPPORTED_ORDER_TYPE", S.ERROR, C.ORDER, A.REJECT_ORDER, P.ORDER,
       "the order type is not offered for this exchange and security type", E.REJECTS_PENDING),
    _c(399, "ORDER_MESSAGE", S.WARNING, C.ORDER, A.ORDER_WARNING, P.ORDER,
       "a message about the order (e.g. it waits for the market to open); the order stays live"),
    _c(404, "SHORT_LOCATE", S.WARNING, C.ORDER, A.ORDER_WARNING, P.ORDER,
       "shares to sell short are not available yet; the order is held while IB locates them"),
    _c(434, "ZERO_SIZE", S.ERROR, C.ORDER, A.REJECT_ORDER, P.ORDER,
       # ib_async counts it a warning (a modify to zero leaves the order live); a new order is refused
       "the order size cannot be zero", E.REJECTS_PENDING),
    _c(2102, "MODIFY_WHILE_PROCESSING", S.WARNING, C.ORDER, A.ORDER_REQUEST_REFUSED, P.ORDER,
       "a modify came before the order was processed; try again once it is"),
    _c(2109, "OUTSIDE_RTH_IGNORED", S.INFO, C.ORDER, A.ORDER_WARNING, P.ORDER,
       "the outside-regular-hours flag does not apply to this order and was ignored; it is processed"),
    _c(2137, "CROSS_SIDE_WARNING", S.WARNING, C.ORDER, A.ORDER_WARNING, P.ORDER,
       "the order takes the position from long to short or back; it is processed"),
    _c(10147, "CANCEL_TARGET_NOT_FOUND", S.WARNING, C.ORDER, A.ORDER_REQUEST_REFUSED, P.ORDER,
       # from practice: often the order already ended; its state comes from orderStatus, not from here
       "the order to cancel was not found"),
    _c(10148, "CANCEL_TARGET_DONE", S.WARNING, C.ORDER, A.ORDER_REQUEST_REFUSED, P.ORDER,
       "the order to cancel cannot be cancelled in its state (e.g. Filled)"),
    _c(10268, "ETRADE_ONLY_UNSUPPORTED", S.ERROR, C.ORDER, A.REJECT_ORDER, P.ORDER,
       "the EtradeOnly order attribute is not supported", E.REJECTS_PENDING),
    _c(10269, "FIRM_QUOTE_ONLY_UNSUPPORTED", S.ERROR, C.ORDER, A.REJECT_ORDER, P.ORDER,
       "the FirmQuoteOnly order attribute is not supported", E.REJECTS_PENDING),
    _c(10270, "NBBO_PRICE_CAP_UNSUPPORTED", S.ERROR, C.ORDER, A.REJECT_ORDER, P.ORDER,
       "the NbboPriceCap order attribute is not supported", E.REJECTS_PENDING),
    _c(10349, "TIF_SET_BY_PRESET", S.NOTICE, C.ORDER, A.ORDER_WARNING, P.ORDER,
       # newer TWS builds; not in IB's list. ib_async before its fix marked the order cancelled
       "TWS set the time in force to DAY from the order preset; the order is live"),
)  # fmt: skip

TABLE: Mapping[int, Code] = MappingProxyType({row.code: row for row in _ROWS})


def _variant(base: Code, **changes: Any) -> Code:
    return replace(base, **changes)


_PACING = _variant(
    TABLE[162],
    name="HMDS_PACING_VIOLATION",
    category=C.PACING,
    action=A.RETRY_AFTER_BACKOFF,
    meaning="historical data request pacing violation; back off and retry",
)
_DELAYED_AVAILABLE = "delayed market data is available"
# Text fragments (lower case) that tell a code's meanings apart; the first that matches wins.
VARIANTS: Mapping[int, tuple[tuple[str, Code], ...]] = MappingProxyType(
    {
        162: (
            ("pacing violation", _PACING),
            ("returned no data", _variant(TABLE[162], name="HMDS_NO_DATA", action=A.NO_DATA,
                                          meaning="the historical query returned no data")),
            ("no head time stamp", _variant(TABLE[162], name="HMDS_NO_HEAD_TIMESTAMP", action=A.NO_DATA,
                                            meaning="no earliest data point for this contract")),
            ("query cancelled", _variant(TABLE[162], name="HMDS_QUERY_CANCELLED", severity=S.INFO,
                                         action=A.NONE, meaning="the historical query was cancelled")),
            ("different ip address", _variant(TABLE[162], name="HMDS_COMPETING_SESSION", severity=S.WARNING,
                                              action=A.COMPETING_SESSION,
                                              meaning="a trading session from another address holds the data")),
            ("no market data permissions", _variant(TABLE[162], name="HMDS_NO_PERMISSIONS",
                                                    meaning="no market data permissions for this data")),
        ),
        354: (
            (_DELAYED_AVAILABLE, _variant(TABLE[354], name="NOT_SUBSCRIBED_DELAYED_AVAILABLE",
                                          severity=S.WARNING, action=A.SWITCH_TO_DELAYED,
                                          meaning="no live data subscription; delayed data is available")),
        ),
        10089: (
            (_DELAYED_AVAILABLE, _variant(TABLE[10089], name="NEEDS_API_SUBSCRIPTION_DELAYED_AVAILABLE",
                                          severity=S.WARNING, action=A.SWITCH_TO_DELAYED,
                                          meaning="the data needs an API subscription; delayed data is available")),
        ),
        420: (
            ("pacing violation", _variant(TABLE[420], name="REALTIME_PACING_VIOLATION", category=C.PACING,
                                          action=A.RETRY_AFTER_BACKOFF,
                                          meaning="real-time bars request pacing violation; back off and retry")),
        ),
    }
)  # fmt: skip


def classify(code: int, text: str = "") -> Code:
    """The record for `code`, told apart by `text` where one code has several meanings; never None."""
    lowered = text.lower()
    for fragment, record in VARIANTS.get(code, ()):
        if fragment in lowered:
            return record
    known = TABLE.get(code)
    if known is not None:
        return known
    return Code(
        code=code,
        name="UNKNOWN",
        severity=Severity.ERROR,
        category=Category.UNKNOWN,
        action=Action.SURFACE,
        # an unknown code never moves an order: its orderStatus will, if anything changed
        scope=Scope.REQUEST_OR_ORDER,
        order_effect=OrderEffect.NONE,
        meaning=f"code {code} is not in ibbot's table: {text}" if text else f"code {code} is not in ibbot's table",
    )
