"""Where the bundled sample capture lives (package data, so it ships with the wheel)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

SAMPLE_NAME = "btcusdt_20240808_head20k.gz"


def sample_capture() -> Path:
    return Path(str(files("alephtx.core.replay") / "sample" / SAMPLE_NAME))
