"""Schemathesis over every ``/api/`` operation, in-process (ASGI), on a seeded database.

With a real API token no generated request (valid or not: odd strings, NUL bytes, huge ids and
page numbers) may end in a 5xx, and responses must match the OpenAPI schema the app publishes;
without a token every operation answers 401. The default profile is quick;
``HYPOTHESIS_PROFILE=fuzz`` (``make fuzz``) runs many more examples. One run is on PostgreSQL,
which refuses NUL bytes and out-of-range integers where SQLite does not.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.engine import Engine
from sqlmodel import select

from store.db import make_engine, session_scope
from store.models import User
from store.users import create_api_token
from tests.conftest import FIXTURES
from tests.servers.postgres import create_database, drop_database, server_available
from tests.triage.test_fuzz import FUZZ
from tests.triage.web.conftest import csrf_of, login
from tests.triage.web.seed import seed
from triage.settings import Settings, load_settings
from triage.web.app import create_app
from triage.web.routes.api import router as api_router

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def api_token(engine: Engine, name: str = "rita") -> str:
    """A real token issued to a seeded user, as an admin would create it."""
    with session_scope(engine) as session:
        user = session.exec(select(User).where(User.name == name)).one()
        _, clear = create_api_token(session, user, "schemathesis")
    return clear


def load_schema(app: FastAPI) -> Any:
    """The schema the app serves at /api/openapi.json (to staff), bound to the app for ASGI calls."""
    schema = schemathesis.openapi.from_dict(app.openapi())
    schema.app = app
    return schema


@pytest.fixture
def api_app(settings: Settings, engine: Engine, seeded: dict[str, int]) -> FastAPI:
    return create_app(settings, engine)


@pytest.fixture
def api_schema(api_app: FastAPI) -> Any:
    return load_schema(api_app)


@pytest.fixture
def auth(engine: Engine, seeded: dict[str, int]) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token(engine)}"}


@pytest.fixture(scope="module")
def pg_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, dict[str, str]]]:
    """One seeded PostgreSQL database for the module's PostgreSQL run, dropped after it."""
    reason = server_available()
    if reason:
        pytest.skip(f"PostgreSQL not reachable ({reason})")
    from store.migrate import upgrade

    name, url = create_database()
    engine = make_engine(url)
    try:
        upgrade(url)
        data = tmp_path_factory.mktemp("pg-schemathesis") / "data"
        seed(engine, data / "archive")
        settings = load_settings(database_url=url, data_dir=data, secret_key="schemathesis")
        yield create_app(settings, engine), {"Authorization": f"Bearer {api_token(engine)}"}
    finally:
        engine.dispose()
        drop_database(name)


EXAMPLES = hypothesis_settings(FUZZ, max_examples=max(FUZZ.max_examples, 200))  # cheap requests: 200 at least
MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]


def cases(schema: Any, mode: GenerationMode, ticket_id: int) -> st.SearchStrategy[Case]:
    """Every operation, free, and again on an existing ticket (a random id is a mere 404)."""
    pinned = [
        result.ok().as_strategy(mode, path_parameters={"ticket_id": ticket_id})
        for result in schema.get_all_operations()
        if "{ticket_id}" in result.ok().path
    ]
    return st.one_of(schema.as_strategy(mode), *pinned)


def fuzz(schema: Any, mode: GenerationMode, send: Callable[[Case], None], ticket_id: int = 1) -> None:
    """Run ``send`` on generated cases of every operation (valid ones, or ones the schema forbids)."""

    @EXAMPLES
    @given(case=cases(schema, mode, ticket_id))
    def run(case: Case) -> None:
        send(case)

    run()


@pytest.mark.parametrize("mode", MODES, ids=str)
def test_api_never_errors_and_matches_its_schema(api_schema: Any, auth: dict[str, str], mode: GenerationMode) -> None:
    fuzz(api_schema, mode, lambda case: case.call_and_validate(headers=auth, checks=CHECKS))


def _refused(case: Case) -> None:
    response = case.call()
    assert response.status_code in (401, 403), (response.status_code, response.text[:300])


@pytest.mark.parametrize("mode", MODES, ids=str)
def test_api_refuses_every_request_without_a_token(api_schema: Any, mode: GenerationMode) -> None:
    fuzz(api_schema, mode, _refused)


@pytest.mark.postgres
@pytest.mark.parametrize("mode", MODES, ids=str)
def test_api_never_errors_on_postgres(pg_app: tuple[FastAPI, dict[str, str]], mode: GenerationMode) -> None:
    auth = pg_app[1]
    fuzz(load_schema(pg_app[0]), mode, lambda case: case.call_and_validate(headers=auth, checks=CHECKS))


def test_the_schema_covers_every_api_operation(api_app: FastAPI) -> None:
    """Schemathesis only tests what the schema lists: every /api/ route but the docs themselves is in it."""
    listed = {(path, method.upper()) for path, ops in api_app.openapi()["paths"].items() for method in ops}
    routes = {
        (route.path, method)
        for route in api_router.routes
        if isinstance(route, APIRoute) and route.path not in ("/api/openapi.json", "/api/docs")
        for method in route.methods - {"HEAD"}
    }
    assert routes and routes == listed


# Regression tests: the 500s found by probing beyond what the generated cases reach.
ODD = json.loads((FIXTURES / "web" / "api_odd_values.json").read_text(encoding="utf-8"))
QUERIES = [(name, value) for name in ODD["query_params"] for value in ODD["query_values"]]
CORRECTIONS = [(name, value) for name in ODD["text_fields"] + ODD["list_fields"] for value in ODD["field_values"]]


def _query_ok(client: TestClient, url: str, auth: dict[str, str], nul_status: int = 200) -> None:
    """The API drops NUL from its filters; the HTML pages refuse it (400)."""
    for name, value in QUERIES:
        response = client.get(url, params={name: value}, headers=auth)
        expected = nul_status if "\x00" in value else 200
        assert response.status_code == expected, (name, value[:40], response.status_code)


def _corrections_ok(client: TestClient, auth: dict[str, str], ticket_id: int) -> None:
    """Every odd value is applied or refused (422), never a 500; a NUL in text is refused."""
    for name, value in CORRECTIONS:
        response = client.patch(f"/api/tickets/{ticket_id}", json={"fields": {name: value}}, headers=auth)
        assert response.status_code in (200, 422), (name, str(value)[:40], response.status_code)
        if isinstance(value, str) and "\x00" in value and name in ODD["text_fields"]:
            assert response.status_code == 422, (name, value)


def test_odd_query_values_are_ignored_not_errors(api_app: FastAPI, auth: dict[str, str]) -> None:
    with TestClient(api_app, raise_server_exceptions=False) as client:
        _query_ok(client, "/api/tickets", auth)
        assert client.get("/api/tickets", params={"assignee": "²"}, headers=auth).json()["total"] > 0


def test_odd_query_values_on_the_queue_page(reviewer: tuple[TestClient, str]) -> None:
    """The HTML queue shares the API's filter parsing."""
    client, _ = reviewer
    _query_ok(client, "/", {}, nul_status=400)


def _html_probe(client: TestClient) -> None:
    """Admin pages and forms: NUL refused with a 400, out-of-range ids are no 500 (both were on PostgreSQL)."""
    csrf = csrf_of(client.get("/").text)
    for url in ("/audit?q=%00", "/audit?actor=%00", "/audit?ticket=a%00"):
        assert client.get(url).status_code == 400, url
    for ticket in ("99999999999999999999", "²", "-1"):
        assert client.get("/audit", params={"ticket": ticket}).status_code == 200, ticket
    posts = [
        ("/tickets/1/notes", {"text": "a\x00b"}, 400),
        ("/tickets/1/fields/agency", {"value": "a\x00b"}, 400),
        ("/blocklist", {"pattern": "a\x00b@example.org", "reason": "x"}, 400),
        ("/users/tokens", {"name": "\x00", "user_id": "1"}, 400),
        ("/users/tokens", {"name": "t", "user_id": "99999999999999999999"}, 422),
    ]
    for url, data, status in posts:
        response = client.post(url, data={**data, "csrf_token": csrf})
        assert response.status_code == status, (url, data, response.status_code)


def test_html_pages_refuse_nul_and_odd_ids(admin: tuple[TestClient, str], seeded: dict[str, int]) -> None:
    assert min(seeded.values()) == 1
    _html_probe(admin[0])


def test_odd_corrections_are_refused_not_errors(api_app: FastAPI, auth: dict[str, str], seeded: dict[str, int]) -> None:
    with TestClient(api_app, raise_server_exceptions=False) as client:
        _corrections_ok(client, auth, min(seeded.values()))


def test_malformed_body_without_token_is_401(api_app: FastAPI, seeded: dict[str, int]) -> None:
    """FastAPI parses the body before the token check: the refusal must still be 401, not 400/422."""
    url = f"/api/tickets/{min(seeded.values())}"
    with TestClient(api_app, raise_server_exceptions=False) as client:
        for body in (b"\x80", b"\x00", b"{", b'{"fields": 1}'):
            response = client.patch(url, content=body, headers={"Content-Type": "application/json"})
            assert response.status_code == 401, (body, response.status_code)
            assert response.headers["www-authenticate"] == "Bearer"
        assert client.get("/api/tickets?page=0").status_code == 401


def test_validation_errors_of_undecodable_bodies_serialise(
    api_app: FastAPI, auth: dict[str, str], seeded: dict[str, int]
) -> None:
    """A body that is not JSON or not UTF-8 is a 422, not a 500 from echoing its bytes back."""
    url = f"/api/tickets/{min(seeded.values())}"
    with TestClient(api_app, raise_server_exceptions=False) as client:
        for ctype in ("text/plain", "application/x-www-form-urlencoded", "application/octet-stream"):
            response = client.patch(url, content=b"\xff\xfe", headers={**auth, "Content-Type": ctype})
            assert response.status_code == 422, (ctype, response.status_code)
            assert response.json()["detail"] and "input" not in response.json()["detail"][0]


@pytest.mark.postgres
def test_odd_values_on_postgres(pg_app: tuple[FastAPI, dict[str, str]]) -> None:
    """NUL bytes and ids beyond 32 bits are errors in PostgreSQL where SQLite lets them pass."""
    app, auth = pg_app
    with TestClient(app, raise_server_exceptions=False) as client:
        _query_ok(client, "/api/tickets", auth)
        _corrections_ok(client, auth, 1)
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        login(client, "adam")
        _html_probe(client)
