"""The receiving station's running tally: one row per product scanned or expected.

Rows come from ``Controller.draft_tally`` (products in first-scan order, then the purchase
order's products not scanned yet). A scan updates its row in place from the
``ScanOutcome`` the controller returns, so the table keeps up with a scanner without
re-reading the draft; undo and hand corrections re-read it (``reset``).

Over and under are said in words ("2 short", "1 over", "complete") and coloured with the
theme's meaningful colours; the product scanned last is highlighted (bold on a tint).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont

from app.controller import ScanOutcome, TallyRow
from ui import theme

Index = QModelIndex | QPersistentModelIndex

#: Data role holding a row's product id.
PRODUCT_ROLE = Qt.ItemDataRole.UserRole + 1

COLUMNS = ("SKU", "Product", "Scanned", "Expected", "Difference")
SKU, PRODUCT, SCANNED, EXPECTED, DIFFERENCE = range(len(COLUMNS))

#: Shown in the Expected column when the receipt is not against a purchase order.
NO_EXPECTATION = "—"


@dataclass
class TallyLine:
    """One row of the tally as shown (mutable: scans update it in place)."""

    product_id: int
    sku: str
    name: str
    scanned: int
    expected: int | None

    @property
    def difference(self) -> int | None:
        """Scanned minus expected, or ``None`` without a purchase order."""
        return None if self.expected is None else self.scanned - self.expected


def difference_text(scanned: int, expected: int | None) -> str:
    """Over/under in words: "3 short", "2 over", "complete", "4 not ordered", or ""."""
    if expected is None:
        return ""
    difference = scanned - expected
    if difference < 0:
        return f"{-difference} short"
    if difference == 0:
        return "complete"
    if expected == 0:
        return f"{difference} not ordered"
    return f"{difference} over"


def difference_tip(line: TallyLine) -> str:
    """A sentence for the tooltip of the Difference cell."""
    if line.expected is None:
        return "Not receiving against a purchase order: nothing is expected."
    if line.expected == 0:
        return (
            f"{line.scanned} scanned, but the purchase order has none of this product "
            "outstanding: check the delivery note."
        )
    diff = line.scanned - line.expected
    if diff < 0:
        return f"{line.scanned} scanned of {line.expected} expected: {-diff} still to come."
    if diff == 0:
        return f"All {line.expected} expected units are scanned."
    return f"{line.scanned} scanned but only {line.expected} expected: {diff} too many."


class TallyModel(QAbstractTableModel):
    """The tally table's model.

    Attributes:
        lines: the rows, in display order.
        newest_product_id: the product of the latest scan (highlighted), or ``None``.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.lines: list[TallyLine] = []
        self.newest_product_id: int | None = None

    # ----------------------------------------------------------------- updates

    def reset(self, rows: Sequence[TallyRow], *, newest: int | None = None) -> None:
        """Show these rows (from ``Controller.draft_tally``)."""
        self.beginResetModel()
        self.lines = [
            TallyLine(
                product_id=row.product_id,
                sku=row.sku,
                name=row.name,
                scanned=row.scanned,
                expected=row.expected,
            )
            for row in rows
        ]
        self.newest_product_id = newest
        self.endResetModel()

    def clear(self) -> None:
        """No receipt: an empty table."""
        self.reset([])

    def apply(self, outcome: ScanOutcome) -> int:
        """Count one scan's outcome (its ``total`` is the product's units now).

        The row keeps draft_tally's order: a product scanned for the first time goes after
        the products already scanned (above the PO's unscanned ones). Returns its row.
        """
        previous = self.newest_product_id
        self.newest_product_id = outcome.product_id
        scanned_rows = sum(1 for line in self.lines if line.scanned > 0)
        row = self.row_of(outcome.product_id)
        if row is None:
            self.beginInsertRows(QModelIndex(), scanned_rows, scanned_rows)
            self.lines.insert(
                scanned_rows,
                TallyLine(
                    product_id=outcome.product_id,
                    sku=outcome.sku,
                    name=outcome.name,
                    scanned=outcome.total,
                    expected=outcome.expected,
                ),
            )
            self.endInsertRows()
            row = scanned_rows
        else:
            line = self.lines[row]
            if line.scanned == 0 and row != scanned_rows:
                # An expected product scanned for the first time joins the scanned ones.
                self.beginMoveRows(QModelIndex(), row, row, QModelIndex(), scanned_rows)
                self.lines.insert(scanned_rows, self.lines.pop(row))
                self.endMoveRows()
                row = scanned_rows
            line.scanned = outcome.total
            line.expected = outcome.expected
            self._row_changed(row)
        if previous is not None and previous != outcome.product_id:
            old = self.row_of(previous)
            if old is not None:
                self._row_changed(old)
        return row

    def _row_changed(self, row: int) -> None:
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    # ------------------------------------------------------------------ reading

    def row_of(self, product_id: int) -> int | None:
        """The row showing this product, or ``None``."""
        for row, line in enumerate(self.lines):
            if line.product_id == product_id:
                return row
        return None

    def line(self, row: int) -> TallyLine:
        return self.lines[row]

    @property
    def units(self) -> int:
        """Units scanned so far."""
        return sum(line.scanned for line in self.lines)

    @property
    def products(self) -> int:
        """Products with at least one unit scanned."""
        return sum(1 for line in self.lines if line.scanned > 0)

    @property
    def expected_units(self) -> int | None:
        """Units the purchase order still expects, or ``None`` without one."""
        if not self.lines or all(line.expected is None for line in self.lines):
            return None
        return sum(line.expected or 0 for line in self.lines)

    @property
    def short_units(self) -> int:
        return sum(
            max(-(line.difference or 0), 0) for line in self.lines if line.expected is not None
        )

    @property
    def over_units(self) -> int:
        return sum(max(line.difference or 0, 0) for line in self.lines)

    # --------------------------------------------------------------- Qt model

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.lines)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if role == Qt.ItemDataRole.TextAlignmentRole and section in (SCANNED, EXPECTED):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and section == DIFFERENCE:
            return "Scanned against expected: short, over, complete (against a purchase order)"
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.lines):
            return None
        line = self.lines[index.row()]
        column = index.column()
        newest = line.product_id == self.newest_product_id
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(line, column)
        if role == PRODUCT_ROLE:
            return line.product_id
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (SCANNED, EXPECTED):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and column == DIFFERENCE:
            return self._difference_color(line)
        if role == Qt.ItemDataRole.BackgroundRole and newest:
            return theme.colors().waiting
        if role == Qt.ItemDataRole.FontRole and (newest or column == DIFFERENCE):
            font = QFont()
            font.setBold(newest or bool(line.difference))
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = difference_tip(line)
            return f"Last scan. {tip}" if newest else tip
        return None

    @staticmethod
    def _text(line: TallyLine, column: int) -> str:
        if column == SKU:
            return line.sku
        if column == PRODUCT:
            return line.name
        if column == SCANNED:
            return f"{line.scanned:,}"
        if column == EXPECTED:
            return NO_EXPECTATION if line.expected is None else f"{line.expected:,}"
        return difference_text(line.scanned, line.expected)

    @staticmethod
    def _difference_color(line: TallyLine) -> QColor | None:
        diff = line.difference
        if diff is None:
            return None
        colors = theme.colors()
        if diff < 0:
            return colors.below_reorder
        if diff > 0:
            return colors.error
        return colors.ok
