"""The narrow public surface of the packages users import from; growing it is a decision, not an accident."""

from __future__ import annotations

import ibbot
import ibbot.protocol
import ibbot.testing


def test_protocol_surface() -> None:
    assert set(ibbot.protocol.__all__) == {
        "MAX_SUPPORTED_VERSION",
        "MIN_SUPPORTED_VERSION",
        "NEED_DATA",
        "SV",
        "ClientMsgId",
        "ConnectionClosed",
        "NeedData",
        "Negotiated",
        "ServerConnection",
        "ServerMsgId",
        "State",
    }
    for name in ibbot.protocol.__all__:
        assert hasattr(ibbot.protocol, name)


def test_testing_surface() -> None:
    assert ibbot.testing.__all__ == ["running_simulator"]
    assert ibbot.__all__ == ["Strategy", "__version__"]


def test_supported_versions_are_the_two_clients_meeting_points() -> None:
    assert (ibbot.protocol.MIN_SUPPORTED_VERSION, ibbot.protocol.MAX_SUPPORTED_VERSION) == (157, 200)
