"""Several mailboxes in one deployment: per-mailbox Settings built from ``[[triage.mailboxes]]``.

Each table names a mailbox and overrides only what differs (account, folder, relay, sender
identity); everything else is inherited from the top-level settings. The result is one plain
``Settings`` per mailbox, so the daemon, the acknowledgment composer and the loop rules
(``Settings.ours()``) work per mailbox unchanged. Errors are one line naming mailbox and key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr, ValidationError
from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.engine import Engine
from sqlmodel import col

from store.models import Outbox
from triage.replies.sender import OutboxSender
from triage.settings import Settings

# Settings a mailbox may override: its account and folders, its relay, its sender identity.
_PREFIXES = ("imap_", "smtp_")
_OTHERS = frozenset({
    "source", "processed_folder", "mark_mode", "from_address", "own_addresses", "bounce_address", "organisation",
})
_FILE_KEYS = {"imap_password_file": "imap_password", "smtp_password_file": "smtp_password"}


class MailboxError(Exception):
    """The mailbox configuration is invalid; the message names the mailbox and the key."""


@dataclass(frozen=True)
class Mailbox:
    """One configured mailbox: its key (checkpoints, leadership, ``Ticket.mailbox``) and settings."""

    name: str
    settings: Settings


def allowed_keys() -> frozenset[str]:
    """Keys a ``[[triage.mailboxes]]`` table may hold besides ``name``."""
    fields = {f for f in Settings.model_fields if f.startswith(_PREFIXES) or f in _OTHERS}
    return frozenset(fields | set(_FILE_KEYS))


def _name(spec: dict[str, Any], index: int) -> str:
    name = spec.get("name")
    if not isinstance(name, str) or not name.strip():
        raise MailboxError(f"mailbox #{index + 1}: key 'name' is missing (a unique, non-empty string)")
    return name.strip()


def _overrides(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    """The table minus its name, with ``*_password_file`` read; unknown keys are an error."""
    allowed = allowed_keys()
    for key in spec:
        if key != "name" and key not in allowed:
            raise MailboxError(f"mailbox {name!r}: unknown key {key!r}")
    out = {k: v for k, v in spec.items() if k != "name" and k not in _FILE_KEYS}
    for file_key, key in _FILE_KEYS.items():
        if file_key not in spec:
            continue
        if key in spec:
            raise MailboxError(f"mailbox {name!r}: give {key!r} or {file_key!r}, not both")
        try:
            out[key] = SecretStr(Path(str(spec[file_key])).read_text(encoding="utf-8").strip())
        except OSError as exc:
            raise MailboxError(f"mailbox {name!r}: cannot read {file_key!r}: {exc.strerror or exc}") from None
    return out


def _validated(name: str, base: Settings, overrides: dict[str, Any]) -> Settings:
    values = base.model_dump() | overrides
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"]) or "settings"
        raise MailboxError(f"mailbox {name!r}: invalid {key!r}: {err['msg']}") from None


def _check_credentials(name: str, s: Settings) -> None:
    """A mailbox that cannot log in should fail at start, not at its first poll."""
    if s.source == "imap":
        if not s.imap_user:
            raise MailboxError(f"mailbox {name!r}: key 'imap_user' is missing")
        oauth = s.imap_oauth2_token_file is not None or bool(s.imap_oauth2_token_command)
        if not oauth and not s.imap_password.get_secret_value():
            raise MailboxError(f"mailbox {name!r}: key 'imap_password' is missing (or imap_password_file, "
                               "or an IMAP OAuth2 token source)")
    if s.smtp_user and s.outbox_dir is None:
        oauth = s.smtp_oauth2_token_file is not None or bool(s.smtp_oauth2_token_command)
        if not oauth and not s.smtp_password.get_secret_value():
            raise MailboxError(f"mailbox {name!r}: key 'smtp_password' is missing (smtp_user is set)")


def configured_mailboxes(settings: Settings) -> list[Mailbox]:
    """The mailboxes of ``settings.mailboxes``, validated; empty when none are configured.

    Every mailbox's addresses count as "ours" in every other mailbox too: an acknowledgment
    from one of our addresses must never be acknowledged by another of our mailboxes.
    """
    boxes: list[Mailbox] = []
    for index, spec in enumerate(settings.mailboxes):
        name = _name(spec, index)
        if any(b.name == name for b in boxes):
            raise MailboxError(f"mailbox {name!r}: duplicate name")
        box_settings = _validated(name, settings, _overrides(name, spec))
        _check_credentials(name, box_settings)
        if settings.metrics_port:  # one exporter per child process: consecutive ports
            box_settings = box_settings.model_copy(update={"metrics_port": settings.metrics_port + index})
        boxes.append(Mailbox(name, box_settings))
    everyone = sorted(set().union(*(b.settings.ours() for b in boxes))) if boxes else []
    return [
        Mailbox(b.name, b.settings.model_copy(update={
            "own_addresses": [*b.settings.own_addresses, *(a for a in everyone if a not in b.settings.ours())]
        }))
        for b in boxes
    ]


def find_mailbox(boxes: list[Mailbox], name: str) -> Mailbox:
    for box in boxes:
        if box.name == name:
            return box
    known = ", ".join(repr(b.name) for b in boxes) or "none configured"
    raise MailboxError(f"no mailbox named {name!r} ({known})")


class MailboxSender(OutboxSender):
    """Delivers only its own mailbox's outbox rows, through that mailbox's relay and login.

    The first mailbox also adopts rows of mailboxes no longer configured, so nothing queued
    under an old name is stranded.
    """

    def __init__(self, settings: Settings, engine: Engine, mailbox: str, adopt_except: list[str] | None = None
                 ) -> None:
        super().__init__(settings, engine)
        self.mailbox = mailbox
        self.adopt_except = adopt_except

    def _due(self, now: datetime) -> ColumnElement[bool]:
        mine: ColumnElement[bool] = col(Outbox.mailbox) == self.mailbox
        if self.adopt_except is not None:
            mine = or_(mine, col(Outbox.mailbox).not_in(self.adopt_except))
        return and_(super()._due(now), mine)


def mailbox_sender(boxes: list[Mailbox], box: Mailbox, engine: Engine) -> MailboxSender:
    adopt = [b.name for b in boxes] if box is boxes[0] else None
    return MailboxSender(box.settings, engine, box.name, adopt)
