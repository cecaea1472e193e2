"""Load the config: defaults < the config file < ALEPH_SECTION__KEY environment variables.

The config file is ``--config``, else ``$ALEPH_CONFIG``, else ``aleph.toml`` in the user's config
folder when ``aleph init`` (or the user) put one there, else the packaged defaults; never a file of
the current folder (``core/config/resources.py``, docs/config.md).

Secret-looking names (``core/redact.py``: KEY, TOKEN, SECRET, PASSWORD, ...) are never config
keys, and no error or view of the config shows a secret: a secret-named key's value is ``***``,
URLs have their userinfo (and key-like path segments) masked, and any value equal to a secret in
the environment is masked.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from alephtx.core.config.resources import config_file
from alephtx.core.config.schema import SECRET_ENV, AlephConfig, Secrets
from alephtx.core.errors import AlephError
from alephtx.core.redact import MASK, is_secret_name, mask_url, redact, secret_values

M = TypeVar("M", bound=BaseModel)

ENV_PREFIX = "ALEPH_"
# ALEPH_* variables with readers of their own: never config keys.
OTHER_READERS = ("ALEPH_CONFIG", "ALEPH_CONFIG_DIR", "ALEPH_NODE_MODULES", "ALEPH_CACHE_DIR")
OTHER_READER_PREFIXES = ("ALEPH_TEST_",)


class ConfigError(AlephError):
    """A wrong config value: the message names the key, the value and what is allowed."""


def _env_overrides(env: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in env.items():
        if not name.startswith(ENV_PREFIX) or name in SECRET_ENV or name in OTHER_READERS:
            continue
        if name.startswith(OTHER_READER_PREFIXES) or is_secret_name(name):
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
        elif is_secret_name(str(key)):
            raise ConfigError(f"{dotted} in {where}: secrets come from the environment only (see docs/config.md)")


def _describe(exc: ValidationError, source: str, env: Mapping[str, str]) -> str:
    return f"config error ({source}):\n  " + "\n  ".join(_error_lines(exc, env))


def _error_lines(exc: ValidationError, env: Mapping[str, str]) -> list[str]:
    """One line per wrong value: the key, the value (secrets and URL passwords masked), the rule."""
    hidden = secret_values(env)
    lines = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        if err["type"] == "missing":
            shown = "<missing>"
        elif any(is_secret_name(str(p)) for p in err["loc"]):
            shown = repr(MASK)
        else:
            shown = repr(_masked(err.get("input")))
        lines.append(redact(f"{key} = {shown}: {err['msg']}", hidden))
    return lines


def load_toml_model(path: str | Path, model: type[M], what: str) -> M:
    """A TOML file validated by ``model``; every failure is a ConfigError that starts with
    ``what`` and the file, and names each wrong key, its value and the rule."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{what}: file {p} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{what} ({p}): not valid TOML: {exc}") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{what} ({p}):\n  " + "\n  ".join(_error_lines(exc, os.environ))) from None


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask_url(value) if "://" in value else value
    if isinstance(value, list | tuple):
        return [_masked(v) for v in value]
    if isinstance(value, Mapping):
        return {k: MASK if is_secret_name(str(k)) else _masked(v) for k, v in value.items()}
    return value


def redacted_view(cfg: AlephConfig, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The config as `aleph config` prints it (JSON types): URL userinfo masked, a secret-named
    key's value ``***``, any value that equals a secret from the environment masked."""
    hidden = secret_values(os.environ if env is None else env)

    def clean(key: str, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: clean(k, v) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(key, v) for v in value]
        if is_secret_name(key) and value not in (None, ""):
            return MASK
        return redact(_masked(value), hidden) if isinstance(value, str) else value

    out: dict[str, Any] = clean("", cfg.model_dump(mode="json"))
    return out


def config_path(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Path:
    """The config file in use: ``path``, else $ALEPH_CONFIG, else the user's ``aleph.toml`` (in
    ``user_config_dir``) when there is one, else the packaged default."""
    env = os.environ if env is None else env
    named = path or env.get("ALEPH_CONFIG")
    return Path(named).expanduser() if named else config_file("aleph.toml", env)


def load_config(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> AlephConfig:
    """Read the config file (``config_path``) under the ALEPH_* environment overrides. A relative
    ``data_dir`` in the file is taken from the file's folder; without one, the per-user default
    (``resources.default_data_dir``)."""
    env = os.environ if env is None else env
    chosen = config_path(path, env)
    if not chosen.is_file():
        raise ConfigError(f"config error: file {chosen} does not exist")
    try:
        data: dict[str, Any] = tomllib.loads(chosen.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config error ({chosen}): not valid TOML: {exc}") from None
    _refuse_secrets(data, str(chosen))
    if isinstance(data.get("data_dir"), str) and data["data_dir"].strip():
        data["data_dir"] = str(chosen.absolute().parent / Path(data["data_dir"]).expanduser())
    data = _merge(data, _env_overrides(env))
    try:
        return AlephConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, f"{chosen} and ALEPH_* environment", env)) from None


def load_secrets(env: Mapping[str, str] | None = None) -> Secrets:
    env = os.environ if env is None else env
    return Secrets.model_validate({field: env[name] for name, field in SECRET_ENV.items() if env.get(name)})
