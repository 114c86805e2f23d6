"""Account-family requests: account updates, positions, account summary, the *Multi variants and PnL.

Ids 6 and 61-77 carry a version field (read and ignored: one layout at every server version we speak);
the PnL requests (92-95) have none. ib_async's startup sync sends exactly `61,1`, `6,2,1,<acct>` and
`76,1,<reqId>,<acct>,,0`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ibbot.protocol.fields import FieldReader
from ibbot.protocol.ids import ClientMsgId
from ibbot.protocol.requests.base import FROZEN, Decoder, Request, req_id_only, versioned_empty


@dataclass(**FROZEN)
class ReqAccountUpdates(Request):
    """reqAccountUpdates: start (or stop) the account value / portfolio stream of one account."""

    msg_id = ClientMsgId.REQ_ACCT_DATA
    subscribe: bool
    account: str


@dataclass(**FROZEN)
class ReqPositions(Request):
    msg_id = ClientMsgId.REQ_POSITIONS


@dataclass(**FROZEN)
class CancelPositions(Request):
    msg_id = ClientMsgId.CANCEL_POSITIONS


@dataclass(**FROZEN)
class ReqAccountSummary(Request):
    """reqAccountSummary: `group` is `All` or an FA group; `tags` as listed (`$LEDGER:ALL` included)."""

    msg_id = ClientMsgId.REQ_ACCOUNT_SUMMARY
    req_id: int
    group: str
    tags: tuple[str, ...]


@dataclass(**FROZEN)
class CancelAccountSummary(Request):
    msg_id = ClientMsgId.CANCEL_ACCOUNT_SUMMARY
    req_id: int


@dataclass(**FROZEN)
class ReqPositionsMulti(Request):
    msg_id = ClientMsgId.REQ_POSITIONS_MULTI
    req_id: int
    account: str
    model_code: str


@dataclass(**FROZEN)
class CancelPositionsMulti(Request):
    msg_id = ClientMsgId.CANCEL_POSITIONS_MULTI
    req_id: int


@dataclass(**FROZEN)
class ReqAccountUpdatesMulti(Request):
    msg_id = ClientMsgId.REQ_ACCOUNT_UPDATES_MULTI
    req_id: int
    account: str
    model_code: str
    ledger_and_nlv: bool


@dataclass(**FROZEN)
class CancelAccountUpdatesMulti(Request):
    msg_id = ClientMsgId.CANCEL_ACCOUNT_UPDATES_MULTI
    req_id: int


@dataclass(**FROZEN)
class ReqPnl(Request):
    msg_id = ClientMsgId.REQ_PNL
    req_id: int
    account: str
    model_code: str


@dataclass(**FROZEN)
class CancelPnl(Request):
    msg_id = ClientMsgId.CANCEL_PNL
    req_id: int


@dataclass(**FROZEN)
class ReqPnlSingle(Request):
    msg_id = ClientMsgId.REQ_PNL_SINGLE
    req_id: int
    account: str
    model_code: str
    con_id: int


@dataclass(**FROZEN)
class CancelPnlSingle(Request):
    msg_id = ClientMsgId.CANCEL_PNL_SINGLE
    req_id: int


def _account_updates(r: FieldReader, sv: int) -> ReqAccountUpdates:
    r.int("version")
    return ReqAccountUpdates(subscribe=r.bool("subscribe"), account=r.str("acctCode"))


def _account_summary(r: FieldReader, sv: int) -> ReqAccountSummary:
    r.int("version")
    req_id = r.int("reqId")
    group = r.str("groupName")
    # A comma list; both clients send it verbatim, so tolerate stray spaces and a trailing comma.
    tags = tuple(tag for tag in (t.strip() for t in r.str("tags").split(",")) if tag)
    return ReqAccountSummary(req_id=req_id, group=group, tags=tags)


def _positions_multi(r: FieldReader, sv: int) -> ReqPositionsMulti:
    r.int("version")
    return ReqPositionsMulti(req_id=r.int("reqId"), account=r.str("account"), model_code=r.str("modelCode"))


def _account_updates_multi(r: FieldReader, sv: int) -> ReqAccountUpdatesMulti:
    r.int("version")
    return ReqAccountUpdatesMulti(
        req_id=r.int("reqId"),
        account=r.str("account"),
        model_code=r.str("modelCode"),
        ledger_and_nlv=r.bool("ledgerAndNLV"),
    )


def _pnl(r: FieldReader, sv: int) -> ReqPnl:
    return ReqPnl(req_id=r.int("reqId"), account=r.str("account"), model_code=r.str("modelCode"))


def _pnl_single(r: FieldReader, sv: int) -> ReqPnlSingle:
    return ReqPnlSingle(
        req_id=r.int("reqId"),
        account=r.str("account"),
        model_code=r.str("modelCode"),
        con_id=r.int("conId"),
    )


DECODERS: dict[ClientMsgId, Decoder] = {
    ClientMsgId.REQ_ACCT_DATA: _account_updates,
    ClientMsgId.REQ_POSITIONS: versioned_empty(ReqPositions),
    ClientMsgId.CANCEL_POSITIONS: versioned_empty(CancelPositions),
    ClientMsgId.REQ_ACCOUNT_SUMMARY: _account_summary,
    ClientMsgId.CANCEL_ACCOUNT_SUMMARY: req_id_only(CancelAccountSummary, versioned=True),
    ClientMsgId.REQ_POSITIONS_MULTI: _positions_multi,
    ClientMsgId.CANCEL_POSITIONS_MULTI: req_id_only(CancelPositionsMulti, versioned=True),
    ClientMsgId.REQ_ACCOUNT_UPDATES_MULTI: _account_updates_multi,
    ClientMsgId.CANCEL_ACCOUNT_UPDATES_MULTI: req_id_only(CancelAccountUpdatesMulti, versioned=True),
    ClientMsgId.REQ_PNL: _pnl,
    ClientMsgId.CANCEL_PNL: req_id_only(CancelPnl, versioned=False),
    ClientMsgId.REQ_PNL_SINGLE: _pnl_single,
    ClientMsgId.CANCEL_PNL_SINGLE: req_id_only(CancelPnlSingle, versioned=False),
}
