"""Prometheus metrics for the engine: books, orders, fills, rejections, PnL, latencies.

A registry of its own (not the process-global one), served on 127.0.0.1 by default.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, start_http_server


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.book_updates = Counter("aleph_book_updates", "Book updates applied", ["instrument"], registry=r)
        self.orders = Counter("aleph_orders", "Orders sent, by origin", ["origin"], registry=r)
        self.fills = Counter("aleph_fills", "Fills recorded, by instrument", ["instrument"], registry=r)
        self.rejections = Counter("aleph_risk_rejections", "Orders refused by the risk engine", ["reason"], registry=r)
        self.pnl = Gauge(
            "aleph_strategy_pnl_usd", "Strategy PnL after fees, marked to the mid", ["strategy"], registry=r
        )
        self.position = Gauge("aleph_position", "Position in lots", ["instrument"], registry=r)
        self.order_latency = Histogram(
            "aleph_order_ack_seconds",
            "From submitting an order (risk, journal, venue) to the venue's acknowledgement",
            buckets=(5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 5e-4, 1e-3, 1e-2),
            registry=r,
        )

    def serve(self, port: int, host: str = "127.0.0.1") -> None:
        start_http_server(port, addr=host, registry=self.registry)

    def text(self) -> str:
        return generate_latest(self.registry).decode()
