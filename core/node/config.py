"""The node's config (``node.toml``): its venues, strategies, risk limits, journal, bus, market and
what it serves. The packaged default runs two paper venues on the bundled capture, looped;
``aleph init`` writes an editable copy, ``aleph node --config FILE`` reads another."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from alephtx.core.config.loader import load_toml_model
from alephtx.core.config.session import DECIMAL

# Venue kinds a node runs: the paper venue, and the live venues through their adapters
# ("binance-spot" is the registry's "binance").
LIVE_KINDS = ("binance-usdm", "binance-spot", "binance", "okx", "bybit", "hyperliquid")
VENUE_KINDS = ("paper", *LIVE_KINDS)


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NodeSection(_M):
    name: str = Field("node", pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    timer_ms: int = Field(1000, ge=10, le=3_600_000)  # strategies' on_timer, the mark, in wall time


class JournalSection(_M):
    # Empty: journal.db in the data folder. Else sqlite:///path or postgresql://user@host/db.
    url: str = Field("", pattern=r"^$|^(sqlite:///|postgres(ql)?://).+")
    table: str = Field("aleph_journal", pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")  # PostgreSQL only


class BusSection(_M):
    # Empty: in-process. nats://HOST:PORT: books out and strategy orders in over NATS, so that
    # `aleph strategy run NAME --namespace <namespace>` in another process trades through this node.
    url: str = Field("", pattern=r"^$|^nats://.+")
    namespace: str = Field("", pattern=r"^[A-Za-z0-9_-]{0,64}$")


class RiskSection(_M):
    limits: str = ""  # a risk.toml; empty: the user's (aleph init) or the packaged one


class MarketSection(_M):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    capture: str = ""  # empty: the bundled sample (unless a dataset is named)
    # A dataset of the catalog instead of a capture ("binance-usdm/futures/BTCUSDT"), read window
    # by window over [from, to) (ISO 8601, UTC; empty: all of it); catalog: a folder, empty: the
    # data folder's catalog/.
    dataset: str = Field("", pattern=r"^$|^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
    catalog: str = ""
    from_: str = Field("", alias="from")
    to: str = ""

    @model_validator(mode="after")
    def _one_source(self) -> MarketSection:
        if self.capture and self.dataset:
            raise ValueError("capture and dataset both name the market's data; keep one")
        if (self.catalog or self.from_ or self.to) and not self.dataset:
            raise ValueError('catalog, from and to read a dataset; name it (dataset = "venue/market/symbol")')
        return self

    at_end: Literal["loop", "hold"] = "loop"  # what the market does when the capture ends
    speed: float = Field(1.0, gt=0, le=1000)  # market seconds per wall second
    # A venue kind whose public book the paper venues follow when it can be reached (else the
    # capture, saying so); live_rest/live_ws override its endpoints (an emulator, a testnet).
    live: str = Field("", pattern=r"^[a-z0-9-]{0,40}$")
    live_rest: str = Field("", pattern=r"^(https?://[^\s]+)?$")
    live_ws: str = Field("", pattern=r"^(wss?://[^\s]+)?$")


class VenueSection(_M):
    name: str = Field(pattern=r"^[a-z0-9-]{1,40}$")
    kind: str
    symbol: str = Field(pattern=r"^[A-Za-z0-9_./-]{1,40}$")
    # A paper venue's; a live venue's come from the venue (its listing, cached).
    tick_size: str = Field("", pattern=r"^$|" + DECIMAL)
    lot_size: str = Field("", pattern=r"^$|" + DECIMAL)
    # Live venues: testnet (or demo trading) unless false, and then only with the environment's
    # ALEPH_I_UNDERSTAND_MAINNET=1; rest_url/ws_url override the endpoints (an emulator).
    testnet: bool = True
    rest_url: str = Field("", pattern=r"^(https?://[^\s]+)?$")
    ws_url: str = Field("", pattern=r"^(wss?://[^\s]+)?$")
    poll_ms: int = Field(1000, ge=50, le=60_000)  # how often a live venue is asked for its reports
    # The venue's dead-man's switch, armed and refreshed every third of this while the node is
    # healthy: a node that stops answering has its open orders cancelled by the venue. 0: off.
    cancel_on_disconnect_s: float = Field(60.0, ge=0, le=600)
    # No book update for this long (or the stream resyncing): the node's watchdog takes the
    # venue's market price away (its orders are refused: NO_MARKET_PRICE) until the book is fresh.
    stream_silence_s: float = Field(4.0, ge=0.5, le=300)
    cash: str = Field("100000", pattern=r"^[0-9]{1,15}$")  # whole USDT
    delay_ms: int = Field(0, ge=0, le=60_000)
    latency_ms: float = Field(1.0, ge=0, le=60_000)
    taker_bps: int = Field(5, ge=0, le=1000)
    maker_bps: int = Field(2, ge=-10, le=1000)

    @model_validator(mode="after")
    def _known_kind(self) -> VenueSection:
        if self.kind not in VENUE_KINDS:
            raise ValueError(f"kind {self.kind!r} is not a venue kind this node runs; one of {', '.join(VENUE_KINDS)}")
        if self.kind == "paper" and not (self.tick_size and self.lot_size):
            raise ValueError("a paper venue needs tick_size and lot_size")
        return self

    @property
    def live(self) -> bool:
        return self.kind != "paper"

    @property
    def registry_kind(self) -> str:
        return "binance" if self.kind == "binance-spot" else self.kind


class StrategySection(_M):
    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    kind: str
    params: dict[str, Any] = {}
    enabled: bool = True  # started with the node (unless the journal says it was stopped)


class RecordSection(_M):
    """The recorder as a node service (`aleph data record` inside the node): empty venue, off."""

    venue: str = Field("", pattern=r"^[a-z0-9-]{0,40}$")
    symbols: list[str] = Field(default_factory=list)
    rotate_minutes: float = Field(60.0, gt=0, le=1440)
    catalog: str = ""  # empty: the data folder's catalog/
    rest_url: str = Field("", pattern=r"^(https?://[^\s]+)?$")
    ws_url: str = Field("", pattern=r"^(wss?://[^\s]+)?$")

    @model_validator(mode="after")
    def _symbols(self) -> RecordSection:
        if self.venue and not self.symbols:
            raise ValueError('a venue to record needs its symbols (symbols = ["BTCUSDT"])')
        return self


class ServeSection(_M):
    host: str = "127.0.0.1"  # every server's address; beyond loopback each needs its token
    grpc_port: int = Field(50051, ge=0, le=65535)  # 0: any free port (printed at start)
    metrics_port: int = Field(-1, ge=-1, le=65535)  # -1: off
    mcp_port: int = Field(-1, ge=-1, le=65535)  # -1: off; MCP over HTTP, needs ALEPH_MCP_TOKEN
    # The agent's Telegram bot on this node (ALEPH_TELEGRAM_TOKEN; users: agent.telegram_users).
    telegram: bool = False


class ResearchSection(_M):
    """Scheduled research runs (agent/research.py): read-only tools, a budget of backtests, a
    report under runs/, the summary noted in memory and sent to Telegram's listed users."""

    cron: list[str] = []  # UTC cron expressions, e.g. ["0 */4 * * *"]
    every_s: float = Field(0, ge=0, le=7 * 86_400)  # and/or a run this often; both empty: none
    ask: str = Field("", max_length=2000)  # what to look into (default: the research routine)
    max_backtests: int = Field(3, ge=0, le=100)  # per run
    backtest_budget_s: float = Field(120, gt=0, le=3600)  # seconds for each backtest
    telegram: bool = True  # send each summary when a bot token and users are configured

    @field_validator("cron")
    @classmethod
    def _cron(cls, v: list[str]) -> list[str]:
        from croniter import croniter

        for expr in v:
            if not croniter.is_valid(expr):
                raise ValueError(
                    f"{expr!r} is not a cron expression (minute hour day month weekday, e.g. '0 */4 * * *')"
                )
        return v

    @property
    def scheduled(self) -> bool:
        return bool(self.cron or self.every_s)


class ShutdownSection(_M):
    cancel_open_orders: bool = True  # on SIGINT/SIGTERM; False leaves them working at the venue


class NodeConfig(_M):
    node: NodeSection = NodeSection()
    journal: JournalSection = JournalSection()
    bus: BusSection = BusSection()
    risk: RiskSection = RiskSection()
    market: MarketSection = MarketSection()
    venue: list[VenueSection] = Field(min_length=1)
    strategy: list[StrategySection] = []
    serve: ServeSection = ServeSection()
    shutdown: ShutdownSection = ShutdownSection()
    record: RecordSection = RecordSection()
    research: ResearchSection = ResearchSection()

    @model_validator(mode="after")
    def _unique(self) -> NodeConfig:
        for what, names in (("venue", [v.name for v in self.venue]), ("strategy", [s.name for s in self.strategy])):
            dup = sorted({n for n in names if names.count(n) > 1})
            if dup:
                raise ValueError(f"{what} names must be unique; repeated: {', '.join(dup)}")
        return self


def load_node_config(path: str | Path) -> NodeConfig:
    return load_toml_model(path, NodeConfig, "node config")
