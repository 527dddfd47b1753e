"""The queue, the ticket page and reviewer actions, through HTTP as a browser would post them."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from store.models import AuditEvent, Ticket, TicketField, TicketMessage

Client = tuple[TestClient, str]


def _refs(html: str) -> list[str]:
    return re.findall(r'class="ref">([^<]+)<', html)


def _ref_of(engine, ticket_id: int) -> str:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        return s.get(Ticket, ticket_id).reference  # type: ignore[union-attr]


def test_queue_puts_urgent_first(reviewer: Client, seeded: dict[str, int], engine) -> None:  # type: ignore[no-untyped-def]
    client, _ = reviewer
    refs = _refs(client.get("/").text)
    assert len(refs) == 8
    urgent = {_ref_of(engine, seeded["removal_nl"]), _ref_of(engine, seeded["emergency_fr"])}
    assert set(refs[:2]) == urgent
    assert refs[0] == _ref_of(engine, seeded["removal_nl"]), "the one-hour removal order is due first"
    # then by time left: overdue (ES) before 2 days (DE) before 5 days (US) before 21 days (GB)
    order = [refs.index(_ref_of(engine, seeded[k])) for k in ("overdue_es", "unverified_de", "preservation_us")]
    assert order == sorted(order)
    assert refs.index(_ref_of(engine, seeded["routine_gb"])) > order[-1]


def test_queue_filters_and_search(reviewer: Client, seeded: dict[str, int], engine) -> None:  # type: ignore[no-untyped-def]
    client, _ = reviewer
    gb = _refs(client.get("/?country=GB").text)
    assert sorted(gb) == sorted(_ref_of(engine, seeded[k]) for k in ("routine_gb", "inquiry_gb", "hostile"))
    assert _refs(client.get("/?request_type=preservation").text) == [_ref_of(engine, seeded["preservation_us"])]
    assert _refs(client.get("/?verified=no").text) and all(
        r in {_ref_of(engine, seeded["unverified_de"]), _ref_of(engine, seeded["hostile"])}
        for r in _refs(client.get("/?verified=no").text)
    )
    # free text over the body only (the word is not in any subject or field)
    assert _refs(client.get("/?q=passage").text) == [_ref_of(engine, seeded["emergency_fr"])]
    assert _refs(client.get("/?q=%40berlin_tickets24").text) == [_ref_of(engine, seeded["unverified_de"])]
    assert _refs(client.get("/?q=100%25").text) == []
    assert _refs(client.get("/?agency=guardia").text) == [_ref_of(engine, seeded["overdue_es"])]
    html = client.get("/?country=GB&q=police").text
    assert 'value="GB" selected' in html and 'value="police"' in html


def test_queue_badges(reviewer: Client) -> None:
    client, _ = reviewer
    html = client.get("/").text
    for badge in ("Emergency", "Unverified sender", "Follow-up", "overdue"):
        assert badge in html
    assert "2 urgent tickets open" in html
    assert "2 urgent tickets open" in client.get("/?country=GB").text, "the banner ignores the filter"


def test_mine_and_assignment(reviewer: Client, seeded: dict[str, int], engine) -> None:  # type: ignore[no-untyped-def]
    client, token = reviewer
    assert _refs(client.get("/?assignee=me").text) == []
    tid = seeded["inquiry_gb"]
    assert client.post(f"/tickets/{tid}/assign", data={"assignee": "me", "csrf_token": token}).status_code == 303
    assert _refs(client.get("/?assignee=me").text) == [_ref_of(engine, tid)]
    with Session(engine) as s:
        assert s.get(Ticket, tid).status == "in_review"  # type: ignore[union-attr]


def test_ticket_page_shows_fields_and_evidence(reviewer: Client, seeded: dict[str, int]) -> None:
    client, _ = reviewer
    html = client.get(f"/tickets/{seeded['routine_gb']}").text
    mark = re.search(r'<mark id="(ev-agency-0)" data-field="agency"[^>]*>([^<]+)</mark>', html)
    assert mark and mark.group(2) == "Metropolitan Police Service"
    assert 'href="#ev-agency-0"' in html
    assert "93%" in html  # confidence of the agency
    assert "MPS/2026/00412" in html


def test_correct_agency(reviewer: Client, seeded: dict[str, int], engine) -> None:  # type: ignore[no-untyped-def]
    client, token = reviewer
    tid = seeded["unverified_de"]
    resp = client.post(
        f"/tickets/{tid}/fields/agency", data={"value": "Landeskriminalamt Bayern", "csrf_token": token}
    )
    assert resp.status_code == 303
    with Session(engine) as s:
        assert s.get(Ticket, tid).agency == "Landeskriminalamt Bayern"  # type: ignore[union-attr]
        tf = s.exec(select(TicketField).where(TicketField.ticket_id == tid, TicketField.name == "agency")).one()
        assert tf.machine_value == "Bayerisches Landeskriminalamt" and tf.corrected_by == "rita"
        ev = s.exec(select(AuditEvent).where(AuditEvent.action == "field_corrected")).one()
        expected = ("Bayerisches Landeskriminalamt", "Landeskriminalamt Bayern", "rita")
        assert (ev.old_value, ev.new_value, ev.actor) == expected
    html = client.get(f"/tickets/{tid}").text
    assert "corrected by rita" in html and "machine value: Bayerisches Landeskriminalamt" in html


def test_invalid_corrections_are_refused(reviewer: Client, seeded: dict[str, int], engine) -> None:  # type: ignore[no-untyped-def]
    client, token = reviewer
    tid = seeded["routine_gb"]
    for name, value in (("country", "XX"), ("request_type", "pizza"), ("deadline", "2026-02-30"),
                        ("region", "US-ZZ"), ("emergency", "maybe"), ("subject", "x")):  # fmt: skip
        resp = client.post(f"/tickets/{tid}/fields/{name}", data={"value": value, "csrf_token": token})
        assert resp.status_code == 422, (name, value)
    ok = client.post(f"/tickets/{tid}/fields/country", data={"value": "ie", "csrf_token": token})
    assert ok.status_code == 303
    ok = client.post(f"/tickets/{tid}/fields/deadline", data={"value": "2026-12-01", "csrf_token": token})
    assert ok.status_code == 303
    with Session(engine) as s:
        t = s.get(Ticket, tid)
        assert t is not None and t.country == "IE" and t.request_type == "data_disclosure"
        assert t.due_at is not None and t.due_at.date().isoformat() == "2026-12-01"


def test_status_note_and_audit_trail(reviewer: Client, seeded: dict[str, int], engine) -> None:  # type: ignore[no-untyped-def]
    client, token = reviewer
    tid = seeded["preservation_us"]
    assert client.post(f"/tickets/{tid}/status", data={"status": "bogus", "csrf_token": token}).status_code == 422
    client.post(f"/tickets/{tid}/status", data={"status": "waiting_on_authority", "csrf_token": token})
    client.post(f"/tickets/{tid}/notes", data={"text": "Asked <b>SA</b> for the order.", "csrf_token": token})
    html = client.get(f"/tickets/{tid}").text
    audit = html.split('id="audit"', 1)[1]
    assert "status changed" in audit and "waiting_on_authority" in audit and "rita" in audit
    assert "Asked &lt;b&gt;SA&lt;/b&gt; for the order." in html
    with Session(engine) as s:
        notes = s.exec(select(TicketMessage).where(TicketMessage.ticket_id == tid, TicketMessage.direction == "note"))
        assert [n.author for n in notes] == ["rita"]


def test_verification_checklist(reviewer: Client, seeded: dict[str, int]) -> None:
    client, token = reviewer
    tid = seeded["unverified_de"]
    data = {"code": "callback_independent_number", "done": "1", "csrf_token": token}
    assert client.post(f"/tickets/{tid}/verification", data=data).status_code == 303
    html = client.get(f"/tickets/{tid}").text
    assert re.search(r"Called back on a number found independently.*?— rita, 20\d\d-", html, re.S)
    assert "Sent from a free-mail address" in html
    bad = client.post(f"/tickets/{tid}/verification", data={**data, "code": "nope"})
    assert bad.status_code == 422


def test_raw_view_is_audited(reviewer: Client, seeded: dict[str, int], engine) -> None:  # type: ignore[no-untyped-def]
    client, _ = reviewer
    tid = seeded["hostile"]
    link = re.search(r'href="(/tickets/\d+/messages/\d+/raw)"', client.get(f"/tickets/{tid}").text)
    assert link
    resp = client.get(link.group(1))
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/plain")
    assert "Message-ID: <hostile-1@met-police-uk.com>" in resp.text
    with Session(engine) as s:
        ev = s.exec(select(AuditEvent).where(AuditEvent.action == "raw_viewed")).one()
        assert ev.actor == "rita" and ev.ticket_id == tid


def test_admin_audit_search(admin: Client, seeded: dict[str, int], engine) -> None:  # type: ignore[no-untyped-def]
    client, token = admin
    tid = seeded["routine_gb"]
    client.post(f"/tickets/{tid}/fields/agency", data={"value": "Met Police", "csrf_token": token})
    ref = _ref_of(engine, tid)
    html = client.get(f"/audit?ticket={ref}&action=field_corrected").text
    assert "Met Police" in html and "adam" in html
    assert "Met Police" not in client.get("/audit?action=login").text
    assert "Met Police" in client.get("/audit?q=met+pol").text
    assert "The audit chain is intact." in client.get("/audit?verify=1").text


def test_reports_and_csv(reviewer: Client) -> None:
    client, _ = reviewer
    html = client.get("/reports").text
    assert html.count("<rect") >= 8 and "Median handling times" in html
    csv_type = client.get("/reports/weekly.csv?by=request_type")
    assert csv_type.headers["content-disposition"].startswith("attachment")
    lines = csv_type.text.strip().splitlines()
    assert lines[0] == "week,request_type,tickets"
    assert sum(int(line.rsplit(",", 1)[1]) for line in lines[1:]) == 8
    by_country = client.get("/reports/weekly.csv?by=country").text
    assert sum(int(line.rsplit(",", 1)[1]) for line in by_country.strip().splitlines()[1:] if ",GB," in line) == 3
    medians = client.get("/reports/medians.csv").text.splitlines()
    assert medians[0] == "metric,median_hours,tickets"
    assert medians[1] == "time to acknowledge,0.33,3"  # 10, 20 and 30 minutes
    assert medians[2] == "time to close,,0"


def test_admin_manages_users(admin: Client, app) -> None:  # type: ignore[no-untyped-def]
    client, token = admin
    resp = client.post("/users", data={"name": "nina", "password": "short", "role": "reviewer", "csrf_token": token})
    assert resp.status_code == 422
    resp = client.post("/users", data={"name": "nina", "password": "nina-password-1", "role": "reviewer",
                                       "csrf_token": token})  # fmt: skip
    assert resp.status_code == 303
    assert "nina" in client.get("/users").text


def test_reply_from_template_is_threaded_and_queued(reviewer: Client, seeded: dict[str, int], engine) -> None:  # type: ignore[no-untyped-def]
    from email import message_from_bytes

    from store.models import Outbox

    client, token = reviewer
    tid = seeded["routine_gb"]
    data = {"template": "need_more_information", "body": "A copy of the production order.", "csrf_token": token}
    assert client.post(f"/tickets/{tid}/reply", data={**data, "template": "../base"}).status_code == 422
    assert client.post(f"/tickets/{tid}/reply", data=data).status_code == 303
    with Session(engine) as s:
        row = s.exec(select(Outbox).where(Outbox.ticket_id == tid, Outbox.kind == "reply")).one()
        assert row.status == "queued" and row.to_address == "alan.mercer@met.police.uk"
        msg = message_from_bytes(row.raw or b"")
        assert msg["In-Reply-To"] == "<routine_gb@met.police.uk>"
        assert "<routine_gb@met.police.uk>" in msg["References"]
        t = s.get(Ticket, tid)
        assert t is not None and t.reference in msg["Subject"]
        assert "A copy of the production order." in msg.get_payload(decode=True).decode()
        entry = s.exec(select(TicketMessage).where(TicketMessage.outbox_id == row.id)).one()
        assert entry.author == "rita" and entry.direction == "outbound"
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "reply_queued")).one().actor == "rita"
    assert "A copy of the production order." in client.get(f"/tickets/{tid}").text
