"""The Inventory section: every product with its stock figures, paged from SQL.

Columns: SKU, name, price, on hand, reserved, available, waiting, incoming, reorder point,
barcodes. Rows of products that customers are waiting for are tinted (``theme.colors().
waiting``); a product below its reorder point gets a "▼" mark in that column, in words in
the tooltip. Search (SKU, name or barcode) and the "only with waiting lines" filter run in
the database, debounced while typing. Add / edit a product and adjust stock open dialogs.
Export saves the products shown, or the stock ledger (every movement), as CSV files.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app import queries
from app.export import LedgerFilter, ProductFilter, export_ledger, export_products
from app.queries import StockFigures
from app.validation import format_cents
from ui import theme
from ui.context import DeskContext
from ui.export_ui import ExportRunner, LedgerExportDialog
from ui.message_bar import MessageBar
from ui.paged_model import Column, Index, PagedTableModel, RowStyle
from ui.permissions import permit
from ui.section import Section, debounce_search, search_field

REORDER_COLUMN = 8


def _reorder_text(row: StockFigures) -> str:
    return f"▼ {row.reorder_point}" if row.below_reorder_point else str(row.reorder_point)


COLUMNS: list[Column[StockFigures]] = [
    Column("SKU", lambda r: r.sku, sort_key="sku"),
    Column("Name", lambda r: r.name, sort_key="name"),
    Column("Price", lambda r: format_cents(r.price_cents), numeric=True),
    Column(
        "On hand",
        lambda r: r.on_hand,
        sort_key="on_hand",
        numeric=True,
        tooltip="Units in the shop",
    ),
    Column(
        "Reserved",
        lambda r: r.reserved,
        sort_key="reserved",
        numeric=True,
        tooltip="Units on the shelf that belong to orders (ready to pick)",
    ),
    Column(
        "Available",
        lambda r: r.available,
        sort_key="available",
        numeric=True,
        tooltip="On hand minus reserved: what a new order can take",
    ),
    Column(
        "Waiting",
        lambda r: r.waiting,
        sort_key="waiting",
        numeric=True,
        tooltip="Units customers are waiting for (the backorder queue)",
    ),
    Column(
        "Incoming",
        lambda r: r.incoming,
        numeric=True,
        tooltip="Units still to come on open purchase orders",
    ),
    Column(
        "Reorder point",
        _reorder_text,
        numeric=True,
        tooltip="▼: available + incoming − waiting is below the reorder point; order more",
    ),
    Column("Barcodes", lambda r: ", ".join(r.barcodes)),
]


class ProductTableModel(PagedTableModel[StockFigures]):
    """Products, with the below-reorder-point mark coloured and explained per cell."""

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (
            index.isValid()
            and index.column() == REORDER_COLUMN
            and index.row() < self.rowCount()
            and role in (Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.ToolTipRole)
        ):
            row = self.row(index.row())
            if row.below_reorder_point:
                if role == Qt.ItemDataRole.ForegroundRole:
                    return theme.colors().below_reorder
                cover = row.available + row.incoming - row.waiting
                return (
                    f"Below reorder point: available {row.available} + incoming "
                    f"{row.incoming} − waiting {row.waiting} = {cover}, under "
                    f"{row.reorder_point}. Order more."
                )
        if (
            role == Qt.ItemDataRole.ToolTipRole
            and index.isValid()
            and index.row() < self.rowCount()
        ):
            row = self.row(index.row())
            if row.waiting:
                return f"Customers are waiting for {row.waiting} units of {row.sku}."
        return super().data(index, role)


def _row_style(row: StockFigures) -> RowStyle | None:
    if row.waiting > 0:
        return RowStyle(background=theme.colors().waiting)
    return None


class InventorySection(Section):
    """Products and stock; add, edit, adjust."""

    title = "Inventory"

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self._stale = False
        self.dialog: QDialog | None = None

        self.search = search_field("Search SKU, name or barcode (Ctrl+F)")
        self.search.setToolTip(
            "Type to filter the products by SKU, name or barcode (Ctrl+F); ↓ goes to the list"
        )
        self.search.installEventFilter(self)
        self.only_waiting = QCheckBox("Only with &waiting lines")
        self.only_waiting.setToolTip(
            "Show only products that customers are waiting for (Ctrl+Shift+W)"
        )
        self.count_label = QLabel()
        self.count_label.setObjectName("count")

        self.model = ProductTableModel(
            COLUMNS,
            fetch=self._fetch,
            count=self._count,
            style=_row_style,
            default_sort="sku",
        )
        self.table = QTableView()
        self.table.setObjectName("products")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        header.sortIndicatorChanged.connect(self._sort_changed)
        self.table.activated.connect(lambda _index: self.edit_product())

        self._search_timer = debounce_search(self.search, self.apply_filter, parent=self)
        self.only_waiting.toggled.connect(self._waiting_toggled)

        self.message = MessageBar()
        self.exporter = ExportRunner(self, self.message)
        self.ledger_dialog: LedgerExportDialog | None = None
        self._build_actions()
        self.exporter.busy_changed.connect(lambda _busy: self._update_actions())

        bar = QHBoxLayout()
        self.search.setMinimumWidth(self.fontMetrics().averageCharWidth() * 28)
        bar.addWidget(self.search, 3)
        bar.addWidget(self.only_waiting)
        bar.addStretch(1)
        for action in (self.add_action, self.edit_action, self.adjust_action, self.export_action):
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            bar.addWidget(button)

        legend = QLabel("Tinted rows: customers are waiting  ·  ▼ below the reorder point")
        legend.setObjectName("legend")
        legend.setStyleSheet(theme.muted_style())
        footer = QHBoxLayout()
        footer.addWidget(self.count_label)
        footer.addStretch(1)
        footer.addWidget(legend)

        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)
        layout.addLayout(footer)
        self.setFocusProxy(self.search)
        QWidget.setTabOrder(self.search, self.only_waiting)
        QWidget.setTabOrder(self.only_waiting, self.table)

        self.model.reload()
        self._after_load()
        self._size_columns()
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        ctx.staff_changed.connect(self._update_actions)
        self._update_actions()

    def _size_columns(self) -> None:
        """Fit the columns to the first page once; the name takes what is left."""
        rows = self.table.verticalHeader()
        rows.setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        metrics = self.fontMetrics()
        pad = metrics.horizontalAdvance("0") * 2 + 4
        for number, column in enumerate(COLUMNS):
            sample = "0" * 13 if column.title == "Barcodes" else "99,999"
            width = max(metrics.horizontalAdvance(column.title), metrics.horizontalAdvance(sample))
            header.resizeSection(number, width + pad)
        self.table.resizeColumnToContents(0)
        # Names are what people read: give them room, and let the table scroll sideways
        # rather than squeeze them when the font is large.
        header.resizeSection(1, metrics.averageCharWidth() * 30)
        header.setStretchLastSection(True)

    # ---------------------------------------------------------------- actions

    def _build_actions(self) -> None:
        def make(text: str, keys: str, tip: str, slot: Any) -> QAction:
            action = QAction(text, self)
            action.setShortcut(QKeySequence(keys))
            shown = QKeySequence(keys).toString(QKeySequence.SequenceFormat.NativeText)
            action.setToolTip(f"{tip} ({shown})")
            action.setStatusTip(tip)
            action.triggered.connect(slot)
            return action

        self.add_action = make(
            "&Add product…", "Ctrl+Shift+N", "Add a new product", self.add_product
        )
        self.edit_action = make(
            "&Edit product…",
            "Ctrl+E",
            "Change the selected product's name, price, reorder point or barcodes",
            self.edit_product,
        )
        self.adjust_action = make(
            "Ad&just stock…",
            "Ctrl+J",
            "Correct the selected product's stock count (a reason is required)",
            self.adjust_stock,
        )
        self.waiting_action = make(
            "Only products with &waiting lines",
            "Ctrl+Shift+W",
            "Show only products that customers are waiting for",
            lambda: None,
        )
        self.waiting_action.setCheckable(True)
        self.waiting_action.toggled.connect(self.only_waiting.setChecked)
        self.export_action = make(
            "E&xport products…",
            "Ctrl+Shift+E",
            "Save the products shown (search and filter, every page) with their stock "
            "figures as a CSV file",
            self.export_view,
        )
        self.export_action.setIconText("Export…")
        self.ledger_action = make(
            "Export stock &ledger…",
            "Ctrl+Shift+L",
            "Save every stock movement (of all products or the selected one, between two "
            "days) as a CSV file",
            self.export_ledger,
        )

    def section_actions(self) -> list[QAction]:
        return [
            self.add_action,
            self.edit_action,
            self.adjust_action,
            self.waiting_action,
            self.export_action,
            self.ledger_action,
        ]

    def _update_actions(self) -> None:
        chosen = self.selected_product() is not None
        permit(self.add_action, self.ctx, "add_product")
        permit(self.edit_action, self.ctx, "update_product", enabled=chosen)
        permit(self.adjust_action, self.ctx, "adjust_stock", enabled=chosen)
        self.export_action.setEnabled(not self.exporter.busy)
        self.ledger_action.setEnabled(not self.exporter.busy)

    # ----------------------------------------------------------------- export

    def current_filter(self) -> ProductFilter:
        """The search, filter and sort in force, as the export needs them."""
        return ProductFilter(
            search=self.search.text(),
            only_waiting=self.only_waiting.isChecked(),
            sort=self.model.sort_key or "sku",
            descending=self.model.descending,
        )

    def export_view(self) -> None:
        """Ask where, then export every product of the current view."""
        path = self.exporter.choose("Export products", f"products-{date.today().isoformat()}.csv")
        if path:
            self.export_to(path)

    def export_to(self, path: str) -> bool:
        """Export the current view to ``path`` in the background (False: one is running)."""
        view = self.current_filter()
        return self.exporter.start(
            path,
            lambda target, progress: export_products(target, view, progress=progress),
            noun="product",
            title="Exporting products",
        )

    def export_ledger(self) -> None:
        """Ask which movements (every product or the selected one, which days), then
        where to save them."""
        chosen = self.selected_product()
        dialog = LedgerExportDialog(
            self,
            product=(chosen.product_id, f"{chosen.sku} — {chosen.name}") if chosen else None,
            today=date.today(),
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._ledger_chosen(dialog.ledger_filter()))
        dialog.finished.connect(lambda _result: setattr(self, "ledger_dialog", None))
        self.ledger_dialog = dialog
        dialog.open()

    def _ledger_chosen(self, view: LedgerFilter) -> None:
        name = f"stock-ledger-{date.today().isoformat()}.csv"
        path = self.exporter.choose("Export stock ledger", name)
        if path:
            self.export_ledger_to(path, view)

    def export_ledger_to(self, path: str, view: LedgerFilter) -> bool:
        """Export the stock movements of ``view`` to ``path`` in the background."""
        return self.exporter.start(
            path,
            lambda target, progress: export_ledger(target, view, progress=progress),
            noun="stock movement",
            title="Exporting the stock ledger",
        )

    # ------------------------------------------------------------- data access

    def _fetch(
        self, offset: int, limit: int, sort: str | None, descending: bool
    ) -> list[StockFigures]:
        return queries.product_figures(
            search=self.search.text().strip() or None,
            only_waiting=self.only_waiting.isChecked(),
            sort=sort or "sku",
            descending=descending,
            offset=offset,
            limit=limit,
        )

    def _count(self) -> int:
        return queries.count_products(
            search=self.search.text().strip() or None, only_waiting=self.only_waiting.isChecked()
        )

    def _after_load(self) -> None:
        total = self.model.total
        noun = "product" if total == 1 else "products"
        filtered = bool(self.search.text().strip()) or self.only_waiting.isChecked()
        self.count_label.setText(f"{total:,} {noun}" + (" match" if filtered else ""))

    # ---------------------------------------------------------------- filtering

    def apply_filter(self) -> None:
        """Run the search and filter now (typing waits SEARCH_DELAY_MS first)."""
        self._search_timer.stop()
        self.model.reload()
        self._after_load()
        self._size_columns()
        if self.model.rowCount() == 1:
            self.table.selectRow(0)
        self._update_actions()

    def _waiting_toggled(self, checked: bool) -> None:
        if self.waiting_action.isChecked() != checked:
            self.waiting_action.setChecked(checked)
        self.apply_filter()

    def _sort_changed(self, column: int, order: Qt.SortOrder) -> None:
        if COLUMNS[column].sort_key is None:
            # Not sortable in SQL (computed per page): put the indicator back.
            current = next(
                (i for i, c in enumerate(COLUMNS) if c.sort_key == self.model.sort_key), 0
            )
            header = self.table.horizontalHeader()
            header.blockSignals(True)
            header.setSortIndicator(
                current,
                Qt.SortOrder.DescendingOrder
                if self.model.descending
                else Qt.SortOrder.AscendingOrder,
            )
            header.blockSignals(False)
            return
        chosen = self.selected_product()
        self.model.sort(column, order)
        self._reselect(chosen.product_id if chosen else None)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.search and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() == Qt.Key.Key_Down and self.model.rowCount():
                self.table.setFocus()
                if self.selected_product() is None:
                    self.table.selectRow(0)
                return True
            if event.key() == Qt.Key.Key_Escape and self.search.text():
                self.search.clear()
                return True
        return super().eventFilter(watched, event)

    # ---------------------------------------------------------------- Section

    def refresh(self) -> None:
        """Re-read the rows shown; a hidden section waits until it is shown again."""
        if not self.isVisible():
            self._stale = True
            return
        self._stale = False
        chosen = self.selected_product()
        self.model.refresh()
        self._after_load()
        self._reselect(chosen.product_id if chosen else None)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    # --------------------------------------------------------------- selection

    def selected_product(self) -> StockFigures | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows:
            return None
        return self.model.row(rows[0].row())

    def select_product(self, product_id: int) -> bool:
        """Select the product's row if it is among the rows loaded."""
        return self._reselect(product_id)

    def _reselect(self, product_id: int | None) -> bool:
        if product_id is None:
            self._update_actions()
            return False
        for number, row in enumerate(self.model.loaded_rows()):
            if row.product_id == product_id:
                self.table.selectRow(number)
                self.table.scrollTo(self.model.index(number, 0))
                self._update_actions()
                return True
        self._update_actions()
        return False

    # ----------------------------------------------------------------- dialogs

    def add_product(self) -> None:
        from ui.dialogs.product_editor import ProductEditor

        self._open_dialog(ProductEditor(self.ctx, None, self))

    def edit_product(self) -> None:
        from ui.dialogs.product_editor import ProductEditor

        chosen = self.selected_product()
        if chosen is not None and self.edit_action.isEnabled():
            self._open_dialog(ProductEditor(self.ctx, chosen.product_id, self))

    def adjust_stock(self) -> None:
        from ui.dialogs.adjust_stock import AdjustStockDialog

        chosen = self.selected_product()
        if chosen is not None:
            self._open_dialog(AdjustStockDialog(self.ctx, chosen.product_id, self))

    def _open_dialog(self, dialog: QDialog) -> None:
        """Show a window-modal dialog without blocking (``self.dialog`` while it is open)."""
        self.dialog = dialog
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _result: self._dialog_closed(dialog))
        dialog.open()

    def _dialog_closed(self, dialog: QDialog) -> None:
        product_id = getattr(dialog, "product_id", None)
        if self.dialog is dialog:
            self.dialog = None
        if product_id is not None:
            self._reselect(product_id)
        self.table.setFocus()
