"""Letters over HTTP: each person writes, revises and downloads only their own, and bad
requests get clear 4xx answers."""

from __future__ import annotations

import time

from serving import AppClient

from os1.memory.episodes import NewEpisode


def _remember(client: AppClient, name: str, *texts: str) -> None:
    store = client.portal.call(lambda: client.services.companion.db.user(name))  # type: ignore[union-attr]
    memory = client.services.companion.memory
    assert memory is not None
    now = time.time()
    episodes = [NewEpisode("user", t, now + n) for n, t in enumerate(texts)]
    client.portal.call(lambda: memory.record(store, episodes))  # type: ignore[union-attr]


def test_a_letter_is_written_revised_listed_and_downloaded_by_its_writer_only(
    client: AppClient,
) -> None:
    ada, bob = client.person("ada"), client.person("bob")
    _remember(client, "ada", "Aunt Mira taught me to bake rye bread in her tiny kitchen.")
    client.model.enqueue("Dear Aunt Mira,\n\nThank you for the rye bread lessons [1].\n\nAda")
    made = client.post(
        "/api/letters", json={"to": "Aunt Mira", "about": "thank her"}, headers=ada.headers
    )
    assert made.status_code == 201, made.text
    letter = made.json()
    assert letter["version"] == 1 and letter["to"] == "Aunt Mira"
    assert [c["text"] for c in letter["cited"]] == [
        "Aunt Mira taught me to bake rye bread in her tiny kitchen."
    ]
    client.model.enqueue("Dearest Aunt Mira,\n\nYour rye bread lessons warm me still.\n\nAda")
    url = f"/api/letters/{letter['id']}"
    revised = client.post(f"{url}/revise", json={"change": "warmer"}, headers=ada.headers)
    assert revised.status_code == 201 and revised.json()["version"] == 2
    listed = client.get("/api/letters", headers=ada.headers).json()["letters"]
    assert [(x["id"], x["version"], x["versions"]) for x in listed] == [(letter["id"], 2, 2)]
    first = client.get(url, params={"version": 1}, headers=ada.headers).json()
    assert first["text"] == letter["text"]
    pdf = client.get(f"{url}/letter.pdf", params={"hand": "kalam"}, headers=ada.headers)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    page = client.get(f"{url}/page-1.png", headers=ada.headers)
    assert page.status_code == 200 and page.content.startswith(b"\x89PNG")

    # another person sees none of it
    assert client.get("/api/letters", headers=bob.headers).json()["letters"] == []
    for path in (url, f"{url}/letter.pdf", f"{url}/page-1.png"):
        assert client.get(path, headers=bob.headers).status_code == 404
    assert (
        client.post(f"{url}/revise", json={"change": "x"}, headers=bob.headers).status_code == 404
    )
    assert client.get("/api/letters").status_code == 401


def test_bad_letter_requests_get_clear_4xx(client: AppClient) -> None:
    ada = client.person("ada")
    unknown = client.post(
        "/api/letters", json={"to": "Zebedee", "about": "hello"}, headers=ada.headers
    )
    assert unknown.status_code == 422
    assert unknown.json()["error"]["code"] == "letter_recipient_unknown"
    bad_bodies = [
        {"to": "", "about": "x"},
        {"to": "A", "about": ""},
        {"to": "A"},
        {"to": "A", "about": "x" * 2001},
        {"to": "A", "about": "x", "extra": 1},
    ]
    for bad in bad_bodies:
        refused = client.post("/api/letters", json=bad, headers=ada.headers)
        assert refused.status_code == 422 and refused.json()["error"]["message"], bad
    client.model.enqueue("Dear Zebedee,\n\nHello!\n\nAda")
    made = client.post(
        "/api/letters", json={"to": "Zebedee", "about": "hello", "who": "a pen friend"},
        headers=ada.headers,
    ).json()  # fmt: skip
    url = f"/api/letters/{made['id']}"
    assert client.get(f"{url}/page-9.png", headers=ada.headers).status_code == 404
    assert client.get(url, params={"version": 5}, headers=ada.headers).status_code == 404
    hand = client.get(f"{url}/letter.pdf", params={"hand": "comic"}, headers=ada.headers)
    assert hand.status_code == 422 and "caveat" in hand.json()["error"]["hint"]
    assert client.get("/api/letters/0", headers=ada.headers).status_code == 422
    assert client.get("/api/letters/99999", headers=ada.headers).status_code == 404
    sheets = client.get(f"{url}/sheets", params={"hand": "comic"}, headers=ada.headers)
    assert sheets.status_code == 422


def test_the_hands_and_how_a_letter_falls_on_paper_in_each(client: AppClient) -> None:
    ada = client.person("ada")
    found = client.get("/api/letters/hands", headers=ada.headers).json()
    names = [h["name"] for h in found["hands"]]
    assert found["default"] == "caveat" and {"caveat", "kalam"} <= set(names)
    assert all(h["characters"] > 90 for h in found["hands"])
    client.model.enqueue("Dear Theo,\n\nThe circle's ratio is π, as you taught me.\n\nAda")
    made = client.post(
        "/api/letters", json={"to": "Theo", "about": "pi", "who": "my maths teacher"},
        headers=ada.headers,
    ).json()  # fmt: skip
    url = f"/api/letters/{made['id']}/sheets"
    caveat = client.get(url, headers=ada.headers).json()
    assert caveat == {"hand": "caveat", "pages": 1, "borrowed": {"π": "kalam"}}
    kalam = client.get(url, params={"hand": "kalam"}, headers=ada.headers).json()
    assert kalam["borrowed"] == {} and kalam["pages"] == 1
    assert client.get(url, headers=client.person("bob").headers).status_code == 404
    assert client.get("/api/letters/hands").status_code == 401


def test_mailing_a_letter_is_a_proposal_and_confirm_or_decline_answers_it(
    client: AppClient,
) -> None:
    ada, bob = client.person("ada"), client.person("bob")
    client.model.enqueue("Dear Rose,\n\nHappy ninetieth!\n\nAda")
    made = client.post(
        "/api/letters", json={"to": "Rose", "about": "her 90th", "who": "my grandmother"},
        headers=ada.headers,
    ).json()  # fmt: skip
    url = f"/api/letters/{made['id']}/send"
    unsent = client.post(url, json={"to": "rose@example.org"}, headers=ada.headers)
    assert unsent.status_code == 422 and unsent.json()["error"]["code"] == "letter_not_sent"
    assert "os1 mail connect" in unsent.json()["error"]["message"]  # what to do next
    assert client.post(url, json={"to": "rose@example.org"}, headers=bob.headers).status_code == 404
    for bad in ({}, {"to": ""}, {"to": "x", "body": ""}, {"to": "x", "cc": "y"}):
        assert client.post(url, json=bad, headers=ada.headers).status_code == 422, bad

    # a door's proposal is answered over REST: declined, it never runs and cannot run later
    proposal = client.portal.call(  # type: ignore[union-attr]
        lambda: client.services.companion.propose("ada", "remember", {"text": "tea at four"})
    )
    actions = f"/api/actions/{proposal.proposal_id}"
    assert client.post(f"{actions}/confirm", headers=bob.headers).status_code == 404
    declined = client.post(f"{actions}/decline", headers=ada.headers)
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    again = client.post(f"{actions}/confirm", headers=ada.headers)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_decided"
    assert client.post("/api/actions/999999/confirm", headers=ada.headers).status_code == 404


def test_ones_own_hand_is_learned_from_a_scan_used_and_removed_over_http(
    client: AppClient,
) -> None:
    from skills.letters.filled_sheet import as_bytes, filled_sheet, photographed

    ada, bob = client.person("ada"), client.person("bob")
    sheet = client.get("/api/letters/hand-template.pdf", headers=ada.headers)
    assert sheet.status_code == 200 and sheet.content.startswith(b"%PDF")
    assert "attachment" in sheet.headers["content-disposition"]
    photo = as_bytes(photographed(filled_sheet(), turn=180, shadow=True))
    assert len(photo) < 1_000_000  # under the server's body limit, as the page sends it
    learned = client.post(
        "/api/letters/hands", params={"name": "mine"}, content=photo,
        headers={**ada.headers, "content-type": "image/jpeg"},
    )  # fmt: skip
    assert learned.status_code == 201, learned.text
    body = learned.json()
    assert body["name"] == "mine" and body["forms"] > 100 and not body["replaced"]
    assert any("upside down" in note for note in body["notes"])
    found = client.get("/api/letters/hands", headers=ada.headers).json()["hands"]
    assert [h["name"] for h in found if h["own"]] == ["mine"]
    assert not [h for h in client.get("/api/letters/hands", headers=bob.headers).json()["hands"]
                if h["own"]]  # fmt: skip

    client.model.enqueue("Dear Theo,\n\nThank you for the long walks.\n\nAda")
    made = client.post(
        "/api/letters", json={"to": "Theo", "about": "walks", "who": "my friend"},
        headers=ada.headers,
    ).json()  # fmt: skip
    url = f"/api/letters/{made['id']}"
    sheets = client.get(f"{url}/sheets", params={"hand": "mine"}, headers=ada.headers).json()
    assert sheets == {"hand": "mine", "pages": 1, "borrowed": {}}
    page = client.get(f"{url}/page-1.png", params={"hand": "mine"}, headers=ada.headers)
    assert page.status_code == 200 and page.content.startswith(b"\x89PNG")

    bad = client.post(
        "/api/letters/hands", content=b"not a picture",
        headers={**ada.headers, "content-type": "image/jpeg"},
    )  # fmt: skip
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "scan_unreadable"
    assert client.delete("/api/letters/hands/mine", headers=bob.headers).status_code == 404
    assert client.delete("/api/letters/hands/mine", headers=ada.headers).status_code == 204
    gone = client.get(f"{url}/sheets", params={"hand": "mine"}, headers=ada.headers)
    assert gone.status_code == 422 and gone.json()["error"]["code"] == "hand_unknown"
