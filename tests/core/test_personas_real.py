"""A persona on the real embedded model: built from a writer's essays within the time a
person waits, every view and fact citing the writer's exact words, and its replies
standing on passages, honest when asked what it is and when it goes beyond the writing,
and never carrying a quotation the writer did not write."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from conftest import collect
from os1.companion import Companion
from os1.core.talks import Line
from os1.events import Cited, TurnFinished
from os1.memory.facts import FactBook, NewFact
from os1.quotations import SHORTEST, quotations, spaced
from os1.skills.personas.talking import verbatim
from os1.skills.registry import builtin_skills
from os1.store import Database
from os1.turn.context import TurnLimits

pytestmark = pytest.mark.real_model

ESSAYS = {
    "harbour.txt": """Title: Letters from the Harbour
Author: Maren Holt

I think that a harbour teaches more about patience than any sermon. The boats go out
before dawn and come back when the sea allows, and no shouting on the quay has ever
brought one home sooner. I believe a town that lives by the tide learns to wait without
bitterness, and that is the rarest wisdom I know.

I grew up above my father's net loft, and I learned to mend nets before I could read.
My mother kept the accounts of half the fleet in a green ledger, and I still think a
column of honest figures is a kind of poem.

We must not pity the fishermen, for pity is a poor gift to people who are braver than we
are. Nothing is so dignified as work done in bad weather for people one loves.
""",
    "winter.txt": """Title: A Winter by the Sea
Author: Maren Holt

The winter sea is grey and loud, and I love it more than the blue one of the summer
visitors. I believe that solitude in winter is not loneliness but a kind of
conversation with the weather. I walked every morning along the breakwater, and the
wind taught me to keep my sentences short.

Nothing is wasted in a fishing town: the broken oar becomes a fence post, the torn
sail becomes an apron, and the old story becomes the new one told by a grandchild.
""",
}


def _claimed(reply: str) -> list[str]:
    """The quotations in ``reply`` long enough to be taken for the writer's words."""
    return [q for q in quotations(reply) if len(spaced(q)) >= SHORTEST]


@pytest.fixture
async def real_home(tmp_path: Path, real_llm: object) -> AsyncIterator[Companion]:
    home = tmp_path / "home"
    db = await Database.open(tmp_path / "os1.db", migrations=builtin_skills().migrations)
    companion = Companion(
        db, real_llm, TurnLimits(max_reply_tokens=120, temperature=0.2, seed=7),  # type: ignore[arg-type]
        home=home, local=True,
    )  # fmt: skip
    yield companion
    await companion.stop_background()
    await db.aclose()


def _essays(root: Path) -> Path:
    root.mkdir()
    for name, text in ESSAYS.items():
        (root / name).write_text(text)
    return root


async def test_a_persona_built_and_spoken_with_on_the_real_model(
    real_home: Companion, tmp_path: Path
) -> None:
    began = time.perf_counter()
    report = await real_home.personas.build("ana", "holt", [_essays(tmp_path / "holt")])
    assert time.perf_counter() - began < 120
    card = report.persona
    assert card.writer == "Maren Holt" and card.self_description.startswith(
        "I am a reconstruction of Maren Holt"
    )
    assert card.positions and card.facts
    for said in [*card.positions, *card.facts]:
        for cited in said.citations:
            kept = await real_home.library.text("ana", cited.book, cited.start, cited.end)
            assert kept == cited.text
    assert any(p.supported for p in card.positions)

    kept = [await real_home.library.text("ana", b.id) for b in card.sources]
    events = await collect(
        real_home.personas.reply("ana", "holt", "What does the harbour teach you?")
    )
    reply = next(e for e in events if isinstance(e, TurnFinished)).text
    cited = next(e for e in events if isinstance(e, Cited))
    assert reply and cited.sources and not cited.beyond
    assert any("harbour" in s.text for s in cited.sources)
    for quotation in _claimed(reply):
        assert any(verbatim(quotation, text) for text in kept), quotation

    beyond = await collect(
        real_home.personas.reply("ana", "holt", "What would you think of smartphones?")
    )
    said = next(e for e in beyond if isinstance(e, TurnFinished)).text
    assert said.startswith("My writings never speak of “smartphones”")
    assert next(e for e in beyond if isinstance(e, Cited)).beyond

    asked = await collect(real_home.personas.reply("ana", "holt", "Are you really Maren Holt?"))
    honest = next(e for e in asked if isinstance(e, TurnFinished)).text
    assert honest.startswith("I am a reconstruction of Maren Holt")


async def test_a_companion_talks_with_a_persona_on_the_real_model_sharing_only_its_share(
    real_home: Companion, tmp_path: Path
) -> None:
    await real_home.personas.build("ana", "holt", [_essays(tmp_path / "holt")])
    book = FactBook(await real_home.db.user("ana"))
    await book.add([
        NewFact("preference", "user", "hobby", "sailing", "Ana loves sailing small boats"),
        NewFact("feeling", "user", "worry", "divorce", "Ana is anxious about her divorce"),
        NewFact("event", "Lena", "news", "pregnant", "Lena is pregnant and told no one"),
    ])  # fmt: skip
    before = len(await book.current())
    items = await collect(
        real_home.talks.run("ana", "companion:ana", "persona:holt", lines=4, topic="the sea")
    )
    lines = [i for i in items if isinstance(i, Line)]
    assert [x.speaker for x in lines] == ["companion:ana", "persona:holt"] * 2
    assert all(len(x.content) > 3 for x in lines), lines
    ours = " ".join(x.content for x in lines if x.speaker == "companion:ana").lower()
    assert "divorce" not in ours and "pregnant" not in ours and "lena" not in ours
    kept = [
        await real_home.library.text("ana", b.id)
        for b in (await real_home.personas.show("ana", "holt")).sources
    ]
    for x in lines[1::2]:
        for quotation in _claimed(x.content):
            assert any(verbatim(quotation, text) for text in kept), quotation
    # the persona stands on its passages, or says when it goes beyond them
    assert any(x.citations or "goes beyond them" in x.content for x in lines[1::2]), lines
    talk = await real_home.talks.show("ana", items[0].kept["ana"])  # type: ignore[union-attr]
    assert [x.content for x in talk.lines] == [x.content for x in lines]
    await real_home.wait_background()
    assert len(await book.current()) == before  # nothing the persona said became ana's
