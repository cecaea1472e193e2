"""A backtest's report as one HTML file a person opens: the figures, the set-up, and charts to
zoom (plotly, its script inlined: the file opens offline, nothing is fetched) of the equity, the
drawdown, the position, and the price with every fill marked."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from alephtx.core.research.metrics import Trade

LABELS = {
    "net_pnl": ("net PnL", "{:,.2f}"),
    "fees": ("fees", "{:,.2f}"),
    "return_pct": ("return (%)", "{:.4f}"),
    "sharpe": ("Sharpe (annualised)", "{:.2f}"),
    "sortino": ("Sortino (annualised)", "{:.2f}"),
    "calmar": ("Calmar", "{:.2f}"),
    "max_drawdown": ("max drawdown", "{:,.2f}"),
    "max_drawdown_pct": ("max drawdown (% of peak)", "{:.4f}"),
    "max_drawdown_duration_s": ("longest drawdown (s)", "{:,.1f}"),
    "fills": ("fills", "{:,}"),
    "round_trips": ("round trips", "{:,}"),
    "win_rate": ("win rate (%)", "{:.1f}"),
    "profit_factor": ("profit factor", "{:.2f}"),
    "expectancy": ("expectancy (per round trip)", "{:,.4f}"),
    "best_trade": ("best round trip", "{:,.4f}"),
    "worst_trade": ("worst round trip", "{:,.4f}"),
    "buy_and_hold_pct": ("buy and hold (%)", "{:.4f}"),
    "avg_holding_s": ("average holding (s)", "{:,.1f}"),
    "exposure_pct": ("exposure (% of time)", "{:.1f}"),
    "turnover": ("turnover (x capital)", "{:.3f}"),
    "end_positions": ("end positions", "{}"),
    "market_seconds": ("market time (s)", "{:,.1f}"),
}


def _cell(key: str, value: Any) -> str:
    if value is None:
        return "n/a"
    if key == "end_positions":
        return ", ".join(f"{k}: {v:g}" for k, v in value.items()) or "flat"
    fmt = LABELS.get(key, (key, "{}"))[1]
    try:
        return fmt.format(value)
    except (ValueError, TypeError):
        return str(value)


def write_html(
    path: Path,
    report: dict[str, Any],
    equity: list[tuple[float, float]],
    trades: list[Trade],
    prices: list[tuple[float, float]],
    capital: float,
) -> None:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(
        rows=4,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.04,
        subplot_titles=("price, fills marked", "equity (PnL)", "drawdown", "position"),
    )
    if prices:
        fig.add_trace(go.Scatter(x=[t for t, _ in prices], y=[p for _, p in prices], name="mid", mode="lines"), 1, 1)
    for side, name, symbol in ((1, "buys", "triangle-up"), (-1, "sells", "triangle-down")):
        mine = [t for t in trades if t.side == side]
        fig.add_trace(
            go.Scatter(
                x=[t.ts_s for t in mine],
                y=[t.price for t in mine],
                name=name,
                mode="markers",
                marker={"symbol": symbol, "size": 8, "color": "green" if side > 0 else "red"},
            ),
            1,
            1,
        )
    times = [t for t, _ in equity]
    pnl = [p for _, p in equity]
    fig.add_trace(go.Scatter(x=times, y=pnl, name="PnL", mode="lines"), 2, 1)
    peak, drawdown = float("-inf"), []
    for v in pnl:
        peak = max(peak, v)
        drawdown.append(v - peak)
    fig.add_trace(go.Scatter(x=times, y=drawdown, name="drawdown", mode="lines", fill="tozeroy"), 3, 1)
    pos, steps_t, steps_q = 0.0, [0.0], [0.0]
    for t in trades:
        pos += t.side * t.quantity
        steps_t.append(t.ts_s)
        steps_q.append(pos)
    if times:
        steps_t.append(times[-1])
        steps_q.append(pos)
    fig.add_trace(go.Scatter(x=steps_t, y=steps_q, name="position", mode="lines", line_shape="hv"), 4, 1)
    fig.update_layout(height=1000, hovermode="x unified", xaxis4_title="market time (s)")
    charts = fig.to_html(full_html=False, include_plotlyjs=True)  # inlined: opens offline

    metrics = report["metrics"]
    rows = "".join(
        f"<tr><td>{html.escape(LABELS.get(k, (k, ''))[0])}</td><td>{html.escape(_cell(k, v))}</td></tr>"
        for k, v in metrics.items()
    )
    setup = "".join(
        f"<tr><td>{html.escape(section)}</td><td><code>{html.escape(str(report[section]))}</code></td></tr>"
        for section in ("strategy", "data", "instrument", "models", "refusals", "code_version", "run_time_s")
    )
    title = f"Backtest {report['run']}"
    path.write_text(
        f"""<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td{{border:1px solid #ccc;padding:3px 8px}}code{{white-space:pre-wrap}}</style></head><body>
<h1>{html.escape(title)}</h1>
<p>capital {capital:,.0f}; figures per docs/research.md</p>
<table>{rows}</table>
{charts}
<h2>Set-up</h2><table>{setup}</table>
</body></html>"""
    )
