"""The SMTP test server accepts, survives an outage on the same port, and checks AUTH."""

import smtplib

from tests.servers.smtp import SmtpServer


def test_outage_and_restart_same_port(smtp_server: SmtpServer) -> None:
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=5) as s:
        s.sendmail("", ["a@b.example"], b"Subject: x\r\n\r\nhi\r\n")
    assert smtp_server.messages[0].rcpt_tos == ["a@b.example"]
    smtp_server.stop()
    try:
        smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=2)
    except OSError:
        pass
    else:
        raise AssertionError("server still listening after stop()")
    smtp_server.start()
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=5) as s:
        s.sendmail("x@y.example", ["a@b.example"], b"Subject: y\r\n\r\nhi\r\n")
    assert len(smtp_server.messages) == 2
    assert smtp_server.messages[1].message["Subject"] == "y"


def test_auth_required(smtp_server_auth: SmtpServer) -> None:
    with smtplib.SMTP(smtp_server_auth.host, smtp_server_auth.port, timeout=5) as s:
        try:
            s.login("triage", "wrong")
        except smtplib.SMTPAuthenticationError:
            pass
        else:
            raise AssertionError("bad password accepted")
        s.login("triage", "s3cret")
        s.sendmail("", ["a@b.example"], b"Subject: x\r\n\r\nhi\r\n")
    assert len(smtp_server_auth.messages) == 1
