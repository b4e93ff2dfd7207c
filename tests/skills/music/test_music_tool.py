"""A piece asked for in a chat is a proposal: composed and shown with why it sounds as
it does, kept among the person's pieces only once confirmed, and taken out by undo."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import collect, proposal_for
from os1.companion import Companion
from os1.errors import InputError
from os1.events import ActionSettled
from os1.memory.episodes import NewEpisode
from os1.models.scripted import ScriptedLLM
from os1.skills.music.tools import ComposeMusic

CHOICE = {
    "mood": "grey and tender",
    "mode": "minor",
    "key_and_tempo_reason": "The sea was grey and cold that morning",
    "tempo": 58,
    "meter": "6/8",
    "form": "ABA",
    "register": "low",
    "density": "sparse",
    "articulation": "legato",
    "instrument": "cello",
    "instrument_reason": "Lena plays the cello",
}


async def test_a_piece_asked_for_in_a_chat_is_kept_only_once_confirmed(
    companion: Companion, scripted: ScriptedLLM
) -> None:
    store = await companion.core.store("ann")
    assert companion.core.memory is not None
    said = "Lena and I walked on the beach at dawn, the sea was grey."
    when = dt.datetime(2026, 6, 3, 7, 40).timestamp()
    await companion.core.memory.record(store, [NewEpisode("user", said, when)])
    scripted.enqueue(CHOICE)
    proposal = await proposal_for(
        companion, "ann", "/compose_music the grey morning on the beach with Lena"
    )
    assert proposal.title == "Compose a piece about the grey morning on the beach with Lena"
    assert "E minor and slow" in proposal.preview and "spell LENA" in proposal.preview
    assert said in proposal.preview  # the memory it photographs
    assert await companion.music.pieces("ann") == []  # nothing kept before Confirm

    settled = await collect(companion.decide("ann", proposal.proposal_id, confirm=True))
    assert isinstance(settled[0], ActionSettled) and settled[0].status == "done"
    [kept] = await companion.music.pieces("ann")
    assert f"piece {kept.id}" in settled[0].message
    assert (kept.plan.tonic, kept.plan.instrument) == ("E", "cello")
    assert kept.why in proposal.preview  # what was shown is what was kept
    written = await companion.music.files("ann", kept.id, "mid")  # written when wanted
    assert written.files["mid"].is_file()

    undone = await companion.undo("ann", proposal.proposal_id)
    assert undone.status == "undone"
    assert await companion.music.pieces("ann") == []
    assert not written.files["mid"].exists()


def test_a_command_without_a_moment_is_told_with_an_example() -> None:
    with pytest.raises(InputError) as caught:
        ComposeMusic().from_command("   ")
    assert "/compose_music this morning at the beach" in str(caught.value)
    assert ComposeMusic().from_command("about the first snow").about == "the first snow"


WORDS = {
    "title": "Summers at Lake Bled",
    "mood": "warm and wistful",
    "mode": "minor",
    "tempo": 84,
    "verse_1": [
        "I remember summers by the lake",
        "Lena laughing in the morning light",
        "we would swim until the day was done",
        "and the water held us through the night",
    ],
    "chorus": [
        "Oh the lake, it calls us home again",
        "every wave a word we never said",
        "hold the light above the water's edge",
        "every star a candle overhead",
    ],
    "verse_2": [
        "Now the grey is on the water too",
        "and I write to you from far away",
        "every summer has a song to sing",
        "Lena, come and hear the words I say",
    ],
}


async def test_a_song_asked_for_in_a_chat_shows_its_words_and_chords_first(
    companion: Companion, scripted: ScriptedLLM
) -> None:
    scripted.enqueue(WORDS)
    proposal = await proposal_for(companion, "ann", "/write_song the summers at the lake")
    assert proposal.title == "Keep the song Summers at Lake Bled"
    assert (
        "[Chorus]" in proposal.preview and "Lena laughing in the morning light" in proposal.preview
    )
    assert "Rhymes in 3 of 3 sections" in proposal.preview
    assert await companion.music.songs("ann") == []  # nothing kept before Confirm

    settled = await collect(companion.decide("ann", proposal.proposal_id, confirm=True))
    assert isinstance(settled[0], ActionSettled) and settled[0].status == "done"
    [kept] = await companion.music.songs("ann")
    assert f"song s{kept.id}" in settled[0].message
    assert kept.lyrics.chorus == tuple(WORDS["chorus"]) and kept.plan.tonic == "E"
    undone = await companion.undo("ann", proposal.proposal_id)
    assert undone.status == "undone" and await companion.music.songs("ann") == []
