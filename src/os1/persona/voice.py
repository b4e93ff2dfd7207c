"""The companion's voice, part of its persona for each person: which voice, how fast,
whether the person's recordings are kept (off unless they turn it on), and whether
hands-free listening waits for its name ("hey <name>", ``voice.wake``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from os1.errors import InputError
from os1.store import UserStore

VOICE_KEY = "companion.voice"
VOICES = ("joe",)  # the voices installed (Piper's "joe", from PyPI)
SLOWEST, FASTEST = 0.5, 2.0


@dataclass(frozen=True)
class VoiceSettings:
    voice: str = "joe"
    speed: float = 1.0  # 1.0 is the voice's natural pace
    keep_recordings: bool = False
    wake_phrase: bool = False  # hands-free: answer only speech that starts with its name

    def changed(self, **changes: Any) -> VoiceSettings:
        """A copy with ``changes`` (None values ignored), checked.

        Raises:
            InputError: an unknown voice, or a speed out of range.
        """
        settled = replace(self, **{k: v for k, v in changes.items() if v is not None})
        if settled.voice not in VOICES:
            raise InputError(
                "unknown_voice",
                f"There is no voice called {settled.voice!r}.",
                f"Installed voices: {', '.join(VOICES)}.",
            )
        if not SLOWEST <= settled.speed <= FASTEST:
            raise InputError(
                "bad_speed",
                f"A speed of {settled.speed} is out of range.",
                f"Choose between {SLOWEST} (slow) and {FASTEST} (fast); 1.0 is natural.",
            )
        return settled


async def load_voice(store: UserStore) -> VoiceSettings:
    saved = await store.get_setting(VOICE_KEY)
    if not isinstance(saved, dict):
        return VoiceSettings()
    try:
        return VoiceSettings().changed(
            voice=saved.get("voice"),
            speed=float(saved.get("speed", 1.0)),
            keep_recordings=bool(saved.get("keep_recordings", False)),
            wake_phrase=bool(saved.get("wake_phrase", False)),
        )
    except (InputError, TypeError, ValueError):
        return VoiceSettings()  # a hand-edited setting that no longer fits: the defaults


async def save_voice(store: UserStore, settings: VoiceSettings) -> None:
    await store.set_setting(VOICE_KEY, asdict(settings))
