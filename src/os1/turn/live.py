"""The live count, said truly: when the person asks how many people or conversations the
companion is busy with, the true number goes into the newest message (not the system
prompt, which must stay byte-identical for the prompt cache).

Only when asked: a number in every message would invite the model to mention it at
random. The question is recognised broadly ("how many people are you talking to",
"am I the only one", "are you talking to anyone else"); a miss only means the model
answers without the number, and the honesty rules forbid it to make one up.
"""

from __future__ import annotations

import re

_ASKS = re.compile(
    r"how many (other )?(people|persons|users|humans|conversations|chats|others|of us)"
    r"|(talk|talking|speak|speaking|chat|chatting) (to|with) (anyone|anybody|someone|others"
    r"|other people|more than)"
    r"|am i the only|only one you|other (people|conversations|users)"
    r"|(number|count) of (people|conversations|users|chats)",
    re.IGNORECASE,
)


def asks_about_others(text: str) -> bool:
    return bool(_ASKS.search(text[:4000]))


def live_note(count: int) -> str:
    if count <= 1:
        return (
            "[Live fact, true right now: this is the only conversation you are holding. If "
            "they ask how many people you are talking to, say it is just them.]\n\n"
        )
    return (
        f"[Live fact, true right now: you are holding {count:,} conversations at once, "
        "this one included. They ask how many people or conversations you are talking to: "
        f"answer with the number {count:,}.]\n\n"
    )
