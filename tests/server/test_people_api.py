"""``/api/people``: introductions between two people of one server, each seeing only
what the other chose to share, opened only with both yeses, and bad requests refused."""

from __future__ import annotations

from serving import AppClient

from os1.memory.facts import FactBook, NewFact


def _likes(client: AppClient, name: str, *likes: str) -> None:
    companion = client.services.companion

    async def add() -> None:
        store = await companion.core.store(name)
        await FactBook(store).add(
            [NewFact("preference", "user", "likes", x, f"{name} likes {x}.") for x in likes]
        )

    client.portal.call(add)  # type: ignore[union-attr]


def test_two_people_are_introduced_only_when_both_say_yes(client: AppClient) -> None:
    ada, bob = client.person("ada"), client.person("bob")
    _likes(client, "ada", "birding", "tea")
    _likes(client, "bob", "birding")
    assert client.get("/api/people/introductions").status_code == 401
    off = client.get("/api/people/introduce-me", headers=ada.headers).json()
    assert off["on"] is False and off["card"]["name"] is None
    body = {"on": True, "fields": ["interests", "about"], "about": "New in town."}
    mine = client.put("/api/people/introduce-me", json=body, headers=ada.headers).json()
    assert mine["card"] == {"name": None, "city": None, "interests": ["birding", "tea"],
                            "about": "New in town.", "looking_for": None}  # fmt: skip
    client.put("/api/people/introduce-me", json={"on": True}, headers=bob.headers)
    (for_ada,) = client.get("/api/people/introductions", headers=ada.headers).json()[
        "introductions"
    ]
    assert for_ada["label"] == "bob" and for_ada["reasons"] == ["you both like birding"]
    (for_bob,) = client.get("/api/people/introductions", headers=bob.headers).json()[
        "introductions"
    ]
    assert for_bob["label"] == "someone who likes birding"  # she kept her name to herself
    url = f"/api/people/introductions/{for_ada['id']}"
    said = client.post(f"{url}/answer", json={"yes": True}, headers=ada.headers).json()
    assert said["answer"] == "yes" and said["opened"] is False
    early = client.post(f"{url}/lines", json={"text": "hi"}, headers=ada.headers)
    assert early.status_code == 409 and "not open yet" in early.text
    bobs = f"/api/people/introductions/{for_bob['id']}"
    assert client.get(bobs, headers=bob.headers).json()["answer"] is None  # hers unseen
    opened = client.post(f"{bobs}/answer", json={"yes": True}, headers=bob.headers).json()
    assert opened["opened"] and "New in town." in opened["lines"][0]["text"]
    client.post(f"{bobs}/lines", json={"text": "Dawn walk Saturday?"}, headers=bob.headers)
    thread = client.get(url, headers=ada.headers).json()["lines"]
    assert thread[-1] == {**thread[-1], "sender": "them", "text": "Dawn walk Saturday?"}
    # nobody reads or answers another's side
    assert client.get(url, headers=bob.headers).status_code == 404
    stolen = client.post(f"{url}/answer", json={"yes": False}, headers=bob.headers)
    assert stolen.status_code == 404


def test_bad_requests_about_introductions_are_refused_clearly(client: AppClient) -> None:
    ada = client.person("ada")
    put = "/api/people/introduce-me"
    for body in ({}, {"on": "perhaps"}, {"on": True, "fields": ["password"]},
                 {"on": True, "about": "x" * 301}, {"on": True, "extra": 1}):  # fmt: skip
        refused = client.put(put, json=body, headers=ada.headers)
        assert refused.status_code == 422, (body, refused.text)
    assert (
        "no field called 'password'"
        in client.put(put, json={"on": True, "fields": ["password"]}, headers=ada.headers).text
    )
    for path in ("/api/people/introductions/0", "/api/people/introductions/99",
                 "/api/people/introductions/abc"):  # fmt: skip
        assert client.get(path, headers=ada.headers).status_code in (404, 422)
    answer = "/api/people/introductions/5/answer"
    assert client.post(answer, json={"yes": True}, headers=ada.headers).status_code == 409
    lines = "/api/people/introductions/5/lines"
    assert client.post(lines, json={"text": ""}, headers=ada.headers).status_code == 422
