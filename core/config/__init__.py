"""Configuration: configs/aleph.toml, overridden by ALEPH_* environment variables.

Secrets come only from the environment (see ``Secrets``); a secret found in a file is an error.
"""

from alephtx.core.config.loader import ConfigError, load_config, load_secrets
from alephtx.core.config.schema import AlephConfig, Secrets

__all__ = ["AlephConfig", "ConfigError", "Secrets", "load_config", "load_secrets"]
