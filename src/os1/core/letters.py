"""Letters for every door: write one in the sender's voice from their memories, and put
any text on paper in a hand.

``render_letter`` needs no model and no database, so a door can call it without opening
a companion. Its files appear only when every page is drawn: they are made in a scratch
folder beside the destination and moved into place at the end, so a failure leaves
nothing half-written. The types a door renders are re-exported from here, so a door
never imports the skill.
"""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from os1.core.base import Core
from os1.errors import InputError, LetterError
from os1.persona.onboarding import person_name
from os1.skills.letters import archive, own_hands
from os1.skills.letters.archive import Kept
from os1.skills.letters.compose import LetterDraft, Source, revise
from os1.skills.letters.drafting import RECALLED, as_source, draft_letter, recall, sender_style
from os1.skills.letters.hands import DEFAULT_HAND, KNOWN, Hand, available_hands, load_hand
from os1.skills.letters.layout import MAX_CHARS, Layout, lay_out
from os1.skills.letters.own_hands import Learned, check_scan_size
from os1.skills.letters.render import DPI, draw_page, pdf_bytes, write_pdf, write_pngs
from os1.skills.letters.style import StyleProfile
from os1.skills.letters.template import template_pdf

__all__ = [
    "DEFAULT_HAND", "Hand", "HandInfo", "Kept", "Learned", "LetterDraft", "Letters",
    "Rendered", "Sheets", "Source", "StyleProfile", "check_scan_size", "hand_template",
    "is_packaged_hand",
]  # fmt: skip
HandChoice = str | Hand  # a packaged hand's name, or a hand opened with ``Letters.hand``
MAX_BYTES = 4 * MAX_CHARS  # UTF-8 takes at most 4 bytes a character
PageDone = Callable[[int, int], None]  # (pages drawn, pages in all)


@dataclass(frozen=True)
class Sheets:
    """How a text falls on paper in a hand: its pages, and characters another hand drew."""

    hand: str
    pages: int
    borrowed: dict[str, str]


@dataclass(frozen=True)
class Rendered:
    """Where a letter was put on paper, and the characters another hand drew."""

    hand: str
    seed: int
    pdf: Path
    pngs: list[Path]
    borrowed: dict[str, str]


@dataclass(frozen=True)
class HandInfo:
    """A hand a letter can be written in: packaged, or the person's own (learned)."""

    name: str
    characters: int
    own: bool = False


def hands() -> list[HandInfo]:
    """The installed (packaged) hands and how many characters each can draw."""
    return [HandInfo(name, len(load_hand(name).advances)) for name in available_hands()]


def is_packaged_hand(name: str) -> bool:
    """Whether ``name`` is a packaged hand (drawn without opening anyone's store)."""
    return name.strip().lower() in KNOWN


def hand_template() -> bytes:
    """The sheet to fill in by hand, as a one-page PDF (``Letters.learn_hand`` reads it)."""
    return template_pdf()


def read_letter(path: Path) -> str:
    """The text of ``path``: UTF-8 (a BOM is fine); a clear error for anything else."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise LetterError(
                "letter_too_long",
                f"{path.name} is {size:,} bytes; a letter here is at most {MAX_CHARS:,}"
                " characters.",
                "Shorten it, or split it into several letters.",
            )
        data = path.read_bytes()
    except OSError as exc:
        raise InputError("letter_unreadable", f"Cannot read {path}: {exc.strerror}.") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            "letter_encoding",
            f"{path.name} is not UTF-8 text (byte {exc.start} is not valid).",
            "Save it as UTF-8 (most editors offer it under Save As), then try again.",
        ) from exc


def _draw(layout: Layout, destination: Path, progress: PageDone | None) -> Rendered:
    destination.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".os1-letter-", dir=destination.parent))
    try:
        made = write_pngs(layout, scratch, progress)
        pdf = write_pdf(layout, scratch / "letter.pdf")
        destination.mkdir(exist_ok=True)
        for stale in destination.glob("page-*.png"):  # an older, longer rendering's pages
            stale.unlink()
        for file in [pdf, *made]:
            os.replace(file, destination / file.name)
        pngs = [destination / p.name for p in made]
        return Rendered(layout.hand, layout.seed, destination / pdf.name, pngs, layout.borrowed)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


async def render_letter(
    text: str, destination: Path, hand: HandChoice = DEFAULT_HAND, seed: int = 0,
    progress: PageDone | None = None,
) -> Rendered:  # fmt: skip
    """``text`` written in ``hand`` into ``destination``: letter.pdf and page-N.png."""
    layout = await asyncio.to_thread(lay_out, text, hand, seed)
    return await asyncio.to_thread(_draw, layout, destination, progress)


def _page_bytes(text: str, hand: HandChoice, seed: int, number: int) -> bytes:
    layout = lay_out(text, hand, seed)
    if not 1 <= number <= len(layout.pages):
        raise LetterError(
            "letter_page", f"The letter has {len(layout.pages)} page(s), not page {number}."
        )
    drawn = draw_page(layout, number)
    buffer = io.BytesIO()
    drawn.image.save(buffer, format="PNG", dpi=(DPI, DPI), compress_level=3)
    return buffer.getvalue()


async def letter_sheets(text: str, hand: HandChoice = DEFAULT_HAND, seed: int = 0) -> Sheets:
    """How many pages ``text`` takes in ``hand``, and what it borrows (a preview's frame)."""
    layout = await asyncio.to_thread(lay_out, text, hand, seed)
    return Sheets(layout.hand, len(layout.pages), dict(layout.borrowed))


async def letter_pdf(text: str, hand: HandChoice = DEFAULT_HAND, seed: int = 0) -> bytes:
    """``text`` in ``hand`` as the bytes of a vector PDF (a server's download)."""
    return await asyncio.to_thread(lambda: pdf_bytes(lay_out(text, hand, seed)))


async def letter_page(
    text: str, number: int, hand: HandChoice = DEFAULT_HAND, seed: int = 0
) -> bytes:
    """Page ``number`` (from 1) of ``text`` in ``hand`` as PNG bytes (a preview)."""
    return await asyncio.to_thread(_page_bytes, text, hand, seed, number)


class Letters:
    """Letters in the sender's voice, from their memories."""

    def __init__(self, core: Core) -> None:
        self.core = core

    async def style(self, user: str, paths: Sequence[Path] = ()) -> StyleProfile | None:
        """The sender's style: from the files given, else from the mail they sent."""
        return await sender_style(await self.core.store(user), paths)

    async def write(
        self,
        user: str,
        to: str,
        about: str,
        *,
        who: str = "",
        style_from_paths: Sequence[Path] = (),
        k: int = RECALLED,
        seed: int | None = None,
    ) -> Kept:
        """A letter from ``user`` to ``to`` carrying ``about``, drafted by the local model
        from the memories recall finds, each one cited; kept as version 1 of a new letter.

        Raises:
            LetterError: nothing to write, or nobody by that name in the memories and no
                ``who`` to say who they are (os1 asks rather than guess).
        """
        store = await self.core.store(user)
        draft = await draft_letter(
            store, self.core.memory, self.core.llm, sender=await person_name(store) or "",
            to=to, about=about, who=who, style_paths=style_from_paths, k=k, seed=seed,
        )  # fmt: skip
        return await archive.keep(store, draft)

    async def revise(
        self, user: str, letter: int, change: str, *, style_from_paths: Sequence[Path] = (),
        seed: int | None = None,
    ) -> Kept:  # fmt: skip
        """A new version of ``letter``, changed as asked ("warmer", "mention the lake
        house"); the old versions stay. Memories the change names are recalled too."""
        store = await self.core.store(user)
        now = (await self.versions(user, letter))[-1]
        shown = list(now.draft.shown)
        for hit in await recall(self.core.memory, store, f"{now.draft.recipient} {change}", 4):
            if as_source(hit).ref not in {s.ref for s in shown}:
                shown.append(as_source(hit))
        style = await sender_style(store, style_from_paths)
        sender = await person_name(store) or ""
        draft = await revise(
            self.core.llm, now.draft, change, sender=sender, sources=shown, style=style,
            seed=seed,
        )  # fmt: skip
        return await archive.keep(store, draft, letter=letter, change=" ".join(change.split()))

    async def versions(self, user: str, letter: int) -> list[Kept]:
        """Every version of ``letter``, oldest first; a clear error if there is none."""
        found = await archive.versions(await self.core.store(user), letter)
        if not found:
            raise LetterError(
                "letter_unknown", f"There is no letter {letter}.", "See them with `letters list`."
            )
        return found

    async def version(self, user: str, letter: int, version: int = 0) -> Kept:
        """One version of ``letter`` (the newest for 0); a clear error if there is none."""
        return await archive.version(await self.core.store(user), letter, version)

    async def hand(self, user: str, name: str) -> Hand:
        """The hand called ``name``: a packaged one, or one ``user`` learned."""
        return await own_hands.open_hand(await self.core.store(user), name)

    async def hands(self, user: str) -> list[HandInfo]:
        """The packaged hands, then ``user``'s own, with what each can draw."""
        packaged = await asyncio.to_thread(hands)
        own = await own_hands.listed(await self.core.store(user))
        return [*packaged, *(HandInfo(name, count, own=True) for name, count in own)]

    async def learn_hand(
        self, user: str, scan: bytes, name: str = own_hands.DEFAULT_NAME
    ) -> Learned:
        """``user``'s handwriting from a picture of the filled-in template, kept as a hand
        called ``name`` (replacing one of that name).

        Raises:
            LetterError: the picture cannot be read (unreadable, too dark, no grid found,
                nothing written) or the name cannot be used; nothing is kept then.
        """
        return await own_hands.learn(await self.core.store(user), scan, name)

    async def forget_hand(self, user: str, name: str) -> bool:
        """Remove ``user``'s own hand ``name``; False if there is none by that name."""
        return await own_hands.forget(await self.core.store(user), name)

    async def listed(self, user: str, limit: int = 50) -> list[tuple[Kept, int]]:
        """Each letter's newest version and how many versions it has, newest first."""
        return await archive.newest(await self.core.store(user), limit)
