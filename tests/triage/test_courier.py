"""The courier thread: delivers when kicked and on its own clock, survives a failing round, stops cleanly."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy.engine import Engine

from tests.servers.smtp import SmtpServer
from tests.triage.daemon_helpers import mail, maildir_with, outbox, server_settings
from triage.courier import Courier
from triage.daemon import Daemon
from triage.settings import Settings

WAIT = 10.0  # generous: these wait for a thread, they do not time it


class Rounds:
    """A deliver function that counts its rounds and can hold one open until released."""

    def __init__(self, fail_first: bool = False) -> None:
        self.count = 0
        self.fail_first = fail_first
        self.ran = threading.Event()
        self.hold: threading.Event | None = None
        self.inside = threading.Event()

    def __call__(self) -> int:
        self.count += 1
        self.inside.set()
        if self.hold is not None:
            self.hold.wait(WAIT)
        self.ran.set()
        if self.fail_first and self.count == 1:
            raise RuntimeError("relay exploded")
        return 1


def test_a_kick_delivers_at_once_without_waiting_for_the_poll() -> None:
    rounds = Rounds()
    courier = Courier(rounds, poll_seconds=3600)
    courier.start()
    try:
        assert not rounds.ran.wait(0.2)  # nothing due, an hour to the next round
        courier.kick()
        assert rounds.ran.wait(WAIT) and rounds.count == 1
    finally:
        courier.close()
    assert not courier.running


def test_the_courier_delivers_on_its_own_clock() -> None:
    rounds = Rounds()
    courier = Courier(rounds, poll_seconds=0.05)
    courier.start()
    try:
        assert rounds.ran.wait(WAIT)
    finally:
        courier.close()


def test_a_failing_round_does_not_end_delivery() -> None:
    rounds = Rounds(fail_first=True)
    courier = Courier(rounds, poll_seconds=3600)
    courier.start()
    try:
        courier.kick()
        assert rounds.ran.wait(WAIT)
        rounds.ran.clear()
        courier.kick()
        assert rounds.ran.wait(WAIT) and rounds.count == 2
    finally:
        courier.close()


def test_close_finishes_the_round_in_progress_then_stops() -> None:
    rounds = Rounds()
    rounds.hold = threading.Event()
    courier = Courier(rounds, poll_seconds=3600)
    courier.start()
    courier.kick()
    assert rounds.inside.wait(WAIT)
    closer = threading.Thread(target=courier.close)
    closer.start()
    assert courier.running  # waits for the round: a message half sent is finished, not cut
    rounds.hold.set()
    closer.join(WAIT)
    assert not closer.is_alive() and not courier.running and rounds.count == 1


def test_a_run_once_sends_every_ack_before_it_returns(
    settings: Settings, engine: Engine, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    """The courier sends while the loop files; ``--once`` drains what is left before exiting."""
    raws = [mail(sender=f"officer{i}@police{i}.example", msgid=f"<c{i}@police.example>") for i in range(7)]
    box = maildir_with(tmp_path, raws)
    s = server_settings(settings, None, smtp_server).model_copy(update={"source": f"maildir:{box}", "batch_size": 2})
    daemon = Daemon(s, engine)
    assert daemon.run(once=True) == 0
    assert not daemon.courier.running
    acks = [o for o in outbox(engine) if o.kind == "ack"]
    assert len(acks) == 7 and all(o.status == "sent" for o in acks)
    assert sorted(to for m in smtp_server.messages for to in m.rcpt_tos) == sorted(
        f"officer{i}@police{i}.example" for i in range(7))


def test_a_follower_courier_delivers_nothing(settings: Settings, engine: Engine, tmp_path: Path) -> None:
    """Only the mailbox's leader sends and pages: a follower's courier rounds are empty."""
    s = settings.model_copy(update={"source": f"maildir:{maildir_with(tmp_path, [])}"})
    daemon = Daemon(s, engine)
    sent: list[int] = []

    def deliver() -> int:
        sent.append(1)
        return 1

    daemon.deliver = deliver  # type: ignore[method-assign]
    assert daemon._deliver_as_leader() == 0 and sent == []
    assert daemon.leader.try_acquire()
    try:
        assert daemon._deliver_as_leader() == 1 and sent == [1]
    finally:
        daemon.leader.release()
