"""A mempool listener: pending transactions from a node over WebSocket, decoded router swaps out.

It subscribes with ``eth_subscribe("newPendingTransactions")``; a node that sends only hashes is
asked for each transaction (``eth_getTransactionByHash``) on the same socket. Decoded swaps go
into a bounded queue: when the consumer falls behind the newest swap is dropped and counted, so
memory stays bounded and the loss shows on /metrics.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from dataclasses import dataclass
from typing import Any

import websockets
from prometheus_client import CollectorRegistry, Counter

from alephtx.core.errors import FieldError
from alephtx.core.mev.decode import DecodedSwap, decode_swap

__all__ = ["MempoolListener", "PendingSwap"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PendingSwap:
    tx_hash: str
    sender: str
    to: str
    value: int
    gas_price: int
    swap: DecodedSwap


class MempoolListener:
    """Feeds ``queue`` with the router swaps seen pending on the node at ``url``."""

    def __init__(self, url: str, *, queue_size: int = 1024, registry: CollectorRegistry | None = None) -> None:
        if not url.startswith(("ws://", "wss://")):
            raise FieldError("rpc", url, "must be a ws:// or wss:// URL")
        if queue_size < 1:
            raise FieldError("queue_size", queue_size, "must be >= 1")
        self.url = url
        self.queue: asyncio.Queue[PendingSwap] = asyncio.Queue(maxsize=queue_size)
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.seen = Counter("aleph_mempool_seen", "Pending transactions seen", registry=r)
        self.swaps = Counter("aleph_mempool_swaps", "Router swaps decoded", ["protocol"], registry=r)
        self.malformed = Counter(
            "aleph_mempool_malformed", "Known selectors whose arguments failed to decode", registry=r
        )
        self.dropped = Counter("aleph_mempool_dropped", "Decoded swaps dropped because the queue was full", registry=r)
        self.ready = asyncio.Event()
        self._ids = itertools.count(1)

    def stats(self) -> dict[str, int]:
        swaps = sum(int(s.value) for m in self.swaps.collect() for s in m.samples if s.name.endswith("_total"))
        return {
            "seen": int(self.seen._value.get()),
            "swaps": swaps,
            "malformed": int(self.malformed._value.get()),
            "dropped": int(self.dropped._value.get()),
            "queued": self.queue.qsize(),
        }

    def _offer(self, tx: dict[str, Any]) -> None:
        try:
            swap = decode_swap(tx.get("input") or tx.get("data") or "0x", int(tx.get("value") or "0x0", 16))
        except FieldError as exc:
            self.malformed.inc()
            log.info("pending %s: %s", tx.get("hash"), exc)
            return
        if swap is None:
            return
        self.swaps.labels(swap.protocol).inc()
        pending = PendingSwap(
            tx_hash=str(tx.get("hash")),
            sender=str(tx.get("from")),
            to=str(tx.get("to")),
            value=int(tx.get("value") or "0x0", 16),
            gas_price=int(tx.get("gasPrice") or tx.get("maxFeePerGas") or "0x0", 16),
            swap=swap,
        )
        try:
            self.queue.put_nowait(pending)
        except asyncio.QueueFull:
            self.dropped.inc()

    async def run(self) -> None:
        """Listen until cancelled; a closed socket ends the call (the caller decides on retries)."""
        async with websockets.connect(self.url, max_size=2**24) as ws:
            sub_id = next(self._ids)
            await ws.send(
                json.dumps(
                    {"jsonrpc": "2.0", "id": sub_id, "method": "eth_subscribe", "params": ["newPendingTransactions"]}
                )
            )
            subscription: str | None = None
            async for raw in ws:
                msg = json.loads(raw)
                if msg.get("id") == sub_id:
                    if "error" in msg:
                        raise ConnectionError(f"{self.url}: eth_subscribe refused: {msg['error']}")
                    subscription = msg["result"]
                    self.ready.set()
                elif msg.get("method") == "eth_subscription" and msg["params"].get("subscription") == subscription:
                    item = msg["params"]["result"]
                    self.seen.inc()
                    if isinstance(item, dict):
                        self._offer(item)
                    else:  # a hash: ask for the transaction on the same socket
                        await ws.send(
                            json.dumps(
                                {
                                    "jsonrpc": "2.0",
                                    "id": next(self._ids),
                                    "method": "eth_getTransactionByHash",
                                    "params": [item],
                                }
                            )
                        )
                elif isinstance(msg.get("result"), dict):
                    self._offer(msg["result"])
