"""Loading a strategy from FILE[:CLASS], with a clear error for every way it can fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from ibbot.errors import StrategyError
from ibbot.strategy import StrategySpec, load_strategy_class

EXAMPLE = Path(__file__).parents[3] / "examples" / "sma_cross.py"


def test_the_example_loads_with_and_without_its_class_name() -> None:
    cls = load_strategy_class(str(EXAMPLE))
    assert cls.__name__ == "SmaCross" and load_strategy_class(f"{EXAMPLE}:SmaCross") is cls
    assert cls({"fast": "3"}).fast == 3


def test_the_same_text_elsewhere_builds_the_same_class_from_its_source() -> None:
    source = EXAMPLE.read_text()
    shipped = load_strategy_class("/nowhere/sma_cross.py", source=source)
    assert shipped.__name__ == "SmaCross" and shipped({"slow": "40"}).slow == 40


def test_a_spec_splits_the_class_off_but_not_a_drive_letter() -> None:
    assert StrategySpec.parse("bots/a.py:Fast") == StrategySpec(Path("bots/a.py"), "Fast")
    assert StrategySpec.parse("C:bots.py") == StrategySpec(Path("C:bots.py"))


@pytest.mark.parametrize(
    ("text", "target", "message"),
    [
        (None, "missing.py", "does not exist"),
        ("def broken(:\n", "{path}", r"bad.py:1: syntax error"),
        ("import os\nraise RuntimeError('no key')\n", "{path}", r"bad.py:2: RuntimeError at import: no key"),
        ("x = 1\n", "{path}", "defines no Strategy subclass"),
        ("from ibbot import Strategy\nclass A(Strategy): pass\nclass B(Strategy): pass\n", "{path}", "A, B"),
        ("from ibbot import Strategy\nclass A(Strategy): pass\n", "{path}:Nope", "has no class Nope"),
        ("from ibbot import Strategy\nVALUE = 3\n", "{path}:VALUE", "VALUE is not a Strategy subclass"),
    ],
)
def test_every_failure_is_a_strategy_error(tmp_path: Path, text: str | None, target: str, message: str) -> None:
    path = tmp_path / "bad.py"
    if text is not None:
        path.write_text(text)
    with pytest.raises(StrategyError, match=message):
        load_strategy_class(target.format(path=path) if text is not None else str(tmp_path / target))
