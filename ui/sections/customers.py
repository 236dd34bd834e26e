"""The Customers section: who orders, how to reach them, and what the shop still owes them.

The list (name, e-mail, phone, open orders, waiting lines) is paged and searched in SQL
(``app.customer_queries``), debounced while typing. Under it, the selected customer's
card (contact details, notes), their orders (``app.order_queries.orders``) and their
waiting lines with ETAs (``app.queries.backorders``), each paged too. From here the clerk
starts a new order for the customer (``ctx.new_order``), edits or adds a customer, and
opens an order (``ctx.open_order``). ``ctx.open_customer(id)`` shows that customer here.

Constructing the section also wires ``ctx.new_order`` to the New order dialog
(``install_new_order``; idempotent), so the main window gets it by building its sections.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt
from PySide6.QtGui import QAction, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app import customer_queries, order_queries, queries
from app.clock import to_local, utcnow
from app.customer_queries import CustomerDetail, CustomerRow
from app.order_queries import OrderRow
from app.queries import BackorderRow
from ui import theme
from ui.context import DeskContext
from ui.dialogs.customer_editor import CustomerEditor
from ui.dialogs.new_order import install_new_order
from ui.paged_model import ROW_ROLE, Column, PagedTableModel, RowStyle
from ui.permissions import permit
from ui.section import Section, debounce_search, search_field

CUSTOMER_COLUMNS: list[Column[CustomerRow]] = [
    Column("Name", lambda r: r.name, sort_key="name"),
    Column("E-mail", lambda r: r.email or "", sort_key="email"),
    Column("Phone", lambda r: r.phone or "", sort_key="phone"),
    Column(
        "Open orders",
        lambda r: r.open_orders or "",
        numeric=True,
        tooltip="Orders not yet fully handed over or cancelled (open, partly waiting, ready)",
    ),
    Column(
        "Waiting lines",
        lambda r: r.waiting_lines or "",
        numeric=True,
        tooltip="Lines of this customer on the backorder list",
    ),
]

ORDER_COLUMNS: list[Column[OrderRow]] = [
    Column("Order", lambda r: r.order_id, numeric=True),
    Column("Placed", lambda r: f"{to_local(r.placed_at):%d %b %Y}"),
    Column("Status", lambda r: str(r.status).capitalize()),
    Column("Units", lambda r: r.ordered, numeric=True, tooltip="Units ordered"),
    Column("Ready", lambda r: r.reserved or "", numeric=True, tooltip="Reserved, to hand over"),
    Column("Waiting", lambda r: r.waiting or "", numeric=True, tooltip="Units waiting for stock"),
]

WAITING_COLUMNS: list[Column[BackorderRow]] = [
    Column("Order", lambda r: r.order_id, numeric=True),
    Column("Product", lambda r: f"{r.name} ({r.sku})"),
    Column("Waiting", lambda r: r.waiting, numeric=True, tooltip="Units still to come"),
    Column(
        "Days",
        lambda r: r.days_waiting(utcnow().date()),
        numeric=True,
        tooltip="Days since the order was placed",
    ),
    Column(
        "ETA",
        lambda r: f"{r.eta:%d %b %Y}" if r.eta else "no date yet",
        tooltip="When this line's units are expected, counting the customers ahead of it",
    ),
]


def _customer_style(row: CustomerRow) -> RowStyle | None:
    return RowStyle(background=theme.colors().waiting) if row.waiting_lines else None


def _table(model: PagedTableModel[object], name: str) -> QTableView:
    table = QTableView()
    table.setObjectName(name)
    table.setAccessibleName(name.capitalize())
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    table.setWordWrap(False)
    table.setTabKeyNavigation(False)
    table.horizontalHeader().setStretchLastSection(True)
    return table


class CustomerDetailView(QWidget):
    """One customer: the card, their orders and their waiting lines."""

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.customer_id: int | None = None
        self.detail: CustomerDetail | None = None

        self.name_label = QLabel("No customer selected")
        font = self.name_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.name_label.setFont(font)
        self.name_label.setWordWrap(True)
        self.name_label.setTextFormat(Qt.TextFormat.PlainText)
        self.contact_label = QLabel()
        self.contact_label.setWordWrap(True)
        self.contact_label.setTextFormat(Qt.TextFormat.RichText)
        self.contact_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notes_label = QLabel()
        self.notes_label.setWordWrap(True)
        self.notes_label.setTextFormat(Qt.TextFormat.PlainText)
        self.notes_label.setStyleSheet(theme.muted_style())
        self.new_order_button = QPushButton("New order for this customer")
        self.new_order_button.setToolTip("Start a new order for this customer (Ctrl+Shift+N)")
        self.new_order_button.clicked.connect(self.new_order)
        self.edit_button = QPushButton("Edit…")
        self.edit_button.setToolTip("Change this customer's name or contact details (Ctrl+E)")
        self.edit_button.clicked.connect(self.edit)
        self._order_targets: list[QAction] = []
        self._edit_targets: list[QAction] = []
        ctx.staff_changed.connect(self.apply_permissions)

        card = QFrame()
        card.setObjectName("card")
        card.setFrameShape(QFrame.Shape.StyledPanel)
        text = QVBoxLayout()
        text.addWidget(self.name_label)
        text.addWidget(self.contact_label)
        text.addWidget(self.notes_label)
        buttons = QVBoxLayout()
        buttons.addWidget(self.new_order_button)
        buttons.addWidget(self.edit_button)
        buttons.addStretch(1)
        card_layout = QHBoxLayout(card)
        card_layout.addLayout(text, 1)
        card_layout.addLayout(buttons)

        self.orders_model: PagedTableModel[OrderRow] = PagedTableModel(
            ORDER_COLUMNS, fetch=self._fetch_orders, count=self._count_orders, page_size=100
        )
        self.orders_table = _table(self.orders_model, "orders")  # type: ignore[arg-type]
        self.orders_table.setToolTip("Enter or double-click: open the order")
        self.orders_table.activated.connect(self._open_order)
        self.waiting_model: PagedTableModel[BackorderRow] = PagedTableModel(
            WAITING_COLUMNS, fetch=self._fetch_waiting, count=self._count_waiting, page_size=100
        )
        self.waiting_table = _table(self.waiting_model, "waiting")  # type: ignore[arg-type]
        self.waiting_table.setToolTip("Enter or double-click: open the order")
        self.waiting_table.activated.connect(self._open_waiting_order)
        self.orders_title = QLabel("Orders")
        self.orders_title.setBuddy(self.orders_table)
        self.waiting_title = QLabel("Waiting lines")
        self.waiting_title.setBuddy(self.waiting_table)

        lists = QGridLayout()
        lists.addWidget(self.orders_title, 0, 0)
        lists.addWidget(self.orders_table, 1, 0)
        lists.addWidget(self.waiting_title, 0, 1)
        lists.addWidget(self.waiting_table, 1, 1)
        lists.setColumnStretch(0, 1)
        lists.setColumnStretch(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(card)
        layout.addLayout(lists, 1)
        self._size_columns()
        self.show_customer(None)

    def _size_columns(self) -> None:
        width = self.fontMetrics().horizontalAdvance
        for table, samples in (
            (self.orders_table, ["000000", "00 Mmm 0000", "Partly waiting", "Units", "Ready"]),
            (self.waiting_table, ["000000", "", "Waiting", "Days", "00 Mmm 0000"]),
        ):
            header = table.horizontalHeader()
            header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
            for column, sample in enumerate(samples):
                if sample:
                    table.setColumnWidth(column, width(sample) + 24)
        # The product name takes what is left; the other columns keep their size.
        self.waiting_table.horizontalHeader().setStretchLastSection(False)
        self.waiting_table.horizontalHeader().setSectionResizeMode(
            1, QHeaderView.ResizeMode.Stretch
        )

    # ----------------------------------------------------------------- data

    def _fetch_orders(
        self, offset: int, limit: int, _sort: str | None, _desc: bool
    ) -> list[OrderRow]:
        if self.customer_id is None:
            return []
        return order_queries.orders(customer_id=self.customer_id, offset=offset, limit=limit)

    def _count_orders(self) -> int:
        if self.customer_id is None:
            return 0
        return order_queries.count_orders(customer_id=self.customer_id)

    def _fetch_waiting(
        self, offset: int, limit: int, _sort: str | None, _desc: bool
    ) -> list[BackorderRow]:
        if self.customer_id is None:
            return []
        return queries.backorders(customer_id=self.customer_id, offset=offset, limit=limit)

    def _count_waiting(self) -> int:
        if self.customer_id is None:
            return 0
        return queries.count_backorders(customer_id=self.customer_id)

    # ------------------------------------------------------------- behaviour

    def show_customer(self, customer_id: int | None) -> None:
        """Show this customer (``None``: nobody)."""
        self.customer_id = customer_id
        self.reload()

    def reload(self) -> None:
        """Read the shown customer again (the store changed)."""
        detail = (
            customer_queries.customer_detail(self.customer_id)
            if self.customer_id is not None
            else None
        )
        self.detail = detail
        if detail is None:
            self.customer_id = None
            self.name_label.setText("No customer selected")
            self.contact_label.setText("Choose a customer in the list to see their orders.")
            self.notes_label.clear()
        else:
            self.name_label.setText(detail.name)
            contact = [
                html.escape(detail.email) if detail.email else "no e-mail",
                html.escape(detail.phone) if detail.phone else "no phone",
                f"customer since {to_local(detail.created_at):%d %b %Y}",
            ]
            self.contact_label.setText(" &nbsp;·&nbsp; ".join(contact))
            self.notes_label.setText(detail.notes)
        self.notes_label.setVisible(bool(detail and detail.notes))
        self.apply_permissions()
        self.orders_model.reload()
        self.waiting_model.reload()
        orders, waiting = self.orders_model.total, self.waiting_model.total
        self.orders_title.setText(f"&Orders ({orders:,})" if detail else "&Orders")
        self.waiting_title.setText(f"&Waiting lines ({waiting:,})" if detail else "&Waiting lines")

    def apply_permissions(self) -> None:
        """Grey what the signed-in role may not do (and what needs a customer shown)."""
        shown = self.detail is not None
        orders: list[QAction | QWidget] = [self.new_order_button, *self._order_targets]
        edits: list[QAction | QWidget] = [self.edit_button, *self._edit_targets]
        for target in orders:
            permit(target, self.ctx, "place_order", enabled=shown)
        for target in edits:
            permit(target, self.ctx, "update_customer", enabled=shown)

    def mirror(self, *, order: QAction, edit: QAction) -> None:
        """Enable these menu actions (and explain them) exactly as the two buttons."""
        self._order_targets.append(order)
        self._edit_targets.append(edit)
        self.apply_permissions()

    def new_order(self) -> None:
        if self.customer_id is not None and self.new_order_button.isEnabled():
            self.ctx.new_order.emit(self.customer_id)

    def edit(self) -> None:
        if self.customer_id is None or not self.edit_button.isEnabled():
            return
        editor = CustomerEditor(self.ctx, self, customer_id=self.customer_id)
        self.editor = editor
        editor.open()

    def _open_order(self, index: QModelIndex) -> None:
        row = self.orders_model.data(index, ROW_ROLE)
        if isinstance(row, OrderRow):
            self.ctx.open_order.emit(row.order_id)

    def _open_waiting_order(self, index: QModelIndex) -> None:
        row = self.waiting_model.data(index, ROW_ROLE)
        if isinstance(row, BackorderRow):
            self.ctx.open_order.emit(row.order_id)


class CustomersSection(Section):
    """The customer list (search) over the selected customer's detail."""

    title = "Customers"

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        install_new_order(ctx, self)
        self.search = search_field("Search name, e-mail or phone (Ctrl+F)")
        self.search.setAccessibleName("Search customers")
        self._debounce = debounce_search(self.search, self.apply_filter, parent=self)
        self.count_label = QLabel()
        self.count_label.setObjectName("count")
        self.add_button = QPushButton("&Add customer…")
        self.add_button.setToolTip("Add a new customer (Ctrl+Shift+A)")
        self.add_button.clicked.connect(self.add_customer)

        self.model: PagedTableModel[CustomerRow] = PagedTableModel(
            CUSTOMER_COLUMNS,
            fetch=self._fetch,
            count=self._count,
            style=_customer_style,
            page_size=200,
            default_sort="name",
        )
        self.table = _table(self.model, "customers")  # type: ignore[arg-type]
        self.table.setToolTip("Enter: new order for the selected customer")
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)  # sorts once by the indicator: the first load
        width = self.table.fontMetrics().horizontalAdvance
        for column, sample in enumerate(
            [
                "A customer's fairly long name",
                "someone.long@example.com",
                "0000 000 0000",
                "Open orders",
                "Waiting lines",
            ]
        ):
            self.table.setColumnWidth(column, width(sample) + 24)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self.detail = CustomerDetailView(ctx)
        self.detail.setObjectName("detail")
        self.table.activated.connect(lambda _index: self.detail.new_order())
        self._build_actions()

        top = QHBoxLayout()
        top.addWidget(self.search, 3)
        top.addWidget(self.count_label)
        top.addWidget(self.add_button)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.detail)
        self._sized = False
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)
        self.setTabOrder(self.search, self.add_button)
        self.setTabOrder(self.add_button, self.table)
        self.setTabOrder(self.table, self.detail.new_order_button)
        self.setTabOrder(self.detail.new_order_button, self.detail.edit_button)
        self.setTabOrder(self.detail.edit_button, self.detail.orders_table)
        self.setTabOrder(self.detail.orders_table, self.detail.waiting_table)

        ctx.open_customer.connect(self.open_customer)
        self._show_count()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._sized:
            # First show: about half the height for the list, half for the customer.
            self._sized = True
            total = max(self.splitter.height(), 1)
            self.splitter.setSizes([total // 2, total - total // 2])

    # ------------------------------------------------------------ data access

    def _fetch(
        self, offset: int, limit: int, sort: str | None, descending: bool
    ) -> list[CustomerRow]:
        return customer_queries.customers(
            search=self.search.text(),
            sort=sort or "name",
            descending=descending,
            offset=offset,
            limit=limit,
        )

    def _count(self) -> int:
        return customer_queries.count_customers(search=self.search.text())

    # ------------------------------------------------------------ behaviour

    def apply_filter(self) -> None:
        """The search changed: first page again; the first match is shown below."""
        self._debounce.stop()
        self.model.reload()
        self._show_count()
        if not self._select_shown_customer() and self.model.rowCount() > 0:
            self.table.selectRow(0)

    def refresh(self) -> None:
        """The store changed: re-read the rows shown and the customer below."""
        self.model.refresh()
        self._show_count()
        self._select_shown_customer()
        self.detail.reload()

    def open_customer(self, customer_id: int) -> None:
        """Show this customer (asked for by another section or a dialog)."""
        self.detail.show_customer(customer_id)
        self._select_shown_customer()

    def add_customer(self) -> None:
        """Open the customer form; the new customer is shown once saved."""
        typed = self.search.text().strip()
        name = typed if typed and "@" not in typed and not any(c.isdigit() for c in typed) else ""
        editor = CustomerEditor(self.ctx, self, name=name)
        self.editor = editor

        def saved() -> None:
            if editor.customer_id:
                self.open_customer(editor.customer_id)

        editor.accepted.connect(saved)
        editor.open()

    def _show_count(self) -> None:
        total = self.model.total
        self.count_label.setText(f"{total:,} customer{'s' if total != 1 else ''}")

    def _select_shown_customer(self) -> bool:
        """Select the detail's customer in the list when it is among the rows loaded."""
        wanted = self.detail.customer_id
        selection = self.table.selectionModel()
        for number, row in enumerate(self.model.loaded_rows()):
            if row.customer_id == wanted:
                selection.blockSignals(True)
                selection.setCurrentIndex(
                    self.model.index(number, 0),
                    QItemSelectionModel.SelectionFlag.ClearAndSelect
                    | QItemSelectionModel.SelectionFlag.Rows,
                )
                selection.blockSignals(False)
                self.table.viewport().update()
                return True
        selection.clearSelection()
        return False

    def _row_changed(self, _current: QModelIndex, _previous: QModelIndex) -> None:
        index = self.table.currentIndex()
        row = self.model.data(index, ROW_ROLE) if index.isValid() else None
        if isinstance(row, CustomerRow) and row.customer_id != self.detail.customer_id:
            self.detail.show_customer(row.customer_id)

    # ------------------------------------------------------------ actions

    def _build_actions(self) -> None:
        self.add_action = QAction("&Add customer…", self)
        self.add_action.setShortcut(QKeySequence("Ctrl+Shift+A"))
        self.add_action.setToolTip("Add a new customer")
        self.add_action.triggered.connect(self.add_customer)
        self.edit_action = QAction("&Edit customer…", self)
        self.edit_action.setShortcut(QKeySequence("Ctrl+E"))
        self.edit_action.setToolTip("Change the shown customer's name or contact details")
        self.edit_action.triggered.connect(self.detail.edit)
        self.order_action = QAction("&New order for this customer…", self)
        self.order_action.setShortcut(QKeySequence("Ctrl+Shift+N"))
        self.order_action.setToolTip("Start a new order for the shown customer")
        self.order_action.triggered.connect(self.detail.new_order)
        self.detail.mirror(order=self.order_action, edit=self.edit_action)
        self.ctx.staff_changed.connect(self._apply_permissions)
        self._apply_permissions()

    def _apply_permissions(self) -> None:
        for target in (self.add_action, self.add_button):
            permit(target, self.ctx, "add_customer")

    def section_actions(self) -> list[QAction]:
        return [self.add_action, self.edit_action, self.order_action]
