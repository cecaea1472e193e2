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
