"""`ibbot version`: the package's version and the range of TWS API server versions the simulator serves."""

from __future__ import annotations

import argparse

from ibbot import __version__
from ibbot.protocol import MAX_SUPPORTED_VERSION, MIN_SUPPORTED_VERSION


def main(args: argparse.Namespace) -> int:
    print(f"ibbot {__version__}")
    print(f"TWS API server versions: {MIN_SUPPORTED_VERSION}..{MAX_SUPPORTED_VERSION}")
    return 0
