"""File > Import products…: bring products and stock in from a shop's CSV file.

Choosing a file runs a dry run at once (``app.importing.preview``): the format found, the
file's rows in a table with what will happen to each, rows that would be refused in red
with the reason, and the counts. "Import N good rows" then writes every good row in one
transaction (``app.importing.run_import``); "Dry run" checks the file against the store
again (after fixing the file, or when others have been working). Both run on the thread
pool (``ui.worker``) behind a progress bar, so the desk never freezes; the rules, the
messages and the writing are the engine's.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.importing import ImportPreview, ImportRow, preview, run_import, summary
from app.validation import format_cents
from ui import theme
from ui.context import DeskContext
from ui.permissions import permit
from ui.worker import Job, Progress, run_in_background

COLUMNS = ("Line", "SKU", "Name", "Barcodes", "Price", "Stock", "What happens")
TIPS = (
    "The row's number in the file (the header is line 1), as a spreadsheet numbers it",
    "The product's SKU",
    "The name the product gets",
    "Barcodes linked to the product",
    "The price in the file (blank: left as it is)",
    "The units counted (blank: the stock is left as it is)",
    "What importing does with the row, or why it is refused",
)
WHAT = COLUMNS.index("What happens")
FILE_FILTER = "CSV files (*.csv *.txt *.tsv);;All files (*)"
#: "refused" for a refused row, else '': what "Show only refused rows" filters on.
REFUSED_ROLE = Qt.ItemDataRole.UserRole


class ImportRowsModel(QAbstractTableModel):
    """The file's rows with what happens to each; refused rows in red with the reason."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[ImportRow] = []
        self.preview: ImportPreview | None = None

    def show(self, done: ImportPreview | None) -> None:
        self.beginResetModel()
        self.preview = done
        self.rows = list(done.file.rows) if done is not None else []
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return TIPS[section]
        return None

    def problems(self, row: ImportRow) -> tuple[str, ...]:
        return self.preview.problems(row.line) if self.preview is not None else row.problems

    def data(
        self,
        index: QModelIndex | QPersistentModelIndex,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        column = index.column()
        problems = self.problems(row)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, column, problems)
        if role == Qt.ItemDataRole.ForegroundRole and problems:
            return theme.colors().error
        if role == Qt.ItemDataRole.ToolTipRole:
            if problems:
                return "\n".join(problems)
            return row.note or None
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (0, 4, 5):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == REFUSED_ROLE:
            return "refused" if problems else ""
        return None

    def _text(self, row: ImportRow, column: int, problems: tuple[str, ...]) -> str:
        if column == 0:
            return str(row.line)
        if column == 1:
            return row.sku
        if column == 2:
            return row.name
        if column == 3:
            return ", ".join(row.barcodes)
        if column == 4:
            return format_cents(row.price_cents) if row.price_cents is not None else ""
        if column == 5:
            return f"{row.on_hand:,}" if row.on_hand is not None else ""
        if problems:
            return "Refused: " + "; ".join(problems)
        action = self.preview.result.actions.get(row.line, "") if self.preview else ""
        text = action[:1].upper() + action[1:]
        return f"{text} ({row.note})" if row.note else text


class ImportProductsDialog(QDialog):
    """Choose a file, see what importing it does, then import its good rows.

    Signals:
        finished_work(str): a preview or import ended: '' when it worked, else the message.

    Attributes:
        current: the last dry run or import shown (``None`` before a file is read).
        busy: a preview or an import is running.
    """

    finished_work = Signal(str)

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.current: ImportPreview | None = None
        self.busy = False
        self.job: Job | None = None
        self.setWindowTitle("Import products")

        intro = QLabel(
            "Bring products and stock in from Shopify (product or inventory export), "
            "WooCommerce, Square, or a CSV with the columns sku, name, barcode, price, "
            "on_hand. Nothing is written until you press Import; a SKU the store has is "
            "updated and its stock set to the file's count."
        )
        intro.setWordWrap(True)
        intro.setStyleSheet(theme.muted_style())

        self.path = QLineEdit()
        self.path.setObjectName("path")
        self.path.setPlaceholderText("The CSV file exported from the shop's program")
        self.path.setToolTip("The file to import; Enter checks it")
        self.path.returnPressed.connect(self.check_again)
        self.choose_button = QPushButton("&Choose file…")
        self.choose_button.setToolTip("Pick the CSV file to import")
        self.choose_button.clicked.connect(self.choose_file)
        file_row = QHBoxLayout()
        file_label = QLabel("&File:")
        file_label.setBuddy(self.path)
        file_row.addWidget(file_label)
        file_row.addWidget(self.path, 1)
        file_row.addWidget(self.choose_button)

        self.summary = QLabel()
        self.summary.setObjectName("summary")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)

        self.model = ImportRowsModel(self)
        self.filter = QSortFilterProxyModel(self)
        self.filter.setSourceModel(self.model)
        self.filter.setFilterRole(REFUSED_ROLE)
        self.table = QTableView()
        self.table.setObjectName("rows")
        self.table.setModel(self.filter)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        chars = self.fontMetrics().averageCharWidth()
        for column, width in enumerate((6, 14, 28, 17, 10, 8)):
            self.table.setColumnWidth(column, chars * width)
        # A GTIN-13 whole: digits are wider than the average character.
        self.table.setColumnWidth(3, self.fontMetrics().horizontalAdvance("0" * 14) + chars * 2)

        # The selected row's whole story: a refusal can be longer than its cell.
        self.detail = QLabel()
        self.detail.setObjectName("detail")
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table.selectionModel().currentRowChanged.connect(self._show_detail)

        self.only_problems = QCheckBox("Show only &refused rows")
        self.only_problems.setToolTip("Hide the rows that import fine")
        self.only_problems.toggled.connect(
            lambda on: self.filter.setFilterFixedString("refused" if on else "")
        )

        self.progress = QProgressBar()
        self.progress.setObjectName("progress")
        self.progress.setTextVisible(False)
        self.progress.setRange(0, 0)
        self.progress.hide()
        self.outcome = QLabel()
        self.outcome.setObjectName("outcome")
        self.outcome.setWordWrap(True)
        self.outcome.setTextFormat(Qt.TextFormat.RichText)
        self.outcome.hide()

        self.buttons = QDialogButtonBox()
        self.dry_run_button = self.buttons.addButton(
            "&Dry run", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.dry_run_button.setToolTip(
            "Read the file again and check every row against the store; nothing is written"
        )
        self.dry_run_button.clicked.connect(self.check_again)
        self.import_button = self.buttons.addButton(
            "&Import", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.import_button.setToolTip("Write the good rows, all in one go; refused rows are left")
        self.import_button.clicked.connect(self.start_import)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.close_button.setToolTip("Close (Esc)")
        self.close_button.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(file_row)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.detail)
        layout.addWidget(self.only_problems)
        layout.addWidget(self.progress)
        layout.addWidget(self.outcome)
        layout.addWidget(self.buttons)
        self.resize(chars * 150, self.fontMetrics().lineSpacing() * 36)
        self._update_buttons()
        ctx.staff_changed.connect(self._update_buttons)

    # ---------------------------------------------------------------- actions

    def choose_file(self) -> None:
        """Ask for a file, then check it."""
        start = str(Path(self.path.text()).parent) if self.path.text().strip() else ""
        chosen, _filter = QFileDialog.getOpenFileName(
            self, "Import products from", start, FILE_FILTER
        )
        if chosen:
            self.load(chosen)

    def load(self, path: str) -> None:
        """Check ``path``: a dry run, shown row by row."""
        self.path.setText(path)
        self.check_again()

    def check_again(self) -> None:
        """Dry run of the file named in the path box."""
        self._start(dry_run=True)

    def start_import(self) -> None:
        """Import the good rows of the file named in the path box."""
        if self.current is None or not self.current.result.good:
            return
        self._start(dry_run=False)

    def _start(self, *, dry_run: bool) -> None:
        path = self.path.text().strip()
        if self.busy or not path:
            return
        controller = self.ctx.controller

        def work(progress: Progress) -> ImportPreview:
            if dry_run:
                return preview(path, controller, progress=progress)
            return run_import(path, controller, progress=progress)

        self.busy = True
        self.progress.setRange(0, 0)
        self.progress.show()
        self.outcome.hide()
        self._update_buttons()
        self.job = run_in_background(
            work, on_done=self._done, on_error=self._failed, on_progress=self._step
        )

    def _step(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _done(self, done: object) -> None:
        assert isinstance(done, ImportPreview)
        self.busy = False
        self.job = None
        self.progress.hide()
        self.current = done
        self.model.show(done)
        self.detail.clear()
        self.summary.setText(_summary_html(done))
        if not done.result.dry_run:
            self.outcome.setText(_outcome_html(done))
            self.outcome.show()
            self.ctx.notify_changed()
        self._update_buttons()
        self.finished_work.emit("")

    def _failed(self, message: str) -> None:
        self.busy = False
        self.job = None
        self.progress.hide()
        self.current = None
        self.model.show(None)
        self.summary.setText(f"<span style='{theme.error_style()}'>{escape(message)}</span>")
        self._update_buttons()
        self.finished_work.emit(message)

    def _show_detail(self, current: QModelIndex, _previous: QModelIndex) -> None:
        """Under the table: the selected row's problems in full, or its note."""
        if not current.isValid():
            self.detail.clear()
            return
        row = self.model.rows[self.filter.mapToSource(current).row()]
        problems = self.model.problems(row)
        if problems:
            self.detail.setStyleSheet(theme.error_style())
            self.detail.setText(f"Line {row.line}: " + " ".join(f"{p}." for p in problems))
        else:
            self.detail.setStyleSheet("")
            self.detail.setText(f"Line {row.line}: {row.note}." if row.note else "")

    def _update_buttons(self) -> None:
        good = self.current.result.good if self.current is not None else 0
        imported = self.current is not None and not self.current.result.dry_run
        self.import_button.setText(f"&Import {good:,} good row{'' if good == 1 else 's'}")
        self.import_button.setDefault(good > 0 and not imported)
        # Importing sets stock counts, so it needs whoever may adjust stock (the
        # controller checks adding products too); so does its dry run.
        permit(
            self.import_button,
            self.ctx,
            "adjust_stock",
            enabled=not self.busy and good > 0 and not imported,
        )
        permit(
            self.dry_run_button,
            self.ctx,
            "adjust_stock",
            enabled=not self.busy and bool(self.path.text().strip()),
        )
        self.choose_button.setEnabled(not self.busy)
        self.path.setEnabled(not self.busy)
        self.close_button.setEnabled(not self.busy)

    # ------------------------------------------------------------ closing

    def reject(self) -> None:
        if not self.busy:  # the work's result comes back to this window
            super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.busy:
            event.ignore()
            return
        super().closeEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Enter in the path box checks the file; it must not also press Import.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.path.hasFocus():
            return
        super().keyPressEvent(event)


def _summary_html(done: ImportPreview) -> str:
    """Format, counts and the file's notes, for the line above the table."""
    result = done.result
    parts = [f"<b>{escape(summary.headline(done))}</b>"]
    counts = (
        f"<span style='{theme.ok_style()}'>{result.good:,} good</span> "
        f"({len(result.created):,} new, {len(result.updated):,} "
        f"{'to update' if result.dry_run else 'updated'}, "
        f"{result.unchanged:,} unchanged)"
    )
    if result.refused:
        counts += (
            f", <span style='{theme.error_style()}'><b>{len(result.refused):,} refused</b></span>"
        )
    if done.file.skipped:
        counts += f", {len(done.file.skipped):,} passed over (not products to stock)"
    parts.append(counts + ".")
    parts.extend(escape(note) for note in done.file.notes)
    return "<br>".join(parts)


def _outcome_html(done: ImportPreview) -> str:
    """After the import: what was written and which waiting lines it served."""
    result = done.result
    parts = [f"<b style='{theme.ok_style()}'>{escape(summary.outcome(done))}</b>"]
    filled = result.allocation.fulfilled
    if filled:
        lines = "1 waiting line is" if len(filled) == 1 else f"{len(filled):,} waiting lines are"
        parts.append(f"{lines} now ready to pick (see Backorders and Messages).")
    if result.allocation.partial:
        parts.append(f"{len(result.allocation.partial):,} waiting lines got part of their units.")
    if result.refused:
        parts.append(
            "Fix the refused rows in the file and import it again: rows already in "
            "are left as they are."
        )
    return "<br>".join(parts)
