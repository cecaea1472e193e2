"""The message bus: one interface, two implementations (in-process and NATS).

Subjects (see subjects.py): md.book.<venue>.<symbol>, md.trade.<venue>.<symbol>,
exec.order.<venue>, exec.report.<venue>, risk.state, strategy.<name>.<event>, agent.<event>.
"""

from alephtx.core.bus.base import Bus, BusStats, Handler, Msg, Subscription
from alephtx.core.bus.inproc import InProcessBus

__all__ = ["Bus", "BusStats", "Handler", "InProcessBus", "Msg", "Subscription", "connect"]


async def connect(kind: str = "inproc", **options: object) -> Bus:
    """Open a bus by kind: ``inproc`` (default) or ``nats`` (options go to NatsBus.connect)."""
    if kind == "inproc":
        return InProcessBus()
    if kind == "nats":
        from alephtx.core.bus.nats import NatsBus

        return await NatsBus.connect(**options)  # type: ignore[arg-type]
    raise ValueError(f"bus.kind={kind!r}: must be 'inproc' or 'nats'")
