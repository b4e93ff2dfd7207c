"""Schemathesis against the app's own OpenAPI schema: no generated request, valid or
not, may make the server answer 5xx.

The schema is read from the running app, so every route present when the test runs is
fuzzed. Requests go over a real socket to uvicorn (``live_server``) with the scripted
model, once as an ordinary person and once as an admin; each operation gets a bounded,
derandomized number of examples so the run is repeatable and fits in CI.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from serving import ROOMY, SHARING, LiveServer, Person, settings_for, shared_by

EXAMPLES = 12  # per operation and mode; about 20 operations x 2 modes x 2 people


@pytest.fixture(params=SHARING)
def fuzz_server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    """One server keeping its state itself, then the same as a fleet's worker on Redis,
    then that worker with its store on PostgreSQL."""
    found = settings_for(tmp_path, **ROOMY, **shared_by(request))
    server = LiveServer(found).start()
    yield server
    server.stop()


def _fuzz(server: LiveServer, person: Person) -> list[str]:
    schema = schemathesis.openapi.from_dict(server.app.openapi())
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _fuzz_one(server, person, operation, mode, failures)
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE  # nothing to get wrong, e.g. GET /api/me
    return failures


def _fuzz_one(
    server: LiveServer,
    person: Person,
    operation: schemathesis.APIOperation,
    mode: GenerationMode,
    failures: list[str],
) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def one(case: schemathesis.Case) -> None:
        response = case.call(base_url=server.url, headers=person.headers, timeout=30)
        try:
            case.validate_response(response, checks=[not_a_server_error])
        except (AssertionError, FailureGroup) as exc:
            failures.append(f"{operation.label} ({mode.value}): {exc}"[:2000])

    one()


@pytest.mark.slow
def test_no_generated_request_makes_a_server_error(fuzz_server: LiveServer) -> None:
    regular = fuzz_server.person("regular", password="regular password")
    boss = fuzz_server.person("boss", admin=True, password="boss password")
    failures = _fuzz(fuzz_server, regular) + _fuzz(fuzz_server, boss)
    assert not failures, "\n\n".join(failures[:10])
    me = fuzz_server.person("after")  # the server still stands and answers
    assert me.account.name == "after"
