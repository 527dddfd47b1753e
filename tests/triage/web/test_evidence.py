"""Evidence spans and HTML cleaning, on their own."""

from __future__ import annotations

from store.models import TicketField, TicketMessage
from triage.web.evidence import build_views, source_texts
from triage.web.mailhtml import sanitize


def _tf(name: str, *evidence: dict[str, object]) -> TicketField:
    return TicketField(ticket_id=1, name=name, evidence=list(evidence))


def test_offsets_used_when_they_match_and_searched_when_not() -> None:
    texts = {"subject": "Order for @bob", "body": "Police of Spain asks about @bob and @carol."}
    fields = {
        "agency": _tf("agency", {"text": "Police of Spain", "source": "body", "start": 0, "end": 15}),
        # stale offsets: the text is searched instead
        "targets": _tf("targets", {"text": "@carol", "source": "body", "start": 2, "end": 8},
                       {"text": "@bob", "source": "subject", "start": 10, "end": 14}),
        # nowhere in the texts: no highlight, no error
        "country": _tf("country", {"text": "España", "source": "body", "start": None, "end": None}),
        # garbage evidence entries are skipped
        "case_reference": _tf("case_reference", "not a dict", {"source": "body"}),  # type: ignore[arg-type]
    }
    views, anchors = build_views(fields, texts)
    assert [v.source for v in views] == ["subject", "body"]
    body = {s.anchor: s.text for s in views[1].segments if s.field}
    assert body == {"ev-agency-0": "Police of Spain", "ev-targets-0": "@carol"}
    assert "".join(s.text for s in views[1].segments) == texts["body"], "segments rebuild the text exactly"
    assert anchors == {"agency": ["ev-agency-0"], "targets": ["ev-targets-1", "ev-targets-0"]}  # page order


def test_overlapping_spans_do_not_nest() -> None:
    texts = {"body": "Metropolitan Police Service, London"}
    fields = {
        "agency": _tf("agency", {"text": "Metropolitan Police Service", "source": "body", "start": 0, "end": 27}),
        "country": _tf("country", {"text": "Police Service, London", "source": "body", "start": 13, "end": 35}),
    }
    views, anchors = build_views(fields, texts)
    assert "".join(s.text for s in views[0].segments) == texts["body"]
    assert [s.field for s in views[0].segments if s.field] == ["agency"]
    assert "country" not in anchors


def test_texts_fall_back_to_subject_and_body() -> None:
    msg = TicketMessage(ticket_id=1, direction="inbound", subject="S", body_text="B", extraction={"texts": "bad"})
    assert source_texts(msg) == {"subject": "S", "body": "B"}
    assert source_texts(None) == {}


def test_sanitize_drops_active_and_remote_content() -> None:
    html = (
        '<p onclick="x()">Hi <img src="https://t.example/p.gif"><script>alert(1)</script>'
        '<a href="javascript:alert(2)">j</a><a href="https://ok.example/">ok</a>'
        '<iframe src="https://evil.example/"></iframe><style>body{}</style><form action="/x"><input></form></p>'
    )
    out = sanitize(html)
    for bad in ("onclick", "<img", "<script", "javascript:", "<iframe", "<style", "<form", "<input"):
        assert bad not in out
    assert 'href="https://ok.example/"' in out and 'rel="noopener noreferrer nofollow"' in out
    assert sanitize(None) == ""
