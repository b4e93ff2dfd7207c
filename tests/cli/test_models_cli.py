"""``os1 models status|build`` through the real CLI, with the cache dir in a temp dir.

The real 1.1 GB model is never assembled here: the "already built" case uses a sparse file
of the right size with a stamp, which is exactly what ``status`` trusts without hashing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from os1.cli.app import app
from os1.models.assets import builtin_llm_asset

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str | None]:
    return {
        "OS1_HOME": str(tmp_path / "home"),
        "OS1_CACHE_DIR": str(tmp_path / "cache"),
        "OS1_LLM_MODEL_PATH": None,
        "OS1_EMBEDDERS": "none",  # the embedders' own build is tested in models/test_embed.py
    }


def fake_built_model(cache_dir: Path) -> Path:
    """A sparse file with the built-in model's size, magic and a matching stamp."""
    asset = builtin_llm_asset()
    path = cache_dir / "models" / asset.filename
    path.parent.mkdir(parents=True)
    with path.open("wb") as fh:
        fh.write(asset.magic)
        fh.truncate(asset.size)
    stat = path.stat()
    stamp = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": asset.sha256}
    path.with_name(path.name + ".verified.json").write_text(json.dumps(stamp))
    return path


def test_status_of_a_missing_model_says_to_build_it(env: dict[str, str | None]) -> None:
    result = runner.invoke(app, ["models", "status"], env=env)

    assert result.exit_code == 1
    assert "missing" in result.stdout
    assert "Run `os1 models build`" in result.stdout


def test_status_json_of_a_missing_model(env: dict[str, str | None], tmp_path: Path) -> None:
    result = runner.invoke(app, ["models", "status", "--json"], env=env)

    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    [row] = report["models"]
    assert row["state"] == "missing"
    assert row["in_use"] is True
    assert row["path"].startswith(str(tmp_path / "cache" / "models"))
    assert "os1 models build" in row["fix"]


def test_status_and_build_of_a_built_model(env: dict[str, str | None], tmp_path: Path) -> None:
    path = fake_built_model(tmp_path / "cache")

    status = runner.invoke(app, ["models", "status", "--json"], env=env)
    build = runner.invoke(app, ["models", "build"], env=env)

    assert status.exit_code == 0
    assert json.loads(status.stdout)["models"][0]["state"] == "valid"
    assert build.exit_code == 0
    assert "already built" in build.stdout
    assert str(path) in build.stdout


def test_status_with_llm_model_path_checks_that_file(
    env: dict[str, str | None], tmp_path: Path
) -> None:
    model = tmp_path / "mine.gguf"
    model.write_bytes(b"GGUF" + b"\x00" * 64)

    good = runner.invoke(
        app, ["models", "status", "--json"], env={**env, "OS1_LLM_MODEL_PATH": str(model)}
    )
    bad = runner.invoke(
        app, ["models", "status"], env={**env, "OS1_LLM_MODEL_PATH": str(tmp_path / "gone.gguf")}
    )

    assert good.exit_code == 0
    rows = {row["name"]: row for row in json.loads(good.stdout)["models"]}
    assert rows["llm_model_path"]["state"] == "valid"
    assert rows["llm_model_path"]["in_use"] is True
    assert rows[builtin_llm_asset().name]["in_use"] is False
    assert bad.exit_code == 1
    assert "llm_model_path" in bad.stdout


def test_build_into_an_unwritable_cache_is_a_clean_error(
    env: dict[str, str | None], tmp_path: Path
) -> None:
    blocker = tmp_path / "cache-is-a-file"
    blocker.write_text("")

    result = runner.invoke(app, ["models", "build"], env={**env, "OS1_CACHE_DIR": str(blocker)})

    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert "Cannot write the model cache" in result.stderr
    assert "OS1_CACHE_DIR" in result.stderr
    assert "Traceback" not in result.output


def test_invalid_config_is_a_clean_error(env: dict[str, str | None], tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text("n_ctx = 'lots'\n")

    result = runner.invoke(app, ["models", "status"], env=env)

    assert result.exit_code == 1
    assert "n_ctx" in result.stderr
    assert "config.toml" in result.stderr


def test_help_shows_examples() -> None:
    result = runner.invoke(app, ["models", "build", "--help"])

    assert result.exit_code == 0
    assert "os1 models build --verify" in result.stdout
