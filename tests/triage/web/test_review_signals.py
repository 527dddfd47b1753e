"""What the backend knows, shown to reviewers: completeness, forgery signals, related tickets,
automatic mail kept out of the default queue."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

Client = tuple[TestClient, str]


def _row(html: str, ticket_id: int) -> str:
    """The queue row of one ticket ('' when it is not listed)."""
    found = re.search(rf'<tr[^>]*data-ticket="{ticket_id}">(.*?)</tr>', html, re.S)
    return found.group(1) if found else ""


def _section(html: str, section_id: str) -> str:
    found = re.search(rf'<section[^>]*id="{section_id}"[^>]*>(.*?)</section>', html, re.S)
    return found.group(1) if found else ""


def test_ticket_shows_completeness_checklist(reviewer: Client, review: dict[str, int], seeded: dict[str, int]) -> None:
    client, _ = reviewer
    card = _section(client.get(f"/tickets/{review['forged']}").text, "completeness")
    assert "Missing:</strong> legal basis, date range" in card
    assert "no legal basis was cited" in card  # the guidance wording sent to authorities
    assert "no date range was given for the data sought" in card
    assert card.count('class="present"') == 4 and card.count('class="absent"') == 2
    assert "badge incomplete" in card
    complete = _section(client.get(f"/tickets/{review['same_target']}").text, "completeness")
    assert "badge ok" in complete and "Missing:" not in complete
    assert 'id="completeness"' not in client.get(f"/tickets/{seeded['routine_gb']}").text  # not assessed


def test_queue_marks_incomplete_requests(reviewer: Client, review: dict[str, int]) -> None:
    client, _ = reviewer
    html = client.get("/").text
    row = _row(html, review["forged"])
    assert 'title="missing: legal basis, date range">Incomplete</span>' in row
    assert "Incomplete" not in _row(html, review["same_target"])


def test_ticket_says_loudly_why_the_sender_is_not_trusted(reviewer: Client, review: dict[str, int]) -> None:
    client, _ = reviewer
    alert = _section(client.get(f"/tickets/{review['forged']}").text, "trust-alert")
    assert "Do not trust this sender yet" in alert
    items = re.findall(r'<li class="sev-(\w+)"><strong>([^<]+)</strong> — ([^<]+)</li>', alert)
    assert [sev for sev, _, _ in items] == ["high", "high", "high", "high", "warning"]  # loudest first
    said = {title: message for _, title, message in items}
    assert said["Look-alike domain"] == "met-po1ice.uk looks like the official met.police.uk"
    assert said["Reply-To points elsewhere"] == "Reply-To points to gmail.com, not met-po1ice.uk"
    assert said["Authentication failed"] == "DKIM fail at our mail server"
    assert "Urgent and unverified" in said
    verified = client.get(f"/tickets/{review['same_target']}").text
    assert 'id="trust-alert"' not in verified
    assert "met.police.uk is an authority domain" in _section(verified, "sender")


def test_queue_unverified_badge_names_the_top_signal(reviewer: Client, review: dict[str, int]) -> None:
    client, _ = reviewer
    html = client.get("/").text
    row = _row(html, review["forged"])
    top = "Look-alike domain: met-po1ice.uk looks like the official met.police.uk"
    assert f'title="{top}">Unverified sender</span>' in row
    assert f'<div class="why small">{top}</div>' in row
    assert "why small" not in _row(html, review["same_target"])


def test_related_tickets_with_reasons(reviewer: Client, review: dict[str, int]) -> None:
    client, _ = reviewer
    card = _section(client.get(f"/tickets/{review['forged']}").text, "related")
    entries = dict(
        re.findall(r'<a href="/tickets/(\d+)" class="ref">.*?<div class="reasons small">([^<]*)</div>', card, re.S)
    )
    assert entries == {
        str(review["same_target"]): "same target @victim_account",
        str(review["forged_sibling"]): "same sender address r.hale@met-po1ice.uk; same phone number +447700900123",
    }  # not the near miss (@victim_account2), not the same sender five months earlier
    lonely = _section(client.get(f"/tickets/{review['bounce']}").text, "related")
    assert "No other ticket within 90 days" in lonely


def test_automatic_mail_is_hidden_by_default(reviewer: Client, review: dict[str, int]) -> None:
    client, _ = reviewer
    html = client.get("/").text
    assert not _row(html, review["bounce"]) and not _row(html, review["autoreply"])
    assert _row(html, review["forged"])
    assert '<a href="/?automatic=1" id="show-automatic">2 automatic mails hidden' in html
    shown = client.get("/?automatic=1").text
    assert '<span class="badge auto"' in _row(shown, review["bounce"]) and ">bounce</span>" in _row(
        shown, review["bounce"]
    )
    assert ">auto reply</span>" in _row(shown, review["autoreply"])
    assert "badge auto" not in _row(shown, review["forged"])
    assert 'name="automatic" value="1" checked' in shown and "automatic mails hidden" not in shown
    filtered = client.get("/?automatic=1&country=GB").text  # other filters still apply
    assert not _row(filtered, review["bounce"])


def test_api_carries_mail_class_and_completeness(admin: Client, anon: TestClient, review: dict[str, int]) -> None:
    client, csrf = admin
    html = client.post("/users/tokens", data={"name": "case system", "user_id": "1", "csrf_token": csrf}).text
    found = re.search(r'<code id="new-token">([^<]+)</code>', html)
    assert found
    auth = {"Authorization": f"Bearer {found.group(1)}"}
    everything = anon.get("/api/tickets?page_size=200", headers=auth).json()
    human = anon.get("/api/tickets?page_size=200&human_only=true", headers=auth).json()
    assert everything["total"] - human["total"] == 2
    classes = {t["id"]: t["mail_class"] for t in everything["items"]}
    assert classes[review["bounce"]] == "bounce" and classes[review["forged"]] == "human"
    assert {t["mail_class"] for t in human["items"]} == {"human"}
    detail = anon.get(f"/api/tickets/{review['forged']}", headers=auth).json()
    assert detail["completeness"]["missing"] == ["legal_basis", "date_range"]
