from __future__ import annotations

from pathlib import Path

import pytest

from alephtx.core.config import ConfigError, load_config, load_secrets
from tests.conftest import ROOT


def test_shipped_file_equals_the_embedded_defaults() -> None:
    from alephtx.core.config.schema import AlephConfig

    assert load_config(ROOT / "configs" / "aleph.toml", env={}) == AlephConfig()


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    f = tmp_path / "a.toml"
    f.write_text('[bus]\nkind = "inproc"\n')
    cfg = load_config(f, env={"ALEPH_BUS__KIND": "nats", "ALEPH_BUS__CONNECT_TIMEOUT_S": "5"})
    assert cfg.bus.kind == "nats" and cfg.bus.connect_timeout_s == 5.0


@pytest.mark.parametrize(
    ("toml", "env", "expected"),
    [
        ('[bus]\nkind = "rabbit"\n', {}, "bus.kind = 'rabbit': Input should be 'inproc' or 'nats'"),
        ("[bus]\nconnect_timeout_s = -1\n", {}, "bus.connect_timeout_s = -1: Input should be greater than 0"),
        ("", {"ALEPH_REPLAY__TICK_SIZE": "abc"}, "replay.tick_size = 'abc'"),
        ("[bus]\nspeed = 3\n", {}, "bus.speed = 3: Extra inputs are not permitted"),
        ("[bus\n", {}, "not valid TOML"),
    ],
)
def test_wrong_values_name_key_value_and_rule(tmp_path: Path, toml: str, env: dict, expected: str) -> None:
    f = tmp_path / "a.toml"
    f.write_text(toml)
    with pytest.raises(ConfigError) as err:
        load_config(f, env=env)
    assert expected in str(err.value)


def test_secrets_in_a_file_are_refused(tmp_path: Path) -> None:
    f = tmp_path / "a.toml"
    f.write_text('[bus]\nnats_token = "hunter2"\n')
    with pytest.raises(ConfigError, match="secrets come from the environment only") as err:
        load_config(f, env={})
    assert "hunter2" not in str(err.value)


def test_secrets_from_the_environment_are_never_shown() -> None:
    s = load_secrets({"ALEPH_NATS_TOKEN": "hunter2"})
    assert s.nats_token is not None and s.nats_token.get_secret_value() == "hunter2"
    assert "hunter2" not in repr(s) and "hunter2" not in str(s.model_dump())


def test_secret_environment_variables_are_not_config_keys(tmp_path: Path) -> None:
    # Venue keys and tokens live in ALEPH_* variables read by their own readers; the config
    # loader must neither take them for keys (and fail) nor echo their values in an error.
    env = {"ALEPH_BINANCE_API_SECRET": "hunter2", "ALEPH_OPERATOR_TOKEN": "hunter3", "ALEPH_BUS__KIND": "nats"}
    assert load_config(None, env).bus.kind == "nats"
    with pytest.raises(ConfigError) as err:
        load_config(None, {**env, "ALEPH_BUS__KIND": "rabbit"})
    assert "hunter" not in str(err.value)
    assert load_secrets(env).operator_token is not None


def test_missing_named_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml", env={})


# --- where the config and the data live (core/config/resources.py, docs/config.md) ---------------


def test_the_config_file_is_named_else_the_users_else_the_packaged_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alephtx.core.config import config_path
    from alephtx.core.config.resources import config_file, packaged_config

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)  # a configs/aleph.toml in the current folder is never read
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "aleph.toml").write_text('[log]\nlevel = "ERROR"\n')
    assert config_path(None, env={}) == packaged_config("aleph.toml")
    assert load_config(None, env={}).log.level == "INFO"
    mine = tmp_path / "xdg" / "alephtx"
    mine.mkdir(parents=True)
    (mine / "aleph.toml").write_text('[log]\nlevel = "DEBUG"\n')
    (mine / "risk.toml").write_text("")
    assert load_config(None, env={}).log.level == "DEBUG"
    assert config_file("risk.toml", env={}) == mine / "risk.toml"
    assert config_file("strategies.toml", env={}) == packaged_config("strategies.toml")
    other = tmp_path / "other"
    other.mkdir()
    (other / "aleph.toml").write_text('[log]\nlevel = "WARNING"\n')
    assert load_config(None, env={"ALEPH_CONFIG_DIR": str(other)}).log.level == "WARNING"
    named = tmp_path / "named.toml"
    named.write_text('[log]\nlevel = "ERROR"\n')
    assert load_config(None, env={"ALEPH_CONFIG": str(named), "ALEPH_CONFIG_DIR": str(other)}).log.level == "ERROR"
    assert load_config(named, env={"ALEPH_CONFIG_DIR": str(other)}).log.level == "ERROR"


def test_the_data_folder_is_never_the_current_one_unless_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    monkeypatch.chdir(tmp_path)
    assert load_config(None, env={}).data_dir == tmp_path / "share" / "alephtx"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert load_config(None, env={}).data_dir == tmp_path / "home" / ".local" / "share" / "alephtx"
    # A relative data_dir in a file is taken from the file's folder; the environment wins over it.
    f = tmp_path / "etc" / "aleph.toml"
    f.parent.mkdir()
    f.write_text('data_dir = "state"\n')
    assert load_config(f, env={}).data_dir == tmp_path / "etc" / "state"
    assert load_config(f, env={"ALEPH_DATA_DIR": "/srv/aleph"}).data_dir == Path("/srv/aleph")
    assert load_config(f, env={"ALEPH_DATA_DIR": "here"}).data_dir == tmp_path / "here"  # asked for: the cwd's
    with pytest.raises(ConfigError, match="data_dir = '': Value error, must name a folder"):
        load_config(f, env={"ALEPH_DATA_DIR": ""})


def test_the_packaged_data_is_found_through_the_package() -> None:
    from alephtx.agent.prompts import PROMPTS, load
    from alephtx.core.config.resources import CONFIG_FILES, packaged_config, proto_file, sample_capture

    assert all(packaged_config(name).is_file() for name in CONFIG_FILES)
    assert sample_capture().stat().st_size > 500_000 and "service AlephCore" in proto_file().read_text()
    assert load("system")[0] and (PROMPTS / "README.md").is_file()
