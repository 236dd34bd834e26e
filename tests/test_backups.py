"""Backups and restores of a SQLite store, and a store that is damaged, locked, read-only or
on a full disk: a clear message, nothing half written, and ``check`` passes afterwards.

Everything runs on real files. A full disk is a real small tmpfs where this machine lets the
test mount one (root), and otherwise SQLite's ``max_page_count`` (the same SQLITE_FULL
error path); a read-only store is an immutable file (``chattr +i``) for root, who ignores
file modes, and a 0444 file for anyone else. Where neither works the test is skipped with
the reason shown. ``private_backups`` (conftest) gives each test its own backups folder.
"""

from __future__ import annotations

import errno
import hashlib
import os
import random
import shutil
import sqlite3
import stat
import subprocess
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from app import backups, migrations
from app.check import run_checks
from app.controller import Controller, Decision, OrderItem
from app.errors import DamagedStore, StoreError
from app.models import Customer, Product, Setting
from app.queries import backorders, count_backorders
from app.store import Store, open_store
from tests.conftest import Ran

FIXTURE = Path(__file__).parent / "fixtures" / "store-v1.db"
NOON = datetime(2026, 11, 2, 12, 0)

Cli = Callable[..., Ran]


# ------------------------------------------------------------------ helpers


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fill(store: Store, *, customer: str = "Ann") -> None:
    """A product, a customer and an order waiting for two units of it."""
    desk = Controller(store)
    product = desk.add_product(sku=f"W-{customer}", name="Widget")
    person = desk.add_customer(name=customer, email=f"{customer.lower()}@example.com")
    desk.place_order(person.id, [OrderItem(product.id, 2)], decisions={product.id: Decision.WAIT})


def waiting() -> list[tuple[str, str, int]]:
    return sorted((row.customer, row.sku, row.waiting) for row in backorders())


def customers_in(path: Path) -> list[str]:
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        return sorted(row[0] for row in conn.execute("SELECT name FROM customer"))
    finally:
        conn.close()


def scramble(path: Path) -> None:
    """Overwrite pages in the middle of a closed store (a bad disk, a bad copy)."""
    data = bytearray(path.read_bytes())
    noise = random.Random(7)
    pages = len(data) // 4096
    for number in range(2, pages, 2):
        start = number * 4096 + 100
        data[start : start + 2000] = bytes(noise.randrange(256) for _ in range(2000))
    path.write_bytes(bytes(data))


def sizeable(store: Store) -> None:
    """Enough rows that the file has pages to damage (sixty products and customers)."""
    desk = Controller(store)
    for number in range(60):
        desk.add_product(sku=f"S-{number}", name=f"Screw size {number} " + "x" * 100)
        desk.add_customer(name=f"Customer {number}", email=f"c{number}@example.com")


@pytest.fixture
def folder(private_backups: Path) -> Path:
    return private_backups


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Store]:
    """An open SQLite store with Ann waiting for two widgets."""
    store = open_store(tmp_path / "shop.db")
    fill(store)
    yield store
    store.close()


# ------------------------------------------------------------------ real small disks


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False)


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 MB tmpfs mounted for this test (needs root; skipped with the reason if not);
    room for the write-ahead log, which grows to ~40 MB before it is copied back."""
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("a real full disk needs a small tmpfs, and mounting one needs root")
    mounted = _run("mount", "-t", "tmpfs", "-o", "size=64m,mode=0700", "tmpfs", str(mount_point))
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        _run("umount", "-l", str(mount_point))


def fill_disk(folder: Path) -> Path:
    """Write a file until the disk holding ``folder`` is full; returns it (delete to free)."""
    filler = folder / "filler.bin"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for chunk in (65536, 4096, 512, 1):
            try:
                while True:
                    os.write(fd, b"\0" * chunk)
            except OSError as error:
                assert error.errno == errno.ENOSPC
    finally:
        os.close(fd)
    return filler


def make_read_only(path: Path) -> Callable[[], None]:
    """Make the store file unwritable for this process; returns how to undo it."""
    if os.geteuid() == 0:
        done = _run("chattr", "+i", str(path))
        if done.returncode != 0:
            pytest.skip(f"root ignores file modes and chattr +i failed: {done.stderr.strip()}")
        return lambda: _run("chattr", "-i", str(path)) and None
    path.chmod(0o444)
    return lambda: path.chmod(0o600)


# ------------------------------------------------------------------ making backups


def test_a_backup_is_a_checked_owner_only_single_file_in_the_backups_folder(
    shop: Store, folder: Path, tmp_path: Path
) -> None:
    made = backups.make_backup(shop, now=NOON)

    assert made.path.parent == folder
    assert made.path.name == f"{backups.store_prefix(tmp_path / 'shop.db')}-20261102T120000Z.db"
    assert made.path.name.startswith("shop-")
    assert stat.S_IMODE(made.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    # One self-contained file: no journal beside it, nothing half-written left over.
    assert sorted(p.name for p in folder.iterdir()) == [made.path.name]
    conn = sqlite3.connect(f"{made.path.as_uri()}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    finally:
        conn.close()
    assert backups.list_backups(shop.path or Path()) == [backups.Backup(made.path, NOON, made.size)]

    # The copy is a working store with the same waiting line.
    copy = tmp_path / "copy.db"
    shutil.copyfile(made.path, copy)
    reopened = open_store(copy)
    try:
        assert waiting() == [("Ann", "W-Ann", 2)]
        assert run_checks() == []
    finally:
        reopened.close()


def test_two_stores_with_the_same_name_never_share_backups(tmp_path: Path, folder: Path) -> None:
    paths = [tmp_path / "front" / "shop.db", tmp_path / "back" / "shop.db"]
    for number, path in enumerate(paths):
        store = open_store(path)
        fill(store, customer=f"Person{number}")
        for hour in range(3):
            backups.make_backup(store, now=NOON + timedelta(hours=hour), keep=2)
        store.close()

    front, back = (backups.list_backups(path) for path in paths)
    assert len(front) == len(back) == 2  # each store's rotation pruned only its own
    assert not {b.path for b in front} & {b.path for b in back}
    assert customers_in(front[0].path) == ["Person0"]
    assert customers_in(back[0].path) == ["Person1"]


def test_the_newest_n_are_kept_and_n_is_a_setting(shop: Store) -> None:
    assert shop.path is not None
    assert backups.keep_count() == backups.DEFAULT_KEEP
    backups.set_keep_count(3)
    assert backups.keep_count() == 3
    for hour in range(5):
        backups.make_backup(shop, now=NOON + timedelta(hours=hour))
    kept = backups.list_backups(shop.path)
    assert [b.taken_at for b in kept] == [NOON + timedelta(hours=h) for h in (4, 3, 2)]

    with pytest.raises(Exception, match="whole number from 1 to 1000"):
        backups.set_keep_count(0)


def test_two_backups_in_the_same_second_both_keep_their_own_name(shop: Store) -> None:
    first = backups.make_backup(shop, now=NOON)
    second = backups.make_backup(shop, now=NOON)
    assert first.path != second.path
    assert second.path.name.endswith("-20261102T120000Z-2.db")
    assert [b.path for b in backups.list_backups(shop.path or Path())] == [
        second.path,
        first.path,
    ]


def test_a_damaged_store_gives_no_backup_and_the_older_ones_stay(
    tmp_path: Path, folder: Path
) -> None:
    path = tmp_path / "shop.db"
    store = open_store(path)
    sizeable(store)
    good = backups.make_backup(store, now=NOON, keep=1)
    store.close()
    scramble(path)

    with pytest.raises(DamagedStore, match="damaged") as refused:
        backups.make_backup(path, now=NOON + timedelta(days=1), keep=1)

    assert "the older ones are kept" in str(refused.value)
    # The good one was not pruned, and nothing that looks like a backup (or a leftover) appeared.
    assert sorted(p.name for p in folder.iterdir()) == [good.path.name]


def test_a_full_disk_leaves_no_half_written_backup(
    shop: Store, tiny_disk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sizeable(shop)
    monkeypatch.setenv(backups.FOLDER_ENV_VAR, str(tiny_disk))
    older = backups.make_backup(shop, now=NOON, keep=1)
    filler = fill_disk(tiny_disk)

    with pytest.raises(StoreError) as refused:
        backups.make_backup(shop, now=NOON + timedelta(days=1), keep=1)

    message = str(refused.value)
    assert "full" in message and "Free some disk space" in message
    assert "no backup was made and the older ones are kept" in message
    assert "\n" not in message
    assert sorted(p.name for p in tiny_disk.iterdir()) == sorted([older.path.name, filler.name])
    assert backups.inspect_backup(older.path).customers == 61

    filler.unlink()
    newer = backups.make_backup(shop, now=NOON + timedelta(days=1), keep=1)
    assert [b.path for b in backups.list_backups(shop.path or Path())] == [newer.path]


# ------------------------------------------------------------------ automatic backups


def test_an_automatic_backup_is_made_when_the_newest_is_a_day_old(shop: Store) -> None:
    assert shop.path is not None
    first = backups.backup_if_due(shop, now=NOON)
    assert first is not None
    assert backups.backup_if_due(shop, now=NOON + timedelta(hours=23)) is None
    second = backups.backup_if_due(shop, now=NOON + timedelta(hours=24))
    assert second is not None
    # The desk's start rule: not again within the hour, but after it.
    assert (
        backups.backup_if_due(
            shop, now=NOON + timedelta(hours=24, minutes=30), max_age=backups.START_GAP
        )
        is None
    )
    assert (
        backups.backup_if_due(shop, now=NOON + timedelta(hours=25), max_age=backups.START_GAP)
        is not None
    )
    # A newest backup dated in the future (the clock was wrong) does not stop backups.
    assert backups.backup_if_due(shop, now=NOON) is not None


def test_an_empty_new_store_is_not_backed_up_automatically(tmp_path: Path, folder: Path) -> None:
    store = open_store(tmp_path / "new.db")
    try:
        assert backups.backup_if_due(store, now=NOON) is None
        assert list(folder.iterdir()) == []
        # On demand it is, all the same.
        assert backups.make_backup(store, now=NOON).path.exists()
    finally:
        store.close()


def test_the_command_line_makes_at_most_one_backup_a_day(
    cli_run: Cli, tmp_path: Path, folder: Path
) -> None:
    db = str(tmp_path / "shop.db")
    assert cli_run("product", "add", "--sku", "A-1", "--name", "Anvil", "--db", db).code == 0
    assert list(folder.iterdir()) == []  # the store was empty when it was opened

    listed = cli_run("product", "list", "--json", "--db", db)
    assert listed.code == 0
    assert [p["sku"] for p in listed.doc["products"]] == ["A-1"]  # still one JSON document
    assert len(backups.list_backups(Path(db))) == 1

    assert cli_run("product", "list", "--db", db).code == 0
    assert len(backups.list_backups(Path(db))) == 1


def test_a_failing_automatic_backup_warns_and_the_command_goes_on(
    cli_run: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = str(tmp_path / "shop.db")
    assert cli_run("product", "add", "--sku", "A-1", "--name", "Anvil", "--db", db).code == 0
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("in the way", encoding="utf-8")
    monkeypatch.setenv(backups.FOLDER_ENV_VAR, str(blocker / "backups"))

    ran = cli_run("product", "add", "--sku", "B-1", "--name", "Bolt", "--db", db)

    assert ran.code == 0
    assert "warning: the daily backup failed" in ran.err
    assert "no backup was made" in ran.err
    assert blocker.read_text(encoding="utf-8") == "in the way"


# ------------------------------------------------------------------ the commands


def test_backup_command_to_the_folder_and_to_a_chosen_file(
    cli_run: Cli, shop: Store, tmp_path: Path, folder: Path
) -> None:
    db = str(shop.path)
    ran = cli_run("backup", "--db", db)
    assert ran.code == 0
    assert ran.out.startswith(f"Backed up {db} (1 order, ")
    assert "The newest 10 backups are kept." in ran.out
    (made,) = backups.list_backups(Path(db))

    target = tmp_path / "stick" / "shop-copy.db"
    ran = cli_run("backup", str(target), "--db", db, "--json")
    assert ran.code == 0
    assert ran.doc["path"] == str(target) and ran.doc["orders"] == 1
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert customers_in(target) == ["Ann"]
    # Yesterday's copy may be replaced by today's; another document may not.
    assert cli_run("backup", str(target), "--db", db).code == 0
    letter = tmp_path / "letter.txt"
    letter.write_text("Dear supplier", encoding="utf-8")
    ran = cli_run("backup", str(letter), "--db", db)
    assert ran.code == 2
    assert "already exists and is not a Backorder Desk backup" in ran.err
    assert letter.read_text(encoding="utf-8") == "Dear supplier"
    ran = cli_run("backup", db, "--db", db)
    assert ran.code == 2 and "is the store itself" in ran.err

    listed = cli_run("backups", "--db", db)
    assert listed.code == 0
    assert made.path.name in listed.out and "Taken" in listed.out
    doc = cli_run("backups", "--db", db, "--json").doc
    assert [b["path"] for b in doc["backups"]] == [str(made.path)]
    assert doc["folder"] == str(folder)

    kept = cli_run("backups", "--keep", "1", "--db", db)
    assert kept.code == 0 and "newest 1 backups" in kept.out
    assert cli_run("backups", "--keep", "lots", "--db", db).code == 2


def test_restore_command_puts_the_backup_back_after_backing_up_the_store(
    cli_run: Cli, shop: Store, tmp_path: Path
) -> None:
    assert shop.path is not None
    db = str(shop.path)
    saved = backups.make_backup(shop, now=NOON)
    fill(shop, customer="Bob")  # work done after the backup
    # Another station stays connected through the restore.
    other = sqlite3.connect(db)
    try:
        assert other.execute("SELECT COUNT(*) FROM customer").fetchone() == (2,)

        ran = cli_run("restore", str(saved.path), "--db", db)

        assert ran.code == 0, ran.err
        assert "Restored" in ran.out and "1 order, 1 product, 1 customer" in ran.out
        assert other.execute("SELECT COUNT(*) FROM customer").fetchone() == (1,)
    finally:
        other.close()
    (before,) = [b for b in backups.list_backups(shop.path) if b.before_restore]
    assert f"The store as it was is backed up at {before.path}." in ran.out
    assert customers_in(before.path) == ["Ann", "Bob"]  # nothing lost: Bob is in there
    assert waiting() == [("Ann", "W-Ann", 2)]
    assert run_checks() == []


@pytest.mark.parametrize(
    ("make", "phrase"),
    [
        (lambda p: p.write_text("sku,qty\n", encoding="utf-8"), "not a SQLite database"),
        (lambda p: None, "There is no backup file"),
        (
            lambda p: sqlite3.connect(p).execute("CREATE TABLE invoice (id INTEGER)"),
            "not a Backorder Desk backup",
        ),
        (lambda p: sqlite3.connect(p).close(), "is not a Backorder Desk backup"),
    ],
    ids=["text file", "missing", "another program's database", "empty file"],
)
def test_restore_refuses_what_is_not_a_good_backup_and_changes_nothing(
    cli_run: Cli, shop: Store, tmp_path: Path, make: Callable[[Path], object], phrase: str
) -> None:
    assert shop.path is not None
    chosen = tmp_path / "chosen.db"
    make(chosen)

    ran = cli_run("restore", str(chosen), "--db", str(shop.path))

    assert ran.code == 2
    assert phrase in ran.err and ran.err.count("\n") == 1
    assert backups.list_backups(shop.path) == []  # not even a safety backup
    assert waiting() == [("Ann", "W-Ann", 2)]
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")] == []


def test_restore_refuses_a_damaged_or_newer_backup(
    cli_run: Cli, shop: Store, tmp_path: Path
) -> None:
    assert shop.path is not None
    other = open_store(tmp_path / "other.db")
    sizeable(other)
    other.close()
    damaged = tmp_path / "damaged.db"
    shutil.copyfile(tmp_path / "other.db", damaged)
    scramble(damaged)
    newer = tmp_path / "newer.db"
    shutil.copyfile(tmp_path / "other.db", newer)
    conn = sqlite3.connect(newer)
    conn.execute(
        "UPDATE setting SET value = ? WHERE key = 'schema_version'",
        (str(migrations.CURRENT_VERSION + 1),),
    )
    conn.commit()
    conn.close()
    bound = open_store(shop.path)  # the CLI closes what it opens; keep the models bound here

    for path, phrase in ((damaged, "is damaged"), (newer, "newer Backorder Desk")):
        before = digest(path)
        ran = cli_run("restore", str(path), "--db", str(shop.path))
        assert ran.code == 2
        assert phrase in ran.err and "nothing was restored" in ran.err
        assert digest(path) == before

    assert waiting() == [("Ann", "W-Ann", 2)]
    bound.close()


def test_an_older_backup_is_upgraded_when_restored(cli_run: Cli, shop: Store) -> None:
    assert shop.path is not None
    ran = cli_run("restore", str(FIXTURE), "--db", str(shop.path))
    assert ran.code == 0, ran.err
    reopened = open_store(shop.path)
    try:
        version = reopened.database.execute_sql(
            "SELECT value FROM setting WHERE key = 'schema_version'"
        ).fetchone()[0]
        assert int(version) == migrations.CURRENT_VERSION
        assert waiting() == [("Ann Archer", "W-100", 2)]
        assert run_checks() == []
    finally:
        reopened.close()


def test_restore_into_the_open_store_from_the_engine(shop: Store, tmp_path: Path) -> None:
    saved = backups.make_backup(shop, now=NOON)
    fill(shop, customer="Bob")
    seen: list[tuple[int, int]] = []

    done = backups.restore_into(shop, saved.path, progress=lambda d, t: seen.append((d, t)))

    assert done.safety is not None and done.set_aside is None
    assert [c.name for c in Customer.select()] == ["Ann"]  # the open connection sees it
    assert run_checks() == []
    assert seen and seen[-1][0] == seen[-1][1]  # the bar ends full
    assert all(d <= t for d, t in seen)


# ------------------------------------------------------------------ a damaged store


def test_a_damaged_store_is_refused_untouched_and_the_message_names_the_backup(
    cli_run: Cli, tmp_path: Path
) -> None:
    path = tmp_path / "shop.db"
    store = open_store(path)
    sizeable(store)
    good = backups.make_backup(store, now=NOON)
    store.close()
    scramble(path)
    before = digest(path)

    ran = cli_run("check", "--db", str(path))

    assert ran.code == 2
    assert "is damaged" in ran.err and "left untouched" in ran.err
    assert f"backorder-desk restore {good.path} --db {path}" in ran.err
    assert "(1 order)" not in ran.err and "(0 orders)" in ran.err
    assert ran.err.count("\n") == 1
    assert digest(path) == before

    ran = cli_run("restore", str(good.path), "--db", str(path))

    assert ran.code == 0, ran.err
    (aside,) = tmp_path.glob("shop.set-aside-*.db")
    assert digest(aside) == before  # the damaged file is kept as it was, never overwritten
    assert f"The unusable store file was kept as {aside}." in ran.out
    # No "before restore" copy of a damaged store (it is kept aside instead).
    assert [b.path for b in backups.list_backups(path)] == [good.path]
    assert cli_run("check", "--db", str(path)).code == 0


def test_a_damaged_store_with_no_backup_says_so(cli_run: Cli, tmp_path: Path, folder: Path) -> None:
    path = tmp_path / "shop.db"
    store = open_store(path)
    sizeable(store)
    store.close()
    scramble(path)
    ran = cli_run("product", "list", "--db", str(path))
    assert ran.code == 2
    assert f"No good backup of it was found in {folder}." in ran.err


def test_restore_to_a_new_place_makes_the_store(cli_run: Cli, shop: Store, tmp_path: Path) -> None:
    saved = backups.make_backup(shop, now=NOON)
    new_pc = tmp_path / "new-pc" / "shop.db"
    ran = cli_run("restore", str(saved.path), "--db", str(new_pc))
    assert ran.code == 0, ran.err
    assert stat.S_IMODE(new_pc.stat().st_mode) == 0o600
    assert customers_in(new_pc) == ["Ann"]


# ------------------------------------------------------------------ locked, read-only, full


@pytest.fixture
def short_busy_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKORDER_DESK_BUSY_TIMEOUT_MS", "200")


@pytest.fixture
def locked_shop(
    short_busy_timeout: None, tmp_path: Path
) -> Iterator[tuple[Store, sqlite3.Connection]]:
    """The store open here, and another program holding it with BEGIN EXCLUSIVE."""
    store = open_store(tmp_path / "shop.db")
    fill(store)
    holder = sqlite3.connect(str(tmp_path / "shop.db"), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("INSERT INTO setting (key, value) VALUES ('other', 'program')")
    yield store, holder
    if holder.in_transaction:
        holder.execute("ROLLBACK")
    holder.close()
    store.close()


def test_a_locked_store_refuses_a_write_clearly_and_keeps_working(
    locked_shop: tuple[Store, sqlite3.Connection],
) -> None:
    store, holder = locked_shop
    desk = Controller(store)

    with pytest.raises(StoreError) as refused:
        desk.add_product(sku="L-1", name="Lamp")

    message = str(refused.value)
    assert "locked by another program; nothing was written" in message
    assert "Close the other program" in message
    holder.execute("ROLLBACK")
    assert [p.sku for p in Product.select()] == ["W-Ann"]
    assert run_checks() == []
    desk.add_product(sku="L-1", name="Lamp")  # once the other program lets go, it works
    assert Product.select().count() == 2


def test_a_locked_store_refuses_a_restore_and_is_left_as_it_was(
    locked_shop: tuple[Store, sqlite3.Connection], tmp_path: Path
) -> None:
    store, holder = locked_shop
    other = open_store(tmp_path / "other.db")
    fill(other, customer="Zed")
    other.close()
    bound = open_store(store.path or Path())

    with pytest.raises(StoreError) as refused:
        backups.restore_into(bound, tmp_path / "other.db")

    assert "locked by another program; nothing was restored and the store is as it was" in str(
        refused.value
    )
    holder.execute("ROLLBACK")
    assert waiting() == [("Ann", "W-Ann", 2)]
    assert run_checks() == []
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")] == []
    bound.close()


def test_a_read_only_store_refuses_a_write_and_a_restore_clearly(
    shop: Store, tmp_path: Path
) -> None:
    assert shop.path is not None
    saved = backups.make_backup(shop, now=NOON)
    fill(shop, customer="Bob")
    path = shop.path
    shop.close()
    undo = make_read_only(path)
    try:
        store = open_store(path)
        try:
            with pytest.raises(StoreError, match="is read-only; nothing was written"):
                Controller(store).add_product(sku="R-1", name="Rake")
            with pytest.raises(StoreError) as refused:
                backups.restore_into(store, saved.path)
            assert "read-only" in str(refused.value)
            assert "nothing was restored and the store is as it was" in str(refused.value)
            # Reading still works, and nothing changed.
            assert waiting() == [("Ann", "W-Ann", 2), ("Bob", "W-Bob", 2)]
            # A backup of a read-only store still works: it only reads.
            assert backups.make_backup(store, now=NOON + timedelta(hours=1)).path.exists()
        finally:
            store.close()
    finally:
        undo()
    reopened = open_store(path)
    try:
        assert run_checks() == []
        assert waiting() == [("Ann", "W-Ann", 2), ("Bob", "W-Bob", 2)]
    finally:
        reopened.close()


def _full_by_max_page_count(store: Store, _folder: Path) -> Callable[[], None]:
    pages = store.database.execute_sql("PRAGMA page_count").fetchone()[0]
    store.database.execute_sql(f"PRAGMA max_page_count = {pages}")
    return lambda: store.database.execute_sql("PRAGMA max_page_count = 1073741823") and None


def _full_by_filling_the_disk(_store: Store, folder: Path) -> Callable[[], None]:
    filler = fill_disk(folder)
    return filler.unlink


@pytest.mark.parametrize("how", ["tmpfs", "max_page_count"])
def test_a_full_disk_refuses_a_write_clearly_with_nothing_half_written(
    how: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    where = request.getfixturevalue("tiny_disk") if how == "tmpfs" else tmp_path
    store = open_store(where / "shop.db")
    fill(store)
    desk = Controller(store)
    products = [desk.add_product(sku=f"F-{n}", name=f"Fastener {n}") for n in range(300)]
    ann = desk.find_customer("Ann")
    # Closing folds the write-ahead log into the store, as a desk does at the end of a day;
    # a log kept from earlier writes would give the next write room without the disk.
    store.close()
    store = open_store(where / "shop.db")
    try:
        desk = Controller(store)
        make_full = _full_by_filling_the_disk if how == "tmpfs" else _full_by_max_page_count
        free = make_full(store, where)

        with pytest.raises(StoreError) as refused:
            # One order of 300 waiting lines: one transaction, all of it or none.
            desk.place_order(
                ann.id,
                [OrderItem(p.id, 1) for p in products],
                decisions={p.id: Decision.WAIT for p in products},
            )

        message = str(refused.value)
        assert "full" in message and "nothing was written" in message
        assert "Free some disk space" in message and "\n" not in message
        free()
        assert run_checks() == []
        assert waiting() == [("Ann", "W-Ann", 2)]
        # The store keeps working once there is room: the same order goes in whole.
        desk.place_order(
            ann.id,
            [OrderItem(p.id, 1) for p in products],
            decisions={p.id: Decision.WAIT for p in products},
        )
        assert count_backorders() == 301
        assert run_checks() == []
    finally:
        store.close()


# ------------------------------------------------------------------ PostgreSQL


def test_backups_of_a_server_store_point_to_pg_dump(
    store: Store, cli_run: Cli, folder: Path
) -> None:
    if store.path is not None:
        assert backups.backup_if_due(store, now=NOON) is None  # empty: nothing to lose
        return
    assert backups.backup_if_due(store, now=NOON) is None
    with pytest.raises(StoreError, match="pg_dump"):
        backups.make_backup(store)
    with pytest.raises(StoreError, match="pg_dump"):
        backups.restore_into(store, FIXTURE)
    for args in (["backup"], ["restore", str(FIXTURE)], ["backups"]):
        ran = cli_run(*args, "--db", store.location)
        assert ran.code == 2
        assert "PostgreSQL database" in ran.err and "pg_dump" in ran.err
    assert list(folder.iterdir()) == []


def test_a_server_address_is_refused_without_connecting(cli_run: Cli) -> None:
    ran = cli_run("backup", "--db", "postgresql://clerk:hunter2@127.0.0.1:1/shop")
    assert ran.code == 2
    assert "pg_dump" in ran.err and "Cannot connect" not in ran.err
    assert "hunter2" not in ran.err


def test_a_full_disk_refuses_a_restore_and_leaves_the_store_as_it_was(
    tiny_disk: Path, tmp_path: Path, folder: Path
) -> None:
    store = open_store(tiny_disk / "shop.db")
    try:
        fill(store)
        other = open_store(tmp_path / "big.db")
        sizeable(other)  # bigger than the room left on the small disk
        other.close()
        bound = open_store(tiny_disk / "shop.db")
        filler = fill_disk(tiny_disk)

        with pytest.raises(StoreError) as refused:
            backups.restore_into(bound, tmp_path / "big.db")

        message = str(refused.value)
        assert "full" in message and "nothing was restored and the store is as it was" in message
        assert sorted(p.name for p in tiny_disk.iterdir() if not p.name.startswith("shop.db")) == [
            filler.name
        ]
        filler.unlink()
        assert waiting() == [("Ann", "W-Ann", 2)]
        assert run_checks() == []
        bound.close()
    finally:
        store.close()


def test_a_backup_with_another_page_size_is_restored_into_the_live_store(
    shop: Store, tmp_path: Path
) -> None:
    other = open_store(tmp_path / "other.db")
    fill(other, customer="Zed")
    other.close()
    conn = sqlite3.connect(tmp_path / "other.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("PRAGMA page_size = 8192")
    conn.execute("VACUUM")  # as another tool might have left it
    assert conn.execute("PRAGMA page_size").fetchone() == (8192,)
    conn.close()
    bound = open_store(shop.path or Path())

    backups.restore_into(bound, tmp_path / "other.db")

    assert waiting() == [("Zed", "W-Zed", 2)]
    assert run_checks() == []
    bound.close()


@pytest.mark.parametrize("stored", ["²", "9" * 5000, "0", "nonsense"])
def test_a_kept_count_setting_that_is_not_a_sensible_number_keeps_the_default(
    tmp_path: Path, stored: str
) -> None:
    store = open_store(tmp_path / "shop.db")
    try:
        Setting.replace(key=backups.KEEP_KEY, value=stored).execute()
        assert backups.keep_count() == backups.DEFAULT_KEEP
    finally:
        store.close()
