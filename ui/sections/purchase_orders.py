"""The Purchase orders section: what is coming from suppliers, and when.

Open purchase orders are the incoming stock that ETAs are made of, so the list shows the
expected date, the units ordered and received, and marks an open PO whose date has passed
as *overdue* (in the Status column, in words, and with a tinted row). Search (supplier or
PO number) and the status filter run in SQL (``app.purchase_queries``). New and Edit open
``PurchaseOrderEditor``.

Below the list, the selected PO's waiting panel names the customers its units are meant
for (``app.purchasing.waiting_on``): for an overdue PO, the people to call. From there a
PO can be delayed (the customers whose dates move later are told) and a draft confirmed.
"Reorder suggestions…" (Ctrl+G) opens ``ReorderDialog``, which drafts POs per supplier.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QAction, QFont, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app import purchase_queries, purchasing
from app.clock import to_local
from app.errors import UserError
from app.purchase_queries import OVERDUE, PurchaseOrderRow
from app.purchasing import WaitingOnPO
from ui import theme
from ui.context import DeskContext
from ui.dialogs.delay_po import DelayDialog
from ui.dialogs.po_editor import PurchaseOrderEditor, open_po_editor
from ui.dialogs.reorder import ReorderDialog, open_reorder
from ui.paged_model import ROW_ROLE, Column, PagedTableModel, RowStyle
from ui.permissions import permit
from ui.section import Section, debounce_search, search_field, status_filter

STATUS_FILTERS = (
    ("All purchase orders", None, "Every purchase order"),
    ("Open", "open", "Still expecting goods: their units count as incoming for ETAs"),
    ("Draft", "draft", "Written down, not yet sent: not counted as incoming until confirmed"),
    ("Overdue", OVERDUE, "Open, and the expected date has passed"),
    ("Closed", "closed", "Every unit received"),
    ("Cancelled", "cancelled", "Not coming"),
)


def _status_text(row: PurchaseOrderRow, today: date) -> str:
    if row.overdue:
        late = (today - row.expected_date).days
        return f"Open · overdue {late} day{'s' if late != 1 else ''}"
    if row.status == "draft":
        return "Draft · not sent"
    return row.status.capitalize()


WAITING_PAGE = 100


def _contact(line: WaitingOnPO) -> str:
    return " · ".join(part for part in (line.email, line.phone) if part)


def _waiting_columns() -> list[Column[WaitingOnPO]]:
    return [
        Column(
            "Order", lambda w: w.order_id, numeric=True, tooltip="Enter or double-click opens it"
        ),
        Column("Customer", lambda w: w.customer),
        Column("Contact", _contact, tooltip="E-mail and phone"),
        Column("Product", lambda w: f"{w.sku} — {w.name}"),
        Column(
            "From this PO",
            lambda w: w.units_from_po,
            numeric=True,
            tooltip="Units of this purchase order meant for the line",
        ),
        Column("Waiting", lambda w: w.waiting, numeric=True, tooltip="Units the line waits for"),
        Column(
            "Told",
            lambda w: f"{w.eta_told:%d %b %Y}" if w.eta_told else "no date yet",
            tooltip="The date the customer was last told",
        ),
    ]


class WaitingPanel(QWidget):
    """Who waits on the selected purchase order: its units' share of each queue, paged
    from ``app.purchasing.waiting_on`` as the list scrolls."""

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.po_id: int | None = None
        self.lines = 0
        self.title = QLabel()
        self.title.setObjectName("waiting_title")
        self.title.setWordWrap(True)
        bold = QFont(self.title.font())
        bold.setBold(True)
        self.title.setFont(bold)
        self.delay_button = QPushButton("De&lay…")
        self.delay_button.setObjectName("delay")
        self.delay_button.setToolTip(
            "The supplier promises a later day: move the date and tell the customers whose "
            "items then come later (Ctrl+D)"
        )
        self.confirm_button = QPushButton("C&onfirm draft")
        self.confirm_button.setObjectName("confirm")
        self.confirm_button.setToolTip(
            "The draft was sent: its units count as incoming from now on (Ctrl+Shift+O)"
        )
        self.model: PagedTableModel[WaitingOnPO] = PagedTableModel(
            _waiting_columns(),
            fetch=self._fetch,
            count=lambda: self.lines,
            page_size=WAITING_PAGE,
        )
        self.table = QTableView()
        self.table.setObjectName("waiting_lines")
        self.table.setAccessibleName("Lines waiting on this purchase order")
        self.table.setModel(self.model)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda _index: self.open_order())
        self.table.activated.connect(lambda _index: self.open_order())
        self.hint = QLabel()
        self.hint.setObjectName("waiting_hint")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet(theme.muted_style())
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.delay_button)
        head.addWidget(self.confirm_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(head)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.hint)
        self.show_po(None, date.today())

    def _fetch(
        self, offset: int, limit: int, _sort: str | None, _descending: bool
    ) -> list[WaitingOnPO]:
        if self.po_id is None:
            return []
        return purchasing.waiting_on(self.po_id, offset=offset, limit=limit)

    def show_po(self, row: PurchaseOrderRow | None, today: date) -> None:
        """Show who waits on this PO (``None``: nothing selected)."""
        self.delay_button.setVisible(row is not None and row.status == "open")
        self.confirm_button.setVisible(row is not None and row.status == "draft")
        self.po_id = row.po_id if row is not None else None
        self.lines, customers = purchasing.count_waiting_on(row.po_id) if row else (0, 0)
        self.model.reload()
        self.title.setStyleSheet(theme.error_style() if row and row.overdue else "")
        self.title.setText(self._title(row, today, self.lines, customers))
        self.hint.setText(self._hint(row, self.lines))
        self.table.setVisible(self.lines > 0)

    def row(self, number: int) -> WaitingOnPO:
        return self.model.row(number)

    @staticmethod
    def _title(row: PurchaseOrderRow | None, today: date, lines: int, customers: int) -> str:
        if row is None:
            return "Select a purchase order to see the customers waiting on it."
        if row.status == "draft":
            return (
                f"PO {row.po_id} is a draft: nobody counts on it until it is confirmed "
                "(sent to the supplier)."
            )
        if row.status != "open":
            return f"PO {row.po_id} is {row.status}: nothing more is coming on it."
        who = (
            f"{lines} line{'s' if lines != 1 else ''} of {customers} "
            f"customer{'s' if customers != 1 else ''}"
        )
        if row.overdue:
            late = (today - row.expected_date).days
            return (
                f"PO {row.po_id} from {row.supplier} is overdue by {late} "
                f"day{'s' if late != 1 else ''}: {who} {'waits' if lines == 1 else 'wait'} "
                "on it."
            )
        if not lines:
            return (
                f"Nobody waits on PO {row.po_id} ({row.supplier}, expected "
                f"{row.expected_date:%d %b %Y}): its units will go on the shelf."
            )
        verb = "waits" if lines == 1 else "wait"
        return f"{who} {verb} on PO {row.po_id} (expected {row.expected_date:%d %b %Y})."

    @staticmethod
    def _hint(row: PurchaseOrderRow | None, lines: int) -> str:
        if row is None or row.status != "open" or not lines:
            return ""
        if row.overdue:
            return (
                "Ask the supplier for a new date, then Delay… (Ctrl+D): customers whose items "
                "then come later are told. Double-click a line to open its order."
            )
        return "Double-click a line to open its order."

    def open_order(self) -> None:
        index = self.table.currentIndex()
        if index.isValid() and index.row() < self.model.rowCount():
            self.ctx.open_order.emit(self.model.row(index.row()).order_id)


class PurchaseOrdersSection(Section):
    """The purchase orders list with New / Edit."""

    title = "Purchase orders"

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.editor: PurchaseOrderEditor | None = None
        self.reorder_dialog: ReorderDialog | None = None
        self.delay_dialog: DelayDialog | None = None
        self.search = search_field("Search supplier or PO number (Ctrl+F)")
        self._debounce = debounce_search(self.search, self.apply_filter, parent=self)
        self.status_box = status_filter(STATUS_FILTERS)
        self.status_box.currentIndexChanged.connect(lambda _index: self.apply_filter())
        self.count_label = QLabel()
        self.count_label.setObjectName("count")
        self.new_button = QPushButton("&New purchase order…")
        self.new_button.setToolTip("Book goods ordered from a supplier (Ctrl+Shift+N)")
        self.new_button.clicked.connect(self.new_purchase_order)
        self.edit_button = QPushButton("E&dit…")
        self.edit_button.setToolTip("Change the selected purchase order's date or lines (Enter)")
        self.edit_button.clicked.connect(self.edit_selected)
        self.reorder_button = QPushButton("&Reorder suggestions…")
        self.reorder_button.setObjectName("reorder")
        self.reorder_button.setToolTip(
            "What to order from each supplier for the queues and reorder points (Ctrl+G)"
        )
        self.reorder_button.clicked.connect(self.open_reorder)

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
        self.reorder_action = QAction("&Reorder suggestions…", self)
        self.reorder_action.setShortcut(QKeySequence("Ctrl+G"))  # Ctrl+R is Receiving
        self.reorder_action.setToolTip(
            "What to order from each supplier; turn a supplier's list into a draft PO"
        )
        self.reorder_action.triggered.connect(self.open_reorder)
        self.delay_action = QAction("De&lay purchase order…", self)
        self.delay_action.setShortcut(QKeySequence("Ctrl+D"))
        self.delay_action.setToolTip(
            "Move the selected open PO to a later day; customers whose items then come "
            "later are told"
        )
        self.delay_action.triggered.connect(self.delay_selected)
        self.confirm_action = QAction("C&onfirm draft purchase order", self)
        self.confirm_action.setShortcut(QKeySequence("Ctrl+Shift+O"))
        self.confirm_action.setToolTip("The selected draft was sent: count its units as incoming")
        self.confirm_action.triggered.connect(self.confirm_selected)

        self.waiting = WaitingPanel(ctx)
        self.waiting.delay_button.clicked.connect(self.delay_selected)
        self.waiting.confirm_button.clicked.connect(self.confirm_selected)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._show_waiting())
        self.message = QLabel()
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setVisible(False)

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
        top.addWidget(self.reorder_button)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.waiting)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        # Scaled to the room there is: three fifths for the list, the rest for who waits.
        self.splitter.setSizes([600, 400])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(legend)
        self._show_count()
        self._show_waiting()
        ctx.staff_changed.connect(self._show_waiting)

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
        selected = self.selected_row()
        self.model.refresh()
        self._show_count()
        if selected is not None:
            self.select_po(selected.po_id)
        self._show_waiting()

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
        if row is None or not self.edit_action.isEnabled():
            return None
        self.editor = open_po_editor(self.ctx, self, row.po_id)
        return self.editor

    def select_po(self, po_id: int) -> bool:
        """Make this PO (if loaded) the current row; returns whether it was found."""
        for number, row in enumerate(self.model.loaded_rows()):
            if row.po_id == po_id:
                self.table.selectRow(number)
                self.table.setCurrentIndex(self.model.index(number, 0))
                return True
        return False

    def _show_waiting(self) -> None:
        row = self.selected_row()
        self.waiting.show_po(row, self.today())
        is_open = row is not None and row.status == "open"
        is_draft = row is not None and row.status == "draft"
        for target, enabled in (
            (self.new_action, True),
            (self.new_button, True),
            (self.edit_action, True),
            (self.edit_button, True),
            (self.delay_action, is_open),
            (self.waiting.delay_button, is_open),
            (self.confirm_action, is_draft),
            (self.waiting.confirm_button, is_draft),
        ):
            permit(target, self.ctx, "purchase_orders", enabled=enabled)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message.setStyleSheet(theme.error_style() if error else theme.ok_style())
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def open_reorder(self) -> ReorderDialog:
        self.reorder_dialog = open_reorder(self.ctx, self)
        return self.reorder_dialog

    def delay_selected(self) -> DelayDialog | None:
        """Ask for the selected open PO's new date (window-modal)."""
        row = self.selected_row()
        if row is None or row.status != "open":
            return None
        dialog = DelayDialog(
            self.ctx,
            row.po_id,
            supplier=row.supplier,
            expected=row.expected_date,
            today=self.today(),
            parent=self,
        )
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.accepted.connect(lambda: self._delayed(dialog))
        dialog.finished.connect(lambda _result: dialog.deleteLater())
        self.delay_dialog = dialog
        dialog.open()
        return dialog

    def _delayed(self, dialog: DelayDialog) -> None:
        delay = dialog.result_delay
        self.delay_dialog = None
        if delay is None:
            return
        told = (
            f"{delay.customers_told} customer{'s' if delay.customers_told != 1 else ''} will "
            f"be told of a later date ({delay.lines_later} line"
            f"{'s' if delay.lines_later != 1 else ''})."
            if delay.customers_told
            else "No customer's date moved later than they were told."
        )
        self._say(f"PO {delay.po_id} is now expected on {delay.new:%d %b %Y}. {told}")

    def confirm_selected(self) -> None:
        """The selected draft was sent to the supplier: it becomes open (incoming)."""
        row = self.selected_row()
        if row is None or row.status != "draft":
            return
        try:
            self.ctx.controller.confirm_purchase_order(row.po_id)
        except UserError as error:
            self._say(str(error), error=True)
            return
        self._say(
            f"PO {row.po_id} is confirmed: its units count as incoming, expected "
            f"{row.expected_date:%d %b %Y}."
        )
        self.ctx.notify_changed()

    def section_actions(self) -> list[QAction]:
        return [
            self.new_action,
            self.edit_action,
            self.reorder_action,
            self.delay_action,
            self.confirm_action,
        ]
