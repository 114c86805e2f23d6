"""IB's error codes and texts as the simulator sends them (reference section 10), in one table; `Rejection`, one
of them refusing a request (an order, a trial of the account's margin)."""

from __future__ import annotations

from dataclasses import dataclass

HMDS_PREFIX = "Historical Market Data Service error message:"  # the texts of 162, the historical farm's code


@dataclass(frozen=True, slots=True, kw_only=True)
class Rejection:
    """An IB error for an order: the caller sends `error(order_id, code, text)`."""

    code: int
    text: str


ALREADY_CONNECTED = (
    326,
    "Unable to connect as the client id is already in use. Retry with a unique client id.",
)
# Refusals of a new connection, sent after the handshake (so the client can read them) and before the close.
# TWS has no documented code for these; 502 is the code IB's clients give "could not connect to TWS".


def TOO_MANY_CLIENTS(limit: int) -> tuple[int, str]:
    return (
        502,
        f"Couldn't connect to TWS: it already serves {limit} API clients, its maximum. "
        "Disconnect one of them (or raise max_clients, at most 32) and connect again.",
    )


def UNTRUSTED_PEER(peer: str) -> tuple[int, str]:
    return (
        502,
        f"Couldn't connect to TWS: connections from {peer} are not accepted. Connect from this machine, "
        f'or add the address to trusted_ips in the [sim] table (trusted_ips = ["{peer}"]).',
    )


def BAD_CLIENT_ID(reason: str) -> tuple[int, str]:
    return (
        320,
        f"Server error when reading an API client request. startApi: {reason}; "
        "the client id must be a whole number (0 is the master client).",
    )


UNKNOWN_MESSAGE = (505, "Fatal Error: Unknown message id.")
INTERNAL_ERROR = (322, "Server error when processing an API client request.")
BAD_REQUEST = (320, "Server error when reading an API client request.")
READ_ONLY = (
    321,
    "Error validating request.-'bN' : cause - The API interface is currently in Read-Only mode.",
)
NO_SECURITY_DEFINITION = (200, "No security definition has been found for the request")
CONNECTIVITY_LOST = (1100, "Connectivity between IB and Trader Workstation has been lost.")
RESTORED_DATA_LOST = (1101, "Connectivity between IB and Trader Workstation has been restored - data lost.")
RESTORED_DATA_KEPT = (
    1102,
    "Connectivity between IB and Trader Workstation has been restored - data maintained.",
)
COMPETING_SESSION = (10197, "No market data during competing live session")
FARM_NOTICES = {
    # (code, text) for each farm kind when it goes down / comes back, as TWS words them
    "market": (
        (2103, "Market data farm connection is broken:usfarm"),
        (2104, "Market data farm connection is OK:usfarm"),
    ),
    "hmds": (
        (2105, "HMDS data farm connection is broken:ushmds"),
        (2106, "HMDS data farm connection is OK:ushmds"),
    ),
    "secdef": (
        (2157, "Sec-def data farm connection is broken:secdefnj"),
        (2158, "Sec-def data farm connection is OK:secdefnj"),
    ),
}


def NOT_SUPPORTED(what: str) -> tuple[int, str]:
    """321 is TWS's "Error validating request"; the cause names what the simulator lacks."""
    return (321, f"Error validating request.-'sim' : cause - The simulator does not provide {what}.")
