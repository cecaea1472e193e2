"""The `aleph` command as a person runs it: a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ALEPH = [sys.executable, "-m", "alephtx.cli"]


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ALEPH, *args], capture_output=True, text=True, timeout=120, env=env)


def test_help_lists_every_command_with_a_sentence() -> None:
    out = run("--help")
    assert out.returncode == 0
    for cmd in ("version", "config", "replay"):
        assert cmd in out.stdout


def test_version() -> None:
    out = run("version")
    assert out.returncode == 0 and "alephtx" in out.stdout and "compiled" in out.stdout


def test_replay_of_the_bundled_sample_as_json() -> None:
    out = run("replay", "--json")
    assert out.returncode == 0, out.stderr
    s = json.loads(out.stdout)
    assert s["messages"] == {"snapshot": 1, "depth": 1598, "trade": 3024, "bookTicker": 15377}
    assert s["best_bid"] == ["61803.80", "1.910"] and s["best_ask"] == ["61803.90", "3.650"]
    assert s["matches_last_book_ticker"] is True and s["gaps"] == 0


def test_replay_table_output() -> None:
    out = run("replay")
    assert out.returncode == 0
    assert "final best bid" in out.stdout and "61803.80" in out.stdout


def test_replay_missing_file_and_bad_tick(tmp_path: Path) -> None:
    out = run("replay", str(tmp_path / "missing.gz"))
    assert out.returncode == 2 and "does not exist" in out.stderr
    out = run("replay", "--tick-size", "zero")
    assert out.returncode == 2 and "tick_size='zero'" in out.stderr


def test_wrong_config_value_fails_at_start(tmp_path: Path) -> None:
    import os

    out = run("config", env={**os.environ, "ALEPH_BUS__KIND": "rabbit"})
    assert out.returncode == 2 and "bus.kind = 'rabbit'" in out.stderr
