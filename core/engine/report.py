"""The session report: per strategy orders, fills, fees, PnL and max drawdown; refusals by reason;
as tables, an equity-curve picture and an HTML page."""

from __future__ import annotations

import base64
import html
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alephtx.core.engine.session import SessionResult, max_drawdown
from alephtx.core.model.accounting import CASH_PRECISION
from alephtx.core.model.fixed import from_fixed


def usd(v: int) -> str:
    return f"{float(from_fixed(v, CASH_PRECISION)):,.4f}"


@dataclass
class Row:
    strategy: str
    status: str
    orders: int
    fills: int
    fees: int
    realised: int
    unrealised: int
    pnl: int
    drawdown: int


def rows(r: SessionResult) -> list[Row]:
    out = []
    for st in r.host.status():
        acct = r.books[st["name"]]
        realised, unreal, fees = acct.pnl(r.engine.instruments, r.engine.mids_x2)
        status = "error: " + st["error"] if st["error"] else ("running" if st["running"] else "done")
        out.append(
            Row(
                st["name"],
                status,
                st["orders_sent"],
                acct.fills,
                fees,
                realised,
                unreal,
                realised + unreal - fees,
                max_drawdown(acct.curve),
            )
        )
    return out


def refusals(r: SessionResult) -> Counter[str]:
    return Counter(x for s in r.host.loaded.values() for x in s.ctx.rejections)


def equity_picture(r: SessionResult, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, dd) = plt.subplots(2, 1, figsize=(9, 5.5), dpi=100, sharex=True, height_ratios=(3, 1.3))
    total: dict[float, float] = {}
    for name, acct in r.books.items():
        xs = [t for t, _ in acct.curve]
        ys = [float(from_fixed(e, CASH_PRECISION)) for _, e in acct.curve]
        ax.plot(xs, ys, label=name, linewidth=1.2)
        for t, y in zip(xs, ys, strict=True):
            total[t] = total.get(t, 0.0) + y
    ts = sorted(total)
    peak, draw = float("-inf"), []
    for t in ts:
        peak = max(peak, total[t])
        draw.append(total[t] - peak)
    dd.fill_between(ts, draw, 0, color="#d1242f", alpha=0.4, step="post")
    ax.set_ylabel("PnL after fees (USDT)")
    ax.set_title("Strategies on the replayed market, marked to the mid each second")
    ax.legend(fontsize=8, ncol=3)
    ax.grid(alpha=0.3)
    dd.set_ylabel("drawdown")
    dd.set_xlabel("market time (s)")
    dd.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def html_report(r: SessionResult, picture: Path, path: Path, title: str = "AlephTX session report") -> None:
    img = base64.b64encode(picture.read_bytes()).decode()
    head = "".join(
        f"<th>{h}</th>"
        for h in ("strategy", "status", "orders", "fills", "fees", "realised", "unrealised", "PnL", "max drawdown")
    )
    body = "".join(
        f"<tr><td>{html.escape(x.strategy)}</td><td>{html.escape(x.status)}</td><td>{x.orders}</td><td>{x.fills}</td>"
        f"<td>{usd(x.fees)}</td><td>{usd(x.realised)}</td><td>{usd(x.unrealised)}</td>"
        f"<td class='{'neg' if x.pnl < 0 else 'pos'}'>{usd(x.pnl)}</td><td>{usd(x.drawdown)}</td></tr>"
        for x in rows(r)
    )
    ref = "".join(f"<tr><td>{html.escape(k)}</td><td>{v}</td></tr>" for k, v in sorted(refusals(r).items())) or (
        "<tr><td colspan=2>none</td></tr>"
    )
    path.write_text(
        f"""<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;color:#1f2328}}table{{border-collapse:collapse;margin:1em 0}}
td,th{{border:1px solid #d0d7de;padding:4px 10px;text-align:right}}td:first-child,th:first-child{{text-align:left}}
.neg{{color:#d1242f}}.pos{{color:#1a7f37}}</style></head><body>
<h1>{html.escape(title)}</h1>
<p>{r.events:,} market events over {r.market_seconds:.1f} s of market time, replayed in {r.seconds:.2f} s.
Journal: <code>{html.escape(r.journal)}</code>.</p>
<h2>Strategies (USDT)</h2><table><tr>{head}</tr>{body}</table>
<h2>Risk refusals by reason</h2><table><tr><th>reason</th><th>count</th></tr>{ref}</table>
<h2>Equity and drawdown</h2><img alt="equity curves" src="data:image/png;base64,{img}">
</body></html>"""
    )


def summary(r: SessionResult) -> dict[str, Any]:
    return {
        "events": r.events,
        "market_seconds": round(r.market_seconds, 1),
        "seconds": round(r.seconds, 3),
        "strategies": {
            x.strategy: {
                "orders": x.orders,
                "fills": x.fills,
                "pnl": usd(x.pnl),
                "max_drawdown": usd(x.drawdown),
                "status": x.status,
            }
            for x in rows(r)
        },
        "refusals": dict(refusals(r)),
    }
