"""The receiving station's result screen: what a committed receipt just did.

Shown after "Receive": the backorder lines now ready to pick (order, customer, product,
units, how long the customer waited), the orders now complete, and for each product
received how many units went to customers and how many are left for the shelf. From here
the pick list and packing slips are previewed and printed or saved as PDF (``ui.documents``)
and the next receipt is started.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.controller import FilledLine, ReceiptResult
from app.errors import UserError
from ui import theme
from ui.documents import save_pdf, show_print_preview


@dataclass(frozen=True)
class ReceivedProduct:
    """A product on the receipt as the tally had it: units taken into stock."""

    sku: str
    name: str
    qty: int


def waited_text(placed_at: datetime, now: datetime) -> str:
    """How long a customer waited, in words: "today", "1 day", "12 days"."""
    days = max((now - placed_at).days, 0)
    if days == 0:
        return "today"
    return "1 day" if days == 1 else f"{days:,} days"


def _item(text: str, *, number: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    if number:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


def _table(headers: tuple[str, ...], name: str) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(list(headers))
    table.verticalHeader().hide()
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setTabKeyNavigation(False)
    table.setAlternatingRowColors(True)
    return table


def _fit(table: QTableWidget, stretch: int) -> None:
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)


class ReceiptResultView(QWidget):
    """The result page of the receiving station.

    Signals:
        next_receipt: "Start next receipt" was chosen.

    Attributes:
        result: the receipt shown, or ``None``.
    """

    next_receipt = Signal()

    PICK_HEADERS = ("Order", "Customer", "Product", "Got now", "To pick", "Waited", "Status")
    SHELF_HEADERS = ("SKU", "Product", "Received", "To customers", "For the shelf")
    COMPLETE_HEADERS = ("Order", "Customer")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.result: ReceiptResult | None = None

        self.headline = QLabel()
        self.headline.setObjectName("headline")
        font = self.headline.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.headline.setFont(font)
        self.headline.setWordWrap(True)
        self.summary = QLabel()
        self.summary.setObjectName("summary")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)

        self.pick_table = _table(self.PICK_HEADERS, "ready")
        for column, tip in (
            (3, "Units this delivery gave the line"),
            (4, "Everything now reserved for the line: what to take off the shelf"),
            (5, "Since the order was placed"),
        ):
            header_item = self.pick_table.horizontalHeaderItem(column)
            if header_item is not None:
                header_item.setToolTip(tip)
        self.complete_table = _table(self.COMPLETE_HEADERS, "complete")
        self.shelf_table = _table(self.SHELF_HEADERS, "shelf")
        self.pick_title = QLabel()
        self.complete_title = QLabel()
        self.shelf_title = QLabel("<b>What happened to each product</b>")
        for title, table in (
            (self.pick_title, self.pick_table),
            (self.complete_title, self.complete_table),
            (self.shelf_title, self.shelf_table),
        ):
            title.setBuddy(table)

        self.preview_action = QAction("Pick list && packing slips…", self)
        self.preview_action.setShortcut(QKeySequence("Ctrl+P"))
        self.preview_action.setToolTip(
            "Preview and print the pick list and one packing slip per order (Ctrl+P)"
        )
        self.preview_action.triggered.connect(self.preview)
        self.pdf_action = QAction("Save as PDF…", self)
        self.pdf_action.setShortcut(QKeySequence("Ctrl+S"))
        self.pdf_action.setToolTip("Save the pick list and packing slips as a PDF file (Ctrl+S)")
        self.pdf_action.triggered.connect(self.ask_pdf_path)
        self.next_action = QAction("Start next receipt", self)
        self.next_action.setShortcut(QKeySequence("Ctrl+N"))
        self.next_action.setToolTip("Back to scanning, with a new empty receipt (Enter or Ctrl+N)")
        self.next_action.triggered.connect(self.next_receipt.emit)
        for action in (self.preview_action, self.pdf_action, self.next_action):
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.addAction(action)

        self.preview_button = self._button(self.preview_action, "Pick list && packing slips…")
        self.pdf_button = self._button(self.pdf_action, "Save as PDF…")
        self.next_button = self._button(self.next_action, "Start next receipt", keys="Enter")
        self.next_button.setAutoDefault(True)  # Enter on it starts the next receipt

        buttons = QHBoxLayout()
        buttons.addWidget(self.preview_button)
        buttons.addWidget(self.pdf_button)
        buttons.addStretch(1)
        buttons.addWidget(self.next_button)

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.pick_title)
        top_layout.addWidget(self.pick_table)
        bottom = QWidget()
        bottom_layout = QHBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        left = QVBoxLayout()
        left.addWidget(self.shelf_title)
        left.addWidget(self.shelf_table)
        right = QVBoxLayout()
        right.addWidget(self.complete_title)
        right.addWidget(self.complete_table)
        bottom_layout.addLayout(left, 3)
        bottom_layout.addLayout(right, 2)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(top)
        splitter.addWidget(bottom)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)

        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addWidget(self.summary)
        layout.addWidget(splitter, 1)
        self.note = QLabel()
        self.note.setObjectName("note")
        self.note.setWordWrap(True)
        layout.addWidget(self.note)
        layout.addLayout(buttons)
        self.setTabOrder(self.next_button, self.preview_button)
        self.setTabOrder(self.preview_button, self.pdf_button)
        self.setTabOrder(self.pdf_button, self.pick_table)
        self.setTabOrder(self.pick_table, self.shelf_table)
        self.setTabOrder(self.shelf_table, self.complete_table)

    def _button(self, action: QAction, text: str, *, keys: str = "") -> QPushButton:
        keys = keys or action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        button = QPushButton(f"{text}   {keys}")
        button.setToolTip(action.toolTip())
        button.clicked.connect(action.trigger)
        action.enabledChanged.connect(button.setEnabled)
        return button

    # ------------------------------------------------------------------- showing

    def show_result(
        self,
        result: ReceiptResult,
        received: Mapping[int, ReceivedProduct],
        *,
        now: datetime,
        purchase_order_id: int | None = None,
    ) -> None:
        """Show a committed receipt; ``received`` is the tally (product id -> units)."""
        self.result = result
        self.note.clear()
        units = sum(item.qty for item in received.values())
        products = len(received)
        self.headline.setText(
            f"Received {units:,} {'unit' if units == 1 else 'units'} of {products:,} "
            f"{'product' if products == 1 else 'products'}"
        )
        lines = [*result.fulfilled, *result.partial]
        customers = len({line.customer_id for line in lines})
        parts = [f"Receipt {result.receipt_id} is in stock."]
        if purchase_order_id is not None:
            parts.append(
                f"Purchase order {purchase_order_id} is now closed: everything on it has arrived."
                if result.purchase_order_closed
                else f"Purchase order {purchase_order_id} stays open for what is still to come."
            )
        ok = theme.colors().ok.name()
        if lines:
            ready = len(result.fulfilled)
            news = (
                f"<span style='color:{ok}'><b>{ready:,} backorder "
                f"{'line is' if ready == 1 else 'lines are'} ready to pick</b></span>"
            )
            if result.partial:
                news += f", {len(result.partial):,} more got part of what they wait for"
            news += (
                f", for {customers:,} {'customer' if customers == 1 else 'customers'}; "
                "they are told by message."
            )
            parts.append(news)
        else:
            parts.append("No customer was waiting for these products: all of it is for the shelf.")
        self.summary.setText(" ".join(html.escape(p) if "<" not in p else p for p in parts))

        self._fill_pick(lines, now)
        self._fill_complete(result, lines)
        self._fill_shelf(result, received)
        has_lines = bool(lines)
        for action in (self.preview_action, self.pdf_action):
            action.setEnabled(has_lines)
        tip = "" if has_lines else " — nothing to pick: no order lines were filled"
        self.preview_button.setToolTip(self.preview_action.toolTip() + tip)
        self.pdf_button.setToolTip(self.pdf_action.toolTip() + tip)
        self.next_button.setFocus()

    def _fill_pick(self, lines: list[FilledLine], now: datetime) -> None:
        table = self.pick_table
        ready = len([line for line in lines if not line.still_waiting])
        self.pick_title.setText(f"<b>Ready to pick now</b> ({ready:,} of {len(lines):,} lines)")
        table.setRowCount(len(lines))
        for row, line in enumerate(lines):
            waited = waited_text(line.placed_at, now)
            status = "ready" if not line.still_waiting else f"{line.still_waiting:,} still waiting"
            cells = [
                _item(f"{line.order_id}", number=True),
                _item(line.customer),
                _item(f"{line.name} ({line.sku})"),
                _item(f"{line.qty:,}", number=True),
                _item(f"{line.ready_qty:,}", number=True),
                _item(waited, number=True),
                _item(status),
            ]
            age = theme.age_color(max((now - line.placed_at).days, 0))
            if age is not None:
                cells[5].setBackground(age)
            cells[5].setToolTip(f"Ordered {line.placed_at:%d %b %Y}")
            cells[6].setForeground(
                theme.colors().ok if not line.still_waiting else theme.colors().below_reorder
            )
            for column, cell in enumerate(cells):
                table.setItem(row, column, cell)
        _fit(table, 2)

    def _fill_complete(self, result: ReceiptResult, lines: list[FilledLine]) -> None:
        customers = {line.order_id: line.customer for line in lines}
        table = self.complete_table
        orders = list(result.completed_orders)
        self.complete_title.setText(
            f"<b>Orders now complete</b> ({len(orders):,}): nothing left waiting"
        )
        table.setRowCount(len(orders))
        for row, order_id in enumerate(orders):
            table.setItem(row, 0, _item(f"{order_id}", number=True))
            table.setItem(row, 1, _item(customers.get(order_id, "")))
        _fit(table, 1)

    def _fill_shelf(self, result: ReceiptResult, received: Mapping[int, ReceivedProduct]) -> None:
        table = self.shelf_table
        table.setRowCount(len(received))
        shelf_total = 0
        for row, item in enumerate(received.values()):
            # left_in_stock is everything free now; the shelf gets at most what came in.
            free = max(result.left_in_stock.get(item.sku, 0), 0)
            shelf = min(item.qty, free)
            shelf_total += shelf
            cells = [
                _item(item.sku),
                _item(item.name),
                _item(f"{item.qty:,}", number=True),
                _item(f"{item.qty - shelf:,}", number=True),
                _item(f"{shelf:,}", number=True),
            ]
            for column, cell in enumerate(cells):
                table.setItem(row, column, cell)
        self.shelf_title.setText(
            f"<b>What happened to each product</b> ({shelf_total:,} "
            f"{'unit' if shelf_total == 1 else 'units'} for the shelf)"
        )
        _fit(table, 1)

    # ------------------------------------------------------------------ documents

    def _say(self, text: str, error: bool) -> None:
        self.note.setStyleSheet(theme.error_style() if error else theme.ok_style())
        self.note.setText(text)

    def preview(self) -> None:
        """Ctrl+P: preview (and print) the pick list and packing slips."""
        if self.result is None:
            return
        try:
            show_print_preview(self, self.result.receipt_id)
        except UserError as error:
            self._say(str(error), True)
        self.next_button.setFocus()

    def ask_pdf_path(self) -> None:
        """Ctrl+S: choose a file and save the pick list and packing slips as PDF."""
        if self.result is None:
            return
        path, _filter = QFileDialog.getSaveFileName(
            self,
            "Save pick list and packing slips",
            f"receipt-{self.result.receipt_id}-picking.pdf",
            "PDF files (*.pdf)",
        )
        if path:
            self.save_pdf(path)

    def save_pdf(self, path: str) -> None:
        """Save the pick list and packing slips of the receipt shown to ``path``."""
        if self.result is None:
            return
        try:
            pages = save_pdf(path, self.result.receipt_id)
        except UserError as error:
            self._say(str(error), True)
            return
        self._say(
            f"Saved the pick list and packing slips to {path} "
            f"({pages} {'page' if pages == 1 else 'pages'}).",
            False,
        )
