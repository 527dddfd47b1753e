"""The pg_url fixture gives a migrated, isolated PostgreSQL database."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from store.db import make_engine

pytestmark = pytest.mark.postgres


def test_pg_url_is_migrated_and_isolated(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"ticket", "raw_message", "outbox", "alembic_version"} <= tables
    assert "/triage_t_" in pg_url
