"""Correct a product's stock count, with a required reason.

The controller does the work (``Controller.adjust_stock``): an increase serves the
product's backorder queue first, like a delivery, and a decrease is refused when it would
take units reserved for orders. Afterwards the dialog says, in words, what happened: the
new figures, which waiting lines are now ready to pick (order, customer, units) and which
got part of what they wait for.
"""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app import queries
from app.controller import Allocation
from app.errors import UserError
from app.queries import StockFigures
from app.validation import parse_quantity
from ui import theme
from ui.context import DeskContext
from ui.dialogs.product_editor import FieldForm
from ui.permissions import explain_in, permit

#: Offered in the reason box; any other text is fine too.
COMMON_REASONS = (
    "Stock count",
    "Found on the shelf",
    "Damaged",
    "Lost or stolen",
    "Returned by a customer",
    "Opening stock",
)


def describe_allocation(allocation: Allocation, figures: StockFigures, delta: int) -> str:
    """What the adjustment did, as HTML for the result box."""
    verb = f"Added {delta}" if delta > 0 else f"Took {-delta} off"
    parts = [
        f"<p><b>{verb} for {escape(figures.sku)}.</b> On hand is now {figures.on_hand}: "
        f"{figures.reserved} reserved for orders, {figures.available} available"
        + (f", {figures.waiting} still waited for" if figures.waiting else "")
        + ".</p>"
    ]
    if allocation.fulfilled:
        count = len(allocation.fulfilled)
        lines = "1 waiting line is" if count == 1 else f"{count} waiting lines are"
        items = "".join(
            f"<li>Order {line.order_id}, {escape(line.customer)}: "
            f"{line.ready_qty} × {escape(line.sku)} ready to pick</li>"
            for line in allocation.fulfilled
        )
        parts.append(
            f"<p style='{theme.ok_style()}'><b>{lines} now fulfilled:</b></p><ul>{items}</ul>"
        )
    if allocation.partial:
        items = "".join(
            f"<li>Order {line.order_id}, {escape(line.customer)}: got {line.qty}, "
            f"still waiting for {line.still_waiting}</li>"
            for line in allocation.partial
        )
        parts.append(f"<p><b>Got part of what they wait for:</b></p><ul>{items}</ul>")
    if allocation.completed_orders:
        orders = ", ".join(str(order) for order in allocation.completed_orders)
        parts.append(f"<p>Orders with nothing left waiting: {orders}.</p>")
    if delta > 0 and not allocation.fulfilled and not allocation.partial:
        parts.append("<p>Nobody was waiting for this product.</p>")
    return "".join(parts)


class AdjustStockDialog(QDialog):
    """Adjust one product's on-hand count; shows the outcome before closing.

    Attributes:
        product_id: the product adjusted.
        allocation: what the controller returned, once applied.
    """

    def __init__(self, ctx: DeskContext, product_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.product_id = product_id
        self.allocation: Allocation | None = None
        figures = queries.stock_figures(product_id)
        self.setWindowTitle(f"Adjust stock of {figures.sku}")

        heading = QLabel(f"<b>{escape(figures.sku)}</b> — {escape(figures.name)}")
        heading.setWordWrap(True)
        self.figures_box = QGridLayout()
        self._figure_labels: dict[str, QLabel] = {}
        for column, (key, title) in enumerate(
            (
                ("on_hand", "On hand"),
                ("reserved", "Reserved"),
                ("available", "Available"),
                ("waiting", "Waiting"),
            )
        ):
            caption = QLabel(title)
            caption.setStyleSheet(theme.muted_style())
            value = QLabel()
            value.setObjectName(key)
            self.figures_box.addWidget(caption, 0, column)
            self.figures_box.addWidget(value, 1, column)
            self._figure_labels[key] = value
        self._show_figures(figures)

        self.form = FieldForm()
        self.change = QLineEdit()
        self.change.setObjectName("change")
        self.change.setPlaceholderText("+5 to add, -2 to take off")
        self.change.setToolTip("Units to add (5 or +5) or take off (-2)")
        self.reason = QComboBox()
        self.reason.setObjectName("reason")
        self.reason.setEditable(True)
        self.reason.addItems(COMMON_REASONS)
        self.reason.setCurrentIndex(-1)
        self.reason.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        line_edit = self.reason.lineEdit()
        assert line_edit is not None
        line_edit.setPlaceholderText("Why? Required, e.g. Stock count")
        self.form.add_row("qty", "&Change", self.change, aliases=("delta",))
        self.form.add_row("reason", "&Reason", self.reason)
        self.change.textEdited.connect(lambda _t: self.form.clear_field("qty"))
        line_edit.textEdited.connect(lambda _t: self.form.clear_field("reason"))

        self.result_view = QTextBrowser()
        self.result_view.setObjectName("result")
        self.result_view.setOpenLinks(False)
        self.result_view.hide()

        self.buttons = QDialogButtonBox()
        self.apply_button = self.buttons.addButton("&Apply", QDialogButtonBox.ButtonRole.AcceptRole)
        self.apply_button.setToolTip("Change the stock count (Enter)")
        self.apply_button.setDefault(True)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.close_button.setToolTip("Close without changing anything (Esc)")
        self.apply_button.clicked.connect(self.apply)
        self.close_button.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addLayout(self.figures_box)
        layout.addSpacing(self.fontMetrics().height() // 2)
        layout.addLayout(self.form.layout)
        layout.addWidget(self.form.general)
        layout.addWidget(self.result_view, 1)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 80)
        self.change.setFocus()
        ctx.staff_changed.connect(self._apply_permissions)
        self._apply_permissions()

    def _apply_permissions(self) -> None:
        if self.allocation is None:  # once applied, the button only closes
            allowed = permit(self.apply_button, self.ctx, "adjust_stock")
            explain_in(self.form.general, allowed, "adjust_stock")

    def _show_figures(self, figures: StockFigures) -> None:
        for key, value in (
            ("on_hand", figures.on_hand),
            ("reserved", figures.reserved),
            ("available", figures.available),
            ("waiting", figures.waiting),
        ):
            self._figure_labels[key].setText(f"<b>{value:,}</b>")

    def _fit_result(self) -> None:
        """Grow to show the whole outcome, up to about 20 lines (then it scrolls)."""
        document = self.result_view.document()
        document.setTextWidth(self.result_view.viewport().width())
        lines = self.fontMetrics().lineSpacing()
        wanted = int(document.size().height()) + 2 * self.result_view.frameWidth() + 4
        self.result_view.setMinimumHeight(min(wanted, lines * 20))
        self.adjustSize()

    def result_text(self) -> str:
        """The outcome as plain text ('' before applying)."""
        return self.result_view.toPlainText() if self.allocation is not None else ""

    def apply(self) -> None:
        """Ask the controller; show its refusal next to the field, or the outcome."""
        if self.allocation is not None:
            self.accept()
            return
        self.form.clear()
        try:
            delta = parse_quantity(self.change.text(), what="Change", allow_negative=True)
            self.allocation = self.ctx.controller.adjust_stock(
                self.product_id, delta, reason=self.reason.currentText()
            )
        except UserError as error:
            self.form.show_error(error)
            return
        self.ctx.notify_changed()
        figures = queries.stock_figures(self.product_id)
        self._show_figures(figures)
        self.result_view.setHtml(describe_allocation(self.allocation, figures, delta))
        self.result_view.show()
        self._fit_result()
        self.change.setEnabled(False)
        self.reason.setEnabled(False)
        self.apply_button.setText("&Done")
        self.apply_button.setToolTip("Close (Enter)")
        self.close_button.hide()
        self.apply_button.setFocus()
