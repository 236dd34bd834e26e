"""The "unknown barcode" dialog: link a scanned code to a product, or add a new product.

Opened by the receiving station when a valid code belongs to no product
(``app.errors.UnknownCode``). Either tab ends with a product that carries the barcode from
now on: "Link to a product" searches products as you type (``suggest_products``) and calls
``Controller.add_barcode``; "New product" calls ``Controller.add_product`` with the code as
its barcode. The station then counts the scan's units. Cancel counts nothing, and the
station says so.

Keyboard: the search field has the focus; Down moves into the results; Enter links the
highlighted (or the only) product; Alt+L / Alt+N switch tabs; Esc cancels.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.customer_queries import suggest_products
from app.errors import UserError
from app.validation import parse_price, shown
from ui import theme
from ui.context import DeskContext

DEBOUNCE_MS = 150
ID_ROLE = Qt.ItemDataRole.UserRole + 1
LINK_TAB, NEW_TAB = 0, 1
_ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class UnknownCodeDialog(QDialog):
    """Give an unknown barcode a product, so its units can be counted.

    Attributes:
        code: the barcode as scanned (what is stored as the product's barcode).
        count: units the scan stands for (said in the heading).
        product_id: the product that now carries the code, once accepted.
        product_label: "Name (SKU)" of that product, once accepted.
        created: ``True`` when a new product was added, ``False`` when linked.
    """

    def __init__(
        self,
        ctx: DeskContext,
        code: str,
        count: int = 1,
        *,
        supplier_id: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.code = code
        self.count = count
        self.supplier_id = supplier_id
        self.product_id: int | None = None
        self.product_label = ""
        self.created = False
        self.setWindowTitle("Unknown barcode")
        self.setSizeGripEnabled(True)

        heading = QLabel(f"Barcode <b>{html.escape(code)}</b> is not in this shop yet")
        heading.setTextFormat(Qt.TextFormat.RichText)
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        heading.setFont(font)
        units = "1 unit" if count == 1 else f"{count:,} units"
        self.explain = QLabel(
            f"This scan stands for {units}. Link the barcode to the product it is on, or "
            "add it as a new product; the units are counted as soon as you do. "
            "Cancel counts nothing."
        )
        self.explain.setWordWrap(True)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_link_tab(), "&Link to a product")
        self.tabs.addTab(self._build_new_tab(), "&New product")
        self.tabs.currentChanged.connect(self._tab_changed)

        self.message = QLabel()
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(theme.error_style())

        self.buttons = QDialogButtonBox()
        self.ok_button = QPushButton("Add product and count")
        # Wide enough for either tab's wording, so switching tabs never cuts it off.
        self.ok_button.setMinimumWidth(self.ok_button.sizeHint().width())
        self.cancel_button = QPushButton("Cancel (count nothing)")
        self.cancel_button.setToolTip("Close without counting this scan (Esc)")
        self.buttons.addButton(self.ok_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.ok_button.clicked.connect(self.confirm)
        self.cancel_button.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.explain)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        # Only once the button is in the dialog: before, there is no dialog to tell.
        self.ok_button.setDefault(True)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.search_now)
        self.search.textEdited.connect(lambda _text: self._timer.start())
        self._tab_changed(LINK_TAB)
        width = self.fontMetrics().averageCharWidth() * 80
        self.resize(width, int(width * 0.7))
        self.search.setFocus()

    # ------------------------------------------------------------------ building

    def _build_link_tab(self) -> QWidget:
        page = QWidget()
        self.search = QLineEdit()
        self.search.setObjectName("search")
        self.search.setPlaceholderText("Type part of the SKU or name, then pick the product")
        self.search.setClearButtonEnabled(True)
        self.search.installEventFilter(self)
        self.results = QListWidget()
        self.results.setObjectName("results")
        self.results.itemDoubleClicked.connect(lambda _item: self.confirm())
        self.results.installEventFilter(self)
        self.results_hint = QLabel("Type to search; Down arrow to the list, Enter to link.")
        self.results_hint.setStyleSheet(theme.muted_style())
        layout = QVBoxLayout(page)
        find = QLabel("&Find product:")
        find.setBuddy(self.search)
        layout.addWidget(find)
        layout.addWidget(self.search)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.results_hint)
        return page

    def _build_new_tab(self) -> QWidget:
        page = QWidget()
        self.sku = QLineEdit()
        self.sku.setObjectName("sku")
        self.sku.setPlaceholderText("e.g. HNG-075")
        self.name = QLineEdit()
        self.name.setObjectName("name")
        self.name.setPlaceholderText("What it is called on the shelf and the packing slip")
        self.price = QLineEdit("0.00")
        self.price.setObjectName("price")
        self.price.setToolTip("Selling price, like 9.99")
        self.field_messages: dict[str, QLabel] = {}
        form = QFormLayout(page)
        for field, label, widget in (
            ("sku", "&SKU:", self.sku),
            ("name", "N&ame:", self.name),
            ("price", "&Price:", self.price),
        ):
            note = QLabel()
            note.setStyleSheet(theme.error_style())
            note.setWordWrap(True)
            note.hide()
            self.field_messages[field] = note
            form.addRow(label, widget)
            form.addRow("", note)
        barcode = QLabel(html.escape(self.code))
        barcode.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow("Barcode:", barcode)
        return page

    # ------------------------------------------------------------------ behaviour

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if watched is self.search and event.key() == Qt.Key.Key_Down:
                self.search_now()
                if self.results.count():
                    self.results.setFocus()
                    if self.results.currentRow() < 0:
                        self.results.setCurrentRow(0)
                return True
            if watched in (self.search, self.results) and event.key() in _ENTER:
                # Handled here: a list view passes Enter on to the default button too.
                self.confirm()
                return True
            if (
                watched is self.results
                and event.key() == Qt.Key.Key_Up
                and self.results.currentRow() <= 0
            ):
                self.search.setFocus()
                return True
        return super().eventFilter(watched, event)

    def _tab_changed(self, index: int) -> None:
        self.message.clear()
        if index == NEW_TAB:
            self.ok_button.setText("Add product and count")
            self.ok_button.setToolTip("Add the product with this barcode and count the scan")
            self.sku.setFocus()
        else:
            self.ok_button.setText("Link and count")
            self.ok_button.setToolTip("Give the chosen product this barcode and count the scan")
            self.search.setFocus()

    def search_now(self) -> None:
        """Run the product search for the text typed (also runs by itself while typing)."""
        self._timer.stop()
        text = self.search.text().strip()
        hits = suggest_products(text) if text else []
        self.results.clear()
        for hit in hits:
            item = QListWidgetItem(f"{hit.sku} — {hit.name}")
            item.setData(ID_ROLE, hit.product_id)
            item.setData(Qt.ItemDataRole.UserRole, f"{hit.name} ({hit.sku})")
            self.results.addItem(item)
        if hits:
            self.results.setCurrentRow(0)
            self.results_hint.setText(
                f"{len(hits)} found; Down arrow to the list, Enter links the highlighted one."
            )
        elif text:
            self.results_hint.setText(
                f"No product matches {shown(text)}. Try fewer letters, or add it on the New "
                "product tab (Alt+N)."
            )
        else:
            self.results_hint.setText("Type to search; Down arrow to the list, Enter to link.")

    def confirm(self) -> None:
        """Link, or add the new product; close when the store took it."""
        if self.product_id is not None:
            return
        self.message.clear()
        if self.tabs.currentIndex() == NEW_TAB:
            self._add_new()
        else:
            self._link()

    def _link(self) -> None:
        if self._timer.isActive() or self.results.count() == 0:
            self.search_now()
        row = self.results.currentRow()
        item = self.results.item(row) if row >= 0 else None
        if item is None:
            self.message.setText(
                "Choose the product first: type part of its SKU or name."
                if not self.search.text().strip()
                else self.results_hint.text()
            )
            self.search.setFocus()
            return
        product_id = int(item.data(ID_ROLE))
        try:
            self.ctx.controller.add_barcode(product_id, self.code)
        except UserError as error:
            self.message.setText(str(error))
            return
        self.product_id = product_id
        self.product_label = str(item.data(Qt.ItemDataRole.UserRole))
        self.created = False
        self.accept()

    def _add_new(self) -> None:
        for note in self.field_messages.values():
            note.hide()
        try:
            price_cents = parse_price(self.price.text() or "0")
            product = self.ctx.controller.add_product(
                sku=self.sku.text(),
                name=self.name.text(),
                price_cents=price_cents,
                barcodes=[self.code],
                supplier_id=self.supplier_id,
            )
        except UserError as error:
            field_note = self.field_messages.get(error.field or "")
            if field_note is not None:
                field_note.setText(str(error))
                field_note.show()
                {"sku": self.sku, "name": self.name, "price": self.price}[
                    error.field or ""
                ].setFocus()
            else:
                self.message.setText(str(error))
            return
        self.product_id = int(product.id)
        self.product_label = f"{product.name} ({product.sku})"
        self.created = True
        self.accept()
