"""The real speech models, loaded once for all the voice tests."""

from __future__ import annotations

import pytest

from os1.config import Settings
from os1.models.assets import models_dir
from os1.models.speech_assets import piper_voice_files, whisper_dir
from os1.models.stt import WhisperSTT
from os1.models.tts import PiperTTS


@pytest.fixture(scope="session")
def tts() -> PiperTTS:
    return PiperTTS(*piper_voice_files())


@pytest.fixture(scope="session")
def stt(real_settings: Settings) -> WhisperSTT:
    return WhisperSTT(whisper_dir(models_dir(real_settings)))
