"""Strategies beneath the agent: the API, the host, and the strategies AlephTX ships."""

from alephtx.core.strategies.arbitrage import Arbitrage, ArbitrageParams
from alephtx.core.strategies.base import Context, Params, Strategy
from alephtx.core.strategies.grid import Grid, GridParams
from alephtx.core.strategies.host import StrategyError, StrategyHost
from alephtx.core.strategies.market_making import MarketMaking, MarketMakingParams
from alephtx.core.strategies.mean_reversion import MeanReversion, MeanReversionParams
from alephtx.core.strategies.multi_signal import MultiSignal, MultiSignalParams
from alephtx.core.strategies.trend import Trend, TrendParams

# Names for configs/strategies.toml and `aleph strategy`: the shipped strategies.
BUILTIN: dict[str, type[Strategy]] = {
    "grid": Grid,
    "trend": Trend,
    "mean_reversion": MeanReversion,
    "market_making": MarketMaking,
    "arbitrage": Arbitrage,
    "multi_signal": MultiSignal,
}

__all__ = [
    "BUILTIN",
    "Arbitrage",
    "ArbitrageParams",
    "Context",
    "Grid",
    "GridParams",
    "MarketMaking",
    "MarketMakingParams",
    "MeanReversion",
    "MeanReversionParams",
    "MultiSignal",
    "MultiSignalParams",
    "Params",
    "Strategy",
    "StrategyError",
    "StrategyHost",
    "Trend",
    "TrendParams",
]
