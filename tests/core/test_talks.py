"""Talks between two parties (``os1 converse``) through the core API on the scripted
model: sides speak in turn, each local owner keeps the transcript, a companion tells only
what its person shares about themselves (never about anyone else), a persona answers from
its writings with sources, nothing said is learned as the person's own, and every bad
party, size or share gets a clear refusal."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from conftest import collect
from os1.companion import Companion
from os1.core.talks import Line, TalkBegun, party
from os1.errors import InputError, PersonaError
from os1.memory.facts import FactBook, NewFact
from os1.models.scripted import ScriptedLLM

POND = """Title: A Year by the Pond
Author: Henry Marsh

I went to the woods because I wished to live simply. I believe that a man is rich in
proportion to the number of things which he can afford to let alone. The pond is the
earth's eye; looking into which the beholder measures the depth of his own nature. In
winter I walked across the ice of the pond every morning, and sailing in summer was my
only luxury.
"""

SAILING = "Ana loves sailing on the lake at weekends"
SECRET = "Ana is anxious about her divorce hearing"
SISTER = "Lena is pregnant and has told no one yet"


async def _marsh(companion: Companion, scripted: ScriptedLLM, tmp_path: Path) -> None:
    books = tmp_path / "marsh"
    books.mkdir()
    (books / "pond.txt").write_text(POND)
    scripted.enqueue({"statements": []}, "I am a reconstruction of Henry Marsh.")
    await companion.personas.build("ana", "marsh", [books])


async def _facts(companion: Companion, user: str) -> FactBook:
    book = FactBook(await companion.db.user(user))
    await book.add([
        NewFact("preference", "user", "hobby", "sailing", SAILING),
        NewFact("feeling", "user", "worry", "divorce hearing", SECRET),
        NewFact("preference", "Lena", "news", "pregnant", SISTER),
    ])  # fmt: skip
    return book


def _said_to_model(scripted: ScriptedLLM) -> str:
    return "\n".join(m.content for r in scripted.requests for m in r.messages)


async def test_a_companion_and_a_persona_talk_in_turn_and_the_owner_keeps_it(
    companion: Companion, scripted: ScriptedLLM, tmp_path: Path
) -> None:
    await _marsh(companion, scripted, tmp_path)
    book = await _facts(companion, "ana")
    facts_before = len(await book.current())
    history_before = await companion.history("ana")
    await companion.identity("ana")
    scripted.requests.clear()
    scripted.enqueue(
        "Ada: Hello Henry! Ana loves sailing; do you like the water?\nHenry: I do.",
        "The pond is the earth's eye [1], and I walked its ice each morning.",
        "What do you think of living simply?",
        "A man is rich by what he can let alone [1].",
    )
    items = await collect(
        companion.talks.run("ana", "companion:ana", "persona:marsh", lines=4, topic="water")
    )
    begun = items[0]
    assert isinstance(begun, TalkBegun) and begun.second == "Henry Marsh"
    lines = [i for i in items if isinstance(i, Line)]
    assert [x.speaker for x in lines] == ["companion:ana", "persona:marsh"] * 2
    # the companion's own line, without a speaker tag or a line it wrote for the other
    assert lines[0].content == "Hello Henry! Ana loves sailing; do you like the water?"
    assert lines[1].citations and "earth's eye" in lines[1].citations[0].text
    # the persona heard the companion's words as another's, in its talk
    persona_prompt = scripted.requests[1].messages[-1].content
    assert "Message from" in persona_prompt and "loves sailing" in persona_prompt

    kept = await companion.talks.show("ana", begun.kept["ana"])
    assert (kept.first, kept.second, kept.topic) == ("companion:ana", "persona:marsh", "water")
    assert [x.content for x in kept.lines] == [x.content for x in lines]
    assert kept.shared == ("preference",)
    assert [t.id for t in await companion.talks.listed("ana")] == [kept.id]

    # what the companion may share went in; a private feeling and a sister's news never
    told = _said_to_model(scripted)
    assert SAILING in told and SECRET not in told and SISTER not in told
    # nothing said is the person's own: no fact learned, no message in their chats,
    # nothing in the persona's own chat with its owner
    await companion.wait_background()
    assert len(await book.current()) == facts_before
    assert await companion.history("ana") == history_before
    assert await companion.personas.history("ana", "marsh") == []


async def test_small_talk_in_a_talk_is_answered_from_the_writings_on_its_topic(
    companion: Companion, scripted: ScriptedLLM, tmp_path: Path
) -> None:
    await _marsh(companion, scripted, tmp_path)
    await companion.identity("ana")
    scripted.requests.clear()
    scripted.enqueue("Hello Henry Marsh. How are you today?", "Very well, thank you.")
    items = await collect(
        companion.talks.run("ana", "companion:ana", "persona:marsh", lines=2, topic="the ice")
    )
    opening = scripted.requests[0].messages[-1].content
    assert "what they think about the ice" in opening
    answer = [i for i in items if isinstance(i, Line)][1]
    # nothing in "how are you" is in the books, but the talk is about the ice: the
    # persona's answer ends in its own words on it, with the passage cited
    assert "walked across the ice" in answer.content
    assert answer.citations and "ice of the pond" in answer.citations[0].text


async def test_two_companions_on_one_os1_each_keep_the_talk_and_share_only_their_own(
    companion: Companion, scripted: ScriptedLLM
) -> None:
    await _facts(companion, "ana")
    ben = FactBook(await companion.db.user("ben"))
    await ben.add([NewFact("routine", "user", "swim", "mornings", "Ben swims every morning")])
    await companion.identity("ana")
    await companion.identity("ben")
    scripted.requests.clear()
    items = await collect(
        companion.talks.run("ana", "companion:ana", "companion:ben", lines=3, share=("none",))
    )
    begun = items[0]
    assert isinstance(begun, TalkBegun) and set(begun.kept) == {"ana", "ben"}
    for owner in ("ana", "ben"):
        talk = await companion.talks.show(owner, begun.kept[owner])
        assert len(talk.lines) == 3 and talk.shared == ()
    told = _said_to_model(scripted)
    assert "Ben swims" not in told and SAILING not in told
    assert "keep their life private" in told
    # ben's talk is his: ana cannot open it by its number in his talks
    if begun.kept["ben"] != begun.kept["ana"]:
        with pytest.raises(PersonaError) as unknown:
            await companion.talks.show("ana", begun.kept["ben"])
        assert unknown.value.code == "talk_unknown"


async def test_another_persons_companion_is_refused_away_from_this_machine(
    companion: Companion,
) -> None:
    await companion.db.user("ben")
    companion.core.local = False  # as over the web: only your own companion
    with pytest.raises(PersonaError) as refused:
        await collect(companion.talks.run("ana", "companion:ana", "companion:ben"))
    assert refused.value.code == "talk_not_yours" and "companion:ana" in refused.value.hint


@pytest.mark.parametrize(
    ("first", "second", "kw", "code"),
    [
        ("ana", "persona:marsh", {}, "talk_bad_party"),
        ("companion:ana", "ftp://host", {}, "talk_bad_party"),
        ("companion:ana", "persona:", {}, "talk_bad_party"),
        ("companion:ana", "companion:" + "x" * 60, {}, "talk_bad_party"),
        ("companion:ana", "companion:nobody", {}, "talk_bad_party"),
        ("companion:ana", "companion", {}, "talk_same_party"),
        ("companion:ana", "companion:" + "x" * 70, {}, "talk_bad_party"),
        ("companion:ana", "persona:ghost", {}, "persona_unknown"),
        ("companion:ana", "companion:ben", {"lines": 0}, "talk_lines"),
        ("companion:ana", "companion:ben", {"lines": 41}, "talk_lines"),
        ("companion:ana", "companion:ben", {"topic": "x" * 600}, "talk_topic"),
        ("companion:ana", "companion:ben", {"share": ("secrets",)}, "talk_share"),
    ],
)
async def test_bad_talks_are_refused_with_why(
    companion: Companion, first: str, second: str, kw: dict[str, object], code: str
) -> None:
    await companion.db.user("ben")
    with pytest.raises((PersonaError, InputError)) as refused:
        await collect(companion.talks.run("ana", first, second, **kw))  # type: ignore[arg-type]
    assert refused.value.code == code and refused.value.hint


def test_parties_are_read_from_their_names() -> None:
    assert party(" Companion: Ana Lima ").spec == "companion:Ana Lima"
    assert party("persona:Thoreau").spec == "persona:thoreau"
    assert party("http://127.0.0.1:8765/v1/").name == "http://127.0.0.1:8765"
    remote = party("https://os1.example:8765#persona:watts")
    assert (remote.kind, remote.model) == ("remote", "persona:watts")


async def test_a_remote_side_that_cannot_be_reached_stops_the_talk_keeping_what_was_said(
    companion: Companion, scripted: ScriptedLLM
) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    await companion.identity("ana")
    scripted.enqueue("Hello over there!")
    said: list[object] = []
    with pytest.raises(Exception) as failed:
        async for item in companion.talks.run(
            "ana", "companion:ana", f"http://127.0.0.1:{port}", lines=2
        ):
            said.append(item)
    assert getattr(failed.value, "code", "") == "talk_remote_failed"
    begun = said[0]
    assert isinstance(begun, TalkBegun)
    kept = await companion.talks.show("ana", begun.kept["ana"])
    assert [x.content for x in kept.lines] == ["Hello over there!"]
