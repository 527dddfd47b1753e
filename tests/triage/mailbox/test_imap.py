"""The IMAP source against a real Dovecot: UID fetch, MOVE / COPY+EXPUNGE / flag, IDLE, UIDVALIDITY."""

from __future__ import annotations

import itertools
import threading
import time

import pytest

from tests.servers.dovecot import DovecotServer
from triage.mailbox.base import SourceError
from triage.mailbox.imap import ImapSource
from triage.settings import Settings


def _msg(n: int) -> bytes:
    head = f"From: a{n}@police.example\r\nSubject: request {n}\r\nMessage-ID: <m{n}@police.example>\r\n"
    return f"{head}\r\nbody {n}\r\n".encode()


def _source(settings: Settings, server: DovecotServer, **over: object) -> ImapSource:
    s = settings.model_copy(update={"imap_host": server.host, "imap_port": server.port, "imap_user": server.user,
                                    "imap_password": __import__("pydantic").SecretStr(server.password),
                                    "imap_ssl": False, "imap_timeout": 10.0, **over})
    return ImapSource(s)


def test_fetch_in_uid_order_and_move(settings: Settings, dovecot: DovecotServer) -> None:
    dovecot.append(*[_msg(i) for i in range(5)])
    src = _source(settings, dovecot)
    uidvalidity = src.open()
    assert uidvalidity == dovecot.uidvalidity()
    batches = list(src.fetch_batches(0, batch_size=2))
    assert [len(b) for b in batches] == [2, 2, 1]
    items = [i for b in batches for i in b]
    assert [i.uid for i in items] == sorted(i.uid for i in items if i.uid is not None)
    assert items[0].raw.startswith(b"From: a0@") and items[0].internaldate is not None
    assert items[0].internaldate.tzinfo is not None
    assert [i.uid for b in src.fetch_batches(items[2].uid or 0, 10) for i in b] == [items[3].uid, items[4].uid]
    src.mark_processed(items[0])
    src.close()
    assert dovecot.count("INBOX") == 4 and dovecot.count("Processed") == 1
    # the last UID is not returned again by "n:*" once it has been processed
    src2 = _source(settings, dovecot)
    src2.open()
    assert list(src2.fetch_batches(items[4].uid or 0, 10)) == []
    src2.close()


def test_copy_expunge_when_move_is_missing(settings: Settings, dovecot: DovecotServer) -> None:
    dovecot.append(_msg(1), _msg(2))
    src = _source(settings, dovecot, processed_folder="Done")
    src.open()
    src.capabilities.discard("MOVE")
    items = [i for b in src.fetch_batches(0, 10) for i in b]
    src.mark_processed(items[0])
    src.close()
    assert dovecot.count("INBOX") == 1 and dovecot.count("Done") == 1


def test_flag_mode_leaves_mail_in_place(settings: Settings, dovecot: DovecotServer) -> None:
    dovecot.append(_msg(1))
    src = _source(settings, dovecot, mark_mode="flag")
    src.open()
    item = next(iter(src.fetch_batches(0, 10)))[0]
    src.mark_processed(item)
    flags = src.client.get_flags([item.uid])[item.uid]
    src.close()
    assert b"$Triaged" in flags and b"\\Seen" not in flags  # BODY.PEEK: still unread for humans
    assert dovecot.count("INBOX") == 1


def test_idle_wakes_on_append(settings: Settings, dovecot: DovecotServer) -> None:
    src = _source(settings, dovecot)
    src.open()
    stop = threading.Event()
    timer = threading.Timer(1.0, dovecot.append, args=(_msg(9),))
    timer.start()
    started = time.monotonic()
    woke = src.wait_for_mail(60, stop)
    timer.join()
    assert woke and time.monotonic() - started < 30
    assert len(next(iter(src.fetch_batches(0, 10)))) == 1
    src.close()


def test_connection_loss_is_a_source_error(settings: Settings, dovecot: DovecotServer) -> None:
    src = _source(settings, dovecot)
    src.open()
    dovecot.stop()
    with pytest.raises(SourceError):
        list(src.fetch_batches(0, 10))
    dovecot.start()
    src.open()
    src.close()


def test_idle_is_reissued_before_idle_seconds(settings: Settings, dovecot: DovecotServer) -> None:
    src = _source(settings, dovecot, idle_seconds=0.5)
    src.open()
    calls: list[float] = []
    real_idle = src.client.idle

    def counting_idle() -> object:
        calls.append(time.monotonic())
        return real_idle()

    src.client.idle = counting_idle  # type: ignore[method-assign]
    assert src.wait_for_mail(2.6, threading.Event()) is False
    src.close()
    assert len(calls) >= 3  # IDLE, DONE and IDLE again every idle_seconds
    assert all(b - a >= 0.4 for a, b in itertools.pairwise(calls))


def test_a_batch_is_marked_with_one_move(settings: Settings, dovecot: DovecotServer) -> None:
    dovecot.append(*[_msg(i) for i in range(4)])
    src = _source(settings, dovecot)
    src.open()
    items = [i for b in src.fetch_batches(0, 10) for i in b]
    moves: list[list[int]] = []
    real_move = src.client.move
    src.client.move = lambda uids, folder: moves.append(list(uids)) or real_move(uids, folder)  # type: ignore[method-assign]
    src.mark_processed_many(items[:3])
    src.mark_processed_many([])
    src.close()
    assert moves == [[i.uid for i in items[:3]]]
    assert dovecot.count("INBOX") == 1 and dovecot.count("Processed") == 3
