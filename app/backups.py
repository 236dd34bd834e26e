"""Backups of a SQLite store: automatic ones in the user data folder, copies on demand, restoring.

Every copy is taken with SQLite's online backup API (consistent even while stations
write), written under a hidden temporary name, checked with ``PRAGMA integrity_check`` and
only then renamed to its real name, so a file that looks like a backup is a good one; older
backups are pruned only after that. A backup is one self-contained file (rollback-journal
mode, no side files), readable by its owner only (it holds customers' contact details).

Automatic backups live in ``<user data folder>/backups`` (``BACKORDER_DESK_BACKUPS``
overrides the folder) as ``<store name>-<8 hex digits of the store's full path>-<UTC
stamp>.db``, so two stores called ``shop.db`` in different folders never share a rotation.
The newest ``keep`` of each store are kept (the ``backup_keep`` setting, default 10).

Restoring checks the chosen file, copies it next to the store and checks that copy, backs
the current store up (a rotated backup tagged ``before-restore``), then:

* a store that opens: the checked copy is written *into* the live store with the backup
  API, in one transaction. Other stations may stay connected: they see the restored data
  at their next read (the desk polls), and a failure (locked, disk full) leaves the store
  as it was.
* a store that cannot be opened (damaged, or not a store at all): it is never
  overwritten but renamed aside (``NAME.set-aside-STAMP.db``, its journal with it), and
  the checked copy is renamed into its place.

A PostgreSQL store is backed up with the server's own tools; these functions refuse it
with a message naming ``pg_dump``.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import platformdirs

from app import migrations
from app.clock import to_local, utcnow
from app.errors import DamagedStore, StoreError, UserError
from app.models import Setting, database
from app.store import (
    APP_NAME,
    SQLITE_HEADER,
    Store,
    _read_only_uri,
    _sqlite_path,
    _without_password,
    busy_timeout_ms,
    check_sqlite_file,
    create_owner_only,
    resolve_location,
    sqlite_complaint,
    store_backup_function,
)

#: Names another folder for the automatic backups (tests, or a second disk).
FOLDER_ENV_VAR = "BACKORDER_DESK_BACKUPS"
KEEP_KEY = "backup_keep"
DEFAULT_KEEP = 10
MAX_KEEP = 1000
#: The command line and the desk's timer make a backup when the newest is this old.
DAILY = timedelta(hours=24)
#: The desk backs up on start unless the newest backup is younger than this, so starting
#: it several times in a morning does not push the previous days out of the rotation.
START_GAP = timedelta(hours=1)
#: Pages copied per step of the backup API (4 MB at SQLite's usual 4 KB pages): small
#: enough for a moving progress bar, large enough that a small store goes in one step.
STEP_PAGES = 1024
BEFORE_RESTORE = "-before-restore"
#: How a refused backup or restore ends its message.
NO_BACKUP = "no backup was made and the older ones are kept"
NOT_RESTORED = "nothing was restored and the store is as it was"
_STAMP = "%Y%m%dT%H%M%SZ"
_NAME_TAIL = re.compile(
    r"-(?P<stamp>\d{8}T\d{6}Z)(?:-(?P<n>\d+))?(?P<tag>" + BEFORE_RESTORE + r")?\.db"
)
#: A temporary file older than this is left over from a crash and may be removed.
_STALE = timedelta(hours=1)

#: ``progress(done, total)``, like ``ui.worker``'s.
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Backup:
    """One of a store's backups in the backups folder.

    Attributes:
        path: the file.
        taken_at: when it was taken (naive UTC, from its name).
        size: its size in bytes.
        before_restore: taken just before a restore replaced the store.
    """

    path: Path
    taken_at: datetime
    size: int
    before_restore: bool = False


@dataclass(frozen=True)
class BackupContents:
    """What a checked backup file holds.

    Attributes:
        path: the file.
        schema_version: its store's schema version (older ones are upgraded on restore).
        orders, products, customers: how many it holds, for the user to recognise it.
        size: its size in bytes.
        taken_at: when it was taken (naive UTC) if its name says, else its file time.
    """

    path: Path
    schema_version: int
    orders: int
    products: int
    customers: int
    size: int
    taken_at: datetime


@dataclass(frozen=True)
class Restored:
    """What a restore did.

    Attributes:
        source: the backup that is now the store.
        store: the store file.
        safety: the backup of the store as it was, taken first (``None`` when there was
            no usable store to back up).
        set_aside: where an unusable store file was moved (``None`` when there was none).
    """

    source: BackupContents
    store: Path
    safety: Backup | None
    set_aside: Path | None


# ------------------------------------------------------------------ where and which


def backups_folder() -> Path:
    """Where automatic backups go: ``$BACKORDER_DESK_BACKUPS``, else the user data folder's."""
    override = os.environ.get(FOLDER_ENV_VAR, "").strip()
    if override:
        return Path(override).expanduser().resolve()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "backups"


def sqlite_file(location: str | os.PathLike[str] | Store | None) -> Path:
    """The SQLite file of a store (an open one, or ``--db`` as given).

    Raises:
        StoreError: the store is a PostgreSQL database; the message names ``pg_dump``.
    """
    if isinstance(location, Store):
        if location.path is None:
            raise _server_refusal(location.describe())
        return location.path
    where = resolve_location(location)
    if "://" in where and not where.startswith("sqlite"):
        raise _server_refusal(_without_password(where))
    return _sqlite_path(where)


def _server_refusal(where: str) -> StoreError:
    return StoreError(
        f"The store {where} is a PostgreSQL database: back it up and restore it with the "
        "server's own tools (pg_dump -Fc -f shop.dump DBNAME, then pg_restore), "
        "which copy it consistently while stations work."
    )


def store_prefix(store_path: Path) -> str:
    """The start of every backup name of this store: its name and a hash of its full path."""
    resolved = store_path.expanduser().resolve()
    digest = hashlib.sha256(str(resolved).encode("utf-8", "surrogatepass")).hexdigest()[:8]
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", resolved.stem).strip("._")[:40] or "store"
    return f"{stem}-{digest}"


def list_backups(store_path: Path, *, folder: Path | None = None) -> list[Backup]:
    """The store's backups in the backups folder, newest first."""
    where = folder or backups_folder()
    prefix = store_prefix(store_path)
    found: list[tuple[datetime, int, Backup]] = []
    try:
        entries = list(where.iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as error:
        raise StoreError(
            f"Cannot read the backups folder {where}: {error.strerror}. Check its permissions."
        ) from error
    for entry in entries:
        if not entry.name.startswith(prefix + "-"):
            continue
        match = _NAME_TAIL.fullmatch(entry.name[len(prefix) :])
        if match is None:
            continue
        try:
            size = entry.stat().st_size
        except FileNotFoundError:  # pruned by another station meanwhile
            continue
        taken = datetime.strptime(match["stamp"], _STAMP)
        backup = Backup(entry, taken, size, before_restore=bool(match["tag"]))
        found.append((taken, int(match["n"] or 1), backup))
    found.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [backup for _taken, _n, backup in found]


def backup_due(
    store_path: Path, *, max_age: timedelta, now: datetime | None = None, folder: Path | None = None
) -> bool:
    """Whether the store's newest backup is at least ``max_age`` old (or there is none).

    A newest backup dated in the future (the computer's clock was wrong) counts as due.
    """
    newest = list_backups(store_path, folder=folder)[:1]
    if not newest:
        return True
    age = (now or utcnow()) - newest[0].taken_at
    return not timedelta(0) <= age < max_age


def describe_time(moment: datetime) -> str:
    """A stored UTC moment as the user reads it: ``2 Nov 2026 09:00`` in local time."""
    local = to_local(moment)
    return f"{local.day} {local:%b %Y %H:%M}"


def describe_size(size: int) -> str:
    """Bytes as a person reads them: ``812 KB``, ``3.4 MB``."""
    if size < 1000:
        return f"{size} bytes"
    amount = float(size)
    for unit in ("KB", "MB", "GB", "TB"):
        amount /= 1000
        if amount < 1000 or unit == "TB":
            break
    return f"{amount:.0f} {unit}" if amount >= 100 else f"{amount:.1f} {unit}"


# ------------------------------------------------------------------ the setting


def keep_count() -> int:
    """How many backups of the open store are kept (``backup_keep``, default 10)."""
    row = Setting.get_or_none(Setting.key == KEEP_KEY)
    return _valid_keep(row.value if row is not None else None)


def parse_keep(value: object) -> int:
    """How many backups to keep, as typed.

    Raises:
        UserError: not a whole number from 1 to 1000.
    """
    text = str(value).strip()
    if not re.fullmatch(r"\d{1,4}", text) or not 1 <= int(text) <= MAX_KEEP:
        raise UserError(
            f"Keep how many backups: give a whole number from 1 to {MAX_KEEP}, not {text[:20]!r}.",
            field="keep",
        )
    return int(text)


def set_keep_count(count: int) -> None:
    """Keep the newest ``count`` backups of the open store from the next backup on."""
    text = str(parse_keep(count))
    with database.atomic():
        Setting.insert(key=KEEP_KEY, value=text).on_conflict(
            conflict_target=[Setting.key], update={Setting.value: text}
        ).execute()


def _valid_keep(value: object) -> int:
    text = str(value or "").strip()
    # isascii: "²" is a digit to isdigit() but not to int(); the length keeps int() quick.
    plain = text.isascii() and text.isdigit() and len(text) <= 6
    return int(text) if plain and 1 <= int(text) <= MAX_KEEP else DEFAULT_KEEP


def _stored_keep(conn: sqlite3.Connection) -> int:
    try:
        row = conn.execute("SELECT value FROM setting WHERE key = ?", (KEEP_KEY,)).fetchone()
    except sqlite3.DatabaseError:
        return DEFAULT_KEEP  # a store with no tables yet
    return _valid_keep(row[0] if row else None)


# ------------------------------------------------------------------ making backups


def make_backup(
    store: Store | Path,
    *,
    now: datetime | None = None,
    folder: Path | None = None,
    keep: int | None = None,
    before_restore: bool = False,
    progress: Progress | None = None,
) -> Backup:
    """Back the store up into the backups folder, check the copy, then prune old ones.

    Raises:
        DamagedStore: the store's copy fails its integrity check (no backup is kept).
        StoreError: a PostgreSQL store, the store is locked, or the backups folder cannot
            be written (full, read-only); no backup was made and the older ones are kept.
    """
    store_path = sqlite_file(store)
    where = folder or backups_folder()
    moment = (now or utcnow()).replace(microsecond=0)
    prefix = store_prefix(store_path)
    _make_folder(where, outcome=NO_BACKUP)
    temp = where / f".{prefix}-{os.getpid()}-{time.monotonic_ns()}.partial"
    try:
        with _connection(store_path, outcome=NO_BACKUP) as source:
            wanted = keep if keep is not None else _stored_keep(source)
            _copy(source, temp, store_path=store_path, progress=progress, outcome=NO_BACKUP)
        _check_backup(temp, store_path)
        tag = BEFORE_RESTORE if before_restore else ""
        final = _publish(temp, where, f"{prefix}-{moment.strftime(_STAMP)}", tag)
    finally:
        _remove(temp)
    backup = Backup(final, moment, final.stat().st_size, before_restore=before_restore)
    prune(store_path, keep=wanted, folder=where)
    return backup


def backup_if_due(
    store: Store,
    *,
    max_age: timedelta = DAILY,
    now: datetime | None = None,
    folder: Path | None = None,
    progress: Progress | None = None,
) -> Backup | None:
    """An automatic backup: made when the newest is ``max_age`` old, for a SQLite store
    that holds something (an empty new store has nothing to lose); else ``None``."""
    if store.path is None:
        return None
    moment = now or utcnow()
    if not backup_due(store.path, max_age=max_age, now=moment, folder=folder):
        return None
    if _is_empty(store.path):
        return None
    return make_backup(store.path, now=moment, folder=folder, progress=progress)


def backup_to(store: Store | Path, target: Path, *, progress: Progress | None = None) -> Backup:
    """Back the store up to a file the user chose (a USB stick, another disk).

    The copy is checked before it takes ``target``'s name. An existing ``target`` is
    replaced only when it is itself a Backorder Desk store or backup (yesterday's copy),
    never another document.

    Raises:
        StoreError: a PostgreSQL store, ``target`` is the store itself or another kind of
            file, or it cannot be written; nothing at ``target`` was changed.
    """
    store_path = sqlite_file(store)
    target = Path(target).expanduser().resolve()
    if target.is_dir():
        raise StoreError(f"{target} is a folder: give a file name for the backup, such as shop.db.")
    if target == store_path.resolve() or (target.exists() and target.samefile(store_path)):
        raise StoreError(f"{target} is the store itself: give another file name for the backup.")
    if target.exists():
        _refuse_to_overwrite(target)
    _make_folder(target.parent, outcome=NO_BACKUP)
    temp = target.with_name(f".{target.name}.{os.getpid()}-{time.monotonic_ns()}.partial")
    try:
        with _connection(store_path, outcome=NO_BACKUP) as source:
            _copy(source, temp, store_path=store_path, progress=progress, outcome=NO_BACKUP)
        _check_backup(temp, store_path)
        os.replace(temp, target)
        _sync_folder(target.parent)
    except OSError as error:
        raise _write_error(error, target.parent, outcome=NO_BACKUP) from error
    finally:
        _remove(temp)
    return Backup(target, utcnow().replace(microsecond=0), target.stat().st_size)


def prune(store_path: Path, *, keep: int, folder: Path | None = None) -> list[Path]:
    """Delete all but the newest ``keep`` backups of the store (and stale temporary
    files a crash left behind); returns what was deleted."""
    where = folder or backups_folder()
    removed = []
    for old in list_backups(store_path, folder=where)[max(keep, 1) :]:
        with contextlib.suppress(FileNotFoundError):
            old.path.unlink()
            removed.append(old.path)
    cutoff = time.time() - _STALE.total_seconds()
    for leftover in where.glob(f".{store_prefix(store_path)}-*.partial"):
        with contextlib.suppress(OSError):
            if leftover.stat().st_mtime < cutoff:
                leftover.unlink()
    return removed


def _refuse_to_overwrite(target: Path) -> None:
    try:
        inspect_backup(target)
    except UserError as error:
        raise StoreError(
            f"{target} already exists and is not a Backorder Desk backup, so it was left "
            "as it is: give a new file name for the backup."
        ) from error


# ------------------------------------------------------------------ checking a file


def inspect_backup(path: Path) -> BackupContents:
    """Check a file someone wants to restore, without writing to it or beside it.

    Raises:
        StoreError: it is missing, not a SQLite database, damaged, another program's
            database, or made by a newer Backorder Desk; the message says which.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise StoreError(
            f"There is no backup file {path}. Choose one of the backups in {backups_folder()} "
            "(the 'backups' command lists them)."
        )
    try:
        with open(path, "rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
        size = path.stat().st_size
        modified = datetime.fromtimestamp(int(path.stat().st_mtime), UTC).replace(tzinfo=None)
    except OSError as error:
        raise StoreError(
            f"Cannot read {path}: {error.strerror}. Check the file's permissions."
        ) from error
    if header != SQLITE_HEADER:
        raise StoreError(
            f"{path} is not a Backorder Desk backup (it is not a SQLite database); "
            "nothing was restored. Choose a backup file."
        )
    conn = sqlite3.connect(_read_only_uri(path), uri=True, timeout=busy_timeout_ms() / 1000)
    try:
        found = _contents(conn, path)
    except (sqlite3.DatabaseError, UnicodeDecodeError) as error:
        raise StoreError(
            f"{path} is damaged ({sqlite_complaint(error)}); nothing was restored. "
            "Choose an older backup."
        ) from error
    finally:
        conn.close()
    match = _NAME_TAIL.search(path.name)
    taken = datetime.strptime(match["stamp"], _STAMP) if match else modified
    version, orders, products, customers = found
    return BackupContents(path, version, orders, products, customers, size, taken)


def _contents(conn: sqlite3.Connection, path: Path) -> tuple[int, int, int, int]:
    result = conn.execute("PRAGMA integrity_check").fetchall()
    if result != [("ok",)]:
        reason = " ".join(str(result[0][0] if result else "no answer").split())
        raise StoreError(
            f"{path} is damaged ({reason}); nothing was restored. Choose an older backup."
        )
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if not tables:
        raise StoreError(
            f"{path} is an empty database, not a Backorder Desk backup; nothing was restored. "
            "Choose a backup file."
        )
    needed = {"setting", "customer_order", "product", "customer"}
    row = (
        conn.execute(
            "SELECT value FROM setting WHERE key = ?", (migrations.VERSION_KEY,)
        ).fetchone()
        if needed <= tables
        else None
    )
    if row is None or not str(row[0]).isdigit():
        shown = ", ".join(sorted(tables)[:5])
        raise StoreError(
            f"{path} is not a Backorder Desk backup (its tables are {shown}); nothing was "
            "restored. Choose a backup file."
        )
    version = int(row[0])
    if version > migrations.CURRENT_VERSION:
        raise StoreError(
            f"{path} was made by a newer Backorder Desk (schema {version}; this program knows "
            f"up to {migrations.CURRENT_VERSION}); nothing was restored. Update the program first."
        )
    counts = [
        int(conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0])
        for table in ("customer_order", "product", "customer")
    ]
    return version, counts[0], counts[1], counts[2]


def latest_good_backup(store_path: Path, *, folder: Path | None = None) -> BackupContents | None:
    """The newest of the store's backups that passes its integrity check, or ``None``."""
    for backup in list_backups(store_path, folder=folder):
        try:
            return inspect_backup(backup.path)
        except StoreError:
            continue
    return None


def restore_hint(store_path: Path, *, folder: Path | None = None) -> str:
    """One sentence for a damaged store: which backup to restore, and the command for it."""
    good = latest_good_backup(store_path, folder=folder)
    if good is None:
        return f"No good backup of it was found in {folder or backups_folder()}."
    return (
        f"The latest good backup is from {describe_time(good.taken_at)} "
        f"({_count(good.orders, 'order')}): restore it with "
        f"backorder-desk restore {_quoted(good.path)} --db {_quoted(store_path)}"
    )


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _quoted(path: Path) -> str:
    text = str(path)
    return text if re.fullmatch(r"[A-Za-z0-9_./:@%+=,-]+", text) else "'" + text + "'"


# ------------------------------------------------------------------ restoring


def restore_into(
    store: Store,
    source: Path,
    *,
    now: datetime | None = None,
    folder: Path | None = None,
    progress: Progress | None = None,
) -> Restored:
    """Replace everything in the open store with a checked backup (see the module notes).

    The store is backed up first; an older backup's schema is upgraded afterwards.

    Raises:
        StoreError: a PostgreSQL store, the file is not a good backup, the current store
            cannot be backed up, or the store is locked, read-only or its disk full; in
            every case the store is as it was.
    """
    store_path = sqlite_file(store)
    steps = _Phases(progress, 3)
    contents, staged = _stage(source, store_path, progress=steps.next())
    try:
        try:
            safety = make_backup(
                store_path, now=now, folder=folder, before_restore=True, progress=steps.next()
            )
        except DamagedStore as error:
            raise StoreError(
                f"{error} To replace it, close Backorder Desk on every station and run "
                f"backorder-desk restore {_quoted(contents.path)} --db {_quoted(store_path)} "
                "(the damaged store is kept beside it under a new name)."
            ) from error
        _write_into(store_path, staged, progress=steps.next())
    finally:
        _remove(staged)
    if contents.schema_version < migrations.CURRENT_VERSION:
        migrations.bring_up_to_date(
            store.database,
            backup=store_backup_function(store),
            where=f"The store {store.describe()}",
        )
    return Restored(contents, store_path, safety, None)


def restore_file(
    location: str | os.PathLike[str] | None,
    source: Path,
    *,
    now: datetime | None = None,
    folder: Path | None = None,
    progress: Progress | None = None,
) -> Restored:
    """Replace a store that is not open here (the command line, or a damaged store at
    start) with a checked backup; open it afterwards with ``open_store`` (which upgrades an
    older schema).

    A store that can be backed up is backed up and then written into (stations still
    connected see the change); one that cannot be opened or backed up because it is
    damaged or not a store is renamed aside, never deleted.

    Raises:
        StoreError: as ``restore_into``; the store is as it was.
    """
    store_path = sqlite_file(location)
    moment = (now or utcnow()).replace(microsecond=0)
    steps = _Phases(progress, 3)
    contents, staged = _stage(source, store_path, progress=steps.next())
    try:
        if not _has_data(store_path):
            set_aside = _set_aside(store_path, moment) if _companions(store_path) else None
            _install(staged, store_path)
            return Restored(contents, store_path, None, set_aside)
        try:
            check_sqlite_file(store_path)
            safety = make_backup(
                store_path, now=moment, folder=folder, before_restore=True, progress=steps.next()
            )
        except DamagedStore:
            pass
        except StoreError as refused:
            if not _unusable(refused):
                raise
        else:
            _write_into(store_path, staged, progress=steps.next())
            return Restored(contents, store_path, safety, None)
        set_aside = _set_aside(store_path, moment)
        _install(staged, store_path)
        return Restored(contents, store_path, None, set_aside)
    finally:
        _remove(staged)


def _unusable(refused: StoreError) -> bool:
    """Whether ``check_sqlite_file`` refused the file for what it holds (so it may be set
    aside), rather than for something passing (a lock) or fixable (permissions)."""
    text = str(refused)
    return any(
        phrase in text
        for phrase in (
            "not a Backorder Desk store",
            "no schema version",
            "unreadable schema",
            "newer Backorder Desk",
        )
    )


def _stage(
    source: Path, store_path: Path, *, progress: Progress | None
) -> tuple[BackupContents, Path]:
    """Check ``source``, copy it beside the store (as one rollback-journal file with the
    store's page size) and check the copy, so what is restored is exactly what was checked.
    """
    source = Path(source).expanduser().resolve()
    with contextlib.suppress(OSError):
        if source == store_path.resolve() or (store_path.exists() and source.samefile(store_path)):
            raise StoreError(f"{source} is the store itself: choose a backup file to restore.")
    contents = inspect_backup(source)
    _make_folder(store_path.parent, outcome=NOT_RESTORED)
    staged = store_path.with_name(
        f".{store_path.name}.restoring-{os.getpid()}-{time.monotonic_ns()}.partial"
    )
    try:
        conn = sqlite3.connect(_read_only_uri(source), uri=True, timeout=busy_timeout_ms() / 1000)
        try:
            _copy(conn, staged, store_path=source, progress=progress, outcome=NOT_RESTORED)
        finally:
            conn.close()
        wanted_page_size = _page_size(store_path)
        if wanted_page_size:
            _match_page_size(staged, wanted_page_size)
        reason = _integrity(staged)
        if reason is not None:
            raise StoreError(
                f"The copy of {source} made beside the store fails its integrity check "
                f"({reason}); {NOT_RESTORED}. Check the disk holding {store_path.parent}."
            )
    except BaseException:
        _remove(staged)
        raise
    return contents, staged


def _page_size(store_path: Path) -> int | None:
    if not _has_data(store_path):
        return None
    try:
        with open(store_path, "rb") as handle:
            header = handle.read(18)
    except OSError:
        return None
    if header[:16] != SQLITE_HEADER:
        return None
    size = int.from_bytes(header[16:18], "big")
    return 65536 if size == 1 else size


def _match_page_size(staged: Path, page_size: int) -> None:
    # Writing into a WAL store needs equal page sizes; a vacuum re-pages the copy.
    conn = sqlite3.connect(str(staged), isolation_level=None)
    try:
        if conn.execute("PRAGMA page_size").fetchone()[0] != page_size:
            conn.execute(f"PRAGMA page_size = {int(page_size)}")
            conn.execute("VACUUM")
    except (sqlite3.DatabaseError, UnicodeDecodeError) as error:
        raise _sqlite_error(
            error, store=staged, disk=staged.parent, outcome=NOT_RESTORED
        ) from error
    finally:
        conn.close()


def _write_into(store_path: Path, staged: Path, *, progress: Progress | None) -> None:
    """Copy the checked file into the live store in one transaction."""
    source = sqlite3.connect(f"{staged.as_uri()}?mode=ro", uri=True)
    try:
        with _connection(store_path, outcome=NOT_RESTORED) as dest:
            source.backup(dest, pages=STEP_PAGES, progress=_watch(progress))
    except _Busy as error:
        raise _locked(store_path, NOT_RESTORED) from error
    except (sqlite3.Error, UnicodeDecodeError) as error:
        raise _sqlite_error(
            error, store=store_path, disk=store_path, outcome=NOT_RESTORED
        ) from error
    finally:
        source.close()


def _install(staged: Path, store_path: Path) -> None:
    """Rename the checked copy to the store's name (no store file is there any more)."""
    try:
        os.chmod(staged, 0o600)
        os.replace(staged, store_path)
        _sync_folder(store_path.parent)
    except OSError as error:
        raise _write_error(error, store_path.parent, outcome=NOT_RESTORED) from error


def _set_aside(store_path: Path, moment: datetime) -> Path:
    """Rename an unusable store (and its journal) out of the way; returns its new name."""
    stamp = moment.strftime(_STAMP)
    for n in range(1, 100):
        suffix = "" if n == 1 else f"-{n}"
        aside = store_path.with_name(
            f"{store_path.stem}.set-aside-{stamp}{suffix}{store_path.suffix}"
        )
        if not aside.exists() and not _companions(aside):
            break
    else:
        raise StoreError(f"Too many set-aside copies of {store_path}; move some away and retry.")
    try:
        for journal in ("-wal", "-journal"):
            companion = store_path.with_name(store_path.name + journal)
            if companion.exists():
                os.replace(companion, aside.with_name(aside.name + journal))
        if store_path.exists():
            os.replace(store_path, aside)
        # The shared-memory index only describes the journal just moved away.
        with contextlib.suppress(FileNotFoundError):
            store_path.with_name(store_path.name + "-shm").unlink()
        _sync_folder(store_path.parent)
    except OSError as error:
        raise _write_error(error, store_path.parent, outcome=NOT_RESTORED) from error
    return aside if aside.exists() else aside.with_name(aside.name + "-wal")


def _has_data(store_path: Path) -> bool:
    try:
        return store_path.stat().st_size > 0
    except FileNotFoundError:
        return False


def _companions(path: Path) -> list[Path]:
    return [
        path.with_name(path.name + suffix)
        for suffix in ("-wal", "-journal")
        if path.with_name(path.name + suffix).exists()
    ]


def _is_empty(store_path: Path) -> bool:
    with _connection(store_path, outcome=NO_BACKUP) as conn:
        try:
            row = conn.execute(
                "SELECT EXISTS (SELECT 1 FROM product) OR EXISTS (SELECT 1 FROM customer)"
            ).fetchone()
        except (sqlite3.Error, UnicodeDecodeError) as error:
            if "no such table" in str(error):
                return True
            raise _sqlite_error(
                error, store=store_path, disk=store_path, outcome=NO_BACKUP
            ) from error
    return not row[0]


# ------------------------------------------------------------------ the copying itself


class _Busy(Exception):
    """The other side of a backup stayed locked past the busy timeout."""


class _Phases:
    """Spreads several steps' progress over one bar: step ``i`` of ``n`` fills its share."""

    SCALE = 1000

    def __init__(self, progress: Progress | None, count: int) -> None:
        self.progress = progress
        self.count = count
        self.index = -1

    def next(self) -> Progress | None:
        if self.progress is None:
            return None
        self.index += 1
        base = self.index * self.SCALE
        report = self.progress
        total = self.count * self.SCALE

        def step(done: int, of: int) -> None:
            report(base + (self.SCALE * done // of if of else self.SCALE), total)

        return step


def _watch(progress: Progress | None) -> Callable[[int, int, int], None]:
    """The backup API's progress hook: reports pages copied, and gives up on a lock.

    Python's ``backup`` retries a locked database forever; each try has already waited
    the busy timeout, so the first "busy" answer means the lock is not going away.
    """

    def hook(status: int, remaining: int, total: int) -> None:
        if status in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            raise _Busy()
        if progress is not None:
            progress(total - remaining, total)

    return hook


@contextlib.contextmanager
def _connection(path: Path, *, outcome: str) -> Iterator[sqlite3.Connection]:
    """A private connection to the store (copies never use the models' connection)."""
    timeout = busy_timeout_ms() / 1000
    try:
        conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None)
    except (sqlite3.Error, UnicodeDecodeError) as error:
        raise _sqlite_error(error, store=path, disk=path, outcome=outcome) from error
    try:
        yield conn
    finally:
        conn.close()


def _copy(
    source: sqlite3.Connection,
    target: Path,
    *,
    store_path: Path,
    progress: Progress | None,
    outcome: str,
) -> None:
    """Copy ``source`` into the new file ``target`` (owner-only, one self-contained file)."""
    try:
        create_owner_only(target, exclusive=True)
        dest = sqlite3.connect(str(target), isolation_level=None)
    except OSError as error:
        raise _write_error(error, target.parent, outcome=outcome) from error
    try:
        source.backup(dest, pages=STEP_PAGES, progress=_watch(progress))
        dest.execute("PRAGMA journal_mode = DELETE")
    except _Busy as error:
        raise _locked(store_path, outcome) from error
    except (sqlite3.Error, UnicodeDecodeError) as error:
        raise _sqlite_error(
            error, store=store_path, disk=target.parent, outcome=outcome, reading=True
        ) from error
    finally:
        dest.close()
    try:
        with open(target, "rb+") as handle:
            os.fsync(handle.fileno())
    except OSError as error:
        raise _write_error(error, target.parent, outcome=outcome) from error


def _integrity(path: Path) -> str | None:
    """``None`` when the file passes ``PRAGMA integrity_check``, else SQLite's complaint."""
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        result = conn.execute("PRAGMA integrity_check").fetchall()
    except (sqlite3.DatabaseError, UnicodeDecodeError) as error:
        return sqlite_complaint(error)
    finally:
        conn.close()
    if result == [("ok",)]:
        return None
    return " ".join(str(result[0][0] if result else "no answer").split())


def _check_backup(copy: Path, store_path: Path) -> None:
    """The copy must pass ``PRAGMA integrity_check`` before it may look like a backup."""
    reason = _integrity(copy)
    if reason is not None:
        raise DamagedStore(
            f"The store {store_path} is damaged: its copy fails the integrity check "
            f"({reason}), so {NO_BACKUP}.",
            path=store_path,
            reason=reason,
        )


def _publish(temp: Path, folder: Path, stem: str, tag: str) -> Path:
    """Give the checked copy its real name, never replacing another backup."""
    try:
        for n in range(1, 1000):
            final = folder / f"{stem}{'' if n == 1 else f'-{n}'}{tag}.db"
            try:
                os.link(temp, final)
            except FileExistsError:
                continue
            except OSError as error:
                if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
                    raise
                # A file system without hard links (FAT on a stick): check, then rename.
                if final.exists():
                    continue
                os.replace(temp, final)
            _sync_folder(folder)
            return final
    except OSError as error:
        raise _write_error(error, folder, outcome=NO_BACKUP) from error
    raise StoreError(f"Too many backups in {folder} this second; try again in a moment.")


def _make_folder(folder: Path, *, outcome: str) -> None:
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise _write_error(error, folder, outcome=outcome) from error


def _sync_folder(folder: Path) -> None:
    """Make a rename survive a power cut (POSIX; Windows has no directory handles)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    """Delete a temporary copy and any side file SQLite made for it."""
    for suffix in ("", "-journal", "-wal", "-shm"):
        with contextlib.suppress(OSError):
            path.with_name(path.name + suffix).unlink()


def _locked(store_path: Path, outcome: str) -> StoreError:
    return StoreError(
        f"The store {store_path} is locked by another program; {outcome}. "
        "Close the other program (or wait for it) and try again."
    )


def _write_error(error: OSError, folder: Path, *, outcome: str) -> StoreError:
    if error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return StoreError(
            f"The disk holding {folder} is full; {outcome}. Free some disk space and try again."
        )
    if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return StoreError(
            f"Cannot write in {folder} ({error.strerror}); {outcome}. "
            "Check the permissions, or choose another place."
        )
    return StoreError(
        f"Cannot write in {folder} ({error.strerror or error}); {outcome}. "
        "Check the disk and try again."
    )


def _sqlite_error(
    error: sqlite3.Error | UnicodeDecodeError,
    *,
    store: Path,
    disk: Path,
    outcome: str,
    reading: bool = False,
) -> StoreError:
    """A SQLite failure while copying, as one line saying what happened and what to do.

    ``disk`` is where the copy was being written; ``reading`` when ``store`` was being
    read, so a malformed page is the store's damage, not the copy's.
    """
    text = str(error).lower()
    if "locked" in text or "busy" in text:
        return _locked(store, outcome)
    if "full" in text:
        return StoreError(
            f"The disk holding {disk} is full; {outcome}. Free some disk space and try again."
        )
    if "readonly" in text or "read-only" in text:
        return StoreError(
            f"Cannot write to {disk} (it is read-only); {outcome}. "
            "Check the permissions, or choose another place."
        )
    if reading and ("malformed" in text or "not a database" in text):
        return DamagedStore(
            f"The store {store} is damaged ({sqlite_complaint(error)}); {outcome}.",
            path=store,
            reason=sqlite_complaint(error),
        )
    return StoreError(
        f"Copying {store} failed ({sqlite_complaint(error)}); {outcome}. "
        "Check the disk and try again."
    )
