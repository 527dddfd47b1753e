"""No-answer rules with real messages through the whole daemon (the rules are unit-tested in replies)."""

from __future__ import annotations

import email

from sqlalchemy.engine import Engine
from sqlmodel import Session

from store.models import Ticket
from tests.servers.dovecot import DovecotServer
from tests.servers.smtp import SmtpServer
from tests.triage.daemon_helpers import inbound, mail, outbox, run_once, server_settings, tickets
from triage.settings import Settings

DSN = """\
From: Mail Delivery System <MAILER-DAEMON@mx.police.example>
To: lawenforcement@platform.example
Subject: Undelivered Mail Returned to Sender
Message-ID: <bounce-1@mx.police.example>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="BND"

--BND
Content-Type: text/plain

Your message could not be delivered.

--BND
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.police.example
Final-Recipient: rfc822; gone@police.example
Action: failed
Status: 5.1.1

--BND
Content-Type: text/rfc822-headers

From: lawenforcement@platform.example
To: gone@police.example
Subject: Re: Data disclosure request
Message-ID: {ack_id}

--BND--
"""


def _reasons(engine: Engine, ticket_id: int | None) -> list[str]:
    return [o.reason or "" for o in outbox(engine) if o.ticket_id == ticket_id and o.status == "suppressed"]


def test_no_answer_rules_end_to_end(
    settings: Settings, engine: Engine, dovecot: DovecotServer, smtp_server: SmtpServer
) -> None:
    s = server_settings(settings, dovecot, smtp_server, ack_rate_per_sender=2)
    dovecot.append(mail(msgid="<orig@police.example>", sender="gone@police.example"))
    run_once(s)
    [original] = tickets(engine)
    ack_id = email.message_from_bytes(smtp_server.wait_for(1)[0].data)["Message-ID"]
    with Session(engine) as session:  # staff answered and now wait: automatic mail must not re-open it
        row = session.get(Ticket, original.id)
        assert row is not None
        row.status = "waiting_on_authority"
        session.add(row)
        session.commit()
    dovecot.append(
        mail(subject="Automatic reply: Re: Data disclosure request", sender="gone@police.example",
             msgid="<ooo-threaded@police.example>",
             headers={"Auto-Submitted": "auto-replied", "In-Reply-To": ack_id, "References": ack_id}),
        mail(subject="Out of office", sender="away@police.example", headers={"Auto-Submitted": "auto-replied"}),
        mail(subject="[forum] digest", sender="news@lists.example", headers={"List-Id": "<forum.lists.example>"}),
        DSN.replace("\n", "\r\n").format(ack_id=ack_id).encode(),
        mail(subject="loop?", sender=s.from_address),
        *[mail(subject=f"Request {i}", sender="busy@police3.example") for i in range(3)],
    )
    run_once(s)
    by_subject = {t.subject: t for t in tickets(engine)}
    auto = by_subject["Out of office"]
    assert auto.mail_class == "auto_reply" and "auto-submitted" in " ".join(_reasons(engine, auto.id)).lower()
    listed = by_subject["[forum] digest"]
    assert listed.mail_class == "list" and _reasons(engine, listed.id)
    own = by_subject["loop?"]
    assert own.mail_class == "loop_self" and _reasons(engine, own.id)
    # the bounce of our acknowledgment joins the original ticket and does not re-open or re-answer it
    assert "Undelivered Mail Returned to Sender" not in by_subject
    bounce = [m for m in inbound(engine) if m.message_id == "<bounce-1@mx.police.example>"]
    assert len(bounce) == 1 and bounce[0].ticket_id == original.id and bounce[0].mail_class == "bounce"
    threaded = [m for m in inbound(engine) if m.message_id == "<ooo-threaded@police.example>"]
    assert len(threaded) == 1 and threaded[0].ticket_id == original.id and threaded[0].mail_class == "auto_reply"
    assert by_subject[original.subject].status == "waiting_on_authority"
    # rate limit: two acknowledgments for the busy sender, the third is recorded as suppressed
    busy = [by_subject[f"Request {i}"] for i in range(3)]
    busy_acks = [m for m in smtp_server.messages if m.rcpt_tos == ["busy@police3.example"]]
    assert len(busy_acks) == 2
    assert any("rate" in r.lower() for t in busy for r in _reasons(engine, t.id))
    # nothing but the original and the two busy acks was ever sent
    assert len(smtp_server.wait_for(3)) == 3
    # a human answer to the same ticket does re-open it for staff
    dovecot.append(mail(subject="Re: Data disclosure request", sender="gone@police.example",
                        headers={"In-Reply-To": ack_id, "References": ack_id}))
    run_once(s)
    assert {t.id: t for t in tickets(engine)}[original.id].status == "in_review"
    assert len(smtp_server.messages) == 3
