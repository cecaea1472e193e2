"""The default configs, shipped as package data (``alephtx.configs``): ``aleph.toml``, ``risk.toml``
and ``strategies.toml``. Read them through ``alephtx.core.config.resources``; ``aleph init`` writes
editable copies into the user's config folder (docs/config.md)."""
