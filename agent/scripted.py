"""A chat model that replies from a script: the agent graph's deterministic paths in tests and
the eval runner's self-check. Each reply is text or a list of tool calls."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field

__all__ = ["ScriptedChatModel"]


class ScriptedChatModel(BaseChatModel):
    """``script`` items: a string (an answer) or a list of (tool name, args) tool calls. A
    callable item gets the messages so far and returns one of those."""

    script: list[Any]
    seen: list[list[BaseMessage]] = Field(default_factory=list)
    _ids: Any = None

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ScriptedChatModel:
        return self

    def _generate(
        self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        if self._ids is None:
            self._ids = itertools.count(1)
        self.seen.append(list(messages))
        if not self.script:
            item: Any = "(script ended)"
        else:
            item = self.script.pop(0)
        if callable(item):
            item = item(messages)
        if isinstance(item, str):
            msg = AIMessage(item)
        else:
            calls = [{"name": n, "args": a, "id": f"call{next(self._ids)}", "type": "tool_call"} for n, a in item]
            msg = AIMessage("", tool_calls=calls)
        return ChatResult(generations=[ChatGeneration(message=msg)])
