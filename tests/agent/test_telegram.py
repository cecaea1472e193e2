"""The agent on Telegram, against a loopback Bot API that speaks Telegram's protocol (the real
Telegram cannot be reached here): slash commands, strangers refused, approval buttons."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alephtx.agent.scripted import ScriptedChatModel
from alephtx.agent.session import Agent, agent_session
from alephtx.agent.telegram_bot import build_bot
from alephtx.core.config.schema import AlephConfig
from alephtx.core.errors import FieldError
from alephtx.tools.desk import Desk
from alephtx.tools.local import local_tools
from tests.support.fake_telegram import fake_telegram

OPERATOR, STRANGER = 4242, 666
TOKEN = "123456:TEST-token"


async def test_slash_commands_strangers_and_approval_buttons(tmp_path: Path) -> None:
    cfg = AlephConfig.model_validate({"data_dir": str(tmp_path)})
    desk = await Desk.from_replay(tmp_path / "desk")
    model = ScriptedChatModel(script=[
        [("propose_order", {"instrument": "paper-a:BTCUSDT", "side": "buy", "quantity": "0.010"})],
        lambda msgs: [("confirm_order", {"ticket_id": json.loads(msgs[-1].content)["ticket_id"]})],
        "Bought.",
    ])  # fmt: skip
    async with (
        fake_telegram(TOKEN) as tg,
        local_tools(cfg, desk=desk, origin="chat:telegram") as tools,
        agent_session(cfg, model, tools) as agent_obj,
    ):

        async def agent() -> Agent:
            return agent_obj

        app = build_bot(TOKEN, tools, agent, {OPERATOR}, base_url=tg.base_url)
        async with app:
            await app.start()
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0.0, timeout=1)
            tg.push_text(OPERATOR, "/status")
            tg.push_text(STRANGER, "/halt now")
            sent = await tg.wait_sent(2)
            assert '"state": "ACTIVE"' in sent[0]["text"] and sent[0]["chat_id"] == OPERATOR
            assert "only answers its operator" in sent[1]["text"] and sent[1]["chat_id"] == STRANGER
            assert desk.engine.risk.state.name == "ACTIVE"  # the stranger's /halt did nothing
            tg.push_text(OPERATOR, "buy 0.01 BTC on paper-a")
            sent = await tg.wait_sent(4)
            assert "propose_order" in sent[2]["text"]
            keyboard = sent[3]["reply_markup"]["inline_keyboard"][0]
            assert [b["text"] for b in keyboard] == ["Approve", "Decline"]
            tg.push_button(STRANGER, keyboard[0]["callback_data"])  # a stranger cannot approve
            tg.push_button(OPERATOR, keyboard[0]["callback_data"])
            sent = await tg.wait_sent(6)
            assert "only answers its operator" in sent[4]["text"]
            assert "Bought." in sent[5]["text"]
            await app.updater.stop()
            await app.stop()
    ticket = next(iter(desk.tickets.tickets.values()))
    assert ticket.confirmed and ticket.approved_by == f"person:telegram:{OPERATOR}"


def test_the_bot_needs_a_token_and_its_users() -> None:
    with pytest.raises(FieldError, match="ALEPH_TELEGRAM_TOKEN"):
        build_bot("", None, None, {1})  # type: ignore[arg-type]
    with pytest.raises(FieldError, match="telegram_users"):
        build_bot(TOKEN, None, None, set())  # type: ignore[arg-type]
