"""Talks over HTTP: a person's companion talks with their persona over REST and keeps
the talk; another os1's companion joins through /v1 with the model ``talk``, the whole
talk in ``messages``, kept once per line on that side; an os1 at the command line talks
with a companion on a live server by its address and key; and what is not the caller's
(another person's companion, an address to reach, another's talk) is refused."""

from __future__ import annotations

from pathlib import Path

from serving import AppClient, LiveServer, settings_for
from test_personas_api import ESSAY

from conftest import collect
from os1.companion import Companion
from os1.core.talks import Line, TalkBegun
from os1.memory.facts import FactBook, NewFact
from os1.models.scripted import ScriptedLLM


def test_a_companion_talks_with_its_persons_persona_and_the_talk_is_kept(
    client: AppClient,
) -> None:
    ada, bob = client.person("ada"), client.person("bob")
    path = client.put("/api/files/walking.txt", content=ESSAY, headers=ada.headers).json()["path"]
    client.model.enqueue({"statements": []}, "I am a reconstruction of Ada Brook.")
    built = client.post("/api/personas", json={"name": "brook", "paths": [path]},
                        headers=ada.headers)  # fmt: skip
    assert built.status_code == 201, built.text
    client.model.enqueue("Hello! What does a river teach you?", "Patience, as I wrote [1].")
    body = {"first": "companion:ada", "second": "persona:brook", "turns": 2, "topic": "rivers"}
    talked = client.post("/api/talks", json=body, headers=ada.headers)
    assert talked.status_code == 201, talked.text
    talk = talked.json()
    assert [x["speaker"] for x in talk["lines"]] == ["companion:ada", "persona:brook"]
    assert talk["lines"][0]["text"] == "Hello! What does a river teach you?"
    cited = talk["lines"][1]["citations"]
    assert cited and "river teaches patience" in " ".join(cited[0]["text"].split())
    listed = client.get("/api/talks", headers=ada.headers).json()["talks"]
    assert [t["id"] for t in listed] == [talk["id"]] and listed[0]["topic"] == "rivers"
    assert client.get(f"/api/talks/{talk['id']}", headers=ada.headers).json() == talk

    # bob sees none of it, and may not make ada's companion (or an address) talk
    assert client.get(f"/api/talks/{talk['id']}", headers=bob.headers).status_code == 404
    assert client.get("/api/talks", headers=bob.headers).json() == {"talks": []}
    for second, code in (("companion:ada", "talk_not_yours"),
                         ("http://10.0.0.1:8765", "talk_remote_refused")):  # fmt: skip
        refused = client.post("/api/talks", json={"first": "companion:bob", "second": second},
                              headers=bob.headers)  # fmt: skip
        if second.startswith("companion"):
            refused = client.post("/api/talks", json={"first": second, "second": "companion:bob"},
                                  headers=bob.headers)  # fmt: skip
        assert refused.status_code == 403 and refused.json()["error"]["code"] == code
    for bad in ({"first": "companion:bob", "second": "companion:bob"},
                {"first": "companion:bob", "second": "persona:brook"},
                {"first": "bob", "second": "persona:x"},
                {"first": "companion:bob", "second": "persona:x", "turns": 0}):  # fmt: skip
        assert client.post("/api/talks", json=bad, headers=bob.headers).status_code in (404, 422)


def test_another_companion_talks_through_v1_and_each_line_is_kept_once(
    client: AppClient,
) -> None:
    ada = client.person("ada")
    client.model.enqueue("Hello Juno, I'm glad you came by.", "I like rivers too.")
    first = [{"role": "user", "content": "Hello, I'm Juno. Shall we talk about rivers?"}]
    got = client.post("/v1/chat/completions", headers=ada.headers,
                      json={"model": "talk", "messages": first, "user": "Juno"})  # fmt: skip
    assert got.status_code == 200, got.text
    said = got.json()["choices"][0]["message"]["content"]
    assert said == "Hello Juno, I'm glad you came by." and got.json()["model"] == "talk"
    more = [*first, {"role": "assistant", "content": said},
            {"role": "user", "content": "Do you like rivers?"}]  # fmt: skip
    again = client.post("/v1/chat/completions", headers=ada.headers,
                        json={"model": "talk", "messages": more, "user": "Juno"})  # fmt: skip
    assert again.status_code == 200, again.text
    talks = client.get("/api/talks", headers=ada.headers).json()["talks"]
    assert len(talks) == 1 and talks[0]["first"] == "Juno"
    assert [x["text"] for x in talks[0]["lines"]] == [
        first[0]["content"], said, "Do you like rivers?", "I like rivers too."
    ]  # fmt: skip
    # nothing the other side said is ada's: her conversation is untouched
    assert client.get("/api/history", headers=ada.headers).json() == []

    streamed = client.post("/v1/chat/completions", headers=ada.headers,
                           json={"model": "talk", "messages": first, "stream": True})  # fmt: skip
    assert streamed.status_code == 400
    ours_last = [*first, {"role": "assistant", "content": said}]
    nothing = client.post("/v1/chat/completions", headers=ada.headers,
                          json={"model": "talk", "messages": ours_last})  # fmt: skip
    assert nothing.status_code in (400, 422)


async def test_a_companion_here_talks_with_a_companion_on_another_os1(
    live_server: LiveServer, tmp_path: Path
) -> None:
    ben = live_server.person("ben")
    far = live_server.services.companion.llm
    assert isinstance(far, ScriptedLLM)
    far.enqueue("Hi Ana's companion! Ben swims, what does Ana like?")
    here = ScriptedLLM(["Hello from Ana's side!", "She loves sailing on the lake."])
    settings = settings_for(tmp_path / "here")
    companion = await Companion.start(settings, llm=here, local=True)
    try:
        book = FactBook(await companion.db.user("ana"))
        await book.add([NewFact("preference", "user", "hobby", "sailing", "Ana loves sailing")])
        items = await collect(
            companion.talks.run("ana", "companion:ana", live_server.url, lines=3, key=ben.key)
        )
        begun = items[0]
        assert isinstance(begun, TalkBegun) and begun.second.endswith(
            f"127.0.0.1:{live_server.settings.port}"
        )
        lines = [i for i in items if isinstance(i, Line)]
        assert [x.content for x in lines] == [
            "Hello from Ana's side!",
            "Hi Ana's companion! Ben swims, what does Ana like?",
            "She loves sailing on the lake.",
        ]
        kept = await companion.talks.show("ana", begun.kept["ana"])
        assert len(kept.lines) == 3
        # ben's side kept the talk with what it heard, once per line
        theirs = live_server.call(lambda: live_server.services.companion.talks.listed("ben"))
        assert [x.content for x in theirs[0].lines] == [x.content for x in lines[:2]]
        # a wrong key is a clear failure, not a hang
        failed = None
        try:
            await collect(companion.talks.run("ana", "persona:none", live_server.url))
        except Exception as exc:  # persona:none is not ana's: refused before any call
            failed = exc
        assert getattr(failed, "code", "") == "persona_unknown"
        try:
            await collect(
                companion.talks.run("ana", live_server.url, "companion:ana", lines=1, key="os1_x")
            )
        except Exception as exc:
            failed = exc
        assert getattr(failed, "code", "") == "talk_remote_failed" and "401" in str(failed)
    finally:
        await companion.aclose()
