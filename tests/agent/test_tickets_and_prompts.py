"""Tickets expire and are confirmed once; prompts load by name and version."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from alephtx.agent.prompts import load, versions
from alephtx.core.engine.tickets import TicketBook
from alephtx.core.errors import FieldError
from alephtx.core.model import Instrument, OrderRequest

INST = Instrument.from_strings("paper-a", "BTCUSDT", "perp", "0.10", "0.001", "5")


def _ticket(book: TicketBook, notional: str | None) -> str:
    req = OrderRequest.parse(INST, "buy", "market", "0.002", origin="agent")
    t = book.new(
        request=req, quantity="0.002", price=None, verdict_ok=True, verdict="OK",
        expected_price=None, notional=Decimal(notional) if notional else None, fees=None,
    )  # fmt: skip
    return t.id


def test_tickets_expire_and_are_confirmed_once() -> None:
    now = [1000.0]
    book = TicketBook(Decimal("250"), ttl_s=60, clock=lambda: now[0])
    small = _ticket(book, "100")
    assert book.take_for_confirmation(small).confirmed
    with pytest.raises(FieldError, match="confirmed once"):
        book.take_for_confirmation(small)
    late = _ticket(book, "100")
    now[0] += 61
    with pytest.raises(FieldError, match="expired"):
        book.take_for_confirmation(late)
    unknown_price = _ticket(book, None)  # no notional to judge by: a person must look
    with pytest.raises(FieldError, match="approval"):
        book.take_for_confirmation(unknown_price)
    book.approve(unknown_price, "person:ada")
    assert book.take_for_confirmation(unknown_price).approved_by == "person:ada"
    with pytest.raises(FieldError, match="no such ticket"):
        book.take_for_confirmation("t-nope")


def test_prompts_load_by_name_and_version(tmp_path: Path) -> None:
    text, v = load("system")
    assert v == max(versions("system")) and "untrusted_data" in text and "approval" in text
    (tmp_path / "greet.v1.md").write_text("hello v1")
    (tmp_path / "greet.v2.md").write_text("hello v2\n")
    assert load("greet", folder=tmp_path) == ("hello v2", 2)
    assert load("greet", 1, folder=tmp_path) == ("hello v1", 1)
    with pytest.raises(FieldError, match="version"):
        load("greet", 3, folder=tmp_path)
    with pytest.raises(FieldError, match="prompt"):
        load("nothing", folder=tmp_path)
