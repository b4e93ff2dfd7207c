"""Another page on the same host attacks the signed-in owner, in real headless Chromium.

The owner is signed in to os1's web UI; a page served from another port on 127.0.0.1
(the same *site*, so the SameSite=Strict cookie rides along) auto-posts forms to the
body-less routes that change things: disable and enable an account, undo an action,
start a new conversation; then it frames the UI. None of it may work: the forms get a
403 and change nothing, and the frame stays empty. The UI itself keeps working under its
Content-Security-Policy, AudioWorklet included, with no policy violation on the console,
and so do the API pages (``api_docs``) under theirs, their CDN scripts stubbed.
"""

from __future__ import annotations

import html
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import websockets.sync.client
from playwright.sync_api import Browser, Page, Route, expect
from serving import LiveServer, Person, free_port, settings_for
from test_browser import browser, model, policy_violations, signin_code

pytestmark = [pytest.mark.browser, pytest.mark.slow]
__all__ = ["browser"]  # the Chromium fixture, shared with test_browser


class Attacker:
    """A tiny web server on another loopback port with two pages: ``/post?to=URL`` posts
    an empty form to URL as soon as it loads, ``/frame?src=URL`` frames URL."""

    def __init__(self) -> None:
        class Pages(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = parse_qs(urlsplit(self.path).query)
                if self.path.startswith("/post"):
                    target = html.escape(query["to"][0])
                    body = (
                        f'<form method="POST" action="{target}"></form>'
                        "<script>document.forms[0].submit()</script>"
                    )
                else:
                    source = html.escape(query["src"][0])
                    body = (
                        f'<iframe id="victim" src="{source}" width="800" height="600"'
                        " onload=\"document.title='framed'\"></iframe>"
                    )
                page = f"<!doctype html><title>prize</title>{body}".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, format: str, *args: object) -> None:
                pass  # quiet

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Pages)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def attacker() -> Iterator[Attacker]:
    found = Attacker()
    found.thread.start()
    yield found
    found.server.shutdown()
    found.server.server_close()


def _remember(live: LiveServer, person: Person) -> int:
    """An undoable action of ``person``'s: ``/remember`` confirmed over the socket."""
    url = live.url.replace("http", "ws") + "/ws"
    with websockets.sync.client.connect(url, additional_headers=person.headers) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "hello"
        ws.send(json.dumps({"type": "say", "text": "/remember the spare key is in the pot"}))
        proposal = None
        while (event := json.loads(ws.recv(timeout=10)))["type"] != "turn_finished":
            proposal = event if event["type"] == "proposal" else proposal
        assert proposal is not None
        ws.send(json.dumps({"type": "confirm", "proposal_id": proposal["proposal_id"]}))
        while (event := json.loads(ws.recv(timeout=10)))["type"] != "action":
            pass
        assert event["status"] == "done"
        return int(proposal["proposal_id"])


def _signed_in_page(live: LiveServer, browser: Browser, boss: Person) -> tuple[Page, list[str]]:
    model(live).enqueue({"name": "Samantha", "reason": "It felt warm"})
    page = browser.new_page()
    violations = policy_violations(page)
    page.goto(f"{live.url}/#signin={signin_code(live, boss)}")
    expect(page.locator("#account-name")).to_have_text("boss")
    return page, violations


def _state(live: LiveServer, boss: Person) -> tuple[bool, str, int]:
    """Whether alice is disabled, the status of boss's action, and boss's history size."""
    with httpx.Client(base_url=live.url, headers=boss.headers, timeout=10) as http:
        users = {u["name"]: u for u in http.get("/api/admin/users").json()}
        actions = http.get("/api/actions").json()
        history = http.get("/api/history").json()
    return users["alice"]["disabled"], actions[0]["status"], len(history)


def test_forms_from_another_port_change_nothing(
    live_server: LiveServer, browser: Browser, attacker: Attacker
) -> None:
    boss = live_server.person("boss", admin=True)
    live_server.person("alice")
    action = _remember(live_server, boss)
    before = _state(live_server, boss)
    assert before[:2] == (False, "done") and before[2] > 0
    page, violations = _signed_in_page(live_server, browser, boss)

    def attack(path: str) -> int:
        target = f"{live_server.url}{path}"
        with page.expect_response(target) as answer:
            page.goto(f"{attacker.url}/post?to={target}")
        return answer.value.status

    assert attack("/api/admin/users/alice/disable") == 403
    assert _state(live_server, boss) == before, "alice was disabled from another page"

    httpx.post(f"{live_server.url}/api/admin/users/alice/disable", headers=boss.headers, timeout=10)
    assert attack("/api/admin/users/alice/enable") == 403
    assert _state(live_server, boss)[0] is True, "alice was enabled from another page"
    httpx.post(f"{live_server.url}/api/admin/users/alice/enable", headers=boss.headers, timeout=10)

    assert attack(f"/api/actions/{action}/undo") == 403
    assert _state(live_server, boss) == before, "the action was undone from another page"
    assert attack("/api/conversations") == 403
    assert _state(live_server, boss) == before, "a new conversation was started"
    assert violations == []
    page.close()


def test_another_page_cannot_frame_the_ui(
    live_server: LiveServer, browser: Browser, attacker: Attacker
) -> None:
    boss = live_server.person("boss", admin=True)
    page, violations = _signed_in_page(live_server, browser, boss)

    # the page's policy lets in its worklet file, and no blob: script of any kind
    refused_blob = page.evaluate(
        """async () => {
             const ctx = new AudioContext();
             await ctx.audioWorklet.addModule("down16k.js");
             const blob = URL.createObjectURL(new Blob(["0"], {type: "text/javascript"}));
             const refused = await ctx.audioWorklet.addModule(blob).then(() => false, () => true);
             await ctx.close();
             const script = document.createElement("script");
             script.src = blob;
             await new Promise((done) => {
               script.onerror = done;
               document.body.append(script);
             });
             return refused;
           }"""
    )
    assert refused_blob is True, "a blob: worklet ran: the policy is missing"
    assert any("blob:" in v for v in violations), violations  # and it was the policy
    violations.clear()

    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text))
    page.goto(f"{attacker.url}/frame?src={live_server.url}/")
    expect(page).to_have_title("framed")
    page.wait_for_timeout(500)  # time for a framed UI to build itself, had it loaded
    frames = [f for f in page.frames if f is not page.main_frame]
    assert frames, "the attacker's page has its frame"
    for frame in frames:
        assert frame.locator("#shell, #signin-password, #account-name").count() == 0, frame.url
    assert any("frame-ancestors" in text for text in refused), refused
    page.close()


STUBS = {  # what the CDNs would send, so the test needs no network
    "swagger-ui-bundle.js": "window.SwaggerUIBundle = (o) => {"
    " fetch(o.url).then((r) => r.json()).then((schema) => {"
    " document.getElementById('swagger-ui').textContent = 'drawn: ' + schema.info.title; });"
    " return {}; }; SwaggerUIBundle.presets = {apis: {}};",
    "redoc.standalone.js": "document.querySelector('redoc').textContent = 'drawn';",
}


def test_the_api_pages_work_under_their_own_policy(tmp_path: Path, browser: Browser) -> None:
    server = LiveServer(settings_for(tmp_path, api_docs=True)).start()
    try:
        page = browser.new_page()
        violations = policy_violations(page)

        def cdn(route: Route) -> None:
            url = route.request.url
            name = url.rsplit("/", 1)[-1].split("?")[0]
            kind = "text/css" if "css" in url else "text/javascript"
            route.fulfill(status=200, content_type=kind, body=STUBS.get(name, ""))

        for host in ("cdn.jsdelivr.net", "fonts.googleapis.com", "fastapi.tiangolo.com"):
            page.route(f"https://{host}/**", cdn)
        page.goto(f"{server.url}/docs")
        expect(page.locator("#swagger-ui")).to_have_text("drawn: os1")
        page.goto(f"{server.url}/redoc")
        expect(page.locator("redoc")).to_have_text("drawn")
        assert violations == []
        page.close()
    finally:
        server.stop()
