"""Where AlephTX finds its files: the defaults shipped inside the package, the user's configs, the
data folder. The one place that knows; nothing else looks next to the checkout or in the current
folder.

- Packaged (read-only, ``importlib.resources``): the default configs (``alephtx.configs``), the
  prompts (``alephtx.prompts``), the sample capture (``alephtx.core.replay``/sample) and
  ``aleph.proto`` (``alephtx.proto``).
- The user's config folder: ``$ALEPH_CONFIG_DIR``, else ``$XDG_CONFIG_HOME/alephtx``, else
  ``~/.config/alephtx``. ``aleph init`` writes editable copies of the defaults there; a file found
  there is used instead of the packaged one (``config_file``).
- The data folder (writable state: journals, risk state, agent checkpoints and notes, reports):
  ``$XDG_DATA_HOME/alephtx``, else ``~/.local/share/alephtx`` unless ``--data-dir``,
  ``ALEPH_DATA_DIR`` or ``data_dir`` in the config file say otherwise (``core/config``).

See docs/config.md.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from importlib.resources import files
from pathlib import Path

__all__ = [
    "CONFIG_FILES",
    "SAMPLE_NAME",
    "config_file",
    "default_data_dir",
    "package_path",
    "packaged_config",
    "prompts_dir",
    "proto_file",
    "sample_capture",
    "user_config_dir",
]

APP = "alephtx"
# The default configs, as shipped in alephtx.configs and written by `aleph init`.
CONFIG_FILES = ("aleph.toml", "risk.toml", "strategies.toml", "node.toml")
SAMPLE_NAME = "btcusdt_20240808_head20k.gz"


def package_path(package: str, *parts: str) -> Path:
    """A file or folder shipped inside ``package`` (installed as files, as pip installs wheels)."""
    where = files(package).joinpath(*parts)
    if not isinstance(where, Path):  # a zip import: AlephTX's data must be real files
        raise RuntimeError(f"{package}: package data is not on the file system ({where}); install AlephTX unzipped")
    return where


def packaged_config(name: str) -> Path:
    """A default config as shipped with the package (``aleph.toml``, ``risk.toml``, ``strategies.toml``)."""
    return package_path("alephtx.configs", name)


def user_config_dir(env: Mapping[str, str] | None = None) -> Path:
    """``$ALEPH_CONFIG_DIR`` (from ``env``, the ALEPH_* variables), else ``$XDG_CONFIG_HOME/alephtx``,
    else ``~/.config/alephtx`` (the XDG variables and HOME always from the process)."""
    env = os.environ if env is None else env
    if env.get("ALEPH_CONFIG_DIR"):
        return Path(env["ALEPH_CONFIG_DIR"]).expanduser().absolute()
    return _xdg("XDG_CONFIG_HOME", ".config")


def default_data_dir() -> Path:
    """The per-user data folder: ``$XDG_DATA_HOME/alephtx``, else ``~/.local/share/alephtx``."""
    return _xdg("XDG_DATA_HOME", ".local/share")


def _xdg(var: str, fallback: str) -> Path:
    base = os.environ.get(var, "")
    # The XDG spec: a relative value is invalid and is ignored.
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / fallback
    return root / APP


def config_file(name: str, env: Mapping[str, str] | None = None) -> Path:
    """The user's copy of a default config (in ``user_config_dir``) when there is one, else the
    packaged default."""
    mine = user_config_dir(env) / name
    return mine if mine.is_file() else packaged_config(name)


def prompts_dir() -> Path:
    """The versioned prompt texts (``<name>.v<N>.md``)."""
    return package_path("alephtx.prompts")


def sample_capture() -> Path:
    """The bundled 78-second Binance USD-M BTCUSDT capture (core/replay/sample/README.md)."""
    return package_path("alephtx.core.replay", "sample", SAMPLE_NAME)


def proto_file() -> Path:
    """``aleph.proto``, the AlephCore gRPC API, for clients that generate their own stubs."""
    return package_path("alephtx.proto", "aleph.proto")
