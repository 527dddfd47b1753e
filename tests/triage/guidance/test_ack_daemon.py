"""Completeness notes and pointers end to end: Dovecot in, the real pipeline, aiosmtpd out.

Senders are "verified" the way production verifies them: an authority domain plus an aligned
SPF/DKIM/DMARC pass in an Authentication-Results header from our own MTA's id.
"""

from __future__ import annotations

import email
from email.message import Message
from pathlib import Path

from sqlalchemy.engine import Engine

from tests.servers.dovecot import DovecotServer
from tests.servers.smtp import SmtpServer
from tests.triage.daemon_helpers import crlf, outbox, run_once, server_settings, tickets
from triage.guidance.content import guide
from triage.settings import Settings

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "guidance"


def _load(*names: str) -> list[bytes]:
    return [crlf((FIXTURES / f"{n}.eml").read_bytes()) for n in names]


def _by_recipient(smtp: SmtpServer, count: int) -> dict[str, list[Message]]:
    sent = smtp.wait_for(count, timeout=20)
    out: dict[str, list[Message]] = {}
    for m in sent:
        for rcpt in m.rcpt_tos:
            out.setdefault(rcpt, []).append(email.message_from_bytes(m.data))
    return out


def _body(msg: Message) -> str:
    payload = msg.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(msg.get_content_charset() or "utf-8")


def test_missing_elements_listed_once_in_the_senders_language(
    settings: Settings, engine: Engine, dovecot: DovecotServer, smtp_server: SmtpServer
) -> None:
    s = server_settings(settings, dovecot, smtp_server, ack_unverified=False)
    for raw in _load("incomplete_en", "incomplete_fr", "incomplete_de", "complete_en", "unverified_en"):
        dovecot.append(raw)
    assert run_once(s) == 0
    by_rcpt = _by_recipient(smtp_server, 4)
    assert len(smtp_server.messages) == 4  # the unverified sender got nothing
    by_msgid = {t.subject: t for t in tickets(engine)}
    assert len(by_msgid) == 5

    # English, incomplete: one ack (the complete request from the same officer is the other)
    en_acks = by_rcpt["j.smith@met.police.uk"]
    assert len(en_acks) == 2
    [incomplete] = [m for m in en_acks if "Request for information" in str(m["Subject"])]
    [complete] = [m for m in en_acks if "MPS/2026/118842" in str(m["Subject"])]
    en = guide("en")
    body = _body(incomplete)
    ticket = by_msgid["Request for information"]
    assert ticket.request_type == "data_disclosure" and not ticket.completeness["complete"]
    assert incomplete["Content-Language"] == "en"
    assert en["ack"]["missing_intro"] in body
    for phrase in ("no legal basis was cited", "no account identifier was found", "no case or file reference"):
        assert phrase in body
    assert en["missing"]["jurisdiction"] not in body  # GB was recognised from the police domain
    assert "A complete request for disclosure of data contains:" in body
    for element in ticket.completeness["missing"]:
        assert en["missing"][element] in body
    assert body.count(en["ack"]["missing_intro"]) == 1

    # complete: an ordinary acknowledgment, no list, nothing the sender wrote in the body
    cbody = _body(complete)
    assert en["ack"]["missing_intro"] not in cbody and "contains:" not in cbody
    for given in ("harbour_fox_77", "MPS/2026/118842", "Investigatory", "Jane Smith"):
        assert given not in cbody and given not in body

    # French and German, in their own language only
    [fr] = by_rcpt["br.lyon@gendarmerie.interieur.gouv.fr"]
    fbody = _body(fr)
    assert fr["Content-Language"] == "fr"
    assert "aucune base légale n'a été citée" in fbody
    assert "aucun identifiant de compte n'a été trouvé" in fbody
    assert en["ack"]["missing_intro"] not in fbody
    [de] = by_rcpt["k11@polizei.berlin.de"]
    dbody = _body(de)
    assert de["Content-Language"] == "de"
    assert "es wurde keine Rechtsgrundlage angegeben" in dbody
    assert "Ein vollständiges Ersuchen dieser Art (Auskunftsersuchen) enthält:" in dbody

    # exactly one ack row per ticket; the unverified one is recorded as suppressed
    rows = outbox(engine)
    sent_rows = [o for o in rows if o.status == "sent"]
    assert sorted(o.kind for o in sent_rows) == ["ack"] * 4
    assert len({o.ticket_id for o in sent_rows}) == 4
    [suppressed] = [o for o in rows if o.status == "suppressed"]
    assert suppressed.reason == "sender not verified"


def test_misdirected_mail_gets_a_pointer_only_when_configured_and_authenticated(
    settings: Settings, engine: Engine, dovecot: DovecotServer, smtp_server: SmtpServer
) -> None:
    s = server_settings(
        settings, dovecot, smtp_server, ack_unverified=False, misdirected_pointers=True,
        support_url="https://support.platform.example/help", press_address="press@platform.example",
    )
    for raw in _load("user_complaint", "press", "press_forged", "other_company"):
        dovecot.append(raw)
    assert run_once(s) == 0
    by_rcpt = _by_recipient(smtp_server, 3)
    assert len(smtp_server.messages) == 3
    assert "a.morgan@dailyherald.example" in by_rcpt  # the authenticated journalist
    assert len(tickets(engine)) == 4  # every mail is still filed
    [user] = by_rcpt["sam.taylor1987@gmail.com"]
    assert "https://support.platform.example/help" in _body(user)
    assert user["Auto-Submitted"] == "auto-replied" and user["In-Reply-To"] == "<complaint-1@mail.gmail.com>"
    [press] = by_rcpt["a.morgan@dailyherald.example"]
    assert "press@platform.example" in _body(press)
    assert "support.platform.example" not in _body(press)
    [other] = by_rcpt["j.smith@met.police.uk"]
    assert guide("en")["pointer"]["other_company"].split("{")[0] in _body(other)
    assert "received your message and filed it" not in _body(other)  # a pointer, not an ack
    rows = outbox(engine)
    assert sorted(o.kind for o in rows if o.status == "sent") == ["pointer"] * 3
    [forged] = [o for o in rows if o.status == "suppressed"]
    assert forged.reason is not None and "dmarc=fail" in forged.reason


def test_pointers_are_off_by_default(
    settings: Settings, engine: Engine, dovecot: DovecotServer, smtp_server: SmtpServer
) -> None:
    s = server_settings(settings, dovecot, smtp_server, ack_unverified=False,
                        support_url="https://support.platform.example/help")
    for raw in _load("user_complaint", "other_company"):
        dovecot.append(raw)
    assert run_once(s) == 0
    [sent] = smtp_server.wait_for(1, timeout=20)
    assert sent.rcpt_tos == ["j.smith@met.police.uk"]
    assert "filed it under reference" in email.message_from_bytes(sent.data).get_payload(decode=True).decode()
    assert [o.kind for o in outbox(engine) if o.status == "sent"] == ["ack"]
