"""Health of a deployment, as the container's HEALTHCHECK and ``triage healthcheck`` see it.

Reads only the shared database, so any replica (leader or follower) gives the same answer:
the database answers, every mailbox the configuration watches was polled within three of its
poll intervals, and no outgoing mail has been failing for longer than
``health_outbox_max_failing_minutes``. The polls of a mailbox removed from the configuration
stay in the database as history; they are not a fault.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, or_, select, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import col

from store.models import MailboxState, Outbox, utcnow
from triage.mailbox import make_source
from triage.mailboxes import configured_mailboxes
from triage.settings import Settings

POLL_INTERVALS_ALLOWED = 3


@dataclass(frozen=True)
class Health:
    ok: bool
    reason: str


@dataclass(frozen=True)
class Watched:
    """A mailbox the deployment watches: the name its daemon records polls under, and its poll interval."""

    name: str
    poll_seconds: float


def watched_mailboxes(settings: Settings) -> list[Watched]:
    """The configured ``[[mailboxes]]``, else the one top-level mailbox; raises MailboxError when invalid."""
    boxes = configured_mailboxes(settings)
    if boxes:
        return [Watched(box.name, box.settings.poll_seconds) for box in boxes]
    return [Watched(make_source(settings).name, settings.poll_seconds)]


def _aware(dt: datetime) -> datetime:
    """SQLite may hand back naive datetimes; they were stored as UTC."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def check_health(engine: Engine, settings: Settings, now: datetime | None = None,
                 watched: list[Watched] | None = None) -> Health:
    """The first problem found, or ok; never raises.

    ``watched``: the mailboxes to check (``watched_mailboxes``); None checks every mailbox the
    database has polls of, each against ``settings.poll_seconds``.
    """
    now = now or utcnow()
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            return (_check_mailboxes(conn, settings, now, watched) or _check_outbox(conn, settings, now)
                    or Health(True, "ok"))
    except Exception as exc:  # the reason is the answer; a traceback would be noise here
        return Health(False, f"database unreachable: {_first_line(exc)}")


def _check_mailboxes(conn: Connection, settings: Settings, now: datetime, watched: list[Watched] | None
                     ) -> Health | None:
    """Each watched mailbox's newest poll over its folders must be recent (a follower sees the leader's)."""
    rows = conn.execute(
        select(col(MailboxState.mailbox), func.max(col(MailboxState.last_poll_at))).group_by(col(MailboxState.mailbox))
    ).all()
    if not rows:
        return Health(False, "mailbox never polled (no mailbox state in the database)")
    polled = {str(mailbox): last for mailbox, last in rows}
    boxes = watched if watched is not None else [Watched(name, settings.poll_seconds) for name in polled]
    for box in sorted(boxes, key=lambda b: b.name):
        mailbox, last = box.name, polled.get(box.name)
        if last is None:
            return Health(False, f"mailbox {mailbox!r} never polled")
        limit = timedelta(seconds=box.poll_seconds * POLL_INTERVALS_ALLOWED)
        age = now - _aware(last)
        if age > limit:
            return Health(
                False,
                f"mailbox {mailbox!r} last polled {int(age.total_seconds())}s ago "
                f"(limit {int(limit.total_seconds())}s = {POLL_INTERVALS_ALLOWED} poll intervals)",
            )
    return None


def _check_outbox(conn: Connection, settings: Settings, now: datetime) -> Health | None:
    """Failed rows, and queued/sending rows that already failed an attempt, count as failing."""
    minutes = settings.health_outbox_max_failing_minutes
    if minutes <= 0:
        return None
    failing = or_(
        col(Outbox.status) == "failed",
        (col(Outbox.status).in_(("queued", "sending"))) & (col(Outbox.attempts) > 0),
    )
    cutoff = now - timedelta(minutes=minutes)
    count, oldest = conn.execute(
        select(func.count(), func.min(col(Outbox.created_at))).where(failing, col(Outbox.created_at) <= cutoff)
    ).one()
    if count:
        age_min = int((now - _aware(oldest)).total_seconds() // 60)
        return Health(
            False,
            f"outbox: {count} outgoing mail(s) failing for more than {minutes} min (oldest {age_min} min)",
        )
    return None
