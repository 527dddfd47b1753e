"""``triage demo``: the bundled sample inbox processed end to end, no servers needed.

The sample Maildir is copied into ``<data_dir>/demo-inbox`` (the bundled files are never
moved), processed into the configured database, and acknowledgments are written as .eml
files into the outbox folder instead of being sent. Then the review UI starts, when that
module is installed.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import secrets
import shutil
from pathlib import Path

from store.db import make_engine
from triage.cli.run import prepare_database
from triage.cli.tickets import collect, print_table
from triage.mailbox.maildir import MaildirSource
from triage.settings import Settings

log = logging.getLogger(__name__)
DEMO_USER = "demo"
SAMPLE_MAILDIR = Path(__file__).resolve().parent.parent / "demo" / "maildir"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="process the bundled sample inbox and show the result")
    p.add_argument("--no-serve", action="store_true", help="print the tickets and exit (no review UI)")
    p.set_defaults(func=cmd_demo)


def demo_settings(settings: Settings) -> Settings:
    """Acknowledgments go to .eml files; the fictional demo senders are acknowledged though unverified."""
    update: dict[str, object] = {}
    if settings.outbox_dir is None:
        update["outbox_dir"] = settings.data_dir / "outbox"
    if "ack_unverified" not in settings.model_fields_set:
        update["ack_unverified"] = True
    return settings.model_copy(update=update)


def copy_sample(dest: Path) -> Path:
    """A fresh working copy of the sample Maildir (re-runs are deduplicated by SHA-256)."""
    for sub in ("new", "cur", "tmp"):
        (dest / sub).mkdir(parents=True, exist_ok=True)
    for src in sorted((SAMPLE_MAILDIR / "new").iterdir()):
        shutil.copyfile(src, dest / "new" / src.name)
    return dest


def web_available() -> bool:
    return importlib.util.find_spec("triage.web.app") is not None


def serve_ui(settings: Settings) -> int:
    """The hook into the review UI, built by another module; absent UI is not an error."""
    if not web_available():
        print("review UI not installed; tickets are listed above")
        return 0
    web_serve = importlib.import_module("triage.web.serve")
    name, password = demo_login(settings)
    print(f"\nreview UI: http://{settings.web_host}:{settings.web_port}/   (Ctrl-C to stop)")
    print(f"demo login: {name} / {password}   (an admin of this demo database only)")
    return int(web_serve.serve(settings) or 0)


def demo_login(settings: Settings) -> tuple[str, str]:
    """An admin account for the demo database, with a fresh random password on every start."""
    from sqlmodel import select

    from store.db import session_scope
    from store.models import User
    from store.users import create_user, set_password

    password = secrets.token_urlsafe(9)
    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            user = session.exec(select(User).where(User.name == DEMO_USER)).first()
            if user is None:
                create_user(session, DEMO_USER, password, role="admin")
            else:
                set_password(session, user, password)
                user.failed_logins, user.locked_until, user.active = 0, None, True
                session.add(user)
    finally:
        engine.dispose()
    return DEMO_USER, password


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from triage.daemon import Daemon

    settings = demo_settings(settings)
    prepare_database(settings)
    assert settings.outbox_dir is not None
    settings.outbox_dir.mkdir(parents=True, exist_ok=True)
    source = MaildirSource(copy_sample(settings.data_dir / "demo-inbox"), name="demo")
    engine = make_engine(settings.database_url)
    try:
        status = Daemon(settings, engine, source=source).run(once=True)
    finally:
        engine.dispose()
    print_table(collect(settings))
    print(f"\nacknowledgments written to {settings.outbox_dir}")
    if status or args.no_serve:
        return status
    return serve_ui(settings)
