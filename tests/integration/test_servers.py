"""make test must start what the tests need when the machine has none running: prove it can."""

from __future__ import annotations

import asyncio

import nats
import psycopg

from tests.support.servers import throwaway_nats, throwaway_postgres


def test_a_throwaway_nats_server_with_jetstream() -> None:
    async def probe(url: str) -> str:
        nc = await nats.connect(url)
        info = await nc.jetstream().account_info()
        await nc.close()
        return str(info.limits)

    with throwaway_nats() as url:
        assert "127.0.0.1" in url
        assert asyncio.run(probe(url))


def test_a_throwaway_postgres_cluster() -> None:
    with throwaway_postgres() as dsn, psycopg.connect(dsn) as conn:
        assert conn.execute("select 1 + 1").fetchone() == (2,)
