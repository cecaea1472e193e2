from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from alephtx.core.model import Instrument
from alephtx.core.replay.samples import sample_capture
from tests.support.servers import nats_server, postgres_server

ROOT = Path(__file__).resolve().parent.parent
FULL_CAPTURE = ROOT.parent / "shared" / "data" / "binance-usdm" / "btcusdt_20240808.gz"


@pytest.fixture(scope="session")
def btcusdt() -> Instrument:
    return Instrument.from_strings("binance-usdm", "BTCUSDT", "perp", "0.10", "0.001", "100")


@pytest.fixture(scope="session")
def sample_path() -> Path:
    return sample_capture()


@pytest.fixture(scope="session")
def nats_url() -> Iterator[str]:
    with nats_server() as url:
        yield url


@pytest.fixture(scope="session")
def pg_dsn() -> Iterator[str]:
    with postgres_server() as dsn:
        yield dsn
