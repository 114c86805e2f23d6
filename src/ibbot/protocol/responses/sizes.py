"""Market-data sizes and volumes on the wire, per negotiated server version."""

from __future__ import annotations

from decimal import Decimal

from ibbot.protocol.fields import fmt_decimal
from ibbot.protocol.ids import SV

FRACTIONAL_SIZE_SUPPORT = int(SV.FRACTIONAL_SIZE_SUPPORT)


def fmt_size(size: Decimal | float, sv: int) -> str:
    """A size at server version `sv`: whole units (truncated) before 163, where ibapi 9.81 reads it with
    `int()`; from 163 exact, with integral values still as integer text."""
    if sv < FRACTIONAL_SIZE_SUPPORT:
        return str(int(size))
    return fmt_decimal(size)
