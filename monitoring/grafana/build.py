"""The AlephTX node dashboard, built with Grafana's own typed SDK (grafana-foundation-sdk,
generated from Grafana's dashboard schema), so the JSON Grafana loads has the schema's shape by
construction. `make test` rebuilds it and checks the committed file is what this script writes.

    python monitoring/grafana/build.py   # writes monitoring/grafana/dashboards/alephtx-node.json
"""

from __future__ import annotations

import itertools
import json
import string
import sys
from pathlib import Path

from grafana_foundation_sdk.builders import dashboard, prometheus, stat, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import DashboardCursorSync, DataSourceRef

OUT = Path(__file__).parent / "dashboards" / "alephtx-node.json"
DS = DataSourceRef(type_val="prometheus", uid="${datasource}")
_ids = itertools.count(1)  # panel ids, unique in the dashboard


def q(expr: str, legend: str = "", ref: str = "A") -> prometheus.Dataquery:
    return prometheus.Dataquery().expr(expr).legend_format(legend or "__auto").ref_id(ref)


def single(title: str, expr: str, unit: str = "none", description: str = "") -> stat.Panel:
    return (
        stat.Panel()
        .id(next(_ids))
        .title(title)
        .description(description)
        .datasource(DS)
        .with_target(q(expr))
        .unit(unit)
        .height(4)
        .span(4)
    )


def series(title: str, targets: list[tuple[str, str]], unit: str = "none", description: str = "") -> timeseries.Panel:
    p = timeseries.Panel().id(next(_ids)).title(title).description(description).datasource(DS).unit(unit)
    for (expr, legend), ref in zip(targets, string.ascii_uppercase, strict=False):
        p = p.with_target(q(expr, legend, ref))
    return p.height(8).span(12)


def build() -> dict[str, object]:
    global _ids
    _ids = itertools.count(1)
    inst = 'instance=~"$instance"'
    d = (
        dashboard.Dashboard("AlephTX node")
        .uid("alephtx-node")
        .tags(["alephtx", "trading"])
        .description("One AlephTX node: venues, trading state, risk, orders, PnL, the journal and the agent.")
        .refresh("10s")
        .time("now-6h", "now")
        .tooltip(DashboardCursorSync.CROSSHAIR)
        .with_variable(dashboard.DatasourceVariable("datasource").label("Prometheus").type("prometheus"))
        .with_variable(
            dashboard.QueryVariable("instance")
            .label("Node")
            .datasource(DS)
            .query("label_values(aleph_trading_state, instance)")
            .include_all(True)
            .multi(True)
        )
        .with_row(dashboard.Row("State").id(next(_ids)))
        .with_panel(
            single(
                "Trading state",
                f"max(aleph_trading_state{{{inst}}})",
                description="0 active, 1 reducing, 2 halted (aleph risk-state gives the reason).",
            )
        )
        .with_panel(single("Kill switch", f"max(aleph_kill_switch_tripped{{{inst}}})", description="1: tripped."))
        .with_panel(single("PnL", f"sum(aleph_pnl_usd{{{inst}}})", "currencyUSD"))
        .with_panel(single("Drawdown", f"max(aleph_drawdown_usd{{{inst}}})", "currencyUSD"))
        .with_panel(single("Open orders", f"sum(aleph_open_orders{{{inst}}})"))
        .with_panel(single("Venues down", f"count(aleph_venue_up{{{inst}}} == 0) or vector(0)"))
        .with_row(dashboard.Row("Venues").id(next(_ids)))
        .with_panel(
            series(
                "Venue connected, halted",
                [(f"aleph_venue_up{{{inst}}}", "{{venue}} up"), (f"aleph_venue_halted{{{inst}}}", "{{venue}} halted")],
            )
        )
        .with_panel(
            series(
                "Stream: seconds since the book moved",
                [(f"aleph_stream_last_message_age_seconds{{{inst}}}", "{{venue}}")],
                "s",
            )
        )
        .with_panel(
            series(
                "Reconnects and reconciliation differences",
                [
                    (f"aleph_stream_reconnects{{{inst}}}", "{{venue}} reconnects"),
                    (f"aleph_reconciliation_differences{{{inst}}}", "{{venue}} differences"),
                ],
            )
        )
        .with_row(dashboard.Row("Orders and risk").id(next(_ids)))
        .with_panel(
            series(
                "Order acknowledgement latency",
                [
                    (
                        f"histogram_quantile(0.5, sum by (le) (rate(aleph_order_ack_seconds_bucket{{{inst}}}[5m])))",
                        "p50",
                    ),
                    (
                        f"histogram_quantile(0.99, sum by (le) (rate(aleph_order_ack_seconds_bucket{{{inst}}}[5m])))",
                        "p99",
                    ),
                ],
                "s",
            )
        )
        .with_panel(
            series(
                "Refusals by reason",
                [(f"sum by (reason) (rate(aleph_risk_rejections_total{{{inst}}}[5m]))", "{{reason}}")],
                "reqps",
            )
        )
        .with_panel(
            series(
                "Orders and fills",
                [
                    (f"sum by (origin) (rate(aleph_orders_total{{{inst}}}[5m]))", "orders {{origin}}"),
                    (f"sum by (instrument) (rate(aleph_fills_total{{{inst}}}[5m]))", "fills {{instrument}}"),
                ],
                "reqps",
            )
        )
        .with_panel(
            series(
                "Position and exposure",
                [
                    (f"aleph_position{{{inst}}}", "{{instrument}} position"),
                    (f"aleph_exposure_usd{{{inst}}}", "{{instrument}} exposure (USD)"),
                ],
            )
        )
        .with_panel(
            series(
                "Equity, PnL, drawdown against the kill switch",
                [
                    (f"aleph_pnl_usd{{{inst}}}", "PnL"),
                    (f"aleph_drawdown_usd{{{inst}}}", "drawdown"),
                    (f"aleph_max_drawdown_usd{{{inst}}}", "kill switch"),
                ],
                "currencyUSD",
            )
        )
        .with_panel(
            series(
                "Journal commit latency",
                [
                    (
                        "histogram_quantile(0.99, sum by (le) "
                        f"(rate(aleph_journal_commit_seconds_bucket{{{inst}}}[5m])))",
                        "p99",
                    )
                ],
                "s",
            )
        )
        .with_row(dashboard.Row("Agent").id(next(_ids)))
        .with_panel(
            series(
                "Tool calls and errors",
                [
                    (f"sum by (tool) (rate(aleph_agent_tool_calls_total{{{inst}}}[5m]))", "{{tool}}"),
                    (f"sum(rate(aleph_agent_tool_errors_total{{{inst}}}[5m]))", "errors"),
                ],
                "reqps",
            )
        )
        .with_panel(
            series(
                "LLM latency and tokens",
                [
                    (
                        f"histogram_quantile(0.9, sum by (le) (rate(aleph_llm_request_seconds_bucket{{{inst}}}[5m])))",
                        "p90 s",
                    ),
                    (f"sum by (kind) (rate(aleph_llm_tokens_total{{{inst}}}[5m]))", "tokens/s {{kind}}"),
                ],
            )
        )
        .build()
    )
    return json.loads(json.dumps(d, cls=JSONEncoder, sort_keys=True))


def text() -> str:
    return json.dumps(build(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text())
    sys.stdout.write(f"wrote {OUT}\n")
