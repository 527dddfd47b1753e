"""Several mailboxes in one deployment: validation, inheritance, and real runs on Dovecot + SMTP."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from email.utils import parseaddr
from pathlib import Path

import pytest
from imapclient import IMAPClient
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from store.db import session_scope
from store.models import Outbox
from tests.conftest import FIXTURES
from tests.servers.dovecot import DovecotServer
from tests.servers.smtp import SmtpServer
from tests.triage.daemon_helpers import mail
from triage import supervisor
from triage.cli import main
from triage.mailboxes import MailboxError, configured_mailboxes, find_mailbox, mailbox_sender
from triage.settings import Settings, load_settings
from triage.supervisor import Supervisor

EU_USER, EU_PASSWORD, EU_FOLDER = "eurep", "eu-rep-secret", "Requests"
ERROR_CASES = [json.loads(line) for line in (FIXTURES / "triage" / "mailbox_errors.jsonl").read_text().splitlines()]


def _fill(value: object, tmp: Path) -> object:
    if isinstance(value, str):
        return value.replace("{tmp}", str(tmp))
    if isinstance(value, dict):
        return {k: _fill(v, tmp) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, tmp) for v in value]
    return value


@pytest.mark.parametrize("case", ERROR_CASES, ids=[c["case"] for c in ERROR_CASES])
def test_invalid_mailbox_tables_fail_with_one_line(case: dict, settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "p.txt").write_text("secret\n")
    s = load_settings(database_url=settings.database_url, mailboxes=_fill(case["mailboxes"], tmp_path))
    with pytest.raises(MailboxError) as err:
        configured_mailboxes(s)
    assert case["error"] in str(err.value)
    assert "\n" not in str(err.value)


def test_run_exits_2_on_a_bad_config_file(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``[[mailboxes]]`` next to a ``[triage]`` table is read too; the error is one line on stderr."""
    config = tmp_path / "triage.toml"
    config.write_text(
        f'[triage]\ndatabase_url = "{settings.database_url}"\n\n'
        '[[mailboxes]]\nname = "le"\nimap_user = "a"\nimap_password = "x"\n\n'
        '[[mailboxes]]\nname = "le"\nimap_user = "b"\nimap_password = "y"\n'
    )
    monkeypatch.setenv("TRIAGE_CONFIG_FILE", str(config))
    assert main(["run", "--once"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "triage: mailbox 'le': duplicate name"
    config.write_text(config.read_text().replace('name = "le"\nimap_user = "b"', 'name = "eu"\nimap_user = "b"'))
    assert main(["run", "--once", "--mailbox", "nope"]) == 2
    assert "no mailbox named 'nope'" in capsys.readouterr().err


def test_mailboxes_inherit_and_override(settings: Settings, tmp_path: Path) -> None:
    secret = tmp_path / "eu-password"
    secret.write_text(EU_PASSWORD + "\n")
    base = load_settings(
        database_url=settings.database_url, smtp_host="relay.platform.example", imap_host="imap.platform.example",
        metrics_port=9300, own_addresses=["abuse@platform.example"],
        mailboxes=[
            {"name": "le", "imap_user": "le@platform.example", "imap_password": "le-secret",
             "from_address": "lawenforcement@platform.example"},
            {"name": "eu", "imap_user": "eurep", "imap_password_file": str(secret), "imap_folder": "Requests",
             "from_address": "eu-representative@platform.example", "smtp_port": 587},
        ],
    )
    assert "le-secret" not in repr(base) and "le-secret" not in str(base.mailboxes)
    le, eu = configured_mailboxes(base)
    assert (le.name, eu.name) == ("le", "eu")
    assert find_mailbox([le, eu], "eu") is eu
    assert le.settings.smtp_host == eu.settings.smtp_host == "relay.platform.example"  # inherited
    assert (le.settings.imap_folder, eu.settings.imap_folder) == ("INBOX", "Requests")
    assert (le.settings.smtp_port, eu.settings.smtp_port) == (25, 587)
    assert eu.settings.imap_password.get_secret_value() == EU_PASSWORD
    assert le.settings.imap_password.get_secret_value() == "le-secret"
    assert (le.settings.metrics_port, eu.settings.metrics_port) == (9300, 9301)
    # each mailbox's own addresses, and the other mailbox's, are "ours" for the loop rules
    for box in (le, eu):
        assert {"lawenforcement@platform.example", "le@platform.example", "eu-representative@platform.example",
                "abuse@platform.example"} <= box.settings.ours()
    assert base.model_copy(update={"mailboxes": []}).mailboxes == []
    assert configured_mailboxes(base.model_copy(update={"mailboxes": []})) == []


# --- real servers


def _two_mailbox_config(tmp_path: Path, dovecot: DovecotServer, smtp: SmtpServer) -> Path:
    """The fixture config pointed at this Dovecot (a second account added) and SMTP peer."""
    with (dovecot.root / "passwd").open("a") as fh:
        fh.write(f"{EU_USER}:{{PLAIN}}{EU_PASSWORD}\n")
    secret = tmp_path / "eu-password"
    secret.write_text(EU_PASSWORD + "\n")
    template = (FIXTURES / "triage" / "two_mailboxes.toml").read_text()
    config = tmp_path / "triage.toml"
    config.write_text(template.format(
        database_url=f"sqlite:///{tmp_path / 't.db'}", data_dir=tmp_path / "data", imap_port=dovecot.port,
        smtp_port=smtp.port, le_password=dovecot.password, eu_password_file=secret,
    ))
    return config


def _eu_client(dovecot: DovecotServer) -> IMAPClient:
    client = IMAPClient(dovecot.host, port=dovecot.port, ssl=False, timeout=30)
    client.login(EU_USER, EU_PASSWORD)
    return client


def _eu_append(dovecot: DovecotServer, raw: bytes) -> None:
    client = _eu_client(dovecot)
    try:
        if not client.folder_exists(EU_FOLDER):
            client.create_folder(EU_FOLDER)
        client.append(EU_FOLDER, raw)
    finally:
        client.logout()


def _eu_count(dovecot: DovecotServer, folder: str) -> int:
    client = _eu_client(dovecot)
    try:
        return int(client.folder_status(folder, ["MESSAGES"])[b"MESSAGES"]) if client.folder_exists(folder) else 0
    finally:
        client.logout()


def _env(config: Path) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("TRIAGE_")} | {"TRIAGE_CONFIG_FILE": str(config)}


def _tickets(db: Path) -> list[tuple[str, str]]:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return conn.execute("SELECT mailbox, sender_address FROM ticket ORDER BY mailbox").fetchall()
    except sqlite3.OperationalError:
        return []


def test_two_mailboxes_once(tmp_path: Path, dovecot: DovecotServer, smtp_server: SmtpServer) -> None:
    config = _two_mailbox_config(tmp_path, dovecot, smtp_server)
    dovecot.append(mail(subject="Disclosure request 2026/1", sender="officer@police.example"))
    _eu_append(dovecot, mail(subject="Production order EU-77", sender="ermittler@polizei.example"))
    started = time.monotonic()
    run = subprocess.run([sys.executable, "-m", "triage", "run", "--once"], env=_env(config),
                         capture_output=True, timeout=120)
    elapsed = time.monotonic() - started
    assert run.returncode == 0, run.stderr.decode()[-3000:]
    assert _tickets(tmp_path / "t.db") == [("eu-representative", "ermittler@polizei.example"),
                                          ("law-enforcement", "officer@police.example")]
    acks = smtp_server.wait_for(2, timeout=10)
    assert len(acks) == 2
    senders = {parseaddr(m.rcpt_tos[0])[1]: parseaddr(str(m.message["From"]))[1] for m in acks}
    assert senders == {"officer@police.example": "lawenforcement@platform.example",
                       "ermittler@polizei.example": "eu-representative@platform.example"}
    assert dovecot.count("INBOX") == 0 and dovecot.count("Processed") == 1  # each account's own folders
    assert _eu_count(dovecot, EU_FOLDER) == 0 and _eu_count(dovecot, "Done") == 1
    with sqlite3.connect(tmp_path / "t.db") as conn:
        keys = {row[0] for row in conn.execute("SELECT mailbox FROM mailbox_state")}
    assert keys == {"law-enforcement", "eu-representative"}
    assert elapsed < 90


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(x) for x in out.stdout.split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"


def test_sigterm_to_the_parent_stops_every_child(
    tmp_path: Path, dovecot: DovecotServer, smtp_server: SmtpServer
) -> None:
    config = _two_mailbox_config(tmp_path, dovecot, smtp_server)
    dovecot.append(mail(subject="Disclosure request 2026/2", sender="officer@police.example"))
    _eu_append(dovecot, mail(subject="Preservation request EU-78", sender="ermittler@polizei.example"))
    proc = subprocess.Popen([sys.executable, "-m", "triage", "run"], env=_env(config),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 90
        while len(_tickets(tmp_path / "t.db")) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(_tickets(tmp_path / "t.db")) == 2
        children = _children(proc.pid)
        assert len(children) == 2
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=15)
        assert time.monotonic() - started < 10
        assert proc.returncode == 0, err.decode()[-3000:]
        assert not [pid for pid in children if _alive(pid)]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# --- the supervisor alone, with tiny real child processes


def _script(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_once_returns_the_worst_status() -> None:
    codes = {"a": "raise SystemExit(0)", "b": "raise SystemExit(4)",
             "c": "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"}
    assert Supervisor(["a", "b"], once=True, command=lambda n, once: _script(codes[n])).run() == 4
    assert Supervisor(["a", "c"], once=True, command=lambda n, once: _script(codes[n])).run() == 128 + 9


def test_a_dead_child_is_restarted(tmp_path: Path) -> None:
    """First start exits 3, the restart stays up until stopped."""
    marker = tmp_path / "starts"
    code = (f"import pathlib, sys, time\np = pathlib.Path({str(marker)!r})\n"
            "n = len(p.read_text()) if p.exists() else 0\np.write_text('x' * (n + 1))\n"
            "sys.exit(3) if n == 0 else time.sleep(60)\n")
    sup = Supervisor(["a"], command=lambda n, once: _script(code))
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(sup.run()))
    thread.start()
    deadline = time.monotonic() + 20
    while (not marker.exists() or len(marker.read_text()) < 2) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.read_text() == "xx"
    sup.stop.set()
    thread.join(timeout=15)
    assert not thread.is_alive()
    assert sup.children[0].statuses[0] == 3
    assert result == [128 + signal.SIGTERM]  # python's default SIGTERM action


def test_a_child_ignoring_sigterm_is_killed_after_the_grace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(supervisor, "STOP_GRACE", 0.5)
    code = "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\ntime.sleep(60)\n"
    ready = threading.Event()
    sup = Supervisor(["stubborn"], command=lambda n, once: _script(code))
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(sup.run()))
    thread.start()
    deadline = time.monotonic() + 10
    while not ready.is_set() and time.monotonic() < deadline:
        proc = sup.children[0].proc
        if proc is not None and Path(f"/proc/{proc.pid}/status").exists():
            status = Path(f"/proc/{proc.pid}/status").read_text()
            ignored = int(status.split("SigIgn:")[1].split()[0], 16)
            if ignored & (1 << (signal.SIGTERM - 1)):  # the child is set up
                ready.set()
        time.sleep(0.05)
    assert ready.is_set()
    started = time.monotonic()
    sup.stop.set()
    thread.join(timeout=10)
    assert result == [128 + signal.SIGKILL]
    assert time.monotonic() - started < 3


def test_secrets_in_mailbox_tables_stay_secret(settings: Settings) -> None:
    s = load_settings(database_url=settings.database_url,
                      mailboxes=[{"name": "le", "imap_user": "a", "imap_password": "hunter2", "smtp_password": "p2"}])
    assert isinstance(s.mailboxes[0]["imap_password"], SecretStr)
    assert "hunter2" not in repr(s) and "p2" not in json.dumps(s.mailboxes, default=str)


def test_each_mailbox_sends_only_its_own_outbox_rows(settings: Settings, engine: Engine) -> None:
    """Its own relay login must not carry another mailbox's mail; rows of a removed mailbox still go out."""
    base = load_settings(database_url=settings.database_url, mailboxes=[
        {"name": "le", "imap_user": "a", "imap_password": "x"},
        {"name": "eu", "imap_user": "b", "imap_password": "y"},
    ])
    boxes = configured_mailboxes(base)
    with session_scope(engine) as session:
        for mailbox in ("le", "eu", "renamed-long-ago", "eu"):
            session.add(Outbox(mailbox=mailbox, status="queued", to_address="x@police.example"))
    claimed = {}
    for box in reversed(boxes):
        ids = mailbox_sender(boxes, box, engine).claim(limit=10)
        with session_scope(engine) as session:
            claimed[box.name] = sorted(str(session.get(Outbox, i).mailbox) for i in ids)  # type: ignore[union-attr]
    assert claimed == {"eu": ["eu", "eu"], "le": ["le", "renamed-long-ago"]}


def test_children_die_with_a_killed_supervisor(tmp_path: Path) -> None:
    """SIGKILL leaves no chance to forward anything: the kernel sends the children SIGTERM."""
    code = ("import sys\nfrom triage.supervisor import Supervisor\n"
            "sleeper = [sys.executable, '-c', 'import time; time.sleep(60)']\n"
            "Supervisor(['a', 'b'], command=lambda n, o: sleeper).run()\n")
    parent = subprocess.Popen([sys.executable, "-c", code])
    try:
        deadline = time.monotonic() + 20
        while len(_children(parent.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        children = _children(parent.pid)
        assert len(children) == 2
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 5
    while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in children if _alive(pid)]
