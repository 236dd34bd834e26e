"""Where the store lives and how it is opened, checked and written.

``open_store(location)`` is the only way in: it resolves the location (``--db``, the
``BACKORDER_DESK_DB`` variable, or a SQLite file in the user data folder), refuses a file
that is not a healthy Backorder Desk store without touching it, binds the models to the
database and brings the schema up to date (``app.migrations``).

Write transactions go through ``Store.write``: on SQLite it takes the write lock at BEGIN
(``BEGIN IMMEDIATE``) so a read-then-write can never be overtaken; on PostgreSQL the
controller takes row locks with ``Store.lock_products``. A SQLite write waits up to the busy
timeout for another station's lock, then says so; a PostgreSQL write is retried on a
serialisation failure or deadlock.
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
from peewee import (
    Database,
    DatabaseError,
    InterfaceError,
    OperationalError,
    PostgresqlDatabase,
    SqliteDatabase,
)
from playhouse import db_url

from app import migrations
from app.errors import DamagedStore, StoreError
from app.models import Product, database
from app.validation import fold

APP_NAME = "backorder-desk"
ENV_VAR = "BACKORDER_DESK_DB"
SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 10_000
#: Overrides BUSY_TIMEOUT_MS (milliseconds), so tests of a locked store need not wait 10 s.
BUSY_TIMEOUT_ENV_VAR = "BACKORDER_DESK_BUSY_TIMEOUT_MS"

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
        try:
            if self.is_sqlite and self.database.transaction_depth() == 0:
                with self.database.atomic("IMMEDIATE"):
                    yield
            else:
                with self.database.atomic():
                    yield
        except OperationalError as error:
            # A full disk or a read-only store says so here too (a lock is left to
            # run_write, which says so or, on PostgreSQL, retries it).
            real = _hidden_by_rollback(error) or error
            if isinstance(real, OperationalError) and not _is_retryable(real):
                mapped = _store_error(real, self)
                if mapped is not real:
                    raise mapped from real
            if real is error:
                raise
            raise real from None

    def run_write(self, work: Callable[[], T], *, attempts: int = 5) -> T:
        """Run ``work`` in a write transaction, retrying a PostgreSQL serialisation failure
        or deadlock (the whole transaction is rolled back and ``work`` runs again from the
        start, so it must not have effects outside the database).

        A locked SQLite store is not retried: SQLite has already waited the whole busy
        timeout for the lock before it gave up, and retrying would freeze the desk for
        ``attempts`` times as long before saying so.
        """
        for attempt in range(1, attempts + 1):
            try:
                with self.write():
                    return work()
            except OperationalError as error:
                if attempt == attempts or not self._retryable(error):
                    raise _store_error(error, self) from error
            except Exception as error:  # psycopg errors are not peewee's
                if attempt == attempts or not self._retryable(error):
                    raise
            time.sleep(0.02 * attempt)
        raise AssertionError("unreachable")

    def _retryable(self, error: Exception) -> bool:
        return not self.is_sqlite and _is_retryable(error)

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


def _hidden_by_rollback(error: OperationalError) -> BaseException | None:
    """The failure a failed rollback hides, if that is what ``error`` is.

    On some failures (disk full, an I/O error) SQLite undoes the whole transaction itself;
    Peewee's rollback then fails ("no transaction is active") and would be reported instead
    of why the write failed.
    """

    def is_rollback_failure(found: BaseException) -> bool:
        text = str(found)
        return "no transaction is active" in text or "no such savepoint" in text

    if not is_rollback_failure(error):
        return None
    cause = error.__context__
    while cause is not None and is_rollback_failure(cause):
        cause = cause.__context__
    return cause


def _is_retryable(error: Exception) -> bool:
    text = str(error).lower()
    return (
        "database is locked" in text
        or "database is busy" in text
        or "could not serialize" in text
        or "deadlock detected" in text
    )


def _one_line(error: BaseException) -> str:
    """A driver's message fit to go inside one line of ours (some span several lines)."""
    return " ".join(str(error).split()).rstrip(".")


def sqlite_complaint(error: BaseException) -> str:
    """SQLite's words for a failure, on one line. A damaged page can put raw bytes into
    its message, and Python then raises ``UnicodeDecodeError`` instead of the database
    error; the readable part of the message is kept."""
    if isinstance(error, UnicodeDecodeError):
        # "malformed database schema (<name>)": the name is where the raw bytes are.
        text = bytes(error.object[: error.start]).decode("utf-8", "replace")
        return _one_line(ValueError(text.split(" (")[0]))
    return _one_line(error)


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
            f"Could not write to the store {where} ({_one_line(error)}); nothing was written. "
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
    busy_ms = busy_timeout_ms()
    db = SqliteDatabase(
        str(path),
        pragmas={
            "journal_mode": "wal",
            "foreign_keys": 1,
            "busy_timeout": busy_ms,
            # A committed receipt must survive a power cut, WAL or not.
            "synchronous": "full",
            # 64 MiB of page cache (SQLite's default is 2 MiB): a big receipt rewrites
            # thousands of index pages, and re-reading them from the OS costs ~15 % of it.
            "cache_size": -65536,
            # Copy the log back into the database every ~40 MB instead of every 4 MB: a
            # page that many orders touch (an index's last page) is written back once, not
            # each time; order placement measured 9 % faster (tests/benchmarks/bench_engine.py).
            "wal_autocheckpoint": 10000,
        },
        timeout=busy_ms / 1000,
    )
    # SQLite's own lower() only knows ASCII: "ÖKO" would never match "öko". This one
    # lowers like PostgreSQL's, so searches and name look-ups agree on both backends.
    db.register_function(_sql_lower, "lower", 1, deterministic=True)
    store = Store(database=db, location=where, path=path)
    _bind(store)
    return store


def _sql_lower(value: object) -> object:
    return fold(value) if isinstance(value, str) else value


def busy_timeout_ms() -> int:
    """How long to wait for another program's lock: BUSY_TIMEOUT_MS unless the environment
    sets ``BACKORDER_DESK_BUSY_TIMEOUT_MS`` to a whole number of milliseconds."""
    text = os.environ.get(BUSY_TIMEOUT_ENV_VAR, "").strip()
    # isascii: "²" is a digit to isdigit() but not to int(); nine digits is over a week.
    plain = text.isascii() and text.isdigit() and len(text) <= 9
    return int(text) if plain else BUSY_TIMEOUT_MS


def _bind(store: Store) -> None:
    # A refused store must not take the place of the one already open (the window keeps
    # working on it), so the proxy goes back to what it pointed at.
    previous = database.obj
    database.initialize(store.database)
    where = f"The store {store.describe()}"
    try:
        _connect(store)
        migrations.bring_up_to_date(
            store.database, backup=store_backup_function(store), where=where
        )
    except StoreError:
        _unbind(store, previous)
        raise
    except (OperationalError, InterfaceError, DatabaseError) as error:
        _unbind(store, previous)
        mapped = _store_error(error, store)
        if isinstance(mapped, StoreError):
            raise mapped from error
        if store.path is None:
            hint = (
                "Check that the server is running and that its user may read and create "
                "tables in that database, or choose another store with --db."
            )
        else:
            hint = (
                "SQLite keeps two working files (-wal, -shm) beside the store, so its folder "
                "must be writable: check the permissions and free space, or choose another "
                "store with --db."
            )
        raise StoreError(
            f"Cannot open the store {store.describe()} ({_one_line(error)}). It was left as "
            f"it was. {hint}"
        ) from error
    except BaseException:
        _unbind(store, previous)
        raise


def _connect(store: Store) -> None:
    """Connect, waiting up to the busy timeout for a station that is creating the store.

    Switching a new SQLite file to WAL needs it to itself, and SQLite refuses at once,
    without waiting, while another station is writing it for the first time.
    """
    deadline = time.monotonic() + busy_timeout_ms() / 1000
    while True:
        try:
            store.database.connect(reuse_if_open=True)
            return
        except OperationalError as error:
            if not _is_retryable(error) or time.monotonic() > deadline:
                raise
        time.sleep(0.05)


def _unbind(store: Store, previous: Database | None) -> None:
    store.close()
    database.initialize(previous)


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
    # Created owner-only before any data goes in, like the store itself.
    create_owner_only(target)
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
            f"Cannot use the store address {_without_password(url)!r} "
            f"({_one_line(error)}). "
            "Give a file path or a URL such as postgresql://user@host/dbname."
        ) from error
    store = Store(database=db, location=url, path=None)
    try:
        db.connect()
    except Exception as error:
        raise StoreError(
            f"Cannot connect to the store {store.describe()} ({_one_line(error)}). "
            "Check that the server is running and the address, user and password are right."
        ) from error
    if isinstance(db, PostgresqlDatabase):
        # Read committed plus explicit row locks; see Store.lock_products.
        pass
    _bind(store)
    return store


def _without_password(url: str) -> str:
    parts = urlparse(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


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


def create_owner_only(path: Path, *, exclusive: bool = False) -> None:
    """Create ``path`` (empty) readable and writable by its owner only (0600), whatever
    the umask: it only takes bits away, and a strict one (0o277) would otherwise leave a
    file its owner cannot write.

    Raises:
        OSError: it cannot be created (or, ``exclusive``, already exists).
    """
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else 0)
    fd = os.open(path, flags, 0o600)
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


def _prepare_sqlite_file(path: Path) -> None:
    """Create a new store file (owner-only), or check an existing one without writing."""
    if path.is_dir():
        raise StoreError(f"{path} is a folder, not a store file. Give a file name with --db.")
    if not path.exists():
        try:
            # A folder made for the store is private too (customers' contact details).
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            # SQLite gives the -wal and -shm files the store file's mode.
            create_owner_only(path, exclusive=True)
        except OSError as error:
            # Unless another station created it a moment ago: then it is checked below.
            if not (isinstance(error, FileExistsError) and path.is_file()):
                raise StoreError(
                    f"Cannot create the store {path}: {error.strerror}. "
                    "Choose a folder you can write to with --db."
                ) from error
        else:
            return
    check_sqlite_file(path)


def check_sqlite_file(path: Path) -> None:
    """Refuse a file that is not a healthy store this program can use, without writing.

    Checks the header, runs ``PRAGMA quick_check`` and reads the schema version, all on a
    read-only connection, so a refused file is left byte-identical and gets no side files.

    Raises:
        StoreError: not a SQLite database, damaged, another program's database, or a
            store from a newer Backorder Desk.
    """
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
    damaged = (
        f"The store {path} is damaged ({{}}). It was left untouched; "
        "restore it from a backup or choose another store with --db."
    )
    probe = SqliteDatabase(_read_only_uri(path), uri=True, timeout=5)
    try:
        result = probe.execute_sql("PRAGMA quick_check").fetchall()
        if result != [("ok",)]:
            reason = str(result[0][0]) if result else "no answer"
            raise DamagedStore(damaged.format(reason), path=path, reason=reason)
        migrations.known_version(probe, where=str(path))
    except (DatabaseError, sqlite3.DatabaseError, UnicodeDecodeError) as error:
        reason = sqlite_complaint(error)
        raise DamagedStore(damaged.format(reason), path=path, reason=reason) from error
    finally:
        probe.close()


def _read_only_uri(path: Path) -> str:
    """A URI that reads ``path`` without writing to it or next to it.

    A plain read-only open of a WAL database creates ``-wal`` and ``-shm`` files and leaves
    them behind. With no journal next to the file, every committed page is in the file
    itself, so it can be read as immutable, which creates nothing. When a journal is there
    (the store is in use, or a program stopped mid-write), it must be read too.
    """
    journals = [path.with_name(path.name + suffix) for suffix in ("-wal", "-journal")]
    if any(journal.exists() for journal in journals):
        return f"{path.as_uri()}?mode=ro"
    return f"{path.as_uri()}?immutable=1"
