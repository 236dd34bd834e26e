"""One order in full: who ordered what, where every line stands, what was decided, what
happened since, and the messages the customer gets about it.

``OrderDetailView`` is a pane (the Orders section shows it under its list; anything can
call ``show_order``). Its two actions are the controller's: "Ship ready lines"
(``Controller.ship_order``: every reserved unit goes, including the in-stock part of a
waiting line, whose other units keep their place in the queue) and "Cancel line…"
(``Controller.cancel_line`` with a reason, asked for in ``CancelLineDialog``). Before the
clerk ships, the pane says exactly what would go.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import date, datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QFont, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.clock import to_local
from app.controller import Allocation
from app.errors import UserError
from app.order_queries import (
    STATUS_MEANING,
    DetailLine,
    HistoryEntry,
    LineState,
    MessageEntry,
    OrderDetail,
    order_detail,
)
from app.validation import clean_text
from ui import theme
from ui.context import DeskContext
from ui.permissions import cancel_permission, permit, show_permission

#: Offered in the cancel dialog's reason field; the clerk may type any other reason.
COMMON_REASONS = (
    "Customer no longer wants it",
    "Customer found it elsewhere",
    "Waited too long",
    "Product discontinued by the supplier",
    "Entered by mistake",
)

EVENT_NAMES = {
    "backorder_confirmed": "Backorder confirmed",
    "ready": "Ready to collect",
    "cancelled": "Cancelled",
    "eta_changed": "New expected date",
}

LINE_COLUMNS = (
    "SKU",
    "Product",
    "Ordered",
    "State",
    "Ready",
    "Waiting",
    "Shipped",
    "Cancelled",
    "ETA",
    "Decision",
)
LINE_TIPS = {
    "Ready": "Units reserved on the shelf for this line: they go with “Ship ready lines”",
    "Waiting": "Units on the backorder list, served in queue order when stock arrives",
    "ETA": "When the waiting units should arrive, from open purchase orders and the queue",
    "Decision": "What the customer chose when the line was short, who recorded it and when",
}


def when(moment: datetime) -> str:
    """A stored (UTC) time as the clerk's local ``25 Nov 14:02``."""
    return f"{to_local(moment):%d %b %H:%M}"


def day(value: date | None, missing: str = "") -> str:
    return f"{value:%d %b %Y}" if value else missing


def units(count: int) -> str:
    return "1 unit" if count == 1 else f"{count} units"


def decision_text(line: DetailLine) -> str:
    """``Customer waits — Admin, 25 Nov 14:02``; a later cancellation adds its reason."""
    parts = []
    if line.decision:
        chosen = "Customer waits" if line.decision == "wait" else "Customer cancelled it"
        by = ", ".join(
            part
            for part in (line.decided_by or "", when(line.decided_at) if line.decided_at else "")
            if part
        )
        parts.append(f"{chosen} — {by}" if by else chosen)
    if line.cancel_reason:
        parts.append(f"Cancelled: {line.cancel_reason}")
    return "; ".join(parts)


def history_text(entry: HistoryEntry) -> str:
    """``25 Nov 14:02 — Admin placed the order: 2 reserved, 3 waiting``."""
    text = f"{entry.who} {entry.text}" if entry.who else entry.text
    return f"{when(entry.at)} — {text}"


#: How the Messages tab names a message's status; "sent" and "told" add the time.
MESSAGE_STATUS = {
    "queued": "Queued",
    "sending": "Sending…",
    "failed": "Failed (see Messages)",
    "uncertain": "May have been sent",
    "sent": "Sent by e-mail",
    "told": "Told",
}
TOLD_HOW = {"phone": "by phone", "in person": "in person", "printed": "on paper"}


def message_status(message: MessageEntry) -> str:
    """``Sent by e-mail 25 Nov 14:02``, ``Told by phone 25 Nov 14:05``, ``May have been sent``."""
    text = MESSAGE_STATUS.get(message.status, message.status)
    if message.status == "told":
        text = f"Told {TOLD_HOW.get(message.told_via or '', message.told_via or '')}".strip()
    if message.status in ("sent", "told") and message.sent_at:
        text += f" {when(message.sent_at)}"
    return text


def message_events(messages: Sequence[MessageEntry]) -> list[HistoryEntry]:
    """The timeline's entries for what became of each message (who told the customer by
    phone or in person comes from the audit log, with the person's name)."""
    entries = []
    for message in messages:
        subject = f"“{message.subject}”"
        if message.status == "sent" and message.sent_at:
            entries.append(HistoryEntry(message.sent_at, "", f"Sent by e-mail: {subject}"))
        elif message.status == "uncertain":
            entries.append(
                HistoryEntry(
                    message.created_at,
                    "",
                    f"{subject} may have been sent by e-mail (sending was cut off); "
                    "a person decides in Messages",
                )
            )
        elif message.status == "failed":
            entries.append(
                HistoryEntry(
                    message.created_at, "", f"{subject} could not be sent by e-mail (see Messages)"
                )
            )
    return entries


def ship_summary(detail: OrderDetail) -> str:
    """What "Ship ready lines" would hand over now, in words."""
    ready = [line for line in detail.lines if line.reserved]
    if not ready:
        return "Nothing is ready to ship: no units are reserved for this order."
    listed = ", ".join(f"{line.sku} × {line.reserved}" for line in ready)
    text = f"Ships {units(detail.units_to_ship)} now: {listed}."
    partial = [line for line in ready if line.waiting]
    if partial:
        rest = ", ".join(f"{line.sku} {line.waiting}" for line in partial)
        text += f" The rest of a waiting line keeps its place in the queue ({rest})."
    return text


class CancelLineDialog(QDialog):
    """Asks why a line is cancelled; after ``accept()``, ``reason`` holds the clean reason."""

    def __init__(self, detail: OrderDetail, line: DetailLine, parent: QWidget | None = None):
        super().__init__(parent)
        self.line = line
        self.reason = ""
        self.setWindowTitle(f"Cancel {line.sku} on order {detail.order_id}")
        held = []
        if line.waiting:
            held.append(f"{line.waiting} waiting")
        if line.reserved:
            held.append(f"{line.reserved} reserved")
        held_text = " + ".join(held)
        noun = "unit" if line.waiting + line.reserved == 1 else "units"
        parts = [
            f"<p><b>Cancels {held_text} {noun} of {html.escape(line.name)} for "
            f"{html.escape(detail.customer)}.</b></p>"
        ]
        if line.reserved:
            parts.append(
                "<p>The reserved units go to the next customer waiting for it, or back into "
                "stock.</p>"
            )
        if line.shipped:
            parts.append(f"<p>The {line.shipped} already shipped stay shipped.</p>")
        summary = QLabel("".join(parts))
        summary.setWordWrap(True)
        summary.setObjectName("summary")
        self.reason_box = QComboBox()
        self.reason_box.setObjectName("reason")
        self.reason_box.setEditable(True)
        self.reason_box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.reason_box.addItems(COMMON_REASONS)
        self.reason_box.setCurrentIndex(-1)
        self.reason_box.setEditText("")
        edit = self.reason_box.lineEdit()
        if edit is not None:
            edit.setPlaceholderText("Why is it cancelled? Pick or type a reason")
        label = QLabel("&Reason (kept with the order and told to the customer):")
        label.setBuddy(self.reason_box)
        self.error_label = QLabel()
        self.error_label.setObjectName("error")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(theme.error_style())
        self.error_label.setVisible(False)
        told = QLabel("The customer gets a cancellation message in the outbox.")
        told.setStyleSheet(theme.muted_style())
        buttons = QDialogButtonBox()
        self.confirm_button = QPushButton("Cancel the line")
        self.confirm_button.setObjectName("confirm")
        keep = QPushButton("Keep the line")
        keep.setToolTip("Close without cancelling anything (Esc)")
        buttons.addButton(self.confirm_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(keep, QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.confirm)
        buttons.rejected.connect(self.reject)
        self.confirm_button.setDefault(True)
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addWidget(label)
        layout.addWidget(self.reason_box)
        layout.addWidget(self.error_label)
        layout.addWidget(told)
        layout.addStretch(1)
        layout.addWidget(buttons)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 60)
        self.reason_box.setFocus()

    def confirm(self) -> None:
        """Accept when a reason is given; otherwise say so under the field."""
        try:
            self.reason = clean_text(self.reason_box.currentText(), what="Reason", max_length=500)
        except UserError as error:
            self.error_label.setText(f"{error} Pick one from the list or type why.")
            self.error_label.setVisible(True)
            self.reason_box.setFocus()
            return
        self.accept()


class OrderDetailView(QWidget):
    """The detail pane of one order.

    Signals:
        shown(int): an order was loaded (its id).
    """

    shown = Signal(int)

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.order_id: int | None = None
        self.detail: OrderDetail | None = None
        self.cancel_dialog: CancelLineDialog | None = None

        self.title = QLabel("No order selected")
        self.title.setObjectName("title")
        font = QFont(self.title.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.25)
        self.title.setFont(font)
        # The title never gives way; the explanation next to it does.
        self.title.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Preferred)
        self.meaning = QLabel()
        self.meaning.setStyleSheet(theme.muted_style())
        self.meaning.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.customer_label = QLabel()
        self.customer_label.setObjectName("customer")
        self.customer_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.placed_label = QLabel()
        self.placed_label.setObjectName("placed")
        self.placed_label.setWordWrap(True)
        self.open_customer_button = QPushButton("Customer…")
        self.open_customer_button.setToolTip("Show this customer's details and other orders")
        self.open_customer_button.clicked.connect(self._open_customer)

        self.ship_button = QPushButton("&Ship ready lines")
        self.ship_button.setObjectName("ship")
        self.ship_button.setToolTip(
            "Hand over every reserved unit, including the in-stock part of waiting lines "
            "(Ctrl+Shift+S)"
        )
        self.ship_button.clicked.connect(self.ship_ready_lines)
        self.cancel_button = QPushButton("&Cancel line…")
        self.cancel_button.setObjectName("cancel_line")
        self.cancel_button.setToolTip(
            "Cancel what is left of the selected line, with a reason (Ctrl+Del)"
        )
        self.cancel_button.clicked.connect(self.cancel_selected_line)
        self._ship_targets: list[QAction | QWidget] = [self.ship_button]
        self._cancel_targets: list[QAction | QWidget] = [self.cancel_button]
        ctx.staff_changed.connect(self._update_buttons)
        self.ship_summary = QLabel()
        self.ship_summary.setObjectName("ship_summary")
        self.ship_summary.setWordWrap(True)
        self.result_label = QLabel()
        self.result_label.setObjectName("result")
        self.result_label.setWordWrap(True)
        self.result_label.setVisible(False)

        self.lines_table = QTableWidget(0, len(LINE_COLUMNS))
        self.lines_table.setObjectName("lines")
        self.lines_table.setAccessibleName("Order lines")
        self.lines_table.setHorizontalHeaderLabels(list(LINE_COLUMNS))
        for index, name in enumerate(LINE_COLUMNS):
            header_item = self.lines_table.horizontalHeaderItem(index)
            if header_item is not None and name in LINE_TIPS:
                header_item.setToolTip(LINE_TIPS[name])
        self.lines_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.lines_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.lines_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.lines_table.verticalHeader().setVisible(False)
        self.lines_table.setWordWrap(False)
        header = self.lines_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.lines_table.itemSelectionChanged.connect(self._update_buttons)

        self.history_list = QListWidget()
        self.history_list.setObjectName("history")
        self.history_list.setAccessibleName("History")
        self.history_list.setWordWrap(True)
        self.messages_table = QTableWidget(0, 4)
        self.messages_table.setObjectName("messages")
        self.messages_table.setHorizontalHeaderLabels(["When", "Message", "Status", "Subject"])
        self.messages_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.messages_table.verticalHeader().setVisible(False)
        self.messages_table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )
        self.messages_table.horizontalHeader().setStretchLastSection(True)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.history_list, "History")
        self.tabs.addTab(self.messages_table, "Messages")

        info = QGridLayout()
        info.setContentsMargins(0, 0, 0, 0)
        info.addWidget(QLabel("Customer:"), 0, 0)
        info.addWidget(self.customer_label, 0, 1)
        info.addWidget(self.open_customer_button, 0, 2)
        info.addWidget(QLabel("Placed:"), 1, 0)
        info.addWidget(self.placed_label, 1, 1, 1, 2)
        info.setColumnStretch(1, 1)
        actions = QHBoxLayout()
        actions.addWidget(self.ship_button)
        actions.addWidget(self.cancel_button)
        actions.addWidget(self.ship_summary, 1)

        # Lines over history: the lines need the full width for their decisions.
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.lines_table)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.splitter = splitter
        self._sized = False

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        title_row = QHBoxLayout()
        title_row.addWidget(self.title)
        title_row.addWidget(self.meaning, 1)
        layout.addLayout(title_row)
        layout.addLayout(info)
        layout.addLayout(actions)
        layout.addWidget(self.result_label)
        layout.addWidget(splitter, 1)
        self.setTabOrder(self.lines_table, self.ship_button)
        self.setTabOrder(self.ship_button, self.cancel_button)
        self.setTabOrder(self.cancel_button, self.tabs)
        self._show_nothing()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._sized:
            # First show: the lines get three fifths, the history the rest.
            self._sized = True
            total = max(self.splitter.height(), 1)
            self.splitter.setSizes([total * 3 // 5, total - total * 3 // 5])

    # ---------------------------------------------------------------- showing

    def show_order(self, order_id: int | None) -> None:
        """Load and show an order (``None``: show nothing); the last result stays hidden."""
        if order_id != self.order_id:
            self.result_label.setVisible(False)
        self.order_id = order_id
        self.reload()

    def reload(self) -> None:
        """Read the shown order again (the store changed), keeping the selected line."""
        if self.order_id is None:
            self._show_nothing()
            return
        keep = self.selected_line()
        try:
            self.detail = order_detail(self.order_id)
        except UserError as error:
            self._show_nothing(str(error))
            return
        self._fill(self.detail)
        # Keep the selected line; else select the first line with something to act on.
        wanted = keep.line_id if keep is not None else None
        rows = [line.line_id for line in self.detail.lines]
        if wanted not in rows:
            wanted = next((line.line_id for line in self.detail.lines if line.can_cancel), None)
        if wanted is not None:
            self.lines_table.selectRow(rows.index(wanted))
        self._update_buttons()
        self.shown.emit(self.order_id)

    def _show_nothing(self, why: str = "Pick an order in the list to see it here.") -> None:
        self.detail = None
        self.title.setText("No order selected")
        self.meaning.setText(why)
        for label in (self.customer_label, self.placed_label, self.ship_summary):
            label.setText("")
        self.lines_table.setRowCount(0)
        self.history_list.clear()
        self.messages_table.setRowCount(0)
        self._update_buttons()

    def _fill(self, detail: OrderDetail) -> None:
        status = detail.status
        self.title.setText(f"Order {detail.order_id} · {str(status).capitalize()}")
        self.meaning.setText(STATUS_MEANING[status])
        contact = " · ".join(part for part in (detail.email, detail.phone) if part)
        self.customer_label.setText(f"{detail.customer}" + (f" · {contact}" if contact else ""))
        placed = f"{to_local(detail.placed_at):%d %b %Y %H:%M} by {detail.staff}"
        if detail.priority:
            placed += f" · priority {detail.priority:+d}"
        if detail.note:
            placed += f" · Note: {detail.note}"
        self.placed_label.setText(placed)
        self.ship_summary.setText(ship_summary(detail))
        self._fill_lines(detail.lines)
        self._fill_history(
            sorted([*detail.history, *message_events(detail.messages)], key=lambda e: e.at)
        )
        self._fill_messages(detail.messages)

    def _fill_lines(self, lines: Sequence[DetailLine]) -> None:
        table = self.lines_table
        table.setRowCount(len(lines))
        tint = theme.colors().waiting
        muted = theme.colors().muted
        for row, line in enumerate(lines):
            eta_text = day(line.eta, "no date yet") if line.waiting else ""
            values = [
                line.sku,
                line.name,
                line.ordered,
                str(line.state),
                line.reserved,
                line.waiting,
                line.shipped,
                line.cancelled,
                eta_text,
                decision_text(line),
            ]
            for column, value in enumerate(values):
                item = QTableWidgetItem("" if value == 0 and column in (4, 5, 6, 7) else str(value))
                if isinstance(value, int):
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if line.state is LineState.WAITING:
                    item.setBackground(tint)
                elif line.state is LineState.CANCELLED:
                    item.setForeground(muted)
                if column == 9 and value:
                    item.setToolTip(str(value))
                if column == 8 and line.waiting and line.eta is None:
                    item.setToolTip("No open purchase order covers this line's place in the queue")
                table.setItem(row, column, item)
        table.resizeColumnToContents(1)

    def _fill_history(self, history: Sequence[HistoryEntry]) -> None:
        self.history_list.clear()
        for entry in history:
            self.history_list.addItem(QListWidgetItem(history_text(entry)))

    def _fill_messages(self, messages: Sequence[MessageEntry]) -> None:
        table = self.messages_table
        table.setRowCount(len(messages))
        for row, message in enumerate(messages):
            status = message_status(message)
            for column, value in enumerate(
                [
                    when(message.created_at),
                    EVENT_NAMES.get(message.event, message.event),
                    status,
                    message.subject,
                ]
            ):
                table.setItem(row, column, QTableWidgetItem(value))
        self.tabs.setTabText(1, f"Messages ({len(messages)})" if messages else "Messages")

    # ---------------------------------------------------------------- actions

    def selected_line(self) -> DetailLine | None:
        if self.detail is None:
            return None
        rows = self.lines_table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.detail.lines):
            return None
        return self.detail.lines[rows[0].row()]

    def mirror(self, *, ship: QAction, cancel: QAction) -> None:
        """Enable these menu actions (and explain them) exactly as the two buttons."""
        self._ship_targets.append(ship)
        self._cancel_targets.append(cancel)
        self._update_buttons()

    def _update_buttons(self) -> None:
        detail = self.detail
        shippable = detail is not None and detail.units_to_ship > 0
        for target in self._ship_targets:
            permit(target, self.ctx, "ship_order", enabled=shippable)
        line = self.selected_line()
        cancellable = line is not None and line.can_cancel
        lines = [line.line_id] if line is not None and cancellable else []
        may_cancel, refused = cancel_permission(self.ctx, lines)
        for target in self._cancel_targets:
            show_permission(target, may_cancel, refused, enabled=cancellable)
        self.open_customer_button.setEnabled(detail is not None)

    def _say(self, text: str, *, ok: bool) -> None:
        self.result_label.setStyleSheet(theme.ok_style() if ok else theme.error_style())
        self.result_label.setText(text)
        self.result_label.setVisible(True)

    def ship_ready_lines(self) -> None:
        """Ship every reserved unit of the order (the controller decides what that is)."""
        if self.detail is None:
            return
        try:
            shipped = self.ctx.controller.ship_order(self.detail.order_id)
        except UserError as error:
            self._say(str(error), ok=False)
            return
        listed = ", ".join(f"{item.sku} × {item.qty}" for item in shipped)
        total = sum(item.qty for item in shipped)
        self._say(f"Shipped {units(total)}: {listed}.", ok=True)
        self.ctx.notify_changed()
        self.reload()

    def cancel_selected_line(self) -> None:
        """Ask for a reason (non-blocking dialog), then cancel the selected line."""
        line = self.selected_line()
        if self.detail is None or line is None:
            self._say("Select the line to cancel first.", ok=False)
            return
        if not line.can_cancel:
            self._say(f"{line.sku} has nothing left to cancel (it is {line.state}).", ok=False)
            return
        dialog = CancelLineDialog(self.detail, line, self)
        dialog.accepted.connect(lambda: self._cancel(dialog.line, dialog.reason))
        self.cancel_dialog = dialog
        dialog.open()

    def _cancel(self, line: DetailLine, reason: str) -> None:
        try:
            allocation = self.ctx.controller.cancel_line(line.line_id, reason=reason)
        except UserError as error:
            self._say(str(error), ok=False)
            return
        self._say(cancel_outcome(line, allocation), ok=True)
        self.ctx.notify_changed()
        self.reload()

    def _open_customer(self) -> None:
        if self.detail is not None:
            self.ctx.open_customer.emit(self.detail.customer_id)


def cancel_outcome(line: DetailLine, allocation: Allocation) -> str:
    """``Cancelled NUT-7. Bob Baker (order 43) got 2 units.``"""
    text = f"Cancelled what was left of {line.sku}."
    got = [*allocation.fulfilled, *allocation.partial]
    if got:
        text += " " + " ".join(
            f"{filled.customer} (order {filled.order_id}) got {units(filled.qty)}."
            for filled in got
        )
    return text
