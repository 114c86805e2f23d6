"""ibbot: a trading-bot framework for Interactive Brokers and an offline TWS / IB Gateway simulator."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ibbot.strategy import Strategy

    __version__: str

__all__ = ["Strategy", "__version__"]


def __getattr__(name: str) -> Any:
    # Resolved on first use (PEP 562): every `ibbot` command and the simulator import this package, and most need
    # neither the strategy API (with the model behind it) nor importlib.metadata's look through the installed
    # distributions, a tenth of a second each at start.
    if name == "Strategy":
        from ibbot.strategy import Strategy

        globals()[name] = Strategy
        return Strategy
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("ibbot")
        except PackageNotFoundError:  # running from a source tree without an install
            found = "0.0.0"
        globals()[name] = found
        return found
    raise AttributeError(f"module 'ibbot' has no attribute {name!r}")
