"""Follow-ups from the reviews of the workstations and import/dashboard work: what a store
that cannot be opened or is locked says, settings and backups under the roles and in the
audit log, labels for every audited action, more invariants in ``check``, and the ETAs of a
page of the backorder list.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from peewee import SqliteDatabase

from app.errors import StoreError
from app.store import Store, _bind, open_store
from tests.conftest import PG_ENV, reset_postgres

# ------------------------------------------------------------------ opening and locks


def test_a_server_store_that_cannot_be_opened_does_not_mention_sqlite_files() -> None:
    url = os.environ.get(PG_ENV, "")
    if not url:
        pytest.skip(f"PostgreSQL only: set {PG_ENV} to a test database URL")
    reset_postgres(url)
    import psycopg2

    # A table called "setting" that is not ours: reading the schema version fails.
    conn = psycopg2.connect(url.replace("postgresql+psycopg2", "postgresql"))
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute('CREATE TABLE setting ("key" TEXT)')
    conn.close()

    with pytest.raises(StoreError) as refused:
        open_store(url)

    message = str(refused.value)
    assert message.startswith("Cannot open the store postgresql://")
    assert "-wal" not in message and "SQLite" not in message
    assert "server is running" in message and "--db" in message
    assert "\n" not in message


def test_a_sqlite_store_that_cannot_be_opened_names_its_working_files(tmp_path: Path) -> None:
    # A file SQLite cannot open (its folder is gone): the hint is about the folder and the
    # -wal and -shm files SQLite keeps beside the store.
    missing = tmp_path / "gone" / "shop.db"
    store = Store(database=SqliteDatabase(str(missing)), location=str(missing), path=missing)

    with pytest.raises(StoreError) as refused:
        _bind(store)

    message = str(refused.value)
    assert message.startswith(f"Cannot open the store {missing}")
    assert "(-wal, -shm)" in message and "--db" in message
