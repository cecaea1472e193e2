from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from alephtx.core.config.resources import sample_capture
from alephtx.core.model import Instrument
from tests.support.servers import nats_server, postgres_server

ROOT = Path(__file__).resolve().parent.parent

# Every test, and every aleph it starts, gets empty per-user folders: never the developer's
# ~/.config/alephtx (what `aleph init` wrote there would change the defaults under test) nor
# ~/.local/share/alephtx (the default data folder).
_USER = Path(tempfile.mkdtemp(prefix="alephtx-tests-"))
atexit.register(shutil.rmtree, _USER, True)
os.environ["XDG_CONFIG_HOME"] = str(_USER / "config")
os.environ["XDG_DATA_HOME"] = str(_USER / "data")
for _name in ("ALEPH_CONFIG", "ALEPH_CONFIG_DIR", "ALEPH_DATA_DIR"):
    os.environ.pop(_name, None)
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
