"""The companion the core-service tests share (import ``opened`` as a fixture): the
cheap open (``Companion.open``) on a fresh home, the scripted model, no embedders."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from os1.companion import Companion
from os1.config import load_settings


@pytest.fixture
async def opened(tmp_path: Path) -> AsyncIterator[Companion]:
    settings = load_settings(
        {"home": str(tmp_path / "home"), "llm_backend": "scripted", "embedders": "none"},
        environ={},
    )
    companion = await Companion.open(settings)
    yield companion
    await companion.aclose()
