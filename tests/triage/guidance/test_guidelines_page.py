"""/guidelines over HTTP (no browser): languages, 404s, configured lines, no staff links."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from triage.settings import Settings
from triage.web.app import create_app
from triage.web.routes.guidelines import negotiate


@pytest.fixture
def client(settings: Settings, engine: Engine) -> TestClient:
    return TestClient(create_app(settings.model_copy(update={"organisation": "Example Messenger"}), engine))


@pytest.mark.parametrize(
    ("header", "expected"),
    [("fr-FR,fr;q=0.9,en;q=0.8", "fr"), ("it;q=0.5, de;q=0.9", "de"), ("ja, nl", "en"), ("", "en"), ("es;q=x", "es")],
)
def test_negotiate(header: str, expected: str) -> None:
    assert negotiate(header) == expected


def test_every_language_served_without_login(client: TestClient) -> None:
    for lang in ("en", "fr", "de", "es", "it"):
        r = client.get(f"/guidelines/{lang}", follow_redirects=False)
        assert r.status_code == 200
        assert f'<html lang="{lang}">' in r.text
        assert "Example Messenger" in r.text and "lawenforcement@platform.example" in r.text
        links = re.findall(r'href="([^"]+)"', r.text)
        assert all(h.startswith(("/guidelines/", "/static/guidelines.css", "mailto:")) for h in links), links


def test_unknown_language_is_404(client: TestClient) -> None:
    assert client.get("/guidelines/xx").status_code == 404


def test_unconfigured_channels_are_left_out(client: TestClient, settings: Settings, engine: Engine) -> None:
    text = client.get("/guidelines/en").text
    assert "Press enquiries" not in text and "questions about their account" not in text
    assert "you may also call" not in text
    configured = TestClient(create_app(settings.model_copy(update={
        "press_address": "press@x.example", "support_url": "https://help.x.example/", "emergency_phone": "+1 555"}),
        engine)).get("/guidelines/en").text
    assert "Press enquiries: press@x.example" in configured
    assert "https://help.x.example/" in configured and "call +1 555" in configured
