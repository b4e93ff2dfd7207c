"""``POST /api/affect``: the feelings in a few messages, for a signed-in person only, with
a clear refusal for too many, too long or malformed texts."""

from __future__ import annotations

from serving import AppClient

from conftest import lonely_ada


def test_a_person_reads_the_feelings_in_their_messages(client: AppClient) -> None:
    ada = client.person("ada")
    texts = ["I'm so proud of my daughter, she graduated today!", "Das ist mir egal", ""]
    got = client.post("/api/affect", json={"texts": texts}, headers=ada.headers)
    assert got.status_code == 200, got.text
    proud, german, empty = got.json()["readings"]
    assert proud["label"] in {"pride", "admiration", "joy"} and proud["valence"] > 0.3
    assert "proud" in " ".join(proud["words"])
    assert german["language"] == empty["language"] == "unknown"
    assert german["feelings"] == [] and empty["label"] == "unknown"


def test_bad_requests_get_a_clear_refusal(client: AppClient) -> None:
    ada = client.person("ada")
    assert client.post("/api/affect", json={"texts": ["hi"]}).status_code == 401
    for body in ({"texts": []}, {"texts": ["x"] * 201}, {"texts": "hello"}, {"text": ["hi"]},
                 {"texts": [None]}):  # fmt: skip
        assert client.post("/api/affect", json=body, headers=ada.headers).status_code == 422
    long = client.post("/api/affect", json={"texts": ["ok", "a" * 20_001]}, headers=ada.headers)
    assert long.status_code == 422 and "Text 2 is longer" in long.text, long.text


def test_the_companions_own_feelings_are_each_persons_own(client: AppClient) -> None:
    ada, bob = client.person("ada"), client.person("bob")
    assert client.get("/api/feelings").status_code == 401
    calm = client.get("/api/feelings", headers=ada.headers).json()
    assert calm["feelings"] == [] and "not feelings the way yours are" in calm["what_they_are"]
    client.say_over_ws(ada, "I'm so scared about the biopsy results tomorrow.")
    felt = client.get("/api/feelings", headers=ada.headers).json()["feelings"]
    assert felt[0]["name"] == "worried" and "biopsy" in felt[0]["reason"]
    assert client.get("/api/feelings", headers=bob.headers).json()["feelings"] == []
    # the same words, as the mood of the conversation they were said in
    [talk] = client.get("/api/mood/conversations", headers=ada.headers).json()["conversations"]
    assert talk["messages"] == 1 and talk["mood"] < 0 and talk["mood_label"] == "fear"
    assert "scared" in " ".join(talk["words"])
    assert client.get("/api/mood/conversations", headers=bob.headers).json() == {
        "conversations": []
    }
    for bad in ("0", "201", "many"):
        got = client.get("/api/mood/conversations", params={"limit": bad}, headers=ada.headers)
        assert got.status_code == 422


def test_suggestions_to_get_in_touch_with_reasons_and_an_off_switch(client: AppClient) -> None:
    ada, bob = client.person("ada"), client.person("bob")
    assert client.get("/api/people/suggestions").status_code == 401
    companion = client.services.companion
    client.portal.call(lambda: lonely_ada(companion))  # type: ignore[union-attr]
    got = client.get("/api/people/suggestions", headers=ada.headers).json()
    assert got["nudges_on"] is True
    (nudge,) = got["nudges"]
    assert nudge["about"] == "Lena" and "get in touch with Lena" in nudge["text"]
    assert any("by myself" in why for why in nudge["why"])
    assert client.get("/api/people/suggestions", headers=bob.headers).json()["nudges"] == []
    off = client.put("/api/people/nudges", json={"on": False}, headers=ada.headers)
    assert off.status_code == 200 and off.json() == {"nudges_on": False}
    kept = client.get("/api/people/suggestions", headers=ada.headers).json()
    assert kept == {"nudges_on": False, "nudges": got["nudges"]}  # the old ones stay
    for body in ({}, {"on": "perhaps"}, {"on": True, "extra": 1}, [True]):
        refused = client.put("/api/people/nudges", json=body, headers=ada.headers)
        assert refused.status_code == 422, body
