"""A table model over a SQL query, fetched page by page as the view scrolls.

Sorting and filtering happen in the database: the model only keeps the rows fetched so far
and asks for the next page through ``canFetchMore``/``fetchMore``. A section gives it a
``fetch(offset, limit, sort, descending)`` function and a ``count()`` function that close over
its filter state, and calls ``reload()`` when the filter changes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont

Row = TypeVar("Row")
Index = QModelIndex | QPersistentModelIndex

ROW_ROLE = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True)
class Column(Generic[Row]):
    """One column: its title, how to show a row in it, and its SQL sort key (if sortable)."""

    title: str
    value: Callable[[Row], Any]
    sort_key: str | None = None
    numeric: bool = False
    tooltip: str = ""


@dataclass(frozen=True)
class RowStyle:
    """How a row stands out: background colour, text colour, bold."""

    background: QColor | None = None
    foreground: QColor | None = None
    bold: bool = False


class PagedTableModel(QAbstractTableModel, Generic[Row]):
    """Rows from ``fetch``, ``page_size`` at a time; ``ROW_ROLE`` returns the row object."""

    def __init__(
        self,
        columns: Sequence[Column[Row]],
        *,
        fetch: Callable[[int, int, str | None, bool], list[Row]],
        count: Callable[[], int],
        style: Callable[[Row], RowStyle | None] | None = None,
        page_size: int = 200,
        default_sort: str | None = None,
    ) -> None:
        super().__init__()
        self.columns = list(columns)
        self._fetch = fetch
        self._count = count
        self._style = style
        self.page_size = page_size
        self.sort_key = default_sort
        self.descending = False
        self._rows: list[Row] = []
        self._total = 0

    # -- Qt model interface

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        column = self.columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.title
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.tooltip or None
        if role == Qt.ItemDataRole.TextAlignmentRole and column.numeric:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        column = self.columns[index.column()]
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.DisplayRole:
            value = column.value(row)
            return "" if value is None else str(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and column.numeric:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if self._style is not None and role in (
            Qt.ItemDataRole.BackgroundRole,
            Qt.ItemDataRole.ForegroundRole,
            Qt.ItemDataRole.FontRole,
        ):
            style = self._style(row)
            if style is None:
                return None
            if role == Qt.ItemDataRole.BackgroundRole and style.background is not None:
                return QBrush(style.background)
            if role == Qt.ItemDataRole.ForegroundRole and style.foreground is not None:
                return QBrush(style.foreground)
            if role == Qt.ItemDataRole.FontRole and style.bold:
                font = QFont()
                font.setBold(True)
                return font
        return None

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and len(self._rows) < self._total

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid():
            return
        page = self._fetch(len(self._rows), self.page_size, self.sort_key, self.descending)
        if not page:
            self._total = len(self._rows)
            return
        start = len(self._rows)
        self.beginInsertRows(QModelIndex(), start, start + len(page) - 1)
        self._rows.extend(page)
        self.endInsertRows()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = self.columns[column].sort_key if 0 <= column < len(self.columns) else None
        if key is None:
            return
        self.sort_key = key
        self.descending = order == Qt.SortOrder.DescendingOrder
        self.reload()

    # -- for sections

    @property
    def total(self) -> int:
        """How many rows match the filter (not just those fetched)."""
        return self._total

    def row(self, index: int) -> Row:
        return self._rows[index]

    def loaded_rows(self) -> list[Row]:
        return list(self._rows)

    def reload(self) -> None:
        """Start again from the first page (the filter or sort changed)."""
        self.beginResetModel()
        self._rows = self._fetch(0, self.page_size, self.sort_key, self.descending)
        self._total = self._count_after(self.page_size)
        self.endResetModel()

    def refresh(self) -> None:
        """Re-read the rows already shown (the store changed), keeping the scroll depth."""
        keep = max(len(self._rows), self.page_size)
        self.beginResetModel()
        self._rows = self._fetch(0, keep, self.sort_key, self.descending)
        self._total = self._count_after(keep)
        self.endResetModel()

    def _count_after(self, asked: int) -> int:
        # A first fetch shorter than asked is the whole answer: skip the count query, which
        # on a big table costs as much as the fetch (a search that matches little or nothing).
        return len(self._rows) if len(self._rows) < asked else self._count()
