"""ibbot: a trading-bot framework for Interactive Brokers and an offline TWS / IB Gateway simulator."""

from importlib.metadata import PackageNotFoundError, version

from ibbot.strategy import Strategy

try:
    __version__ = version("ibbot")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"

__all__ = ["Strategy", "__version__"]
