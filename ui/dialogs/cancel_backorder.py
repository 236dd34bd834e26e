"""Confirm cancelling waiting lines, with a reason, before anything is written.

The dialog says in plain words what will be released and to whom: which units of which
product stop waiting for which customer, and who in the queue gets any units that were set
aside. Who gets what comes from ``Controller.preview_cancel`` (the real cancellation, rolled
back), so the words match what the store will do. The same wording reports the outcome
after the cancellation (``outcome_lines``).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.controller import Allocation, FilledLine
from app.errors import UserError
from app.queries import BackorderRow
from app.validation import clean_text
from ui.theme import error_style, muted_style

#: Offered in the reason field; the clerk may type any other reason.
COMMON_REASONS = (
    "Customer no longer wants it",
    "Customer found it elsewhere",
    "Waited too long",
    "Product discontinued by the supplier",
    "Entered by mistake",
)

#: Lines listed one by one in the confirmation; beyond that, a count.
MAX_LISTED = 8


def _units(count: int, kind: str = "") -> str:
    """``1 unit``, ``3 waiting units``."""
    noun = "unit" if count == 1 else "units"
    return f"{count} {kind} {noun}" if kind else f"{count} {noun}"


def what_is_cancelled(row: BackorderRow) -> str:
    """``Cancels 3 waiting + 2 reserved units of Brass hinge for Ann Smith (order 42).``"""
    if row.reserved:
        noun = "unit" if row.waiting + row.reserved == 1 else "units"
        held = f"{row.waiting} waiting + {row.reserved} reserved {noun}"
    else:
        held = _units(row.waiting, "waiting")
    return f"Cancels {held} of {row.name} for {row.customer} (order {row.order_id})."


@dataclass(frozen=True)
class Received:
    """What one other line ends up receiving from the cancellations, all steps summed."""

    line: FilledLine
    qty: int


def recipients(allocations: Sequence[Allocation], cancelled: set[int]) -> list[Received]:
    """Lines that receive released units, in the order they were served.

    A line that receives units and is itself cancelled later in the same batch passes them
    on, so it is left out; a line served by several steps shows the total it got and its
    final state.
    """
    totals: dict[int, int] = {}
    last: dict[int, FilledLine] = {}
    for allocation in allocations:
        for filled in [*allocation.fulfilled, *allocation.partial]:
            if filled.line_id in cancelled:
                continue
            totals[filled.line_id] = totals.get(filled.line_id, 0) + filled.qty
            last[filled.line_id] = filled
    return [Received(line=last[line_id], qty=qty) for line_id, qty in totals.items()]


def received_sentence(received: Received) -> str:
    """``Bob Jones (order 43) gets 2 units of Brass hinge: ready to pick.``"""
    line = received.line
    if line.still_waiting:
        state = f"still waiting for {line.still_waiting}"
    else:
        state = (
            "ready to pick"
            if line.ready_qty == received.qty
            else (f"all {line.ready_qty} ready to pick")
        )
    return (
        f"{line.customer} (order {line.order_id}) gets {_units(received.qty)} of "
        f"{line.name}: {state}."
    )


def release_sentences(rows: Sequence[BackorderRow], allocations: Sequence[Allocation]) -> list[str]:
    """Where the reserved units of ``rows`` go: a head ending in ':' then one sentence per
    receiving line, or a single sentence when nobody receives anything."""
    reserved = sum(row.reserved for row in rows)
    if not reserved:
        which = "these lines" if len(rows) > 1 else "this line"
        return [f"No stock is released: nothing was set aside for {which} yet."]
    got = recipients(allocations, {row.line_id for row in rows})
    given = sum(item.qty for item in got)
    released = "The reserved unit" if reserved == 1 else f"The {reserved} reserved units"
    if not got:
        names = ", ".join(sorted({row.name for row in rows if row.reserved}))
        verb = "goes" if reserved == 1 else "go"
        return [f"{released} {verb} back into stock: no one else is waiting for {names}."]
    if given == reserved:
        verb = "goes" if reserved == 1 else "go"
        return [
            f"{released} {verb} to the next in the queue:",
            *(received_sentence(item) for item in got),
        ]
    left = reserved - given
    return [
        f"{released} are shared out:",
        *(received_sentence(item) for item in got),
        f"{_units(left).capitalize()} {'goes' if left == 1 else 'go'} back into stock.",
    ]


def outcome_lines(rows: Sequence[BackorderRow], allocations: Sequence[Allocation]) -> list[str]:
    """What a done cancellation did, for the message after it (same words as the preview)."""
    count = len(rows)
    first = (
        f"Cancelled {rows[0].customer}'s {rows[0].name} (order {rows[0].order_id})."
        if count == 1
        else f"Cancelled {count} waiting lines."
    )
    cancelled = {row.line_id for row in rows}
    got = recipients(allocations, cancelled)
    if not got:
        return [first]
    return [first, *(received_sentence(item).replace(" gets ", " got ") for item in got)]


class CancelBackorderDialog(QDialog):
    """Asks for a reason and shows what cancelling ``rows`` releases to whom.

    After ``accept()``, ``reason`` holds the cleaned reason. ``summary()`` is the text shown,
    as plain text.
    """

    def __init__(
        self,
        rows: Sequence[BackorderRow],
        preview: Sequence[Allocation],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.rows = list(rows)
        self.reason = ""
        count = len(self.rows)
        self.setWindowTitle("Cancel backorder" if count == 1 else f"Cancel {count} backorders")
        self.setMinimumWidth(520)

        self._lines = self._summary_lines(preview)
        self.summary_label = QLabel(self._as_html())
        self.summary_label.setObjectName("summary")
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextFormat(Qt.TextFormat.RichText)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.reason_box = QComboBox()
        self.reason_box.setObjectName("reason")
        self.reason_box.setEditable(True)
        self.reason_box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.reason_box.addItems(COMMON_REASONS)
        self.reason_box.setCurrentIndex(-1)
        self.reason_box.setEditText("")
        self.reason_box.setAccessibleName("Reason")
        line_edit = self.reason_box.lineEdit()
        assert line_edit is not None
        line_edit.setPlaceholderText("Why is it cancelled? Pick or type a reason")
        reason_label = QLabel("&Reason (kept with the order and told to the customer):")
        reason_label.setBuddy(self.reason_box)

        self.error_label = QLabel()
        self.error_label.setObjectName("error")
        self.error_label.setWordWrap(True)
        self.error_label.setVisible(False)

        told = QLabel(
            "The customer gets a cancellation message in the outbox."
            if count == 1
            else "Each customer gets a cancellation message in the outbox."
        )
        told.setStyleSheet(muted_style())
        told.setWordWrap(True)

        buttons = QDialogButtonBox()
        self.confirm_button = QPushButton(
            "Cancel the line" if count == 1 else f"Cancel {count} lines"
        )
        self.confirm_button.setObjectName("confirm")
        self.keep_button = QPushButton("Keep waiting")
        self.keep_button.setObjectName("keep")
        self.keep_button.setToolTip("Close without cancelling anything (Esc)")
        buttons.addButton(self.confirm_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.keep_button, QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.confirm)
        buttons.rejected.connect(self.reject)
        self.confirm_button.setDefault(True)

        layout = QVBoxLayout(self)
        layout.addWidget(self.summary_label)
        layout.addSpacing(6)
        layout.addWidget(reason_label)
        layout.addWidget(self.reason_box)
        layout.addWidget(self.error_label)
        layout.addWidget(told)
        layout.addStretch(1)
        layout.addWidget(buttons)
        self.reason_box.setFocus()

    def _summary_lines(self, preview: Sequence[Allocation]) -> list[str]:
        listed = [what_is_cancelled(row) for row in self.rows[:MAX_LISTED]]
        if len(self.rows) > MAX_LISTED:
            listed.append(f"… and {len(self.rows) - MAX_LISTED} more lines.")
        return [*listed, *release_sentences(self.rows, preview)]

    def _as_html(self) -> str:
        count = len(self.rows)
        cancels = min(count, MAX_LISTED) + (1 if count > MAX_LISTED else 0)
        head, tail = self._lines[:cancels], self._lines[cancels:]
        if count == 1:
            parts = [f"<p><b>{html.escape(head[0])}</b></p>"]
        else:
            items = "".join(f"<li>{html.escape(text)}</li>" for text in head)
            parts = [f"<p><b>Cancels {count} waiting lines:</b></p><ul>{items}</ul>"]
        if tail and tail[0].endswith(":"):
            items = "".join(f"<li>{html.escape(text)}</li>" for text in tail[1:])
            parts.append(f"<p>{html.escape(tail[0])}</p><ul>{items}</ul>")
        else:
            parts.extend(f"<p>{html.escape(text)}</p>" for text in tail)
        return "".join(parts)

    def summary(self) -> str:
        """The confirmation text as plain text, one sentence per line."""
        return "\n".join(self._lines)

    def confirm(self) -> None:
        """Accept when a reason is given; otherwise say so under the field."""
        try:
            self.reason = clean_text(self.reason_box.currentText(), what="Reason", max_length=500)
        except UserError as error:
            self.error_label.setText(
                f"{error} Pick one from the list or type why the line is cancelled."
                if not self.reason_box.currentText().strip()
                else str(error)
            )
            self.error_label.setStyleSheet(error_style())
            self.error_label.setVisible(True)
            self.reason_box.setFocus()
            return
        self.accept()
