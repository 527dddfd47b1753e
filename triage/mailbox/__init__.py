"""Where mail comes from: an IMAP folder or a local Maildir, behind one small protocol."""

from __future__ import annotations

from triage.mailbox.base import Fetched, Source, SourceError
from triage.settings import Settings


def make_source(settings: Settings) -> Source:
    """The source named by ``settings.source``; nothing connects until ``open()``."""
    path = settings.maildir_path
    if path is not None:
        from triage.mailbox.maildir import MaildirSource

        return MaildirSource(path)
    from triage.mailbox.imap import ImapSource

    return ImapSource(settings)


__all__ = ["Fetched", "Source", "SourceError", "make_source"]
