"""The configuration schema with its documented defaults (configs/aleph.toml mirrors it)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BusConfig(_Section):
    kind: Literal["inproc", "nats"] = "inproc"
    nats_url: str = Field("nats://127.0.0.1:4222", pattern=r"^(nats|tls)://[^\s]+$")
    namespace: str = Field("", pattern=r"^([A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*)?$")
    connect_timeout_s: float = Field(2.0, gt=0, le=60)


class ReplayConfig(_Section):
    # Empty means the sample bundled with the package (core/replay/sample).
    path: str = ""
    venue: str = "binance-usdm"
    symbol: str = "BTCUSDT"
    tick_size: str = Field("0.10", pattern=r"^[0-9]+(\.[0-9]+)?$")
    lot_size: str = Field("0.001", pattern=r"^[0-9]+(\.[0-9]+)?$")
    min_notional: str = Field("100", pattern=r"^[0-9]+(\.[0-9]+)?$")


class LogConfig(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class AlephConfig(_Section):
    bus: BusConfig = BusConfig()
    replay: ReplayConfig = ReplayConfig()
    log: LogConfig = LogConfig()
    data_dir: Path = Path("var")


class Secrets(_Section):
    """Read from the environment only; never logged, never shown (SecretStr)."""

    nats_token: SecretStr | None = None


# Environment variable -> Secrets field.
SECRET_ENV = {"ALEPH_NATS_TOKEN": "nats_token"}
