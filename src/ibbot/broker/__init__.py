"""The seam between the framework and IB: the `Broker` protocol and its events (`IbBroker` is in `broker.ib`)."""

from ibbot.broker.base import (
    Broker,
    BrokerEvent,
    CommissionReport,
    DepthOperation,
    DepthSide,
    DepthUpdate,
    Listener,
    OptionChainParams,
    ReportedOrder,
    SessionInfo,
    Streamed,
    StreamError,
)

__all__ = [
    "Broker",
    "BrokerEvent",
    "CommissionReport",
    "DepthOperation",
    "DepthSide",
    "DepthUpdate",
    "Listener",
    "OptionChainParams",
    "ReportedOrder",
    "SessionInfo",
    "StreamError",
    "Streamed",
]
