"""The public /guidelines page in a real browser (Playwright driving Debian's Chromium).

No login, no internal data, and axe-core (installed by ``make axe`` into a git-ignored
folder) finds no serious or critical accessibility problem; headings and contrast rules must
have run and passed.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy.engine import Engine

from store.db import session_scope
from store.models import utcnow
from store.tickets import create_ticket
from triage.settings import Settings
from triage.web.app import create_app

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[3]
AXE = ROOT / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
SECRET_SUBJECT = "Disclosure for account zebra_violet_4412"
SECRET_SENDER = "insider.officer@polizei.berlin.de"
MUST_PASS = ("color-contrast", "heading-order", "page-has-heading-one", "html-has-lang", "html-lang-valid")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def site(settings: Settings, engine: Engine) -> Iterator[tuple[str, str]]:
    """A live server whose database holds a ticket the public page must never show."""
    with session_scope(engine) as session:
        ticket = create_ticket(session, received_at=utcnow(), mailbox="INBOX", subject=SECRET_SUBJECT,
                               sender_address=SECRET_SENDER)
        reference = ticket.reference
    s = settings.model_copy(update={
        "organisation": "Example Messenger", "guidelines_address": "le-requests@messenger.example",
        "emergency_phone": "+32 2 555 01 99", "support_url": "https://help.messenger.example/",
        "press_address": "press@messenger.example",
    })
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(s, engine), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", reference
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed (make system-deps)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield b
        b.close()


def _axe(page: Any) -> dict[str, Any]:
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate(
        "() => axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'best-practice']}})"
    )
    return result


def _check_page(page: Any, lang: str, reference: str) -> None:
    assert "/login" not in page.url
    assert page.get_attribute("html", "lang") == lang
    levels = page.eval_on_selector_all("h1, h2, h3, h4, h5, h6", "els => els.map(e => Number(e.tagName[1]))")
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in pairwise(levels)), levels
    text = page.inner_text("body")
    assert "le-requests@messenger.example" in text and "+32 2 555 01 99" in text
    assert "https://help.messenger.example/" in text and "press@messenger.example" in text
    for secret in (SECRET_SUBJECT, "zebra_violet_4412", SECRET_SENDER, reference):
        assert secret not in page.content()
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    assert hrefs and all(h.startswith(("/guidelines/", "mailto:", "https://help.messenger.example")) for h in hrefs)
    if not AXE.exists():
        pytest.skip("axe-core is not installed (make axe): the page checks above passed, axe did not run")
    results = _axe(page)
    bad = [(v["id"], v["impact"], len(v["nodes"])) for v in results["violations"]
           if v["impact"] in ("serious", "critical")]
    assert not bad, bad
    passed = {r["id"] for r in results["passes"]}
    assert set(MUST_PASS) <= passed, set(MUST_PASS) - passed


def test_guidelines_in_two_languages_without_login(browser: Any, site: tuple[str, str]) -> None:
    url, reference = site
    context = browser.new_context(bypass_csp=True)  # axe is injected as a script the page's CSP would refuse
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(url + "/guidelines/en")
    _check_page(page, "en", reference)
    assert page.inner_text("h1") == "Example Messenger: guidelines for law enforcement"
    assert "no legal basis was cited" in page.inner_text("pre.sample")
    page.click("a[hreflang=fr]")
    page.wait_for_url("**/guidelines/fr")
    _check_page(page, "fr", reference)
    assert "aucune base légale n'a été citée" in page.inner_text("pre.sample")
    assert "URGENCE" in page.inner_text("#emergency + p")
    context.close()


def test_bare_guidelines_follows_the_browser_language(browser: Any, site: tuple[str, str]) -> None:
    url, reference = site
    context = browser.new_context(bypass_csp=True, locale="de-DE")
    page = context.new_page()
    page.goto(url + "/guidelines")
    _check_page(page, "de", reference)
    assert page.inner_text("h2#where") == "Wohin schreiben"
    context.close()
