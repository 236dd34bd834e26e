"""The New order dialog: the heart of the counter.

The clerk picks the customer (type-ahead on name, e-mail or phone, or a new customer made
inline), scans or searches products into lines, sees each line's stock live (on hand,
available, waiting, and the ETA of any shortfall, from ``Controller.preview_order``), and
places the order with ``Controller.place_order``. When lines are short the controller
refuses with the shortages; the wait-or-cancel prompt asks the customer and the answers go
back to the controller together with what the customer was shown (``seen``), so a change of
stock in the meantime is offered again instead of being oversold.

The main window wires it once with ``install_new_order(ctx, window)``; from then on
``ctx.new_order.emit(customer_id)`` (0: no customer chosen yet) opens a New order window.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import (
    QBrush,
    QKeyEvent,
    QKeySequence,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCompleter,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app import queries
from app.barcodes import parse_scan
from app.controller import Decision, OrderItem, PlacedOrder, Shortage
from app.customer_queries import customer_detail, suggest_customers, suggest_products
from app.errors import ShortageDecisionNeeded, UserError
from app.validation import MAX_QTY, shown
from ui import theme
from ui.context import DeskContext
from ui.dialogs.customer_editor import CustomerEditor, FieldMessage
from ui.dialogs.wait_or_cancel import PromptOutcome, WaitOrCancelDialog, eta_text
from ui.permissions import explain_in, permit
from ui.scan_field import ScanField

DEBOUNCE_MS = 150
ID_ROLE = Qt.ItemDataRole.UserRole + 1
COLUMNS = ("Product", "Qty", "On hand", "Available", "Waiting", "Next ETA")
QTY, ON_HAND, AVAILABLE, WAITING, NEXT_ETA = 1, 2, 3, 4, 5


class SqlSuggestions(QObject):
    """Type-ahead for a line edit: a QCompleter over a LIMITed SQL query, debounced.

    ``search(text)`` returns ``(id, label)`` pairs. Choosing a suggestion (mouse, or arrow
    keys and Enter) emits ``chosen(id)``; Enter without a highlighted suggestion takes the
    best match, so "type, Enter" is enough when the text is unambiguous.

    Signals:
        chosen(int): the id of the chosen row.
        nothing_found(str): Enter was pressed but the text matches nothing.
    """

    chosen = Signal(int)
    nothing_found = Signal(str)

    def __init__(
        self,
        field: QLineEdit,
        search: Callable[[str], Sequence[tuple[int, str]]],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.field = field
        self.search = search
        self.model = QStandardItemModel(self)
        self.completer = QCompleter(self.model, self)
        # The query already filtered and ranked the rows; the completer must not refilter.
        self.completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self.completer.setMaxVisibleItems(12)
        field.setCompleter(self.completer)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.refresh)
        self._just_chosen = False
        field.textEdited.connect(lambda _text: self._timer.start())
        self.completer.activated[QModelIndex].connect(self._activated)  # type: ignore[index]
        field.returnPressed.connect(self._enter)

    def refresh(self) -> None:
        """Run the query for the current text and show the suggestions."""
        self._timer.stop()
        hits = self.search(self.field.text()) if self.field.text().strip() else []
        self.model.clear()
        for row_id, label in hits:
            item = QStandardItem(label)
            item.setData(row_id, ID_ROLE)
            item.setEditable(False)
            self.model.appendRow(item)
        if hits and self.field.hasFocus():
            self.completer.complete()
        else:
            self._hide_popup()

    def _hide_popup(self) -> None:
        popup = self.completer.popup()
        if popup is not None:
            popup.hide()

    def _activated(self, index: QModelIndex) -> None:
        row_id = index.data(ID_ROLE)
        if row_id is not None:
            self._just_chosen = True
            self.chosen.emit(int(row_id))

    def _enter(self) -> None:
        if self._just_chosen:  # Enter on a highlighted suggestion: already handled
            self._just_chosen = False
            return
        self._timer.stop()
        text = self.field.text().strip()
        if not text:
            return
        hits = self.search(text)
        self._hide_popup()
        if hits:
            self.chosen.emit(hits[0][0])
        else:
            self.nothing_found.emit(text)


@dataclass
class _Line:
    product_id: int
    sku: str
    name: str
    spin: QSpinBox


def _numeric(text: str) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    return item


class NewOrderDialog(QDialog):
    """Take one order at the counter.

    Attributes:
        customer_id: the chosen customer, or ``None``.
        prompt: the wait-or-cancel prompt while it is open (tests drive it).
        placed: the order once placed.
        cancelled_by_customer: "Cancel whole order" was chosen in the prompt.
    """

    def __init__(
        self, ctx: DeskContext, customer_id: int = 0, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.customer_id: int | None = None
        self.customer_name = ""
        self.lines: list[_Line] = []
        self.prompt: WaitOrCancelDialog | None = None
        self.customer_editor: CustomerEditor | None = None
        self.placed: PlacedOrder | None = None
        self.cancelled_by_customer = False
        self._discard_armed = False
        self._decisions: dict[int, Decision] | None = None
        self._seen: list[Shortage] | None = None
        self.setWindowTitle("New order")
        self.setSizeGripEnabled(True)

        self.pages = QStackedWidget()
        self.pages.addWidget(self._build_form())
        self.pages.addWidget(self._build_summary())
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)

        ctx.changed.connect(self._store_changed)
        ctx.staff_changed.connect(self._apply_permissions)
        self._apply_permissions()
        if customer_id:
            self.set_customer(customer_id)
        self.resize(1040, 680)
        (self.scan if self.customer_id else self.customer_field).setFocus()

    # ------------------------------------------------------------------ building

    def _build_form(self) -> QWidget:
        page = QWidget()

        self.customer_message = FieldMessage()
        self.customer_field = QLineEdit()
        self.customer_field.setPlaceholderText("Type a name, e-mail or phone, then Enter")
        self.customer_field.setToolTip("Find the customer by name, e-mail or phone (Alt+U)")
        self.customer_suggestions = SqlSuggestions(
            self.customer_field,
            lambda text: [(c.customer_id, c.label()) for c in suggest_customers(text)],
            self,
        )
        self.customer_suggestions.chosen.connect(self.set_customer)
        self.customer_suggestions.nothing_found.connect(
            lambda text: self.customer_message.show_message(
                f"No customer matches {shown(text)}. Check the spelling, or add a new customer."
            )
        )
        self.customer_field.textEdited.connect(self._customer_text_edited)
        self.new_customer_button = QPushButton("New customer…")
        self.new_customer_button.setToolTip("Add a new customer and use them here (Ctrl+Shift+U)")
        self.new_customer_button.setShortcut("Ctrl+Shift+U")
        self.new_customer_button.clicked.connect(self.add_customer)
        self.chosen_label = QLabel("No customer chosen yet.")
        self.chosen_label.setWordWrap(True)
        self.chosen_label.setTextFormat(Qt.TextFormat.RichText)
        customer_row = QHBoxLayout()
        customer_row.addWidget(self.customer_field, 1)
        customer_row.addWidget(self.new_customer_button)
        customer_box = QGroupBox("Customer")
        customer_layout = QVBoxLayout(customer_box)
        customer_label = QLabel("C&ustomer")
        customer_label.setBuddy(self.customer_field)
        customer_head = QHBoxLayout()
        customer_head.addWidget(customer_label)
        customer_head.addLayout(customer_row, 1)
        customer_layout.addLayout(customer_head)
        customer_layout.addWidget(self.chosen_label)
        customer_layout.addWidget(self.customer_message)

        self.scan = ScanField()
        self.scan.setPlaceholderText("Scan a barcode (or type it) and press Enter")
        self.scan.setToolTip(
            "Each scan adds one unit; scan again for one more. 3*CODE adds 3 (Alt+S)"
        )
        self.scan.scanned.connect(self.scan_code)
        self.scan_message = FieldMessage()
        self.product_field = QLineEdit()
        self.product_field.setPlaceholderText("Find by SKU or name, then Enter")
        self.product_field.setToolTip("Search products by SKU, name or barcode (Alt+F)")
        self.product_suggestions = SqlSuggestions(
            self.product_field,
            lambda text: [(p.product_id, p.label()) for p in suggest_products(text)],
            self,
        )
        self.product_suggestions.chosen.connect(self._product_chosen)
        self.product_suggestions.nothing_found.connect(
            lambda text: self.scan_message.show_message(
                f"No product matches {shown(text)}: check the SKU or name."
            )
        )
        entry = QFormLayout()
        scan_box = QWidget()
        scan_layout = QVBoxLayout(scan_box)
        scan_layout.setContentsMargins(0, 0, 0, 0)
        scan_layout.setSpacing(2)
        scan_layout.addWidget(self.scan)
        scan_layout.addWidget(self.scan_message)
        entry.addRow("&Scan", scan_box)
        entry.addRow("&Find product", self.product_field)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().setVisible(False)
        self.table.setToolTip("Del removes the selected line; + and - change its quantity")
        self.table.verticalHeader().setDefaultSectionSize(int(self.fontMetrics().height() * 2))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(QTY, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(QTY, self.fontMetrics().horizontalAdvance("0000000") + 40)
        for column, tip in (
            (ON_HAND, "Units in the shop"),
            (AVAILABLE, "On hand and not yet promised to other orders"),
            (WAITING, "Units other customers are already waiting for"),
            (NEXT_ETA, "When the part this order cannot get now is expected"),
        ):
            item = self.table.horizontalHeaderItem(column)
            if item is not None:
                item.setToolTip(tip)
        self.table.installEventFilter(self)
        self.lines_message = FieldMessage()
        self.remove_button = QPushButton("Remove line")
        self.remove_button.setToolTip("Remove the selected line (Del)")
        self.remove_button.clicked.connect(self.remove_current_line)
        self.totals = QLabel()

        lines_box = QGroupBox("Lines")
        lines_layout = QVBoxLayout(lines_box)
        lines_layout.addLayout(entry)
        lines_layout.addWidget(self.table, 1)
        lines_layout.addWidget(self.lines_message)
        under_table = QHBoxLayout()
        under_table.addWidget(self.remove_button)
        under_table.addWidget(self.totals, 1)
        lines_layout.addLayout(under_table)

        self.general_message = FieldMessage()
        self.place_button = QPushButton("Place order")
        self.place_button.setToolTip("Place the order (Ctrl+Enter)")
        self.place_button.setShortcut("Ctrl+Return")
        self.place_button.clicked.connect(self.place)
        self.close_button = QPushButton("Close")
        self.close_button.setToolTip("Close without placing the order (Esc)")
        self.close_button.clicked.connect(self.reject)
        for button in (
            self.new_customer_button,
            self.remove_button,
            self.place_button,
            self.close_button,
        ):
            # Enter ends scans and searches; it must never place the order by accident.
            button.setAutoDefault(False)
        bold = self.place_button.font()
        bold.setBold(True)
        self.place_button.setFont(bold)
        buttons = QHBoxLayout()
        buttons.addWidget(self.general_message, 1)
        buttons.addStretch(0)
        buttons.addWidget(self.place_button)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(customer_box)
        layout.addWidget(lines_box, 1)
        layout.addLayout(buttons)

        for first, second in (
            (self.customer_field, self.new_customer_button),
            (self.new_customer_button, self.scan),
            (self.scan, self.product_field),
            (self.product_field, self.table),
            (self.table, self.remove_button),
            (self.remove_button, self.place_button),
            (self.place_button, self.close_button),
        ):
            QWidget.setTabOrder(first, second)
        self._update_totals()
        return page

    def _build_summary(self) -> QWidget:
        page = QWidget()
        self.summary_title = QLabel()
        self.summary_title.setTextFormat(Qt.TextFormat.PlainText)
        font = self.summary_title.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self.summary_title.setFont(font)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        body = self.summary.font()
        body.setPointSizeF(body.pointSizeF() * 1.1)
        self.summary.setFont(body)
        self.open_order_button = QPushButton("Open order")
        self.open_order_button.setToolTip("Show the order's detail (Alt+O)")
        self.open_order_button.setShortcut("Alt+O")
        self.open_order_button.clicked.connect(self._open_placed_order)
        self.another_button = QPushButton("Another order")
        self.another_button.setToolTip("Start a new order (Ctrl+N)")
        self.another_button.setShortcut(QKeySequence.StandardKey.New)
        self.another_button.clicked.connect(self.start_over)
        self.done_button = QPushButton("Done")
        self.done_button.setToolTip("Close (Enter or Esc)")
        self.done_button.clicked.connect(self.accept)
        self.open_order_button.setAutoDefault(False)
        self.another_button.setAutoDefault(False)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.open_order_button)
        buttons.addWidget(self.another_button)
        buttons.addWidget(self.done_button)
        layout = QVBoxLayout(page)
        layout.addWidget(self.summary_title)
        layout.addWidget(self.summary, 1)
        layout.addLayout(buttons)
        return page

    def _apply_permissions(self) -> None:
        allowed = permit(self.place_button, self.ctx, "place_order")
        permit(self.another_button, self.ctx, "place_order")
        permit(self.new_customer_button, self.ctx, "add_customer")
        explain_in(self.general_message, allowed, "place_order")

    # ------------------------------------------------------------------ customer

    def set_customer(self, customer_id: int) -> None:
        """Use this customer for the order."""
        detail = customer_detail(customer_id)
        if detail is None:
            self.customer_message.show_message(f"There is no customer with id {customer_id}.")
            return
        self.customer_id = detail.customer_id
        self.customer_name = detail.name
        self.customer_message.clear_message()
        QTimer.singleShot(0, lambda: self.customer_field.setText(detail.name))
        self.customer_field.setText(detail.name)
        contact = " · ".join(part for part in (detail.email, detail.phone) if part)
        self.chosen_label.setText(
            f"<b>{html.escape(detail.name)}</b>"
            + (f" &nbsp;·&nbsp; {html.escape(contact)}" if contact else " (no contact details)")
        )
        if self.customer_field.hasFocus():
            self.scan.setFocus()

    def _customer_text_edited(self, _text: str) -> None:
        if self.customer_id is not None:
            self.customer_id = None
            self.customer_name = ""
            self.chosen_label.setText("No customer chosen yet.")

    def add_customer(self) -> None:
        """Open the customer form (prefilled with what was typed); use the new customer."""
        typed = "" if self.customer_id else self.customer_field.text().strip()
        if "@" in typed or any(ch.isdigit() for ch in typed):
            typed = ""  # an e-mail or phone was typed, not a name
        editor = CustomerEditor(self.ctx, self, name=typed)
        self.customer_editor = editor

        def saved() -> None:
            if editor.customer_id:
                self.set_customer(editor.customer_id)
            self.customer_editor = None

        editor.accepted.connect(saved)
        editor.rejected.connect(lambda: setattr(self, "customer_editor", None))
        editor.open()

    # --------------------------------------------------------------------- lines

    def scan_code(self, text: str) -> None:
        """One scan: find the product and add its units (a bad code adds nothing)."""
        try:
            product = self.ctx.controller.find_product(text)
            count = 1 if product.sku == text.strip() else parse_scan(text).count
        except UserError as error:
            self.scan_message.show_message(str(error))
            return
        line = self.add_product(int(product.id), count)
        if line is not None:
            self.scan_message.show_note(f"Added {count} × {line.name} (now {line.spin.value()}).")

    def _product_chosen(self, product_id: int) -> None:
        line = self.add_product(product_id, 1)
        self.product_field.clear()
        # A chosen suggestion writes its text into the field after this slot: clear again.
        QTimer.singleShot(0, self.product_field.clear)
        if line is not None:
            self.scan_message.show_note(f"Added 1 × {line.name} (now {line.spin.value()}).")

    def add_product(self, product_id: int, count: int = 1) -> _Line | None:
        """Add ``count`` units: one more on the product's line, or a new line."""
        for row, line in enumerate(self.lines):
            if line.product_id == product_id:
                line.spin.setValue(min(line.spin.value() + count, MAX_QTY))
                self.table.selectRow(row)
                return line
        try:
            figures = queries.stock_figures(product_id)
        except UserError as error:
            self.scan_message.show_message(str(error))
            return None
        row = len(self.lines)
        spin = QSpinBox()
        spin.setRange(1, MAX_QTY)
        spin.setValue(min(count, MAX_QTY))
        spin.setAccelerated(True)
        spin.setToolTip("Quantity: type a number or use the arrows")
        spin.setFrame(False)
        line = _Line(product_id, figures.sku, figures.name, spin)
        self.lines.append(line)
        self.table.insertRow(row)
        name = QTableWidgetItem(f"{figures.name}  ({figures.sku})")
        name.setFlags(name.flags() & ~Qt.ItemFlag.ItemIsEditable)
        self.table.setItem(row, 0, name)
        self.table.setCellWidget(row, QTY, spin)
        for column in (ON_HAND, AVAILABLE, WAITING, NEXT_ETA):
            self.table.setItem(row, column, _numeric(""))
        eta_item = self.table.item(row, NEXT_ETA)
        if eta_item is not None:
            eta_item.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        spin.valueChanged.connect(lambda _value: self.refresh_figures())
        self.table.selectRow(row)
        self.lines_message.clear_message()
        self.refresh_figures()
        return line

    def remove_current_line(self) -> None:
        row = self.table.currentRow()
        if not 0 <= row < len(self.lines):
            return
        self.table.removeRow(row)
        del self.lines[row]
        if self.lines:
            self.table.selectRow(min(row, len(self.lines) - 1))
        self.refresh_figures()

    def items(self) -> list[OrderItem]:
        return [OrderItem(line.product_id, line.spin.value()) for line in self.lines]

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.table
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
        ):
            row = self.table.currentRow()
            key = event.key()
            if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
                self.remove_current_line()
                return True
            if key in (Qt.Key.Key_Plus, Qt.Key.Key_Minus) and 0 <= row < len(self.lines):
                spin = self.lines[row].spin
                spin.setValue(spin.value() + (1 if key == Qt.Key.Key_Plus else -1))
                return True
        return super().eventFilter(watched, event)

    def refresh_figures(self) -> None:
        """Re-read each line's stock and the ETA of its shortfall."""
        self._discard_armed = False
        self._update_totals()
        if not self.lines:
            return
        try:
            figures = {
                f.product_id: f
                for f in queries.product_figures(product_ids=[x.product_id for x in self.lines])
            }
            short = {s.product_id: s for s in self.ctx.controller.preview_order(self.items())}
        except UserError as error:
            self.lines_message.show_message(str(error))
            return
        # Short lines get the "customers wait for this" tint used across the desk.
        shade = QBrush(theme.colors().waiting)
        for row, line in enumerate(self.lines):
            stock = figures.get(line.product_id)
            if stock is None:
                continue
            shortage = short.get(line.product_id)
            values = {
                ON_HAND: str(stock.on_hand),
                AVAILABLE: str(max(stock.available, 0)),
                WAITING: str(stock.waiting),
                NEXT_ETA: (
                    f"{shortage.short_by} short · {eta_text(shortage)}" if shortage else "in stock"
                ),
            }
            for column, text in values.items():
                item = self.table.item(row, column)
                if item is None:
                    continue
                item.setText(text)
                item.setBackground(shade if shortage else QBrush())
            name_item = self.table.item(row, 0)
            if name_item is not None:
                name_item.setBackground(shade if shortage else QBrush())

    def _update_totals(self) -> None:
        units = sum(line.spin.value() for line in self.lines)
        if not self.lines:
            self.totals.setText("No lines yet: scan a barcode or find a product.")
        else:
            lines = "line" if len(self.lines) == 1 else "lines"
            self.totals.setText(f"{len(self.lines)} {lines}, {units} units")

    def _store_changed(self) -> None:
        if self.pages.currentIndex() == 0:
            self.refresh_figures()

    # ------------------------------------------------------------------- placing

    def place(self) -> None:
        """Ask the controller to place the order; short lines open the prompt."""
        for message in (self.customer_message, self.lines_message, self.general_message):
            message.clear_message()
        if self.customer_id is None:
            self.customer_message.show_message(
                "Choose the customer first: type a name, e-mail or phone and press Enter, "
                "or add a new customer."
            )
            self.customer_field.setFocus()
            return
        self._decisions = None
        self._seen = None
        self._attempt()

    def _attempt(self) -> None:
        assert self.customer_id is not None
        try:
            placed = self.ctx.controller.place_order(
                self.customer_id,
                self.items(),
                decisions=self._decisions,
                seen=self._seen,
            )
        except ShortageDecisionNeeded as refused:
            changed = refused.changed or self._seen is not None
            if not refused.shortages:
                # Stock arrived while the customer decided: nothing is short any more.
                self._seen, self._decisions = [], {}
                self._attempt()
                return
            self.refresh_figures()
            self._ask(refused.shortages, changed=changed)
            return
        except UserError as error:
            target = {
                "customer": self.customer_message,
                "lines": self.lines_message,
                "qty": self.lines_message,
                "product": self.lines_message,
            }.get(error.field or "", self.general_message)
            target.show_message(str(error))
            self.refresh_figures()
            return
        self.placed = placed
        self.ctx.notify_changed()
        self._show_summary(placed)

    def _ask(self, shortages: list[Shortage], *, changed: bool) -> None:
        prompt = WaitOrCancelDialog(
            shortages, changed=changed, customer=self.customer_name, parent=self
        )
        self.prompt = prompt

        def answered(result: int) -> None:
            self.prompt = None
            prompt.deleteLater()
            outcome = PromptOutcome(result) if result in (0, 1, 2) else PromptOutcome.BACK
            if outcome is PromptOutcome.CONFIRM:
                self._decisions = dict(prompt.decisions())
                self._seen = list(shortages)
                self._attempt()
            elif outcome is PromptOutcome.CANCEL_ORDER:
                self.cancelled_by_customer = True
                self.done(QDialog.DialogCode.Rejected)
            else:
                self.general_message.show_note(
                    "Back to the order: change the lines, then place it again."
                )
                self.table.setFocus()

        prompt.finished.connect(answered)
        prompt.open()

    def _show_summary(self, placed: PlacedOrder) -> None:
        names = {line.product_id: line.name for line in self.lines}
        etas = {s.product_id: s for s in self._seen or []}
        ready, waiting, cancelled = [], [], []
        for line in placed.lines:
            name = html.escape(names.get(line.product_id, line.sku))
            if line.reserved:
                ready.append(f"{line.reserved} × {name}")
            if line.waiting:
                shortage = etas.get(line.product_id)
                when = (
                    f"expected {eta_text(shortage)}"
                    if shortage and shortage.eta
                    else "no delivery date yet"
                )
                waiting.append(f"{line.waiting} × {name} — {when}")
            if line.cancelled:
                cancelled.append(f"{line.cancelled} × {name}")
        self.summary_title.setText(f"Order {placed.order_id} is placed for {self.customer_name}.")
        parts = []
        for title, entries in (
            ("Reserved now, ready to take", ready),
            ("Waiting (the customer is in the queue)", waiting),
            ("Cancelled", cancelled),
        ):
            if entries:
                items = "".join(f"<li>{entry}</li>" for entry in entries)
                parts.append(f"<p><b>{title}</b></p><ul>{items}</ul>")
        if waiting:
            parts.append(
                "<p>The customer will be told when the waiting units arrive "
                "(a confirmation message is queued now).</p>"
            )
        self.summary.setText("".join(parts))
        self.pages.setCurrentIndex(1)
        self.done_button.setDefault(True)
        self.done_button.setFocus()

    def _open_placed_order(self) -> None:
        if self.placed is not None:
            self.ctx.open_order.emit(self.placed.order_id)
        self.accept()

    def start_over(self) -> None:
        """A fresh, empty order (no customer chosen)."""
        self.table.setRowCount(0)
        self.lines.clear()
        self.placed = None
        self._seen = self._decisions = None
        self.customer_id = None
        self.customer_name = ""
        self.customer_field.clear()
        self.chosen_label.setText("No customer chosen yet.")
        for message in (
            self.customer_message,
            self.scan_message,
            self.lines_message,
            self.general_message,
        ):
            message.clear_message()
        self.done_button.setDefault(False)
        self.pages.setCurrentIndex(0)
        self._update_totals()
        self.customer_field.setFocus()

    def reject(self) -> None:
        # Esc on a typed order asks first (inline, so nothing modal stops the counter):
        # a second Esc, or Close, throws the order away.
        if (
            self.pages.currentIndex() == 0
            and self.lines
            and not self.cancelled_by_customer
            and not self._discard_armed
        ):
            self._discard_armed = True
            self.general_message.show_message(
                "This order is not placed yet. Press Esc (or Close) again to throw it away, "
                "or Ctrl+Enter to place it."
            )
            return
        super().reject()


def open_new_order(
    ctx: DeskContext, parent: QWidget | None = None, customer_id: int = 0
) -> NewOrderDialog:
    """Open a New order window (not modal: the clerk may look things up meanwhile)."""
    dialog = NewOrderDialog(ctx, customer_id, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog


def install_new_order(ctx: DeskContext, parent: QWidget) -> None:
    """Make ``ctx.new_order.emit(customer_id)`` open a New order window.

    The window opens over ``parent``'s top-level window at the time of the request (the
    main window, once the section is placed in it). Idempotent per context: the Customers
    section calls it when built, and a second call (e.g. from the main window) adds nothing.
    """
    if ctx.property(_INSTALLED):
        return
    ctx.setProperty(_INSTALLED, True)

    def open_for(customer_id: int) -> None:
        try:
            window: QWidget | None = parent.window()
        except RuntimeError:  # the widget it was installed from is gone
            window = None
        open_new_order(ctx, window, customer_id)

    # Keep the slot alive with the context (a local function could be collected).
    setattr(ctx, "_new_order_slot", open_for)  # noqa: B010
    ctx.new_order.connect(open_for)


_INSTALLED = "new_order_installed"
