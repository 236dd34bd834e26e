"""The Audit log section: who did what and when, newest first. Read-only.

Filters (person, kind of action, text, a range of days) and paging run in SQL
(``app.audit_queries``); typing is debounced like every list. The selected event is shown
in full under the list, with everything its record holds. Nothing here can change the
log: the table is not editable and the section has no write action. Enter on an event
about an order or a customer opens it in its own section.
"""

from __future__ import annotations

from datetime import date, timedelta
from html import escape
from typing import Any

from PySide6.QtCore import QDate, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QAction, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app import audit_queries
from app.audit_queries import ACTION_KINDS, AuditFilter, AuditRow
from app.clock import to_local
from app.errors import UserError
from app.validation import search_text
from ui import theme
from ui.context import DeskContext
from ui.paged_model import ROW_ROLE, Column, PagedTableModel
from ui.section import Section, debounce_search, search_field

#: The period box: label -> days back from today (0: today only), ``None``: any time.
PERIODS: dict[str, int | None] = {
    "Any time": None,
    "Today": 0,
    "Last 7 days": 6,
    "Last 30 days": 29,
    "Last 365 days": 364,
}
#: The period box's last choice: the two date boxes.
BETWEEN = "Between dates…"

COLUMNS: list[Column[AuditRow]] = [
    Column(
        "When",
        lambda r: f"{to_local(r.at):%d %b %Y %H:%M}",
        sort_key="at",
        tooltip="When it happened (local time); click to list the oldest first",
    ),
    Column("Who", lambda r: r.staff, tooltip="The staff member signed in when it was done"),
    Column("Action", lambda r: r.action_label),
    Column("About", lambda r: r.subject, tooltip="The order, product, customer… it changed"),
    Column("What changed", lambda r: r.summary),
]

WHEN_COLUMN = 0


def _date_box(name: str, tip: str) -> QDateEdit:
    box = QDateEdit()
    box.setObjectName(name)
    box.setAccessibleName(tip)
    box.setToolTip(tip)
    box.setCalendarPopup(True)
    box.setDisplayFormat("yyyy-MM-dd")
    return box


def _as_date(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


def describe_html(row: AuditRow) -> str:
    """Everything one event's record holds, for the detail pane."""
    when = f"{to_local(row.at):%A %d %B %Y, %H:%M:%S}"
    parts = [
        f"<p><b>{escape(row.action_label)}</b> — {escape(row.subject)}<br>"
        f"{escape(when)} by <b>{escape(row.staff)}</b></p>",
        f"<p>{escape(row.summary)}</p>",
    ]
    if row.detail:
        items = "".join(
            f"<tr><td style='{theme.muted_style()} padding-right: 12px'>"
            f"{escape(key.replace('_', ' '))}</td><td>{escape(_value_text(value))}</td></tr>"
            for key, value in row.detail.items()
            if key not in ("password", "password_hash", "hash")
        )
        parts.append(f"<table>{items}</table>")
    parts.append(
        f"<p style='{theme.muted_style()}'>Event {row.event_id} · {escape(row.action)} · "
        "the log cannot be changed</p>"
    )
    return "".join(parts)


def _value_text(value: Any, *, most: int = 2000) -> str:
    if isinstance(value, dict):
        text = ", ".join(f"{k}: {_value_text(v, most=200)}" for k, v in value.items())
    elif isinstance(value, list):
        text = ", ".join(_value_text(v, most=200) for v in value)
    else:
        text = "—" if value is None else str(value)
    return text if len(text) <= most else text[: most - 1] + "…"


class _LogModel(PagedTableModel[AuditRow]):
    """The paged model, for a count that may stop at ``audit_queries.SEARCH_COUNT_CAP``.

    A capped count says only "more than N": past N rows the list goes on fetching for as
    long as pages come back full, so every match can still be scrolled to.
    """

    _more = True

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:  # noqa: B008
        if super().canFetchMore(parent):
            return True
        return not parent.isValid() and self._more and self.total > audit_queries.SEARCH_COUNT_CAP

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> None:  # noqa: B008
        before = self.rowCount()
        super().fetchMore(parent)
        if not parent.isValid():
            self._more = self.rowCount() - before >= self.page_size

    def reload(self) -> None:
        super().reload()
        self._more = self.rowCount() >= self.page_size

    def refresh(self) -> None:
        asked = max(self.rowCount(), self.page_size)
        super().refresh()
        self._more = self.rowCount() >= asked


class AuditLogSection(Section):
    """Every change made to the store, by whom and when; filters, no edits."""

    title = "Audit log"

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.search = search_field("Search SKU, name, reason, number (Ctrl+F)")
        self.search.setAccessibleName("Search the audit log")
        self.search.setToolTip(
            "Finds the words in what changed (SKU, reason, name), the action, who did it, "
            "and a number as the order, product or receipt number (Ctrl+F)"
        )
        self._debounce = debounce_search(self.search, self.apply_filter, parent=self)

        self.staff_box = QComboBox()
        self.staff_box.setObjectName("staff")
        self.staff_box.setAccessibleName("Who")
        self.staff_box.setToolTip("Show only what one staff member did")
        self._fill_staff()
        self.staff_box.currentIndexChanged.connect(lambda _i: self.apply_filter())
        staff_label = QLabel("Who:")
        staff_label.setBuddy(self.staff_box)

        self.kind_box = QComboBox()
        self.kind_box.setObjectName("kind")
        self.kind_box.setAccessibleName("Kind of action")
        self.kind_box.setToolTip("Show only one kind of action")
        self.kind_box.addItem("All actions", None)
        for prefix, label in ACTION_KINDS.items():
            self.kind_box.addItem(label, prefix)
        self.kind_box.currentIndexChanged.connect(lambda _i: self.apply_filter())
        kind_label = QLabel("Kind:")
        kind_label.setBuddy(self.kind_box)

        self.period_box = QComboBox()
        self.period_box.setObjectName("period")
        self.period_box.setAccessibleName("When")
        self.period_box.setToolTip("Show only what was done in this period (local days)")
        self.period_box.addItems([*PERIODS, BETWEEN])
        for box in (self.staff_box, self.kind_box, self.period_box):
            # Wide enough for the longest choice plus the arrow, at any font size.
            longest = max(len(box.itemText(i)) for i in range(box.count()))
            box.setMinimumContentsLength(longest)
            box.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
        self.period_box.currentIndexChanged.connect(lambda _i: self._period_changed())
        period_label = QLabel("When:")
        period_label.setBuddy(self.period_box)
        self.since_box = _date_box("since", "First day to show")
        self.until_box = _date_box("until", "Last day to show")
        self.since_box.dateChanged.connect(lambda _d: self.apply_filter())
        self.until_box.dateChanged.connect(lambda _d: self.apply_filter())
        self.dash = QLabel("to")
        self._show_dates(False)
        self.clear_button = QPushButton("C&lear filters")
        self.clear_button.setToolTip("Show every event again (Ctrl+Shift+L)")
        self.clear_button.clicked.connect(self.clear_filters)

        self.count_label = QLabel()
        self.count_label.setObjectName("count")
        self.message = QLabel()
        self.message.setObjectName("error")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(theme.error_style())
        self.message.hide()

        self.model: PagedTableModel[AuditRow] = _LogModel(
            COLUMNS, fetch=self._fetch, count=self._count, page_size=200, default_sort="at"
        )
        self.model.descending = True
        self.table = QTableView()
        self.table.setObjectName("events")
        self.table.setAccessibleName("Audit events")
        self.table.setModel(self.model)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setSortIndicator(WHEN_COLUMN, Qt.SortOrder.DescendingOrder)
        self.table.setSortingEnabled(True)  # sorts once by the indicator: the first load
        self._size_columns()
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self.table.activated.connect(lambda _index: self.open_subject())

        self.detail = QTextBrowser()
        self.detail.setObjectName("detail")
        self.detail.setAccessibleName("The selected event in full")
        self.detail.setOpenLinks(False)
        self.detail.setPlaceholderText("Choose an event to see everything it recorded.")

        self._build_actions()

        # Two rows: the search gets the whole width, the choices sit under it.
        searching = QHBoxLayout()
        searching.addWidget(self.search, 1)
        searching.addWidget(self.clear_button)
        filters = QHBoxLayout()
        for caption, box in (
            (staff_label, self.staff_box),
            (kind_label, self.kind_box),
            (period_label, self.period_box),
        ):
            filters.addWidget(caption)
            filters.addWidget(box)
            filters.addSpacing(self.fontMetrics().averageCharWidth())
        filters.addWidget(self.since_box)
        filters.addWidget(self.dash)
        filters.addWidget(self.until_box)
        filters.addStretch(1)
        filters.addWidget(self.count_label)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        self.splitter = splitter
        self._sized = False
        layout = QVBoxLayout(self)
        layout.addLayout(searching)
        layout.addLayout(filters)
        layout.addWidget(self.message)
        layout.addWidget(splitter, 1)
        for first, second in (
            (self.search, self.staff_box),
            (self.staff_box, self.kind_box),
            (self.kind_box, self.period_box),
            (self.period_box, self.since_box),
            (self.since_box, self.until_box),
            (self.until_box, self.clear_button),
            (self.clear_button, self.table),
            (self.table, self.detail),
        ):
            self.setTabOrder(first, second)
        self._show_count()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._sized:
            # First show: most of the height for the list, a few lines for the detail.
            self._sized = True
            total = max(self.splitter.height(), 1)
            detail = min(total // 3, self.fontMetrics().lineSpacing() * 9)
            self.splitter.setSizes([total - detail, detail])

    # ------------------------------------------------------------ data access

    def current_filter(self) -> AuditFilter:
        """The filter the boxes describe."""
        since, until = self._period()
        return AuditFilter(
            staff_id=self.staff_box.currentData(),
            kind=self.kind_box.currentData(),
            search=self.search.text(),
            since=since,
            until=until,
        )

    def _today(self) -> date:
        return to_local(self.ctx.controller.clock()).date()

    def _period(self) -> tuple[date | None, date | None]:
        chosen = self.period_box.currentText()
        if chosen == BETWEEN:
            return _as_date(self.since_box.date()), _as_date(self.until_box.date())
        back = PERIODS.get(chosen)
        if back is None:
            return None, None
        today = self._today()
        return today - timedelta(days=back), today

    def _fetch(self, offset: int, limit: int, sort: str | None, descending: bool) -> list[AuditRow]:
        loaded = self.model.loaded_rows() if offset else []
        try:
            return audit_queries.events(
                self.current_filter(),
                offset=offset,
                limit=limit,
                after=loaded[-1] if offset and len(loaded) == offset else None,
                oldest_first=not descending,
            )
        except UserError as error:
            self._show_message(str(error))
            return []

    def _count(self) -> int:
        try:
            audit_filter = self.current_filter()
            capped = bool(search_text(audit_filter.search))
            return audit_queries.count_events(
                audit_filter, cap=audit_queries.SEARCH_COUNT_CAP if capped else None
            )
        except UserError:
            return 0

    def _fill_staff(self) -> None:
        wanted = self.staff_box.currentData()
        self.staff_box.blockSignals(True)
        self.staff_box.clear()
        self.staff_box.addItem("Everyone", None)
        for choice in audit_queries.staff_choices():
            self.staff_box.addItem(choice.label(), choice.staff_id)
            if choice.staff_id == wanted:
                self.staff_box.setCurrentIndex(self.staff_box.count() - 1)
        self.staff_box.blockSignals(False)

    def _size_columns(self) -> None:
        width = self.table.fontMetrics().horizontalAdvance
        for column, sample in enumerate(
            [
                "00 Mmm 0000 00:00",
                "Staff member name",
                "Receiving discarded",
                "Order 000000, SKU-0000",
            ]
        ):
            self.table.setColumnWidth(column, width(sample) + 24)

    # ------------------------------------------------------------ behaviour

    def apply_filter(self) -> None:
        """A filter changed: read the first page again."""
        self._debounce.stop()
        self._show_message("")
        self.model.reload()
        self._show_count()
        self._show_selected()

    def refresh(self) -> None:
        """The store changed: new events (and staff) appear, the scroll depth is kept."""
        self._fill_staff()
        self.model.refresh()
        self._show_count()
        self._show_selected()

    def clear_filters(self) -> None:
        """Back to every event, newest first."""
        boxes = (self.search, self.staff_box, self.kind_box, self.period_box)
        for widget in boxes:
            widget.blockSignals(True)
        self.search.clear()
        self.staff_box.setCurrentIndex(0)
        self.kind_box.setCurrentIndex(0)
        self.period_box.setCurrentIndex(0)
        self._show_dates(False)
        for widget in boxes:
            widget.blockSignals(False)
        self.apply_filter()

    def _period_changed(self) -> None:
        between = self.period_box.currentText() == BETWEEN
        if between:
            # Start from the last week, which is what is most often looked for.
            today = self._today()
            for box, day in ((self.since_box, today - timedelta(days=6)), (self.until_box, today)):
                box.blockSignals(True)
                box.setDate(QDate(day.year, day.month, day.day))
                box.blockSignals(False)
        self._show_dates(between)
        self.apply_filter()
        if between:
            self.since_box.setFocus(Qt.FocusReason.OtherFocusReason)

    def _show_dates(self, shown: bool) -> None:
        for widget in (self.since_box, self.dash, self.until_box):
            widget.setVisible(shown)

    def selected_row(self) -> AuditRow | None:
        index = self.table.currentIndex()
        row = self.model.data(index, ROW_ROLE) if index.isValid() else None
        return row if isinstance(row, AuditRow) else None

    def open_subject(self) -> None:
        """Enter: show the order or customer the selected event is about."""
        row = self.selected_row()
        if row is None:
            return
        if row.order_id is not None:
            self.ctx.open_order.emit(row.order_id)
        elif row.entity == "customer" and row.entity_id is not None:
            self.ctx.open_customer.emit(row.entity_id)

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def _show_count(self) -> None:
        total = self.model.total
        if total > audit_queries.SEARCH_COUNT_CAP and search_text(self.search.text()):
            # The search's count stopped at the cap (see audit_queries.SEARCH_COUNT_CAP).
            self.count_label.setText(f"More than {audit_queries.SEARCH_COUNT_CAP:,} events")
            self.count_label.setToolTip(
                "The search matches more events than are counted; narrow it to see how many"
            )
            return
        self.count_label.setText(f"{total:,} event{'s' if total != 1 else ''}")
        self.count_label.setToolTip("")

    def _row_changed(self, _current: object, _previous: object) -> None:
        self._show_selected()

    def _show_selected(self) -> None:
        row = self.selected_row()
        if row is None:
            self.detail.clear()
            self.open_action.setEnabled(False)
            return
        self.detail.setHtml(describe_html(row))
        self.open_action.setEnabled(
            row.order_id is not None or (row.entity == "customer" and row.entity_id is not None)
        )

    # ------------------------------------------------------------ actions

    def _build_actions(self) -> None:
        self.open_action = QAction("&Open what it is about", self)
        self.open_action.setShortcut(QKeySequence("Ctrl+Return"))
        self.open_action.setToolTip(
            "Show the selected event's order or customer in its section (Enter in the list)"
        )
        self.open_action.triggered.connect(self.open_subject)
        self.open_action.setEnabled(False)
        self.clear_action = QAction("C&lear filters", self)
        self.clear_action.setShortcut(QKeySequence("Ctrl+Shift+L"))
        self.clear_action.setToolTip("Show every event again")
        self.clear_action.triggered.connect(self.clear_filters)
        self.who_action = QAction("Filter by &who", self)
        self.who_action.setShortcut(QKeySequence("Alt+W"))
        self.who_action.setToolTip("Choose whose actions to show")
        self.who_action.triggered.connect(lambda: self._pop(self.staff_box))
        self.kind_action = QAction("Filter by &kind", self)
        self.kind_action.setShortcut(QKeySequence("Alt+K"))
        self.kind_action.setToolTip("Choose which kind of action to show")
        self.kind_action.triggered.connect(lambda: self._pop(self.kind_box))

    @staticmethod
    def _pop(box: QComboBox) -> None:
        box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        box.showPopup()

    def section_actions(self) -> list[QAction]:
        return [self.open_action, self.who_action, self.kind_action, self.clear_action]
