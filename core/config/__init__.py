"""Configuration: aleph.toml (``--config``, $ALEPH_CONFIG, the user's config folder, else the packaged
default), overridden by ALEPH_* environment variables. Where files live: ``resources``.

Secrets come only from the environment (see ``Secrets``); a secret found in a file is an error.
Errors and ``redacted_view`` (what `aleph config` prints) never show a secret (``core/redact.py``).
"""

from alephtx.core.config.loader import ConfigError, config_path, load_config, load_secrets, redacted_view
from alephtx.core.config.schema import AlephConfig, Secrets

__all__ = ["AlephConfig", "ConfigError", "Secrets", "config_path", "load_config", "load_secrets", "redacted_view"]
