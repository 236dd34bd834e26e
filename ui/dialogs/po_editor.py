"""Book or change a purchase order: supplier, expected date, lines (product and quantity).

ETAs come from open purchase orders, so this is where a clerk makes the dates customers
hear come true. The controller validates (``add_purchase_order`` /
``update_purchase_order``); a refusal names its field and the message appears in red next
to it: the supplier, the expected date, or the lines. Nothing is saved until everything is
acceptable: a new supplier typed by name is created in the same transaction as the PO, so a
refused PO leaves no supplier behind either.

A draft (from the reorder suggestions) is edited the same way; "Save and confirm" saves it
and confirms it in one go, after which its units count as incoming.

Keyboard: type in "Add product" (SKU, name or barcode) and press Enter or pick from the
list; quantities are edited in place; Delete removes the selected line; Ctrl+Enter saves;
Esc closes without saving.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QDate, QEvent, QObject, QStringListModel, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCompleter,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.clock import to_local
from app.controller import OrderItem
from app.errors import UserError
from app.purchase_queries import (
    ProductHit,
    find_products,
    find_suppliers,
    purchase_order_detail,
)
from app.validation import shown
from ui import theme
from ui.context import DeskContext
from ui.permissions import explain_in, permit

#: How many suggestions a type-ahead shows (the look-up is LIMITed to this).
SUGGESTIONS = 15
#: The date edit shows this as "Pick a date": the date is missing.
NO_DATE = QDate(2000, 1, 1)
QTY_COLUMN = 2


@dataclass
class EditorLine:
    """A product on the PO being edited; ``received`` only for an existing PO."""

    product_id: int
    sku: str
    name: str
    received: int = 0


class FieldMessage(QLabel):
    """A red, word-wrapped message next to a field; hidden while empty."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.setObjectName(name)
        self.setWordWrap(True)
        self.setVisible(False)

    def say(self, text: str) -> None:
        self.setStyleSheet(theme.error_style())
        self.setText(text)
        self.setVisible(bool(text))


class PurchaseOrderEditor(QDialog):
    """The PO form; ``po_id`` is the PO edited, or the one saved after ``accept()``."""

    def __init__(
        self, ctx: DeskContext, parent: QWidget | None = None, *, po_id: int | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.po_id = po_id
        self.lines: list[EditorLine] = []
        self._hits: dict[str, ProductHit] = {}
        self.setWindowTitle(f"Purchase order {po_id}" if po_id else "New purchase order")

        self.supplier = QLineEdit()
        self.supplier.setObjectName("supplier")
        self.supplier.setPlaceholderText("Type a supplier's name; a new name adds the supplier")
        self._supplier_names = QStringListModel(self)
        supplier_completer = QCompleter(self._supplier_names, self)
        supplier_completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        supplier_completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.supplier.setCompleter(supplier_completer)
        self.supplier.textEdited.connect(self._suggest_suppliers)
        self.supplier_message = FieldMessage("supplier_message")

        self.expected = QDateEdit()
        self.expected.setObjectName("expected")
        self.expected.setCalendarPopup(True)
        self.expected.setDisplayFormat("d MMM yyyy")
        self.expected.setMinimumDate(NO_DATE)
        self.expected.setSpecialValueText("Pick a date")
        self.expected.setDate(NO_DATE)
        self.expected.setToolTip(
            "When the supplier said the goods will arrive (F4 opens a calendar)"
        )
        self.expected_message = FieldMessage("expected_message")
        self._calendar = self.expected.calendarWidget()
        self._calendar.installEventFilter(self)

        self.product = QLineEdit()
        self.product.setObjectName("product")
        self.product.setPlaceholderText("SKU, name or barcode, then Enter")
        self._product_labels = QStringListModel(self)
        product_completer = QCompleter(self._product_labels, self)
        product_completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        product_completer.setFilterMode(Qt.MatchFlag.MatchContains)
        product_completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        product_completer.activated.connect(self._product_chosen)
        self.product.setCompleter(product_completer)
        self.product.textEdited.connect(self._suggest_products)
        self.product.returnPressed.connect(self.add_typed_product)

        self.table = QTableWidget(0, 4)
        self.table.setObjectName("lines")
        self.table.setAccessibleName("Purchase order lines")
        self.table.setHorizontalHeaderLabels(["SKU", "Product", "Quantity", "Received"])
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.remove_button = QPushButton("&Remove line")
        self.remove_button.setToolTip("Remove the selected line (Delete)")
        self.remove_button.clicked.connect(self.remove_selected_line)
        QShortcut(QKeySequence.StandardKey.Delete, self.table, self.remove_selected_line)
        self.lines_message = FieldMessage("lines_message")

        self.note = QLineEdit()
        self.note.setObjectName("note")
        self.note.setPlaceholderText("Optional: the supplier's reference, terms…")
        self.general_message = FieldMessage("general_message")

        buttons = QDialogButtonBox()
        self.save_button = QPushButton("Save" if po_id else "Book purchase order")
        self.save_button.setObjectName("save")
        self.save_button.setToolTip("Save the purchase order (Ctrl+Enter)")
        close = QPushButton("Close")
        close.setToolTip("Close without saving (Esc)")
        self.confirm_button = QPushButton("Save and c&onfirm")
        self.confirm_button.setObjectName("confirm")
        self.confirm_button.setToolTip(
            "The draft was sent to the supplier: save it and count its units as incoming"
        )
        self.confirm_button.setAutoDefault(False)
        self.confirm_button.clicked.connect(self.save_and_confirm)
        self.confirm_button.setVisible(False)
        buttons.addButton(self.confirm_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(close, QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        # Enter in the product field adds a line; it must not also save the dialog.
        self.save_button.setAutoDefault(False)
        close.setAutoDefault(False)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, self.save)

        form = QFormLayout()
        form.addRow("&Supplier:", self._stack(self.supplier, self.supplier_message))
        form.addRow("&Expected:", self._stack(self.expected, self.expected_message))
        form.addRow("&Add product:", self.product)
        lines_row = QHBoxLayout()
        lines_row.addWidget(self.table, 1)
        lines_row.addWidget(self.remove_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(lines_row, 1)
        layout.addWidget(self.lines_message)
        note_form = QFormLayout()
        note_form.addRow("&Note:", self.note)
        layout.addLayout(note_form)
        self.status_label = QLabel()
        self.status_label.setStyleSheet(theme.muted_style())
        self.status_label.setWordWrap(True)
        layout.addWidget(self.status_label)
        layout.addWidget(self.general_message)
        layout.addWidget(buttons)
        self.setTabOrder(self.supplier, self.expected)
        self.setTabOrder(self.expected, self.product)
        self.setTabOrder(self.product, self.table)
        self.setTabOrder(self.table, self.note)
        chars = self.fontMetrics().averageCharWidth()
        self.resize(chars * 110, self.fontMetrics().height() * 32)

        #: False for a received or closed PO: it can no longer change.
        self.changeable = True
        if po_id is not None:
            self._load(po_id)
        else:
            self.table.hideColumn(3)  # nothing received yet on a new PO
            self.status_label.setText(
                "Enter adds the product (again: one more). Type over a quantity to change "
                "it; Delete removes the selected line; Ctrl+Enter books the purchase order."
            )
        self._suggest_suppliers("")
        ctx.staff_changed.connect(self._apply_permissions)
        self._apply_permissions()

    def _apply_permissions(self) -> None:
        allowed = permit(self.save_button, self.ctx, "purchase_orders", enabled=self.changeable)
        for button in (self.confirm_button, self.remove_button):
            permit(button, self.ctx, "purchase_orders")
        explain_in(self.general_message, allowed, "purchase_orders")

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Enter belongs to the field it is typed in (it adds a product there); only
        # Ctrl+Enter saves, so a scan's Enter can never book a half-typed PO.
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and not event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            focused = self.focusWidget()
            if isinstance(focused, QPushButton):
                focused.click()
            event.accept()
            return
        super().keyPressEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # With no date picked the calendar would open in January 2000: open it on today.
        if (
            watched is self._calendar
            and event.type() == QEvent.Type.Show
            and self.expected.date() == NO_DATE
        ):
            today = QDate.currentDate()
            self._calendar.setCurrentPage(today.year(), today.month())
        return super().eventFilter(watched, event)

    @staticmethod
    def _stack(field: QWidget, message: QLabel) -> QWidget:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(field)
        column.addWidget(message)
        return box

    # ------------------------------------------------------------ loading

    def _load(self, po_id: int) -> None:
        detail = purchase_order_detail(po_id)
        self.supplier.setText(detail.supplier)
        self.supplier.setReadOnly(True)
        self.supplier.setToolTip("The supplier of a booked purchase order cannot change")
        self.expected.setDate(QDate(detail.expected_date))
        self.note.setText(detail.note)
        for line in detail.lines:
            self._append(
                EditorLine(line.product_id, line.sku, line.name, line.received), line.ordered
            )
        booked = f"{to_local(detail.created_at):%d %b %Y} by {detail.staff}"
        self.status_label.setText(f"Status: {detail.status} · booked {booked}")
        if detail.status == "draft":
            self.setWindowTitle(f"Draft purchase order {detail.po_id}")
            self.confirm_button.setVisible(True)
            self.status_label.setText(
                f"Draft, written {booked}: not sent to the supplier yet, so its units do not "
                "count as incoming. Save and confirm it once it is sent."
            )
        elif detail.status != "open":
            self.changeable = False
            self.save_button.setEnabled(False)
            self.status_label.setText(
                f"This purchase order is {detail.status}; it can no longer be changed."
            )

    # ------------------------------------------------------------ type-ahead

    def _suggest_suppliers(self, text: str) -> None:
        self._supplier_names.setStringList(
            [name for _id, name in find_suppliers(text, limit=SUGGESTIONS)]
        )

    def _suggest_products(self, text: str) -> None:
        hits = find_products(text, limit=SUGGESTIONS) if text.strip() else []
        self._hits = {hit.label(): hit for hit in hits}
        self._product_labels.setStringList(list(self._hits))

    def _product_chosen(self, label: str) -> None:
        hit = self._hits.get(label)
        if hit is not None:
            self._add_product(EditorLine(hit.product_id, hit.sku, hit.name))

    def add_typed_product(self) -> None:
        """Enter in "Add product": an exact SKU or barcode, else the only match, is added."""
        text = self.product.text().strip()
        if not text:
            return
        hit = self._hits.get(text)
        if hit is not None:
            self._add_product(EditorLine(hit.product_id, hit.sku, hit.name))
            return
        try:
            found = self.ctx.controller.find_product(text)
        except UserError as error:
            # Not a SKU or barcode: the only product whose SKU or name matches will do.
            hits = find_products(text, limit=2)
            if len(hits) == 1:
                self._add_product(EditorLine(hits[0].product_id, hits[0].sku, hits[0].name))
                return
            # The text stays for correcting, selected so the next scan replaces it.
            self.product.selectAll()
            if hits:
                self.lines_message.say(
                    f"Several products match {shown(text)}: pick one from the list."
                )
            elif text.isdigit():
                self.lines_message.say(str(error))
            else:
                self.lines_message.say(
                    f"No product matches {shown(text)}: check the SKU, or add the product in "
                    "Inventory first."
                )
            return
        self._add_product(EditorLine(found.id, found.sku, found.name))

    def _add_product(self, line: EditorLine) -> None:
        """Add one unit of a product, or one more if it is already on the PO."""
        self.lines_message.say("")
        self.product.clear()
        for row, existing in enumerate(self.lines):
            if existing.product_id == line.product_id:
                item = self.table.item(row, QTY_COLUMN)
                if item is not None:
                    current = item.text().strip()
                    item.setText(str(int(current) + 1) if _plain_number(current) else "1")
                self.table.selectRow(row)
                return
        self._append(line, 1)
        self.table.selectRow(len(self.lines) - 1)

    def _append(self, line: EditorLine, qty: int) -> None:
        row = len(self.lines)
        self.lines.append(line)
        self.table.setRowCount(row + 1)
        fixed = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled
        for column, text in enumerate(
            [line.sku, line.name, str(qty), "" if self.po_id is None else str(line.received)]
        ):
            item = QTableWidgetItem(text)
            if column != QTY_COLUMN:
                item.setFlags(fixed)
            else:
                item.setToolTip(
                    f"At least {line.received} (already received)" if line.received else ""
                )
            if column in (QTY_COLUMN, 3):
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(row, column, item)

    def remove_selected_line(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        row = rows[0].row()
        self.table.removeRow(row)
        del self.lines[row]

    # ------------------------------------------------------------ saving

    def set_quantity(self, row: int, text: str) -> None:
        """Type a quantity into a line (what editing the cell does)."""
        item = self.table.item(row, QTY_COLUMN)
        if item is not None:
            item.setText(text)

    def items(self) -> list[OrderItem]:
        """The lines as typed; the controller judges the quantities."""
        result = []
        for row, line in enumerate(self.lines):
            item = self.table.item(row, QTY_COLUMN)
            text = item.text().strip() if item is not None else ""
            # Anything but a plain number ("²", "--5") goes as typed: the engine says why.
            digits = text.removeprefix("-")
            qty: int | str = int(text) if _plain_number(digits) else text
            result.append(OrderItem(line.product_id, qty))  # type: ignore[arg-type]
        return result

    def expected_date(self) -> date | None:
        picked = self.expected.date()
        return None if picked == NO_DATE else picked.toPython()  # type: ignore[return-value]

    def _clear_messages(self) -> None:
        for message in (
            self.supplier_message,
            self.expected_message,
            self.lines_message,
            self.general_message,
        ):
            message.say("")

    def save(self) -> None:
        """Book (or change) the PO; on refusal show the message next to its field."""
        if not self.save_button.isEnabled():
            return
        self._clear_messages()
        controller = self.ctx.controller
        try:
            if self.po_id is None:
                # One transaction: a refused PO must not leave a new supplier behind.
                with self.ctx.store.write():
                    supplier = controller.supplier_named(self.supplier.text())
                    po = controller.add_purchase_order(
                        supplier_id=supplier.id,
                        expected=self.expected_date(),
                        items=self.items(),
                        note=self.note.text().strip(),
                    )
                self.po_id = int(po.id)
            else:
                controller.update_purchase_order(
                    self.po_id,
                    expected=self.expected_date(),
                    items=self.items(),
                    note=self.note.text(),
                )
        except UserError as error:
            self._show_error(error)
            return
        self.ctx.notify_changed()
        self.accept()

    def save_and_confirm(self) -> None:
        """Save a draft's changes and confirm it, in one transaction."""
        if self.po_id is None or not self.confirm_button.isVisible():
            return
        self._clear_messages()
        controller = self.ctx.controller
        try:
            with self.ctx.store.write():
                controller.update_purchase_order(
                    self.po_id,
                    expected=self.expected_date(),
                    items=self.items(),
                    note=self.note.text(),
                )
                controller.confirm_purchase_order(self.po_id)
        except UserError as error:
            self._show_error(error)
            return
        self.ctx.notify_changed()
        self.accept()

    def _show_error(self, error: UserError) -> None:
        target = {
            "supplier": (self.supplier_message, self.supplier),
            "expected": (self.expected_message, self.expected),
            "date": (self.expected_message, self.expected),
            "qty": (self.lines_message, self.table),
            "lines": (self.lines_message, self.product),
            "product": (self.lines_message, self.product),
            "sku": (self.lines_message, self.product),
        }.get(error.field or "", (self.general_message, self.save_button))
        message, field = target
        message.say(str(error))
        field.setFocus(Qt.FocusReason.OtherFocusReason)


def open_po_editor(
    ctx: DeskContext, parent: QWidget | None = None, po_id: int | None = None
) -> PurchaseOrderEditor:
    """Open the editor without blocking (window-modal); returns it."""
    editor = PurchaseOrderEditor(ctx, parent, po_id=po_id)
    editor.setWindowModality(Qt.WindowModality.WindowModal)
    editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    editor.show()
    return editor


def _plain_number(text: str) -> bool:
    """A count ``int()`` reads as typed: ASCII digits ("²" is a digit to Python but not to
    ``int``), and short enough for it (5,000 digits raise); the rest goes to the controller
    as text, which says what is wrong with it."""
    return text.isascii() and text.isdigit() and len(text) <= 18
