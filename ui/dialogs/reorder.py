"""Reorder suggestions: what to buy from each supplier so the queues and reorder points
are covered, and one button per supplier that turns its list into a draft purchase order.

Per product: waiting + reorder point − available − incoming − on drafts (when positive),
computed in SQL by ``app.purchasing``. A draft does not count as incoming until it is
confirmed in the Purchase orders section, but it is counted here, so the same units are
never suggested twice. Products without a supplier are listed in their own group, without
a button (a purchase order needs a supplier).

Keyboard: arrows move through the list; Ctrl+D creates the draft for the supplier of the
selected row; F5 reads the suggestions again; Esc closes.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app import purchasing
from app.errors import UserError
from app.purchase_queries import purchase_order_detail
from app.purchasing import ReorderGroup, ReorderLine
from ui import theme
from ui.context import DeskContext
from ui.permissions import explain_in, permit

#: Products shown per supplier; a draft always takes all of them.
SHOWN_PER_GROUP = 300
COLUMNS = (
    "Supplier / product",
    "Waiting",
    "Reorder point",
    "Available",
    "Incoming",
    "On drafts",
    "To order",
    "",
)
TIPS = (
    "The supplier, then each product to order",
    "Units customers wait for",
    "Stock to keep on the shelf beyond the queue",
    "On hand minus reserved",
    "Still to come on open (confirmed) purchase orders",
    "Already on draft purchase orders (not yet confirmed)",
    "Waiting + reorder point − available − incoming − on drafts",
    "",
)
BUY_COLUMN = COLUMNS.index("To order")
ACTION_COLUMN = len(COLUMNS) - 1


class ReorderDialog(QDialog):
    """The suggestions per supplier.

    Signals:
        draft_created(int): a draft purchase order was made (its id).
    """

    draft_created = Signal(int)

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Reorder suggestions")
        self.create_buttons: dict[int, QPushButton] = {}
        self.groups: list[ReorderGroup] = []

        intro = QLabel(
            "What to order so every waiting customer and every reorder point is covered: "
            "waiting + reorder point − available − incoming − on drafts. A draft purchase "
            "order is not incoming until you confirm it in Purchase orders."
        )
        intro.setWordWrap(True)
        intro.setStyleSheet(theme.muted_style())

        self.tree = QTreeWidget()
        self.tree.setObjectName("suggestions")
        self.tree.setAccessibleName("Reorder suggestions")
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels(list(COLUMNS))
        header_item = self.tree.headerItem()
        for column, tip in enumerate(TIPS):
            header_item.setToolTip(column, tip)
            if 0 < column < ACTION_COLUMN:
                header_item.setTextAlignment(
                    column, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                )
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setUniformRowHeights(False)
        self.tree.setAlternatingRowColors(True)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)

        self.empty_label = QLabel(
            "Nothing to reorder: stock, incoming goods and drafts cover every queue and "
            "reorder point."
        )
        self.empty_label.setObjectName("empty")
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setStyleSheet(theme.muted_style())
        self.message = QLabel()
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setVisible(False)

        buttons = QDialogButtonBox()
        self.create_selected_button = QPushButton("Create &draft PO for selected supplier")
        self.create_selected_button.setObjectName("create_selected")
        self.create_selected_button.setToolTip(
            "Turn the selected supplier's list into a draft purchase order (Ctrl+D)"
        )
        self.create_selected_button.clicked.connect(self.create_for_selected)
        close = QPushButton("Close")
        close.setToolTip("Close the suggestions (Esc)")
        buttons.addButton(self.create_selected_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(close, QDialogButtonBox.ButtonRole.RejectRole)
        buttons.rejected.connect(self.reject)
        QShortcut(QKeySequence("Ctrl+D"), self, self.create_for_selected)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Refresh), self, self.load)
        self.tree.currentItemChanged.connect(lambda *_: self._update_buttons())

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.empty_label, 1)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        metrics = self.fontMetrics()
        # Room for a supplier's name and lead time, and product names, beside six figures.
        self.resize(metrics.averageCharWidth() * 180, metrics.height() * 36)
        self.load()
        ctx.staff_changed.connect(self._update_buttons)

    # ------------------------------------------------------------ loading

    def load(self) -> None:
        """Read the suggestions again (after a draft, or F5)."""
        self.tree.clear()
        self.create_buttons.clear()
        self.groups = purchasing.reorder_groups()
        for group in self.groups:
            self._add_group(group)
        empty = not self.groups
        self.tree.setVisible(not empty)
        self.empty_label.setVisible(empty)
        if not empty:
            self.tree.setCurrentItem(self.tree.topLevelItem(0))
        self._update_buttons()

    def _add_group(self, group: ReorderGroup) -> None:
        lead = (
            f" · usual lead time {group.lead_time_days} days"
            if group.lead_time_days is not None
            else ""
        )
        products = f"{group.products} product{'s' if group.products != 1 else ''}"
        # Items are made with their parent: handing one over later (addTopLevelItem,
        # addChild) costs None a reference on PySide6 6.12.0 (pinned out).
        top = QTreeWidgetItem(
            self.tree, [f"{group.label}{lead} · {products}"] + [""] * (len(COLUMNS) - 1)
        )
        top.setText(BUY_COLUMN, f"{group.units:,}")
        top.setTextAlignment(
            BUY_COLUMN, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        )
        bold = QFont(self.tree.font())
        bold.setBold(True)
        for column in (0, BUY_COLUMN):
            top.setFont(column, bold)
        if group.supplier_id is None:
            top.setForeground(0, theme.colors().muted)
            top.setToolTip(
                0, "These products have no supplier: set one in Inventory to order them here."
            )
        lines = purchasing.reorder_lines(group.supplier_id, limit=SHOWN_PER_GROUP + 1)
        for line in lines[:SHOWN_PER_GROUP]:
            self._line_item(top, line)
        if len(lines) > SHOWN_PER_GROUP:
            more = QTreeWidgetItem(
                top, [f"… and {group.products - SHOWN_PER_GROUP:,} more products"]
            )
            more.setForeground(0, theme.colors().muted)
        top.setExpanded(True)
        if group.supplier_id is None:
            hint = QLabel("Set a supplier first")
            hint.setStyleSheet(theme.muted_style())
            hint.setToolTip("A purchase order needs a supplier: set one on these products")
            self.tree.setItemWidget(top, ACTION_COLUMN, hint)
            return
        button = QPushButton("Create draft PO")
        button.setObjectName(f"create_{group.supplier_id}")
        button.setToolTip(
            f"Put these {group.units:,} units from {group.label} on a draft purchase order "
            "(Ctrl+D on a selected row)"
        )
        supplier_id = group.supplier_id
        button.clicked.connect(lambda _checked=False: self.create_draft(supplier_id))
        self.create_buttons[supplier_id] = button
        self.tree.setItemWidget(top, ACTION_COLUMN, button)

    @staticmethod
    def _line_item(top: QTreeWidgetItem, line: ReorderLine) -> QTreeWidgetItem:
        values = (
            line.waiting,
            line.reorder_point,
            line.available,
            line.incoming,
            line.drafted,
            line.units,
        )
        item = QTreeWidgetItem(
            top, [f"{line.sku} — {line.name}"] + [f"{v:,}" for v in values] + [""]
        )
        item.setToolTip(0, f"{line.sku} — {line.name}")
        for column in range(1, BUY_COLUMN + 1):
            item.setTextAlignment(
                column, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
            )
        return item

    # ------------------------------------------------------------ actions

    def selected_supplier(self) -> int | None:
        """The supplier of the selected row (a group or one of its products)."""
        item = self.tree.currentItem()
        if item is None:
            return None
        # Found through the tree's shape: the group list is the one source of the ids.
        top = item.parent() or item
        number = self.tree.indexOfTopLevelItem(top)
        return self.groups[number].supplier_id if 0 <= number < len(self.groups) else None

    def _update_buttons(self) -> None:
        permit(
            self.create_selected_button,
            self.ctx,
            "purchase_orders",
            enabled=self.selected_supplier() is not None,
        )
        for button in self.create_buttons.values():
            permit(button, self.ctx, "purchase_orders")
        explain_in(self.message, self.ctx.controller.can("purchase_orders"), "purchase_orders")

    def create_for_selected(self) -> None:
        supplier_id = self.selected_supplier()
        if supplier_id is not None:
            self.create_draft(supplier_id)

    def create_draft(self, supplier_id: int) -> None:
        """Make the supplier's draft purchase order and say what it holds."""
        try:
            po = self.ctx.controller.create_reorder_draft(supplier_id)
        except UserError as error:
            self._say(str(error), error=True)
            self.load()
            return
        name = next((g.label for g in self.groups if g.supplier_id == supplier_id), "")
        units = sum(line.ordered for line in purchase_order_detail(int(po.id)).lines)
        self._say(
            f"Draft purchase order {po.id} created for {name}: {units:,} units, expected "
            f"{po.expected_date:%d %b %Y}. Review it in Purchase orders and confirm it "
            "when it is sent (Ctrl+Shift+O)."
        )
        self.ctx.notify_changed()
        self.load()
        self.draft_created.emit(int(po.id))

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message.setStyleSheet(theme.error_style() if error else theme.ok_style())
        self.message.setText(text)
        self.message.setVisible(True)


def open_reorder(ctx: DeskContext, parent: QWidget | None = None) -> ReorderDialog:
    """Open the suggestions without blocking (window-modal); returns the dialog."""
    dialog = ReorderDialog(ctx, parent)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
