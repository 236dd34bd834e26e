"""The Messages section: the outbox, and telling customers who have no e-mail.

The list (``app.outbox_queries``, paged and filtered in SQL) shows every customer message:
queued, sent, failed with the mail server's error, "may have been sent" (a send cut off by
a crash: it may have arrived, so a person decides), and told by phone, in person or on
paper. The pane beside it previews the selected message as the customer gets it.

Actions:

* **Send now** (F9) runs ``app.mailer.send_queued`` on ``ui.worker`` (off the GUI thread,
  with progress), so the window never waits for a mail server. Queued and failed messages
  go; a failed one is therefore retried by the next send.
* **Retry** (Shift+F9) on a failed message: a send now.
* **Resend…** (Ctrl+Shift+R) on a message that may have been sent (or was sent, when the
  customer says it never came): after a confirmation that says it may arrive twice (with
  the same Message-ID, so the customer's mail program can tell),
  ``Controller.resend_message`` queues it again and a send starts.
* **Told by phone** / **Told in person** / **Given on paper**:
  ``Controller.mark_message_told`` records who told the customer and when; the order's
  timeline shows it.
* **Print…** (Ctrl+P, a print preview) and **Copy text** (Ctrl+Shift+C) for customers
  without e-mail and for stores without a mail server.

Background sending: while the desk is open and a mail server is set up, the section runs
a send every ``AUTO_SEND_SECONDS`` when something is queued, and every
``RETRY_EVERY_TICKS`` ticks when only failed messages wait. Nothing is kept in memory: the
outbox is in the store, so after a restart the first tick sends what was left (a message a
crash left half-sent becomes "may have been sent", for a person to decide).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QFont,
    QGuiApplication,
    QKeySequence,
    QPalette,
    QShowEvent,
    QTextDocument,
)
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableView,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app import mail_settings, mailer, outbox_queries
from app.clock import to_local
from app.errors import UserError
from app.mailer import SendReport
from app.outbox_queries import (
    NEEDS_ATTENTION,
    STATUS_MEANING,
    STATUS_TEXT,
    WAITING,
    MessageDetail,
    OutboxRow,
)
from ui import theme
from ui.context import DeskContext
from ui.paged_model import ROW_ROLE, Column, PagedTableModel, RowStyle
from ui.permissions import permit
from ui.section import Section, debounce_search, search_field, status_filter
from ui.worker import Progress, run_in_background

#: How often the desk sends what waits in the outbox, when a mail server is set up.
AUTO_SEND_SECONDS = 60
#: Failed messages are tried again automatically every this many ticks (10 minutes).
RETRY_EVERY_TICKS = 10

EVENT_NAMES = {
    "backorder_confirmed": "Backorder confirmed",
    "ready": "Ready to collect",
    "cancelled": "Cancelled",
    "eta_changed": "New expected date",
}

#: How a customer can be told without e-mail: (value for the controller, button text, tip).
TOLD_WAYS = (
    ("phone", "Told by &phone", "The customer was told this on the phone (Ctrl+Shift+T)"),
    ("in person", "Told in &person", "The customer was told this at the counter (Ctrl+Shift+I)"),
    ("printed", "Given on p&aper", "The customer got this message printed (Ctrl+Shift+G)"),
)
TOLD_SHORTCUTS = {"phone": "Ctrl+Shift+T", "in person": "Ctrl+Shift+I", "printed": "Ctrl+Shift+G"}

#: Statuses "Resend…" offers: a person decides to send it once more.
RESENDABLE = ("uncertain", "sent")

FILTERS = (
    ("All messages", None, "Every message, newest first"),
    ("Needs attention", NEEDS_ATTENTION, "Failed, or may have been sent: a person decides"),
    ("Waiting to send", WAITING, "Queued for the next send"),
    ("Failed", "failed", STATUS_MEANING["failed"]),
    ("May have been sent", "uncertain", STATUS_MEANING["uncertain"]),
    ("Sent", "sent", STATUS_MEANING["sent"]),
    ("Told without e-mail", "told", STATUS_MEANING["told"]),
)


def when(moment: datetime | None) -> str:
    """A stored (UTC) time as the clerk's local ``25 Nov 14:02``."""
    return f"{to_local(moment):%d %b %H:%M}" if moment else ""


def told_text(via: str | None) -> str:
    """``by phone`` / ``in person`` / ``on paper``."""
    return {"phone": "by phone", "in person": "in person", "printed": "on paper"}.get(
        via or "", via or ""
    )


def status_text(row: OutboxRow) -> str:
    """The Status column: ``Sent 25 Nov 14:02``, ``Told by phone``, ``Failed (2 tries)``."""
    if row.status == "sent":
        return f"Sent {when(row.sent_at)}".strip()
    if row.status == "told":
        return f"Told {told_text(row.told_via)}"  # who: in the preview
    if row.status == "failed" and row.attempts > 1:
        return f"Failed ({row.attempts} tries)"
    return STATUS_TEXT.get(row.status, row.status)


def recipient_text(row: OutboxRow) -> str:
    if row.email:
        return row.email
    return f"no e-mail · {row.phone}" if row.phone else "no e-mail"


def copy_text(detail: MessageDetail) -> str:
    """The message as plain text for the clipboard (to paste into a text message or a
    letter): who it is for, the subject, then the body."""
    to = detail.customer + (f" <{detail.email}>" if detail.email else "")
    return f"To: {to}\nSubject: {detail.subject}\n\n{detail.body}"


COLUMNS: list[Column[OutboxRow]] = [
    Column("Created", lambda r: when(r.created_at), sort_key="created"),
    Column(
        "Status",
        status_text,
        sort_key="status",
        tooltip="Queued, sent, failed, may have been sent, or told without e-mail",
    ),
    Column("Customer", lambda r: r.customer, sort_key="customer"),
    Column(
        "To",
        recipient_text,
        tooltip="The customer's e-mail address; without one, tell them by phone or on paper",
    ),
    Column("Order", lambda r: r.order_id or "", sort_key="order", numeric=True),
    # The subject is in the preview (and the search); the list keeps to what tells
    # messages apart.
    Column("Message", lambda r: EVENT_NAMES.get(r.event, r.event), sort_key="event"),
]


class MessagePreview(QWidget):
    """The selected message as the customer gets it, with what can be done about it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.detail: MessageDetail | None = None
        self.subject = QLabel("No message selected")
        self.subject.setObjectName("preview_subject")
        self.subject.setWordWrap(True)
        self.subject.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = QFont(self.subject.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.subject.setFont(font)
        self.heading = QLabel()
        self.heading.setObjectName("preview_heading")
        self.heading.setWordWrap(True)
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.state = QLabel()
        self.state.setObjectName("preview_state")
        self.state.setWordWrap(True)
        self.state.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.browser = QTextBrowser()
        self.browser.setObjectName("preview")
        self.browser.setAccessibleName("Message text")
        self.browser.setOpenExternalLinks(False)
        self.browser.setOpenLinks(False)
        # The message on "paper", as a mail program shows it (the HTML sets dark text),
        # in the dark scheme too.
        paper = self.browser.palette()
        paper.setColor(QPalette.ColorRole.Base, QColor("#ffffff"))
        paper.setColor(QPalette.ColorRole.Text, QColor("#222222"))
        self.browser.setPalette(paper)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.subject)
        layout.addWidget(self.heading)
        layout.addWidget(self.state)
        layout.addWidget(self.browser, 1)
        self.buttons = QGridLayout()
        self.buttons.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self.buttons)

    def show_message(self, detail: MessageDetail | None) -> None:
        self.detail = detail
        if detail is None:
            self.subject.setText("No message selected")
            self.heading.setText("")
            self.state.setText("Pick a message in the list to read it here.")
            self.state.setStyleSheet(theme.muted_style())
            self.browser.clear()
            return
        to = html.escape(detail.customer)
        if detail.email:
            to += f" &lt;{html.escape(detail.email)}&gt;"
        else:
            to += " <i>(no e-mail address" + (
                f"; phone {html.escape(detail.phone)})</i>" if detail.phone else ")</i>"
            )
        order = f" · order {detail.order_id}" if detail.order_id else ""
        self.subject.setText(detail.subject)
        muted = theme.colors().muted.name()
        self.heading.setText(
            f"To: {to}{order}<br><span style='color: {muted};'>Queued "
            f"{when(detail.created_at)} · Message-ID {html.escape(detail.header_id)}</span>"
        )
        text, bad = self._state_text(detail)
        self.state.setText(text)
        self.state.setStyleSheet(theme.error_style() if bad else theme.muted_style())
        if detail.html:
            self.browser.setHtml(detail.html)
        else:
            self.browser.setPlainText(detail.body)

    @staticmethod
    def _state_text(detail: MessageDetail) -> tuple[str, bool]:
        status = detail.status
        if status == "failed":
            tries = "1 try" if detail.attempts == 1 else f"{detail.attempts} tries"
            error = detail.last_error or "no reason given"
            return f"Failed after {tries}. The mail server said: {error}", True
        if status == "uncertain":
            return STATUS_MEANING["uncertain"] + ".", True
        if status == "sent":
            return f"Sent by e-mail {when(detail.sent_at)}.", False
        if status == "told":
            who = f" by {detail.told_by}" if detail.told_by else ""
            at = f" {when(detail.sent_at)}" if detail.sent_at else ""
            return f"Told {told_text(detail.told_via)}{who}{at}.", False
        if status == "queued" and not detail.email:
            return (
                "Queued, but the customer has no e-mail address: tell them by phone, in "
                "person or on paper, then mark it.",
                True,
            )
        return STATUS_MEANING.get(status, status) + ".", False


class MessagesSection(Section):
    """The outbox with its preview and actions.

    Signals:
        send_finished(str): a send ended; the text is what the window said about it.
    """

    title = "Messages"
    send_finished = Signal(str)

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.sending = False
        self._ticks = 0
        self.print_dialog: QPrintPreviewDialog | None = None
        self.resend_box: QMessageBox | None = None

        self.search = search_field("Search customer, e-mail, phone or order number (Ctrl+F)")
        self._debounce = debounce_search(self.search, self.apply_filter, parent=self)
        self.status_box = status_filter(FILTERS)
        self.status_box.currentIndexChanged.connect(lambda _index: self.apply_filter())
        self.count_label = QLabel()
        self.count_label.setObjectName("count")

        self.send_action = self._action(
            "&Send now", "F9", "Send every queued and failed message now", self.send_now
        )
        self.retry_action = self._action(
            "&Retry",
            "Shift+F9",
            "Send the failed message again (with the others waiting)",
            self.retry_selected,
        )
        self.resend_action = self._action(
            "Res&end…",
            "Ctrl+Shift+R",
            "Send again a message that may already have arrived (asks first)",
            self.resend_selected,
        )
        self.told_actions: dict[str, QAction] = {}
        for via, text, tip in TOLD_WAYS:
            self.told_actions[via] = self._action(
                text.replace("&", "") if via == "printed" else text,
                TOLD_SHORTCUTS[via],
                tip.rsplit(" (", 1)[0],
                lambda _checked=False, v=via: self.mark_told(v),
            )
        self.print_action = self._action(
            "&Print…",
            QKeySequence.StandardKey.Print,
            "Print the message for the customer",
            self.print_selected,
        )
        self.copy_action = self._action(
            "&Copy text",
            "Ctrl+Shift+C",
            "Copy the message to paste into a text message or a letter",
            self.copy_selected,
        )
        self.open_order_action = self._action(
            "&Open order", "Ctrl+O", "Show the order this message is about", self.open_order
        )

        self.send_button = self._button(self.send_action, "send")
        self.progress = QProgressBar()
        self.progress.setObjectName("send_progress")
        self.progress.setVisible(False)
        self.progress.setTextVisible(True)
        self.result_label = QLabel()
        self.result_label.setObjectName("result")
        self.result_label.setWordWrap(True)
        self.mail_label = QLabel()
        self.mail_label.setObjectName("mail_state")
        self.mail_label.setWordWrap(True)
        self.mail_label.setStyleSheet(theme.muted_style())

        self.model: PagedTableModel[OutboxRow] = PagedTableModel(
            COLUMNS, fetch=self._fetch, count=self._count, style=self._style
        )
        self.table = QTableView()
        self.table.setObjectName("outbox")
        self.table.setAccessibleName("Outbox")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        self.table.setSortingEnabled(True)
        # Enabling sorting sorted by the first column; the default order is newest first
        # (see the query), so no indicator until the clerk picks a column.
        self.model.sort_key = None
        self.model.descending = False
        header = self.table.horizontalHeader()
        header.setSortIndicatorShown(False)
        header.sortIndicatorChanged.connect(lambda *_: header.setSortIndicatorShown(True))
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        self.table.activated.connect(lambda _index: self.open_order())
        self.model.modelReset.connect(self._reselect)

        self.preview = MessagePreview()
        buttons = self.preview.buttons
        self.retry_button = self._button(self.retry_action, "retry")
        self.resend_button = self._button(self.resend_action, "resend")
        self.print_button = self._button(self.print_action, "print")
        self.copy_button = self._button(self.copy_action, "copy")
        self.told_button = QToolButton()
        self.told_button.setObjectName("told")
        self.told_button.setText("Mark as &told")
        self.told_button.setToolTip(
            "Record that the customer was told without e-mail: by phone, in person or on paper"
        )
        self.told_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.told_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        told_menu = QMenu(self.told_button)
        told_menu.setToolTipsVisible(True)
        for action in self.told_actions.values():
            told_menu.addAction(action)
        self.told_button.setMenu(told_menu)
        self.told_button.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        buttons.addWidget(self.retry_button, 0, 0)
        buttons.addWidget(self.resend_button, 0, 1)
        buttons.addWidget(self.told_button, 0, 2)
        buttons.addWidget(self.print_button, 1, 0)
        buttons.addWidget(self.copy_button, 1, 1)
        self.open_order_button = self._button(self.open_order_action, "open_order")
        buttons.addWidget(self.open_order_button, 1, 2)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.table)
        splitter.addWidget(self.preview)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.splitter = splitter
        self._sized = False

        top = QHBoxLayout()
        top.addWidget(self.search, 3)
        top.addWidget(QLabel("Show:"))
        top.addWidget(self.status_box, 1)
        top.addWidget(self.count_label)
        top.addWidget(self.send_button)
        status_row = QHBoxLayout()
        status_row.addWidget(self.mail_label, 2)
        status_row.addWidget(self.progress, 1)
        status_row.addWidget(self.result_label, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(status_row)
        layout.addWidget(splitter, 1)
        self.setTabOrder(self.search, self.status_box)
        self.setTabOrder(self.status_box, self.send_button)
        self.setTabOrder(self.send_button, self.table)
        self.setTabOrder(self.table, self.preview.browser)

        self.table.selectionModel().currentRowChanged.connect(
            lambda _current, _previous: self._show_selected()
        )
        self.model.reload()
        self._size_columns()
        self._after_reload()
        ctx.staff_changed.connect(self._update_actions)

        self.auto_timer = QTimer(self)
        self.auto_timer.setObjectName("auto_send")
        self.auto_timer.setInterval(AUTO_SEND_SECONDS * 1000)
        self.auto_timer.timeout.connect(self.auto_send)
        self.auto_timer.start()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._sized:
            # First show: the list gets room for its fixed columns plus some for the
            # customer and the address (more at large fonts), the preview the rest.
            self._sized = True
            total = max(self.splitter.width(), 1)
            fixed = sum(self._fixed_widths.values())
            wanted = fixed + 2 * self.table.fontMetrics().averageCharWidth() * 16 + 24
            share = min(max(wanted, total * 5 // 8), total * 7 // 10)
            self.splitter.setSizes([share, total - share])

    # ------------------------------------------------------------ building

    def _action(
        self,
        text: str,
        shortcut: str | QKeySequence.StandardKey,
        tip: str,
        slot: Callable[..., Any],
    ) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(shortcut))
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{tip} ({keys})" if keys else tip)
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        return action

    @staticmethod
    def _button(action: QAction, name: str) -> QPushButton:
        """A push button that mirrors ``action`` (text, tooltip, enabled)."""
        button = QPushButton(action.text())
        button.setObjectName(name)
        button.setToolTip(action.toolTip())
        button.clicked.connect(action.trigger)
        button.setEnabled(action.isEnabled())
        action.enabledChanged.connect(button.setEnabled)
        # The tooltip too: a greyed action's says which role it needs.
        action.changed.connect(lambda: button.setToolTip(action.toolTip()))
        return button

    def _size_columns(self) -> None:
        width = self.table.fontMetrics().horizontalAdvance
        samples = {
            0: "00 Mmm 00:00",
            1: "May have been sent",
            4: "Order",
            5: "Backorder confirmed",
        }
        self._fixed_widths = {column: width(text) + 16 for column, text in samples.items()}
        for column, size in self._fixed_widths.items():
            self.table.setColumnWidth(column, size)
        self.table.viewport().installEventFilter(self)
        self._fit_columns()

    def _fit_columns(self) -> None:
        """Customer and To share what the other columns leave, but never get so narrow
        that a name is unreadable (then the list scrolls sideways instead)."""
        spare = self.table.viewport().width() - sum(self._fixed_widths.values())
        least = self.table.fontMetrics().averageCharWidth() * 14
        each = max(spare // 2, least)
        for column in (2, 3):
            self.table.setColumnWidth(column, each)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.table.viewport() and event.type() == QEvent.Type.Resize:
            self._fit_columns()
        return super().eventFilter(watched, event)

    # ------------------------------------------------------------ data access

    def _fetch(
        self, offset: int, limit: int, sort: str | None, descending: bool
    ) -> list[OutboxRow]:
        loaded = self.model.loaded_rows() if offset else []
        return outbox_queries.outbox(
            status=self.status_box.currentData(),
            search=self.search.text(),
            sort=sort,
            descending=descending,
            offset=offset,
            limit=limit,
            # Scrolling on: continue after the last row shown rather than skip ``offset``.
            after=loaded[-1] if offset and len(loaded) == offset else None,
        )

    def _count(self) -> int:
        return outbox_queries.count_messages(
            status=self.status_box.currentData(), search=self.search.text()
        )

    @staticmethod
    def _style(row: OutboxRow) -> RowStyle | None:
        colors = theme.colors()
        if row.status == "failed":
            return RowStyle(background=colors.age_30)
        if row.status == "uncertain":
            return RowStyle(background=colors.age_14)
        if row.status in ("sent", "told"):
            return RowStyle(foreground=colors.muted)
        return None

    # ------------------------------------------------------------ behaviour

    def apply_filter(self) -> None:
        self._debounce.stop()
        self.model.reload()
        self._after_reload()

    def refresh(self) -> None:
        self.model.refresh()
        self._after_reload()

    def _after_reload(self) -> None:
        if self.selected_row() is None and self.model.rowCount():
            # Something to read at once: the first (newest) message.
            self.table.selectRow(0)
        total = self.model.total
        self.count_label.setText(f"{total:,} message{'s' if total != 1 else ''}")
        self._show_mail_state()
        self._show_selected()

    def _show_mail_state(self) -> None:
        counts = outbox_queries.status_counts()
        parts = []
        waiting = counts["queued"] + counts["sending"]
        if waiting:
            parts.append(f"{waiting:,} waiting to send")
        if counts["failed"]:
            parts.append(f"{counts['failed']:,} failed")
        if counts["uncertain"]:
            parts.append(f"{counts['uncertain']:,} may have been sent")
        summary = ", ".join(parts) if parts else "Nothing waiting to send"
        if self.mail_ready():
            self.mail_label.setText(
                f"{summary}. Sent automatically every {AUTO_SEND_SECONDS} s while the desk is open."
            )
        else:
            self.mail_label.setText(
                f"{summary}. No mail server is set up (Edit › Settings…): tell customers by "
                "phone or print the message."
            )

    def mail_ready(self) -> bool:
        """Whether a mail server is set up, so sending can work."""
        try:
            return mail_settings.load().configured
        except UserError:
            return False

    def selected_row(self) -> OutboxRow | None:
        index: QModelIndex = self.table.currentIndex()
        if not index.isValid():
            return None
        row = self.model.data(index, ROW_ROLE)
        return row if isinstance(row, OutboxRow) else None

    def select_message(self, message_id: int) -> bool:
        """Select the message with this id if it is loaded; True when found."""
        for number, row in enumerate(self.model.loaded_rows()):
            if row.message_id == message_id:
                self.table.selectRow(number)
                self.table.setCurrentIndex(self.model.index(number, 0))
                return True
        return False

    def _reselect(self) -> None:
        detail = self.preview.detail
        if detail is None or not self.select_message(detail.message_id):
            self.preview.show_message(None)
            self._update_actions()

    def _show_selected(self) -> None:
        row = self.selected_row()
        detail: MessageDetail | None = None
        if row is not None:
            try:
                detail = outbox_queries.message_detail(row.message_id)
            except UserError:
                detail = None
        self.preview.show_message(detail)
        self._update_actions()

    def _update_actions(self) -> None:
        detail = self.preview.detail
        status = detail.status if detail is not None else ""
        self.send_action.setEnabled(not self.sending)
        has_email = detail is not None and bool(detail.email)
        self.retry_action.setEnabled(status == "failed" and has_email and not self.sending)
        permit(
            self.resend_action,
            self.ctx,
            "resend_message",
            enabled=status in RESENDABLE and has_email and not self.sending,
        )
        can_tell = detail is not None and status not in ("told", "sending")
        told: list[QAction | QWidget] = [*self.told_actions.values(), self.told_button]
        for target in told:
            permit(target, self.ctx, "mark_message_told", enabled=can_tell)
        for action in (self.print_action, self.copy_action):
            action.setEnabled(detail is not None)
        self.open_order_action.setEnabled(detail is not None and detail.order_id is not None)

    def _say(self, text: str, *, ok: bool) -> None:
        self.result_label.setStyleSheet(theme.ok_style() if ok else theme.error_style())
        self.result_label.setText(text)

    # ------------------------------------------------------------ sending

    def send_now(self) -> bool:
        """Send every queued and failed message in the background; False if one is running."""
        if self.sending:
            return False
        self.sending = True
        self._update_actions()
        self.progress.setRange(0, 0)  # busy until the first figure arrives
        self.progress.setFormat("Sending… %v of %m")
        self.progress.setVisible(True)
        self._say("Sending…", ok=True)

        def work(progress: Progress) -> SendReport:
            return mailer.send_queued(progress=progress)

        run_in_background(
            work, on_done=self._sent, on_error=self._send_failed, on_progress=self._progress
        )
        return True

    def _progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _sent(self, report: SendReport) -> None:
        self.sending = False
        self.progress.setVisible(False)
        text = report.text()
        self._say(text, ok=not (report.failed or report.uncertain or report.no_email))
        self.ctx.notify_changed()
        self._update_actions()
        self.send_finished.emit(text)

    def _send_failed(self, message: str) -> None:
        self.sending = False
        self.progress.setVisible(False)
        self._say(message, ok=False)
        self.ctx.notify_changed()
        self._update_actions()
        self.send_finished.emit(message)

    def auto_send(self) -> bool:
        """The timer's tick: send when a mail server is set up and something waits.

        New messages go at the next tick; failed ones only every ``RETRY_EVERY_TICKS``
        ticks, so a server that is down for a day is not knocked on every minute (any
        send, automatic or not, takes the failed ones along). True when a send started.
        """
        self._ticks += 1
        if self.sending or not self.mail_ready():
            return False
        counts = outbox_queries.status_counts()
        retry_due = counts["failed"] and self._ticks % RETRY_EVERY_TICKS == 0
        if counts["queued"] or retry_due:
            return self.send_now()
        return False

    def retry_selected(self) -> None:
        """Send now: a failed message goes again with every other one waiting."""
        detail = self.preview.detail
        if detail is None or detail.status != "failed":
            self._say("Select a failed message to retry.", ok=False)
            return
        if not detail.email:
            self._say(
                f"{detail.customer} has no e-mail address: tell them another way and mark "
                "the message as told, or add an address to the customer first.",
                ok=False,
            )
            return
        if not self.send_now():
            self._say("A send is already running; the message goes with it.", ok=True)

    def resend_selected(self) -> QMessageBox | None:
        """Ask first (it may arrive twice), then queue the message again and send."""
        detail = self.preview.detail
        if detail is None or detail.status not in RESENDABLE:
            self._say(
                "Select a message marked “may have been sent” (or one that was sent) to send "
                "it again.",
                ok=False,
            )
            return None
        box = QMessageBox(self)
        box.setObjectName("confirm_resend")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Send the message again?")
        subject, customer = html.escape(detail.subject), html.escape(detail.customer)
        if detail.status == "sent":
            box.setText(f"<b>“{subject}” was sent to {customer} on {when(detail.sent_at)}.</b>")
            why = "The mail server accepted it then. "
        else:
            box.setText(f"<b>“{subject}” may already have reached {customer}.</b>")
            why = (
                "Sending was cut off after the message was handed to the mail server, so it "
                "may have arrived. "
            )
        box.setInformativeText(
            why + "If you send it again the customer may get it twice. The copy carries the "
            f"same Message-ID ({detail.header_id}), so their mail program can recognise it."
            "\n\nIf you can, ask the customer first, or tell them by phone instead."
        )
        resend = box.addButton("Send again", QMessageBox.ButtonRole.AcceptRole)
        keep = box.addButton("Do not send", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        box.setEscapeButton(keep)
        message_id = detail.message_id

        def answered() -> None:
            if box.clickedButton() is resend:
                self._resend(message_id)

        box.finished.connect(lambda _result: answered())
        self.resend_box = box
        box.open()
        return box

    def _resend(self, message_id: int) -> None:
        try:
            self.ctx.controller.resend_message(message_id)
        except UserError as error:
            self._say(str(error), ok=False)
            return
        self.ctx.notify_changed()
        self.send_now()

    # ------------------------------------------------------------ telling

    def mark_told(self, via: str) -> None:
        detail = self.preview.detail
        if detail is None:
            self._say("Select the message you told the customer.", ok=False)
            return
        try:
            self.ctx.controller.mark_message_told(detail.message_id, via=via)
        except UserError as error:
            self._say(str(error), ok=False)
            return
        self._say(f"Recorded: {detail.customer} was told {told_text(via)}.", ok=True)
        self.ctx.notify_changed()

    def document(self, detail: MessageDetail) -> QTextDocument:
        """The message as a printable page: who it is for, the subject, the text."""
        doc = QTextDocument(self)
        contact = " · ".join(part for part in (detail.email, detail.phone) if part)
        head = (
            f"<p><b>For:</b> {html.escape(detail.customer)}"
            + (f" ({html.escape(contact)})" if contact else "")
            + (f"<br><b>Order:</b> {detail.order_id}" if detail.order_id else "")
            + f"<br><b>Date:</b> {to_local(self.ctx.controller.clock()):%d %b %Y}</p>"
            f"<h3>{html.escape(detail.subject)}</h3>"
        )
        body = detail.html or (
            "<p>"
            + html.escape(detail.body).replace("\n\n", "</p><p>").replace("\n", "<br>")
            + "</p>"
        )
        doc.setHtml(head + body)
        return doc

    def print_selected(self) -> QPrintPreviewDialog | None:
        """Show a print preview of the selected message (print from there)."""
        detail = self.preview.detail
        if detail is None:
            self._say("Select the message to print.", ok=False)
            return None
        doc = self.document(detail)
        dialog = QPrintPreviewDialog(self)
        dialog.setWindowTitle(f"Print: {detail.subject}")
        dialog.paintRequested.connect(doc.print_)
        dialog.finished.connect(lambda _result: doc.deleteLater())
        self.print_dialog = dialog
        dialog.open()
        return dialog

    def print_to(self, printer: QPrinter) -> None:
        """Print the selected message on ``printer`` without asking (tests, PDF)."""
        if self.preview.detail is not None:
            self.document(self.preview.detail).print_(printer)

    def copy_selected(self) -> None:
        detail = self.preview.detail
        if detail is None:
            self._say("Select the message to copy.", ok=False)
            return
        QGuiApplication.clipboard().setText(copy_text(detail))
        self._say("Copied: paste it into a text message or a letter.", ok=True)

    def open_order(self) -> None:
        detail = self.preview.detail
        if detail is not None and detail.order_id is not None:
            self.ctx.open_order.emit(detail.order_id)

    def section_actions(self) -> list[QAction]:
        return [
            self.send_action,
            self.retry_action,
            self.resend_action,
            *self.told_actions.values(),
            self.print_action,
            self.copy_action,
            self.open_order_action,
        ]
