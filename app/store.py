"""Where the store lives and how it is opened, checked and written.

``open_store(location)`` is the only way in: it resolves the location (``--db``, the
``BACKORDER_DESK_DB`` variable, or a SQLite file in the user data folder), refuses a file
that is not a healthy Backorder Desk store without touching it, binds the models to the
database and brings the schema up to date (``app.migrations``).

Write transactions go through ``Store.write``: on SQLite it takes the write lock at BEGIN
(``BEGIN IMMEDIATE``) so a read-then-write can never be overtaken; on PostgreSQL the
controller takes row locks with ``Store.lock_products``. Both retry on a busy store or a
serialisation failure.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlparse

import platformdirs
from peewee import Database, OperationalError, PostgresqlDatabase, SqliteDatabase
from playhouse import db_url

from app import migrations
from app.errors import StoreError
from app.models import Product, database

APP_NAME = "backorder-desk"
ENV_VAR = "BACKORDER_DESK_DB"
SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 10_000

T = TypeVar("T")


def default_location() -> Path:
    """The SQLite file used when neither ``--db`` nor the environment names one."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "backorder-desk.db"


def resolve_location(location: str | os.PathLike[str] | None) -> str:
    """Pick the store location: the argument, else the environment, else the default."""
    if location is not None and str(location).strip():
        return str(location)
    from_env = os.environ.get(ENV_VAR, "").strip()
    if from_env:
        return from_env
    return str(default_location())


@dataclass
class Store:
    """An open store.

    Attributes:
        database: the Peewee database the models are bound to.
        location: what the user named (path or URL), for messages and the status bar.
        path: the SQLite file, or ``None`` for a server database.
    """

    database: Database
    location: str
    path: Path | None

    @property
    def is_sqlite(self) -> bool:
        return isinstance(self.database, SqliteDatabase)

    def describe(self) -> str:
        """A short, password-free description for the status bar and messages."""
        if self.path is not None:
            return str(self.path)
        parts = urlparse(self.location)
        host = parts.hostname or "localhost"
        return f"{parts.scheme}://{host}{parts.path}"

    @contextmanager
    def write(self) -> Iterator[None]:
        """One write transaction; nested calls become savepoints."""
        if self.is_sqlite and self.database.transaction_depth() == 0:
            with self.database.atomic("IMMEDIATE"):
                yield
        else:
            with self.database.atomic():
                yield

    def run_write(self, work: Callable[[], T], *, attempts: int = 5) -> T:
        """Run ``work`` in a write transaction, retrying when the store is busy.

        The whole transaction is rolled back and ``work`` runs again from the start, so it
        must not have effects outside the database.
        """
        for attempt in range(1, attempts + 1):
            try:
                with self.write():
                    return work()
            except OperationalError as error:
                if attempt == attempts or not _is_retryable(error):
                    raise _store_error(error, self) from error
            except Exception as error:  # psycopg errors are not peewee's
                if attempt == attempts or not _is_retryable(error):
                    raise
            time.sleep(0.02 * attempt)
        raise AssertionError("unreachable")

    def lock_products(self, product_ids: Iterable[int]) -> None:
        """Lock products' rows until the transaction ends (PostgreSQL; SQLite is locked)."""
        ids = sorted(set(product_ids))
        if not ids or self.is_sqlite:
            return
        # Always in id order, so two stations locking overlapping sets cannot deadlock.
        list(
            Product.select(Product.id)
            .where(Product.id.in_(ids))
            .order_by(Product.id)
            .for_update()
            .tuples()
        )

    def close(self) -> None:
        if not self.database.is_closed():
            self.database.close()


def _is_retryable(error: Exception) -> bool:
    text = str(error).lower()
    return (
        "database is locked" in text
        or "database is busy" in text
        or "could not serialize" in text
        or "deadlock detected" in text
    )


def _store_error(error: Exception, store: Store) -> Exception:
    text = str(error).lower()
    where = store.describe()
    if "locked" in text or "busy" in text:
        return StoreError(
            f"The store {where} is locked by another program; nothing was written. "
            "Close the other program (or wait for it) and try again."
        )
    if "readonly" in text or "read-only" in text:
        return StoreError(
            f"The store {where} is read-only; nothing was written. "
            "Check the file's permissions or choose another store with --db."
        )
    if "disk" in text and ("full" in text or "i/o" in text):
        return StoreError(
            f"Could not write to the store {where} ({error}); nothing was written. "
            "Free some disk space and try again."
        )
    return error


def open_store(location: str | os.PathLike[str] | None = None) -> Store:
    """Open (or create) the store and bring its schema up to date.

    Raises:
        StoreError: the location is unusable, or the file is not a healthy store of a
            version this program knows; the file is left as it was.
    """
    where = resolve_location(location)
    if "://" in where and not where.startswith("sqlite"):
        return _open_server(where)
    path = _sqlite_path(where)
    _prepare_sqlite_file(path)
    db = SqliteDatabase(
        str(path),
        pragmas={
            "journal_mode": "wal",
            "foreign_keys": 1,
            "busy_timeout": BUSY_TIMEOUT_MS,
            # A committed receipt must survive a power cut, WAL or not.
            "synchronous": "full",
        },
        timeout=BUSY_TIMEOUT_MS / 1000,
    )
    store = Store(database=db, location=where, path=path)
    _bind(store)
    return store


def _bind(store: Store) -> None:
    database.initialize(store.database)
    try:
        store.database.connect(reuse_if_open=True)
        migrations.bring_up_to_date(store.database, backup=store_backup_function(store))
    except StoreError:
        store.close()
        raise
    except OperationalError as error:
        store.close()
        raise _store_error(error, store) from error


def store_backup_function(store: Store) -> Callable[[int], Path | None]:
    """Returns what migrations call to back the store up before upgrading it."""

    def backup(old_version: int) -> Path | None:
        if store.path is None:
            return None  # a server database is backed up by its own tools (pg_dump)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = store.path.with_name(f"{store.path.stem}.v{old_version}-{stamp}.bak.db")
        backup_sqlite(store.database, target)
        return target

    return backup


def backup_sqlite(db: Database, target: Path) -> None:
    """Copy a live SQLite store to ``target`` with SQLite's online backup API."""
    source = db.connection()
    dest = sqlite3.connect(str(target))
    try:
        source.backup(dest)
    finally:
        dest.close()
    os.chmod(target, 0o600)


def _open_server(url: str) -> Store:
    try:
        db = db_url.connect(url)
    except (RuntimeError, ValueError, KeyError, TypeError) as error:
        raise StoreError(
            f"Cannot use the store address {url!r}: {error}. "
            "Give a file path or a URL such as postgresql://user@host/dbname."
        ) from error
    store = Store(database=db, location=url, path=None)
    try:
        db.connect()
    except Exception as error:
        raise StoreError(
            f"Cannot connect to the store {store.describe()}: {str(error).strip()}. "
            "Check that the server is running and the address, user and password are right."
        ) from error
    if isinstance(db, PostgresqlDatabase):
        # Read committed plus explicit row locks; see Store.lock_products.
        pass
    _bind(store)
    return store


def _sqlite_path(where: str) -> Path:
    if where.startswith("sqlite"):
        parsed = db_url.parse(where)
        name = parsed.get("database") or ""
        if not name or name == ":memory:":
            raise StoreError(
                f"The store address {where!r} names no file. "
                "Use sqlite:///relative/path.db or sqlite:////absolute/path.db."
            )
        return Path(name).expanduser().resolve()
    return Path(where).expanduser().resolve()


def _prepare_sqlite_file(path: Path) -> None:
    """Create a new store file (owner-only), or check an existing one without writing."""
    if path.is_dir():
        raise StoreError(f"{path} is a folder, not a store file. Give a file name with --db.")
    if not path.exists():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.close(fd)
        except OSError as error:
            raise StoreError(
                f"Cannot create the store {path}: {error.strerror}. "
                "Choose a folder you can write to with --db."
            ) from error
        return
    check_sqlite_file(path)


def check_sqlite_file(path: Path) -> None:
    """Refuse a file that is not a healthy SQLite database, opening it read-only."""
    try:
        with open(path, "rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as error:
        raise StoreError(
            f"Cannot read the store {path}: {error.strerror}. Check the file's permissions."
        ) from error
    if header == b"":
        return  # an empty file is a store created but never written to
    if header != SQLITE_HEADER:
        raise StoreError(
            f"{path} is not a Backorder Desk store (it is not a SQLite database). "
            "It was left untouched; choose the right file with --db."
        )
    try:
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=5)
        try:
            result = conn.execute("PRAGMA quick_check").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        raise StoreError(
            f"The store {path} is damaged ({error}). It was left untouched; "
            "restore it from a backup or choose another store with --db."
        ) from error
    if result != [("ok",)]:
        first = result[0][0] if result else "no answer"
        raise StoreError(
            f"The store {path} is damaged ({first}). It was left untouched; "
            "restore it from a backup or choose another store with --db."
        )
