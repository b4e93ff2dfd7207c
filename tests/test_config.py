"""Settings layering: defaults < config.toml < OS1_* environment < flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from os1.config import load_settings
from os1.errors import ConfigError


def test_each_layer_overrides_the_one_below(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text('temperature = 0.3\nn_ctx = 2048\nllm_model = "toml"\n')
    env = {"OS1_HOME": str(home), "OS1_N_CTX": "3072", "OS1_LLM_MODEL": "env"}
    settings = load_settings({"llm_model": "flag", "temperature": None}, environ=env)
    assert settings.home == home
    assert settings.temperature == 0.3  # from the file (a None flag is no flag)
    assert settings.n_ctx == 3072  # env beats the file
    assert settings.llm_model == "flag"  # flags beat everything
    assert settings.db_path == home / "os1.db"


def test_defaults_need_nothing(tmp_path: Path) -> None:
    settings = load_settings({"home": tmp_path}, environ={})
    assert settings.llm_backend == "local"
    assert settings.n_ctx == 4096 and settings.threads >= 1


@pytest.mark.parametrize(
    ("env", "needle"),
    [({"OS1_N_CTX": "lots"}, "n_ctx"), ({"OS1_LLM_BACKEND": "no such thing!"}, "llm_backend")],
)
def test_a_bad_value_names_the_key_and_where_to_fix_it(
    tmp_path: Path, env: dict[str, str], needle: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"home": tmp_path}, environ=env)
    assert needle in caught.value.message
    assert "config.toml" in caught.value.hint


def test_broken_or_unknown_config_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("this is = = not toml")
    with pytest.raises(ConfigError) as caught:
        load_settings({"home": tmp_path}, environ={})
    assert caught.value.code == "config_unreadable"
    (tmp_path / "config.toml").write_text("colour = 'blue'\n")
    with pytest.raises(ConfigError) as caught:
        load_settings({"home": tmp_path}, environ={})
    assert "colour" in caught.value.message
