"""The wait-or-cancel prompt: what the clerk reads to a customer whose order is short.

Presentation only. The shortages come from the controller (``ShortageDecisionNeeded``);
the prompt shows one row per short line (product, asked, available now, short by, the
queue-aware ETA or "no date yet") and the plain sentences to read aloud, collects
"Customer will wait" or "Cancel this line" for every row, and hands the answers back to
the caller, which passes them to ``Controller.place_order``.

Keyboard: W or C answers the current row and moves to the next; Enter confirms once every
row has an answer; Esc goes back to the order; "Cancel whole order" has Alt+X.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from enum import IntEnum

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QKeyEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.controller import Decision, Shortage
from ui import theme

CHOICE_TEXT = {Decision.WAIT: "Customer will wait", Decision.CANCEL: "Cancel this line"}
NO_CHOICE = "press W or C"
COLUMNS = ("Product", "Asked", "Available now", "Short by", "Expected", "Choice")
CHOICE_COLUMN = COLUMNS.index("Choice")
_ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class PromptOutcome(IntEnum):
    """How the prompt was closed (its ``result()``)."""

    BACK = 0  # Esc / "Back to order": nothing decided, the order stays open for editing
    CONFIRM = 1  # every row answered
    CANCEL_ORDER = 2  # the customer does not want the order at all


def eta_text(shortage: Shortage) -> str:
    """The expected date as shown in the table, the supplier's lead-time estimate marked
    as one, or "no date yet"."""
    return shortage.when()


def _scaled_font(widget: QWidget, factor: float, *, bold: bool = False) -> QFont:
    font = QFont(widget.font())
    font.setPointSizeF(font.pointSizeF() * factor)
    font.setBold(bold)
    return font


class WaitOrCancelDialog(QDialog):
    """Ask the customer, line by line: wait for the rest, or cancel the line?

    Attributes:
        shortages: what the controller reported, in the order's line order.
        changed: the stock changed since the customer was last told (shows a note).
    """

    def __init__(
        self,
        shortages: Sequence[Shortage],
        *,
        changed: bool = False,
        customer: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.shortages = list(shortages)
        self.changed = changed
        self._choices: dict[int, Decision] = {}
        self.setWindowTitle("Not everything is in stock")
        self.setModal(True)
        self.setFont(_scaled_font(self, 1.1))

        heading = QLabel("Not everything is in stock")
        heading.setFont(_scaled_font(self, 1.35, bold=True))
        who = html.escape(customer) if customer else "the customer"
        ask = QLabel(f"For each line below, ask {who}: wait for the rest, or cancel the line?")
        ask.setWordWrap(True)
        ask.setTextFormat(Qt.TextFormat.RichText)

        self.change_note = QLabel(
            "Stock changed while the customer was deciding. This is the new situation: "
            "please tell the customer again and ask once more."
        )
        self.change_note.setWordWrap(True)
        self.change_note.setFrameShape(QFrame.Shape.StyledPanel)
        self.change_note.setMargin(8)
        note = theme.colors().age_7
        self.change_note.setStyleSheet(
            f"background: rgba({note.red()}, {note.green()}, {note.blue()}, "
            f"{max(note.alpha(), 90)}); border-radius: 4px;"
        )
        self.change_note.setVisible(changed)

        self.table = QTableWidget(len(self.shortages), len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        self.table.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)
        self.table.setToolTip(
            "W: customer will wait · C: cancel this line · Enter: confirm · Esc: back to order"
        )
        # Every column as wide as its text (the dialog grows to fit, so product names are
        # never cut); the choice column takes any room left.
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        for row, shortage in enumerate(self.shortages):
            cells = (
                f"{shortage.name}  ({shortage.sku})",
                str(shortage.asked),
                str(shortage.available),
                str(shortage.short_by),
                eta_text(shortage),
                NO_CHOICE,
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column in (1, 2, 3):
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(row, column, item)
            self._paint_choice(row)
        # Roomy rows: this table is read across the counter, not skimmed.
        self.table.verticalHeader().setDefaultSectionSize(int(self.fontMetrics().height() * 2))
        self.table.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Maximum)
        self.table.installEventFilter(self)

        self.wait_button = QPushButton("Customer will wait   (W)")
        self.wait_button.setToolTip(
            "The customer takes what is here and waits for the rest of this line (W)"
        )
        self.cancel_line_button = QPushButton("Cancel this line   (C)")
        self.cancel_line_button.setToolTip("Drop this line from the order (C)")
        self.wait_button.clicked.connect(lambda: self.choose(Decision.WAIT))
        self.cancel_line_button.clicked.connect(lambda: self.choose(Decision.CANCEL))
        choice_row = QHBoxLayout()
        choice_row.addWidget(self.wait_button)
        choice_row.addWidget(self.cancel_line_button)
        choice_row.addStretch(1)

        read_title = QLabel("Read to the customer")
        read_title.setFont(_scaled_font(self, 1.0, bold=True))
        self.sentences = QLabel()
        self.sentences.setWordWrap(True)
        self.sentences.setTextFormat(Qt.TextFormat.RichText)
        self.sentences.setFont(_scaled_font(self, 1.25))
        self.sentences.setText(self._sentence_html())
        self.sentences.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        read_box = QFrame()
        read_box.setFrameShape(QFrame.Shape.StyledPanel)
        read_layout = QVBoxLayout(read_box)
        read_layout.addWidget(read_title)
        read_layout.addWidget(self.sentences)

        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.cancel_order_button = QPushButton("Cancel whole order")
        self.cancel_order_button.setToolTip(
            "The customer does not want the order; nothing is saved (Alt+X)"
        )
        self.cancel_order_button.setShortcut("Alt+X")
        self.back_button = QPushButton("Back to order")
        self.back_button.setToolTip("Return to the order to change it (Esc)")
        self.confirm_button = QPushButton("Confirm")
        self.confirm_button.setToolTip("Place the order with these answers (Enter)")
        self.cancel_order_button.clicked.connect(self.cancel_order)
        self.back_button.clicked.connect(self.reject)
        self.confirm_button.clicked.connect(self.confirm)
        for button in (
            self.wait_button,
            self.cancel_line_button,
            self.cancel_order_button,
            self.back_button,
            self.confirm_button,
        ):
            # Enter must confirm (when allowed), never press whichever button has focus.
            button.setAutoDefault(False)
            button.setDefault(False)
        bottom = QHBoxLayout()
        bottom.addWidget(self.cancel_order_button)
        bottom.addStretch(1)
        bottom.addWidget(self.back_button)
        bottom.addWidget(self.confirm_button)

        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(heading)
        layout.addWidget(self.change_note)
        layout.addWidget(ask)
        layout.addWidget(self.table)
        layout.addLayout(choice_row)
        layout.addWidget(read_box)
        layout.addWidget(self.hint)
        layout.addStretch(1)
        layout.addLayout(bottom)

        self.setTabOrder(self.table, self.wait_button)
        self.setTabOrder(self.wait_button, self.cancel_line_button)
        self.setTabOrder(self.cancel_line_button, self.confirm_button)
        self.setTabOrder(self.confirm_button, self.back_button)
        self.setTabOrder(self.back_button, self.cancel_order_button)
        self.table.setCurrentCell(0, 0)
        self.table.setFocus()
        self._update_state()
        bold = QFont(self.font())
        bold.setBold(True)
        metrics = QFontMetrics(bold)
        choice_width = metrics.horizontalAdvance(CHOICE_TEXT[Decision.WAIT]) + metrics.height() * 2
        self.table.setMinimumWidth(
            min(int(self._table_width() + choice_width), self._screen_width() * 9 // 10)
        )
        self.resize(max(self.sizeHint().width(), 860), self.sizeHint().height())

    def _table_width(self) -> int:
        header = self.table.horizontalHeader()
        widths = sum(
            max(self.table.sizeHintForColumn(c), header.sectionSizeHint(c))
            for c in range(CHOICE_COLUMN)
        )
        return widths + 2 * self.table.frameWidth() + 4

    def _screen_width(self) -> int:
        screen = self.screen()
        return screen.availableGeometry().width() if screen is not None else 1280

    # ----------------------------------------------------------------- answers

    def decisions(self) -> dict[int, Decision]:
        """The answers so far, by product id."""
        return dict(self._choices)

    def all_answered(self) -> bool:
        return all(s.product_id in self._choices for s in self.shortages)

    def set_choice(self, row: int, decision: Decision) -> None:
        """Answer one row."""
        if not 0 <= row < len(self.shortages):
            return
        self._choices[self.shortages[row].product_id] = decision
        self._paint_choice(row)
        self._update_state()

    def choose(self, decision: Decision) -> None:
        """Answer the current row and move on to the next one."""
        row = max(self.table.currentRow(), 0)
        self.set_choice(row, decision)
        if row + 1 < len(self.shortages):
            self.table.setCurrentCell(row + 1, 0)
        self.table.setFocus()

    def confirm(self) -> None:
        """Close with every answer given; otherwise say what is missing."""
        if not self.all_answered():
            self._update_state(nudge=True)
            return
        self.done(PromptOutcome.CONFIRM)

    def cancel_order(self) -> None:
        self.done(PromptOutcome.CANCEL_ORDER)

    @property
    def outcome(self) -> PromptOutcome:
        return PromptOutcome(self.result())

    # -------------------------------------------------------------- keyboard

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self._handle_key(event):
            return
        super().keyPressEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # The table would use W and C for its type-to-find; they are answers here.
        if (
            watched is self.table
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and self._handle_key(event)
        ):
            return True
        return super().eventFilter(watched, event)

    def _handle_key(self, event: QKeyEvent) -> bool:
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if modifiers not in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ShiftModifier):
            return False
        key = event.key()
        if key == Qt.Key.Key_W:
            self.choose(Decision.WAIT)
        elif key == Qt.Key.Key_C:
            self.choose(Decision.CANCEL)
        elif key in _ENTER:
            self.confirm()
        else:
            return False
        event.accept()
        return True

    # -------------------------------------------------------------- painting

    def _paint_choice(self, row: int) -> None:
        item = self.table.item(row, CHOICE_COLUMN)
        if item is None:
            return
        choice = self._choices.get(self.shortages[row].product_id)
        dark = theme.is_dark()
        font = QFont(self.font())
        if choice is None:
            item.setText(NO_CHOICE)
            item.setForeground(self.palette().color(QPalette.ColorRole.PlaceholderText))
            font.setItalic(True)
        else:
            item.setText(CHOICE_TEXT[choice])
            if choice is Decision.WAIT:
                colour = QColor("#8ab4f8") if dark else QColor("#0b57d0")
            else:
                colour = theme.colors().error
            item.setForeground(colour)
            font.setBold(True)
        item.setFont(font)

    def _sentence_html(self) -> str:
        parts = [
            f"<p style='margin-bottom:6px'><b>{html.escape(s.name)}:</b> "
            f"{html.escape(s.sentence())}</p>"
            for s in self.shortages
        ]
        return "".join(parts)

    def _update_state(self, *, nudge: bool = False) -> None:
        missing = sum(1 for s in self.shortages if s.product_id not in self._choices)
        self.confirm_button.setEnabled(missing == 0)
        if missing == 0:
            self.hint.setText("Every line has an answer: press Enter to place the order.")
            self.hint.setStyleSheet("")
        else:
            lines = "line still needs" if missing == 1 else "lines still need"
            self.hint.setText(
                f"{missing} {lines} an answer: W (customer will wait) or C (cancel this line)."
            )
            self.hint.setStyleSheet("font-weight: bold;" if nudge else "")
