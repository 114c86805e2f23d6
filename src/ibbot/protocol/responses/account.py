"""Server messages about accounts: values, portfolio, positions, summaries, PnL and FA configuration.

Theory of operation: ib_async 2.1.0 unpacks updatePortfolio (7), position (61) and positionMulti (71) into
a fixed number of names, so those frames have exactly 20, 16 and 18 fields, and it converts the portfolio's
numbers with a bare float(): they are never empty. Quantities are written by `fmt_decimal` (integral values
as integer text, as ibapi 9.81's int() readers need). An unknown PnL figure is sent as IB's unset double,
as TWS does, so a client can tell "not known" from zero. ib_async's startup sync waits on positionEnd (62),
accountDownloadEnd (54) and accountUpdateMultiEnd (74).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from ibbot.errors import LocalProtocolError
from ibbot.protocol.fields import UNSET_DOUBLE, fmt_decimal, fmt_float, fmt_int
from ibbot.protocol.framing import frame_fields
from ibbot.protocol.ids import ServerMsgId
from ibbot.protocol.responses.base import FROZEN, Encoder, Response, contract_fields
from ibbot.protocol.types import Contract

_UNSET_DOUBLE_TEXT = repr(UNSET_DOUBLE)  # 1.7976931348623157e+308, what TWS sends for "no value"


@dataclass(**FROZEN)
class AccountValue(Response):
    """updateAccountValue (6): one key of the account window, e.g. NetLiquidation."""

    msg_id = ServerMsgId.ACCT_VALUE
    key: str
    value: str
    currency: str
    account: str


@dataclass(**FROZEN)
class PortfolioValue(Response):
    """updatePortfolio (7): one position with its market value, as reqAccountUpdates streams it."""

    msg_id = ServerMsgId.PORTFOLIO_VALUE
    contract: Contract
    position: Decimal
    market_price: float
    market_value: float
    average_cost: float
    unrealized_pnl: float
    realized_pnl: float
    account: str


@dataclass(**FROZEN)
class AccountUpdateTime(Response):
    msg_id = ServerMsgId.ACCT_UPDATE_TIME
    time: str  # "HH:MM"


@dataclass(**FROZEN)
class AccountDownloadEnd(Response):
    msg_id = ServerMsgId.ACCT_DOWNLOAD_END
    account: str


@dataclass(**FROZEN)
class AccountSummary(Response):
    msg_id = ServerMsgId.ACCOUNT_SUMMARY
    req_id: int
    account: str
    tag: str
    value: str
    currency: str


@dataclass(**FROZEN)
class AccountSummaryEnd(Response):
    msg_id = ServerMsgId.ACCOUNT_SUMMARY_END
    req_id: int


@dataclass(**FROZEN)
class Position(Response):
    """position (61): one position of reqPositions; negative is short, zero means it was closed."""

    msg_id = ServerMsgId.POSITION_DATA
    account: str
    contract: Contract
    position: Decimal
    avg_cost: float


@dataclass(**FROZEN)
class PositionEnd(Response):
    msg_id = ServerMsgId.POSITION_END


@dataclass(**FROZEN)
class PositionMulti(Response):
    msg_id = ServerMsgId.POSITION_MULTI
    req_id: int
    account: str
    model_code: str
    contract: Contract
    position: Decimal
    avg_cost: float


@dataclass(**FROZEN)
class PositionMultiEnd(Response):
    msg_id = ServerMsgId.POSITION_MULTI_END
    req_id: int


@dataclass(**FROZEN)
class AccountUpdateMulti(Response):
    msg_id = ServerMsgId.ACCOUNT_UPDATE_MULTI
    req_id: int
    account: str
    model_code: str
    key: str
    value: str
    currency: str


@dataclass(**FROZEN)
class AccountUpdateMultiEnd(Response):
    msg_id = ServerMsgId.ACCOUNT_UPDATE_MULTI_END
    req_id: int


@dataclass(**FROZEN)
class PnL(Response):
    """pnl (94): daily, unrealized and realized PnL of an account; None is "not known"."""

    msg_id = ServerMsgId.PNL
    req_id: int
    daily_pnl: float | None
    unrealized_pnl: float | None
    realized_pnl: float | None


@dataclass(**FROZEN)
class PnLSingle(Response):
    """pnlSingle (95): PnL of one position; None is "not known"."""

    msg_id = ServerMsgId.PNL_SINGLE
    req_id: int
    position: Decimal
    daily_pnl: float | None
    unrealized_pnl: float | None
    realized_pnl: float | None
    value: float | None


@dataclass(**FROZEN)
class ReceiveFA(Response):
    """receiveFA (16): FA configuration XML; `fa_data_type` 1 groups, 2 profiles, 3 aliases."""

    msg_id = ServerMsgId.RECEIVE_FA
    fa_data_type: int
    xml: str


@dataclass(**FROZEN)
class ReplaceFAEnd(Response):
    msg_id = ServerMsgId.REPLACE_FA_END
    req_id: int
    text: str


# --- field helpers -------------------------------------------------------------------------------------


def _number(value: float, what: str) -> str:
    # ib_async reads these with a bare float(): empty or "Infinite" would make it drop the message.
    if not math.isfinite(value):
        raise LocalProtocolError(f"{what} must be a finite number, got {value}")
    return fmt_float(value)


def _pnl(value: float | None) -> str:
    if value is None or math.isnan(value):
        return _UNSET_DOUBLE_TEXT
    return _number(value, "PnL figure")


def _quantity(value: Decimal) -> str:
    if not value.is_finite():
        raise LocalProtocolError(f"a position must be a finite quantity, got {value}")
    return fmt_decimal(value)


def _whole_position(value: Decimal) -> str:
    # Both clients read pnlSingle's position with int(), at every version.
    if value != value.to_integral_value():
        raise LocalProtocolError(f"pnlSingle position must be whole for the clients' int(), got {value}")
    return _quantity(value)


# --- encoders -----------------------------------------------------------------------------------------


def _account_value(m: AccountValue, sv: int) -> bytes:
    return frame_fields(["6", "2", m.key, m.value, m.currency, m.account])


def _portfolio_value(m: PortfolioValue, sv: int) -> bytes:
    c = m.contract
    return frame_fields(
        [
            "7",
            "8",
            *contract_fields(c, exchange=c.primary_exchange),
            _quantity(m.position),
            _number(m.market_price, "marketPrice"),
            _number(m.market_value, "marketValue"),
            _number(m.average_cost, "averageCost"),
            _number(m.unrealized_pnl, "unrealizedPNL"),
            _number(m.realized_pnl, "realizedPNL"),
            m.account,
        ]
    )


def _account_update_time(m: AccountUpdateTime, sv: int) -> bytes:
    return frame_fields(["8", "1", m.time])


def _account_download_end(m: AccountDownloadEnd, sv: int) -> bytes:
    return frame_fields(["54", "1", m.account])


def _account_summary(m: AccountSummary, sv: int) -> bytes:
    return frame_fields(["63", "1", fmt_int(m.req_id), m.account, m.tag, m.value, m.currency])


def _account_summary_end(m: AccountSummaryEnd, sv: int) -> bytes:
    return frame_fields(["64", "1", fmt_int(m.req_id)])


def _position(m: Position, sv: int) -> bytes:
    return frame_fields(
        [
            "61",
            "3",
            m.account,
            *contract_fields(m.contract),
            _quantity(m.position),
            _number(m.avg_cost, "avgCost"),
        ]
    )


def _position_end(m: PositionEnd, sv: int) -> bytes:
    return frame_fields(["62", "1"])


def _position_multi(m: PositionMulti, sv: int) -> bytes:
    return frame_fields(
        [
            "71",
            "1",
            fmt_int(m.req_id),
            m.account,
            *contract_fields(m.contract),
            _quantity(m.position),
            _number(m.avg_cost, "avgCost"),
            m.model_code,
        ]
    )


def _position_multi_end(m: PositionMultiEnd, sv: int) -> bytes:
    return frame_fields(["72", "1", fmt_int(m.req_id)])


def _account_update_multi(m: AccountUpdateMulti, sv: int) -> bytes:
    return frame_fields(["73", "1", fmt_int(m.req_id), m.account, m.model_code, m.key, m.value, m.currency])


def _account_update_multi_end(m: AccountUpdateMultiEnd, sv: int) -> bytes:
    return frame_fields(["74", "1", fmt_int(m.req_id)])


def _pnl_msg(m: PnL, sv: int) -> bytes:
    return frame_fields(["94", fmt_int(m.req_id), _pnl(m.daily_pnl), _pnl(m.unrealized_pnl), _pnl(m.realized_pnl)])


def _pnl_single(m: PnLSingle, sv: int) -> bytes:
    return frame_fields(
        [
            "95",
            fmt_int(m.req_id),
            _whole_position(m.position),
            _pnl(m.daily_pnl),
            _pnl(m.unrealized_pnl),
            _pnl(m.realized_pnl),
            _pnl(m.value),
        ]
    )


def _receive_fa(m: ReceiveFA, sv: int) -> bytes:
    return frame_fields(["16", "1", fmt_int(m.fa_data_type), m.xml])


def _replace_fa_end(m: ReplaceFAEnd, sv: int) -> bytes:
    return frame_fields(["103", fmt_int(m.req_id), m.text])


ENCODERS: dict[type[Response], Encoder] = {
    AccountValue: _account_value,
    PortfolioValue: _portfolio_value,
    AccountUpdateTime: _account_update_time,
    AccountDownloadEnd: _account_download_end,
    AccountSummary: _account_summary,
    AccountSummaryEnd: _account_summary_end,
    Position: _position,
    PositionEnd: _position_end,
    PositionMulti: _position_multi,
    PositionMultiEnd: _position_multi_end,
    AccountUpdateMulti: _account_update_multi,
    AccountUpdateMultiEnd: _account_update_multi_end,
    PnL: _pnl_msg,
    PnLSingle: _pnl_single,
    ReceiveFA: _receive_fa,
    ReplaceFAEnd: _replace_fa_end,
}
