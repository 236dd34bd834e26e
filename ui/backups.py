"""Backups in the desk: automatic ones while it runs, File › Back up now… and Restore from
backup…, and the offer to restore the latest good backup when the store is damaged at start.

The copying is ``app.backups``'s; here it runs on the thread pool (``ui.worker``) behind a
progress dialog, and every outcome (a full disk, a locked or read-only store included) is
said in a message box while the window keeps working. Message boxes are opened, not
executed, so the window's event loop (and its change poll) keeps running behind them.
"""

from __future__ import annotations

import sys
import threading
import traceback
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEventLoop, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QWidget,
)

from app import backups
from app.backups import Backup, BackupContents, Restored
from app.errors import DamagedStore, UserError
from app.store import Store, open_store
from ui.context import DeskContext
from ui.worker import Job, Progress, run_in_background

TITLE = "Backorder Desk"
#: How often the desk asks whether the daily backup is due (it is when the newest is a day old).
CHECK_MS = 60 * 60 * 1000
FILE_FILTER = "Backorder Desk backups (*.db);;All files (*)"


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _holds(contents: BackupContents) -> str:
    return ", ".join(
        [
            _plural(contents.orders, "order"),
            _plural(contents.products, "product"),
            _plural(contents.customers, "customer"),
        ]
    )


def _message_box(
    parent: QWidget | None, icon: QMessageBox.Icon, title: str, text: str, info: str = ""
) -> QMessageBox:
    """A window-modal box that is shown without blocking (``open``) and deletes itself."""
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, parent)
    if info:
        box.setInformativeText(info)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


class BackupScheduler(QObject):
    """Automatic backups while the desk runs: one at start unless the newest is under an
    hour old (``app.backups.START_GAP``), then one whenever the newest is a day old,
    checked every hour. A PostgreSQL store is left to the server's tools.

    Signals:
        made(str): a backup was written to this path.
        failed(str): an automatic backup failed; the message was shown once.
    """

    made = Signal(str)
    failed = Signal(str)

    def __init__(
        self, ctx: DeskContext, parent: QObject | None = None, *, interval_ms: int = CHECK_MS
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.job: Job | None = None
        #: The last failure shown, so an hourly retry does not pile up the same box.
        self.shown_failure = ""
        self.box: QMessageBox | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(lambda: self.check(backups.DAILY))

    def start(self) -> None:
        self.check(backups.START_GAP)
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def check(self, max_age: timedelta) -> None:
        """Back up in the background if the newest backup is ``max_age`` old."""
        store = self.ctx.store
        if self.job is not None or store.path is None:
            return

        def work(_progress: Progress) -> str:
            made = backups.backup_if_due(store, max_age=max_age)
            return str(made.path) if made is not None else ""

        self.job = run_in_background(work, on_done=self._done, on_error=self._failed)

    def _done(self, path: object) -> None:
        self.job = None
        if path:
            self.shown_failure = ""
            self.made.emit(str(path))

    def _failed(self, message: str) -> None:
        self.job = None
        sys.stderr.write(f"Automatic backup failed: {message}\n")
        if message != self.shown_failure:
            self.shown_failure = message
            window = QApplication.activeWindow()
            self.box = _message_box(
                window,
                QMessageBox.Icon.Warning,
                "The automatic backup failed",
                message,
                "The desk keeps working; it tries again every hour.",
            )
        self.failed.emit(message)


class DeskBackups(QObject):
    """File › Back up now… and Restore from backup… for one window.

    Signals:
        finished(str): a backup or restore ended: '' when it worked, else the message shown.

    Attributes:
        back_up_action, restore_action: the menu entries.
        box: the last message box shown (the outcome, or the restore confirmation).
        progress: the progress dialog while work runs.
    """

    finished = Signal(str)

    def __init__(self, ctx: DeskContext, parent: QWidget) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.window = parent
        self.job: Job | None = None
        self.box: QMessageBox | None = None
        self.progress: QProgressDialog | None = None
        self.back_up_action = QAction("Back &up now…", parent)
        self.back_up_action.setToolTip(
            "Copy the store now, checked, to the backups folder or a file you choose"
        )
        self.back_up_action.setStatusTip(self.back_up_action.toolTip())
        self.back_up_action.triggered.connect(self.ask_backup)
        self.restore_action = QAction("Res&tore from backup…", parent)
        self.restore_action.setToolTip(
            "Replace the store with a backup (the store as it is now is backed up first)"
        )
        self.restore_action.setStatusTip(self.restore_action.toolTip())
        self.restore_action.triggered.connect(self.ask_restore)

    @property
    def busy(self) -> bool:
        return self.job is not None

    # ------------------------------------------------------------------ backing up

    def ask_backup(self) -> None:
        """Ask where (the backups folder is offered), then back up."""
        if not self._sqlite_or_explain():
            return
        path, _filter = QFileDialog.getSaveFileName(
            self.window, "Back up the store", str(self.suggested_path()), FILE_FILTER
        )
        if path:
            self.back_up_to(Path(path))

    def suggested_path(self) -> Path:
        """What the save dialog offers: this store's next backup in the backups folder."""
        assert self.ctx.store.path is not None
        return backups.backups_folder() / f"{backups.store_prefix(self.ctx.store.path)}-now.db"

    def back_up_to(self, path: Path) -> None:
        """Back up in the background: the offered name joins the backups folder's rotation
        (named by the time it is taken); any other name is exactly that file."""
        if self.busy or not self._sqlite_or_explain():
            return
        controller = self.ctx.controller
        rotated = path.expanduser().resolve() == self.suggested_path().resolve()

        def work(progress: Progress) -> Backup:
            # Through the controller, so the audit log records who made it.
            return controller.back_up(None if rotated else path, progress=progress)

        self._run("Backing up the store…", work, self._backed_up)

    def _backed_up(self, result: object) -> None:
        assert isinstance(result, Backup)
        self.box = _message_box(
            self.window,
            QMessageBox.Icon.Information,
            "Backed up",
            f"The store was backed up to {result.path} ({backups.describe_size(result.size)}).",
            "The copy was checked (integrity check) before it was kept.",
        )
        self.finished.emit("")

    # ------------------------------------------------------------------ restoring

    def ask_restore(self) -> None:
        """Ask which backup (starting in the backups folder), then check and confirm it."""
        if not self._sqlite_or_explain():
            return
        path, _filter = QFileDialog.getOpenFileName(
            self.window, "Restore from a backup", str(backups.backups_folder()), FILE_FILTER
        )
        if path:
            self.restore_from(Path(path))

    def restore_from(self, path: Path) -> None:
        """Check the backup in the background, then ask before replacing the store."""
        if self.busy or not self._sqlite_or_explain():
            return

        def work(_progress: Progress) -> BackupContents:
            return backups.inspect_backup(path)

        self._run("Checking the backup…", work, self._confirm)

    def _confirm(self, result: object) -> None:
        assert isinstance(result, BackupContents)
        box = QMessageBox(self.window)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Restore from backup")
        box.setText(
            f"Replace everything in the store {self.ctx.store.describe()} with the backup "
            f"from {backups.describe_time(result.taken_at)} ({_holds(result)})?"
        )
        box.setInformativeText(
            "The store as it is now is backed up first, so this can be undone. Work done "
            "since that backup is not in it. Other stations on this store see the restored "
            "data within a few seconds."
        )
        restore = box.addButton("&Restore", QMessageBox.ButtonRole.AcceptRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        restore.setToolTip(f"Restore {result.path.name}")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.restore_button = restore
        box.finished.connect(
            lambda _code: self._restore(result.path) if box.clickedButton() is restore else None
        )
        self.box = box
        box.open()

    def _restore(self, path: Path) -> None:
        controller = self.ctx.controller

        def work(progress: Progress) -> Restored:
            # Managers only, and audited in the restored store.
            return controller.restore_backup(path, progress=progress)

        self._run("Restoring the backup…", work, self._restored)

    def _restored(self, result: object) -> None:
        assert isinstance(result, Restored)
        # The restored store may know the signed-in person under another role (or not at
        # all: the controller then acts as its first manager); the windows follow.
        self.ctx.staff_changed.emit()
        self.ctx.notify_changed()
        kept = (
            f"The store as it was is backed up at {result.safety.path}."
            if result.safety is not None
            else ""
        )
        self.box = _message_box(
            self.window,
            QMessageBox.Icon.Information,
            "Restored",
            f"The store now holds the backup from {backups.describe_time(result.source.taken_at)}"
            f" ({_holds(result.source)}).",
            kept,
        )
        self.finished.emit("")

    # ------------------------------------------------------------------ shared

    def _sqlite_or_explain(self) -> bool:
        try:
            backups.sqlite_file(self.ctx.store)
        except UserError as error:
            self._failed(str(error))
            return False
        return True

    def _run(
        self, label: str, work: Callable[[Progress], Any], done: Callable[[Any], None]
    ) -> None:
        self.progress = _progress_dialog(label, self.window)

        def finish(result: object) -> None:
            self._close_progress()
            done(result)

        def failed(message: str) -> None:
            self._close_progress()
            self._failed(message)

        self.job = run_in_background(work, on_done=finish, on_error=failed, on_progress=self._step)

    def _step(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress.setMaximum(max(total, 1))
            self.progress.setValue(min(done, total))

    def _close_progress(self) -> None:
        self.job = None
        if self.progress is not None:
            self.progress.close()
            self.progress.deleteLater()
            self.progress = None

    def _failed(self, message: str) -> None:
        self.box = _message_box(
            self.window,
            QMessageBox.Icon.Warning,
            "Backups",
            message,
        )
        self.finished.emit(message)


def _progress_dialog(label: str, parent: QWidget | None) -> QProgressDialog:
    progress = QProgressDialog(label, "", 0, 0, parent)
    progress.setWindowTitle(TITLE)
    # One transaction: it finishes or leaves nothing, so there is nothing to cancel.
    progress.setCancelButton(None)
    progress.setWindowModality(Qt.WindowModality.WindowModal)
    progress.setMinimumDuration(300)
    progress.setAutoClose(False)
    progress.setAutoReset(False)
    progress.setValue(0)
    return progress


# ------------------------------------------------------------------ damaged at start


class DamagedStoreDialog(QMessageBox):
    """Says the store is damaged and offers the latest good backup: Restore or Quit.

    Attributes:
        restore_button, quit_button: the two answers.
    """

    def __init__(
        self, damaged: DamagedStore, backup: BackupContents, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setIcon(QMessageBox.Icon.Critical)
        self.setWindowTitle(f"{TITLE}: the store is damaged")
        self.setText(
            f"The store at {damaged.path} is damaged: {damaged.reason}. Restore the backup "
            f"from {backups.describe_time(backup.taken_at)} ({_plural(backup.orders, 'order')})?"
        )
        aside = f"{damaged.path.stem}.set-aside-….db"
        self.setInformativeText(
            f"Nothing is deleted: the damaged file is kept beside the store as {aside}. "
            "Work done after the backup was taken is not in it. "
            f"The backup: {backup.path}"
        )
        self.restore_button: QPushButton = self.addButton(
            "&Restore", QMessageBox.ButtonRole.AcceptRole
        )
        self.quit_button: QPushButton = self.addButton("&Quit", QMessageBox.ButtonRole.RejectRole)
        self.setDefaultButton(self.restore_button)
        self.setEscapeButton(self.quit_button)

    def wants_restore(self) -> bool:
        return self.clickedButton() is self.restore_button


def offer_restore(
    damaged: DamagedStore, location: str | None, parent: QWidget | None = None
) -> Store | None:
    """At start, a damaged store: offer its latest good backup; restore it and return the
    opened store, or ``None`` (no backup, Quit, or the restore failed: all said in a box)."""
    title = f"{TITLE}: cannot open the store"
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        good = backups.latest_good_backup(damaged.path)
    finally:
        QApplication.restoreOverrideCursor()
    if good is None:
        QMessageBox.critical(
            parent,
            title,
            f"{damaged} No backup of it was found in {backups.backups_folder()}.",
        )
        return None
    dialog = DamagedStoreDialog(damaged, good, parent)
    dialog.exec()
    if not dialog.wants_restore():
        return None
    outcome = wait_for(
        "Restoring the backup…",
        lambda progress: backups.restore_file(location, good.path, progress=progress),
        parent,
    )
    if isinstance(outcome, str):
        QMessageBox.critical(parent, title, outcome)
        return None
    try:
        return open_store(location)
    except UserError as error:
        QMessageBox.critical(parent, title, str(error))
        return None


class _Relay(QObject):
    """Carries a plain thread's progress and outcome to the GUI thread (queued signals)."""

    progress = Signal(int, int)
    ended = Signal(object)


def wait_for(label: str, work: Callable[[Progress], Any], parent: QWidget | None = None) -> object:
    """Run ``work`` on a thread behind a progress dialog and wait for it, keeping the
    screen painted; returns its result, or the error message (a ``str``).

    Used at start, before any store is open: ``ui.worker`` jobs release the models'
    connection when they end, which needs a store bound.
    """
    loop = QEventLoop()
    outcome: list[object] = []
    progress = _progress_dialog(label, parent)
    progress.setWindowModality(Qt.WindowModality.ApplicationModal)
    relay = _Relay()

    def step(done: int, total: int) -> None:
        progress.setMaximum(max(total, 1))
        progress.setValue(min(done, total))

    def ended(result: object) -> None:
        outcome.append(result)
        loop.quit()

    relay.progress.connect(step)
    relay.ended.connect(ended)

    def run() -> None:
        try:
            result: object = work(relay.progress.emit)
        except UserError as error:
            result = str(error)
        except Exception:
            result = "Something went wrong:\n" + traceback.format_exc(limit=5)
        relay.ended.emit(result)

    thread = threading.Thread(target=run, name="restore", daemon=True)
    thread.start()
    if not outcome:
        loop.exec()
    thread.join()
    progress.close()
    progress.deleteLater()
    return outcome[0]
