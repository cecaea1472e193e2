"""Risk: pre-trade checks (Cython, with a Python twin), trading state and the kill switch."""

from alephtx.core.risk.codes import SENTENCES, Reason, describe
from alephtx.core.risk.engine import AGENT, OPERATOR, RiskEngine, RiskEvent, TradingState, Verdict
from alephtx.core.risk.limits import RiskLimits, load_limits

__all__ = [
    "AGENT",
    "OPERATOR",
    "SENTENCES",
    "Reason",
    "RiskEngine",
    "RiskEvent",
    "RiskLimits",
    "TradingState",
    "Verdict",
    "describe",
    "load_limits",
]
