"""Shared checks for the request tests: decode a client's single frame strictly, and map contracts across.

`decode_single(frames, sv, decoders)` insists the client sent exactly one frame, that the family's decoder
consumed every field of it, that the decoded message carries the frame's id, and that the package-level
`decode_request` agrees. `OUR_CONTRACT_ATTRS` / `CLIENT_CONTRACT_ATTRS` are the 12 wire fields of a contract,
ours in wire order and the clients' camelCase names for them; `wire_contract` and `ibapi_contract` carry a
client's contract object over to our `Contract` and to an ibapi 9.81 object.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from ibbot.protocol.fields import FieldReader
from ibbot.protocol.ids import ClientMsgId
from ibbot.protocol.requests import decode_request
from ibbot.protocol.types import Contract
from oracles.mirror import camel

OUR_CONTRACT_ATTRS = [f.name for f in dataclasses.fields(Contract)][:12]
CLIENT_CONTRACT_ATTRS = [camel(n) for n in OUR_CONTRACT_ATTRS]


def decode_single(frames: list[list[str]], sv: int, decoders: Mapping[Any, Callable[[FieldReader, int], Any]]) -> Any:
    """The single frame's request; every field must be consumed and the merged table must agree."""
    assert len(frames) == 1
    fields = frames[0]
    reader = FieldReader(fields)
    msg = decoders[ClientMsgId(int(fields[0]))](reader, sv)
    assert reader.remaining() == 0, f"{reader.remaining()} fields left unread: {fields[reader.pos :]}"
    assert msg.msg_id == int(fields[0])
    assert decode_request(fields, sv) == msg
    return msg


def wire_contract(c: Any, **extra: Any) -> Contract:
    """Our Contract for a client's contract object: the 12 wire fields, plus what the message adds."""
    wire = {ours: getattr(c, theirs) for ours, theirs in zip(OUR_CONTRACT_ATTRS, CLIENT_CONTRACT_ATTRS, strict=True)}
    return Contract(**wire, **extra)


def ibapi_contract(c: Any, *extra_attrs: str) -> Any:
    """The same contract as an ibapi 9.81 object: the 12 wire fields, `extra_attrs`, and a BAG's legs."""
    from ibapi.contract import ComboLeg as ApiLeg
    from ibapi.contract import Contract as ApiContract

    out = ApiContract()
    for name in [*CLIENT_CONTRACT_ATTRS, *extra_attrs]:
        setattr(out, name, getattr(c, name))
    if c.comboLegs:
        out.comboLegs = []
        for leg in c.comboLegs:
            api_leg = ApiLeg()
            api_leg.conId, api_leg.ratio, api_leg.action, api_leg.exchange = (
                leg.conId,
                leg.ratio,
                leg.action,
                leg.exchange,
            )
            out.comboLegs.append(api_leg)
    return out
