"""Recall: assemble the prompt within the model's window.

Order matters for speed: the stable part first (who the companion is, what it knows of
the person), then the rolling summary of older turns, then as many recent turns as fit,
and the new message last, so llama.cpp reuses its cached prefix from turn to turn.
A message too long for the window is cut to its head and tail for the model (the whole
text is already stored) and the person is told.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

from os1.events import Notice, TurnEvent
from os1.memory.profile import build_profile
from os1.models.base import LLM, ChatMessage, ready
from os1.persona import onboarding
from os1.persona.identity import ensure_identity, system_prompt
from os1.store.user import Message, Summary
from os1.turn.asked import asked
from os1.turn.context import Turn
from os1.turn.dates import dates_note
from os1.turn.memories import memory_block

HISTORY_WINDOW = 200  # newest messages considered; older ones live on in the summary
MEMORY_TOKENS = 350  # at most this much of the window for memories of other conversations


def fit_text(llm: LLM, text: str, max_tokens: int) -> tuple[str, bool]:
    """``text`` cut to at most ``max_tokens``, keeping its beginning and end.

    Returns:
        The text to use and whether it was cut.
    """
    if llm.count_tokens(text) <= max_tokens:
        return text, False
    sample = text[:4000]
    chars_per_token = max(1.0, len(sample) / max(1, llm.count_tokens(sample)))
    keep = int(max_tokens * chars_per_token * 0.9)
    while keep > 0:
        head, tail = text[: keep // 2], text[-(keep // 2) :]
        omitted = len(text) - len(head) - len(tail)
        candidate = f"{head}\n[... {omitted:,} characters left out here ...]\n{tail}"
        if llm.count_tokens(candidate) <= max_tokens:
            return candidate, True
        keep = int(keep * 0.8)
    return text[: max(1, max_tokens)], True


# A reply the person cut short is shown as the words they heard, with no marker in it:
# the model copied such markers ("[cut off here]", a trailing "…") into new replies, and
# the voice read them out or stopped short. The next turn's notes say it was cut off.
def _cut_short(message: Message) -> bool:
    return message.role == "assistant" and message.status == "interrupted"


def _heard(message: Message) -> str:
    return message.content.strip().strip("…").strip()


def _cut_in_note(message: Message) -> str:
    if not _heard(message):
        return "(They cut in before they heard any of your last reply.)\n"
    return "(They cut in on your last reply.)\n"


def _as_chat(message: Message) -> ChatMessage:
    if _cut_short(message):
        return ChatMessage("assistant", _heard(message) or "…")
    return ChatMessage("assistant" if message.role == "assistant" else "user", message.content)


async def _system(turn: Turn, summary: Summary | None) -> str:
    identity = turn.identity
    assert identity is not None
    person = await onboarding.person_name(turn.store)
    parts = [system_prompt(identity, person, turn.deps.today())]
    profile = await build_profile(turn.store, person=person)
    if not profile.is_empty():
        parts.append(f"What you know about {person or 'them'}:\n{profile.to_prompt()}")
    known = await onboarding.answers_summary(turn.store)
    if known:
        parts.append(f"When you first met, you asked and they answered:\n{known}")
    if turn.answering:
        parts.append(onboarding.answer_instruction(turn.answering, turn.onboarding_last))
    if summary:
        parts.append(f"Summary of the earlier part of this conversation:\n{summary.text}")
    return "\n\n".join(parts)


async def _plan_onboarding(turn: Turn) -> None:
    if not turn.onboarding_enabled:
        return
    progress = await onboarding.load_progress(turn.store)
    if progress.done or progress.asked is None:
        return
    turn.answering = onboarding.question(progress.asked)
    turn.follow_up = onboarding.next_question(progress.asked)
    turn.onboarding_last = turn.follow_up is None


async def recall(turn: Turn) -> AsyncGenerator[TurnEvent, None]:
    if turn.handled or turn.cancel.cancelled:
        return  # stopped before its prompt was needed (the reader left): nothing to read
    llm, limits = turn.deps.llm, turn.deps.limits
    await ready(llm)  # exact token counts from here on
    turn.identity = await ensure_identity(turn.store, llm)
    await _plan_onboarding(turn)
    summary = await turn.store.latest_summary(turn.conversation_id)
    system = await _system(turn, summary)
    budget = limits.prompt_budget - llm.count_tokens(system)
    new_text, was_cut = fit_text(llm, turn.text, max(64, budget // 2))
    if was_cut:
        yield Notice(
            "input_truncated",
            f"Your message is long ({len(turn.text):,} characters), more than I can read at "
            "once: I read its beginning and its end. The whole text is saved.",
        )
    budget -= llm.count_tokens(new_text)
    block = await _memories(turn, min(MEMORY_TOKENS, budget // 4))
    block += dates_note(turn.text, turn.deps.today())
    notes = await asked(turn)
    block = notes.note + block
    turn.afterword = notes.afterword
    after = summary.upto_message_id if summary else 0
    recent = await turn.store.messages(turn.conversation_id, after_id=after, limit=HISTORY_WINDOW)
    earlier = [m for m in recent if m.id != turn.user_message_id]
    if earlier and _cut_short(earlier[-1]):
        block = _cut_in_note(earlier[-1]) + block
    budget -= llm.count_tokens(block)  # the note included: it is read like the rest
    history: list[ChatMessage] = []
    for chat in map(_as_chat, reversed(earlier)):
        cost = llm.count_tokens(chat.content) + 8  # role markers
        if cost > budget:
            break
        budget -= cost
        history.append(chat)
    history.reverse()
    while history and history[0].role == "assistant" and len(history) > 1:
        history.pop(0)  # a window should not open mid-exchange
    turn.messages = [ChatMessage("system", system), *history, ChatMessage("user", block + new_text)]


async def _memories(turn: Turn, budget: int) -> str:
    """Memories from other conversations that bear on this message (this conversation is
    already in the prompt, verbatim or summarized)."""
    memory = turn.deps.memory
    if memory is None or budget <= 0:
        return ""
    hits = await memory.search(turn.store, turn.text[:2000], k=8, wait=False)
    here = str(turn.conversation_id)
    turn.recalled = [h for h in hits if not (h.kind == "episode" and h.session == here)]
    return memory_block(turn.recalled, turn.deps.llm, budget)
