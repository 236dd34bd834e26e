"""The Backorders section: the queue of waiting lines and what the clerk does with them.

The list is a ``PagedTableModel`` over ``app.queries.backorders``: filtering (product,
customer, age, search) and sorting run in SQL and rows arrive a page at a time, so a store
with a hundred thousand orders opens as fast as a small one. By default the rows are in
serving order (priority, then time placed), the order in which stock will reach them.

Actions on the selected lines: cancel with a reason (one confirmation that says what is
released to whom), raise or lower priority, open the order, copy the customer's contact,
and export the current view (every matching line, not just those loaded) to CSV, or to a
PDF to print (``ui.backorder_pdf``), in the background.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from PySide6.QtCore import (
    QItemSelection,
    QItemSelectionModel,
    QPoint,
    QStringListModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QFont, QGuiApplication, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app import queries
from app.backorder_view import (
    AGE_STEPS,
    BackorderFilter,
    Choice,
    waiting_customers,
    waiting_products,
)
from app.clock import to_local
from app.errors import UserError
from app.export import PdfWritten, export_backorders
from app.queries import BackorderRow
from app.validation import parse_priority
from ui.backorder_pdf import save_backorder_pdf
from ui.context import DeskContext
from ui.dialogs.cancel_backorder import CancelBackorderDialog, outcome_lines
from ui.dialogs.priority import PriorityDialog
from ui.export_ui import CSV_FILES, PDF_FILES, AskPath, ask_save_path
from ui.message_bar import MessageBar
from ui.paged_model import Column, Index, PagedTableModel, RowStyle
from ui.permissions import cancel_permission, permit, show_permission
from ui.section import Section, search_field
from ui.theme import age_color, colors, muted_style
from ui.worker import run_in_background

#: Typing pauses this long before the list (or a filter field's suggestions) is asked again.
DEBOUNCE_MS = 150
PAGE_SIZE = 100

EMPTY_TEXT = "No one is waiting. Lines a customer chose to wait for appear here."
NO_MATCH_TEXT = "No waiting line matches these filters."

# Column positions.
ORDER, CUSTOMER, CONTACT, SKU, PRODUCT, WAITING, DAYS, ETA, PRIORITY, STATUS = range(10)


def contact_text(row: BackorderRow) -> str:
    """E-mail and phone on one line, whichever the customer gave."""
    return " · ".join(part for part in (row.email, row.phone) if part)


def days_text(days: int) -> str:
    if days == 0:
        return "today"
    return "1 day" if days == 1 else f"{days} days"


def short_day(day: date | None, today: date) -> str:
    """``12 Dec``, with the year only when it is not this year (keeps the column narrow)."""
    if day is None:
        return "no date"
    return f"{day.day} {day:%b}" if day.year == today.year else f"{day.day} {day:%b %Y}"


def moved_later(row: BackorderRow) -> bool:
    """The line's date moved later and the customer has been told the new one."""
    move = row.eta_moved
    return move is not None and move.new == row.eta_told == row.eta


def eta_text(row: BackorderRow, today: date) -> str:
    """The booked date (``12 Dec``, ``3 Nov — overdue``), else the lead-time estimate
    marked as one (``~26 Nov (estimate)``), else ``no date yet``; then how it stands
    against what the customer was told: ``(was 5 Dec)`` after a later date was sent,
    ``(told 20 Dec)`` when it differs from the date they hold (a customer told "no date
    yet" who now has one is only mentioned in the tooltip: it is the usual case)."""
    if row.eta is None:
        estimate = row.estimate(today)
        shown = f"~{short_day(estimate, today)} (estimate)" if estimate else "no date yet"
    else:
        shown = short_day(row.eta, today)
        if row.eta < today:
            shown += " — overdue"
    if moved_later(row):
        assert row.eta_moved is not None
        return f"{shown} (was {short_day(row.eta_moved.old, today)})"
    if row.eta_told is not None and row.eta_told != row.eta:
        return f"{shown} (told {short_day(row.eta_told, today)})"
    return shown


def status_text(row: BackorderRow) -> str:
    """``waiting`` or ``2 of 5 reserved`` (of the units still open on the line)."""
    if row.reserved:
        return f"{row.reserved} of {row.reserved + row.waiting} reserved"
    return "waiting"


def priority_text(priority: int) -> str:
    return f"+{priority}" if priority > 0 else str(priority)


def contact_card(rows: Sequence[BackorderRow]) -> str:
    """Name, e-mail and phone of each customer among ``rows`` (once each), for the clipboard."""
    seen: set[int] = set()
    cards = []
    for row in rows:
        if row.customer_id in seen:
            continue
        seen.add(row.customer_id)
        cards.append("\n".join(part for part in (row.customer, row.email, row.phone) if part))
    return "\n\n".join(cards)


class LookupField(QLineEdit):
    """A type-ahead filter field: suggestions come from a small SQL look-up as the user types.

    Picking a suggestion (or Enter when only one fits) chooses it; editing the text or
    clearing it drops the choice.

    Signals:
        chosen(object): the chosen id, or ``None`` when the choice was dropped.
    """

    chosen = Signal(object)

    def __init__(
        self, lookup: Callable[[str], list[Choice]], placeholder: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.lookup = lookup
        self.choice: Choice | None = None
        self.offered: dict[str, Choice] = {}
        self.setPlaceholderText(placeholder)
        self.setClearButtonEnabled(True)
        self.suggestions = QStringListModel(self)
        self.completer_ = QCompleter(self.suggestions, self)
        # The SQL look-up already filtered; the completer shows its answer as it is.
        self.completer_.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self.completer_.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer_.setMaxVisibleItems(12)
        self.setCompleter(self.completer_)
        self.completer_.activated.connect(self._activated)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(DEBOUNCE_MS)
        self.timer.timeout.connect(self.suggest)
        self.textEdited.connect(self._edited)
        self.textChanged.connect(self._changed)
        self.returnPressed.connect(self._enter)

    def suggest(self) -> None:
        """Ask the store for what fits the text and offer it."""
        choices = self.lookup(self.text())
        self.offered = {choice.label: choice for choice in choices}
        self.suggestions.setStringList([choice.label for choice in choices])
        if choices and self.hasFocus() and self.choice is None:
            self.completer_.complete()

    def set_choice(self, choice: Choice | None) -> None:
        """Choose (or, with ``None``, drop) a value, as if the user had."""
        changed = (choice.id if choice else None) != (self.choice.id if self.choice else None)
        self.choice = choice
        self.blockSignals(True)
        self.setText(choice.label if choice else "")
        self.blockSignals(False)
        if changed:
            self.chosen.emit(choice.id if choice else None)

    def _activated(self, text: str) -> None:
        choice = self.offered.get(text)
        if choice is not None:
            self.set_choice(choice)

    def _edited(self, text: str) -> None:
        if self.choice is not None and text != self.choice.label:
            self.choice = None
            self.chosen.emit(None)
        self.timer.start()

    def _changed(self, text: str) -> None:
        if not text and self.choice is not None:
            self.choice = None
            self.chosen.emit(None)

    def _enter(self) -> None:
        if self.choice is not None or not self.text().strip():
            return
        self.timer.stop()
        popup = self.completer_.popup()
        if popup is not None:
            popup.hide()
        # A suggestion highlighted in the pop-up is already the field's text.
        offered = self.offered.get(self.text())
        if offered is not None:
            self.set_choice(offered)
            return
        choices = self.lookup(self.text())
        exact = [c for c in choices if c.label.lower() == self.text().strip().lower()]
        if len(choices) == 1 or exact:
            self.set_choice(exact[0] if exact else choices[0])
        else:
            self.suggest()


class BackorderModel(PagedTableModel[BackorderRow]):
    """The queue's rows, with the days and ETA cells marked and explained in tooltips."""

    def __init__(
        self,
        columns: Sequence[Column[BackorderRow]],
        *,
        fetch: Callable[[int, int, str | None, bool], list[BackorderRow]],
        count: Callable[[], int],
        today: Callable[[], date],
    ) -> None:
        super().__init__(
            columns,
            fetch=fetch,
            count=count,
            style=self._row_style,
            page_size=PAGE_SIZE,
            default_sort="queue",
        )
        self.today = today

    def _row_style(self, row: BackorderRow) -> RowStyle | None:
        tint = age_color(row.days_waiting(self.today()))
        return RowStyle(background=tint) if tint is not None else None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        # "Days waiting" sorts on the time placed, which runs the other way.
        if column == DAYS:
            order = (
                Qt.SortOrder.DescendingOrder
                if order == Qt.SortOrder.AscendingOrder
                else Qt.SortOrder.AscendingOrder
            )
        super().sort(column, order)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if index.isValid() and index.row() < self.rowCount():
            row = self.row(index.row())
            column = index.column()
            if column == ETA and row.eta is not None and row.eta < self.today():
                if role == Qt.ItemDataRole.ForegroundRole:
                    return colors().error
                if role == Qt.ItemDataRole.FontRole:
                    font = QFont()
                    font.setBold(True)
                    return font
            if column == ETA and row.eta is None and role == Qt.ItemDataRole.ForegroundRole:
                return colors().muted
            if (
                column == ETA
                and role == Qt.ItemDataRole.FontRole
                and row.estimate(self.today()) is not None
            ):
                font = QFont()
                font.setItalic(True)
                return font
            if column == ETA and moved_later(row) and role == Qt.ItemDataRole.ForegroundRole:
                return colors().below_reorder
            if role == Qt.ItemDataRole.ToolTipRole:
                return self._tooltip(row, column)
        return super().data(index, role)

    def _tooltip(self, row: BackorderRow, column: int) -> str | None:
        today = self.today()
        if column == DAYS:
            days = row.days_waiting(today)
            steps = [step for step in AGE_STEPS if days >= step]
            note = f" (over {steps[-1]} days)" if steps else ""
            return (
                f"Placed {to_local(row.placed_at):%d %b %Y %H:%M}; waiting {days_text(days)}{note}"
            )
        if column == ETA:
            return eta_tooltip(row, today)
        if column == CONTACT:
            return contact_text(row) or "No e-mail or phone on file"
        if column == STATUS and row.reserved:
            return (
                f"{row.reserved} unit(s) are set aside for the customer; "
                f"{row.waiting} still wait for stock."
            )
        if column == PRIORITY:
            return "Higher is served first; 0 is normal."
        return None


def eta_tooltip(row: BackorderRow, today: date) -> str:
    """What the ETA cell means, and how it stands against what the customer was told."""
    estimate = row.estimate(today)
    if row.eta is None and estimate is not None:
        text = (
            "No purchase order covers this line's place in the queue yet. Estimate only: "
            f"today + the supplier's usual lead time of {row.lead_time_days} days "
            f"({estimate:%d %b %Y})."
        )
    elif row.eta is None:
        text = "No purchase order covers this line's place in the queue yet."
    elif row.eta < today:
        text = (
            f"The delivery expected on {row.eta:%d %b %Y} has not arrived: "
            "check with the supplier and tell the customer."
        )
    else:
        text = "When the purchase orders booked so far reach this line's place in the queue."
    move = row.eta_moved
    if moved_later(row) and move is not None:
        old = f"{move.old:%d %b %Y}" if move.old else "no date"
        text += (
            f"\nETA moved later on {to_local(move.at):%d %b %Y}: the customer had been told "
            f"{old}; the new date was queued for them in an \u201cETA changed\u201d message."
        )
    elif row.eta_told != row.eta and row.eta_told is not None:
        if row.eta is not None and row.eta < row.eta_told:
            text += (
                f"\nEarlier than the {row.eta_told:%d %b %Y} the customer was told: better "
                "news is not sent automatically."
            )
        else:
            text += (
                f"\nThe customer was told {row.eta_told:%d %b %Y}; this line has since "
                "moved back in the queue."
            )
    elif row.eta_told is None and row.eta is not None:
        text += "\nThe customer was told there was no date yet; this date is new to them."
    return text


def _columns(today: Callable[[], date]) -> list[Column[BackorderRow]]:
    return [
        Column("Order", lambda r: r.order_id, sort_key="order", numeric=True),
        Column("Customer", lambda r: r.customer, sort_key="customer"),
        Column("Contact", contact_text, tooltip="E-mail and phone"),
        Column("SKU", lambda r: r.sku, sort_key="sku"),
        Column("Product", lambda r: r.name),
        Column(
            "Units",
            lambda r: r.waiting,
            sort_key="waiting",
            numeric=True,
            tooltip="Units the customer waits for",
        ),
        Column(
            "Waited",
            lambda r: days_text(r.days_waiting(today())),
            sort_key="placed_at",
            numeric=True,
            tooltip="Days waiting since the order was placed; tinted from 7, 14 and 30 days",
        ),
        Column("ETA", lambda r: eta_text(r, today()), tooltip="Expected arrival for this line"),
        Column(
            "Priority",
            lambda r: priority_text(r.priority),
            sort_key="priority",
            numeric=True,
            tooltip="Higher is served first; 0 is normal",
        ),
        Column("Status", status_text),
    ]


def _legend_swatch(days: int) -> QLabel:
    tint = age_color(days)
    assert tint is not None
    swatch = QLabel(f" {days}+ days ")
    swatch.setStyleSheet(
        f"background-color: rgba({tint.red()}, {tint.green()}, {tint.blue()}, {tint.alpha()});"
        "border-radius: 3px; padding: 1px 4px;"
    )
    swatch.setToolTip(f"Lines waiting {days} days or more")
    return swatch


class BackordersSection(Section):
    """The backorder queue with its filters and actions.

    Attributes:
        today: returns today's date (tests pass their clock's date); aging and overdue
            ETAs are counted against it.
        view_filter: the filter and sort in force (the export uses the same).
        model / view: the list.

    Signals:
        exported(str, int): an export (CSV or PDF) finished (path, lines written).
        export_failed(str): an export failed (message).
    """

    title = "Backorders"
    exported = Signal(str, int)
    export_failed = Signal(str)

    def __init__(
        self,
        ctx: DeskContext,
        parent: QWidget | None = None,
        *,
        today: Callable[[], date] | None = None,
    ) -> None:
        super().__init__(ctx, parent)
        self.today: Callable[[], date] = today or date.today
        self.view_filter = BackorderFilter()
        self.cancel_dialog: CancelBackorderDialog | None = None
        self.exporting = False
        #: The save dialog (tests answer it instead of a person).
        self.ask_path: AskPath = ask_save_path
        self._counted: tuple[str, int] | None = None
        self._fitted = False
        self.priority_dialog: PriorityDialog | None = None

        self.model = BackorderModel(
            _columns(lambda: self.today()),
            fetch=self._fetch,
            count=self._count,
            today=lambda: self.today(),
        )
        self._build_filters()
        self._build_view()
        self._build_actions()
        self._build_layout()
        self.model.reload()
        self._after_reload()
        ctx.staff_changed.connect(self._update_actions)

    # ------------------------------------------------------------------ building

    def _build_filters(self) -> None:
        self.search = search_field("Search name, e-mail, phone, SKU or order no.")
        self.search.setToolTip("Type to filter the list (Ctrl+F)")
        self.search_timer = QTimer(self)
        self.search_timer.setSingleShot(True)
        self.search_timer.setInterval(DEBOUNCE_MS)
        self.search_timer.timeout.connect(self._apply_search)
        self.search.textChanged.connect(lambda _text: self.search_timer.start())

        self.product_field = LookupField(waiting_products, "Any product")
        self.product_field.setObjectName("product")
        self.product_field.setToolTip("Only lines for this product: type part of its SKU or name")
        self.product_field.chosen.connect(lambda pid: self._set_filter(product_id=pid))
        self.customer_field = LookupField(waiting_customers, "Any customer")
        self.customer_field.setObjectName("customer")
        self.customer_field.setToolTip(
            "Only this customer's lines: type part of their name, e-mail or phone"
        )
        self.customer_field.chosen.connect(lambda cid: self._set_filter(customer_id=cid))

        self.age_box = QComboBox()
        self.age_box.setObjectName("age")
        self.age_box.addItem("Any age", 0)
        for step in AGE_STEPS:
            self.age_box.addItem(f"{step} days or more", step)
        self.age_box.setToolTip("Only lines that have waited at least this long")
        self.age_box.currentIndexChanged.connect(
            lambda _i: self._set_filter(min_days=int(self.age_box.currentData()))
        )

    def _build_view(self) -> None:
        self.view = QTableView()
        self.view.setObjectName("backorders")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setWordWrap(False)
        self.view.setAlternatingRowColors(False)  # the aging tints carry meaning
        self.view.verticalHeader().setVisible(False)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._show_context_menu)
        self.view.activated.connect(lambda _index: self.open_order())
        self.view.doubleClicked.connect(lambda _index: self.open_order())
        header = self.view.horizontalHeader()
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        header.sortIndicatorChanged.connect(self._sort_clicked)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setHighlightSections(False)
        selection = self.view.selectionModel()
        selection.selectionChanged.connect(self._selection_changed)

    def _action(self, text: str, shortcut: str, tip: str, slot: Callable[[], object]) -> QAction:
        action = QAction(text, self)
        sequence = QKeySequence(shortcut)
        action.setShortcut(sequence)
        # Only while the cursor is in this section: other sections may use the same keys.
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        keys = sequence.toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{tip} ({keys})")
        action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.cancel_action = self._action(
            "&Cancel backorder…",
            "Del",
            "Cancel the selected lines with a reason; units set aside go to the next in the queue",
            self.cancel_selected,
        )
        self.raise_action = self._action(
            "&Raise priority",
            "Ctrl+Up",
            "Serve the selected lines sooner (priority +1)",
            lambda: self.change_priority(+1),
        )
        self.lower_action = self._action(
            "&Lower priority",
            "Ctrl+Down",
            "Serve the selected lines later (priority −1)",
            lambda: self.change_priority(-1),
        )
        self.set_priority_action = self._action(
            "Set &priority…",
            "Ctrl+Shift+P",
            "Set the selected lines' priority to a number",
            self.ask_priority,
        )
        self.open_action = self._action(
            "&Open order",
            "Ctrl+O",
            "Show the order of the current line (or Enter, double-click)",
            self.open_order,
        )
        self.copy_action = self._action(
            "Copy c&ontact",
            "Ctrl+Shift+C",
            "Copy the customer's name, e-mail and phone to the clipboard",
            self.copy_contact,
        )
        self.export_action = self._action(
            "&Export…",
            "Ctrl+E",
            "Save every line of the current view (filters and sort) as a CSV file for a "
            "spreadsheet, or as a PDF to print",
            self.export_view,
        )
        self.serving_action = self._action(
            "&Serving order",
            "Ctrl+0",
            "Sort by serving order: priority, then time placed (how stock will reach them)",
            self.serving_order,
        )
        self.serving_action.setCheckable(True)
        self.serving_action.setChecked(True)
        self.clear_action = self._action(
            "Clear &filters",
            "Ctrl+Shift+Backspace",
            "Show every waiting line again",
            self.clear_filters,
        )
        # Shorter words on the toolbar buttons; the menu keeps the full names.
        for action, short in (
            (self.cancel_action, "Cancel…"),
            (self.raise_action, "▲ Raise"),
            (self.lower_action, "▼ Lower"),
            (self.set_priority_action, "Priority…"),
            (self.open_action, "Open order"),
            (self.copy_action, "Copy contact"),
            (self.export_action, "Export…"),
            (self.serving_action, "Serving order"),
        ):
            action.setIconText(short)
        self.selection_actions = [
            self.cancel_action,
            self.raise_action,
            self.lower_action,
            self.set_priority_action,
            self.open_action,
            self.copy_action,
        ]

    def _build_layout(self) -> None:
        filters = QHBoxLayout()
        filters.addWidget(self.search, 3)
        for text, widget, stretch in (
            ("&Product:", self.product_field, 2),
            ("C&ustomer:", self.customer_field, 2),
            ("&Waiting:", self.age_box, 0),
        ):
            label = QLabel(text)
            label.setBuddy(widget)
            filters.addSpacing(6)
            filters.addWidget(label)
            filters.addWidget(widget, stretch)

        toolbar = QToolBar()
        toolbar.setObjectName("actions")
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for action in (
            self.cancel_action,
            None,
            self.raise_action,
            self.lower_action,
            self.set_priority_action,
            None,
            self.open_action,
            self.copy_action,
            None,
            self.export_action,
            None,
            self.serving_action,
        ):
            if action is None:
                toolbar.addSeparator()
            else:
                toolbar.addAction(action)

        self.message = MessageBar()

        self.empty_label = QLabel(EMPTY_TEXT)
        self.empty_label.setObjectName("empty")
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setStyleSheet(muted_style())
        font = self.empty_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.empty_label.setFont(font)
        self.clear_button = QPushButton("Clear filters")
        self.clear_button.setToolTip(self.clear_action.toolTip())
        self.clear_button.clicked.connect(self.clear_filters)
        empty = QWidget()
        empty_layout = QVBoxLayout(empty)
        empty_layout.addStretch(1)
        empty_layout.addWidget(self.empty_label)
        empty_layout.addWidget(self.clear_button, 0, Qt.AlignmentFlag.AlignHCenter)
        empty_layout.addStretch(2)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.view)
        self.stack.addWidget(empty)

        self.count_label = QLabel()
        self.count_label.setObjectName("count")
        self.progress = QProgressBar()
        self.progress.setObjectName("export_progress")
        self.progress.setFormat("Exporting… %v of %m")
        self.progress.setVisible(False)
        footer = QHBoxLayout()
        footer.addWidget(self.count_label, 1)
        footer.addWidget(self.progress, 1)
        legend = QLabel("Waiting:")
        legend.setStyleSheet(muted_style())
        footer.addWidget(legend)
        for step in AGE_STEPS:
            footer.addWidget(_legend_swatch(step))

        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(toolbar)
        layout.addWidget(self.message)
        layout.addWidget(self.stack, 1)
        layout.addLayout(footer)
        self.setTabOrder(self.search, self.product_field)
        self.setTabOrder(self.product_field, self.customer_field)
        self.setTabOrder(self.customer_field, self.age_box)
        self.setTabOrder(self.age_box, self.view)

    # ------------------------------------------------------------- data access

    def _fetch(
        self, offset: int, limit: int, sort: str | None, descending: bool
    ) -> list[BackorderRow]:
        return queries.backorders(
            **self.view_filter.where(self.today()),
            sort=sort or "queue",
            descending=descending,
            offset=offset,
            limit=limit,
        )

    def _count(self) -> int:
        where = self.view_filter.where(self.today())
        key = repr(sorted(where.items()))
        # A new sort order matches the same lines: reuse the count until the store changes.
        if self._counted is None or self._counted[0] != key:
            self._counted = (key, queries.count_backorders(**where))
        return self._counted[1]

    # ------------------------------------------------------------ Section API

    def refresh(self) -> None:
        """Read the list again, keeping the selected lines selected where they still wait."""
        keep = [row.line_id for row in self.selected_rows()]
        current = self.view.currentIndex().row()
        scroll = self.view.verticalScrollBar().value()
        self._counted = None
        self.model.refresh()
        self._after_reload()
        self._select_lines(keep, fallback_row=current)
        self.view.verticalScrollBar().setValue(scroll)

    def section_actions(self) -> list[QAction]:
        return [
            self.cancel_action,
            self.raise_action,
            self.lower_action,
            self.set_priority_action,
            self.open_action,
            self.copy_action,
            self.export_action,
            self.serving_action,
            self.clear_action,
        ]

    # ----------------------------------------------------------------- filters

    def _apply_search(self) -> None:
        self._set_filter(search=self.search.text())

    def apply_search_now(self) -> None:
        """Filter by the search text without waiting for the typing pause."""
        self.search_timer.stop()
        self._apply_search()

    def _set_filter(self, **changes: object) -> None:
        updated = dataclasses.replace(self.view_filter, **changes)  # type: ignore[arg-type]
        if updated == self.view_filter:
            return
        self.view_filter = updated
        self.model.reload()
        self._after_reload()

    def clear_filters(self) -> None:
        self.search_timer.stop()
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self.product_field.set_choice(None)
        self.customer_field.set_choice(None)
        self.age_box.blockSignals(True)
        self.age_box.setCurrentIndex(0)
        self.age_box.blockSignals(False)
        self._set_filter(search="", product_id=None, customer_id=None, min_days=0)

    def _sort_clicked(self, column: int, order: Qt.SortOrder) -> None:
        if column < 0:
            return
        if self.model.columns[column].sort_key is None:
            # Not sortable in SQL (computed): put the indicator back where it was.
            header = self.view.horizontalHeader()
            header.blockSignals(True)
            previous = self._sorted_column()
            header.setSortIndicator(previous, self._header_order())
            header.blockSignals(False)
            return
        self.model.sort(column, order)
        self.serving_action.setChecked(False)
        self._after_reload()

    def _sorted_column(self) -> int:
        for number, column in enumerate(self.model.columns):
            if column.sort_key == self.model.sort_key and self.model.sort_key != "queue":
                return number
        return -1

    def _header_order(self) -> Qt.SortOrder:
        descending = self.model.descending
        if self._sorted_column() == DAYS:
            descending = not descending
        return Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder

    def serving_order(self) -> None:
        """Back to serving order: priority, then time placed."""
        header = self.view.horizontalHeader()
        header.blockSignals(True)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        header.blockSignals(False)
        self.serving_action.setChecked(True)
        self.model.sort_key = "queue"
        self.model.descending = False
        self.model.reload()
        self._after_reload()

    def current_view(self) -> BackorderFilter:
        """The filter and sort in force, as the export needs them."""
        return dataclasses.replace(
            self.view_filter,
            sort=self.model.sort_key or "queue",
            descending=self.model.descending,
        )

    # --------------------------------------------------------------- selection

    def selected_rows(self) -> list[BackorderRow]:
        """The selected lines, top to bottom."""
        indexes = sorted(self.view.selectionModel().selectedRows(), key=lambda i: i.row())
        return [
            self.model.row(index.row()) for index in indexes if index.row() < self.model.rowCount()
        ]

    def select_lines(self, line_ids: Sequence[int]) -> None:
        """Select these lines (those loaded), the first becoming current."""
        self._select_lines(list(line_ids), fallback_row=-1)

    def _select_lines(self, line_ids: list[int], *, fallback_row: int) -> None:
        wanted = set(line_ids)
        rows = [n for n, row in enumerate(self.model.loaded_rows()) if row.line_id in wanted]
        if not rows and fallback_row >= 0 and self.model.rowCount():
            rows = [min(fallback_row, self.model.rowCount() - 1)]
        selection_model = self.view.selectionModel()
        selection = QItemSelection()
        last = self.model.columnCount() - 1
        for number in rows:
            selection.select(self.model.index(number, 0), self.model.index(number, last))
        flags = QItemSelectionModel.SelectionFlag
        selection_model.select(selection, flags.ClearAndSelect | flags.Rows)
        if rows:
            selection_model.setCurrentIndex(self.model.index(rows[0], 0), flags.NoUpdate)
            self.view.scrollTo(self.model.index(rows[0], 0))

    def _selection_changed(self, *_args: object) -> None:
        self._update_actions()

    def _update_actions(self) -> None:
        selected = self.view.selectionModel().selectedRows()
        for action in self.selection_actions:
            action.setEnabled(bool(selected))
        lines = [row.line_id for row in self.selected_rows()] if selected else []
        may_cancel, refused = cancel_permission(self.ctx, lines)
        show_permission(self.cancel_action, may_cancel, refused, enabled=bool(selected))
        for action in (self.raise_action, self.lower_action, self.set_priority_action):
            permit(action, self.ctx, "set_priority", enabled=bool(selected))
        self.open_action.setEnabled(self.view.currentIndex().isValid() or bool(selected))
        self.export_action.setEnabled(self.model.total > 0 and not self.exporting)
        self.clear_action.setEnabled(self.view_filter.narrowed)
        self._update_count()

    def _update_count(self) -> None:
        total = self.model.total
        loaded = self.model.rowCount()
        noun = "line" if total == 1 else "lines"
        text = f"{total:,} waiting {noun}"
        if loaded < total:
            text += f" (first {loaded:,} loaded; scroll for more)"
        if self.view_filter.narrowed:
            text += " match the filters" if total != 1 else " matches the filters"
        selected = len(self.view.selectionModel().selectedRows())
        if selected:
            text += f" · {selected} selected"
        self.count_label.setText(text)

    def _after_reload(self) -> None:
        empty = self.model.total == 0
        narrowed = self.view_filter.narrowed
        self.empty_label.setText(NO_MATCH_TEXT if narrowed else EMPTY_TEXT)
        self.clear_button.setVisible(narrowed)
        self.stack.setCurrentIndex(1 if empty else 0)
        if not empty:
            self._fit_columns()
        self._update_actions()

    def _fit_columns(self) -> None:
        # Size the columns once, to the first rows and the real width of the window;
        # after that the user's widths are kept.
        if self._fitted or not self.isVisible() or self.model.rowCount() == 0:
            return
        self._fitted = True
        self.view.resizeColumnsToContents()
        header = self.view.horizontalHeader()
        char = max(self.fontMetrics().averageCharWidth(), 1)
        # Long names are elided (full text in the tooltip).
        for column, chars in ((CUSTOMER, 20), (PRODUCT, 22)):
            header.resizeSection(column, min(header.sectionSize(column), char * chars))
        others = sum(header.sectionSize(c) for c in range(header.count()) if c != CONTACT)
        room = self.view.viewport().width() - others
        if room >= char * 14:
            # The contact column gives and takes the width left as the window is resized.
            header.setSectionResizeMode(CONTACT, QHeaderView.ResizeMode.Stretch)
        else:  # large fonts on a small screen: keep it narrow and scroll sideways
            header.resizeSection(CONTACT, min(header.sectionSize(CONTACT), char * 14))

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._fit_columns()

    def _show_context_menu(self, position: QPoint) -> None:
        self.context_menu().exec(self.view.viewport().mapToGlobal(position))

    def context_menu(self) -> QMenu:
        menu = QMenu(self)
        menu.setToolTipsVisible(True)
        for action in (
            self.open_action,
            self.copy_action,
            None,
            self.raise_action,
            self.lower_action,
            self.set_priority_action,
            None,
            self.cancel_action,
        ):
            if action is None:
                menu.addSeparator()
            else:
                menu.addAction(action)
        return menu

    # ------------------------------------------------------------------ actions

    def cancel_selected(self) -> None:
        """Ask to cancel the selected lines (one confirmation for all)."""
        rows = self.selected_rows()
        if not rows:
            return
        try:
            preview = self.ctx.controller.preview_cancel([row.line_id for row in rows])
        except UserError as error:
            self.message.show_text([str(error)], error=True)
            self.ctx.notify_changed()
            return
        dialog = CancelBackorderDialog(rows, preview, self)
        dialog.accepted.connect(lambda: self._cancel(rows, dialog.reason))
        dialog.finished.connect(lambda _result: dialog.deleteLater())
        self.cancel_dialog = dialog
        dialog.open()

    def _cancel(self, rows: list[BackorderRow], reason: str) -> None:
        done: list[BackorderRow] = []
        results = []
        errors = []
        for row in rows:
            try:
                results.append(self.ctx.controller.cancel_line(row.line_id, reason=reason))
            except UserError as error:
                errors.append(f"Order {row.order_id}, {row.sku}: {error}")
            else:
                done.append(row)
        self.cancel_dialog = None
        self.ctx.notify_changed()
        lines = (outcome_lines(done, results) if done else []) + errors
        self.message.show_text(lines, error=bool(errors))

    def change_priority(self, step: int) -> None:
        """Raise (+1) or lower (−1) the selected lines' priority."""
        rows = self.selected_rows()
        if not rows:
            return
        self._set_priorities({row.line_id: row.priority + step for row in rows}, rows)

    def ask_priority(self) -> None:
        """Ask for a number and give it to every selected line."""
        rows = self.selected_rows()
        if not rows:
            return
        dialog = PriorityDialog(rows[0].priority, len(rows), self)
        dialog.accepted.connect(
            lambda: self._set_priorities({row.line_id: dialog.priority for row in rows}, rows)
        )
        dialog.finished.connect(lambda _result: dialog.deleteLater())
        self.priority_dialog = dialog
        dialog.open()

    def _set_priorities(self, wanted: dict[int, int], rows: list[BackorderRow]) -> None:
        by_id = {row.line_id: row for row in rows}
        # Check every new value first, so a refusal changes no line at all.
        for line_id, value in wanted.items():
            try:
                parse_priority(value)
            except UserError as error:
                row = by_id[line_id]
                self.message.show_text(
                    [f"{row.customer}'s {row.name} (order {row.order_id}): {error}"], error=True
                )
                return
        errors = []
        for line_id, value in wanted.items():
            try:
                self.ctx.controller.set_priority(line_id, value)
            except UserError as error:
                errors.append(str(error))
        self.ctx.notify_changed()
        self._select_lines(list(wanted), fallback_row=-1)
        if errors:
            self.message.show_text(errors, error=True)
        else:
            values = sorted(set(wanted.values()))
            what = (
                f"{rows[0].customer}'s {rows[0].name} (order {rows[0].order_id})"
                if len(rows) == 1
                else f"{len(rows)} lines"
            )
            shown = ", ".join(priority_text(v) for v in values)
            self.message.show_text([f"Priority of {what} is now {shown}."])

    def open_order(self) -> None:
        """Show the order of the current (or first selected) line."""
        index = self.view.currentIndex()
        rows = self.selected_rows()
        if index.isValid() and index.row() < self.model.rowCount():
            row = self.model.row(index.row())
        elif rows:
            row = rows[0]
        else:
            return
        self.ctx.open_order.emit(row.order_id)

    def copy_contact(self) -> None:
        """Put the selected lines' customers' name, e-mail and phone on the clipboard."""
        rows = self.selected_rows()
        if not rows:
            return
        text = contact_card(rows)
        clipboard = QGuiApplication.clipboard()
        clipboard.setText(text)
        people = {row.customer for row in rows}
        who = f"{rows[0].customer}'s contact" if len(people) == 1 else f"{len(people)} contacts"
        self.message.show_text([f"Copied {who} to the clipboard."])

    def export_view(self) -> None:
        """Ask where (a .csv or a .pdf file), then export the current view."""
        suggested = str(Path.home() / f"backorders-{self.today().isoformat()}.csv")
        path = self.ask_path(self, "Export backorders", suggested, f"{CSV_FILES};;{PDF_FILES}")
        if path:
            self.export_to(path)

    def export_to(self, path: str) -> None:
        """Export every line of the current view to ``path`` in the background: a PDF to
        print when the name ends in .pdf, else a CSV file."""
        if self.exporting:
            return
        view = self.current_view()
        today = self.today()
        self.exporting = True
        self.progress.setRange(0, max(self.model.total, 1))
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self._update_actions()

        as_pdf = Path(path).suffix.lower() == ".pdf"

        def work(progress: Callable[[int, int], None]) -> int | PdfWritten:
            if as_pdf:
                return save_backorder_pdf(path, view, today=today, progress=progress)
            return export_backorders(path, view, today=today, progress=progress)

        def done(result: object) -> None:
            self._export_finished()
            pages = ""
            if isinstance(result, PdfWritten):
                pages = f" ({result.pages:,} page{'' if result.pages == 1 else 's'})"
                result = result.lines
            written = result if isinstance(result, int) else 0
            noun = "line" if written == 1 else "lines"
            self.message.show_text(
                [f"Exported {written:,} {noun} to {path}{pages}."], folder=Path(path).parent
            )
            self.exported.emit(path, written)

        def failed(message: str) -> None:
            self._export_finished()
            self.message.show_text([message], error=True)
            self.export_failed.emit(message)

        run_in_background(work, on_done=done, on_error=failed, on_progress=self._export_progress)

    def _export_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _export_finished(self) -> None:
        self.exporting = False
        self.progress.setVisible(False)
        self._update_actions()
