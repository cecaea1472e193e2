"""Prometheus metrics for the engine: books, orders, fills, rejections, PnL, latencies.

A registry of its own (not the process-global one), served on 127.0.0.1 by default.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, start_http_server


class Metrics:
    """``positions``: keep a position gauge set on every fill (a session's); a node's collector
    reads positions, exposure and the rest of its state at scrape time (core/node/node_metrics.py)."""

    def __init__(self, positions: bool = True) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.book_updates = Counter("aleph_book_updates", "Book updates applied", ["instrument"], registry=r)
        self.orders = Counter("aleph_orders", "Orders sent, by origin", ["origin"], registry=r)
        self.fills = Counter("aleph_fills", "Fills recorded, by instrument", ["instrument"], registry=r)
        self.rejections = Counter("aleph_risk_rejections", "Orders refused by the risk engine", ["reason"], registry=r)
        self.pnl = Gauge(
            "aleph_strategy_pnl_usd", "Strategy PnL after fees, marked to the mid", ["strategy"], registry=r
        )
        self.position = Gauge("aleph_position", "Position in lots", ["instrument"], registry=r) if positions else None
        self.order_latency = Histogram(
            "aleph_order_ack_seconds",
            "From submitting an order (risk, journal, venue) to the venue's acknowledgement",
            buckets=(5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 5e-4, 1e-3, 1e-2),
            registry=r,
        )
        self.venue_rejections = Counter("aleph_venue_rejections", "Orders a venue rejected", ["venue"], registry=r)
        self.journal_commit = Histogram(
            "aleph_journal_commit_seconds",
            "One commit of the journal's rows (SQLite: a loop step's batch; PostgreSQL: a row)",
            buckets=(1e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 1.0),
            registry=r,
        )
        self.tool_calls = Counter(
            "aleph_agent_tool_calls", "The agent's tool calls served in this process", ["tool", "origin"], registry=r
        )
        self.tool_errors = Counter(
            "aleph_agent_tool_errors", "Those that failed or were refused", ["tool", "origin"], registry=r
        )
        self.llm_seconds = Histogram(
            "aleph_llm_request_seconds",
            "One model request of the agents in this process",
            buckets=(0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0),
            registry=r,
        )
        self.llm_tokens = Counter("aleph_llm_tokens", "Tokens of those requests", ["kind"], registry=r)

    def tool_call(self, tool: str, origin: str, ok: bool) -> None:
        self.tool_calls.labels(tool, origin).inc()
        if not ok:
            self.tool_errors.labels(tool, origin).inc()

    def llm_request(self, seconds: float, prompt_tokens: int, completion_tokens: int) -> None:
        self.llm_seconds.observe(seconds)
        self.llm_tokens.labels("prompt").inc(prompt_tokens)
        self.llm_tokens.labels("completion").inc(completion_tokens)

    def serve(self, port: int, host: str = "127.0.0.1") -> None:
        start_http_server(port, addr=host, registry=self.registry)

    def text(self) -> str:
        return generate_latest(self.registry).decode()
