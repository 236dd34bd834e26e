"""Backups in the desk: File › Back up now… and Restore from backup…, the offer to restore
when the store is damaged at start, automatic backups while it runs, and a locked or full
store said in a message while the window keeps working. Real windows on real SQLite files.

The file dialogs are the platform's; tests answer them by replacing
``QFileDialog.getSaveFileName``/``getOpenFileName`` with the path a user would pick.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox
from pytestqt.qtbot import QtBot

from app import backups
from app.check import run_checks
from app.controller import Controller, Decision, OrderItem
from app.errors import StoreError
from app.models import Customer, OrderLine
from app.store import Store, open_store
from tests.shots import save_shot
from ui.backups import BackupScheduler, DamagedStoreDialog, DeskBackups, offer_restore
from ui.context import DeskContext
from ui.main_window import MainWindow
from ui.sections.backorders import BackordersSection
from ui.sections.customers import CustomersSection

WAIT_MS = 20_000


@pytest.fixture(autouse=True)
def private_settings(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "settings"
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    yield folder


@pytest.fixture
def short_busy_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Wait 0.2 s for another program's lock (set before the store is opened)."""
    monkeypatch.setenv("BACKORDER_DESK_BUSY_TIMEOUT_MS", "200")


@pytest.fixture
def shop(sqlite_store: Store) -> Store:
    """A SQLite store where Ann waits for two widgets."""
    desk = Controller(sqlite_store)
    widget = desk.add_product(sku="W-1", name="Widget")
    ann = desk.add_customer(name="Ann", email="ann@example.com")
    desk.place_order(ann.id, [OrderItem(widget.id, 2)], decisions={widget.id: Decision.WAIT})
    return sqlite_store


@pytest.fixture
def ctx(shop: Store, qtbot: QtBot) -> Iterator[DeskContext]:
    context = DeskContext(shop, Controller(shop))
    yield context
    context.stop()


def open_window(qtbot: QtBot, ctx: DeskContext) -> MainWindow:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def outcome_box(qtbot: QtBot, desk: DeskBackups, run: object) -> tuple[str, QMessageBox]:
    """Run a backup action, wait for its end; the message and the box that says it."""
    with qtbot.waitSignal(desk.finished, timeout=WAIT_MS) as ended:
        assert callable(run)
        run()
    box = desk.box
    assert isinstance(box, QMessageBox) and box.isVisible()
    return str(ended.args[0]), box


def confirm_box(qtbot: QtBot, desk: DeskBackups, path: Path) -> QMessageBox:
    desk.restore_from(path)
    qtbot.waitUntil(
        lambda: (
            isinstance(desk.box, QMessageBox)
            and desk.box.icon() == QMessageBox.Icon.Question
            and desk.box.isVisible()
        ),
        timeout=WAIT_MS,
    )
    assert desk.box is not None
    return desk.box


def scramble(path: Path) -> None:
    data = bytearray(path.read_bytes())
    noise = random.Random(7)
    for number in range(2, len(data) // 4096, 2):
        start = number * 4096 + 100
        data[start : start + 2000] = bytes(noise.randrange(256) for _ in range(2000))
    path.write_bytes(bytes(data))


# ------------------------------------------------------------------ the menu


def test_the_file_menu_offers_back_up_and_restore(qtbot: QtBot, ctx: DeskContext) -> None:
    window = open_window(qtbot, ctx)
    file_menu = window.menus[0]
    texts = [action.text().replace("&", "") for action in file_menu.actions()]
    assert "Back up now…" in texts and "Restore from backup…" in texts
    assert texts.index("Back up now…") + 1 == texts.index("Restore from backup…")
    assert "backed up first" in window.backups.restore_action.toolTip()


def test_back_up_now_offers_the_backups_folder_and_says_where_the_copy_went(
    qtbot: QtBot,
    ctx: DeskContext,
    shop: Store,
    private_backups: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    window = open_window(qtbot, ctx)
    offered: list[str] = []

    def pick(_parent: object, _title: str, start: str, _filter: str) -> tuple[str, str]:
        offered.append(start)
        return start, ""  # the user keeps the suggested place

    monkeypatch.setattr(QFileDialog, "getSaveFileName", pick)

    message, box = outcome_box(qtbot, window.backups, window.backups.back_up_action.trigger)

    assert message == ""
    assert Path(offered[0]).parent == private_backups
    (made,) = backups.list_backups(shop.path or Path())
    assert str(made.path) in box.text() and "KB" in box.text()
    save_shot(box, tmp_path, "backup-done", settle=3)
    box.accept()

    # Elsewhere (a USB stick): exactly the file chosen.
    stick = tmp_path / "stick" / "shop-friday.db"
    message, box = outcome_box(qtbot, window.backups, lambda: window.backups.back_up_to(stick))
    assert message == "" and str(stick) in box.text()
    assert backups.inspect_backup(stick).orders == 1
    box.accept()
    # A name of the user's own in the backups folder is kept as given, outside the rotation.
    named = private_backups / "before-stocktake.db"
    message, box = outcome_box(qtbot, window.backups, lambda: window.backups.back_up_to(named))
    assert message == "" and named.exists()
    assert len(backups.list_backups(shop.path or Path())) == 1
    box.accept()


def test_restore_asks_first_then_restores_and_every_list_reloads(
    qtbot: QtBot,
    ctx: DeskContext,
    shop: Store,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    saved = backups.make_backup(shop)
    Controller(shop).add_customer(name="Bob", email="bob@example.com")  # after the backup
    window = open_window(qtbot, ctx)
    window.show_section(CustomersSection)
    customers = window.section(CustomersSection)
    qtbot.waitUntil(lambda: customers.model.rowCount() == 2)
    started_in: list[str] = []

    def pick(_parent: object, _title: str, start: str, _filter: str) -> tuple[str, str]:
        started_in.append(start)
        return str(saved.path), ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", pick)
    window.backups.restore_action.trigger()
    qtbot.waitUntil(
        lambda: isinstance(window.backups.box, QMessageBox) and window.backups.box.isVisible(),
        timeout=WAIT_MS,
    )
    box = window.backups.box
    assert isinstance(box, QMessageBox)
    assert started_in == [str(backups.backups_folder())]
    assert "Replace everything in the store" in box.text()
    assert "(1 order, 1 product, 1 customer)" in box.text()
    assert "backed up first" in box.informativeText()
    save_shot(box, tmp_path, "restore-confirm", settle=3)

    # Cancel (the default, and Esc) changes nothing.
    assert box.defaultButton() is not window.backups.restore_button
    box.reject()
    assert [c.name for c in Customer.select().order_by(Customer.name)] == ["Ann", "Bob"]

    box = confirm_box(qtbot, window.backups, saved.path)
    message, done = outcome_box(qtbot, window.backups, window.backups.restore_button.click)

    assert message == ""
    assert "now holds the backup" in done.text()
    assert [c.name for c in Customer.select()] == ["Ann"]
    qtbot.waitUntil(lambda: customers.model.rowCount() == 1)  # the open list reloaded
    assert window.waiting_label.text() == "Backorders: 1 line waiting"
    assert run_checks() == []
    (before,) = [b for b in backups.list_backups(shop.path or Path()) if b.before_restore]
    assert str(before.path) in done.informativeText()  # Bob is kept there
    done.accept()


def test_a_file_that_is_not_a_backup_is_refused_in_a_message_and_nothing_changes(
    qtbot: QtBot, ctx: DeskContext, tmp_path: Path
) -> None:
    window = open_window(qtbot, ctx)
    notes = tmp_path / "notes.db"
    notes.write_text("call the supplier", encoding="utf-8")

    message, box = outcome_box(qtbot, window.backups, lambda: window.backups.restore_from(notes))

    assert "is not a Backorder Desk backup" in message
    assert box.icon() == QMessageBox.Icon.Warning and box.text() == message
    assert [c.name for c in Customer.select()] == ["Ann"]


# ------------------------------------------------------------------ failures, window keeps working


def test_a_failed_backup_is_said_and_the_window_keeps_working(
    qtbot: QtBot, ctx: DeskContext, shop: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window(qtbot, ctx)
    blocker = tmp_path / "in-the-way"
    blocker.write_text("a file where the backups folder should be", encoding="utf-8")
    monkeypatch.setenv(backups.FOLDER_ENV_VAR, str(blocker / "backups"))

    message, box = outcome_box(
        qtbot, window.backups, lambda: window.backups.back_up_to(blocker / "backups" / "x.db")
    )

    assert "no backup was made" in message and box.icon() == QMessageBox.Icon.Warning
    box.accept()
    # The window goes on: switching sections and reading the store work, and so does a
    # backup once there is somewhere to write it.
    window.show_section(BackordersSection)
    window.refresh()
    assert window.waiting_label.text() == "Backorders: 1 line waiting"
    message, box = outcome_box(
        qtbot, window.backups, lambda: window.backups.back_up_to(tmp_path / "fine.db")
    )
    assert message == ""
    box.accept()


def test_a_locked_store_refuses_a_restore_in_a_message_and_is_left_as_it_was(
    short_busy_timeout: None, qtbot: QtBot, ctx: DeskContext, shop: Store
) -> None:
    saved = backups.make_backup(shop)
    Controller(shop).add_customer(name="Bob")
    window = open_window(qtbot, ctx)
    holder = sqlite3.connect(str(shop.path), isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        confirm_box(qtbot, window.backups, saved.path)
        message, box = outcome_box(qtbot, window.backups, window.backups.restore_button.click)
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    assert "locked by another program; nothing was restored" in message
    assert box.icon() == QMessageBox.Icon.Warning
    assert sorted(c.name for c in Customer.select()) == ["Ann", "Bob"]
    assert run_checks() == []
    box.accept()
    window.refresh()  # still working
    assert window.waiting_label.text() == "Backorders: 1 line waiting"


def test_a_locked_store_refuses_a_write_in_the_window_and_it_keeps_working(
    short_busy_timeout: None, qtbot: QtBot, ctx: DeskContext, shop: Store
) -> None:
    window = open_window(qtbot, ctx)
    window.show_section(BackordersSection)
    section = window.section(BackordersSection)
    assert isinstance(section, BackordersSection)
    (line_id,) = [line.id for line in OrderLine.select()]
    section.select_lines([line_id])
    holder = sqlite3.connect(str(shop.path), isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        section.raise_action.trigger()
        assert "locked by another program; nothing was written" in section.message.text()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert OrderLine.get_by_id(line_id).priority == 0

    section.select_lines([line_id])
    section.raise_action.trigger()  # once the other program lets go
    assert OrderLine.get_by_id(line_id).priority == 1
    assert run_checks() == []


def test_a_store_error_escaping_a_window_is_shown_in_a_message_box(qtbot: QtBot) -> None:
    from ui.application import _show_unexpected

    seen: list[str] = []

    def read_and_close() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        seen.append(box.text())
        box.accept()

    QTimer.singleShot(0, read_and_close)
    error = StoreError("The store x.db is read-only; nothing was written. Check the file.")
    _show_unexpected(StoreError, error, None)
    assert seen == [str(error)]


# ------------------------------------------------------------------ automatic backups


def test_the_desk_backs_up_on_start_and_not_again_within_the_hour(
    qtbot: QtBot, ctx: DeskContext, shop: Store
) -> None:
    scheduler = BackupScheduler(ctx)
    with qtbot.waitSignal(scheduler.made, timeout=WAIT_MS) as made:
        scheduler.start()
    scheduler.stop()
    (first,) = backups.list_backups(shop.path or Path())
    assert made.args == [str(first.path)]

    again = BackupScheduler(ctx)
    again.check(backups.START_GAP)
    qtbot.waitUntil(lambda: again.job is None, timeout=WAIT_MS)
    again.check(backups.DAILY)
    qtbot.waitUntil(lambda: again.job is None, timeout=WAIT_MS)
    assert len(backups.list_backups(shop.path or Path())) == 1


def test_a_failing_automatic_backup_warns_once_and_the_desk_goes_on(
    qtbot: QtBot, ctx: DeskContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window(qtbot, ctx)
    blocker = tmp_path / "in-the-way"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv(backups.FOLDER_ENV_VAR, str(blocker / "backups"))
    scheduler = BackupScheduler(ctx, window)
    for _attempt in range(2):
        with qtbot.waitSignal(scheduler.failed, timeout=WAIT_MS) as failed:
            scheduler.check(backups.DAILY)
        assert "no backup was made" in failed.args[0]
    box = scheduler.box
    assert isinstance(box, QMessageBox) and box.text() == failed.args[0]
    assert "tries again every hour" in box.informativeText()
    shown = [
        w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()
    ]
    assert len(shown) == 1  # the second failure, the same, did not pile up another box
    box.accept()
    window.refresh()
    assert window.waiting_label.text() == "Backorders: 1 line waiting"


# ------------------------------------------------------------------ damaged at start


def damaged_store_with_a_backup(tmp_path: Path) -> tuple[Path, backups.BackupContents]:
    path = tmp_path / "shop.db"
    store = open_store(path)
    desk = Controller(store)
    for number in range(60):
        desk.add_product(sku=f"S-{number}", name=f"Screw {number} " + "x" * 100)
        customer = desk.add_customer(name=f"Customer {number}")
    widget = desk.add_product(sku="W-1", name="Widget")
    desk.place_order(customer.id, [OrderItem(widget.id, 1)], decisions={widget.id: Decision.WAIT})
    made = backups.make_backup(store)
    store.close()
    scramble(path)
    return path, backups.inspect_backup(made.path)


def test_a_damaged_store_at_start_offers_its_latest_good_backup(
    qtbot: QtBot, tmp_path: Path
) -> None:
    path, good = damaged_store_with_a_backup(tmp_path)
    damaged_bytes = path.read_bytes()
    with pytest.raises(Exception) as refused:
        open_store(path)
    damaged = refused.value
    seen: list[str] = []

    def look_and_restore() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, DamagedStoreDialog)
        seen.append(dialog.text())
        save_shot(dialog, tmp_path, "damaged-store", settle=3)
        dialog.restore_button.click()

    QTimer.singleShot(0, look_and_restore)
    store = offer_restore(damaged, str(path))  # type: ignore[arg-type]

    assert store is not None
    try:
        assert seen[0].startswith(f"The store at {path} is damaged: ")
        expected = f"Restore the backup from {backups.describe_time(good.taken_at)} (1 order)?"
        assert seen[0].endswith(expected)
        assert run_checks() == []
        assert Customer.select().count() == 60
    finally:
        store.close()
    (aside,) = tmp_path.glob("shop.set-aside-*.db")
    assert aside.read_bytes() == damaged_bytes


def test_quit_at_the_damaged_store_offer_leaves_it_untouched_and_exits_2(
    qtbot: QtBot, tmp_path: Path
) -> None:
    from ui.application import run_gui

    path, _good = damaged_store_with_a_backup(tmp_path)
    before = path.read_bytes()

    def quit_at_the_offer() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, DamagedStoreDialog)
        dialog.quit_button.click()

    QTimer.singleShot(0, quit_at_the_offer)
    assert run_gui(["--db", str(path)]) == 2
    assert path.read_bytes() == before
    assert list(tmp_path.glob("shop.set-aside-*")) == []
