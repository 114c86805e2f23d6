"""A backtest's report: the JSON summary, the trades as CSV, the equity curve with its drawdown as a PNG, one
self-contained HTML page (the picture inlined), and the rich table the terminal shows.

The PNG is drawn with matplotlib's Agg canvas directly (no pyplot, no global backend), from at most a few
thousand points of the curve (each point the lowest equity of its stretch, so drawdowns are not smoothed away).
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
from rich.table import Table

from ibbot.backtest.results import BacktestResult
from ibbot.backtest.trades import COLUMNS
from ibbot.errors import ConfigError

_POINTS = 4_000
_TRADE_ROWS = 1_000  # the HTML page lists the first ones; the CSV has them all


def write_trades(result: BacktestResult, path: Path) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for trade in result.trades:
            writer.writerow(trade.row())


def _thinned(times: np.ndarray, equity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if equity.size <= _POINTS:
        return times, equity
    step = -(-equity.size // _POINTS)
    usable = (equity.size // step) * step
    blocks = equity[:usable].reshape(-1, step)
    lows = blocks.argmin(axis=1) + np.arange(blocks.shape[0]) * step
    picks = np.concatenate((lows, [equity.size - 1]))
    return times[picks], equity[picks]


def equity_png(result: BacktestResult) -> bytes:
    """The equity curve above its drawdown (in %), as PNG bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    times, equity = _thinned(result.times, result.equity)
    moments = times.astype("datetime64[us]")
    peaks = np.maximum.accumulate(equity) if equity.size else equity
    drawdown = np.where(peaks > 0, equity / np.where(peaks > 0, peaks, 1) - 1, 0) * 100 if equity.size else equity
    figure = Figure(figsize=(10, 6), dpi=100)
    FigureCanvasAgg(figure)
    top, bottom = figure.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    top.plot(moments, equity, color="#1f77b4", linewidth=1)
    top.axhline(float(result.initial_cash), color="#999999", linewidth=0.8, linestyle="--")
    top.set_title(f"{result.strategy}: equity ({result.summary()['total_return']:+.2%} total return)")
    top.set_ylabel("equity")
    top.grid(alpha=0.3)
    bottom.fill_between(moments, drawdown, 0, color="#d62728", alpha=0.4, linewidth=0)
    bottom.set_ylabel("drawdown %")
    bottom.grid(alpha=0.3)
    figure.autofmt_xdate()
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.4f}".rstrip("0").rstrip(".") if abs(value) < 1e6 else f"{value:,.0f}"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items()) or "-"
    return str(value)


def html_page(result: BacktestResult, png: bytes) -> str:
    summary = result.summary()
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(_cell(v))}</td></tr>" for k, v in summary.items())
    head = "".join(f"<th>{html.escape(c)}</th>" for c in COLUMNS)
    trades = "".join(
        "<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in t.row().values()) + "</tr>"
        for t in result.trades[:_TRADE_ROWS]
    )
    more = len(result.trades) - _TRADE_ROWS
    note = f"<p>{more} more trades in trades.csv</p>" if more > 0 else ""
    picture = base64.b64encode(png).decode()
    title = html.escape(f"{result.strategy} backtest")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }}
th, td {{ border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: right; }}
th {{ background: #f4f4f4; text-align: left; }}
img {{ max-width: 100%; }}
</style></head><body>
<h1>{title}</h1>
<img alt="equity and drawdown" src="data:image/png;base64,{picture}">
<h2>Summary</h2><table>{rows}</table>
<h2>Trades ({len(result.trades)})</h2><table><tr>{head}</tr>{trades}</table>{note}
</body></html>
"""


def write_report(result: BacktestResult, directory: Path) -> dict[str, Path]:
    """summary.json, trades.csv, equity.png and report.html in `directory` (created); their paths."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        paths = {name: directory / name for name in ("summary.json", "trades.csv", "equity.png", "report.html")}
        paths["summary.json"].write_text(json.dumps(result.summary(), indent=2) + "\n")
        write_trades(result, paths["trades.csv"])
        png = equity_png(result)
        paths["equity.png"].write_bytes(png)
        paths["report.html"].write_text(html_page(result, png))
    except OSError as exc:
        raise ConfigError(f"--report {directory}: cannot be written: {exc}") from None
    return paths


_SHOWN = (
    ("bars", "bars"), ("orders", "orders"), ("fills", "fills"), ("trades", "trades"), ("refused", "refused by risk"),
    ("initial_cash", "initial cash"), ("final_equity", "final equity"), ("total_return", "total return"),
    ("cagr", "CAGR"), ("sharpe", "Sharpe"), ("sortino", "Sortino"), ("max_drawdown", "max drawdown"),
    ("win_rate", "win rate"), ("profit_factor", "profit factor"), ("exposure", "exposure"),
    ("commissions", "commissions"), ("open_positions", "held at the end"), ("elapsed_seconds", "seconds"),
    ("bars_per_second", "bars/s"),
)  # fmt: skip
_PERCENT = frozenset({"total_return", "cagr", "max_drawdown", "win_rate", "exposure"})


def _shown(key: str, value: object) -> str:
    if value is None:
        return "-"
    if key in _PERCENT and isinstance(value, float):
        return f"{value:.2%}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return _cell(value)


def summary_table(summary: dict[str, Any]) -> Table:
    title = f"{summary['strategy']} {summary.get('start') or ''} .. {summary.get('end') or ''}"
    table = Table(title=title, show_header=False)
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key, label in _SHOWN:
        table.add_row(label, _shown(key, summary.get(key)))
    if summary.get("error"):
        table.add_row("[red]error[/red]", f"[red]{summary['error']}[/red]")
    return table


def sweep_table(summaries: list[dict[str, Any]], names: list[str], metric: str) -> Table:
    table = Table(title=f"sweep: {len(summaries)} runs, best {metric} first")
    for name in names:
        table.add_column(name, justify="right")
    for key in ("sharpe", "total_return", "max_drawdown", "trades", "win_rate", "final_equity"):
        table.add_column(key, justify="right", style="bold" if key == metric else None)
    for summary in summaries:
        params = summary["params"]
        figures = [_shown(k, summary.get(k)) for k in ("sharpe", "total_return", "max_drawdown", "trades",
                                                       "win_rate", "final_equity")]  # fmt: skip
        table.add_row(*(str(params.get(n)) for n in names), *figures)
    return table
