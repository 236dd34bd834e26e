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

import json
from collections import defaultdict
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


def _v4_line_history(db: Database) -> None:
    """Version 4: what an order line's moving quantities forget, kept for the dashboard
    (``app.dashboard``): units reserved at order time (the fill rate), units lost to a
    shortage (lost demand, with a small index of the lines that lost any) and when a
    waiting line was served in full (the waits).

    Old lines are filled in from the store's own records. A line that needed no decision
    was reserved in full at order time; one cancelled at the counter lost all its units. A
    line that waited takes its units reserved at order time from its ``order.place`` audit
    event, its lost units from the waiting units its ``line.cancel`` events cancelled, and
    its fulfilment time from the "ready" message that told its customer. Where a record is
    missing: none reserved, every cancelled unit lost, no fulfilment time (the line is
    left out of the waits).
    """
    stamp = "DATETIME" if isinstance(db, SqliteDatabase) else "TIMESTAMP"
    for column, kind in (
        ("qty_reserved_at_order", "INTEGER NOT NULL DEFAULT 0"),
        ("qty_lost", "INTEGER NOT NULL DEFAULT 0"),
        ("fulfilled_at", stamp),
    ):
        db.execute_sql(f'ALTER TABLE "order_line" ADD COLUMN "{column}" {kind}')
    db.execute_sql(
        'UPDATE "order_line" SET "qty_reserved_at_order" = "qty_ordered" WHERE "decision" IS NULL'
    )
    db.execute_sql(
        'UPDATE "order_line" SET "qty_lost" = "qty_ordered" WHERE "decision" = \'cancel\''
    )
    db.execute_sql(
        'UPDATE "order_line" SET "qty_lost" = "qty_cancelled" '
        'WHERE "decision" = \'wait\' AND "qty_cancelled" > 0'
    )

    reserved: dict[int, int] = {}
    placed = db.execute_sql(
        'SELECT "detail" FROM "audit_event" WHERE "entity" = \'order\' '
        'AND "action" = \'order.place\' AND "entity_id" IN '
        '(SELECT "order_id" FROM "order_line" WHERE "decision" = \'wait\')'
    )
    for (detail,) in placed:
        for line in _json_list(detail, "lines"):
            if isinstance(line, dict) and line.get("waiting"):
                reserved[int(line["line_id"])] = int(line["reserved"])
    _backfill(db, "qty_reserved_at_order", "INTEGER", reserved)

    lost: dict[int, int] = defaultdict(int)
    cancels = db.execute_sql(
        'SELECT "entity_id", "detail" FROM "audit_event" WHERE "entity" = \'order_line\' '
        'AND "action" = \'line.cancel\' AND "entity_id" IN '
        '(SELECT "id" FROM "order_line" WHERE "decision" = \'wait\' AND "qty_cancelled" > 0)'
    )
    for line_id, detail in cancels:
        try:
            lost[int(line_id)] += int(json.loads(detail)["waiting"])
        except (ValueError, KeyError, TypeError):
            continue
    _backfill(db, "qty_lost", "INTEGER", lost)

    db.execute_sql(
        'CREATE INDEX IF NOT EXISTS "order_line_lost" ON "order_line" '
        '("product_id", "queued_at", "qty_lost", "unit_price_cents") WHERE ("qty_lost" > 0)'
    )

    served: dict[int, Any] = {}
    ready = db.execute_sql(
        'SELECT "created_at", "payload" FROM "customer_message" WHERE "event" = \'ready\''
    )
    for created_at, payload in ready:
        for line_id in _json_list(payload, "line_ids"):
            served[int(line_id)] = created_at
    _backfill(db, "fulfilled_at", stamp, served, only='"decision" = \'wait\' AND "qty_waiting" = 0')


def _json_list(text: str, key: str) -> list[Any]:
    """``json.loads(text)[key]`` when that is a list; ``[]`` for anything unreadable."""
    try:
        found = json.loads(text).get(key)
    except (ValueError, AttributeError):
        return []
    return found if isinstance(found, list) else []


def _backfill(
    db: Database, column: str, kind: str, values: dict[int, Any], *, only: str = "1 = 1"
) -> None:
    """Set ``order_line.<column>`` per line id: the values go into a temporary table in
    multi-row INSERTs, then one UPDATE copies them (portable, and fast on a big store)."""
    if not values:
        return
    db.execute_sql(
        f'CREATE TEMPORARY TABLE "line_backfill" ("line_id" INTEGER PRIMARY KEY, "value" {kind})'
    )
    rows = sorted(values.items())
    for start in range(0, len(rows), 400):
        batch = rows[start : start + 400]
        marks = ", ".join([f"({db.param}, {db.param})"] * len(batch))
        db.execute_sql(
            f'INSERT INTO "line_backfill" ("line_id", "value") VALUES {marks}',
            [item for row in batch for item in row],
        )
    db.execute_sql(
        f'UPDATE "order_line" SET "{column}" = (SELECT b."value" FROM "line_backfill" b '
        'WHERE b."line_id" = "order_line"."id") '
        f'WHERE "id" IN (SELECT "line_id" FROM "line_backfill") AND {only}'
    )
    db.execute_sql('DROP TABLE "line_backfill"')


def _v5_drop_unused_indexes(db: Database) -> None:
    """Version 5: drop the indexes nothing looks up by: the "who did it" columns (an
    order's, a line decision's, a movement's and a told message's staff member) and an
    order line's product (every look-up by product is of waiting lines, which
    ``order_line_queue`` serves). Every order wrote entries into them, each one more page
    in every commit (order placement is bound by its durable commits)."""
    for name in (
        "order_line_product_id",
        "customer_order_staff_id",
        "order_line_decided_by_id",
        "stock_movement_staff_id",
        "customer_message_told_by_id",
    ):
        db.execute_sql(f'DROP INDEX IF EXISTS "{name}"')


def _v6_drop_message_id_index(db: Database) -> None:
    """Version 6: drop the unique index on a message's Message-ID. Nothing looks a
    message up by it, and ids are unique by how they are made (a random prefix per
    program, then a count: ``app.messaging``); every order that waits wrote an entry."""
    db.execute_sql('DROP INDEX IF EXISTS "customer_message_message_id"')


#: ``STEPS[n]`` upgrades a store from version ``n + 1`` to ``n + 2``.
STEPS: list[Callable[[Database], None]] = [
    _v2_order_status_indexes,
    _v3_serving_order_index,
    _v4_line_history,
    _v5_drop_unused_indexes,
    _v6_drop_message_id_index,
]

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


#: PostgreSQL advisory lock key held while a new store's tables are created.
_CREATE_LOCK = 0x4261636B6F7264  # "Backord"


def _create_fresh(db: Database) -> None:
    # Imported here: only a brand-new store is built from today's models.
    from app.clock import utcnow
    from app.models import ALL_MODELS, Setting, Staff

    # Stations opening a new store at the same moment: the first builds it while the others
    # wait for its lock, then find it built (SQLite: the write lock taken at BEGIN).
    with _step_transaction(db):
        if not isinstance(db, SqliteDatabase):
            db.execute_sql(f"SELECT pg_advisory_xact_lock({db.param})", (_CREATE_LOCK,))
        if stored_version(db) is not None:
            return
        db.create_tables(ALL_MODELS)
        Setting.create(key=VERSION_KEY, value=str(CURRENT_VERSION))
        Setting.create(key="created_at", value=utcnow().isoformat(timespec="seconds"))
        Staff.create(name="Admin", role="manager")


def _set_version(db: Database, version: int) -> None:
    db.execute_sql(
        f"UPDATE setting SET value = {db.param} WHERE key = {db.param}",
        (str(version), VERSION_KEY),
    )
