"""The server on a PostgreSQL store that goes away for a while: requests are answered
503 with ``Retry-After`` meanwhile (quickly, not after a hang), and the server serves
again by itself once the database is back; nothing said before is lost. A wrong
``database_url`` is refused at start, naming what to fix."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from serving import AppClient, settings_for

from os1.errors import Os1Error
from os1.server.app import create_app
from store.postgres_service import PostgresServer


def test_a_database_away_for_a_while_gets_503_then_is_served_again(tmp_path: Path) -> None:
    server = PostgresServer()  # its own, to stop and start
    try:
        settings = settings_for(tmp_path, database_url=server.new_database())
        with AppClient(create_app(settings), base_url="http://127.0.0.1") as client:
            ada = client.person("ada")
            client.say_over_ws(ada, "remember the blue door")
            assert client.get("/api/history", headers=ada.headers).status_code == 200

            server.pause()
            answers, took = [], []
            for _ in range(3):
                started = time.monotonic()
                answers.append(client.get("/api/history", headers=ada.headers))
                took.append(time.monotonic() - started)
            assert [a.status_code for a in answers] == [503, 503, 503]
            assert all(a.headers["Retry-After"] == "5" for a in answers)
            assert answers[0].json()["error"]["code"] in ("store_unavailable", "store_busy")
            assert "PostgreSQL" in answers[-1].json()["error"]["message"]
            assert max(took[1:]) < 3  # told at once, not after waiting for the pool

            server.start()
            deadline = time.monotonic() + 30
            while (back := client.get("/api/history", headers=ada.headers)).status_code != 200:
                assert time.monotonic() < deadline, back.text
                time.sleep(0.5)
            assert "remember the blue door" in back.text  # what was said before is there
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("mysql://os1@127.0.0.1/os1", "database_url"),
        ("postgresql://os1:hunter2@127.0.0.1:9/os1", "Cannot reach the PostgreSQL database"),
    ],
)
def test_a_wrong_database_url_is_refused_at_start(tmp_path: Path, url: str, said: str) -> None:
    with pytest.raises(Os1Error) as refused:
        settings = settings_for(tmp_path, database_url=url)
        with AppClient(create_app(settings), base_url="http://127.0.0.1"):
            pass
    assert said in refused.value.message and "hunter2" not in refused.value.message
