"""The blocklist admin page and "block this sender" on a ticket: admins only, CSRF, audited."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from store.models import AuditEvent, SenderBlock

Client = tuple[TestClient, str]


def _patterns(engine: Engine) -> list[str]:
    with Session(engine) as s:
        return list(s.exec(select(SenderBlock.pattern).order_by(col(SenderBlock.pattern))))


def _actions(engine: Engine) -> list[tuple[str, str]]:
    with Session(engine) as s:
        rows = s.exec(select(AuditEvent).where(col(AuditEvent.field) == "blocklist").order_by(col(AuditEvent.id)))
        return [(e.action, e.actor) for e in rows]


def test_reviewer_cannot_reach_the_blocklist(reviewer: Client, review: dict[str, int], engine: Engine) -> None:
    client, token = reviewer
    assert client.get("/blocklist").status_code == 403
    assert client.post("/blocklist", data={"pattern": "evil.example", "csrf_token": token}).status_code == 403
    tid = review["forged"]
    assert client.post(f"/blocklist/from-ticket/{tid}", data={"csrf_token": token}).status_code == 403
    assert "Block this sender" not in client.get(f"/tickets/{tid}").text
    assert 'href="/blocklist"' not in client.get("/").text
    assert _patterns(engine) == []


def test_admin_adds_and_removes_blocks(admin: Client, engine: Engine) -> None:
    client, token = admin
    assert client.post("/blocklist", data={"pattern": "evil.example"}).status_code == 403  # no CSRF token
    assert client.post("/blocklist", data={"pattern": "evil.example", "csrf_token": "x" * 43}).status_code == 403
    assert _patterns(engine) == []
    resp = client.post("/blocklist", data={"pattern": "@Evil.Example", "reason": "look-alike", "csrf_token": token})
    assert resp.status_code == 303 and resp.headers["location"] == "/blocklist"
    page = client.get("/blocklist").text
    assert "<code>evil.example</code>" in page and "look-alike" in page
    bad = client.post("/blocklist", data={"pattern": "not a domain", "csrf_token": token})
    assert bad.status_code == 422 and "not an address or domain" in bad.text
    gone = client.post("/blocklist/remove", data={"pattern": "evil.example", "csrf_token": token})
    assert gone.status_code == 303
    assert _patterns(engine) == []
    again = client.post("/blocklist/remove", data={"pattern": "evil.example", "csrf_token": token})
    assert again.status_code == 422 and "is not on the blocklist" in again.text
    assert _actions(engine) == [("sender_blocked", "adam"), ("sender_unblocked", "adam")]
    trail = client.get("/audit?action=sender_unblocked").text
    assert "sender unblocked" in trail and "look-alike" in trail


def test_block_sender_from_ticket(admin: Client, review: dict[str, int], engine: Engine) -> None:
    client, token = admin
    tid = review["forged"]
    assert 'id="block-sender-form"' in client.get(f"/tickets/{tid}").text
    resp = client.post(f"/blocklist/from-ticket/{tid}", data={"scope": "domain", "csrf_token": token})
    assert resp.status_code == 303 and resp.headers["location"] == f"/tickets/{tid}#sender"
    assert _patterns(engine) == ["met-po1ice.uk"]
    page = client.get(f"/tickets/{tid}").text
    assert "This sender is blocked" in page
    assert (
        "<strong>Blocked sender</strong> — sender domain met-po1ice.uk is on the blocklist: blocked from ticket" in page
    )
    assert 'id="block-sender-form"' not in page  # already blocked
    queue = client.get("/").text
    for key in ("forged", "forged_sibling"):  # the sibling's address is spelled R.Hale@
        row = queue.split(f'data-ticket="{review[key]}"', 1)[1].split("</tr>", 1)[0]
        assert 'title="on the blocklist as met-po1ice.uk">Blocked sender</span>' in row
    assert _actions(engine) == [("sender_blocked", "adam")]
    client.post(f"/blocklist/from-ticket/{review['same_target']}", data={"reason": "hijacked", "csrf_token": token})
    assert _patterns(engine) == ["met-po1ice.uk", "priya.nair@met.police.uk"]  # address scope by default
