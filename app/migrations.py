"""Schema versions and the ordered steps that upgrade an older store.

The version lives in the ``setting`` table under ``schema_version`` (portable, unlike
SQLite's ``user_version``). A new store gets today's tables and today's version. An older
store is backed up first, then upgraded one step at a time, each step in its own
transaction, so a failure leaves the store at the last good version. A store from a newer
program is refused untouched.

Steps are written in plain SQL against the schema as it was at their version; they never
import today's model classes, which will have moved on.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from peewee import Database

from app.errors import StoreError

VERSION_KEY = "schema_version"

#: ``STEPS[n]`` upgrades a store from version ``n + 1`` to ``n + 2``.
STEPS: list[Callable[[Database], None]] = []

CURRENT_VERSION = 1 + len(STEPS)


def stored_version(db: Database) -> int | None:
    """The store's schema version; ``None`` for an empty database."""
    tables = set(db.get_tables())
    if not tables:
        return None
    if "setting" not in tables:
        raise StoreError(
            "This database is not a Backorder Desk store (it has other tables). "
            "It was left untouched; choose the right store with --db."
        )
    row = db.execute_sql(f"SELECT value FROM setting WHERE key = {db.param}", (VERSION_KEY,))
    found = row.fetchone()
    if found is None:
        raise StoreError(
            "This database has no schema version, so it is not a Backorder Desk store. "
            "It was left untouched; choose the right store with --db."
        )
    try:
        return int(found[0])
    except ValueError as error:
        raise StoreError(
            f"This store's schema version {found[0]!r} is unreadable; it was left untouched."
        ) from error


def bring_up_to_date(db: Database, *, backup: Callable[[int], Path | None]) -> None:
    """Create a new store's tables, or upgrade an older one after backing it up."""
    version = stored_version(db)
    if version is None:
        _create_fresh(db)
        return
    if version > CURRENT_VERSION:
        raise StoreError(
            f"This store was made by a newer Backorder Desk (schema {version}; this program "
            f"knows up to {CURRENT_VERSION}). It was left untouched; update the program."
        )
    if version == CURRENT_VERSION:
        return
    backup(version)
    for step_version in range(version, CURRENT_VERSION):
        with db.atomic():
            STEPS[step_version - 1](db)
            _set_version(db, step_version + 1)


def _create_fresh(db: Database) -> None:
    # Imported here: only a brand-new store is built from today's models.
    from app.clock import utcnow
    from app.models import ALL_MODELS, Setting, Staff

    with db.atomic():
        db.create_tables(ALL_MODELS)
        Setting.create(key=VERSION_KEY, value=str(CURRENT_VERSION))
        Setting.create(key="created_at", value=utcnow().isoformat(timespec="seconds"))
        Staff.create(name="Admin", role="manager")


def _set_version(db: Database, version: int) -> None:
    db.execute_sql(
        f"UPDATE setting SET value = {db.param} WHERE key = {db.param}",
        (str(version), VERSION_KEY),
    )
