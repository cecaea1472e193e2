"""The agent on Telegram (python-telegram-bot): slash commands, free text to the agent, and
approvals as inline buttons.

Only the Telegram user ids in ``agent.telegram_users`` are answered; anyone else gets one line
saying so. The bot token comes from ``ALEPH_TELEGRAM_TOKEN``. Each chat is its own checkpointed
thread. Approval buttons carry the thread; pressing one resumes the graph as that person.

The token is in every Bot API URL (``/bot<token>/getMe``) and python-telegram-bot puts it in the
text of ``InvalidToken``: it is registered with ``core/redact.py`` so logs mask it, and a start
that Telegram refuses, or cannot reach, is a ``FieldError`` that never carries it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from alephtx.agent.session import Agent, Event
from alephtx.agent.slash import HELP, ToolRefused, render, run_slash
from alephtx.core.config.schema import AlephConfig
from alephtx.core.errors import FieldError
from alephtx.core.redact import MASK, redact, register
from alephtx.tools.local import LocalTools

__all__ = ["build_bot", "run_telegram"]

log = logging.getLogger(__name__)
LIMIT = 3500  # Telegram allows 4096 characters a message


def _clip(text: str) -> str:
    return text if len(text) <= LIMIT else text[:LIMIT] + "\n…"


def _summary(events: list[Event]) -> tuple[str, Event | None]:
    lines, pending = [], None
    for ev in events:
        if ev.kind == "tool_call":
            lines.append(f"→ {ev.data['name']}({json.dumps(ev.data['args'])})")
        elif ev.kind == "tool_result" and ev.data.get("error"):
            lines.append(f"  ✗ {ev.data['text'][:300]}")
        elif ev.kind == "answer":
            lines.append(ev.data["text"] or "(no answer)")
        elif ev.kind == "stopped":
            lines.append(f"stopped: {ev.data['reason']}")
        elif ev.kind == "approval":
            pending = ev
    return "\n".join(lines), pending


def check_settings(token: str, allowed_users: set[int]) -> None:
    if not token:
        raise FieldError("ALEPH_TELEGRAM_TOKEN", "<unset>", "set the bot token in the environment")
    register(token)  # from here on no log line or error shows it
    if not allowed_users:
        raise FieldError("agent.telegram_users", [], "list the Telegram user ids the bot may answer")


def build_bot(
    token: str,
    tools: LocalTools,
    agent: Callable[[], Awaitable[Agent]],
    allowed_users: set[int],
    *,
    base_url: str | None = None,
) -> Application:
    """The bot's Application; ``agent()`` gives the (lazily started) agent."""
    check_settings(token, allowed_users)
    builder = ApplicationBuilder().token(token)
    if base_url:
        builder = builder.base_url(base_url)
    app = builder.build()

    async def allowed(update: Update) -> bool:
        user = update.effective_user
        if user is not None and user.id in allowed_users:
            return True
        log.warning("telegram: refused user %s", user.id if user else None)
        if update.effective_chat is not None:
            await app.bot.send_message(update.effective_chat.id, "This bot only answers its operator.")
        return False

    async def slash(update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
        if not await allowed(update) or update.message is None or update.effective_user is None:
            return
        try:
            text = render(
                await run_slash(tools, update.message.text or "", f"person:telegram:{update.effective_user.id}")
            )
        except (FieldError, PermissionError, ToolRefused) as exc:
            text = f"error: {exc}"
        await update.message.reply_text(_clip(text))

    async def send_run(chat_id: int, events: list[Event]) -> None:
        text, pending = _summary(events)
        if text:
            await app.bot.send_message(chat_id, _clip(text))
        if pending is not None:
            ticket = pending.data["ticket"]
            buttons = InlineKeyboardMarkup([[
                InlineKeyboardButton("Approve", callback_data=f"approve:{chat_id}"),
                InlineKeyboardButton("Decline", callback_data=f"decline:{chat_id}"),
            ]])  # fmt: skip
            await app.bot.send_message(
                chat_id, _clip("Approval needed:\n" + json.dumps(ticket, indent=1)), reply_markup=buttons
            )

    async def free_text(update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
        if not await allowed(update) or update.message is None or update.effective_chat is None:
            return
        a = await agent()
        chat = update.effective_chat.id
        await send_run(
            chat, [e async for e in a.ask(update.message.text or "", f"telegram-{chat}") if e.kind != "token"]
        )

    async def button(update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None or not await allowed(update) or update.effective_user is None:
            return
        await query.answer()
        verb, _, chat = (query.data or "").partition(":")
        a = await agent()
        who = f"person:telegram:{update.effective_user.id}"
        events = [e async for e in a.resume(verb == "approve", who, f"telegram-{chat}") if e.kind != "token"]
        await send_run(int(chat), events)

    app.add_handler(CommandHandler([c.removeprefix("/") for c in HELP], slash))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, free_text))
    app.add_handler(CallbackQueryHandler(button, pattern=r"^(approve|decline):-?[0-9]+$"))
    return app


async def run_telegram(
    cfg: AlephConfig, token: str, endpoint: str, model_name: str, base_url: str | None = None, node: str | None = None
) -> None:
    """Serve the bot until cancelled (Ctrl-C): long polling, the model started on first use."""
    import asyncio
    import contextlib
    from pathlib import Path

    from alephtx.agent.llm import CPU_MODEL_NAME, chat_model, cpu_server, free_port
    from alephtx.agent.session import agent_session
    from alephtx.tools.local import local_tools

    base_url = base_url or cfg.agent.telegram_api_url or None
    check_settings(token, set(cfg.agent.telegram_users))  # before the sessions: a plain error
    await _check_token(token, base_url)  # a wrong token fails in a second, before the desk starts
    with contextlib.ExitStack() as stack:
        async with (
            local_tools(cfg, workdir=Path(cfg.data_dir) / "telegram-desk", origin="chat:telegram", node=node) as tools,
            contextlib.AsyncExitStack() as astack,
        ):
            started: list[Agent] = []

            async def agent() -> Agent:
                if not started:
                    url = endpoint or stack.enter_context(cpu_server(free_port(), Path(cfg.data_dir) / "llm.log"))
                    model = chat_model(url, model_name if endpoint else CPU_MODEL_NAME)
                    started.append(await astack.enter_async_context(agent_session(cfg, model, tools)))
                return started[0]

            app = build_bot(token, tools, agent, set(cfg.agent.telegram_users), base_url=base_url)
            try:
                await app.initialize()  # getMe: a wrong token or no way to Telegram fails here
            except TelegramError as exc:
                with contextlib.suppress(Exception):
                    await app.shutdown()
                raise _start_error(exc, base_url) from None
            async with app:
                await app.start()
                assert app.updater is not None
                await app.updater.start_polling()
                try:
                    await asyncio.Event().wait()
                finally:
                    await app.updater.stop()
                    await app.stop()


async def _check_token(token: str, base_url: str | None) -> None:
    """Ask the Bot API who the bot is (getMe); a refusal or no answer is a ``FieldError``."""
    from telegram import Bot

    bot = Bot(token, base_url=base_url) if base_url else Bot(token)
    try:
        await bot.initialize()
    except TelegramError as exc:
        raise _start_error(exc, base_url) from None
    await bot.shutdown()


def _start_error(exc: TelegramError, base_url: str | None) -> FieldError:
    """The bot could not start: say why in words without the token (python-telegram-bot's own
    ``InvalidToken`` text quotes it)."""
    if isinstance(exc, InvalidToken):
        return FieldError(
            "ALEPH_TELEGRAM_TOKEN", MASK, "Telegram rejected the token (@BotFather gives the bot's token)"
        )
    where = base_url or "https://api.telegram.org/bot"
    return FieldError("Bot API", redact(where), f"the bot could not start ({type(exc).__name__}: {redact(str(exc))})")
