"""A kept letter as a PDF attached to a mail (the mail skill's send proposal).

The proposal names the letter's exact version, the hand and the PDF's hash; the mail
that goes out after Confirm carries that PDF drawn again from the same version, and
only if it comes out byte for byte as previewed (a letter written by hand renders the
same every time, so a mismatch means a font package changed in between).
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import asdict, dataclass
from typing import Any

from os1.errors import InputError, LetterError
from os1.skills.letters import archive
from os1.skills.letters.hands import Hand
from os1.skills.letters.layout import lay_out
from os1.skills.letters.own_hands import open_hand
from os1.skills.letters.render import pdf_bytes
from os1.store import UserStore

SEED = 0  # the hand's first take, as the letters doors show it first


@dataclass(frozen=True)
class Attachment:
    """A letter's PDF as a proposal names it."""

    letter: int
    version: int
    hand: str
    recipient: str
    filename: str
    pages: int
    size: int
    sha256: str

    def describe(self) -> str:
        kb = max(1, round(self.size / 1024))
        return (
            f"{self.filename} (the letter to {self.recipient}, version {self.version},"
            f" in {self.hand}, {self.pages} page{'' if self.pages == 1 else 's'}, {kb} KB)"
        )


def _render(text: str, hand: Hand) -> tuple[bytes, int]:
    layout = lay_out(text, hand, SEED)
    return pdf_bytes(layout), len(layout.pages)


async def letter_attachment(store: UserStore, letter: int, hand: str) -> Attachment:
    """The newest version of ``letter`` in ``hand``, ready to name in a proposal.

    Raises:
        LetterError: no such letter, an unknown hand, or text no hand can draw.
    """
    kept = await archive.version(store, letter)
    opened = await open_hand(store, hand)
    data, pages = await asyncio.to_thread(_render, kept.draft.text, opened)
    return Attachment(
        letter=kept.letter,
        version=kept.version,
        hand=opened.name,
        recipient=kept.draft.recipient,
        filename=f"letter-{kept.letter}.pdf",
        pages=pages,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def as_data(attachment: Attachment) -> dict[str, Any]:
    return asdict(attachment)


async def attached_pdf(store: UserStore, named: dict[str, Any]) -> tuple[str, bytes]:
    """The file name and bytes of the PDF a confirmed proposal named.

    Raises:
        InputError: the letter is gone, or it no longer renders as it was shown.
    """
    try:
        kept = await archive.version(store, int(named["letter"]), int(named["version"]))
        opened = await open_hand(store, str(named["hand"]))
        data, _ = await asyncio.to_thread(_render, kept.draft.text, opened)
    except LetterError as exc:
        raise InputError("letter_gone", f"The letter to attach is gone: {exc.message}") from exc
    if hashlib.sha256(data).hexdigest() != named["sha256"]:
        raise InputError(
            "letter_changed",
            "The letter's PDF no longer comes out as it was shown, so nothing was sent.",
            "Ask to send it again to see it as it is now.",
        )
    return str(named["filename"]), data
