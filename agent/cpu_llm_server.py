"""llama-cpp-python's OpenAI-compatible server, with one chat format added: tool calling in
ChatML that honours ``max_tokens``.

llama-cpp-python's ``chatml-function-calling`` generates plain answers and tool arguments with no
token limit when the model may choose a tool, and a small model that never stops then writes
until the context is full (over a minute a turn on a CPU). ``aleph-chatml-tools`` is the same
handler with every unbounded completion capped at the request's ``max_tokens``.

    python -m alephtx.agent.cpu_llm_server --model FILE --chat_format aleph-chatml-tools ...
"""

from __future__ import annotations

import os
import sys
from typing import Any

from llama_cpp import llama_chat_format

FORMAT = "aleph-chatml-tools"
DEFAULT_CAP = 256


class _Capped:
    """The Llama object, with completions that have no limit given the request's limit."""

    def __init__(self, llama: Any, cap: int) -> None:
        self._llama = llama
        self._cap = cap

    def __getattr__(self, name: str) -> Any:
        return getattr(self._llama, name)

    def create_completion(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("max_tokens") is None:
            kwargs["max_tokens"] = self._cap
        return self._llama.create_completion(*args, **kwargs)


def chatml_tools_capped(llama: Any, **kwargs: Any) -> Any:
    cap = kwargs.get("max_tokens") or DEFAULT_CAP
    return llama_chat_format.chatml_function_calling(llama=_Capped(llama, cap), **kwargs)


def register() -> None:
    llama_chat_format.LlamaChatCompletionHandlerRegistry().register_chat_completion_handler(
        FORMAT, chatml_tools_capped, overwrite=True
    )


def die_with_parent() -> None:
    """On Linux, end when the process that started this server ends, even by SIGKILL: a node
    stopped hard must not leave a model server holding a core and 650 MB. ``ALEPH_PARENT_PID``
    names that process (the server may have outlived it before this line)."""
    if sys.platform != "linux":
        return
    import ctypes
    import signal

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    parent = os.environ.get("ALEPH_PARENT_PID", "")
    if parent.isdigit() and os.getppid() != int(parent):
        os._exit(0)


if __name__ == "__main__":
    die_with_parent()
    register()
    from llama_cpp.server.__main__ import main

    main()
