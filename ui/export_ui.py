"""Exporting from the windows: where to save, the export in the background, and the result.

``ask_save_path`` is the save dialog (a section keeps it as ``ask_path`` so a test can
answer it); ``ExportRunner`` runs one export at a time for a section on the worker thread
pool (``ui.worker``) with a progress dialog that can cancel it (nothing is written then),
and says where the file went in the section's message bar (``ui.message_bar``: a
section's own results show there, never in a box that interrupts). ``LedgerExportDialog``
asks which product and days a stock ledger export covers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate, QObject, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressDialog,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserError
from app.export import LedgerFilter, Progress, check_target, utc_bounds
from ui.message_bar import MessageBar
from ui.theme import error_style
from ui.worker import run_in_background

CSV_FILES = "CSV files (*.csv)"
PDF_FILES = "PDF files (*.pdf)"

#: Asks where to save: (parent, title, suggested path, file types) -> path, "" if cancelled.
AskPath = Callable[[QWidget, str, str, str], str]


def ask_save_path(parent: QWidget, title: str, suggested: str, filters: str) -> str:
    """The save dialog; a name typed without an extension gets the chosen type's."""
    path, chosen = QFileDialog.getSaveFileName(parent, title, suggested, filters)
    if path and not Path(path).suffix:
        pattern = chosen.partition("(*")[2].partition(")")[0]  # ".csv" of "CSV files (*.csv)"
        if pattern.startswith(".") and " " not in pattern:
            path += pattern
    return path


def suggested_path(name: str) -> str:
    """Where the save dialog starts: the home folder, with a name saying what and when."""
    return str(Path.home() / name)


class ExportCancelled(UserError):
    """The person cancelled the export; nothing was written."""


class ExportRunner(QObject):
    """Runs a section's exports one at a time in the background.

    Attributes:
        ask_path: the save dialog (``ask_save_path``); tests replace it.
        bar: the section's message bar, where the result is said.
        busy: an export is running (its action is disabled meanwhile).
        last_message: what the last export said.

    Signals:
        finished(str, int): an export is complete (path, rows written).
        failed(str): an export failed or was cancelled (the message shown).
        busy_changed(bool): an export started or ended.
    """

    finished = Signal(str, int)
    failed = Signal(str)
    busy_changed = Signal(bool)

    def __init__(self, parent: QWidget, bar: MessageBar) -> None:
        super().__init__(parent)
        self.widget = parent
        self.bar = bar
        self.ask_path: AskPath = ask_save_path
        self.busy = False
        self.last_message = ""
        self.progress_dialog: QProgressDialog | None = None
        self._cancelled = threading.Event()

    def choose(self, title: str, name: str, filters: str = CSV_FILES) -> str:
        """Ask where to save (``""``: the person cancelled)."""
        return self.ask_path(self.widget, title, suggested_path(name), filters)

    def start(
        self, path: str, work: Callable[[Path, Progress], int], *, noun: str, title: str
    ) -> bool:
        """Run ``work(target, progress)`` (returning the rows written) in the background.

        ``noun`` names a row in the result ("order line"); ``title`` the progress dialog.
        Returns False when nothing started (another export runs, or the path is unusable,
        which is said at once).
        """
        if self.busy:
            return False
        try:
            target = check_target(path)
        except UserError as error:
            self._tell(str(error), error=True)
            self.failed.emit(str(error))
            return False
        self._set_busy(True)
        self._cancelled.clear()
        dialog = QProgressDialog(f"{title}…", "Cancel", 0, 0, self.widget)
        dialog.setObjectName("export_progress")
        dialog.setWindowTitle(title)
        dialog.setMinimumDuration(400)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.canceled.connect(self._cancel)
        self.progress_dialog = dialog

        def checked(progress: Progress) -> Progress:
            def report(done: int, total: int) -> None:
                if self._cancelled.is_set():
                    raise ExportCancelled(f"Export cancelled; {target.name} was not written.")
                progress(done, total)

            return report

        def done(result: object) -> None:
            rows = result if isinstance(result, int) else 0
            self._finish()
            self._tell(
                f"Exported {rows:,} {noun}{'' if rows == 1 else 's'} to {target}.",
                folder=target.parent,
            )
            self.finished.emit(str(target), rows)

        def failed(message: str) -> None:
            self._finish()
            self._tell(message, error=not self._cancelled.is_set())
            self.failed.emit(message)

        run_in_background(
            lambda progress: work(target, checked(progress)),
            on_done=done,
            on_error=failed,
            on_progress=self._progress,
        )
        return True

    def cancel(self) -> None:
        """Stop the running export at its next page; nothing is written."""
        self._cancel()

    def _cancel(self) -> None:
        if self.busy:
            self._cancelled.set()

    def _progress(self, done: int, total: int) -> None:
        if self.progress_dialog is not None:
            self.progress_dialog.setMaximum(max(total, 1))
            self.progress_dialog.setValue(min(done, max(total, 1)))
            self.progress_dialog.setLabelText(f"{done:,} of {total:,}…")

    def _finish(self) -> None:
        self._set_busy(False)
        dialog, self.progress_dialog = self.progress_dialog, None
        if dialog is not None:
            dialog.canceled.disconnect(self._cancel)
            dialog.close()
            dialog.deleteLater()

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.busy_changed.emit(busy)

    def _tell(self, text: str, *, error: bool = False, folder: Path | None = None) -> None:
        """Say how the export went in the section's bar (with "Show folder" when a file
        was written)."""
        self.last_message = text
        self.bar.show_text([text], error=error, folder=folder)


class LedgerExportDialog(QDialog):
    """Which movements a stock ledger export holds: every product or the selected one,
    and optionally from / up to a day (local calendar days, both included)."""

    def __init__(
        self, parent: QWidget | None, *, product: tuple[int, str] | None, today: date
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export stock ledger")
        self.product_id = product[0] if product is not None else None

        self.every = QRadioButton("&Every product")
        self.only = QRadioButton(f"&Only {product[1]}" if product else "Only the selected product")
        self.only.setEnabled(product is not None)
        self.only.setToolTip(
            "The product selected in the list" if product else "Select a product in the list first"
        )
        group = QButtonGroup(self)
        group.addButton(self.every)
        group.addButton(self.only)
        (self.only if product is not None else self.every).setChecked(True)

        self.from_check = QCheckBox("&From")
        self.from_check.setToolTip("Only movements on or after this day")
        self.from_date = QDateEdit(QDate(today.year, today.month, 1))
        self.to_check = QCheckBox("&Up to")
        self.to_check.setToolTip("Only movements on or before this day")
        self.to_date = QDateEdit(QDate(today.year, today.month, today.day))
        for check, edit in ((self.from_check, self.from_date), (self.to_check, self.to_date)):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setEnabled(False)
            check.toggled.connect(edit.setEnabled)
            check.toggled.connect(lambda _on: self.error.clear())
            edit.dateChanged.connect(lambda _day: self.error.clear())

        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setStyleSheet(error_style())
        self.error.setWordWrap(True)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Choose &file…")
        self.ok_button.setToolTip("Choose where to save the CSV file")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow("Products:", self.every)
        form.addRow("", self.only)
        for check, edit in ((self.from_check, self.from_date), (self.to_check, self.to_date)):
            row = QHBoxLayout()
            row.addWidget(check)
            row.addWidget(edit, 1)
            form.addRow("Days:" if check is self.from_check else "", row)
        layout = QVBoxLayout(self)
        note = QLabel("Every stock movement (receipts, shipments, adjustments), oldest first.")
        note.setWordWrap(True)
        layout.addWidget(note)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def ledger_filter(self) -> LedgerFilter:
        """The choices as an export filter."""
        since = self.from_date.date().toPython() if self.from_check.isChecked() else None
        until = self.to_date.date().toPython() if self.to_check.isChecked() else None
        return LedgerFilter(
            product_id=self.product_id if self.only.isChecked() else None,
            since=since,
            until=until,
        )

    def accept(self) -> None:
        view = self.ledger_filter()
        try:
            utc_bounds(view.since, view.until)
        except UserError as error:
            self.error.setText(str(error))
            return
        super().accept()
