"""The state a fleet of ``os1 serve`` workers shares, kept in Redis (``redis_url``): the
live count, each person's rate buckets, the turn gate with its line, each person's turn
order, and the news of finished turns for the person's sockets on other workers
(``news.py``).

One process keeps these in memory (``limits.py``, ``presence.py``); workers that share a
store must share them too, or each would let a person take the whole rate, run its own
``max_active_turns`` against one model server, and count only its own conversations.
Every decision is one Lua script run atomically by Redis on Redis's own clock
(``TIME``), so workers on machines whose clocks disagree still agree, and nothing is
read, decided and written back in separate steps that another worker could slip between.

What a dead worker held ends by itself: a turn's place among the active ones is a lease
its worker renews every ``LEASE / 3`` seconds, a place in line is dropped once its
waiter stops asking for ``LINE_TTL`` seconds, and a worker's share of the live count
is forgotten ``STALE`` seconds after its last beat. A freed place is announced on a
channel with its line's key, and each worker counts the announcements: a waiter at
place p looks again once p places have been freed (and now and then regardless), so a
long line costs Redis about one look per freed place, not one per waiter.

Keys live under ``os1:``; give each deployment its own Redis database
(``redis://host:6379/N``).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import json
import logging
import math
import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from os1.errors import ConfigError
from os1.server.limits import OWN_WAITING, WaitFn, rate_refusal, too_many_own
from os1.server.problems import HttpProblem

log = logging.getLogger(__name__)

LEASE = 10.0  # seconds a running turn's place outlives its worker
LINE_TTL = 8.0  # seconds a place in line outlives a waiter that stopped asking
POLL = 0.5  # seconds between unprompted looks at the line, per place from its front...
MOST_BETWEEN_LOOKS = 3.0  # ...up to this: a waiter far back looks seldom (under LINE_TTL)
BEAT = 2.0  # seconds between a worker's reports of its live conversations
STALE = 10.0  # seconds after which a silent worker's conversations no longer count
FREED = "os1:gate:freed"
NEWS = "os1:news"  # finished turns, for the person's sockets on other workers (news.py)

# KEYS: bucket hash. ARGV: rate per second, burst, cost (1 to take, -1 to give back).
# Returns {1 or 0 (taken or refused), tokens left as a string}.
_BUCKET = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local rate, burst, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local held = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
if cost < 0 and not held[1] then return {1, tostring(burst)} end
local tokens = tonumber(held[1]) or burst
local stamp = tonumber(held[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - stamp) * rate)
if cost > 0 and tokens < cost then return {0, tostring(tokens)} end
tokens = math.min(burst, tokens - cost)
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {1, tostring(tokens)}
"""

# KEYS: line (zset ticket -> order), active (zset ticket -> lease end), heard (zset
# ticket -> when a waiter is given up), order (counter). ARGV: ticket, limit, max
# waiting, lease, line ttl, mode ('join' or 'look').
# Returns 0 when the ticket now holds an active place, n > 0 for its place in line,
# -1 when the line is full (join) and -2 when the ticket was dropped from it (look).
_GATE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local me, limit, most = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local lease, ttl, mode = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
for _, gone in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)) do
  redis.call('ZREM', KEYS[1], gone)
  redis.call('ZREM', KEYS[3], gone)
end
local free = limit - redis.call('ZCARD', KEYS[2])
if mode == 'join' then
  if free > 0 and redis.call('ZCARD', KEYS[1]) == 0 then
    redis.call('ZADD', KEYS[2], now + lease, me)
    return 0
  end
  if redis.call('ZCARD', KEYS[1]) >= most then return -1 end
  redis.call('ZADD', KEYS[1], redis.call('INCR', KEYS[4]), me)
  redis.call('EXPIRE', KEYS[4], 86400)  -- a person's counter goes a day after their last
end
local rank = redis.call('ZRANK', KEYS[1], me)
if not rank then return -2 end
if rank < free then
  redis.call('ZREM', KEYS[1], me)
  redis.call('ZREM', KEYS[3], me)
  redis.call('ZADD', KEYS[2], now + lease, me)
  return 0
end
redis.call('ZADD', KEYS[3], now + ttl, me)
return rank - math.max(free, 0) + 1
"""

# KEYS: active. ARGV: ticket, lease. Returns 1 while the ticket still holds its place.
_RENEW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
return 1
"""

# KEYS: presence hash. ARGV: worker, its conversations, stale seconds. Writes this
# worker's count, forgets silent workers, returns the others' counts summed.
_BEAT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ' ' .. tostring(now))
local others = 0
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local count, at = string.match(all[i + 1], '(%d+) ([%d.]+)')
  if not at or now - tonumber(at) > tonumber(ARGV[3]) then
    redis.call('HDEL', KEYS[1], all[i])
  elseif all[i] ~= ARGV[1] then
    others = others + tonumber(count)
  end
end
return others
"""


class Counting(Protocol):
    """A worker's live count (``os1.presence.Presence``): its own, and the others'."""

    elsewhere: int

    def count_here(self) -> int: ...


async def _done(call: Any) -> Any:
    """The answer of a Redis command: redis-py types its asyncio commands as
    ``Awaitable[T] | T``, which mypy will not await."""
    return await call


def worker_name() -> str:
    """This worker's name in the shared state: host, process, and a random part (a pid
    is reused after a restart)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _unreachable(url: str, exc: Exception) -> ConfigError:
    return ConfigError(
        "redis_unreachable",
        f"Cannot reach Redis at {_shown(url)}: {exc}.",
        "Start Redis there, or remove redis_url from the configuration to keep this"
        " server's state in its own process.",
    )


def _shown(url: str) -> str:
    """The URL without its password, for messages and logs."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.rsplit("@", 1)[1]
    return scheme + sep + rest


def _busy_refusal() -> HttpProblem:
    return HttpProblem(
        503,
        "busy",
        "The companion is answering as many people as it can and the line is full; it"
        " cannot take another turn right now.",
        "Try again in a few seconds.",
        {"Retry-After": "5"},
    )


def _state_lost(exc: Exception) -> HttpProblem:
    log.warning("shared state unreachable: %s", exc)
    return HttpProblem(
        503,
        "state_unreachable",
        "The server cannot reach the state it shares with its other workers.",
        "Try again in a few seconds; if it lasts, the server's Redis needs looking at.",
        {"Retry-After": "5"},
    )


class Fleet:
    """One worker's link to the shared state: its connection, its name, and the
    background work that keeps its share of it fresh (``running``)."""

    def __init__(self, url: str, name: str | None = None) -> None:
        self.url = url
        self.name = name or worker_name()
        self.redis: aioredis.Redis = aioredis.from_url(
            url, socket_connect_timeout=5, socket_timeout=10, health_check_interval=30
        )
        # places freed in each line watched here (announced on FREED with the line's key),
        # and the waiters to wake once a count is reached (a heap by that count)
        self._frees: dict[str, int] = {}
        self._watchers: dict[str, int] = {}
        self._wake: dict[str, list[tuple[int, int, asyncio.Future[None]]]] = {}
        self._order = itertools.count()
        # hands another worker's turn news to this one's sockets (``Newsroom.hear``)
        self.on_news: Callable[[int, str, dict[str, Any]], None] | None = None

    async def check(self) -> None:
        """Raises: ConfigError: Redis cannot be reached (with what to do about it)."""
        try:
            await _done(self.redis.ping())
        except (RedisError, OSError) as exc:
            raise _unreachable(self.url, exc) from exc

    @asynccontextmanager
    async def running(self, presence: Counting) -> AsyncIterator[Fleet]:
        """Check the connection, then keep this worker's live count reported and the
        others' read into ``presence`` and listen for freed places, until the block ends."""
        await self.check()
        tasks = [
            asyncio.create_task(self._beating(presence)),
            asyncio.create_task(self._listening()),
        ]
        try:
            yield self
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            with contextlib.suppress(RedisError, OSError):
                await _done(self.redis.hdel("os1:presence", self.name))  # count it no more
            await self.redis.aclose()

    async def beat(self, presence: Counting) -> None:
        """Report this worker's conversations and read the others' into ``presence``."""
        others = await _done(
            self.redis.eval(_BEAT, 1, "os1:presence", self.name, presence.count_here(), STALE)
        )
        presence.elsewhere = int(others)

    async def _beating(self, presence: Counting) -> None:
        while True:
            try:
                await self.beat(presence)
            except (RedisError, OSError) as exc:
                log.warning("could not report live conversations: %s", exc)
            await asyncio.sleep(BEAT)

    async def _listening(self) -> None:
        # a connection of its own, without the commands' read timeout: the channel may
        # be quiet for hours (keepalive notices a dead peer instead)
        listener = aioredis.from_url(self.url, socket_connect_timeout=5, socket_keepalive=True)
        try:
            while True:
                try:
                    async with listener.pubsub() as channel:
                        await channel.subscribe(FREED, NEWS)
                        async for message in channel.listen():
                            if message.get("type") != "message":
                                continue
                            if message.get("channel") == NEWS.encode():
                                self._heard(message.get("data"))
                            else:
                                self._announced(message.get("data"))
                except (RedisError, OSError) as exc:
                    log.warning("lost the shared gate's channel, listening again: %s", exc)
                    await asyncio.sleep(1.0)
        finally:
            await listener.aclose()

    async def publish_news(self, account_id: int, origin: str, news: dict[str, Any]) -> None:
        """Tell the other workers of a turn of ``account_id`` that came from ``origin``."""
        told = {"worker": self.name, "account": account_id, "origin": origin, "news": news}
        await _done(self.redis.publish(NEWS, json.dumps(told, ensure_ascii=False)))

    def _heard(self, data: object) -> None:
        """Another worker's news, handed to this one's sockets; this worker's own (told
        here already) and anything malformed are let pass."""
        try:
            told = json.loads(data) if isinstance(data, (bytes, str)) else None
        except ValueError:
            told = None
        if not isinstance(told, dict) or told.get("worker") == self.name:
            return
        account, origin, news = told.get("account"), told.get("origin"), told.get("news")
        if self.on_news is None or not isinstance(account, int) or not isinstance(news, dict):
            return
        self.on_news(account, origin if isinstance(origin, str) else "", news)

    @contextlib.contextmanager
    def watching(self, line: str) -> Iterator[None]:
        """Count the places freed in ``line`` while the block runs (``frees``)."""
        self._watchers[line] = self._watchers.get(line, 0) + 1
        self._frees.setdefault(line, 0)
        try:
            yield
        finally:
            self._watchers[line] -= 1
            if not self._watchers[line]:
                del self._watchers[line], self._frees[line]
                for _, _, waker in self._wake.pop(line, []):
                    waker.cancel()

    def frees(self, line: str) -> int:
        """Places freed in a watched ``line`` so far, by any worker. Read it before
        looking at the line, so that a place freed between the look and the wait counts."""
        return self._frees.get(line, 0)

    def after_frees(self, line: str, count: int) -> asyncio.Future[None]:
        """Done once ``frees(line)`` reaches ``count``. Only the waiters a freed place can
        have moved to the front are woken, not the whole line: with a thousand waiting,
        waking all at each freed place cost more than the turns (``bench/scale.py``)."""
        waker: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.frees(line) >= count:
            waker.set_result(None)
            return waker
        heap = self._wake.setdefault(line, [])
        if len(heap) > 64 and sum(w.done() for _, _, w in heap) > len(heap) // 2:
            heap[:] = [entry for entry in heap if not entry[2].done()]  # given-up waits
            heapq.heapify(heap)
        heapq.heappush(heap, (count, next(self._order), waker))
        return waker

    def _announced(self, data: object) -> None:
        line = data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data)
        if line not in self._frees:
            return  # nobody here waits in that line
        count = self._frees[line] = self._frees[line] + 1
        heap = self._wake.get(line, [])
        while heap and heap[0][0] <= count:
            _, _, waker = heapq.heappop(heap)
            if not waker.done():
                waker.set_result(None)

    async def eval(self, script: str, keys: Sequence[str], *args: Any) -> Any:
        """Run ``script``; a lost connection is a 503 the person can retry."""
        try:
            return await _done(self.redis.eval(script, len(keys), *keys, *args))
        except (RedisError, OSError) as exc:
            raise _state_lost(exc) from exc


async def check_redis(url: str) -> None:
    """Raises: ConfigError: Redis at ``url`` cannot be reached."""
    fleet = Fleet(url)
    try:
        await fleet.check()
    finally:
        await fleet.redis.aclose()


class FleetBuckets:
    """``limits.TokenBuckets`` shared by every worker: ``per_minute`` events per key."""

    def __init__(self, fleet: Fleet, name: str, per_minute: int, burst: int | None = None) -> None:
        self.fleet = fleet
        self.prefix = f"os1:rate:{name}:"
        self.rate = per_minute / 60.0
        self.burst = float(burst or max(1, per_minute // 2))

    async def take(self, key: str, what: str) -> None:
        """Raises: HttpProblem: 429 with how long to wait; 503 if Redis is gone."""
        taken, left = await self.fleet.eval(_BUCKET, [self.prefix + key], self.rate, self.burst, 1)
        if not int(taken):
            raise rate_refusal(what, math.ceil((1.0 - float(left)) / self.rate))

    async def give_back(self, key: str) -> None:
        await self.fleet.eval(_BUCKET, [self.prefix + key], self.rate, self.burst, -1)


class FleetGate:
    """``limits.TurnGate`` across workers: at most ``active`` turns at once in the whole
    fleet, at most ``waiting`` in one line, first come first served, each waiter told
    its place."""

    def __init__(
        self,
        fleet: Fleet,
        active: int,
        waiting: int,
        lease: float = LEASE,
        *,
        prefix: str = "os1:gate:",
        refusal: Callable[[], HttpProblem] = _busy_refusal,
    ) -> None:
        self.fleet = fleet
        self.limit = active
        self.max_waiting = waiting
        self.lease = lease
        self.keys = tuple(prefix + key for key in ("line", "active", "heard", "order"))
        self.refusal = refusal

    @asynccontextmanager
    async def slot(self, on_wait: WaitFn | None = None) -> AsyncIterator[None]:
        """Hold one of the fleet's active places for the block (``TurnGate.slot``).

        Raises:
            HttpProblem: 503 when the line is full or Redis cannot be reached.
        """
        ticket = f"{self.fleet.name}:{uuid.uuid4().hex[:12]}"
        try:
            await self._wait(ticket, on_wait)
            keeper = asyncio.create_task(self._keep(ticket))
        except BaseException:
            await self._leave(ticket)  # given up in line, or granted just as it gave up
            raise
        try:
            yield
        finally:
            keeper.cancel()
            await asyncio.gather(keeper, return_exceptions=True)
            await self._leave(ticket)

    async def _wait(self, ticket: str, on_wait: WaitFn | None) -> None:
        line = self.keys[0]
        with self.fleet.watching(line):
            seen = self.fleet.frees(line)
            place = await self._look(ticket, "join")
            if place == -1:
                raise self.refusal()
            told = 0
            while place != 0:
                if place == -2:  # dropped for silence (a stall of seconds): join again
                    seen = self.fleet.frees(line)
                    place = await self._look(ticket, "join")
                    if place == -1:
                        raise self.refusal()
                    continue
                if on_wait is not None and place != told:
                    told = place
                    await on_wait(place)
                # the front comes no sooner than `place` freed places later (each turn
                # that ends and each waiter who leaves is announced); a lease that lapses
                # is not, so a waiter also looks now and then, the nearer the more often
                woken = self.fleet.after_frees(line, seen + place)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(min(MOST_BETWEEN_LOOKS, POLL * place)):
                        await woken  # not wait_for: 3.11's turns a cancel into a timeout
                woken.cancel()
                seen = self.fleet.frees(line)
                place = await self._look(ticket, "look")

    async def _look(self, ticket: str, mode: str) -> int:
        found = await self.fleet.eval(
            _GATE, self.keys, ticket, self.limit, self.max_waiting, self.lease, LINE_TTL, mode
        )
        return int(found)

    async def _keep(self, ticket: str) -> None:
        while True:
            await asyncio.sleep(self.lease / 3)
            try:
                if not int(
                    await _done(self.fleet.redis.eval(_RENEW, 1, self.keys[1], ticket, self.lease))
                ):
                    log.warning("a turn's place in the shared gate lapsed while it ran")
                    return
            except (RedisError, OSError) as exc:
                log.warning("could not renew a turn's place in the shared gate: %s", exc)

    async def _leave(self, ticket: str) -> None:
        redis = self.fleet.redis
        try:
            async with redis.pipeline(transaction=True) as pipe:
                for key in self.keys[:3]:
                    pipe.zrem(key, ticket)
                pipe.publish(FREED, self.keys[0])  # the line, for its waiters' counts
                await pipe.execute()
        except (RedisError, OSError) as exc:  # the lease frees it in LEASE seconds anyway
            log.warning("could not free a place in the shared gate: %s", exc)


class FleetTurnOrder:
    """``limits.TurnOrder`` across workers: one turn at a time per person, first come
    first served, whichever worker each came to; a person's line is a ``FleetGate`` of
    one under their own keys, so a dead worker's turn lets the next go after its lease."""

    def __init__(self, fleet: Fleet, waiting: int = OWN_WAITING) -> None:
        self.fleet = fleet
        self.waiting = waiting

    def slot(self, person: str, on_wait: WaitFn | None = None) -> AbstractAsyncContextManager[None]:
        """Raises: HttpProblem: 429 when the person's own line is full; 503 if Redis is
        gone."""
        gate = FleetGate(
            self.fleet, 1, self.waiting, prefix=f"os1:person:{person}:", refusal=too_many_own
        )
        return gate.slot(on_wait)
