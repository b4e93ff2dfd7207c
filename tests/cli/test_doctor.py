"""``os1 doctor``: each failing part is named, with how to fix it."""

from __future__ import annotations

from pathlib import Path

import platformdirs
from typer.testing import CliRunner

from os1.cli.app import app
from os1.models.assets import asset_status, builtin_llm_asset
from os1.testing_openai import ScriptedOpenAIServer

runner = CliRunner()


def doctor(env: dict[str, str]) -> tuple[int, str]:
    result = runner.invoke(app, ["doctor"], env={"COLUMNS": "250", **env})
    return result.exit_code, result.output


def test_a_healthy_setup_passes(tmp_path: Path) -> None:
    cache = Path(platformdirs.user_cache_dir("os1", appauthor=False))
    assert asset_status(builtin_llm_asset(), cache / "models").state == "valid", "run make setup"
    code, out = doctor({"OS1_HOME": str(tmp_path / "home"), "OS1_CACHE_DIR": str(cache)})
    assert code == 0, out
    assert "All good" in out and "verified" in out


def test_a_missing_model_says_to_build_it(tmp_path: Path) -> None:
    code, out = doctor({"OS1_HOME": str(tmp_path / "home"), "OS1_CACHE_DIR": str(tmp_path / "c")})
    assert code == 1
    assert "missing" in out and "os1 models build" in out


def test_an_unusable_data_folder_and_a_damaged_database_are_named(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    code, out = doctor({"OS1_HOME": str(blocker / "home"), "OS1_LLM_BACKEND": "scripted"})
    assert code == 1 and "Set OS1_HOME" in out
    home = tmp_path / "home"
    home.mkdir()
    (home / "os1.db").write_bytes(b"garbage" * 1000)
    code, out = doctor({"OS1_HOME": str(home), "OS1_LLM_BACKEND": "scripted"})
    assert code == 1 and "damaged" in out


def test_the_model_server_is_checked(tmp_path: Path) -> None:
    env = {"OS1_HOME": str(tmp_path), "OS1_LLM_BACKEND": "openai"}
    code, out = doctor({**env, "OS1_LLM_URL": "http://127.0.0.1:9/v1"})
    assert code == 1 and "Cannot reach the model server" in out
    with ScriptedOpenAIServer(models=("qwen2.5:7b",)) as server:
        code, out = doctor({**env, "OS1_LLM_URL": server.base_url})
    assert code == 0 and "qwen2.5:7b" in out


def test_a_config_file_others_can_read_is_named(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    config = home / "config.toml"
    config.write_text('llm_api_key = "sk-live-x"\n')
    config.chmod(0o644)
    code, out = doctor({"OS1_HOME": str(home), "OS1_LLM_BACKEND": "scripted"})
    assert code == 0  # a warning, not a failure
    assert "other users of this machine may read" in out and f"chmod 600 {config}" in out
    config.chmod(0o600)
    _, out = doctor({"OS1_HOME": str(home), "OS1_LLM_BACKEND": "scripted"})
    assert "yours alone" in out
