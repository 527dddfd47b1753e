from sqlalchemy import inspect

from store.db import make_engine
from store.migrate import current_heads, upgrade


def test_single_head() -> None:
    assert len(current_heads("sqlite://")) == 1


def test_upgrade_creates_tables_and_is_idempotent(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    upgrade(url)
    names = set(inspect(make_engine(url)).get_table_names())
    assert {"ticket", "raw_message", "outbox", "audit_event", "mailbox_state"} <= names
