"""Add or edit a product: SKU, name, price, reorder point and barcodes.

Every problem is shown in words, in red, under the field it is about (``UserError.field``),
and nothing is saved until everything is right. Barcodes are checked as soon as the field
is left (GTIN check digit, via ``app.barcodes``), and again by the controller on saving.
Editing saves the changes and the new barcodes in one transaction.

``FieldForm`` (a form whose rows carry an error line) is shared with the other dialogs.
"""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app import queries
from app.barcodes import normalize_barcode
from app.errors import UserError
from app.validation import MAX_QTY, format_cents, parse_price
from ui import theme
from ui.context import DeskContext
from ui.permissions import explain_in, permit


class FieldForm:
    """A ``QFormLayout`` whose fields each have an error line under them.

    ``show_error(error)`` puts a ``UserError`` under the field named by ``error.field`` (or
    under the whole form when no field matches) and moves the cursor there.
    """

    def __init__(self) -> None:
        self.layout = QFormLayout()
        self.layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.fields: dict[str, QWidget] = {}
        self.errors: dict[str, QLabel] = {}
        self.general = self._error_label("error")

    @staticmethod
    def _error_label(name: str) -> QLabel:
        label = QLabel()
        label.setObjectName(name)
        label.setWordWrap(True)
        label.setStyleSheet(theme.error_style())
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        label.hide()
        return label

    def add_row(
        self,
        key: str,
        text: str,
        field: QWidget,
        *,
        aliases: tuple[str, ...] = (),
        hint: str = "",
        stretch: bool = True,
    ) -> QLabel:
        """Add ``field`` under ``key`` (and the ``aliases`` the engine may name it by).

        ``stretch=False`` keeps a short field (a number) at its natural width.
        """
        box = QWidget()
        box.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        if stretch:
            column.addWidget(field)
        else:
            column.addWidget(field, 0, Qt.AlignmentFlag.AlignLeft)
        if hint:
            note = QLabel(hint)
            note.setWordWrap(True)
            note.setStyleSheet(theme.muted_style())
            column.addWidget(note)
        error = self._error_label(f"{key}_error")
        column.addWidget(error)
        label = QLabel(text)
        label.setBuddy(field)
        self.layout.addRow(label, box)
        for name in (key, *aliases):
            self.fields[name] = field
            self.errors[name] = error
        return error

    def clear(self) -> None:
        for label in {*self.errors.values(), self.general}:
            label.clear()
            label.hide()

    def clear_field(self, key: str) -> None:
        label = self.errors.get(key)
        if label is not None:
            label.clear()
            label.hide()

    def show_error(self, error: UserError) -> None:
        """Show the message next to its field; focus that field."""
        key = error.field or ""
        label = self.errors.get(key, self.general)
        label.setText(str(error))
        label.show()
        # A wrapped message needs more height than the dialog had.
        label.window().adjustSize()
        field = self.fields.get(key)
        if field is not None:
            field.setFocus(Qt.FocusReason.OtherFocusReason)

    def error_text(self, key: str) -> str:
        """The message shown under a field ('' when none)."""
        label = self.errors.get(key, self.general)
        return label.text() if label.isVisible() or label.text() else ""


def split_codes(text: str) -> list[str]:
    """Barcodes typed or scanned into one field, separated by spaces, commas or semicolons."""
    return [code for code in re.split(r"[\s,;]+", text.strip()) if code]


class ProductEditor(QDialog):
    """Add a product (``product_id=None``) or edit one.

    Attributes:
        product_id: the product edited, or the one added once saved.
    """

    def __init__(
        self, ctx: DeskContext, product_id: int | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.product_id = product_id
        existing = queries.stock_figures(product_id) if product_id is not None else None
        self.setWindowTitle(f"Edit product {existing.sku}" if existing else "Add product")

        self.form = FieldForm()
        self.sku = QLineEdit()
        self.sku.setObjectName("sku")
        self.sku.setMaxLength(64)
        self.name = QLineEdit()
        self.name.setObjectName("name")
        self.name.setMaxLength(200)
        self.price = QLineEdit("0.00")
        self.price.setObjectName("price")
        self.price.setPlaceholderText("9.99")
        self.reorder_point = QSpinBox()
        self.reorder_point.setObjectName("reorder_point")
        self.reorder_point.setRange(0, MAX_QTY)
        self.reorder_point.setToolTip(
            "Warn when available + incoming − waiting falls below this many units (0: never)"
        )
        self.barcodes = QLineEdit()
        self.barcodes.setObjectName("barcodes")
        self.barcodes.setPlaceholderText("Scan or type; several separated by spaces")

        self.form.add_row(
            "sku",
            "&SKU",
            self.sku,
            hint="" if existing else "Letters, digits, dashes; cannot change later",
        )
        self.form.add_row("name", "&Name", self.name)
        self.form.add_row("price", "&Price", self.price)
        self.form.add_row("reorder_point", "&Reorder point", self.reorder_point, stretch=False)
        if existing is not None:
            self.sku.setText(existing.sku)
            self.sku.setReadOnly(True)
            self.sku.setStyleSheet("QLineEdit { background: palette(window); }")
            self.sku.setToolTip("A product's SKU cannot change (orders and labels use it)")
            self.name.setText(existing.name)
            self.price.setText(format_cents(existing.price_cents))
            self.reorder_point.setValue(existing.reorder_point)
            current = QLabel(", ".join(existing.barcodes) or "none yet")
            current.setObjectName("current_barcodes")
            current.setWordWrap(True)
            current.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.form.layout.addRow("Barcodes", current)
            self.form.add_row("barcode", "&Add barcodes", self.barcodes, aliases=("barcodes",))
        else:
            self.form.add_row("barcode", "&Barcodes", self.barcodes, aliases=("barcodes",))

        self.barcodes.editingFinished.connect(self.check_barcodes)
        self.barcodes.textEdited.connect(lambda _text: self.form.clear_field("barcode"))
        for key, field in (("sku", self.sku), ("name", self.name), ("price", self.price)):
            field.textEdited.connect(lambda _text, k=key: self.form.clear_field(k))

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setToolTip("Save the product (Enter)")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setToolTip(
            "Close without saving (Esc)"
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(self.form.layout)
        layout.addWidget(self.form.general)
        layout.addStretch(1)
        layout.addWidget(buttons)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 80)
        (self.name if existing else self.sku).setFocus()
        ctx.staff_changed.connect(self._apply_permissions)
        self._apply_permissions()

    def _apply_permissions(self) -> None:
        action = "add_product" if self.product_id is None else "update_product"
        explain_in(self.form.general, permit(self.save_button, self.ctx, action), action)

    def check_barcodes(self) -> bool:
        """Validate the typed barcodes (check digits) and say which one is wrong."""
        try:
            for code in split_codes(self.barcodes.text()):
                normalize_barcode(code)
        except UserError as error:
            self.form.show_error(error)
            return False
        self.form.clear_field("barcode")
        return True

    def save(self) -> None:
        """Save everything or nothing; on a problem, say so next to the field."""
        self.form.clear()
        codes = split_codes(self.barcodes.text())
        controller = self.ctx.controller
        try:
            price_cents = parse_price(self.price.text())
            if self.product_id is None:
                product = controller.add_product(
                    sku=self.sku.text(),
                    name=self.name.text(),
                    price_cents=price_cents,
                    reorder_point=self.reorder_point.value(),
                    barcodes=codes,
                )
                self.product_id = int(product.id)
            else:
                for code in codes:
                    normalize_barcode(code)
                # One transaction for the changes and the new barcodes: a barcode that
                # turns out to be taken leaves the product as it was.
                with self.ctx.store.write():
                    controller.update_product(
                        self.product_id,
                        name=self.name.text(),
                        price_cents=price_cents,
                        reorder_point=self.reorder_point.value(),
                    )
                    for code in codes:
                        controller.add_barcode(self.product_id, code)
        except UserError as error:
            self.form.show_error(error)
            return
        self.ctx.notify_changed()
        self.accept()
