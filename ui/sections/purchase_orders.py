"""The Purchase orders section: what is coming from suppliers, and when.

Open purchase orders are the incoming stock that ETAs are made of, so the list shows the
expected date, the units ordered and received, and marks an open PO whose date has passed
as *overdue* (in the Status column, in words, and with a tinted row). Search (supplier or
PO number) and the status filter run in SQL (``app.purchase_queries``). New and Edit open
``PurchaseOrderEditor``.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app import purchase_queries
from app.clock import to_local
from app.purchase_queries import OVERDUE, PurchaseOrderRow
from ui import theme
from ui.context import DeskContext
from ui.dialogs.po_editor import PurchaseOrderEditor, open_po_editor
from ui.paged_model import ROW_ROLE, Column, PagedTableModel, RowStyle
from ui.section import Section

SEARCH_DELAY_MS = 150

STATUS_FILTERS = (
    ("All purchase orders", None, "Every purchase order"),
    ("Open", "open", "Still expecting goods: their units count as incoming for ETAs"),
    ("Overdue", OVERDUE, "Open, and the expected date has passed"),
    ("Closed", "closed", "Every unit received"),
    ("Cancelled", "cancelled", "Not coming"),
)


def _status_text(row: PurchaseOrderRow, today: date) -> str:
    if row.overdue:
        late = (today - row.expected_date).days
        return f"Open · overdue {late} day{'s' if late != 1 else ''}"
    return row.status.capitalize()


class PurchaseOrdersSection(Section):
    """The purchase orders list with New / Edit."""

    title = "Purchase orders"

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.editor: PurchaseOrderEditor | None = None
        self.search = QLineEdit()
        self.search.setObjectName("search")
        self.search.setPlaceholderText("Search supplier or PO number (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DELAY_MS)
        self._debounce.timeout.connect(self.apply_filter)
        self.search.textChanged.connect(lambda _text: self._debounce.start())
        self.search.returnPressed.connect(self.apply_filter)
        self.status_box = QComboBox()
        self.status_box.setObjectName("status")
        self.status_box.setAccessibleName("Status filter")
        for label, value, tip in STATUS_FILTERS:
            self.status_box.addItem(label, value)
            self.status_box.setItemData(
                self.status_box.count() - 1, tip, Qt.ItemDataRole.ToolTipRole
            )
        self.status_box.currentIndexChanged.connect(lambda _index: self.apply_filter())
        self.count_label = QLabel()
        self.count_label.setObjectName("count")
        self.new_button = QPushButton("&New purchase order…")
        self.new_button.setToolTip("Book goods ordered from a supplier (Ctrl+Shift+N)")
        self.new_button.clicked.connect(self.new_purchase_order)
        self.edit_button = QPushButton("E&dit…")
        self.edit_button.setToolTip("Change the selected purchase order's date or lines (Enter)")
        self.edit_button.clicked.connect(self.edit_selected)

        today = self.today
        columns: list[Column[PurchaseOrderRow]] = [
            Column("PO", lambda r: r.po_id, sort_key="po", numeric=True),
            Column("Supplier", lambda r: r.supplier, sort_key="supplier"),
            Column(
                "Expected",
                lambda r: f"{r.expected_date:%d %b %Y}",
                sort_key="expected",
                tooltip="When the supplier said the goods arrive; ETAs are based on it",
            ),
            Column("Status", lambda r: _status_text(r, today()), sort_key="status"),
            Column("Lines", lambda r: r.lines, numeric=True),
            Column("Ordered", lambda r: r.ordered, numeric=True, tooltip="Units ordered"),
            Column("Received", lambda r: r.received, numeric=True, tooltip="Units received"),
            Column(
                "Outstanding",
                lambda r: r.outstanding if r.status == "open" else "",
                numeric=True,
                tooltip="Units still to come (counted as incoming)",
            ),
            Column(
                "Booked",
                lambda r: f"{to_local(r.created_at):%d %b %Y}",
                sort_key="created",
            ),
        ]
        self.model: PagedTableModel[PurchaseOrderRow] = PagedTableModel(
            columns, fetch=self._fetch, count=self._count, style=self._style
        )
        self.table = QTableView()
        self.table.setObjectName("purchase_orders")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        self.table.setSortingEnabled(True)
        # Enabling sorting sorted by the header's default column; the default order is
        # open POs first, soonest date first (see the query), so no indicator either.
        self.model.sort_key = None
        self.model.descending = False
        self.table.horizontalHeader().setSortIndicatorShown(False)
        self.table.horizontalHeader().sortIndicatorChanged.connect(
            lambda *_: self.table.horizontalHeader().setSortIndicatorShown(True)
        )
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.doubleClicked.connect(lambda _index: self.edit_selected())
        self.table.activated.connect(lambda _index: self.edit_selected())
        self.model.reload()
        self._size_columns()

        self.new_action = QAction("&New purchase order…", self)
        self.new_action.setShortcut(QKeySequence("Ctrl+Shift+N"))
        self.new_action.setToolTip("Book goods ordered from a supplier")
        self.new_action.triggered.connect(self.new_purchase_order)
        self.edit_action = QAction("&Edit purchase order…", self)
        self.edit_action.setShortcut(QKeySequence("Ctrl+E"))
        self.edit_action.setToolTip("Change the selected purchase order's date or lines")
        self.edit_action.triggered.connect(self.edit_selected)

        legend = QLabel(
            "Open purchase orders are the incoming stock behind every ETA. Tinted rows are "
            "overdue: the expected date has passed and goods are still missing."
        )
        legend.setStyleSheet(theme.muted_style())
        legend.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.search, 3)
        top.addWidget(QLabel("Show:"))
        top.addWidget(self.status_box, 1)
        top.addWidget(self.count_label)
        top.addWidget(self.new_button)
        top.addWidget(self.edit_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(legend)
        self._show_count()

    # ------------------------------------------------------------ data access

    def today(self) -> date:
        """Today where the desk is (the controller's clock, so tests can move it)."""
        return to_local(self.ctx.controller.clock()).date()

    def _fetch(
        self, offset: int, limit: int, sort: str | None, descending: bool
    ) -> list[PurchaseOrderRow]:
        return purchase_queries.purchase_orders(
            today=self.today(),
            search=self.search.text(),
            status=self.status_box.currentData(),
            sort=sort,
            descending=descending,
            offset=offset,
            limit=limit,
        )

    def _count(self) -> int:
        return purchase_queries.count_purchase_orders(
            today=self.today(), search=self.search.text(), status=self.status_box.currentData()
        )

    @staticmethod
    def _style(row: PurchaseOrderRow) -> RowStyle | None:
        if row.overdue:
            return RowStyle(background=theme.colors().age_14)
        if row.status != "open":
            return RowStyle(foreground=theme.colors().muted)
        return None

    def _size_columns(self) -> None:
        width = self.table.fontMetrics().horizontalAdvance
        samples = [
            "PO 0000",
            "A supplier with a long name",
            "00 Mmm 0000",
            "Open · overdue 00 days",
            "Lines",
            "Ordered",
            "Received",
            "Outstanding",
        ]
        for column, sample in enumerate(samples):
            self.table.setColumnWidth(column, width(sample) + 24)

    # ------------------------------------------------------------ behaviour

    def apply_filter(self) -> None:
        self._debounce.stop()
        self.model.reload()
        self._show_count()

    def refresh(self) -> None:
        self.model.refresh()
        self._show_count()

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def _show_count(self) -> None:
        total = self.model.total
        self.count_label.setText(f"{total:,} purchase order{'s' if total != 1 else ''}")

    def selected_row(self) -> PurchaseOrderRow | None:
        index: QModelIndex = self.table.currentIndex()
        if not index.isValid():
            return None
        row = self.model.data(index, ROW_ROLE)
        return row if isinstance(row, PurchaseOrderRow) else None

    def new_purchase_order(self) -> PurchaseOrderEditor:
        self.editor = open_po_editor(self.ctx, self)
        return self.editor

    def edit_selected(self) -> PurchaseOrderEditor | None:
        row = self.selected_row()
        if row is None:
            return None
        self.editor = open_po_editor(self.ctx, self, row.po_id)
        return self.editor

    def section_actions(self) -> list[QAction]:
        return [self.new_action, self.edit_action]
