"""The review UI in a real browser (Playwright driving Debian's Chromium) against a live server.

Screenshots of the queue and the ticket page are written to tests/artifacts/ for a human look.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy.engine import Engine

from tests.triage.web.seed import PASSWORDS
from triage.settings import Settings
from triage.web.app import create_app

pytestmark = pytest.mark.browser
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_url(settings: Settings, engine: Engine, seeded: dict[str, int]) -> Iterator[str]:
    port = _free_port()
    config = uvicorn.Config(create_app(settings, engine), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def page(live_url: str) -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed (make system-deps)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        context = browser.new_context(viewport={"width": 1440, "height": 1000})
        pg = context.new_page()
        pg.set_default_timeout(15_000)
        yield pg
        context.close()
        browser.close()


def test_review_flow(page, live_url: str, seeded: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("dialog", lambda d: errors.append(f"dialog: {d.message}"))

    # log in
    page.goto(live_url + "/")
    assert page.url.endswith("/login")
    page.fill("input[name=username]", "rita")
    page.fill("input[name=password]", PASSWORDS["rita"])
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.url == live_url + "/", page.locator("main").inner_text()

    # an emergency at the top of a mixed queue
    rows = page.locator("table#queue tbody tr")
    assert rows.count() == 8
    expect(rows.first.locator(".badge.emergency").first).to_be_visible()
    expect(rows.first).to_have_class("urgent")
    page.screenshot(path=str(ARTIFACTS / "queue.png"), full_page=True)
    # the page script counts down with the server's wording (removal order: under an hour left)
    page.evaluate("tickCountdowns()")
    expect(rows.first.locator(".due")).to_have_text(re.compile(r"^\d+ min left$"))
    expect(rows.first.locator(".due")).to_have_class(re.compile("soon"))

    # filter by country (the select submits itself)
    page.select_option("#filter-country", "DE")
    page.wait_for_url("**country=DE**")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Bayerisches Landeskriminalamt")

    # open the ticket, click a field, see its evidence highlighted
    rows.first.locator("a.ref").click()
    page.wait_for_url(f"**/tickets/{seeded['unverified_de']}")
    page.click('button.field-name[data-field="agency"]')
    mark = page.locator('mark.active[data-field="agency"]')
    expect(mark).to_have_count(1)
    expect(mark).to_have_text("Bayerische Landeskriminalamt")
    expect(mark).to_be_in_viewport()
    page.screenshot(path=str(ARTIFACTS / "ticket.png"), full_page=True)

    # correct the agency
    row = page.locator("#field-agency")
    row.locator("summary").click()
    row.locator("input[name=value]").fill("Landeskriminalamt Bayern")
    row.locator("button[type=submit]").click()
    expect(page.locator("#field-agency .value")).to_contain_text("Landeskriminalamt Bayern")
    expect(page.locator("#field-agency")).to_contain_text("corrected by rita")

    # change the status, see the audit entries
    page.select_option("#status-form select[name=status]", "waiting_on_authority")
    page.click("#status-form button[type=submit]")
    expect(page.locator("#status-badge")).to_have_text("waiting on authority")
    audit = page.locator("#audit tbody")
    expect(audit).to_contain_text("field corrected")
    expect(audit).to_contain_text("Landeskriminalamt Bayern")
    expect(audit).to_contain_text("status changed")

    page.goto(live_url + "/reports")
    expect(page.locator("svg.chart rect").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "reports.png"), full_page=True)

    # the hostile message is inert in a real browser too
    page.goto(f"{live_url}/tickets/{seeded['hostile']}")
    expect(page.locator("h1.subject-line")).to_contain_text("<script>alert('subject')</script>")
    page.screenshot(path=str(ARTIFACTS / "ticket-hostile.png"), full_page=True)

    # log out, be refused
    page.click("#logout")
    page.wait_for_url("**/login")
    page.goto(f"{live_url}/tickets/{seeded['unverified_de']}")
    assert page.url.endswith("/login")
    assert errors == [], "no script ran, nothing was blocked or missing"


def test_risk_is_visible_at_a_glance(page, live_url: str, review: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    """Above the fold: why the sender is not trusted and what the request lacks; badges in the queue."""
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.goto(live_url + "/login")
    page.fill("input[name=username]", "rita")
    page.fill("input[name=password]", PASSWORDS["rita"])
    with page.expect_navigation():
        page.click("button[type=submit]")
    row = page.locator(f'tr[data-ticket="{review["forged"]}"]')
    expect(row.locator(".why")).to_be_visible()
    expect(row.locator(".badge.incomplete")).to_have_attribute("title", "missing: legal basis, date range")
    expect(page.locator(f'tr[data-ticket="{review["bounce"]}"]')).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "queue-badges.png"), full_page=True)

    page.goto(f"{live_url}/tickets/{review['forged']}")
    alert = page.locator("#trust-alert")
    expect(alert).to_be_in_viewport()
    assert alert.evaluate("e => getComputedStyle(e).borderTopColor") == "rgb(185, 28, 28)"  # the red of urgency
    expect(page.locator("#completeness .missing-summary")).to_be_in_viewport()
    expect(page.locator("#related a.ref")).to_have_count(2)
    page.screenshot(path=str(ARTIFACTS / "ticket-forged.png"), full_page=True)
    page.screenshot(path=str(ARTIFACTS / "ticket-forged-top.png"))
