"""The Orders section: every order with its status, and the selected order in full below.

The list is paged from SQL (``app.order_queries``): search (customer name or order
number) and the status filter run in the database, debounced while typing; the status of
each row comes from one aggregate over the page's lines. Rows with units waiting are tinted
(``theme.colors().waiting``); cancelled ones are greyed. Under the list,
``OrderDetailView`` shows the selected order, and ``ctx.open_order(order_id)`` (emitted by
any section) shows that order here. Export (Ctrl+Shift+E) saves every order of the view as
a CSV file, one row per order line (``app.export``).
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QAction, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app import order_queries
from app.clock import to_local
from app.export import OrderFilter, export_orders
from app.order_queries import STATUS_MEANING, OrderRow, OrderStatus
from ui import theme
from ui.context import DeskContext
from ui.dialogs.order_detail import OrderDetailView
from ui.export_ui import ExportRunner
from ui.message_bar import MessageBar
from ui.paged_model import ROW_ROLE, Column, PagedTableModel, RowStyle
from ui.permissions import permit
from ui.section import Section, debounce_search, search_field, status_filter

PLACED_COLUMN = 1

COLUMNS: list[Column[OrderRow]] = [
    Column("Order", lambda r: r.order_id, sort_key="order", numeric=True),
    Column(
        "Placed",
        lambda r: f"{to_local(r.placed_at):%d %b %Y %H:%M}",
        sort_key="placed_at",
        tooltip="When the order was taken (local time)",
    ),
    Column("Customer", lambda r: r.customer, sort_key="customer"),
    Column(
        "Status",
        lambda r: str(r.status).capitalize(),
        tooltip="Open: waiting, nothing to hand over · Partly waiting: some ready, some "
        "waiting · Ready: nothing waiting · Shipped · Cancelled (filter with the box above)",
    ),
    Column("Lines", lambda r: r.lines, numeric=True),
    Column("Units", lambda r: r.ordered, numeric=True, tooltip="Units ordered"),
    Column(
        "Ready",
        lambda r: r.reserved or "",
        numeric=True,
        tooltip="Units reserved on the shelf, ready to hand over",
    ),
    Column(
        "Waiting",
        lambda r: r.waiting or "",
        numeric=True,
        tooltip="Units on the backorder list",
    ),
    Column("Shipped", lambda r: r.shipped or "", numeric=True),
    Column("Taken by", lambda r: r.staff, sort_key="staff"),
]


def _style(row: OrderRow) -> RowStyle | None:
    if row.waiting:
        return RowStyle(background=theme.colors().waiting)
    if row.status is OrderStatus.CANCELLED:
        return RowStyle(foreground=theme.colors().muted)
    return None


class OrdersSection(Section):
    """The orders list (search, status filter) over the selected order's detail."""

    title = "Orders"

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.search = search_field("Search customer name or order number (Ctrl+F)")
        self.search.setAccessibleName("Search orders")
        self._debounce = debounce_search(self.search, self.apply_filter, parent=self)

        self.status_box = status_filter(
            [
                ("All statuses", None, ""),
                *((str(s).capitalize(), str(s), STATUS_MEANING[s]) for s in OrderStatus),
            ]
        )
        self.status_box.setToolTip("Show only orders in one status")
        self.status_box.currentIndexChanged.connect(lambda _index: self.apply_filter())
        status_label = QLabel("Status:")
        status_label.setBuddy(self.status_box)
        self.count_label = QLabel()
        self.count_label.setObjectName("count")
        self.new_button = QPushButton("&New order…")
        self.new_button.setToolTip("Start a new order at the counter (Ctrl+N)")
        self.new_button.clicked.connect(lambda: self.ctx.new_order.emit(0))

        self.model: PagedTableModel[OrderRow] = PagedTableModel(
            COLUMNS,
            fetch=self._fetch,
            count=self._count,
            style=_style,
            page_size=200,
            default_sort="placed_at",
        )
        self.model.descending = True
        self.table = QTableView()
        self.table.setObjectName("orders")
        self.table.setAccessibleName("Orders")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(False)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setSortIndicator(PLACED_COLUMN, Qt.SortOrder.DescendingOrder)
        # Enabling sorting sorts once by the indicator: that is the first load.
        self.table.setSortingEnabled(True)
        self._size_columns()
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)

        self.detail = OrderDetailView(ctx)
        self.detail.setObjectName("detail")

        self.message = MessageBar()
        self.exporter = ExportRunner(self, self.message)
        self._build_actions()
        self.detail.mirror(ship=self.ship_action, cancel=self.cancel_action)
        ctx.staff_changed.connect(self._apply_permissions)
        self._apply_permissions()
        self.exporter.busy_changed.connect(lambda busy: self.export_action.setEnabled(not busy))
        export_button = QToolButton()
        export_button.setDefaultAction(self.export_action)
        export_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)

        top = QHBoxLayout()
        top.addWidget(self.search, 3)
        top.addWidget(status_label)
        top.addWidget(self.status_box, 1)
        top.addWidget(self.count_label)
        top.addWidget(self.new_button)
        top.addWidget(export_button)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        self.splitter = splitter
        self._sized = False
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(splitter, 1)
        self.setTabOrder(self.search, self.status_box)
        self.setTabOrder(self.status_box, self.table)
        self.setTabOrder(self.table, self.detail.lines_table)

        ctx.open_order.connect(self.open_order)
        self._show_count()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._sized:
            # First show: give the list about 40 % of the height (enough for ~10 rows).
            self._sized = True
            total = max(self.splitter.height(), 1)
            self.splitter.setSizes([total * 2 // 5, total - total * 2 // 5])

    # ------------------------------------------------------------ data access

    def _filter(self) -> tuple[str, str | None]:
        return self.search.text(), self.status_box.currentData()

    def _fetch(self, offset: int, limit: int, sort: str | None, descending: bool) -> list[OrderRow]:
        search, status = self._filter()
        loaded = self.model.loaded_rows() if offset else []
        return order_queries.orders(
            search=search,
            status=status,
            sort=sort or "placed_at",
            descending=descending,
            offset=offset,
            limit=limit,
            # Scrolling on: continue after the last row shown rather than skip ``offset``.
            after=loaded[-1] if offset and len(loaded) == offset else None,
            # The count the model has just made picks the faster plan for a rare status.
            matching=self.model.total if status else None,
        )

    def _count(self) -> int:
        search, status = self._filter()
        return order_queries.count_orders(search=search, status=status)

    def _size_columns(self) -> None:
        width = self.table.fontMetrics().horizontalAdvance
        for column, sample in enumerate(
            [
                "Order 00000",
                "00 Mmm 0000 00:00",
                "Customer name that is long",
                "Partly waiting",
                "Lines",
                "Units",
                "Ready",
                "Waiting",
                "Shipped",
                "Taken by",
            ]
        ):
            self.table.setColumnWidth(column, width(sample) + 24)

    # ------------------------------------------------------------ behaviour

    def apply_filter(self) -> None:
        """Search or status changed: read the first page again and keep the detail."""
        self._debounce.stop()
        self.model.reload()
        self._show_count()
        self._select_shown_order()

    def refresh(self) -> None:
        """The store changed: re-read the rows shown and the order in the detail."""
        self.model.refresh()
        self._show_count()
        self._select_shown_order()
        self.detail.reload()

    def open_order(self, order_id: int) -> None:
        """Show this order in the detail (asked for by another section or a dialog)."""
        self.detail.show_order(order_id)
        self._select_shown_order()

    def _show_count(self) -> None:
        total = self.model.total
        self.count_label.setText(f"{total:,} order{'s' if total != 1 else ''}")

    def _select_shown_order(self) -> None:
        """Select the detail's order in the list when it is among the rows loaded."""
        wanted = self.detail.order_id
        selection = self.table.selectionModel()
        for row_number, row in enumerate(self.model.loaded_rows()):
            if row.order_id == wanted:
                index = self.model.index(row_number, 0)
                selection.blockSignals(True)
                selection.setCurrentIndex(
                    index,
                    QItemSelectionModel.SelectionFlag.ClearAndSelect
                    | QItemSelectionModel.SelectionFlag.Rows,
                )
                selection.blockSignals(False)
                self.table.viewport().update()
                return
        selection.clearSelection()

    def _row_changed(self, current: object, _previous: object) -> None:
        index = self.table.currentIndex()
        if not index.isValid():
            return
        row = self.model.data(index, ROW_ROLE)
        if isinstance(row, OrderRow):
            self.detail.show_order(row.order_id)

    # ------------------------------------------------------------ actions

    def _build_actions(self) -> None:
        self.ship_action = QAction("&Ship ready lines", self)
        self.ship_action.setShortcut(QKeySequence("Ctrl+Shift+S"))
        self.ship_action.setToolTip(
            "Hand over every reserved unit of the shown order, including the in-stock part "
            "of waiting lines"
        )
        self.ship_action.triggered.connect(self.detail.ship_ready_lines)
        self.cancel_action = QAction("&Cancel line…", self)
        self.cancel_action.setShortcut(QKeySequence("Ctrl+Del"))
        self.cancel_action.setToolTip("Cancel what is left of the selected line, with a reason")
        self.cancel_action.triggered.connect(self.detail.cancel_selected_line)
        self.status_action = QAction("Filter by s&tatus", self)
        self.status_action.setShortcut(QKeySequence("Alt+T"))
        self.status_action.setToolTip("Choose which orders to show by status")
        self.status_action.triggered.connect(self._focus_status)
        self.customer_action = QAction("Show the &customer", self)
        self.customer_action.setShortcut(QKeySequence("Ctrl+Shift+C"))
        self.customer_action.setToolTip("Open the shown order's customer in Customers")
        self.customer_action.triggered.connect(self.detail.open_customer_button.click)
        self.export_action = QAction("&Export orders…", self)
        self.export_action.setShortcut(QKeySequence("Ctrl+Shift+E"))
        self.export_action.setToolTip(
            "Save the orders shown (search and status filter, every page) as a CSV file, one "
            "row per order line (Ctrl+Shift+E)"
        )
        self.export_action.setIconText("Export…")
        self.export_action.triggered.connect(self.export_view)

    def _apply_permissions(self) -> None:
        permit(self.new_button, self.ctx, "place_order")

    def _focus_status(self) -> None:
        self.status_box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.status_box.showPopup()

    def section_actions(self) -> list[QAction]:
        return [
            self.ship_action,
            self.cancel_action,
            self.status_action,
            self.customer_action,
            self.export_action,
        ]

    def current_filter(self) -> OrderFilter:
        """The search, status and sort in force, as the export needs them."""
        search, status = self._filter()
        return OrderFilter(
            search=search,
            status=OrderStatus(status) if status else None,
            sort=self.model.sort_key or "placed_at",
            descending=self.model.descending,
        )

    def export_view(self) -> None:
        """Ask where, then export every order of the current view, one row per line."""
        path = self.exporter.choose("Export orders", f"orders-{date.today().isoformat()}.csv")
        if path:
            self.export_to(path)

    def export_to(self, path: str) -> bool:
        """Export the current view to ``path`` in the background (False: one is running)."""
        view = self.current_filter()
        return self.exporter.start(
            path,
            lambda target, progress: export_orders(target, view, progress=progress),
            noun="order line",
            title="Exporting orders",
        )
