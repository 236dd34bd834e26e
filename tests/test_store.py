"""The store's promises: where it lives, how it is opened, what it refuses, how it upgrades.

File-level behaviour (WAL, locks, permissions, refusing a damaged file untouched, backups)
is tested on SQLite files in ``tmp_path``; version and foreign-table checks also run on
PostgreSQL through ``store_location``. The committed ``fixtures/store-v1.db`` is always
copied before it is opened.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import sqlite3
import stat
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from peewee import Database, SqliteDatabase

from app import migrations
from app.check import run_checks
from app.controller import Controller, Decision, OrderItem
from app.errors import StoreError
from app.models import Customer, Product
from app.queries import backorders
from app.store import Store, open_store

FIXTURE = Path(__file__).parent / "fixtures" / "store-v1.db"


# ------------------------------------------------------------------ helpers


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def companions(path: Path) -> list[str]:
    """The SQLite side files next to ``path`` (none should appear for a refused file)."""
    return sorted(p.name for p in path.parent.glob(path.name + "-*"))


def raw_sql(path: Path, *statements: str) -> None:
    """Change a SQLite file behind the program's back, then leave it as one closed file."""
    conn = sqlite3.connect(path)
    try:
        for statement in statements:
            conn.execute(statement)
        conn.commit()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def read_only(path: Path, sql: str) -> list[tuple[Any, ...]]:
    """Read a SQLite file without changing it or leaving side files."""
    conn = sqlite3.connect(f"{path.as_uri()}?immutable=1", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def columns(path: Path, table: str) -> set[str]:
    return {row[1] for row in read_only(path, f"PRAGMA table_info({table})")}


def version_in(store: Store) -> int:
    cursor = store.database.execute_sql(
        f"SELECT value FROM setting WHERE key = {store.database.param}", ("schema_version",)
    )
    return int(cursor.fetchone()[0])


def set_version(location: str | Path, version: int) -> None:
    """Stamp a store with another schema version, as a different program would have."""
    store = open_store(location)
    try:
        store.database.execute_sql(
            f"UPDATE setting SET value = {store.database.param} WHERE key = 'schema_version'",
            (str(version),),
        )
    finally:
        store.close()


@pytest.fixture
def v1_copy(tmp_path: Path) -> Path:
    """A private copy of the committed version-1 store."""
    target = tmp_path / "shop.db"
    shutil.copyfile(FIXTURE, target)
    return target


@pytest.fixture
def add_loyalty_column(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Pretend the program is at version 2, whose one step adds a column."""

    def step(db: Database) -> None:
        db.execute_sql("ALTER TABLE customer ADD COLUMN loyalty_points INTEGER DEFAULT 0 NOT NULL")

    monkeypatch.setattr(migrations, "STEPS", [step])
    monkeypatch.setattr(migrations, "CURRENT_VERSION", 2)
    yield


def fill(store: Store) -> int:
    """A little data through the controller; returns the waiting line's product id."""
    desk = Controller(store)
    product = desk.add_product(sku="W-1", name="Widget", barcodes=["4006381333931"])
    customer = desk.add_customer(name="Ann", email="ann@example.com")
    desk.place_order(customer.id, [OrderItem(product.id, 2)], decisions={product.id: Decision.WAIT})
    return int(product.id)


def waiting_lines() -> list[tuple[str, str, int]]:
    return [(row.customer, row.sku, row.waiting) for row in backorders()]


# ------------------------------------------------------------ how it is opened


def test_sqlite_store_runs_in_wal_with_foreign_keys_full_sync_and_busy_timeout(
    sqlite_store: Store,
) -> None:
    def pragma(name: str) -> Any:
        return sqlite_store.database.execute_sql(f"PRAGMA {name}").fetchone()[0]

    assert pragma("journal_mode") == "wal"
    assert pragma("foreign_keys") == 1
    assert pragma("synchronous") == 2  # FULL
    assert pragma("busy_timeout") > 0

    # Peewee opens one connection per thread; a worker thread gets the same settings.
    seen: dict[str, Any] = {}

    def worker() -> None:
        seen["foreign_keys"] = pragma("foreign_keys")
        seen["synchronous"] = pragma("synchronous")
        sqlite_store.database.close()

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen == {"foreign_keys": 1, "synchronous": 2}


def test_a_write_transaction_holds_the_write_lock_from_begin(controller: Controller) -> None:
    store = controller.store
    product = controller.add_product(sku="L-1", name="Lockable")
    with store.write():
        if store.is_sqlite:
            assert store.path is not None
            # Nothing read or written yet: the lock must already be held.
            other = sqlite3.connect(store.path, timeout=0, isolation_level=None)
            try:
                with pytest.raises(sqlite3.OperationalError, match="database is locked"):
                    other.execute("BEGIN IMMEDIATE")
            finally:
                other.close()
        else:
            import psycopg2
            import psycopg2.errors

            store.lock_products([product.id])
            other = psycopg2.connect(store.location)
            try:
                with (
                    pytest.raises(psycopg2.errors.LockNotAvailable),
                    other.cursor() as cursor,
                ):
                    cursor.execute(
                        "SELECT id FROM product WHERE id = %s FOR UPDATE NOWAIT", (product.id,)
                    )
            finally:
                other.close()
    # Once the transaction ends, the other station can write again.
    if store.is_sqlite:
        assert store.path is not None
        other = sqlite3.connect(store.path, timeout=0, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        other.close()


def test_a_second_station_opens_a_store_another_is_writing_to(sqlite_store: Store) -> None:
    fill(sqlite_store)
    assert sqlite_store.path is not None
    with sqlite_store.write():
        sqlite_store.database.execute_sql("UPDATE product SET name = 'Renamed'")
        second = open_store(sqlite_store.path)
        try:
            # The vetting read neither waits for nor sees the uncommitted change.
            assert [p.name for p in Product.select()] == ["Widget"]
        finally:
            second.close()
    third = open_store(sqlite_store.path)
    try:
        assert [p.name for p in Product.select()] == ["Renamed"]
    finally:
        third.close()


# ---------------------------------------------------------------- where it lives


def test_default_store_is_created_owner_only_in_the_user_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.delenv("BACKORDER_DESK_DB", raising=False)
    expected = home / "data" / "backorder-desk" / "backorder-desk.db"
    assert not expected.parent.exists()

    store = open_store()
    try:
        assert store.path == expected
        fill(store)
        # SQLite gives its side files the store's own permissions.
        wal = expected.with_name(expected.name + "-wal")
        assert stat.S_IMODE(wal.stat().st_mode) == 0o600
    finally:
        store.close()
    assert stat.S_IMODE(expected.stat().st_mode) == 0o600
    assert stat.S_IMODE(expected.parent.stat().st_mode) == 0o700
    assert companions(expected) == []  # closed, the store is one file to copy or back up

    again = open_store()
    try:
        assert again.path == expected
        assert waiting_lines() == [("Ann", "W-1", 2)]
    finally:
        again.close()


def test_the_environment_variable_names_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "from-env.db"
    monkeypatch.setenv("BACKORDER_DESK_DB", str(target))
    store = open_store()
    store.close()
    assert store.path == target
    assert target.exists()


def test_an_explicit_location_beats_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from_env = tmp_path / "from-env.db"
    explicit = tmp_path / "explicit.db"
    monkeypatch.setenv("BACKORDER_DESK_DB", str(from_env))
    store = open_store(explicit)
    store.close()
    assert store.path == explicit
    assert explicit.exists() and not from_env.exists()


def test_a_sqlite_url_names_a_file(tmp_path: Path) -> None:
    target = tmp_path / "by-url.db"
    store = open_store(f"sqlite:///{target}")
    try:
        fill(store)
    finally:
        store.close()
    assert store.path == target
    assert read_only(target, "SELECT sku FROM product") == [("W-1",)]


# ---------------------------------------------------------- what it refuses


def make_text(path: Path) -> None:
    path.write_text("sku,qty\nW-1,3\n", encoding="utf-8")


def make_png(path: Path) -> None:
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)


def make_scrambled(path: Path) -> None:
    """The fixture with some pages in the middle overwritten (a bad disk, a bad copy)."""
    shutil.copyfile(FIXTURE, path)
    data = bytearray(path.read_bytes())
    noise = random.Random(7)
    page = 4096
    for number in range(10, 40, 3):
        start = number * page + 200
        data[start : start + 1500] = bytes(noise.randrange(256) for _ in range(1500))
    path.write_bytes(bytes(data))


def make_truncated(path: Path) -> None:
    """The fixture cut off half-way (an interrupted copy)."""
    data = FIXTURE.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def make_newer(path: Path) -> None:
    shutil.copyfile(FIXTURE, path)
    raw_sql(
        path,
        f"UPDATE setting SET value = '{migrations.CURRENT_VERSION + 1}' "
        "WHERE key = 'schema_version'",
    )


def make_foreign(path: Path) -> None:
    """Another program's SQLite database, in SQLite's default (rollback journal) mode."""
    raw_sql(
        path,
        "CREATE TABLE invoice (id INTEGER PRIMARY KEY, total REAL)",
        "INSERT INTO invoice (total) VALUES (12.5)",
    )


def make_unversioned(path: Path) -> None:
    raw_sql(path, "CREATE TABLE setting (key TEXT PRIMARY KEY, value TEXT)")


REFUSED: dict[str, tuple[Callable[[Path], None], list[str]]] = {
    "text file": (make_text, ["not a SQLite database", "--db"]),
    "PNG image": (make_png, ["not a SQLite database", "--db"]),
    "scrambled pages": (make_scrambled, ["damaged", "restore it from a backup"]),
    "truncated copy": (make_truncated, ["damaged", "restore it from a backup"]),
    "newer program's store": (make_newer, ["newer Backorder Desk", "update the program"]),
    "another program's database": (make_foreign, ["not a Backorder Desk store", "invoice"]),
    "no schema version": (make_unversioned, ["no schema version", "--db"]),
}


@pytest.mark.parametrize("kind", list(REFUSED))
def test_a_file_that_is_not_a_healthy_store_is_refused_untouched(kind: str, tmp_path: Path) -> None:
    make, phrases = REFUSED[kind]
    path = tmp_path / "chosen.db"
    make(path)
    before = digest(path)

    with pytest.raises(StoreError) as refused:
        open_store(path)

    message = str(refused.value)
    assert str(path) in message
    for phrase in phrases:
        assert phrase in message
    assert "left untouched" in message
    assert "\n" not in message
    assert digest(path) == before
    assert companions(path) == []


def test_after_refusing_a_file_the_open_store_keeps_working(
    sqlite_store: Store, tmp_path: Path
) -> None:
    fill(sqlite_store)
    foreign = tmp_path / "other.db"
    make_foreign(foreign)
    with pytest.raises(StoreError):
        open_store(foreign)
    assert [p.sku for p in Product.select()] == ["W-1"]
    assert waiting_lines() == [("Ann", "W-1", 2)]


def test_a_newer_store_is_refused_on_each_backend(store_location: str) -> None:
    store = open_store(store_location)
    fill(store)
    store.close()
    newer = migrations.CURRENT_VERSION + 1
    set_version(store_location, newer)

    with pytest.raises(StoreError, match="newer Backorder Desk .*update the program"):
        open_store(store_location)

    # Reading the version back needs an open store, so pretend to be the newer program.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(migrations, "CURRENT_VERSION", newer)
        reopened = open_store(store_location)
        try:
            assert version_in(reopened) == newer
            assert waiting_lines() == [("Ann", "W-1", 2)]
        finally:
            reopened.close()


def test_another_programs_database_is_refused_on_each_backend(store_location: str) -> None:
    if "://" in store_location:
        import psycopg2

        conn = psycopg2.connect(store_location)
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute("CREATE TABLE invoice (id SERIAL PRIMARY KEY, total NUMERIC)")
            cursor.execute("INSERT INTO invoice (total) VALUES (12.5)")

        def tables() -> list[str]:
            with conn.cursor() as cursor:
                cursor.execute(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = 'public' ORDER BY table_name"
                )
                return [row[0] for row in cursor.fetchall()]
    else:
        path = Path(store_location)
        make_foreign(path)

        def tables() -> list[str]:
            return [row[0] for row in read_only(path, "SELECT name FROM sqlite_master")]

    try:
        with pytest.raises(StoreError, match="not a Backorder Desk store .*invoice"):
            open_store(store_location)
        assert tables() == ["invoice"]
    finally:
        if "://" in store_location:
            conn.close()


# ----------------------------------------------------- where it cannot be made


def test_a_store_under_a_file_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "notes.txt"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(StoreError, match="Cannot create the store .*folder you can write to"):
        open_store(blocker / "shop" / "store.db")
    assert blocker.read_text(encoding="utf-8") == "not a folder"


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="running as root: folder permissions do not stop root from writing "
    "(the path-under-a-file test covers the message)",
)
def test_a_store_in_a_read_only_folder_cannot_be_created(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(StoreError, match="Cannot create the store .*Permission denied"):
            open_store(folder / "store.db")
    finally:
        folder.chmod(0o700)


def test_a_folder_is_not_a_store(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a folder, not a store file"):
        open_store(tmp_path)


def test_an_unreachable_server_gives_a_clear_message_without_the_password() -> None:
    with pytest.raises(StoreError) as refused:
        open_store("postgresql://clerk:hunter2@127.0.0.1:1/shop")
    message = str(refused.value)
    assert message.startswith("Cannot connect to the store postgresql://127.0.0.1/shop")
    assert "Check that the server is running" in message
    assert "hunter2" not in message
    assert "\n" not in message


def test_an_unknown_address_gives_a_clear_message_without_the_password() -> None:
    with pytest.raises(StoreError) as refused:
        open_store("ftp://clerk:hunter2@files.example.com/shop")
    message = str(refused.value)
    assert "Cannot use the store address" in message
    assert "postgresql://" in message  # what to give instead
    assert "hunter2" not in message
    assert "\n" not in message


# ------------------------------------------------------------ the v1 fixture


def test_the_committed_fixture_is_one_checkpointed_version_1_file() -> None:
    assert companions(FIXTURE) == []
    assert read_only(FIXTURE, "PRAGMA quick_check") == [("ok",)]
    assert read_only(FIXTURE, "SELECT value FROM setting WHERE key = 'schema_version'") == [("1",)]
    assert FIXTURE.stat().st_size < 512 * 1024


def test_the_version_1_store_opens_and_its_data_is_sound(v1_copy: Path, tmp_path: Path) -> None:
    store = open_store(v1_copy)
    try:
        assert run_checks() == []
        assert waiting_lines() == [("Ann Archer", "W-100", 2)]
        desk = Controller(store)
        assert desk.find_product("4006381333931").sku == "W-100"
        assert desk.find_product("0012345678905").sku == "G-200"  # the UPC-A, as EAN-13
        assert desk.find_customer("bob baker").phone == "555 0102"
        if migrations.CURRENT_VERSION == 1:
            assert list(tmp_path.glob("*.bak.db")) == []
    finally:
        store.close()


def schema_of(path: Path) -> dict[str, set[tuple[Any, ...]]]:
    """Each table's columns (name, type, not null, primary key) and its index names."""
    shape: dict[str, set[tuple[Any, ...]]] = {}
    tables = read_only(path, "SELECT name FROM sqlite_master WHERE type = 'table'")
    for (table,) in tables:
        cols = read_only(path, f"PRAGMA table_info({table})")
        shape[table] = {(c[1], c[2].upper(), c[3], c[5]) for c in cols}
        shape[table] |= {("index", i[1]) for i in read_only(path, f"PRAGMA index_list({table})")}
    return shape


def test_an_upgraded_version_1_store_has_the_same_schema_as_a_new_one(
    v1_copy: Path, tmp_path: Path
) -> None:
    """Changing a model without a migration step (or with a wrong one) fails here."""
    open_store(v1_copy).close()
    fresh = tmp_path / "fresh.db"
    open_store(fresh).close()
    assert schema_of(v1_copy) == schema_of(fresh)


# ------------------------------------------------------------------ upgrades


@pytest.mark.usefixtures("add_loyalty_column")
def test_an_older_store_is_backed_up_then_upgraded(v1_copy: Path) -> None:
    store = open_store(v1_copy)
    try:
        assert version_in(store) == 2
        assert "loyalty_points" in [c.name for c in store.database.get_columns("customer")]
        assert run_checks() == []
        assert waiting_lines() == [("Ann Archer", "W-100", 2)]
    finally:
        store.close()

    backups = list(v1_copy.parent.glob("shop.v1-*.bak.db"))
    assert len(backups) == 1
    backup = backups[0]
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert read_only(backup, "SELECT value FROM setting WHERE key = 'schema_version'") == [("1",)]
    assert "loyalty_points" not in columns(backup, "customer")
    assert read_only(backup, "PRAGMA integrity_check") == [("ok",)]

    # Opening the upgraded store again neither upgrades nor backs up again.
    open_store(v1_copy).close()
    assert len(list(v1_copy.parent.glob("*.bak.db"))) == 1


def test_the_backup_is_a_working_version_1_store(v1_copy: Path) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(migrations, "STEPS", [lambda db: None])
        patch.setattr(migrations, "CURRENT_VERSION", 2)
        open_store(v1_copy).close()
    (backup,) = v1_copy.parent.glob("*.bak.db")
    # Back on the version-1 program, the backup is what a user would restore.
    restored = open_store(backup)
    try:
        assert run_checks() == []
        assert waiting_lines() == [("Ann Archer", "W-100", 2)]
    finally:
        restored.close()


@pytest.mark.usefixtures("add_loyalty_column")
def test_an_older_store_is_upgraded_on_each_backend(
    store_location: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(migrations, "STEPS", [])
        patch.setattr(migrations, "CURRENT_VERSION", 1)
        old = open_store(store_location)
        fill(old)
        old.close()

    store = open_store(store_location)
    try:
        assert version_in(store) == 2
        assert [
            row[0]
            for row in store.database.execute_sql("SELECT loyalty_points FROM customer").fetchall()
        ] == [0]
        assert waiting_lines() == [("Ann", "W-1", 2)]
    finally:
        store.close()


def failing_step(db: Database) -> None:
    db.execute_sql("ALTER TABLE customer ADD COLUMN half_done INTEGER")
    raise RuntimeError("disk quota exceeded")


def add_column(db: Database) -> None:
    db.execute_sql("ALTER TABLE product ADD COLUMN colour VARCHAR(20)")


@pytest.mark.parametrize(
    ("steps", "left_at"), [([failing_step], 1), ([add_column, failing_step], 2)]
)
def test_a_failing_step_leaves_the_store_at_the_last_good_version(
    store_location: str,
    monkeypatch: pytest.MonkeyPatch,
    steps: list[Callable[[Database], None]],
    left_at: int,
) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(migrations, "STEPS", [])
        patch.setattr(migrations, "CURRENT_VERSION", 1)
        old = open_store(store_location)
        fill(old)
        old.close()

    with monkeypatch.context() as patch:
        patch.setattr(migrations, "STEPS", steps)
        patch.setattr(migrations, "CURRENT_VERSION", 1 + len(steps))
        with pytest.raises(StoreError) as refused:
            open_store(store_location)
        message = str(refused.value)
        assert f"from schema {left_at} to {left_at + 1} failed (disk quota exceeded)" in message
        assert f"left at schema {left_at}" in message
        if "://" not in store_location:
            assert ".v1-" in message and ".bak.db" in message  # where the backup is

        # The program that knows the store's version opens it, nothing half-written.
        patch.setattr(migrations, "STEPS", steps[: left_at - 1])
        patch.setattr(migrations, "CURRENT_VERSION", left_at)
        store = open_store(store_location)
        try:
            assert version_in(store) == left_at
            names = [c.name for c in store.database.get_columns("customer")]
            assert "half_done" not in names
            assert waiting_lines() == [("Ann", "W-1", 2)]
            assert Customer.select().count() == 1
        finally:
            store.close()


def test_a_step_another_station_already_ran_is_not_run_again(
    v1_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two stations open an old shared store at once: the step runs once, not twice."""
    ran: list[int] = []

    def step(db: Database) -> None:
        ran.append(1)
        db.execute_sql("ALTER TABLE customer ADD COLUMN loyalty_points INTEGER")

    monkeypatch.setattr(migrations, "STEPS", [step])
    monkeypatch.setattr(migrations, "CURRENT_VERSION", 2)

    def other_station_upgrades_meanwhile(old_version: int) -> Path | None:
        raw_sql(
            v1_copy,
            "ALTER TABLE customer ADD COLUMN loyalty_points INTEGER",
            "UPDATE setting SET value = '2' WHERE key = 'schema_version'",
        )
        return None

    db = SqliteDatabase(str(v1_copy), pragmas={"journal_mode": "wal"})
    try:
        migrations.bring_up_to_date(db, backup=other_station_upgrades_meanwhile)
    finally:
        db.close()
    assert ran == []
    assert read_only(v1_copy, "SELECT value FROM setting WHERE key = 'schema_version'") == [("2",)]


@pytest.mark.parametrize("typed", ["²", "9" * 5000, "-5", "ten"])
def test_a_busy_timeout_variable_that_is_not_a_plain_number_falls_back_to_the_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, typed: str
) -> None:
    monkeypatch.setenv("BACKORDER_DESK_BUSY_TIMEOUT_MS", typed)
    store = open_store(tmp_path / "shop.db")
    try:
        assert store.database.execute_sql("PRAGMA busy_timeout").fetchone()[0] == 10_000
    finally:
        store.close()
