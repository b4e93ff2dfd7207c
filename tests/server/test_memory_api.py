"""The memory, profile and timeline API, through the real app: each person reaches only
their own memories, and bad refs or parameters get clear 4xx answers."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

from serving import AppClient, Person

from os1.memory.archive import import_memory
from os1.memory.episodes import NewEpisode
from os1.memory.facts import FactBook, NewFact
from os1.memory.profile import SECTIONS
from os1.store import UserStore


def _store(client: AppClient, name: str) -> UserStore:
    store: UserStore = client.portal.call(  # type: ignore[union-attr]
        lambda: client.services.companion.db.user(name)
    )
    return store


def _remember(client: AppClient, name: str, *texts: str) -> list[int]:
    """Store ``texts`` as things ``name`` said; returns their episode ids."""
    store = _store(client, name)
    memory = client.services.companion.memory
    assert memory is not None
    stamp = time.time()
    episodes = [
        NewEpisode("user", text, stamp + n, "chat", f"test:{name}:{n}:{text}")
        for n, text in enumerate(texts)
    ]
    client.portal.call(lambda: memory.record(store, episodes))  # type: ignore[union-attr]
    found = client.portal.call(  # type: ignore[union-attr]
        lambda: memory.episodes(store).recent(len(texts))
    )
    return [e.id for e in sorted(found, key=lambda e: e.time)]


def _learn(client: AppClient, name: str, *facts: NewFact) -> list[int]:
    store = _store(client, name)
    ids: list[int] = client.portal.call(lambda: FactBook(store).add(list(facts)))  # type: ignore[union-attr]
    return ids


def _search(client: AppClient, who: Person, q: str) -> list[dict[str, Any]]:
    answer = client.get("/api/memories", params={"q": q}, headers=who.headers)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def test_each_person_sees_and_changes_only_their_own(client: AppClient) -> None:
    ada, bob = client.person("ada"), client.person("bob")
    (ada_ep,) = _remember(client, "ada", "My sister Ottoline moved to Lisbon in May")
    (bob_ep,) = _remember(client, "bob", "I keep bees on a roof in Lisbon")
    assert [i["text"] for i in _search(client, ada, "Lisbon")] == [
        "My sister Ottoline moved to Lisbon in May"
    ]
    assert [i["ref"] for i in _search(client, bob, "Lisbon")] == [f"episode:{bob_ep}"]
    listed = client.get("/api/memories", headers=bob.headers).json()["items"]
    assert [i["ref"] for i in listed] == [f"episode:{bob_ep}"]

    missing = client.get("/api/memories/episode:987654", headers=ada.headers)
    for answer in (
        client.get(f"/api/memories/episode:{bob_ep}", headers=ada.headers),
        client.patch(f"/api/memories/episode:{bob_ep}", json={"text": "x"}, headers=ada.headers),
        client.delete(f"/api/memories/episode:{bob_ep}", headers=ada.headers),
    ):
        assert answer.status_code == 404 == missing.status_code
        assert answer.json()["error"]["code"] == missing.json()["error"]["code"]
    mine = client.get(f"/api/memories/episode:{bob_ep}", headers=bob.headers).json()
    assert mine["text"] == "I keep bees on a roof in Lisbon"  # untouched by ada's tries
    exported = client.get("/api/memories/export", headers=ada.headers).text
    assert "Ottoline" in exported and "bees" not in exported
    assert client.get(f"/api/memories/episode:{ada_ep}", headers=ada.headers).status_code == 200
    assert client.get("/api/memories").status_code == 401


def test_a_fact_shows_its_evidence_and_can_be_corrected(client: AppClient) -> None:
    ada = client.person("ada")
    said = _remember(client, "ada", "I work as a nurse at the harbour clinic")
    (fact,) = _learn(
        client,
        "ada",
        NewFact("person", "user", "job", "nurse", "Ada is a nurse.", episode_ids=(said[0],)),
    )
    got = client.get(f"/api/memories/fact:{fact}", headers=ada.headers).json()
    assert got["ref"] == f"fact:{fact}" and got["kind"] == "fact" and got["speaker"] is None
    assert got["text"] == "Ada is a nurse." and 0 < got["confidence"] < 1
    assert got["source"] == "chat"
    assert [(s["ref"], s["text"]) for s in got["sources"]] == [
        (f"episode:{said[0]}", "I work as a nurse at the harbour clinic")
    ]
    fixed = client.patch(
        f"/api/memories/fact:{fact}", json={"text": "Ada is a midwife."}, headers=ada.headers
    )
    assert fixed.status_code == 200
    assert fixed.json()["text"] == "Ada is a midwife." and fixed.json()["confidence"] == 1.0
    assert f"fact:{fact}" in [i["ref"] for i in _search(client, ada, "midwife")]
    assert "Ada is a nurse." not in [i["text"] for i in _search(client, ada, "nurse")]
    episode = client.get(f"/api/memories/episode:{said[0]}", headers=ada.headers).json()
    assert episode["sources"] == [] and episode["confidence"] is None
    assert episode["speaker"] == "user" and episode["source"] == "chat"


def test_forgetting_removes_it_everywhere(client: AppClient) -> None:
    ada = client.person("ada")
    old, keep = _remember(client, "ada", "My old address was 12 Rua Augusta", "I love figs")
    (fact,) = _learn(
        client,
        "ada",
        NewFact("person", "user", "address", "12 Rua Augusta", "Ada lived at 12 Rua Augusta.",
                episode_ids=(old,)),
    )  # fmt: skip
    assert len(_search(client, ada, "Augusta")) == 2
    assert client.delete(f"/api/memories/episode:{old}", headers=ada.headers).status_code == 204
    assert _search(client, ada, "Augusta") == []  # the fact resting on it went too
    assert client.get(f"/api/memories/fact:{fact}", headers=ada.headers).status_code == 404
    assert client.delete(f"/api/memories/episode:{old}", headers=ada.headers).status_code == 404
    assert [i["ref"] for i in _search(client, ada, "figs")] == [f"episode:{keep}"]


def test_newest_first_facts_then_episodes_within_k(client: AppClient) -> None:
    ada = client.person("ada")
    said = _remember(client, "ada", "one", "two", "three")
    facts = _learn(
        client,
        "ada",
        NewFact("preference", "user", "likes", "tea", "Ada likes tea."),
        NewFact("preference", "user", "likes", "rain", "Ada likes rain."),
    )
    items = client.get("/api/memories", params={"k": 4}, headers=ada.headers).json()["items"]
    assert [i["ref"] for i in items] == [
        f"fact:{facts[1]}",
        f"fact:{facts[0]}",
        f"episode:{said[2]}",
        f"episode:{said[1]}",
    ]


def test_export_is_an_archive_that_imports(client: AppClient) -> None:
    ada = client.person("ada")
    said = _remember(client, "ada", "Ottoline has a terrier called Biscuit")
    _learn(
        client,
        "ada",
        NewFact("relation", "Ottoline", "dog", "Biscuit", "Ottoline's dog is Biscuit.",
                episode_ids=(said[0],)),
    )  # fmt: skip
    answer = client.get("/api/memories/export", headers=ada.headers)
    assert answer.status_code == 200
    assert answer.headers["content-disposition"] == 'attachment; filename="os1-memory-ada.jsonl"'
    lines = answer.text.splitlines()
    rows = [json.loads(line) for line in lines]
    assert rows[0]["format"] == "os1-memory" and rows[0]["user"] == "ada"
    assert {r.get("type") for r in rows[1:]} == {"episode", "fact"}
    carol = client.person("carol")
    into = _store(client, "carol")
    report = client.portal.call(lambda: import_memory(into, lines))  # type: ignore[union-attr]
    assert report.problems == [] and (report.episodes, report.facts) == (1, 1)
    found = _search(client, carol, "Biscuit")
    assert sorted(i["kind"] for i in found) == ["episode", "fact"]
    fact = next(i for i in found if i["kind"] == "fact")
    assert [s["text"] for s in fact["sources"]] == ["Ottoline has a terrier called Biscuit"]


def test_profile_shape(client: AppClient) -> None:
    ada = client.person("ada")
    said = _remember(client, "ada", "I live in Porto; my sister Ottoline loves sailing")
    _learn(
        client,
        "ada",
        NewFact("person", "user", "lives_in", "Porto", "Ada lives in Porto.",
                episode_ids=(said[0],)),
        NewFact("preference", "Ottoline", "likes", "sailing", "Loves sailing.",
                episode_ids=(said[0],)),
    )  # fmt: skip
    profile = client.get("/api/profile", headers=ada.headers).json()
    assert profile["person"] == "ada"
    assert [s["key"] for s in profile["sections"]] == [key for key, _, _ in SECTIONS]
    by_key = {s["key"]: s for s in profile["sections"]}
    assert by_key["who"]["title"] == "Who they are"
    (line,) = by_key["who"]["lines"]
    assert line["text"] == "Ada lives in Porto." and line["source_episode_ids"] == said
    assert isinstance(line["fact_id"], int) and line["valid_at"] is None
    assert [x["text"] for x in by_key["people"]["lines"]] == ["Ottoline: Loves sailing."]
    empty = client.get("/api/profile", headers=client.person("bob").headers).json()
    assert all(s["lines"] == [] for s in empty["sections"])


def test_timeline_days_mood_and_closeness(client: AppClient) -> None:
    ada, bob = client.person("ada"), client.person("bob")
    happy = "I'm so happy today, we won and everything is wonderful!"
    sad = "I feel so sad and lonely, I miss my mom."
    client.say_over_ws(ada, happy, sad)
    store = _store(client, "ada")
    client.portal.call(  # type: ignore[union-attr]
        lambda: store.transaction(
            lambda db: db.execute(
                "UPDATE messages SET created_at = created_at - :shift"
                " WHERE user_id = :user_id AND role = 'user' AND content = :text",
                {"shift": 3 * 86400, "text": happy},
            )
        )
    )
    answer = client.get("/api/timeline", params={"days": 7}, headers=ada.headers)
    assert answer.status_code == 200
    days = answer.json()["days"]
    today = dt.date.today()
    assert [d["date"] for d in days] == [
        (today - dt.timedelta(days=n)).isoformat() for n in range(6, -1, -1)
    ]
    assert [d["messages"] for d in days] == [0, 0, 0, 1, 0, 0, 1]
    glad, sorrow = days[3], days[6]
    # the GoEmotions feelings of each day, with the words that drove them
    assert glad["mood"] > 0.3 and glad["mood_label"] in {"joy", "excitement"}
    assert sorrow["mood"] < -0.3 and sorrow["mood_label"] == "sadness"
    assert "sadness" in [f["label"] for f in sorrow["feelings"]]
    assert {"sad", "miss", "lonely"} & {w for ws in sorrow["words"] for w in ws.split()}
    assert all(d["mood"] is None and d["mood_label"] is None for d in days if not d["messages"])
    closeness = [d["closeness"] for d in days]
    assert closeness[:3] == [0.0, 0.0, 0.0] and all(0 <= c <= 1 for c in closeness)
    assert closeness[3] > closeness[4] > closeness[5] and closeness[6] > closeness[5]
    # both messages confide something, so trust grows on each day she talked, and
    # silence leaves it where it was
    trust = [d["trust"] for d in days]
    assert trust[:3] == [0.0, 0.0, 0.0] and 0 < trust[3] == trust[5] < trust[6] < 1
    relationship = answer.json()["relationship"]
    assert relationship["messages"] == 2 and relationship["conversations"] == 1
    assert relationship["days_known"] == 4 and relationship["first_met"] < time.time() - 2 * 86400
    assert relationship["closeness"] == closeness[6] and relationship["trust"] == trust[6]
    assert relationship["known"] == days[6]["known"] >= 0
    theirs = client.get("/api/timeline", headers=bob.headers).json()
    assert len(theirs["days"]) == 30 and all(d["messages"] == 0 for d in theirs["days"])
    assert theirs["relationship"] == {
        "first_met": None,
        "days_known": 0,
        "conversations": 0,
        "messages": 0,
        "closeness": 0.0,
        "trust": 0.0,
        "known": 0,
    }


def test_bad_refs_and_parameters_get_clear_4xx(client: AppClient) -> None:
    ada = client.person("ada")
    (said,) = _remember(client, "ada", "something to keep")
    for ref in ("fact:abc", "nope:1", "fact:-1", "fact:" + "9" * 30, "fact:9999999999999999999",
                "episode:1.5", "fact:١٢", "export2"):  # fmt: skip
        for answer in (
            client.get(f"/api/memories/{ref}", headers=ada.headers),
            client.patch(f"/api/memories/{ref}", json={"text": "x"}, headers=ada.headers),
            client.delete(f"/api/memories/{ref}", headers=ada.headers),
        ):
            assert answer.status_code == 422, (ref, answer.text)
            error = answer.json()["error"]
            assert error["code"] == "memory_ref_invalid" and "fact:12" in error["hint"]
    for params in ({"k": 0}, {"k": 101}, {"k": "many"}, {"q": "x" * 1001}):
        assert client.get("/api/memories", params=params, headers=ada.headers).status_code == 422
    for params in ({"days": 0}, {"days": 366}, {"days": "week"}):
        assert client.get("/api/timeline", params=params, headers=ada.headers).status_code == 422
    ref = f"/api/memories/episode:{said}"
    for body in ({"text": ""}, {"text": "   "}, {"text": "x" * 4001}, {"text": 5}, {},
                 {"text": "ok", "extra": 1}):  # fmt: skip
        answer = client.patch(ref, json=body, headers=ada.headers)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["error"]["message"]
    assert client.get(ref, headers=ada.headers).json()["text"] == "something to keep"
    assert client.get("/api/memories/fact:0", headers=ada.headers).status_code == 404


def test_ask_answers_from_ones_own_memories_with_what_it_rests_on(client: AppClient) -> None:
    ada, bob = client.person("ada"), client.person("bob")
    (said,) = _remember(client, "ada", "My sister Ottoline moved to Lisbon in May")
    _remember(client, "bob", "My sister Ottoline moved to Oslo in June")
    client.model.enqueue({"answer": "Lisbon.", "sources": [1]})
    got = client.post(
        "/api/memories/ask", json={"question": "Where did Ottoline move?"}, headers=ada.headers
    )
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["answer"] == "Lisbon." and body["known"] is True
    assert [m["ref"] for m in body["cited"]] == [f"episode:{said}"]
    assert all("Oslo" not in m["text"] for m in body["hits"])  # never another's memories
    shown = client.model.requests[-1].messages[-1].content
    assert "Lisbon" in shown and "Oslo" not in shown

    nothing = client.post("/api/memories/ask", json={"question": "zebra?"}, headers=bob.headers)
    assert nothing.json()["known"] is False and nothing.json()["answer"] == "I don't know."

    for bad in ({"question": ""}, {"question": "x" * 2001}, {"question": "hi", "k": 0}, {}):
        refused = client.post("/api/memories/ask", json=bad, headers=ada.headers)
        assert refused.status_code == 422 and refused.json()["error"]["message"], bad
    assert client.post("/api/memories/ask", json={"question": "hi"}).status_code == 401
