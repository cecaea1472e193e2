"""Configuration: configs/aleph.toml, overridden by ALEPH_* environment variables.

Secrets come only from the environment (see ``Secrets``); a secret found in a file is an error.
Errors and ``redacted_view`` (what `aleph config` prints) never show a secret (``core/redact.py``).
"""

from alephtx.core.config.loader import ConfigError, load_config, load_secrets, redacted_view
from alephtx.core.config.schema import AlephConfig, Secrets

__all__ = ["AlephConfig", "ConfigError", "Secrets", "load_config", "load_secrets", "redacted_view"]
