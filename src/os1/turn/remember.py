"""Remember: store the reply (whole or interrupted), onboarding answers, and summaries.

While a reply streams, what has been said is written every ``KEEP_EVERY`` seconds
(``keep_so_far``, status ``streaming``, which readers take as interrupted): a process
killed mid-reply (kill -9, power loss) leaves the reply up to the last write, marked
interrupted, rather than a question that seems never answered. A short reply is written
once, at its end, as before.

``save_reply`` is idempotent because the pipeline also calls it when a turn is torn down
abruptly (the door went away, Ctrl-C at the wrong instant): whatever part of the reply
the person saw is kept, marked interrupted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncGenerator

from os1.errors import StoreError
from os1.events import ErrorEvent, TurnEvent
from os1.memory.episodes import EpisodeLog, NewEpisode
from os1.memory.extract import extract_and_store
from os1.memory.summary import refresh_summary
from os1.persona import onboarding
from os1.store import leases
from os1.turn.context import Turn

log = logging.getLogger(__name__)
LEARNING = "learning"  # the lease of the one learner of a person's facts, in any process
LEARNING_LEASE = 300.0  # seconds; a learner that died lets go after this
KEEP_EVERY = 2.0  # seconds of streaming between writes of the reply so far


def keep_so_far(turn: Turn) -> None:
    """Write the reply so far in the background, if the last write is ``KEEP_EVERY``
    seconds old and done: the stream never waits for the disk."""
    now = time.monotonic()
    if turn.user_message_id is None or turn.saved or now - turn.kept_at < KEEP_EVERY:
        return
    if turn.keeping is not None and not turn.keeping.done():
        return
    turn.kept_at = now
    turn.keeping = asyncio.create_task(_write(turn, turn.reply_text, "streaming"))


async def _write(turn: Turn, text: str, status: str) -> None:
    if turn.reply_message_id is None:
        turn.reply_message_id = await turn.store.add_message(
            turn.conversation_id, "assistant", text, status=status, turn_id=turn.turn_id
        )
    else:
        await turn.store.update_message(turn.reply_message_id, text, status)


async def save_reply(turn: Turn) -> None:
    if turn.saved or turn.user_message_id is None:
        return
    turn.saved = True
    if turn.keeping is not None:  # the last write of the reply so far lands first
        try:
            await asyncio.shield(turn.keeping)  # a cancelled turn still lets it land
        except StoreError as exc:
            log.warning("the reply so far was not written: %s", exc.message)
    text = turn.reply_text
    if not text:
        return  # nothing was said; the question stays, unanswered
    status = "interrupted" if turn.interrupted else "complete"
    await _write(turn, text, status)


async def keep_after_teardown(turn: Turn) -> None:
    """The turn was torn down before ``remember`` ran (the door went away, a second
    Ctrl-C): the reply so far is saved, marked interrupted, and the exchange still
    becomes episodes, so that recall finds what was said."""
    await save_reply(turn)
    if not turn.handled:
        await _record_episodes(turn)


async def _record_onboarding(turn: Turn) -> None:
    if turn.answering is None or turn.interrupted or turn.finish_reason == "error":
        return
    await turn.store.add_onboarding_answer(
        turn.answering.topic, turn.answering.text, turn.text, turn.user_message_id
    )
    if turn.answering.topic == "name" and (name := onboarding.name_in_answer(turn.text)):
        # known at once, so the very first facts are filed under the person, not a stranger
        await turn.store.set_setting(onboarding.PERSON_NAME_KEY, name)
    follow = turn.follow_up
    await onboarding.save_progress(
        turn.store,
        onboarding.Progress(asked=follow.topic if follow else None, done=follow is None),
    )


def _their_words(turn: Turn) -> NewEpisode:
    """The person's message as an episode, waiting to be learned from: their words count
    whether or not the reply to them was cut short."""
    source_id = f"msg:{turn.user_message_id}"
    return NewEpisode(
        "user", turn.text, time.time(), "chat", source_id, str(turn.conversation_id), learned=False
    )


async def remember_their_words(turn: Turn) -> None:
    """The person's words become an episode before the reply starts, not after it ends: a
    process killed mid-reply (kill -9, power loss) left them in the conversation but out
    of memory, so no later conversation recalled them and no learner read them. Recall
    has already run, so the turn never finds its own message. ``remember`` records the
    episode again, which its unique source id makes a no-op."""
    if turn.deps.memory is None or turn.user_message_id is None or turn.handled:
        return
    try:
        await turn.deps.memory.record(turn.store, [_their_words(turn)])
    except StoreError as exc:  # remember tries again, and says so if it fails too
        log.warning("the person's words were not yet kept as a memory: %s", exc.message)


async def _record_episodes(turn: Turn) -> None:
    """The exchange becomes episodes: evidence for recall in later conversations."""
    memory = turn.deps.memory
    if memory is None or turn.user_message_id is None:
        return
    episodes = [_their_words(turn)]
    if turn.reply_message_id is not None:
        episodes.append(
            NewEpisode(
                "assistant",
                turn.reply_text,
                time.time(),
                "chat",
                f"msg:{turn.reply_message_id}",
                str(turn.conversation_id),
            )
        )
    await memory.record(turn.store, episodes)


async def _learn(turn: Turn) -> None:
    """Background, after the reply: vectors for what is new, then facts from every
    message still waiting (this one, and any a quitting process left behind)."""
    memory = turn.deps.memory
    if memory is None:  # no memory: still learn what to call the person
        await onboarding.learn_name_if_needed(turn.store, turn.deps.llm)
        return
    await memory.index_pending(turn.store)
    if (quiet := turn.deps.limits.learn_after) > 0:
        # one learner per pause in the conversation: its lines go to the model together
        mark = memory.spoke(turn.store)
        await asyncio.sleep(quiet)
        if not memory.still_quiet(turn.store, mark):
            return  # they spoke again; the learner after that turn takes these lines too
    learning = memory.learning(turn.store)
    if learning.locked():
        return  # a learner is at work for this person; it drains the queue
    async with learning:
        holder = leases.new_holder()
        if not await leases.take(turn.store, LEARNING, holder, LEARNING_LEASE):
            return  # another process (a worker, a CLI) is learning for them: the same
        try:
            await _learn_waiting(turn, memory.episodes(turn.store), holder)
        finally:
            with contextlib.suppress(StoreError):
                await asyncio.shield(turn.store.end_lease(LEARNING, holder))
    await memory.index_pending(turn.store)


async def _learn_waiting(turn: Turn, log_: EpisodeLog, holder: str) -> None:
    """Facts from every episode still waiting, a batch at a time, while ``holder`` keeps
    the lease (renewed after each batch: a batch can take a minute on a small model)."""
    if not await onboarding.learn_name_if_needed(turn.store, turn.deps.llm):
        return  # without their name, "Tom. Thomas Reid" reads as someone else's facts
    person = await onboarding.person_name(turn.store)
    while waiting := await log_.unlearned():
        if await extract_and_store(turn.store, turn.deps.llm, waiting, person) is None:
            return  # the person needs the model: learn from these after a later turn
        await log_.mark_learned([e.id for e in waiting])
        if not await leases.take(turn.store, LEARNING, holder, LEARNING_LEASE):
            return  # it lapsed and another learner took it over: that one goes on


async def remember(turn: Turn) -> AsyncGenerator[TurnEvent, None]:
    try:
        await save_reply(turn)
        if turn.handled:
            return  # a command: kept in the conversation, not learned from
        await _record_onboarding(turn)
        await _record_episodes(turn)
    except StoreError as exc:
        yield ErrorEvent(exc.code, exc.message, exc.hint)
        return
    if turn.identity is None:
        return  # stopped before it was read (the reader left): learning waits for a next turn
    turn.deps.schedule(_learn(turn))
    history_budget = turn.deps.limits.prompt_budget - 600
    turn.deps.schedule(
        refresh_summary(
            turn.store,
            turn.deps.llm,
            turn.conversation_id,
            turn.identity.name,
            await onboarding.person_name(turn.store) or "the person",
            trigger_tokens=history_budget * 2 // 3,
            keep_tokens=history_budget // 3,
        )
    )
