"""The receiving station: the window kept open next to a USB barcode scanner.

Goods are scanned into a draft receipt (``Controller.draft_scan``; the engine saves every
scan in its own transaction, so a crash loses nothing and the next start offers the draft
back). Every scan answers on the feedback line at once: green for a counted unit, amber
when it is more than the purchase order expects, red with an error sound
(``QApplication.beep()``, the system's alert) for an unreadable code or a wrong check digit.
A valid code no product has opens the unknown-barcode dialog, whose outcome is said too:
nothing a scanner typed disappears silently, and the scan log keeps the last few hundred.

The scan field keeps the focus: after any dialog it takes it back, and a key typed while
the table or a button has the focus is moved into it (a scanner does not care where the
focus is). "Receive" commits the draft (``Controller.commit_draft``) and shows the result
screen (``ui.receiving.result``).

Keyboard: Ctrl+Enter receive, Ctrl+Z undo the last scan, F2 correct a quantity,
Ctrl+Shift+Del discard, Ctrl+O choose the purchase order, Ctrl+L back to the scan field,
Ctrl+W close. Every action is in the Receipt menu with its shortcut in the tooltip.
"""

from __future__ import annotations

import contextlib
from datetime import date

from PySide6.QtCore import QEvent, QObject, Qt, QTime
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QKeySequence,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.clock import to_local
from app.controller import DraftSummary, ScanOutcome
from app.errors import UnknownCode, UserError
from app.purchase_queries import PurchaseOrderRow, purchase_orders
from app.staff import refusal
from app.validation import MAX_QTY
from ui import theme
from ui.context import DeskContext
from ui.permissions import permit
from ui.receiving.result import ReceiptResultView, ReceivedProduct
from ui.receiving.tally_model import (
    DIFFERENCE,
    EXPECTED,
    PRODUCT,
    SCANNED,
    SKU,
    TallyLine,
    TallyModel,
)
from ui.receiving.unknown_code import UnknownCodeDialog
from ui.scan_field import ScanField

WINDOW_TITLE = "Receiving — Backorder Desk"
#: Open purchase orders offered in the picker (soonest expected first).
PO_CHOICES = 200
#: Lines kept in the scan log.
LOG_LINES = 300
SCAN_PAGE, RESULT_PAGE = 0, 1

#: Feedback kinds: what happened to the last scan.
OK, WARN, ERROR, INFO = "ok", "warn", "error", "info"


def _scaled(widget: QWidget, factor: float, *, bold: bool = False) -> None:
    font = widget.font()
    font.setPointSizeF(font.pointSizeF() * factor)
    font.setBold(bold)
    widget.setFont(font)


def draft_label(draft: DraftSummary) -> str:
    """One line describing a draft for the "continue?" prompt."""
    started = to_local(draft.created_at)
    po = f"against PO {draft.purchase_order_id}" if draft.purchase_order_id else "no PO"
    units = "1 unit" if draft.units == 1 else f"{draft.units:,} units"
    products = "1 product" if draft.lines == 1 else f"{draft.lines:,} products"
    return (
        f"Receipt {draft.receipt_id} — started {started:%d %b %Y %H:%M} by {draft.staff} — "
        f"{po} — {units} of {products}"
    )


class DraftChoiceDialog(QDialog):
    """Asked when the station opens and unfinished receipts exist: continue one, or new.

    Accepted: continue ``chosen`` (the newest is preselected). Rejected (Esc, "Start a
    new receipt"): the drafts stay as they are and are offered again next time.
    """

    def __init__(self, drafts: list[DraftSummary], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.drafts = drafts
        self.setWindowTitle("Unfinished receipt")
        several = len(drafts) > 1
        text = QLabel(
            (
                f"{len(drafts)} receipts were scanned but not received yet. Continue one?"
                if several
                else "A receipt was scanned but not received yet. Continue it?"
            )
            + (" Every scan in them is saved." if several else " Every scan in it is saved.")
        )
        text.setWordWrap(True)
        _scaled(text, 1.1)
        self.list = QListWidget()
        self.list.setObjectName("drafts")
        for draft in drafts:
            item = QListWidgetItem(draft_label(draft))
            item.setData(Qt.ItemDataRole.UserRole, draft.receipt_id)
            self.list.addItem(item)
        self.list.setCurrentRow(0)
        self.list.itemDoubleClicked.connect(lambda _item: self.accept())
        hint = QLabel(
            "Starting a new receipt keeps the unfinished one; it is offered again next time."
        )
        hint.setWordWrap(True)
        hint.setStyleSheet(theme.muted_style())
        buttons = QDialogButtonBox()
        self.continue_button = QPushButton("&Continue selected" if several else "&Continue it")
        self.continue_button.setToolTip("Carry on scanning into this receipt (Enter)")
        self.new_button = QPushButton("Start a &new receipt")
        self.new_button.setToolTip("Leave the unfinished receipt for later (Esc)")
        buttons.addButton(self.continue_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.new_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.continue_button.clicked.connect(self.accept)
        self.new_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(self.list, 1)
        layout.addWidget(hint)
        layout.addWidget(buttons)
        # Only once the button is in the dialog: before, there is no dialog to tell.
        self.continue_button.setDefault(True)
        width = max(self.list.sizeHintForColumn(0) + 60, self.fontMetrics().averageCharWidth() * 70)
        self.resize(width, self.sizeHint().height())
        self.list.setFocus()

    @property
    def chosen(self) -> DraftSummary:
        """The selected draft (the newest unless another row was picked)."""
        return self.drafts[max(self.list.currentRow(), 0)]


class ReceivingWindow(QMainWindow):
    """The receiving station.

    Attributes:
        ctx: the shared store, controller and signals.
        draft_id: the draft receipt being scanned into, or ``None`` before the first scan.
        po_id: the purchase order the receipt is against, or ``None``.
        tally: the tally table's model.
        feedback_kind: what the last feedback line was (``ok``, ``warn``, ``error``,
            ``info``), for tests and accessibility.
        draft_prompt, unknown_dialog, quantity_dialog, confirm_box: the dialog open now,
            if any (opened non-blocking, so tests drive them).
    """

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if parent is not None:
            self.setWindowFlag(Qt.WindowType.Window)
        self.ctx = ctx
        self.controller = ctx.controller
        self.draft_id: int | None = None
        self.po_id: int | None = None
        self.feedback_kind = INFO
        self.draft_prompt: DraftChoiceDialog | None = None
        self.unknown_dialog: UnknownCodeDialog | None = None
        self.quantity_dialog: QInputDialog | None = None
        self.confirm_box: QMessageBox | None = None
        self._offered = False
        self._po_rows: dict[int, PurchaseOrderRow] = {}
        self._staff_name = ctx.staff_name  # read once: the status bar shows it every scan
        self.setWindowTitle(WINDOW_TITLE)
        self.resize(1100, 720)

        self.stack = QStackedWidget()
        self.stack.addWidget(self._build_scan_page())
        self.result_view = ReceiptResultView()
        self.result_view.next_receipt.connect(self.start_next)
        self.stack.addWidget(self.result_view)
        self.setCentralWidget(self.stack)
        self._build_actions()
        self._build_menu()
        self.status_label = QLabel()
        self.statusBar().addWidget(self.status_label, 1)

        self.load_purchase_orders()
        self.say("Ready: scan the first item.", INFO, log=False)
        self._update()
        if not ctx.controller.can("receive"):
            self.say(refusal("receive"), ERROR, log=False)
        ctx.changed.connect(self._store_changed)
        ctx.staff_changed.connect(self._staff_changed)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self.scan.setFocus()

    # ------------------------------------------------------------------ building

    def _build_scan_page(self) -> QWidget:
        page = QWidget()
        self.po_combo = QComboBox()
        self.po_combo.setObjectName("purchase_order")
        self.po_combo.setToolTip(
            "Receive against an open purchase order: its outstanding quantities become the "
            "expected ones (Ctrl+O)"
        )
        self.po_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.po_combo.setMinimumContentsLength(40)
        self.po_combo.activated.connect(self._po_chosen)
        po_label = QLabel("Against &purchase order:")
        po_label.setBuddy(self.po_combo)
        top = QHBoxLayout()
        top.addWidget(po_label)
        top.addWidget(self.po_combo, 1)

        self.scan = ScanField()
        self.scan.setObjectName("scan")
        self.scan.setPlaceholderText("Scan a barcode — or type a code or SKU and press Enter")
        self.scan.setToolTip(
            "Scan here (Ctrl+L). Type 12* before a scan to count 12 units; a case label "
            "counts what it says it holds."
        )
        self.scan.setAccessibleName("Scan")
        _scaled(self.scan, 1.8)
        self.scan.scanned.connect(self.handle_scan)
        scan_label = QLabel("&Scan:")
        scan_label.setBuddy(self.scan)
        _scaled(scan_label, 1.4, bold=True)
        scan_row = QHBoxLayout()
        scan_row.addWidget(scan_label)
        scan_row.addWidget(self.scan, 1)

        self.feedback = QLabel()
        self.feedback.setObjectName("feedback")
        self.feedback.setWordWrap(True)
        self.feedback.setAccessibleName("Last scan")
        self.feedback.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        _scaled(self.feedback, 1.35, bold=True)

        self.tally = TallyModel(self)
        self.table = QTableView()
        self.table.setObjectName("tally")
        self.table.setModel(self.tally)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.setToolTip("Double-click or F2 to correct a count by hand")
        header = self.table.horizontalHeader()
        # Widths from the font, not from the rows: sizing to contents reads every row on
        # every scan, which a long delivery turns into a visible lag.
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(PRODUCT, QHeaderView.ResizeMode.Stretch)
        metrics = self.table.fontMetrics()
        bold = QFont(self.table.font())
        bold.setBold(True)
        bold_metrics = QFontMetrics(bold)
        pad = 3 * metrics.averageCharWidth()
        for column, sample in (
            (SKU, "HNG-00000"),
            (SCANNED, "Scanned"),
            (EXPECTED, "Expected"),
            (DIFFERENCE, "000 not ordered"),
        ):
            self.table.setColumnWidth(column, bold_metrics.horizontalAdvance(sample) + pad)
        self.table.activated.connect(lambda _index: self.correct_quantity())
        tally_title = QLabel("&Tally")
        tally_title.setBuddy(self.table)
        _scaled(tally_title, 1.1, bold=True)
        self.totals = QLabel()
        self.totals.setObjectName("totals")
        self.totals.setWordWrap(True)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(tally_title)
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.totals)

        self.log = QListWidget()
        self.log.setObjectName("log")
        self.log.setToolTip("Every scan and what became of it, newest first")
        self.log.setWordWrap(True)
        log_title = QLabel("Scan &log")
        log_title.setBuddy(self.log)
        _scaled(log_title, 1.1, bold=True)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(log_title)
        right_layout.addWidget(self.log, 1)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        # The tally matters most; the log only needs room for a short sentence per line.
        self.log.setMinimumWidth(28 * self.log.fontMetrics().averageCharWidth())

        self.undo_button = QPushButton()
        self.correct_button = QPushButton()
        self.discard_button = QPushButton()
        self.receive_button = QPushButton()
        _scaled(self.receive_button, 1.15, bold=True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.undo_button)
        buttons.addWidget(self.correct_button)
        buttons.addWidget(self.discard_button)
        buttons.addStretch(1)
        buttons.addWidget(self.receive_button)

        hint = QLabel(
            "Every scan is saved at once: if the PC stops, the receipt is offered again "
            "when the station opens. Nothing goes into stock until you press Receive."
        )
        hint.setWordWrap(True)
        hint.setStyleSheet(theme.muted_style())

        layout = QVBoxLayout(page)
        layout.addLayout(top)
        layout.addLayout(scan_row)
        layout.addWidget(self.feedback)
        layout.addWidget(splitter, 1)
        layout.addLayout(buttons)
        layout.addWidget(hint)
        return page

    def _action(self, text: str, keys: str | list[str], tip: str, slot: object) -> QAction:
        action = QAction(text, self)
        sequences = [QKeySequence(k) for k in ([keys] if isinstance(keys, str) else keys)]
        action.setShortcuts(sequences)
        native = sequences[0].toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{tip} ({native})")
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.receive_action = self._action(
            "&Receive",
            ["Ctrl+Return", "Ctrl+Enter"],
            "Take everything scanned into stock and serve the waiting customers",
            self.receive,
        )
        self.undo_action = self._action(
            "&Undo last scan", "Ctrl+Z", "Take back the most recent scan", self.undo_last
        )
        self.correct_action = self._action(
            "&Correct quantity…",
            "F2",
            "Set the count of the selected product (or the last scanned) by hand",
            self.correct_quantity,
        )
        self.discard_action = self._action(
            "&Discard receipt…",
            "Ctrl+Shift+Del",
            "Throw this receipt away: nothing goes into stock",
            self.discard,
        )
        self.po_action = self._action(
            "Choose &purchase order…",
            "Ctrl+O",
            "Pick the purchase order this delivery belongs to",
            self.choose_purchase_order,
        )
        self.focus_action = self._action(
            "&Back to the scan field", "Ctrl+L", "Put the cursor in the scan field", self.refocus
        )
        self.close_action = self._action(
            "Close the station", "Ctrl+W", "Close this window; a receipt stays saved", self.close
        )
        for button, action, label in (
            (self.undo_button, self.undo_action, "Undo last scan"),
            (self.correct_button, self.correct_action, "Correct quantity…"),
            (self.discard_button, self.discard_action, "Discard receipt…"),
            (self.receive_button, self.receive_action, "Receive"),
        ):
            keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            button.setText(f"{label}   {keys}")
            button.setToolTip(action.toolTip())
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            button.clicked.connect(action.trigger)

    def _build_menu(self) -> None:
        menu = self.menuBar().addMenu("&Receipt")
        menu.setToolTipsVisible(True)
        for action in (
            self.receive_action,
            self.undo_action,
            self.correct_action,
            self.discard_action,
        ):
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.po_action)
        menu.addAction(self.focus_action)
        menu.addSeparator()
        menu.addAction(self.close_action)
        documents = self.menuBar().addMenu("&Documents")
        documents.setToolTipsVisible(True)
        for action in (
            self.result_view.preview_action,
            self.result_view.pdf_action,
            self.result_view.next_action,
        ):
            documents.addAction(action)
        self.documents_menu = documents

    # ------------------------------------------------------------ keeping focus

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Send typing aimed at the table or a button into the scan field.

        A scanner types wherever the focus is; without this a scan after a click on the
        table would search the table and be lost.
        """
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and isinstance(watched, QWidget)
            and watched.window() is self
            and self._is_scanner_key(event)
            and not isinstance(watched, QLineEdit | QAbstractSpinBox | QTextEdit)
            and self.scan.isEnabled()
        ):
            if self.stack.currentIndex() == RESULT_PAGE:
                self.start_next()
            if watched is not self.scan:
                self.scan.setFocus()
                self.scan.insert(event.text())
                return True
        return super().eventFilter(watched, event)

    @staticmethod
    def _is_scanner_key(event: QKeyEvent) -> bool:
        text = event.text()
        modifiers = event.modifiers() & ~(
            Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier
        )
        return (
            modifiers == Qt.KeyboardModifier.NoModifier
            and len(text) == 1
            and text.isprintable()
            and not text.isspace()
        )

    def refocus(self) -> None:
        """Give the focus back to where scans go (or "Start next receipt")."""
        if self.stack.currentIndex() == RESULT_PAGE:
            self.result_view.next_button.setFocus()
        else:
            self.scan.setFocus()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._offered:
            self._offered = True
            self.offer_drafts()

    # ----------------------------------------------------------- drafts and POs

    def offer_drafts(self) -> None:
        """If unfinished receipts exist, ask whether to continue one (newest first)."""
        # An empty draft (a purchase order picked, nothing scanned) has nothing to go back
        # to; it may also be another station's, just opened, so it is left alone.
        drafts = [
            d
            for d in self.controller.open_drafts()
            if d.receipt_id != self.draft_id and d.units > 0
        ]
        if not drafts:
            return
        prompt = DraftChoiceDialog(drafts, self)
        self.draft_prompt = prompt

        def answered(result: int) -> None:
            self.draft_prompt = None
            if result == QDialog.DialogCode.Accepted:
                self.continue_draft(prompt.chosen)
            else:
                self.say("Starting a new receipt; the unfinished one is kept for later.", INFO)
            prompt.deleteLater()
            self.refocus()

        prompt.finished.connect(answered)
        prompt.open()

    def continue_draft(self, draft: DraftSummary) -> None:
        """Carry on scanning into an existing draft receipt."""
        if self.draft_id is not None and self.tally.units == 0:
            self._drop_empty_draft()
        self.draft_id = draft.receipt_id
        self.po_id = draft.purchase_order_id
        self.load_purchase_orders()
        self.reload_tally()
        units = "1 unit" if draft.units == 1 else f"{draft.units:,} units"
        self.say(f"Continuing receipt {draft.receipt_id}: {units} scanned so far.", INFO)

    def load_purchase_orders(self) -> None:
        """Fill the purchase order picker with the open POs (keeping the choice)."""
        today: date = to_local(self.controller.clock()).date()
        rows = purchase_orders(today=today, status="open", limit=PO_CHOICES)
        self._po_rows = {row.po_id: row for row in rows}
        combo = self.po_combo
        combo.blockSignals(True)
        combo.clear()
        combo.addItem("No purchase order — just count what arrives", None)
        for row in rows:
            late = " — overdue" if row.overdue else ""
            combo.addItem(
                f"PO {row.po_id} — {row.supplier}, expected {row.expected_date:%d %b %Y}, "
                f"{row.outstanding:,} units to come{late}",
                row.po_id,
            )
        if self.po_id is not None and self.po_id not in self._po_rows:
            combo.addItem(f"PO {self.po_id} — no longer open: choose another or none", self.po_id)
        index = combo.findData(self.po_id) if self.po_id is not None else 0
        combo.setCurrentIndex(max(index, 0))
        combo.blockSignals(False)

    def choose_purchase_order(self) -> None:
        """Ctrl+O: open the purchase order picker."""
        if self.stack.currentIndex() != SCAN_PAGE:
            return
        self.po_combo.setFocus()
        self.po_combo.showPopup()

    def _po_chosen(self, index: int) -> None:
        po_id = self.po_combo.itemData(index)
        po_id = int(po_id) if po_id is not None else None
        if po_id == self.po_id:
            self.refocus()
            return
        try:
            if self.draft_id is None:
                if po_id is not None:
                    self.draft_id = self.controller.open_draft_receipt(purchase_order_id=po_id)
            else:
                self.controller.draft_set_purchase_order(self.draft_id, po_id)
        except UserError as error:
            self.say(str(error), ERROR)
            self.load_purchase_orders()
            self.refocus()
            return
        self.po_id = po_id
        if self.draft_id is not None:
            self.reload_tally()
        if po_id is None:
            self.say("Not against a purchase order: just counting what arrives.", INFO)
        else:
            row = self._po_rows.get(po_id)
            supplier = f" from {row.supplier}" if row else ""
            expected = self.tally.expected_units or 0
            self.say(f"Receiving against PO {po_id}{supplier}: {expected:,} units expected.", INFO)
        self.refocus()

    def _ensure_draft(self) -> bool:
        if self.draft_id is not None:
            return True
        try:
            self.draft_id = self.controller.open_draft_receipt(purchase_order_id=self.po_id)
        except UserError as error:
            self._refuse(str(error))
            return False
        self._update()
        return True

    def _drop_empty_draft(self) -> None:
        """Discard the current draft if nothing is scanned into it (nothing is lost)."""
        if self.draft_id is None or self.tally.units:
            return
        with contextlib.suppress(UserError):  # already gone elsewhere: nothing to drop
            self.controller.discard_draft(self.draft_id)
        self.draft_id = None

    def reload_tally(self, *, newest: int | None = None) -> None:
        """Read the draft's tally again from the store."""
        if self.draft_id is None:
            self.tally.clear()
        else:
            self.tally.reset(self.controller.draft_tally(self.draft_id), newest=newest)
            for line in self.tally.lines:
                self._fit_sku(line.sku)
        self._update()

    def _fit_sku(self, sku: str) -> None:
        """Widen the SKU column for a long SKU (it never shrinks while scanning)."""
        bold = QFont(self.table.font())
        bold.setBold(True)
        wanted = (
            QFontMetrics(bold).horizontalAdvance(sku)
            + 3 * self.table.fontMetrics().averageCharWidth()
        )
        if wanted > self.table.columnWidth(SKU):
            self.table.setColumnWidth(SKU, wanted)

    # ------------------------------------------------------------------ scanning

    def handle_scan(self, text: str) -> None:
        """One scan from the scan field (or typed and Enter)."""
        if not self._ensure_draft():
            return
        assert self.draft_id is not None
        try:
            outcome = self.controller.draft_scan(self.draft_id, text)
        except UnknownCode as unknown:
            self._ask_unknown(unknown)
            return
        except UserError as error:
            self._refuse(str(error), draft_gone=error.field == "receipt")
            return
        self._counted(outcome)

    def _counted(self, outcome: ScanOutcome, *, before: str = "") -> None:
        row = self.tally.apply(outcome)
        self._fit_sku(outcome.sku)
        self.table.scrollTo(self.tally.index(row, PRODUCT))
        text = f"+{outcome.added:,} {outcome.name} ({outcome.sku}) — {outcome.total:,} scanned"
        kind = OK
        if outcome.expected is not None:
            if outcome.expected == 0:
                text += ", none expected on this purchase order"
                kind = WARN
            else:
                text += f" of {outcome.expected:,} expected"
                if outcome.total > outcome.expected:
                    text += f" ({outcome.total - outcome.expected:,} over)"
                    kind = WARN
        self.say(before + text, kind)
        self._update()

    def _refuse(self, message: str, *, draft_gone: bool = False) -> None:
        QApplication.beep()
        if draft_gone:
            # Received or discarded at another station: the next scan starts afresh.
            self.draft_id = None
            self.tally.clear()
            message += " The next scan starts a new receipt."
        self.say(f"Not counted: {message}", ERROR)
        self._update()

    def _ask_unknown(self, unknown: UnknownCode) -> None:
        units = "1 unit" if unknown.count == 1 else f"{unknown.count:,} units"
        self.say(
            f"Barcode {unknown.display} is new here: link it to a product or add the product "
            f"({units}, not counted yet).",
            WARN,
        )
        row = self._po_rows.get(self.po_id) if self.po_id is not None else None
        dialog = UnknownCodeDialog(
            self.ctx,
            unknown.display,
            unknown.count,
            supplier_id=row.supplier_id if row else None,
            parent=self,
        )
        self.unknown_dialog = dialog

        def done(result: int) -> None:
            self.unknown_dialog = None
            dialog.deleteLater()
            if result == QDialog.DialogCode.Accepted and dialog.product_id is not None:
                self.ctx.notify_changed()
                self._count_linked(dialog, unknown.count)
            else:
                self.say(
                    f"Not counted: barcode {unknown.display} ({units}) was not linked to a "
                    "product. Scan it again to link it.",
                    WARN,
                )
            self.refocus()

        dialog.finished.connect(done)
        dialog.open()

    def _count_linked(self, dialog: UnknownCodeDialog, count: int) -> None:
        assert dialog.product_id is not None
        if not self._ensure_draft():
            return
        assert self.draft_id is not None
        how = "New product" if dialog.created else "Linked"
        try:
            outcome = self.controller.draft_add(self.draft_id, dialog.product_id, count)
        except UserError as error:
            self._refuse(
                f"{how} {dialog.product_label} for barcode {dialog.code}, but {error}",
                draft_gone=error.field == "receipt",
            )
            return
        self._counted(outcome, before=f"{how} {dialog.code} → {outcome.sku}. ")

    # ------------------------------------------------------------------ fixing

    def undo_last(self) -> None:
        """Ctrl+Z: take back the most recent scan."""
        if self.stack.currentIndex() != SCAN_PAGE:
            return
        outcome = None
        if self.draft_id is not None:
            try:
                outcome = self.controller.draft_undo_last(self.draft_id)
            except UserError as error:
                self._refuse(str(error), draft_gone=error.field == "receipt")
                return
        if outcome is None:
            self.say("Nothing to undo: this receipt has no scans.", INFO)
            return
        self.reload_tally(newest=outcome.product_id)
        self.say(
            f"Undone: −{outcome.added:,} {outcome.name} ({outcome.sku}) — "
            f"{outcome.total:,} left on this receipt.",
            WARN,
        )

    def _correction_target(self) -> TallyLine | None:
        index = self.table.currentIndex()
        if index.isValid() and self.table.selectionModel().isRowSelected(index.row()):
            return self.tally.line(index.row())
        if self.tally.newest_product_id is not None:
            row = self.tally.row_of(self.tally.newest_product_id)
            if row is not None:
                return self.tally.line(row)
        return self.tally.line(0) if self.tally.lines else None

    def correct_quantity(self) -> None:
        """F2 / double-click: set a product's count by hand."""
        if self.stack.currentIndex() != SCAN_PAGE:
            return
        line = self._correction_target()
        if line is None or self.draft_id is None:
            self.say("Nothing to correct yet: scan something first.", INFO)
            return
        dialog = QInputDialog(self)
        dialog.setWindowTitle("Correct quantity")
        dialog.setInputMode(QInputDialog.InputMode.IntInput)
        dialog.setIntRange(0, MAX_QTY)
        dialog.setIntValue(line.scanned)
        expected = f", {line.expected:,} expected" if line.expected is not None else ""
        dialog.setLabelText(
            f"{line.name} ({line.sku})\nCounted so far: {line.scanned:,}{expected}.\n\n"
            "Type the right number of units (0 takes it off the receipt):"
        )
        self.quantity_dialog = dialog
        product_id, old = line.product_id, line.scanned

        def done(result: int) -> None:
            self.quantity_dialog = None
            dialog.deleteLater()
            if result == QDialog.DialogCode.Accepted:
                self._set_quantity(product_id, old, dialog.intValue(), line)
            else:
                self.say(f"Count of {line.sku} left at {old:,}.", INFO, log=False)
            self.refocus()

        dialog.finished.connect(done)
        dialog.open()

    def _set_quantity(self, product_id: int, old: int, qty: int, line: TallyLine) -> None:
        assert self.draft_id is not None
        try:
            self.controller.draft_set_quantity(self.draft_id, product_id, qty)
        except UserError as error:
            self._refuse(str(error), draft_gone=error.field == "receipt")
            return
        self.reload_tally(newest=product_id)
        if qty == 0:
            text = f"Corrected: {line.name} ({line.sku}) taken off the receipt (was {old:,})."
        else:
            text = f"Corrected: {line.name} ({line.sku}) set to {qty:,} (was {old:,})."
        self.say(text, WARN)

    def discard(self) -> None:
        """Ctrl+Shift+Del: throw the receipt away, after asking."""
        if self.stack.currentIndex() != SCAN_PAGE:
            return
        if self.draft_id is None:
            self.say("Nothing to discard: no receipt is open.", INFO)
            return
        if self.tally.units == 0:
            self._discard_now()
            return
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Discard receipt",
            f"Discard receipt {self.draft_id}?",
            parent=self,
        )
        box.setInformativeText(
            f"The {self.tally.units:,} scanned units of {self.tally.products:,} products are "
            "not taken into stock. The receipt is kept, marked discarded, in the history."
        )
        discard_button = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton("Keep scanning", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        box.setEscapeButton(keep)
        self.confirm_box = box

        def done(_result: int) -> None:
            self.confirm_box = None
            box.deleteLater()
            if box.clickedButton() is discard_button:
                self._discard_now()
            else:
                self.say("Kept the receipt; carry on scanning.", INFO, log=False)
            self.refocus()

        box.finished.connect(done)
        box.open()

    def _discard_now(self) -> None:
        assert self.draft_id is not None
        draft_id = self.draft_id
        try:
            self.controller.discard_draft(draft_id)
        except UserError as error:
            self._refuse(str(error), draft_gone=True)
            return
        self.draft_id = None
        self.po_id = None
        self.tally.clear()
        self.load_purchase_orders()
        self._update()
        self.say(f"Receipt {draft_id} discarded: nothing was taken into stock.", WARN)

    # ----------------------------------------------------------------- receiving

    def receive(self) -> None:
        """Ctrl+Enter: commit the receipt, after one confirmation."""
        if self.stack.currentIndex() != SCAN_PAGE:
            return
        if self.draft_id is None or self.tally.units == 0:
            QApplication.beep()
            self.say("Nothing to receive yet: scan the goods first.", ERROR)
            return
        units, products = self.tally.units, self.tally.products
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Receive",
            f"Receive {units:,} {'unit' if units == 1 else 'units'} of {products:,} "
            f"{'product' if products == 1 else 'products'} into stock?",
            parent=self,
        )
        details = []
        if self.po_id is not None:
            details.append(f"Against purchase order {self.po_id}.")
            if self.tally.short_units:
                details.append(
                    f"{self.tally.short_units:,} units fewer than expected: the purchase "
                    "order stays open for them."
                )
            if self.tally.over_units:
                details.append(f"{self.tally.over_units:,} units more than expected.")
        details.append("Customers waiting for these products get them now and are told.")
        box.setInformativeText(" ".join(details))
        receive_button = box.addButton("Receive", QMessageBox.ButtonRole.AcceptRole)
        keep = box.addButton("Keep scanning", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(receive_button)
        box.setEscapeButton(keep)
        self.confirm_box = box

        def done(_result: int) -> None:
            self.confirm_box = None
            box.deleteLater()
            if box.clickedButton() is receive_button:
                self.commit()
            else:
                self.say("Not received yet; carry on scanning.", INFO, log=False)
            self.refocus()

        box.finished.connect(done)
        box.open()

    def commit(self) -> None:
        """Receive the draft now (no question asked) and show the result screen."""
        if self.draft_id is None:
            return
        received = {
            line.product_id: ReceivedProduct(sku=line.sku, name=line.name, qty=line.scanned)
            for line in self.tally.lines
            if line.scanned > 0
        }
        po_id = self.po_id
        try:
            result = self.controller.commit_draft(self.draft_id)
        except UserError as error:
            if error.field == "receipt":
                self._refuse(str(error), draft_gone=True)
                return
            QApplication.beep()
            extra = (
                " Choose another purchase order or none (Ctrl+O)." if error.field == "po" else ""
            )
            self.say(f"Not received: {error}{extra}", ERROR)
            return
        self.draft_id = None
        self.ctx.notify_changed()
        self.result_view.show_result(
            result, received, now=self.controller.clock(), purchase_order_id=po_id
        )
        units = sum(item.qty for item in received.values())
        self.log_line(
            f"Receipt {result.receipt_id} received: {units:,} units, "
            f"{len(result.fulfilled):,} backorder lines ready.",
            OK,
        )
        self.stack.setCurrentIndex(RESULT_PAGE)
        self._update()
        self.refocus()

    def start_next(self) -> None:
        """Back to scanning with a fresh, empty receipt."""
        self.draft_id = None
        self.po_id = None
        self.tally.clear()
        self.load_purchase_orders()
        self.stack.setCurrentIndex(SCAN_PAGE)
        self.say("Ready for the next receipt: scan the first item.", INFO, log=False)
        self._update()
        self.refocus()

    # ------------------------------------------------------------------- display

    def say(self, text: str, kind: str, *, log: bool = True) -> None:
        """Show ``text`` on the feedback line (and in the scan log)."""
        self.feedback_kind = kind
        colors = theme.colors()
        color = {
            OK: colors.ok,
            WARN: colors.below_reorder,
            ERROR: colors.error,
        }.get(kind)
        mark = {OK: "✔ ", WARN: "! ", ERROR: "✖ "}.get(kind, "")
        self.feedback.setText(mark + text)
        if color is None:
            self.feedback.setStyleSheet("QLabel { padding: 6px; }")
        else:
            # A tint of the same colour behind it: the line is seen from across the room.
            tint = f"rgba({color.red()}, {color.green()}, {color.blue()}, 40)"
            self.feedback.setStyleSheet(
                f"QLabel {{ color: {color.name()}; background: {tint}; padding: 6px;"
                " border-radius: 4px; }"
            )
        if log:
            self.log_line(text, kind)

    def log_line(self, text: str, kind: str) -> None:
        """Add a line to the scan log (newest first)."""
        item = QListWidgetItem(f"{QTime.currentTime().toString('HH:mm:ss')}  {text}")
        colors = theme.colors()
        color = {OK: colors.ok, WARN: colors.below_reorder, ERROR: colors.error}.get(kind)
        if color is not None:
            item.setForeground(color)
        self.log.insertItem(0, item)
        while self.log.count() > LOG_LINES:
            self.log.takeItem(self.log.count() - 1)

    @property
    def feedback_text(self) -> str:
        """The feedback line's text without its mark."""
        return self.feedback.text().lstrip("✔!✖ ")

    def _update(self) -> None:
        """Totals line, status bar and which actions apply."""
        on_scan_page = self.stack.currentIndex() == SCAN_PAGE
        for action in (
            self.receive_action,
            self.undo_action,
            self.correct_action,
            self.discard_action,
            self.po_action,
        ):
            permit(action, self.ctx, "receive", enabled=on_scan_page)
        for widget in (
            self.scan,
            self.po_combo,
            self.undo_button,
            self.correct_button,
            self.discard_button,
            self.receive_button,
        ):
            permit(widget, self.ctx, "receive")
        for action in (self.result_view.preview_action, self.result_view.pdf_action):
            action.setVisible(not on_scan_page)
        self.result_view.next_action.setEnabled(not on_scan_page)
        self.documents_menu.menuAction().setVisible(not on_scan_page)
        units, products = self.tally.units, self.tally.products
        text = (
            f"<b>{units:,}</b> {'unit' if units == 1 else 'units'} of <b>{products:,}</b> "
            f"{'product' if products == 1 else 'products'} scanned"
        )
        expected = self.tally.expected_units
        if expected is not None:
            text += f" · {expected:,} expected"
            if self.tally.short_units:
                text += f" · {self.tally.short_units:,} short"
            if self.tally.over_units:
                text += f" · {self.tally.over_units:,} over"
        self.totals.setText(text)
        draft = (
            f"Receipt {self.draft_id} (saved as you scan)"
            if self.draft_id is not None
            else "No receipt open yet: the first scan starts one"
        )
        self.status_label.setText(
            f"{draft} · Signed in: {self._staff_name} · Store: {self.ctx.store.describe()}"
        )

    def _staff_changed(self) -> None:
        # Switch user makes a new controller; scans from now on are the new person's.
        self.controller = self.ctx.controller
        self._staff_name = self.ctx.staff_name
        self._update()
        if not self.ctx.controller.can("receive"):
            self.say(refusal("receive"), ERROR, log=False)
        elif self.feedback_kind == ERROR and self.feedback_text == refusal("receive"):
            self.say("Ready: scan the next item.", INFO, log=False)
            self.scan.setFocus()

    def _store_changed(self) -> None:
        # Another station may have opened or closed purchase orders; keep the picker fresh
        # unless the user is choosing from it right now.
        if not self.po_combo.view().isVisible():
            self.load_purchase_orders()

    # ------------------------------------------------------------------- closing

    def closeEvent(self, event: QCloseEvent) -> None:
        self._drop_empty_draft()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        super().closeEvent(event)
