"""Load the config: defaults < configs/aleph.toml < ALEPH_SECTION__KEY environment variables."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from alephtx.core.config.schema import SECRET_ENV, AlephConfig, Secrets
from alephtx.core.errors import AlephError

ENV_PREFIX = "ALEPH_"
SECRET_WORDS = ("secret", "token", "password", "api_key", "private_key", "passphrase")


class ConfigError(AlephError):
    """A wrong config value: the message names the key, the value and what is allowed."""


def _env_overrides(env: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in env.items():
        if not name.startswith(ENV_PREFIX) or name in SECRET_ENV or name == "ALEPH_CONFIG":
            continue
        if any(word in name.lower() for word in SECRET_WORDS):
            continue  # a secret for its own reader (a venue key, a token): never a config key, never echoed
        path = name[len(ENV_PREFIX) :].lower().split("__")
        node = out
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return out


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for k, v in over.items():
        merged[k] = _merge(merged[k], v) if isinstance(v, Mapping) and isinstance(merged.get(k), dict) else v
    return merged


def _refuse_secrets(data: Mapping[str, Any], where: str, prefix: str = "") -> None:
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping):
            _refuse_secrets(value, where, dotted + ".")
        elif any(w in key.lower() for w in SECRET_WORDS):
            raise ConfigError(f"{dotted} in {where}: secrets come from the environment only (see docs/config.md)")


def _describe(exc: ValidationError, source: str) -> str:
    lines = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        value = err.get("input")
        shown = "<missing>" if err["type"] == "missing" else repr(value)
        lines.append(f"{key} = {shown}: {err['msg']}")
    return f"config error ({source}):\n  " + "\n  ".join(lines)


def load_config(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> AlephConfig:
    """Read the config file (``path``, else $ALEPH_CONFIG, else configs/aleph.toml when present)."""
    env = os.environ if env is None else env
    chosen = Path(path or env.get("ALEPH_CONFIG") or "configs/aleph.toml")
    data: dict[str, Any] = {}
    if chosen.exists():
        try:
            data = tomllib.loads(chosen.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config error ({chosen}): not valid TOML: {exc}") from None
        _refuse_secrets(data, str(chosen))
    elif path is not None or "ALEPH_CONFIG" in env:
        raise ConfigError(f"config error: file {chosen} does not exist")
    data = _merge(data, _env_overrides(env))
    try:
        return AlephConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, f"{chosen} and ALEPH_* environment")) from None


def load_secrets(env: Mapping[str, str] | None = None) -> Secrets:
    env = os.environ if env is None else env
    return Secrets.model_validate({field: env[name] for name, field in SECRET_ENV.items() if env.get(name)})
