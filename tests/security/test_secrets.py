"""No secret reaches a person's screen, a log or a file: the `aleph` command run as a person runs it
(subprocesses from an empty folder, every documented secret set to a value of its own, logging
at DEBUG), then every byte written searched for every secret. Unit tests of the redaction pieces
(core/redact.py, core/logs.py, the config loader) follow."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from alephtx.core.config import ConfigError, load_config, redacted_view
from alephtx.core.config.schema import AlephConfig
from alephtx.core.errors import FieldError
from alephtx.core.logs import setup_logging
from alephtx.core.redact import (
    MASK,
    RedactingFilter,
    is_secret_name,
    mask_url,
    mask_urls,
    redact,
    register,
    secret_values,
)
from tests.conftest import ROOT
from tests.integration.test_cli import ALEPH

# Every documented secret variable, each with a value of its own (docs/config.md, adapters.md,
# engine.md, orders.md, mev.md, llm.md).
SECRETS = {
    "ALEPH_NATS_TOKEN": "natsTok-1a2b3c4d",
    "ALEPH_MCP_TOKEN": "mcpTok-5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b",
    "ALEPH_OPERATOR_TOKEN": "opTok-0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c",
    "ALEPH_TELEGRAM_TOKEN": "987654321:AAFakeTelegramTokenForTheTests_0123",
    "ALEPH_GRPC_TOKEN": "grpcTok-77aa88bb99cc",
    "ALEPH_PAPER_TOKEN": "paperTok-11dd22ee33ff",
    "ALEPH_LLM_API_KEY": "llmKey-44aa55bb66cc",
    "ALEPH_MEV_SEARCHER_KEY": "0x" + "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318",
    "ALEPH_BINANCE_API_KEY": "binKey-aaaa1111",
    "ALEPH_BINANCE_API_SECRET": "binSecret-bbbb2222",
    "ALEPH_BINANCE_USDM_API_KEY": "binUsdmKey-cccc3333",
    "ALEPH_BINANCE_USDM_API_SECRET": "binUsdmSecret-dddd4444",
    "ALEPH_OKX_API_KEY": "okxKey-eeee5555",
    "ALEPH_OKX_API_SECRET": "okxSecret-ffff6666",
    "ALEPH_OKX_PASSPHRASE": "okxPassphrase-9999",
    "ALEPH_BYBIT_API_KEY": "bybitKey-gggg7777",
    "ALEPH_BYBIT_API_SECRET": "bybitSecret-hhhh8888",
    "ALEPH_HYPERLIQUID_API_KEY": "0x" + "12ab" * 10,
    "ALEPH_HYPERLIQUID_PRIVATE_KEY": "0x" + "8f2a55949038a9610f50fb23b5883af3b4ecb3c3bb792cbcefbd1542c692be63",
}
# Passwords inside config URLs.
URL_PASSWORDS = {
    "ALEPH_AGENT__CHECKPOINTS": ("postgresql://pguser:pgPassw0rd-x1@127.0.0.1:1/x", "pgPassw0rd-x1"),
    "ALEPH_BUS__NATS_URL": ("nats://natsuser:natsUrlPw-y2@127.0.0.1:1", "natsUrlPw-y2"),
    "ALEPH_AGENT__LLM_ENDPOINT": ("http://llmuser:llmUrlPw-z3@127.0.0.1:1/v1", "llmUrlPw-z3"),
    "ALEPH_AGENT__MEMORY": ("http://qdrantuser:qdrantPw-w4@127.0.0.1:1", "qdrantPw-w4"),
}
EXTRA = {"rpc": "rpcPass-v5", "file": "fileSecret-u6", "raised": "raisedSecret-t7"}
ALL_SECRETS = [*SECRETS.values(), *(pw for _, pw in URL_PASSWORDS.values()), *EXTRA.values()]
# A hex key also leaks without its 0x.
ALL_SECRETS += [s[2:] for s in ALL_SECRETS if s.startswith("0x")]


@pytest.fixture
def desk(tmp_path: Path) -> Path:
    """An empty working folder with the data dir inside it; the config files the tests write go
    next to it (``inputs``), so that everything under it was written by `aleph`."""
    work = tmp_path / "work"
    (work / "data").mkdir(parents=True)
    (tmp_path / "inputs").mkdir()
    return work


def _input(work: Path, name: str, text: str) -> str:
    path = work.parent / "inputs" / name
    path.write_text(text)
    return str(path)


def _env(work: Path, **extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("ALEPH_")}
    return {
        **base,
        **SECRETS,
        **{name: url for name, (url, _) in URL_PASSWORDS.items()},
        "ALEPH_DATA_DIR": str(work / "data"),
        "ALEPH_LOG__LEVEL": "DEBUG",
        "COLUMNS": "200",
        **extra,
    }


def _aleph(work: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ALEPH, *args], cwd=work, env=env or _env(work), capture_output=True, text=True, timeout=60)


def _leaks(work: Path, *outputs: subprocess.CompletedProcess[str]) -> list[str]:
    """Every (secret, where) found in the outputs and in the files under ``work``."""
    found = []
    texts = [(f"stdout of {o.args[3:]}", o.stdout.encode()) for o in outputs]
    texts += [(f"stderr of {o.args[3:]}", o.stderr.encode()) for o in outputs]
    texts += [(str(p), p.read_bytes()) for p in work.rglob("*") if p.is_file()]
    for where, data in texts:
        found += [f"{s!r} in {where}" for s in ALL_SECRETS if s.encode() in data]
    return found


def test_quick_commands_show_no_secret_anywhere(desk: Path) -> None:
    """`aleph config`, `version`, `venues`, wrong config values, a wrong option, a missing file,
    a secret in a config file, `mev watch` on an RPC URL with a password, a paper session: all
    with every secret set and DEBUG logging, and nothing written contains a secret."""
    work = desk
    secret_file = _input(work, "secret.toml", f'[bus]\nnats_token = "{EXTRA["file"]}"\n')
    debug_file = _input(work, "debug.toml", '[log]\nlevel = "DEBUG"\n')
    info = {k: v for k, v in _env(work).items() if k != "ALEPH_LOG__LEVEL"}
    runs = {
        "config": _aleph(work, "config"),
        "config --config": _aleph(work, "config", "--config", debug_file, env=info),
        "version": _aleph(work, "version"),
        "venues": _aleph(work, "venues"),
        "bad port": _aleph(work, "config", env=_env(work, ALEPH_AGENT__MCP_PORT="99999")),
        "bad url": _aleph(
            work, "config", env=_env(work, ALEPH_AGENT__LLM_ENDPOINT="ftp://llmuser:llmUrlPw-z3@127.0.0.1:1")
        ),
        "bad option": _aleph(work, "config", "--no-such-option"),
        "missing file": _aleph(work, "config", "--config", str(work / "missing.toml")),
        "secret in file": _aleph(work, "config", "--config", secret_file),
        "bad tick": _aleph(work, "replay", "--tick-size", "zero"),
        "mev watch": _aleph(work, *MEV_WATCH),
        # one that writes: a journal, a picture and DEBUG logs of a whole paper session
        "paper": _aleph(work, "paper", "--limits", str(ROOT / "configs" / "risk.toml"), "--out", "demo"),
    }
    assert _leaks(work, *runs.values()) == []

    # ... and each run did what it should (so "no secret" is not "nothing ran").
    ok = runs["config"]
    assert ok.returncode == 0, ok.stderr
    assert '"checkpoints": "postgresql://pguser:***@127.0.0.1:1/x"' in ok.stdout
    assert '"nats_url": "nats://natsuser:***@127.0.0.1:1"' in ok.stdout
    assert '"llm_endpoint": "http://llmuser:***@127.0.0.1:1/v1"' in ok.stdout
    assert '"memory": "http://qdrantuser:***@127.0.0.1:1"' in ok.stdout
    assert "DEBUG" in ok.stderr and "alephtx: logging at DEBUG" in ok.stderr  # ALEPH_LOG__LEVEL took effect
    assert runs["config --config"].returncode == 0 and "alephtx: logging at DEBUG" in runs["config --config"].stderr
    assert runs["version"].returncode == 0 and "alephtx" in runs["version"].stdout
    assert runs["venues"].returncode == 0 and "hyperliquid" in runs["venues"].stdout
    assert runs["paper"].returncode == 0, runs["paper"].stderr
    assert (work / "demo" / "journal.db").stat().st_size > 0 and "DEBUG" in runs["paper"].stderr
    for name in ("bad port", "bad url", "bad option", "missing file", "secret in file", "bad tick", "mev watch"):
        assert runs[name].returncode == 2, (name, runs[name].stderr)
    assert "agent.mcp_port = '99999'" in runs["bad port"].stderr
    assert "agent.llm_endpoint = 'ftp://llmuser:***@127.0.0.1:1'" in runs["bad url"].stderr
    assert "No such option" in runs["bad option"].stderr
    assert "does not exist" in runs["missing file"].stderr
    assert "bus.nats_token in" in runs["secret in file"].stderr
    assert "tick_size='zero'" in runs["bad tick"].stderr
    assert f"ws://rpcuser:{MASK}@127.0.0.1:9" in runs["mev watch"].stderr


def test_log_level_info_by_default(desk: Path) -> None:
    env = _env(desk)
    del env["ALEPH_LOG__LEVEL"]
    out = _aleph(desk, "config", env=env)
    assert out.returncode == 0 and '"level": "INFO"' in out.stdout
    assert "DEBUG" not in out.stderr


def test_telegram_with_a_token_it_cannot_use_fails_without_showing_it(desk: Path) -> None:
    """No Telegram here: the Bot API is behind a proxy that refuses connections, so the start
    fails at once; the error and the DEBUG log (which has the Bot API URLs) never show the token."""
    config = _input(desk, "tg.toml", "[agent]\ntelegram_users = [4242]\n")
    proxy = "http://127.0.0.1:9"  # the discard port: nothing listens
    env = _env(desk, HTTPS_PROXY=proxy, https_proxy=proxy, ALL_PROXY=proxy, all_proxy=proxy, NO_PROXY="", no_proxy="")
    out = _aleph(desk, "telegram", "--config", config, env=env)
    assert out.returncode == 2, out.stderr
    assert "telegram: Bot API=" in out.stderr and "could not start" in out.stderr
    assert "getMe" in out.stderr  # the DEBUG log ran, with the bot's URLs in it
    assert _leaks(desk, out) == []


def test_a_crash_and_its_log_lines_show_no_secret(desk: Path) -> None:
    """An uncaught exception in a command (typer's pretty traceback) and logged exceptions, both
    with secrets in their text: masked."""
    script = f"""
import logging, os
from alephtx.cli.main import app

@app.command("crash")
def crash() -> None:
    log = logging.getLogger("alephtx.test")
    token = os.environ["ALEPH_MCP_TOKEN"]
    log.debug("connecting with %s to %s", token, os.environ["ALEPH_AGENT__CHECKPOINTS"])
    try:
        raise ValueError("venue said: bad key " + os.environ["ALEPH_OKX_API_SECRET"])
    except ValueError:
        log.exception("order failed")
    raise RuntimeError("boom {EXTRA["raised"]} " + token)

app()
"""
    env = _env(desk, ALEPH_X_TOKEN=EXTRA["raised"])  # any secret-named ALEPH_* variable is masked
    out = subprocess.run(
        [sys.executable, "-c", script, "crash"], cwd=desk, env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 1
    assert "RuntimeError" in out.stderr and f"boom {MASK}" in out.stderr
    assert f"connecting with {MASK} to postgresql://pguser:{MASK}@" in out.stderr
    assert f"ValueError: venue said: bad key {MASK}" in out.stderr
    assert [s for s in ALL_SECRETS if s in out.stdout + out.stderr] == []


async def test_a_token_telegram_rejects_is_not_in_the_error(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """python-telegram-bot's InvalidToken quotes the token; `aleph telegram` says it was rejected."""
    from alephtx.agent.telegram_bot import run_telegram
    from tests.support.fake_telegram import fake_telegram

    wrong = "111222333:AAWrongTokenWrongTokenWrongToken_42"
    cfg = AlephConfig.model_validate({"data_dir": str(tmp_path), "agent": {"telegram_users": [4242]}})
    with caplog.at_level(logging.DEBUG):
        async with fake_telegram("555666777:AARightTokenRightTokenRightToken_42") as tg:
            with pytest.raises(FieldError) as err:
                await run_telegram(cfg, wrong, "", "m", base_url=tg.base_url)
    assert "ALEPH_TELEGRAM_TOKEN" in str(err.value) and "rejected" in str(err.value)
    assert wrong not in str(err.value) and err.value.__cause__ is None
    logging.getLogger("t").info("token was %s", wrong)  # registered: masked in every log from now on
    record = caplog.records[-1]
    assert RedactingFilter([]).filter(record) and wrong not in record.getMessage()


MEV_WATCH = (
    "mev", "watch", "--rpc", f"ws://rpcuser:{EXTRA['rpc']}@127.0.0.1:9",
    "--factory", "0x5C69bEe701ef814a2B6a3EDD4B1652CB9cc5aA6f", "--seconds", "1",
)  # fmt: skip


# --- the pieces ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql://user:password@host/db", "postgresql://user:***@host/db"),
        ("postgresql://user:p@ss:w0rd@host:5432/db?sslmode=require", "postgresql://user:***@host:5432/db?sslmode=require"),
        ("nats://s3cr3ttoken@127.0.0.1:4222", "nats://***@127.0.0.1:4222"),
        ("http://127.0.0.1:6333", "http://127.0.0.1:6333"),
        ("https://host/v1?api_key=abcdef123&model=x", "https://host/v1?api_key=***&model=x"),
        ("https://api.telegram.org/bot123456789:AAabcdefghijklmnopqrstuvwxyz0123456/getMe",
         "https://api.telegram.org/bot***/getMe"),
        ("https://eth-mainnet.g.alchemy.com/v2/abcDEF123456ghiJKL789xyz", "https://eth-mainnet.g.alchemy.com/v2/***"),
        ("https://mainnet.infura.io/v3/0123456789abcdef0123456789abcdef/", "https://mainnet.infura.io/v3/***/"),
        ("http://127.0.0.1:8000/v1", "http://127.0.0.1:8000/v1"),
        ("https://h/0123456789abcdef0123456789abcdef?x=1", "https://h/***?x=1"),
        ("postgresql://u@h/aleph_checkpoints_2024", "postgresql://***@h/aleph_checkpoints_2024"),
        ("sqlite", "sqlite"),
        ("", ""),
    ],
)  # fmt: skip
def test_mask_url(url: str, masked: str) -> None:
    assert mask_url(url) == masked


def test_mask_urls_in_free_text() -> None:
    text = "cannot reach postgresql://a:one@h1/x or 'redis://b:two@h2:6379' (user x@y.z)"
    assert mask_urls(text) == "cannot reach postgresql://a:***@h1/x or 'redis://b:***@h2:6379' (user x@y.z)"


@pytest.mark.parametrize(
    "name",
    [
        "ALEPH_MEV_SEARCHER_KEY", "ALEPH_BINANCE_API_KEY", "ALEPH_OKX_API_SECRET", "ALEPH_OKX_PASSPHRASE",
        "ALEPH_HYPERLIQUID_PRIVATE_KEY", "ALEPH_TELEGRAM_TOKEN", "ALEPH_DB_PASSWORD", "ALEPH_WALLET_MNEMONIC",
        "ALEPH_WALLET_SEED", "nats_token", "apiKey", "ALEPH_GCP_CREDENTIALS", "client_secret",
    ],
)  # fmt: skip
def test_secret_names(name: str) -> None:
    assert is_secret_name(name)


def test_no_config_key_looks_secret() -> None:
    """Else a config key could never be set from the environment (and would be refused in files)."""

    def names(model: type, prefix: str = "") -> Iterator[str]:
        for key, field in model.model_fields.items():  # type: ignore[attr-defined]
            yield prefix + key
            if isinstance(field.annotation, type) and hasattr(field.annotation, "model_fields"):
                yield from names(field.annotation, f"{prefix}{key}__")

    for key in names(AlephConfig):
        assert not is_secret_name(key) and not is_secret_name(f"ALEPH_{key.upper()}"), key
    for other in ("ALEPH_DATA_DIR", "ALEPH_CONFIG", "ALEPH_NODE_MODULES", "monkey_business", "keyboard"):
        assert not is_secret_name(other)


def test_secret_values_come_from_secret_names_and_url_passwords() -> None:
    env = {
        "ALEPH_OKX_API_SECRET": "okxSecret-1",
        "ALEPH_NATS_TOKEN": "short",  # under 6 characters: a common word, never masked
        "ALEPH_AGENT__CHECKPOINTS": "postgresql://u:longpassword@h/db",
        "ALEPH_BUS__KIND": "nats",
        "OTHER_SECRET": "not-ours-123",
        "ALEPH_MEV_SEARCHER_KEY": "0xabcdef0123",
    }
    assert secret_values(env) >= {"okxSecret-1", "longpassword", "0xabcdef0123", "abcdef0123"}
    assert not {"short", "nats", "not-ours-123"} & secret_values(env)
    assert redact("key okxSecret-1 for postgresql://u:x@h/db", secret_values(env)) == (
        "key *** for postgresql://u:***@h/db"
    )


@pytest.fixture
def clean_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    filters = {h: list(h.filters) for h in handlers}
    hooks = sys.excepthook, threading.excepthook
    ours = logging.getLogger("alephtx").level
    yield
    logging.getLogger("alephtx").setLevel(ours)
    for h in handlers:
        h.filters[:] = filters[h]
    root.handlers[:] = handlers
    root.setLevel(level)
    sys.excepthook, threading.excepthook = hooks
    logging.captureWarnings(False)


def test_the_filter_masks_messages_args_and_exceptions() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(RedactingFilter({"topSecretValue", "0123456789abcdef"}))
    log = logging.getLogger("tests.security.filter")
    log.addHandler(handler)
    log.propagate = False
    log.setLevel(logging.DEBUG)
    try:
        log.warning("using %s at %s", "topSecretValue", "nats://u:pw@h:4222")
        try:
            raise ConnectionError("refused for key 0123456789abcdef")
        except ConnectionError:
            log.exception("connect failed, token=%r", "topSecretValue")
        log.info("stack", stack_info=True, extra={"x": 1})
        log.info({"dict": "topSecretValue"})
    finally:
        log.removeHandler(handler)
        log.propagate = True
        log.setLevel(logging.NOTSET)
    out = stream.getvalue()
    assert "WARNING using *** at nats://u:***@h:4222" in out
    assert "connect failed, token='***'" in out and "ConnectionError: refused for key ***" in out
    assert "Traceback" in out and "Stack (most recent call last)" in out and "{'dict': '***'}" in out
    assert "topSecretValue" not in out and "0123456789abcdef" not in out and ":pw@" not in out


def test_setup_logging_level_and_filter_on_every_root_handler(
    clean_logging: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ALEPH_SOME_API_KEY", "setupSecret-123")
    other = logging.StreamHandler(io.StringIO())
    logging.getLogger().addHandler(other)
    handler = setup_logging("DEBUG")
    setup_logging("DEBUG")  # again: still one handler of ours
    root = logging.getLogger()
    assert root.level == logging.DEBUG
    assert sum(type(h) is type(handler) for h in root.handlers) == 1
    assert all(any(isinstance(f, RedactingFilter) for f in h.filters) for h in root.handlers)
    logging.getLogger("alephtx.x").debug("key is setupSecret-123")
    err = capsys.readouterr().err
    assert "DEBUG" in err and "alephtx.x: key is ***" in err and "setupSecret-123" not in err
    assert "setupSecret-123" not in other.stream.getvalue()
    setup_logging("INFO")  # AlephTX at INFO, other libraries from WARNING
    logging.getLogger("alephtx.x").info("ours")
    logging.getLogger("httpx").info("theirs")
    logging.getLogger("httpx").warning("their warning")
    err = capsys.readouterr().err
    assert "ours" in err and "theirs" not in err and "their warning" in err
    setup_logging("WARNING")
    logging.getLogger("alephtx.x").info("quiet")
    assert "quiet" not in capsys.readouterr().err
    with pytest.raises(ValueError, match=r"log\.level"):
        setup_logging("LOUD")


def test_registered_values_are_masked_too() -> None:
    register("registeredValue-42", "abc")  # "abc" is too short to hide
    assert redact("x registeredValue-42 abc") == "x *** abc"


# --- the config loader --------------------------------------------------------------------------


def test_secret_variables_are_not_config_keys_and_never_echoed() -> None:
    env = {**SECRETS, "ALEPH_WALLET_SEED": "seedWords-abc", "ALEPH_BUS__KIND": "nats"}
    assert load_config(None, env).bus.kind == "nats"  # ALEPH_MEV_SEARCHER_KEY used to fail here
    with pytest.raises(ConfigError) as err:
        load_config(None, {**env, "ALEPH_BUS__KIND": "rabbit", "ALEPH_BUS__NATS_URL": "nats://u:natsPw-123@h x"})
    text = str(err.value)
    assert "bus.kind = 'rabbit'" in text and "bus.nats_url = 'nats://u:***@h x'" in text
    assert not [s for s in [*SECRETS.values(), "seedWords-abc", "natsPw-123"] if s in text]


def test_a_value_equal_to_a_secret_is_masked_in_errors_and_the_view() -> None:
    env = {"ALEPH_OKX_API_SECRET": "okxSecret-777", "ALEPH_REPLAY__TICK_SIZE": "okxSecret-777"}
    with pytest.raises(ConfigError) as err:
        load_config(None, env)
    assert "replay.tick_size = '***'" in str(err.value) and "okxSecret-777" not in str(err.value)
    cfg = load_config(
        None,
        {
            "ALEPH_AGENT__LLM_MODEL": "okxSecret-777",
            "ALEPH_AGENT__CHECKPOINTS": "postgres://a:b@h/d",
            "ALEPH_AGENT__LLM_ENDPOINT": "https://llm.example/v2/abcDEF123456ghiJKL789xyz",
        },
    )
    view = redacted_view(cfg, {"ALEPH_OKX_API_SECRET": "okxSecret-777"})
    assert view["agent"]["llm_model"] == MASK and view["agent"]["checkpoints"] == "postgres://a:***@h/d"
    assert view["agent"]["llm_endpoint"] == "https://llm.example/v2/***"  # a key in the path
    assert view["bus"]["nats_url"] == "nats://127.0.0.1:4222" and view["log"]["level"] == "INFO"


@pytest.mark.parametrize("key", ["api_key", "private_key", "searcher_key", "mnemonic", "seed", "password"])
def test_secret_keys_in_a_file_are_refused_by_name(tmp_path: Path, key: str) -> None:
    f = tmp_path / "a.toml"
    f.write_text(f'[agent]\n{key} = "fileValue-123"\n')
    with pytest.raises(ConfigError, match="secrets come from the environment only") as err:
        load_config(f, env={})
    assert "fileValue-123" not in str(err.value)


def test_other_readers_variables_are_not_config_keys() -> None:
    env = {"ALEPH_NODE_MODULES": "/x/node_modules", "ALEPH_TEST_PG_DSN": "postgresql://a:b@h/d"}
    assert load_config(None, env) == AlephConfig()
