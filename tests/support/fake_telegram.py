"""A loopback Telegram Bot API (the internet's Telegram cannot be reached here): the methods a
python-telegram-bot polling bot uses, with the real request and response shapes. Tests push
updates in and read what the bot sent."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

from aiohttp import web

BOT = {"id": 777, "is_bot": True, "first_name": "AlephTX", "username": "alephtx_bot"}


class FakeTelegram:
    def __init__(self, token: str) -> None:
        self.token = token
        self.updates: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(100)
        self._new = asyncio.Event()
        self.base_url = ""

    def _user(self, user_id: int) -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": f"user{user_id}"}

    def push_text(self, user_id: int, text: str) -> None:
        msg: dict[str, Any] = {
            "message_id": next(self._message_ids), "date": int(time.time()), "text": text,
            "chat": {"id": user_id, "type": "private"}, "from": self._user(user_id),
        }  # fmt: skip
        if text.startswith("/"):
            msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        self.updates.append({"update_id": next(self._update_ids), "message": msg})
        self._new.set()

    def push_button(self, user_id: int, data: str) -> None:
        message = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": {"id": user_id, "type": "private"},
                   "from": BOT, "text": "Approval needed"}  # fmt: skip
        cq = {
            "id": f"cq{len(self.updates)}",
            "from": self._user(user_id),
            "chat_instance": "ci",
            "data": data,
            "message": message,
        }
        self.updates.append({"update_id": next(self._update_ids), "callback_query": cq})
        self._new.set()

    async def wait_sent(self, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        async with asyncio.timeout(timeout):
            while len(self.sent) < count:
                await asyncio.sleep(0.02)
        return self.sent

    async def handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        if request.content_type == "application/json":
            params = await request.json()
        else:
            params = {k: v for k, v in (await request.post()).items()}
        if method == "getMe":
            return _ok(BOT)
        if method in ("deleteWebhook", "answerCallbackQuery", "setMyCommands", "close", "logOut"):
            return _ok(True)
        if method == "getUpdates":
            offset = int(params.get("offset") or 0)
            pending = [u for u in self.updates if u["update_id"] >= offset]
            if not pending:
                self._new.clear()
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._new.wait(), min(float(params.get("timeout") or 0), 1.0))
                pending = [u for u in self.updates if u["update_id"] >= offset]
            return _ok(pending)
        if method in ("sendMessage", "editMessageText"):
            markup = params.get("reply_markup")
            record = {"chat_id": int(params["chat_id"]), "text": params.get("text", ""),
                      "reply_markup": json.loads(markup) if isinstance(markup, str) else markup}  # fmt: skip
            self.sent.append(record)
            return _ok({"message_id": next(self._message_ids), "date": int(time.time()),
                        "chat": {"id": record["chat_id"], "type": "private"}, "from": BOT, "text": record["text"]})  # fmt: skip
        return web.json_response(
            {"ok": False, "error_code": 400, "description": f"method {method} not faked"}, status=400
        )


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


@asynccontextmanager
async def fake_telegram(token: str) -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram(token)
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", fake.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    fake.base_url = f"http://127.0.0.1:{port}/bot"
    try:
        yield fake
    finally:
        await runner.cleanup()
