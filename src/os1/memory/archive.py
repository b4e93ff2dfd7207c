"""The portable memory archive: one JSON object a line, everything a person's memory holds.

Format ``os1-memory`` version 1 (documented in the README):

- line 1, the header: ``{"format": "os1-memory", "version": 1, "user", "exported_at"}``
- ``{"type": "episode", "source", "source_id", "session", "speaker", "text", "time",
  "importance"}``, times in ISO 8601 with offset;
- ``{"type": "fact", "ref", "kind", "subject", "attribute", "value", "text", "valid_at",
  "confidence", "importance", "superseded_by" (a ref or null), "sources": [[source,
  source_id], ...]}``.

Episodes are identified by ``(source, source_id)`` and facts point at them that way, so an
archive imports into any store, and importing it twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from os1.store import UserStore
from os1.store.user import Scoped

FORMAT, VERSION = "os1-memory", 1


def iso_time(stamp: float | None) -> str | None:
    """A POSIX time as ISO 8601 with the local offset (None stays None)."""
    if stamp is None:
        return None
    return dt.datetime.fromtimestamp(stamp, dt.UTC).astimezone().isoformat()


def _stamp(value: str | None) -> float | None:
    if value is None:
        return None
    when = dt.datetime.fromisoformat(value)
    return (when if when.tzinfo else when.astimezone()).timestamp()


def export_lines(db: Scoped, user: str) -> Iterator[dict[str, Any]]:
    yield {"format": FORMAT, "version": VERSION, "user": user, "exported_at": iso_time(time.time())}
    for r in db.execute(
        "SELECT source, source_id, session, speaker, text, time, importance FROM episodes"
        " WHERE user_id = :user_id ORDER BY time, id"
    ):
        yield {
            "type": "episode",
            "source": r[0],
            "source_id": r[1],
            "session": r[2],
            "speaker": r[3],
            "text": r[4],
            "time": iso_time(r[5]),
            "importance": r[6],
        }
    sources: dict[int, list[list[str]]] = {}
    for r in db.execute(
        "SELECT s.fact_id, e.source, e.source_id FROM fact_sources s"
        " JOIN episodes e ON e.id = s.episode_id WHERE e.user_id = :user_id ORDER BY e.id"
    ):
        sources.setdefault(int(r[0]), []).append([r[1], r[2]])
    for r in db.execute(
        "SELECT id, kind, subject, attribute, value, text, valid_at, confidence, importance,"
        " superseded_by FROM facts WHERE user_id = :user_id ORDER BY id"
    ):
        yield {"type": "fact", "ref": f"f{r[0]}", "kind": r[1], "subject": r[2],
               "attribute": r[3], "value": r[4], "text": r[5], "valid_at": iso_time(r[6]),
               "confidence": r[7], "importance": r[8],
               "superseded_by": f"f{r[9]}" if r[9] else None,
               "sources": sources.get(int(r[0]), [])}  # fmt: skip


async def export_memory(store: UserStore) -> list[str]:
    """The archive as lines of JSON text."""
    rows = await store.read(lambda db: list(export_lines(db, store.user.name)))
    return [json.dumps(row, ensure_ascii=False) for row in rows]


@dataclass
class RestoreReport:
    episodes: int = 0
    facts: int = 0
    skipped: int = 0
    problems: list[str] = field(default_factory=list)


def _restore(db: Scoped, lines: list[tuple[int, dict[str, Any]]], report: RestoreReport) -> None:
    now = time.time()
    for _, row in lines:
        if row.get("type") != "episode":
            continue
        found = db.execute(
            "INSERT OR IGNORE INTO episodes (user_id, source, source_id, session, speaker, text,"
            " time, created_at, importance) VALUES (:user_id, :source, :source_id, :session,"
            " :speaker, :text, :time, :now, :importance) RETURNING id",
            {"source": row["source"], "source_id": row["source_id"],
             "session": row.get("session") or "",
             "speaker": row["speaker"], "text": row["text"], "time": _stamp(row["time"]),
             "now": now, "importance": row.get("importance", 0.5)},
        )  # fmt: skip
        report.episodes += len(found)
    refs: dict[str, int] = {}
    pending_links: list[tuple[int, str]] = []
    for _, row in lines:
        if row.get("type") != "fact":
            continue
        episode_ids = []
        for source, source_id in row.get("sources", []):
            hit = db.execute(
                "SELECT id FROM episodes WHERE user_id = :user_id AND source = :s"
                " AND source_id = :i",
                {"s": source, "i": source_id},
            )
            episode_ids += [int(hit[0][0])] if hit else []
        same = db.execute(
            "SELECT id FROM facts WHERE user_id = :user_id AND subject = :s AND attribute = :a"
            " AND value = :v AND text = :t",
            {"s": row["subject"], "a": row["attribute"], "v": row["value"], "t": row["text"]},
        )
        if same:
            refs[row["ref"]] = int(same[0][0])
            report.skipped += 1
            continue
        made = db.execute(
            "INSERT INTO facts (user_id, kind, subject, attribute, value, text, valid_at,"
            " confidence, importance, created_at, updated_at) VALUES (:user_id, :kind, :subject,"
            " :attribute, :value, :text, :valid_at, :confidence, :importance, :now, :now)"
            " RETURNING id",
            {"kind": row["kind"], "subject": row["subject"], "attribute": row["attribute"],
             "value": row["value"], "text": row["text"], "valid_at": _stamp(row.get("valid_at")),
             "confidence": row.get("confidence", 0.7), "importance": row.get("importance", 0.5),
             "now": now},
        )  # fmt: skip
        fact_id = int(made[0][0])
        refs[row["ref"]] = fact_id
        report.facts += 1
        db.executemany(
            "INSERT OR IGNORE INTO fact_sources (fact_id, episode_id, user_id)"
            " VALUES (:f, :e, :user_id)",
            [{"f": fact_id, "e": e} for e in episode_ids],
        )
        if row.get("superseded_by"):
            pending_links.append((fact_id, row["superseded_by"]))
    for fact_id, ref in pending_links:
        if ref in refs:
            db.execute(
                "UPDATE facts SET superseded_by = :by WHERE user_id = :user_id AND id = :id",
                {"by": refs[ref], "id": fact_id},
            )


_NEEDED = {
    "episode": ("source", "source_id", "speaker", "text", "time"),
    "fact": ("ref", "kind", "subject", "attribute", "value", "text"),
}


def parse_archive(text_lines: list[str], report: RestoreReport) -> list[tuple[int, dict[str, Any]]]:
    """Check the header and each line; bad lines are reported by number and left out."""
    rows: list[tuple[int, dict[str, Any]]] = []
    for number, raw in enumerate(text_lines, start=1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
            if not isinstance(row, dict):
                raise ValueError("not a JSON object")
            if number == 1:
                if row.get("format") != FORMAT or row.get("version") != VERSION:
                    raise ValueError(f"not an {FORMAT} v{VERSION} archive")
                continue
            kind = row["type"]
            needed = _NEEDED.get(kind)
            if needed is None:
                raise ValueError(f"unknown type {kind!r}")
            missing = [key for key in needed if not isinstance(row.get(key), str)]
            if missing:
                raise ValueError(f"{kind} without text field(s) {', '.join(missing)}")
            if kind == "episode":
                _stamp(row["time"])
        except (ValueError, KeyError, TypeError) as exc:
            if number == 1:
                report.problems.append(f"line 1: {exc}")
                return []
            report.problems.append(f"line {number}: {exc}")
            continue
        rows.append((number, row))
    return rows


async def import_memory(store: UserStore, text_lines: list[str]) -> RestoreReport:
    """Restore an archive into ``store`` in one transaction (all or nothing)."""
    report = RestoreReport()
    rows = parse_archive(text_lines, report)
    if rows:
        await store.transaction(lambda db: _restore(db, rows, report))
    return report
