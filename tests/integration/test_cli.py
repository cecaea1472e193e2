"""The `aleph` command as a person runs it: a real subprocess."""

from __future__ import annotations

import json
import os
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


def _user_env(tmp: Path) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("ALEPH_")}
    return env | {"XDG_CONFIG_HOME": str(tmp / "config"), "XDG_DATA_HOME": str(tmp / "share")}


def test_init_writes_the_defaults_once_and_aleph_reads_them(tmp_path: Path) -> None:
    from alephtx.core.config.resources import CONFIG_FILES, packaged_config

    env = _user_env(tmp_path)
    mine = tmp_path / "config" / "alephtx"
    out = run("init", env=env)
    assert out.returncode == 0, out.stderr
    for name in CONFIG_FILES:
        assert (mine / name).read_text() == packaged_config(name).read_text()
        assert f"wrote {mine / name}" in out.stdout
    assert "aleph reads them from now on" in out.stdout
    # An edit there is what aleph uses; a second init refuses to overwrite it.
    (mine / "aleph.toml").write_text('[replay]\nsymbol = "ETHUSDT"\n')
    assert json.loads(run("config", env=env).stdout)["replay"]["symbol"] == "ETHUSDT"
    out = run("init", env=env)
    assert out.returncode == 2 and "already there; nothing written" in out.stderr and "--force" in out.stderr
    assert "ETHUSDT" in (mine / "aleph.toml").read_text()
    assert run("init", "--force", env=env).returncode == 0
    assert (mine / "aleph.toml").read_text() == packaged_config("aleph.toml").read_text()
    # Elsewhere: it says how to point aleph at them.
    out = run("init", str(tmp_path / "elsewhere"), env=env)
    assert out.returncode == 0 and f"export ALEPH_CONFIG_DIR={tmp_path / 'elsewhere'}" in out.stdout
    assert sorted(p.name for p in (tmp_path / "elsewhere").iterdir()) == sorted(CONFIG_FILES)


def test_the_data_folder_option_variable_and_default(tmp_path: Path) -> None:
    env = _user_env(tmp_path)
    show = lambda *a, env=env: json.loads(run(*a, "config", env=env).stdout)["data_dir"]  # noqa: E731
    assert show() == str(tmp_path / "share" / "alephtx")
    assert show(env=env | {"ALEPH_DATA_DIR": str(tmp_path / "v")}) == str(tmp_path / "v")
    assert show("--data-dir", str(tmp_path / "o"), env=env | {"ALEPH_DATA_DIR": str(tmp_path / "v")}) == str(
        tmp_path / "o"
    )


def test_python_dash_m_and_the_script_are_one_command() -> None:
    script = Path(sys.executable).parent / "aleph"
    a = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    b = run("--help")
    assert a.returncode == b.returncode == 0 and a.stdout == b.stdout


def test_operator_halt_risk_state_and_resume_on_the_data_folder(tmp_path: Path) -> None:
    """`aleph halt REASON` writes the data folder's trading state, `aleph risk-state` shows it,
    `aleph resume --yes` lifts it; each run from an empty folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALEPH_")}
    env["ALEPH_DATA_DIR"] = str(tmp_path / "data")
    cwd = tmp_path / "empty"
    cwd.mkdir()

    def aleph(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*ALEPH, *args], cwd=cwd, capture_output=True, text=True, timeout=120, env=env)

    assert aleph("halt", "   ").returncode == 2
    first, second = aleph("halt", "venue down"), aleph("halt", "news at 14:00")
    assert first.returncode == 0 and second.returncode == 0, second.stderr
    state = json.loads(aleph("risk-state").stdout)
    assert state["state"] == "HALTED" and [h["reason"] for h in state["halts"]] == ["venue down", "news at 14:00"]
    assert {h["by"] for h in state["halts"]} == {"operator"}
    assert aleph("resume", "--yes").returncode == 0
    assert json.loads(aleph("risk-state").stdout)["state"] == "ACTIVE"
    assert "nothing to resume" in aleph("resume").stdout
    assert list(cwd.iterdir()) == [] and (tmp_path / "data" / "risk-state.db").exists()
