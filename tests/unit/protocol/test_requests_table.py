"""Every message id either real client can send has a decoder in the one request table."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from ibbot.protocol.ids import ClientMsgId
from ibbot.protocol.requests import DECODERS

# How these lists were derived (ib_async 2.1.0 and ibapi 9.81.1.post1 as installed):
# - ib_async: in ib_async/client.py, the first argument of every `self.send(...)` call plus the first element
#   of every `fields = [...]` list later sent whole (placeOrder, reqMktData, reqContractDetails,
#   reqHistoricalData, cancelOrder, reqWshEventData) -- 80 ids, one per request method.
# - ibapi: every `make_field(OUT.<NAME>)` in ibapi/client.py, mapped through ibapi.message.OUT -- 75 ids,
#   all also sent by ib_async (ibapi 9.81 stops at 99, REQ_COMPLETED_ORDERS).
# `test_the_hard_coded_lists_match_the_installed_clients` re-derives both from the sources.
IB_ASYNC_SENDS = (
    *range(1, 26),  # 1..25: market data .. cancelHistoricalData
    *range(49, 60),  # 49..59: currentTime .. reqMarketDataType
    *range(61, 105),  # 61..104: positions .. reqUserInfo (60 does not exist)
)
IBAPI_SENDS = (*range(1, 26), *range(49, 60), *range(61, 100))

SENT_BY_A_CLIENT = sorted(set(IB_ASYNC_SENDS) | set(IBAPI_SENDS))


@pytest.mark.parametrize("msg_id", SENT_BY_A_CLIENT, ids=lambda i: f"{i}-{ClientMsgId(i).name}")
def test_every_id_a_client_sends_has_a_decoder(msg_id: int) -> None:
    assert msg_id in DECODERS, f"no decoder for {ClientMsgId(msg_id).name} ({msg_id})"


def test_every_decoder_is_keyed_by_a_known_id() -> None:
    unknown = [msg_id for msg_id in DECODERS if msg_id not in set(ClientMsgId)]
    assert unknown == []


def _site_packages() -> Path:
    import ib_async

    return Path(ib_async.__file__).parent.parent


def _ib_async_sent_ids() -> set[int]:
    tree = ast.parse((_site_packages() / "ib_async" / "client.py").read_text())
    ids: set[int] = set()
    for node in ast.walk(tree):
        first: ast.expr | None = None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "send":
            first = node.args[0] if node.args else None
        elif (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.List)
            and node.value.elts
            and any(isinstance(t, ast.Name) and t.id == "fields" for t in node.targets)
        ):
            first = node.value.elts[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, int):
            ids.add(first.value)
    return ids


def _ibapi_sent_ids() -> set[int]:
    from ibapi.message import OUT

    text = (_site_packages() / "ibapi" / "client.py").read_text()
    return {getattr(OUT, name) for name in re.findall(r"make_field\(OUT\.([A-Z_]+)", text)}


def test_the_hard_coded_lists_match_the_installed_clients() -> None:
    assert _ib_async_sent_ids() == set(IB_ASYNC_SENDS)
    assert _ibapi_sent_ids() == set(IBAPI_SENDS)
