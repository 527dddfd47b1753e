"""The outbox sender: claim due rows, deliver them, record the outcome, retry with backoff.

Rows are claimed in a short transaction (PostgreSQL: ``FOR UPDATE SKIP LOCKED``; SQLite: one
conditional UPDATE), sent with no transaction open, then settled together in another. Delivery
is at-least-once: if the process dies after the server's 250 and before the settle commits, the
claim expires and the row is sent again. Never raises for SMTP or file errors.
"""

from __future__ import annotations

import logging
import os
import smtplib
import socket
import time
import uuid
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, Table, Update, bindparam, null, or_, update
from sqlalchemy import select as core_select
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from store.audit import NewEvent, record_many
from store.db import is_postgres, session_scope
from store.models import Outbox, Ticket, utcnow
from triage.metrics import Metrics
from triage.replies.transport import Attempt, SmtpTransport
from triage.settings import Settings

log = logging.getLogger(__name__)
SETTLE_SECONDS = 1.0  # outcomes are recorded together, at most this long after the first of them
SETTLE_MAX_ROWS = 20  # ... and at most this many: the most acknowledgments a crash can send twice


def backoff_seconds(settings: Settings, attempts: int) -> float:
    """Delay before retry number ``attempts`` (1-based): base, doubling, capped."""
    delay = settings.outbox_backoff_seconds * (2 ** max(attempts - 1, 0))
    return float(min(delay, settings.outbox_backoff_max_seconds))


class OutboxSender(SmtpTransport):
    """Delivers queued Outbox rows over SMTP (or as .eml files when ``outbox_dir`` is set)."""

    def __init__(
        self, settings: Settings, engine: Engine, worker_id: str | None = None, metrics: Metrics | None = None
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.metrics = metrics
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._smtp: smtplib.SMTP | None = None  # kept open across the rows of one deliver_due call
        self._keep = False

    # --- claiming

    def _lease(self) -> timedelta:
        return timedelta(seconds=self.settings.smtp_timeout * 4 + 60)

    def _due(self, now: datetime) -> ColumnElement[bool]:
        """Queued and due, or claimed by a worker whose lease ran out (it died mid-send)."""
        return or_(
            (col(Outbox.status) == "queued") & (col(Outbox.next_attempt_at) <= now),
            (col(Outbox.status) == "sending") & (col(Outbox.claimed_until) < now),
        )

    def claim(self, limit: int) -> list[int]:
        """Mark up to ``limit`` due rows as ours ('sending'); return their ids."""
        now = utcnow()
        until = now + self._lease()
        with session_scope(self.engine) as session:
            query = select(Outbox.id).where(self._due(now)).order_by(col(Outbox.next_attempt_at), col(Outbox.id))
            query = query.limit(limit)
            if is_postgres(self.engine):
                ids = [i for i in session.exec(query.with_for_update(skip_locked=True)).all() if i is not None]
                if ids:
                    session.execute(
                        update(Outbox)
                        .where(col(Outbox.id).in_(ids))
                        .values(status="sending", claimed_by=self.worker_id, claimed_until=until)
                    )
                return ids
            # SQLite: writers are serialised, so one conditional UPDATE claims the whole batch atomically
            claimed = session.execute(
                update(Outbox)
                .where(col(Outbox.id).in_(query.scalar_subquery()))
                .values(status="sending", claimed_by=self.worker_id, claimed_until=until)
                .returning(col(Outbox.id), col(Outbox.next_attempt_at))
            ).all()
            return [row_id for row_id, _ in sorted(claimed, key=lambda r: (r[1] or now, r[0]))]

    # --- settling

    def settle(self, row_id: int, result: Attempt) -> bool:
        """Record the outcome of one attempt; True when the row is now sent."""
        return self.settle_all([(row_id, result)]) == 1

    def settle_all(self, outcomes: list[tuple[int, Attempt]]) -> int:
        """Record the outcomes of several attempts in ONE transaction; how many rows are now sent.

        A row whose claim was lost meanwhile (its lease ran out and another worker took it) is
        left alone, as before. Written with Core statements, each once for the group: the audit
        events (one executemany once the chain's head is known), the rows' new state (one
        executemany UPDATE), the acknowledged tickets (one UPDATE).
        """
        now = utcnow()
        with session_scope(self.engine) as session:
            found = {r.id: r for r in session.execute(_claimed_rows(), {"ids": [i for i, _ in outcomes]})}
            changes: list[dict[str, Any]] = []
            events: list[NewEvent] = []
            acknowledged: list[int] = []
            for row_id, result in outcomes:
                row = found.get(row_id)
                if row is None or row.claimed_by != self.worker_id or row.status != "sending":
                    log.warning("outbox %s: claim lost before settling (%s)", row_id, result.response)
                    continue
                change, event = self._outcome(row, result, now)
                changes.append(change)
                events += [event] if event is not None else []
                if change["to_status"] == "sent" and row.kind == "ack" and row.ticket_id is not None:
                    acknowledged.append(row.ticket_id)
            record_many(session, events)  # the chain first, as before (the order locks are taken in)
            if changes:
                session.execute(_settle_update(), changes)
            if acknowledged:
                session.execute(_stamp_acknowledged(), {"ids": acknowledged, "now": now})
        return sum(change["to_status"] == "sent" for change in changes)

    def _outcome(self, row: Row[Any], result: Attempt, now: datetime) -> tuple[dict[str, Any], NewEvent | None]:
        """The row's new state (parameters of ``_settle_update``) and its audit event (none for a retry);
        logged and counted."""
        attempts = row.attempts + 1
        change = {"row_id": row.id, "to_attempts": attempts, "to_status": "queued", "to_sent_at": row.sent_at,
                  "to_smtp_response": row.smtp_response, "to_last_error": result.response,
                  "to_next_attempt_at": row.next_attempt_at}
        if result.ok:
            change |= {"to_status": "sent", "to_sent_at": now, "to_smtp_response": result.response,
                       "to_last_error": None}
            event = NewEvent(f"{row.kind}_sent", ticket_id=row.ticket_id,
                             detail={"outbox_id": row.id, "response": result.response, "attempts": attempts})
            log.info("outbox %s: %s sent to %s: %s", row.id, row.kind, row.to_address, result.response)
        elif result.permanent or attempts >= self.settings.outbox_max_attempts:
            change["to_status"] = "failed"
            if result.permanent:
                change["to_smtp_response"] = result.response
            event = NewEvent(f"{row.kind}_failed", ticket_id=row.ticket_id,
                             detail={"outbox_id": row.id, "error": result.response, "attempts": attempts})
            log.warning("outbox %s: %s to %s FAILED after %d attempts: %s", row.id, row.kind, row.to_address,
                        attempts, result.response)
        else:
            change["to_next_attempt_at"] = now + timedelta(seconds=backoff_seconds(self.settings, attempts))
            event = None
            log.info("outbox %s: attempt %d failed (%s); retry at %s", row.id, attempts,
                     result.response, change["to_next_attempt_at"].isoformat())
        self._count(row.kind, change["to_status"])
        return change, event

    def _count(self, kind: str, status: str) -> None:
        """Acknowledgment outcomes for the metrics: each sent row, and each that finally failed."""
        if self.metrics is not None and kind == "ack" and status in ("sent", "failed"):
            self.metrics.acknowledgment(status)

    # --- delivering

    def deliver_due(self, limit: int = 100) -> int:
        """Deliver every due row (up to ``limit``); returns how many were sent."""
        try:
            ids = self.claim(limit)
        except Exception:
            log.exception("outbox: claiming failed")
            return 0
        if not ids:
            return 0
        try:
            with session_scope(self.engine) as session:  # one read for the batch
                rows = list(session.exec(select(Outbox).where(col(Outbox.id).in_(ids))))
        except Exception:
            log.exception("outbox: reading the claimed rows failed")
            return 0
        order = {row_id: i for i, row_id in enumerate(ids)}
        self._keep = True
        try:
            return self._deliver_rows(sorted(rows, key=lambda r: order.get(r.id or 0, 0)))
        finally:
            self._keep = False
            self._hang_up()

    def _deliver_rows(self, rows: list[Outbox]) -> int:
        """Send each row; settle the outcomes together, at the latest ``SETTLE_SECONDS`` after the oldest.

        Delivery stays at-least-once: a crash between a server's 250 and the settle resends the
        rows of that group when their claim expires; a group is at most ``SETTLE_MAX_ROWS`` rows
        and a second of sending.
        """
        sent = 0
        pending: list[tuple[int, Attempt]] = []
        started = time.monotonic()
        for row in rows:
            assert row.id is not None
            if not pending:
                started = time.monotonic()
            pending.append((row.id, self._attempt_safely(row)))
            if len(pending) >= SETTLE_MAX_ROWS or time.monotonic() - started >= SETTLE_SECONDS:
                sent += self._settle_safely(pending)
                pending = []
        return sent + (self._settle_safely(pending) if pending else 0)

    def _attempt_safely(self, row: Outbox) -> Attempt:
        try:
            return self.attempt(row)
        except Exception as exc:  # bad input never escapes the sender
            self._drop()
            return Attempt(False, f"unexpected: {type(exc).__name__}: {exc}")

    def _settle_safely(self, outcomes: list[tuple[int, Attempt]]) -> int:
        try:
            return self.settle_all(outcomes)
        except Exception:
            log.exception("outbox %s: settling failed", ", ".join(str(i) for i, _ in outcomes))
            return 0


def _outbox() -> Table:
    return Outbox.__table__  # type: ignore[attr-defined]


@cache
def _claimed_rows() -> Select[Any]:
    """What settling reads of the claimed rows (not the message bytes); built once."""
    t = _outbox()
    return core_select(t.c.id, t.c.claimed_by, t.c.status, t.c.kind, t.c.ticket_id, t.c.attempts, t.c.to_address,
                       t.c.smtp_response, t.c.sent_at, t.c.next_attempt_at
                       ).where(t.c.id.in_(bindparam("ids", expanding=True)))


@cache
def _settle_update() -> Update:
    """One row's new state by id, run as an executemany over the group; built once."""
    t = _outbox()
    return update(t).where(t.c.id == bindparam("row_id")).values(
        status=bindparam("to_status", type_=t.c.status.type),
        attempts=bindparam("to_attempts", type_=t.c.attempts.type),
        claimed_by=null(), claimed_until=null(), sent_at=bindparam("to_sent_at", type_=t.c.sent_at.type),
        smtp_response=bindparam("to_smtp_response", type_=t.c.smtp_response.type),
        last_error=bindparam("to_last_error", type_=t.c.last_error.type),
        next_attempt_at=bindparam("to_next_attempt_at", type_=t.c.next_attempt_at.type),
    )


@cache
def _stamp_acknowledged() -> Update:
    """The tickets whose acknowledgment was sent, stamped once (a later one keeps the first time)."""
    t: Table = Ticket.__table__  # type: ignore[attr-defined]
    return update(t).where(t.c.id.in_(bindparam("ids", expanding=True)), t.c.acknowledged_at.is_(None)).values(
        acknowledged_at=bindparam("now", type_=t.c.acknowledged_at.type))
