"""The configuration schema with its documented defaults (configs/aleph.toml mirrors it)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from alephtx.core.config.resources import default_data_dir


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


class AgentConfig(_Section):
    """The agent, its tools and its model (docs/agent.md)."""

    # Order tickets above this notional (USD) need a person's approval before confirm_order.
    approval_notional: str = Field("250", pattern=r"^[0-9]+(\.[0-9]+)?$")
    ticket_ttl_s: float = Field(120.0, gt=0, le=3600)
    # An OpenAI-compatible endpoint (vLLM in production); empty starts the embedded CPU model.
    llm_endpoint: str = Field("", pattern=r"^(https?://[^\s]+)?$")
    llm_model: str = "smollm2-135m-instruct"
    # LangGraph checkpoints: a SQLite file under data_dir, or a postgresql:// URL.
    checkpoints: str = "sqlite"
    recursion_limit: int = Field(16, ge=4, le=100)
    max_tool_errors: int = Field(2, ge=0, le=10)
    # Research notes: a Qdrant folder under data_dir (local mode), or a Qdrant server URL.
    memory: str = "local"
    # Telegram user ids the bot answers (`aleph telegram`); nobody else.
    telegram_users: list[int] = []
    # A self-hosted Bot API server (telegram-bot-api), e.g. http://127.0.0.1:8081/bot; empty: Telegram's.
    telegram_api_url: str = Field("", pattern=r"^(https?://[^\s]+)?$")
    mcp_host: str = "127.0.0.1"
    mcp_port: int = Field(8765, ge=1, le=65535)
    # Chain JSON-RPC endpoints the simulate_bundle tool may fork; none by default. The model
    # names one of these; it can never make the server call a URL of its own choosing.
    rpc_urls: list[Annotated[str, Field(pattern=r"^https?://[^\s]+$")]] = []


class AlephConfig(_Section):
    bus: BusConfig = BusConfig()
    replay: ReplayConfig = ReplayConfig()
    log: LogConfig = LogConfig()
    agent: AgentConfig = AgentConfig()
    # Writable state (journals, risk state, agent checkpoints and notes, reports), made absolute:
    # never the current folder unless asked for. Default: $XDG_DATA_HOME/alephtx, else
    # ~/.local/share/alephtx (core/config/resources.py); `aleph --data-dir`, ALEPH_DATA_DIR.
    data_dir: Path = Field(default_factory=default_data_dir)

    @field_validator("data_dir", mode="before")
    @classmethod
    def _folder(cls, value: object) -> object:
        if isinstance(value, str | Path) and str(value).strip() == "":
            raise ValueError("must name a folder")
        return Path(value).expanduser().absolute() if isinstance(value, str | Path) else value


class Secrets(_Section):
    """Read from the environment only; never logged, never shown (SecretStr)."""

    nats_token: SecretStr | None = None
    mcp_token: SecretStr | None = None
    operator_token: SecretStr | None = None
    telegram_token: SecretStr | None = None


# Environment variable -> Secrets field.
SECRET_ENV = {
    "ALEPH_NATS_TOKEN": "nats_token",
    "ALEPH_MCP_TOKEN": "mcp_token",
    "ALEPH_OPERATOR_TOKEN": "operator_token",
    "ALEPH_TELEGRAM_TOKEN": "telegram_token",
}
