"""Sign-in and accounts over HTTP, through the real app."""

from __future__ import annotations

from serving import AppClient


def test_nothing_answers_without_credentials(client: AppClient) -> None:
    for path in ("/api/me", "/api/history", "/api/admin/users"):
        answer = client.get(path)
        assert answer.status_code == 401, path
        assert answer.json()["error"]["code"] == "unauthorized"


def test_key_password_and_session_sign_in(client: AppClient) -> None:
    alice = client.person("alice", password="correct horse")
    assert client.get("/api/me", headers=alice.headers).json()["name"] == "alice"
    wrong = client.post("/api/session", json={"name": "alice", "password": "nope nope"})
    assert wrong.status_code == 401
    right = client.post("/api/session", json={"name": "alice", "password": "correct horse"})
    assert right.status_code == 200 and "os1_session" in right.cookies
    assert client.get("/api/me").json()["name"] == "alice"
    client.delete("/api/session")
    assert client.get("/api/me").status_code == 401


def test_one_time_code_works_once(client: AppClient) -> None:
    alice = client.person("alice")
    code = client.portal.call(  # type: ignore[union-attr]
        lambda: client.services.accounts.start_session(alice.account, "signin", 60)
    )
    assert client.post("/api/session", json={"code": code}).status_code == 200
    client.cookies.clear()
    assert client.post("/api/session", json={"code": code}).status_code == 401


def test_admin_disables_and_deletes(client: AppClient) -> None:
    boss = client.person("boss", admin=True)
    bob = client.person("bob")
    assert client.get("/api/admin/users", headers=bob.headers).status_code == 403
    names = [u["name"] for u in client.get("/api/admin/users", headers=boss.headers).json()]
    assert names == ["bob", "boss"]
    client.post("/api/admin/users/bob/disable", headers=boss.headers)
    assert client.get("/api/me", headers=bob.headers).status_code == 401
    client.post("/api/admin/users/bob/enable", headers=boss.headers)
    assert client.get("/api/me", headers=bob.headers).status_code == 200
    assert client.delete("/api/admin/users/bob", headers=boss.headers).status_code == 204
    assert client.get("/api/me", headers=bob.headers).status_code == 401
    assert client.delete("/api/admin/users/bob", headers=boss.headers).status_code == 404


def test_bad_bodies_get_clear_4xx(client: AppClient) -> None:
    broken = client.post(
        "/api/session", content=b'{"name": ', headers={"content-type": "application/json"}
    )
    assert broken.status_code == 422 and "not valid JSON" in broken.json()["error"]["message"]
    typed = client.post("/api/session", json={"name": 5, "password": ["x"]})
    assert typed.status_code == 422
    huge = client.post("/api/session", content=b"x" * 2_000_000)
    assert huge.status_code == 413
    latin = client.post(
        "/api/session",
        content=b'{"name": "\xff\xfe"}',
        headers={"content-type": "application/json"},
    )
    assert latin.status_code == 400 and latin.json()["error"]["message"]


def test_admin_reaches_names_with_slashes_and_spaces(client: AppClient) -> None:
    boss = client.person("boss", admin=True)
    client.person("a/b c")
    disabled = client.post("/api/admin/users/a%2Fb%20c/disable", headers=boss.headers)
    assert disabled.status_code == 200 and disabled.json()["disabled"]
    assert client.delete("/api/admin/users/a/b c", headers=boss.headers).status_code == 204
    names = [u["name"] for u in client.get("/api/admin/users", headers=boss.headers).json()]
    assert names == ["boss"]
