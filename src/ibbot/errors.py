"""The one exception tree of ibbot.

    IbbotError
    ├── ConfigError                 invalid settings (raised at the edge, before anything starts)
    ├── StoreError                  the simulator's state file cannot be opened, read or written
    └── ProtocolError               the TWS wire protocol cannot go on
        ├── FrameError              a frame is malformed or larger than the maximum (fatal to a connection)
        ├── HandshakeError          the "API\\0" hello is malformed or no version can be agreed
        └── FieldError              a field cannot be read as the type its message needs
        LocalProtocolError          we were asked to send something the negotiated version cannot carry
    ├── OrderStateError             an order took a step its status table forbids (a bug: simulator or framework)
    ├── BrokerError                 the framework's dealings with TWS / IB Gateway failed
    │   ├── ConnectError            cannot connect, or the session did not start (timeout, refused, no nextValidId)
    │   │   ├── GatewayUnreachableError  nothing listens on the port (not running yet, or restarting)
    │   │   ├── ClientIdInUseError  326 on every client id of the configured range
    │   │   └── LiveGuardError      the account is live without the opt-in, or paper where live was asked for
    │   ├── NotConnectedError       a request while there is no session
    │   ├── RequestTimeoutError          a request got no answer within its timeout
    │   ├── MarketDataLimitError    a subscription would exceed the market-data line / depth / tick-by-tick budget
    │   └── RequestError            IB answered a request with an error (`code`, `text`)
    │       ├── PacingViolationError     162 "pacing violation" (retried by the governor)
    │       └── NoDataError         162 "HMDS query returned no data" and other empty answers
    ├── ContractError               a contract is unknown, or ambiguous (`candidates`)
    │   └── HoursError              a contract's tradingHours/liquidHours text or time zone cannot be read
    ├── HistoryError                a history request cannot be planned (unknown bar size, reversed range)
    ├── CacheError                  a local cache (contracts.sqlite, the Parquet bars) cannot be opened, read or written
    ├── OrderError                  an order is invalid and was refused before it left (`reason`)
    ├── RiskRefusedError                 the risk gate refused an order (`check`, `reason`)
    ├── RiskStateError              the risk mode took a step its table forbids, or its saved record is malformed
    ├── JournalError                the framework's journal cannot be opened, migrated, read or written
    ├── StrategyError               a strategy is invalid (bad parameters, no Strategy class) or raised
    ├── AuditError                  the audit trail cannot be written or read, or its hash chain is broken
    ├── NotifyError                 a notification could not be delivered (`retryable` says whether to try again)
    ├── DashboardError              the dashboard cannot serve (its address is taken) or refused an action
    └── HealthTransitionError       the connection's health took a step its transition table forbids (a bug)

Errors in a client's *request* (a bad field, an unknown message id) are not exceptions at the connection
level: `ibbot.protocol.connection` turns them into typed events so one bad message never kills a session.
"""

from __future__ import annotations


class IbbotError(Exception):
    """Base of every exception ibbot raises on purpose."""


class ConfigError(IbbotError):
    """Settings are invalid; raised once, where they are loaded."""


class StoreError(IbbotError):
    """The simulator's state file is foreign, newer than this code, locked, or an I/O operation on it failed."""


class ProtocolError(IbbotError):
    """The peer violated the TWS wire protocol."""


class FrameError(ProtocolError):
    """A frame is malformed or oversized; the byte stream cannot be resynchronised."""


class HandshakeError(ProtocolError):
    """The connection hello is malformed, or the version ranges do not overlap."""


class FieldError(ProtocolError):
    """A field's text cannot be read as the type the message layout requires."""


class LocalProtocolError(IbbotError):
    """We tried to send something the negotiated server version cannot express (a bug on our side)."""


class OrderStateError(IbbotError):
    """An order took a lifecycle step its status table does not allow: a bug in the engine, not the client."""


class BrokerError(IbbotError):
    """The framework's dealings with TWS / IB Gateway failed."""


class ConnectError(BrokerError):
    """No session could be started: refused, timed out, or no nextValidId."""


class GatewayUnreachableError(ConnectError):
    """Nothing listens on the port: TWS / IB Gateway is not running (yet), or is restarting."""


class ClientIdInUseError(ConnectError):
    """326 on every client id of the configured range."""


class LiveGuardError(ConnectError):
    """A live account without the explicit opt-in, or a paper account where live trading was asked for."""


class NotConnectedError(BrokerError):
    """A request was made while there is no session."""


class RequestTimeoutError(BrokerError):
    """A request got no answer within its timeout."""


class MarketDataLimitError(BrokerError):
    """A subscription would exceed the market-data line, depth or tick-by-tick budget (instead of meeting 101)."""


class RequestError(BrokerError):
    """IB answered a request with an error code."""

    def __init__(self, code: int, text: str, *, req_id: int = -1) -> None:
        super().__init__(f"IB error {code}: {text}")
        self.code = code
        self.text = text
        self.req_id = req_id


class PacingViolationError(RequestError):
    """162: historical data request pacing violation (the governor backs off and retries)."""


class NoDataError(RequestError):
    """162 "HMDS query returned no data" (or another empty answer): not a failure of the connection."""


class ContractError(IbbotError):
    """A contract is unknown, or its description is ambiguous (`candidates` lists the matches)."""

    def __init__(self, message: str, *, candidates: tuple[object, ...] = ()) -> None:
        super().__init__(message)
        self.candidates = candidates


class HoursError(ContractError):
    """A contract's tradingHours/liquidHours text (or its timeZoneId) cannot be read."""


class HistoryError(IbbotError):
    """A history request cannot be planned (an unknown bar size, a reversed range)."""


class CacheError(IbbotError):
    """A local cache (the contract cache, the Parquet bar cache) cannot be opened, read or written."""


class OrderError(IbbotError):
    """An order is invalid and was refused before it left (a wrong tick, size, missing field ...)."""


class RiskRefusedError(IbbotError):
    """The risk gate refused an order; nothing reached IB."""

    def __init__(self, check: str, reason: str) -> None:
        super().__init__(f"refused by {check}: {reason}")
        self.check = check
        self.reason = reason


class RiskStateError(IbbotError):
    """The risk gate's mode was asked for a transition its table forbids, or its journal record is malformed."""


class JournalError(IbbotError):
    """The framework's journal cannot be opened, migrated, read or written."""


class StrategyError(IbbotError):
    """A strategy is invalid (no Strategy class, bad parameters) or raised in one of its hooks."""


class AuditError(IbbotError):
    """The audit trail cannot be written or read, or a line breaks its hash chain."""


class NotifyError(IbbotError):
    """A notification was not delivered; `retryable` is False when sending it again cannot help (a 4xx)."""

    def __init__(self, message: str, *, retryable: bool = True, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after  # seconds the receiver asked us to wait (Telegram's 429), if it did


class DashboardError(IbbotError):
    """The dashboard cannot listen where it was asked to, or an operator action was refused."""


class HealthTransitionError(IbbotError):
    """The connection's health machine got a trigger its transition table forbids in the current phase."""
