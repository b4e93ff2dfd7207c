"""The composition root and the doors' entry to the core API (``os1.core``): builds the
store, the model, memory, the skills and the core services from settings, runs turns.

Every door (the terminal, the web UI and its WebSocket, the REST and OpenAI-compatible
APIs, MCP, voice) talks to a ``Companion`` and renders the events it yields; no door has
logic of its own. Background work (loading
the embedders, vectors, fact extraction, rolling summaries) is tracked here so shutdown
can cancel it cleanly; all of it is retried later, so nothing is lost by cancelling.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncGenerator, Coroutine
from contextlib import aclosing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from os1 import parsing_pool
from os1.config import Settings
from os1.core.accounts import Accounts
from os1.core.actions import Actions
from os1.core.base import Core
from os1.core.briefing import Briefing
from os1.core.briefing import morning as morning_briefing
from os1.core.calendar import Calendar
from os1.core.circle import Circles
from os1.core.extensions import ProgressFn, build_llm, load_extensions
from os1.core.feelings import Feelings
from os1.core.files import Files
from os1.core.introductions import Introductions
from os1.core.letters import Letters
from os1.core.library import Library
from os1.core.mail import Mail
from os1.core.memories import Memories
from os1.core.music import Music
from os1.core.people import People
from os1.core.personas import Personas
from os1.core.proofread import Proofread
from os1.core.speech import Speech
from os1.core.talks import Talks
from os1.errors import InputError, Os1Error
from os1.events import (
    ActionSettled,
    ProposalMade,
    TextDelta,
    TurnEvent,
    TurnFinished,
    TurnStarted,
)
from os1.memory.store import Memory
from os1.models.base import LLM, CancelToken, ready
from os1.models.lazy import LazyLLM
from os1.persona import onboarding
from os1.persona.identity import Identity, ensure_identity, load_identity
from os1.presence import Presence
from os1.skills import uploads
from os1.skills.base import ToolContext, validate_args
from os1.skills.choose import ToolChooser
from os1.skills.journal import Journal
from os1.skills.proposals import Proposed, carry_out, propose, take_back
from os1.skills.reach import FileReach, own_folder
from os1.skills.registry import SkillRegistry, builtin_skills
from os1.skills.uploads import StoredFile
from os1.store import StoreBase, UserStore, open_store
from os1.store.user import Message
from os1.tentative import Tentative
from os1.turn.context import Turn, TurnDeps, TurnLimits
from os1.turn.pipeline import run_turn

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Exchange:
    """One message of a conversation as doors show it."""

    role: str
    text: str
    status: str
    created_at: float


class Companion:
    """One companion process serving any number of people.

    Args:
        db: the open store.
        llm: the chat model.
        limits: context window and sampling for turns.
        memory: the memory engine (retrieval, embedders); None answers from the
            conversation alone.
        home: the data folder, for skills that keep files (uploads, recordings).
        skills: the tools; os1's own and the plugins' when None.
        tool_choice: let the model pick a tool from what the person says (otherwise
            tools run by slash command only).
        local: every call comes from the person at this machine's own terminal (the
            CLI, MCP over stdio), whose tools reach any file their shell can; a server
            leaves it off, so each account's own reach applies (``skills.reach``).
        upload_quota: bytes a person may keep in os1's data folder.
        settings: what it was started with (the services that need them say so when
            a test builds a companion without).
    """

    def __init__(
        self,
        db: StoreBase,
        llm: LLM,
        limits: TurnLimits,
        memory: Memory | None = None,
        *,
        home: Path | None = None,
        skills: SkillRegistry | None = None,
        tool_choice: bool = False,
        local: bool = False,
        upload_quota: int | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.db = db
        self.llm = llm
        self.limits = limits
        self.memory = memory
        self.home = home
        self.upload_quota = upload_quota  # bytes a person may keep in os1's data folder
        self._background: set[asyncio.Task[Any]] = set()
        self.presence = Presence()
        self.skills = skills if skills is not None else builtin_skills()
        self.core = Core(db, llm, memory, self.skills, home, local, settings)
        self.settings = settings
        self.feelings = Feelings(self.core)
        self.circles = Circles(self.core)
        self.people = People(self.core, self.feelings.summaries)
        self.introductions = Introductions(self.core)
        self.memories = Memories(self.core, self.feelings.summaries)
        self.accounts = Accounts(self.core)
        self.actions = Actions(self.core)
        self.mail = Mail(self.core)
        self.calendar = Calendar(self.core)
        self.files = Files(self.core)
        self.proofread = Proofread(self.core)
        self.letters = Letters(self.core)
        self.library = Library(self.core)
        self.personas = Personas(self.core, self.library)
        self.talks = Talks(self.core, self.personas)
        self.music = Music(self.core)
        self.speech = Speech(self.core)
        self._deps = TurnDeps(
            llm=llm,
            limits=limits,
            schedule=self._schedule,
            memory=memory,
            live_count=self.presence.count,
            own_feelings=self.feelings.own,
            tone=self.feelings.for_tone,
            circle=self.circles.of,
            nudge=self.people.in_turn,
            skills=self.skills,
            chooser=ToolChooser(llm, self.skills.tools()) if tool_choice else None,
            tool_context=self.core.tool_context,
        )

    @classmethod
    async def start(
        cls,
        settings: Settings,
        llm: LLM | None = None,
        progress: ProgressFn | None = None,
        *,
        lazy: bool = False,
        local: bool = False,
        warm: bool = True,
    ) -> Companion:
        """Open the store and load the model (building it first if needed); ``lazy``
        loads it only when something first needs it; ``warm`` starts loading the
        embedders and the tool chooser in the background; ``local`` as for the
        constructor."""
        extensions = load_extensions()
        db = await open_store(
            settings.db_path, settings.database_url, migrations=extensions.migrations
        )
        backends = extensions.backends
        try:
            if llm is None and lazy:
                llm = LazyLLM(
                    settings.llm_model,
                    settings.n_ctx,
                    lambda: build_llm(settings, progress, backends),
                )
            model = llm or await build_llm(settings, progress, backends)
        except BaseException:
            await db.aclose()
            raise
        limits = TurnLimits(
            n_ctx=settings.n_ctx,
            max_reply_tokens=settings.max_reply_tokens,
            temperature=settings.temperature,
            learn_after=settings.learn_after,
        )
        memory = Memory(settings.embed_routes, settings.cache_dir)
        companion = cls(
            db,
            model,
            limits,
            memory,
            home=settings.home,
            skills=extensions.skills,
            # the scripted test model answers from a queue its test fills; a routing call
            # would take a queued reply, so unit tests choose tools explicitly instead
            tool_choice=settings.tool_choice and settings.llm_backend != "scripted",
            local=local,
            upload_quota=int(settings.upload_quota_mb * 1e6),
            settings=settings,
        )
        if not warm:
            return companion
        if (warming := memory.warm_up()) is not None:
            companion._schedule(warming)
        if companion._deps.chooser is not None:
            companion._schedule(companion._deps.chooser.warm_up())
        companion._schedule(companion.feelings.warm_up())  # the tone of replies reads it
        return companion

    @classmethod
    async def open(cls, settings: Settings, *, local: bool = True) -> Companion:
        """The cheap open, for commands that need no model: the store and the services,
        the model loaded only if something asks it, nothing warmed up."""
        return await cls.start(settings, lazy=True, local=local, warm=False)

    def _schedule(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        task.add_done_callback(_log_failure)

    async def _conversation(self, store: UserStore) -> int:
        return await store.latest_conversation() or await store.new_conversation()

    async def identity(self, user: str) -> Identity:
        """The companion's name and why it chose it (chosen now if never before)."""
        return await ensure_identity(await self.db.user(user), self.llm)

    async def chosen_name(self, user: str) -> str | None:
        """The name the companion chose for this person; None before it has chosen one
        (asking does not make it choose)."""
        identity = await load_identity(await self.db.user(user))
        return identity.name if identity else None

    async def greet(self, user: str) -> AsyncGenerator[TurnEvent, None]:
        """First words at first boot: introduce itself and start onboarding.

        Yields nothing once onboarding has started, so doors may call it on every start.
        """
        store = await self.db.user(user)
        progress = await onboarding.load_progress(store)
        if progress.done or progress.asked is not None:
            return
        identity = await ensure_identity(store, self.llm)
        conversation = await self._conversation(store)
        turn_id = uuid.uuid4().hex
        yield TurnStarted(turn_id, conversation)
        # a person who spoke first may have said their name already: it is not asked again
        earlier = [m.content for m in await store.messages(conversation) if m.role == "user"]
        name = next((n for said in earlier if (n := onboarding.said_name(said))), None)
        if name:
            await store.set_setting(onboarding.PERSON_NAME_KEY, name)
        first = onboarding.next_question("name" if name else None)
        text = onboarding.greeting(identity, first, name or "")
        message_id = await store.add_message(conversation, "assistant", text, turn_id=turn_id)
        asked = first.topic if first else None
        await onboarding.save_progress(store, onboarding.Progress(asked, False))
        yield TextDelta(text)
        yield TurnFinished(turn_id, text, message_id=message_id)

    async def skip_onboarding(self, user: str) -> None:
        store = await self.db.user(user)
        await onboarding.save_progress(store, onboarding.Progress(None, True))

    async def turn(
        self,
        user: str,
        text: str,
        *,
        cancel: CancelToken | None = None,
        onboarding_enabled: bool = True,
        tentative: Tentative | None = None,
    ) -> AsyncGenerator[TurnEvent, None]:
        """Answer ``text`` from ``user`` in their current conversation, as a stream of events.

        Set ``cancel`` to stop the reply mid-way: the part already said is kept, marked
        interrupted, and the stream ends with ``TurnFinished(interrupted=True)``. With
        ``tentative``, the reply is written before the person surely finished: nothing is
        stored until it is kept, and a dropped turn ends without ``TurnFinished``.
        """
        store = await self.db.user(user)
        conversation = await self._conversation(store)
        turn = Turn(
            turn_id=uuid.uuid4().hex,
            store=store,
            deps=self._deps,
            conversation_id=conversation,
            text=text,
            cancel=cancel or CancelToken(),
            onboarding_enabled=onboarding_enabled,
            tentative=tentative,
        )
        yield TurnStarted(turn.turn_id, conversation)
        async with aclosing(run_turn(turn)) as events:
            async for event in events:
                yield event

    async def tool_context(self, store: UserStore) -> ToolContext:
        """What the person's tools may use, their file reach included (``skills.reach``)."""
        return await self.core.tool_context(store)

    async def _upload_folder(self, user: str) -> tuple[Path, int | None, FileReach]:
        """Where the person's uploads go: the one folder their tools may use, else (the
        owner) their own folder in os1's data; the quota that holds there; their reach."""
        store = await self.db.user(user)
        reach = (await self.tool_context(store)).files
        if reach.root:
            return Path(reach.root), self.upload_quota if reach.own else None, reach
        if self.home is None or reach.root == "":
            raise InputError("no_file_access", "This companion keeps no files for anyone.")
        folder = await asyncio.to_thread(own_folder, self.home, store.user.id)
        return folder, self.upload_quota, reach

    async def upload(self, user: str, name: str, data: bytes) -> StoredFile:
        """Keep a file the person brings (replacing one of the same name) where their
        tools can use it; ``path`` in the answer is how they name it in a request.

        Raises:
            InputError: the name is unusable, or their quota would be passed.
        """
        folder, quota, reach = await self._upload_folder(user)
        saved = await asyncio.to_thread(uploads.save, folder, name, data, quota)
        return StoredFile(saved.name, len(data), saved.stat().st_mtime, reach.shown(str(saved)))

    async def uploaded(self, user: str) -> list[StoredFile]:
        """The files in the person's folder, by name."""
        folder, _, reach = await self._upload_folder(user)
        found = await asyncio.to_thread(uploads.listing, folder)
        return [
            StoredFile(name, size, modified, reach.shown(str(folder / name)))
            for name, size, modified in found
        ]

    async def remove_upload(self, user: str, name: str) -> None:
        """Delete one of the person's files.

        Raises:
            InputError: they have no file of that name.
        """
        folder, _, _ = await self._upload_folder(user)
        await asyncio.to_thread(uploads.remove, folder, name)

    async def propose(
        self, user: str, tool: str, args: BaseModel | dict[str, Any], *, why: str = ""
    ) -> ProposalMade | str:
        """What ``tool`` would do with ``args``, journaled as a proposal for ``user`` to
        confirm (``decide``); or the tool's answer when there is nothing to confirm.

        This is how a door offers a skill directly (``os1 files declutter``, a web button);
        a standing policy does not apply here, since the door asks the person itself.

        Raises:
            InputError: no such tool, ``args`` do not fit it, or they reach beyond the
                person's files.
        """
        found = self.skills.get(tool)
        if found is None:
            raise InputError(
                "unknown_tool", f"There is no tool called {tool!r}.", "`os1 skills` lists them."
            )
        checked = validate_args(found, args.model_dump() if isinstance(args, BaseModel) else args)
        store = await self.db.user(user)
        proposed = await propose(found, await self.tool_context(store), checked, why=why)
        return proposed.event if isinstance(proposed, Proposed) else proposed

    async def decide(
        self, user: str, proposal_id: int, *, confirm: bool
    ) -> AsyncGenerator[TurnEvent, None]:
        """The person's answer to a proposal: run it (confirm) or drop it (decline).

        Only this call runs an action, and only the proposal's owner can reach it (the
        journal is scoped to the person); a proposal runs at most once.
        """
        store = await self.db.user(user)
        action = await Journal(store).get(proposal_id)
        tool = self.skills.get(action.tool) if action else None
        yield await carry_out(tool, await self.tool_context(store), proposal_id, confirm=confirm)

    async def undo(self, user: str, action_id: int | None = None) -> ActionSettled:
        """Revert a done action (the latest undoable one if no id) where the world allows.

        A failed undo leaves the action done and says why (the world may have moved on:
        a file put back in its place, an event already gone).

        Raises:
            InputError: no such action of this person, it cannot be undone, or what it
                touched is beyond their reach now.
        """
        store = await self.db.user(user)
        return await take_back(self.skills.get, await self.tool_context(store), action_id)

    async def morning(self, user: str) -> Briefing:
        """Good morning: what is new since the person last talked, what is due soon."""
        return await morning_briefing(await self.db.user(user), self.llm)

    def person_speaking(self) -> None:
        """Someone began to speak: background model work (learning, summaries) gives way
        now rather than when their turn begins, so that hearing them and answering them
        have the cores to themselves; it is taken up again after the turn."""
        make_way = getattr(self.llm, "make_way", None)
        if callable(make_way):
            make_way()

    async def keep_heard(self, user: str, message_id: int, heard: str) -> None:
        """A spoken reply was cut short: keep only the words the person heard, marked
        interrupted, in the conversation and in memory (an ellipsis if they heard none)."""
        store = await self.db.user(user)
        text = heard.strip() or "…"
        await store.update_message(message_id, text, "interrupted")
        if self.memory is not None:
            await self.memory.revise(store, "chat", f"msg:{message_id}", text)

    async def new_conversation(self, user: str) -> int:
        return await (await self.db.user(user)).new_conversation()

    async def history(self, user: str, limit: int = 20) -> list[Exchange]:
        """The newest ``limit`` messages of the person's current conversation."""
        store = await self.db.user(user)
        conversation = await store.latest_conversation()
        if conversation is None:
            return []
        return [_exchange(m) for m in await store.messages(conversation, limit=limit)]

    async def export(self, user: str) -> dict[str, Any]:
        """Everything said between the companion and ``user``, as plain JSON data."""
        store = await self.db.user(user)
        identity = await load_identity(store)
        conversations = []
        for conv in reversed(await store.conversations(limit=1_000_000)):
            messages = await store.messages(conv.id)
            conversations.append(
                {
                    "id": conv.id,
                    "started_at": conv.started_at,
                    "messages": [_exchange(m).__dict__ for m in messages],
                }
            )
        return {
            "format": "os1-conversations/1",
            "user": user,
            "companion": identity.name if identity else None,
            "onboarding": [a.__dict__ for a in await store.onboarding_answers()],
            "conversations": conversations,
        }

    async def stop_background(self) -> None:
        """Cancel background work: it is housekeeping, retried after a later turn, so
        quitting never hangs behind a summary."""
        pending = list(self._background)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        await self.circles.stop()

    async def wait_background(self) -> None:
        """Let background work finish (tests and benchmarks use it to get a quiet model)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    def release_now(self) -> None:
        """For a process about to leave without waiting (its reader went away while the
        model's thread is deep in a prompt, or still loading): remove what outlives the
        process, the model's socket folder. The model itself is not closed: that would
        wait for its thread, which may be waiting for this one. Committed data needs
        nothing; unlearned lines wait for next time."""
        from os1.models.local_gguf import remove_own_socket_folders  # httpx: only when leaving

        remove_own_socket_folders()

    async def model_ready(self) -> None:
        """Wait for a model loaded on first use to be loaded (at once for the others).

        Raises:
            Os1Error: the model could not be loaded.
        """
        await ready(self.llm)

    def load_model_ahead(self) -> None:
        """A model loaded on first use (``Companion.start(lazy=True)``) starts loading now,
        in the background; the first turn finds it ready, or waits less."""
        load = getattr(self.llm, "load_ahead", None)
        if callable(load):
            load()

    async def aclose(self) -> None:
        """Stop background work, then release the model, the store and the parsing pool."""
        await self.stop_background()
        await self.llm.aclose()
        await self.db.aclose()
        await asyncio.to_thread(parsing_pool.close_shared)  # it restarts if used again


def _log_failure(task: asyncio.Task[Any]) -> None:
    """Background work fails alone: logged for operators, retried after a later turn."""
    if task.cancelled():
        return
    exc = task.exception()
    if isinstance(exc, Os1Error) and exc.code == "generation_stopped":
        log.debug("background work gave way to a turn; it is retried later")
    elif isinstance(exc, Os1Error):
        log.warning("background work failed: %s", exc.code)
    elif exc is not None:
        log.error("background work crashed", exc_info=exc)


def _exchange(message: Message) -> Exchange:
    return Exchange(message.role, message.content, message.status, message.created_at)


def dumps_event(event: TurnEvent) -> str:
    """One event as one line of JSON (for ``--json`` doors)."""
    return json.dumps(event.to_dict(), ensure_ascii=False)
