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
from typing import Any

from peewee import Database, SqliteDatabase

from app.errors import StoreError

VERSION_KEY = "schema_version"


def _v2_order_status_indexes(db: Database) -> None:
    """Version 2: partial indexes behind the orders list's status filter (lines with
    waiting, reserved or cancelled units, by order; see ``app.order_queries``)."""
    for name, column in (
        ("order_line_waiting_order", "qty_waiting"),
        ("order_line_reserved_order", "qty_reserved"),
        ("order_line_cancelled_order", "qty_cancelled"),
    ):
        db.execute_sql(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "order_line" ("order_id") '
            f'WHERE ("{column}" > 0)'
        )


def _v3_serving_order_index(db: Database) -> None:
    """Version 3: waiting lines in serving order across all products, so the backorder
    list's first page is read off an index instead of sorting every waiting line."""
    db.execute_sql(
        'CREATE INDEX IF NOT EXISTS "order_line_serving" ON "order_line" '
        '("priority" DESC, "queued_at", "id") WHERE ("qty_waiting" > 0)'
    )


#: ``STEPS[n]`` upgrades a store from version ``n + 1`` to ``n + 2``.
STEPS: list[Callable[[Database], None]] = [_v2_order_status_indexes, _v3_serving_order_index]

CURRENT_VERSION = 1 + len(STEPS)


def stored_version(db: Database, *, where: str = "This database") -> int | None:
    """The store's schema version; ``None`` for an empty database.

    Raises:
        StoreError: the database has other tables, or no readable version.
    """
    tables = sorted(db.get_tables())
    if not tables:
        return None
    if "setting" not in tables:
        shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
        raise StoreError(
            f"{where} is not a Backorder Desk store (it has other tables: {shown}). "
            "It was left untouched; choose the right store with --db."
        )
    row = db.execute_sql(f"SELECT value FROM setting WHERE key = {db.param}", (VERSION_KEY,))
    found = row.fetchone()
    if found is None:
        raise StoreError(
            f"{where} has no schema version, so it is not a Backorder Desk store. "
            "It was left untouched; choose the right store with --db."
        )
    try:
        return int(found[0])
    except ValueError as error:
        raise StoreError(
            f"{where} has an unreadable schema version {found[0]!r}. It was left untouched; "
            "choose the right store with --db."
        ) from error


def known_version(db: Database, *, where: str = "This database") -> int | None:
    """The store's version if this program can use it; ``None`` for an empty database.

    Only reads, so it can vet a file opened read-only before anything is written to it.

    Raises:
        StoreError: not a store, or a store from a newer program.
    """
    version = stored_version(db, where=where)
    if version is not None and version > CURRENT_VERSION:
        raise _newer(where, version)
    return version


def _newer(where: str, version: int) -> StoreError:
    return StoreError(
        f"{where} was made by a newer Backorder Desk (schema {version}; this program "
        f"knows up to {CURRENT_VERSION}). It was left untouched; update the program."
    )


def bring_up_to_date(
    db: Database, *, backup: Callable[[int], Path | None], where: str = "The store"
) -> None:
    """Create a new store's tables, or upgrade an older one after backing it up.

    Raises:
        StoreError: not a store, a newer store, or a step failed; a failed step is rolled
            back, leaving the store at the last version it reached.
    """
    version = known_version(db, where=where)
    if version is None:
        _create_fresh(db)
        return
    if version == CURRENT_VERSION:
        return
    saved = backup(version)
    for step_version in range(version, CURRENT_VERSION):
        try:
            with _step_transaction(db):
                # Another station may have run this step since the version was read.
                now = _locked_version(db)
                if now > CURRENT_VERSION:
                    raise _newer(where, now)
                if now != step_version:
                    continue
                STEPS[step_version - 1](db)
                _set_version(db, step_version + 1)
        except StoreError:
            raise
        except Exception as error:
            kept = f" A copy from before the upgrade is at {saved}." if saved else ""
            raise StoreError(
                f"Upgrading {where} from schema {step_version} to {step_version + 1} failed "
                f"({' '.join(str(error).split()).rstrip('.')}); it was left at schema "
                f"{step_version}.{kept} "
                "Keep using the previous program version and report this problem."
            ) from error


def _step_transaction(db: Database) -> Any:
    # SQLite: take the write lock at BEGIN so no other station upgrades in between;
    # PostgreSQL: ``_locked_version`` locks the version row instead.
    if isinstance(db, SqliteDatabase):
        return db.atomic("IMMEDIATE")
    return db.atomic()


def _locked_version(db: Database) -> int:
    lock = "" if isinstance(db, SqliteDatabase) else " FOR UPDATE"
    row = db.execute_sql(
        f"SELECT value FROM setting WHERE key = {db.param}{lock}", (VERSION_KEY,)
    ).fetchone()
    return int(row[0])


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
