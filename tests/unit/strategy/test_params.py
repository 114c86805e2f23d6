"""Typed strategy parameters: declared as class attributes, overridden from TOML values or K=V text."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

import pytest

from ibbot import Strategy
from ibbot.errors import StrategyError
from ibbot.strategy import parse_assignments


class Tuned(Strategy):
    fast: int = 10
    slow: int = 30
    threshold: float = 0.5
    size: Decimal = Decimal("1.5")
    symbol: str = "AAPL"
    short: bool = False
    stop: float | None = None
    registry: ClassVar[list[str]] = []  # not a parameter
    _cache: int = 0  # private: not a parameter


def test_the_annotated_public_attributes_are_the_parameters_with_their_defaults() -> None:
    assert list(Tuned.parameters()) == ["fast", "slow", "threshold", "size", "symbol", "short", "stop"]
    assert Tuned().params == {
        "fast": 10, "slow": 30, "threshold": 0.5, "size": Decimal("1.5"), "symbol": "AAPL", "short": False,
        "stop": None,
    }  # fmt: skip


def test_text_from_the_command_line_is_parsed_by_the_declared_type() -> None:
    tuned = Tuned({"fast": "5", "threshold": "0.25", "size": "2", "short": "yes", "stop": "1.5", "symbol": "SPY"})
    assert (tuned.fast, tuned.threshold, tuned.size, tuned.short, tuned.stop, tuned.symbol) == (
        5, 0.25, Decimal(2), True, 1.5, "SPY",
    )  # fmt: skip
    assert Tuned({"stop": "none"}).stop is None and Tuned({"short": "off"}).short is False


def test_typed_values_from_a_config_file_are_checked() -> None:
    assert Tuned({"threshold": 1, "size": 0.1}).params["size"] == Decimal("0.1")
    assert Tuned({"fast": 7}).fast == 7


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"fast": "five"}, "parameter fast must be int, got 'five'"),
        ({"fast": 2.5}, "parameter fast must be int, got 2.5"),
        ({"fast": True}, "parameter fast must be int"),
        ({"short": "maybe"}, "parameter short must be bool"),
        ({"threshold": "nan"}, "parameter threshold must be float"),
        ({"stop": "x"}, "parameter stop must be float | None"),
        ({"slowest": "1"}, "Tuned has no parameter 'slowest' (its parameters: fast, slow, threshold"),
    ],
)
def test_a_bad_value_is_a_clear_strategy_error(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(StrategyError, match=message.replace("(", r"\(").replace("|", r"\|")):
        Tuned(overrides)


def test_validate_checks_the_parameters_together() -> None:
    class Ordered(Tuned):
        def validate(self) -> None:
            if self.fast >= self.slow:
                raise ValueError(f"fast ({self.fast}) must be below slow ({self.slow})")

    with pytest.raises(StrategyError, match=r"Ordered: fast \(40\) must be below slow \(30\)"):
        Ordered({"fast": "40"})


def test_unsupported_types_and_reserved_names_are_refused() -> None:
    class Listy(Strategy):
        values: list[int] = []  # noqa: RUF012

    class Named(Strategy):
        name: str = "x"

    with pytest.raises(StrategyError, match="not supported"):
        Listy()
    with pytest.raises(StrategyError, match="name cannot be a parameter"):
        Named()


def test_assignments_are_name_value_pairs() -> None:
    assert parse_assignments(["fast=5", " slow = 60 ", "symbol=BRK B"]) == {
        "fast": "5",
        "slow": "60",
        "symbol": "BRK B",
    }
    with pytest.raises(StrategyError, match="expected NAME=VALUE"):
        parse_assignments(["fast"])
