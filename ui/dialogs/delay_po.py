"""Delay a purchase order: the supplier now promises a later day.

The controller moves the expected date, recomputes the ETAs of its products and queues an
"ETA changed" message for every customer whose lines now come later than they were told
(``Controller.delay_purchase_order``). A refusal (a past day, a day not later than the one
booked) is shown in red under the date; nothing changes until it is accepted.
"""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.controller import PurchaseOrderDelay
from app.errors import UserError
from ui import theme
from ui.context import DeskContext
from ui.permissions import explain_in, permit


class DelayDialog(QDialog):
    """Ask for the new expected date of one open purchase order.

    Attributes:
        result_delay: what the delay did, once accepted.
    """

    def __init__(
        self,
        ctx: DeskContext,
        po_id: int,
        *,
        supplier: str,
        expected: date,
        today: date,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.po_id = po_id
        self.result_delay: PurchaseOrderDelay | None = None
        self.setWindowTitle(f"Delay purchase order {po_id}")
        late = (today - expected).days
        when = f"was expected on {expected:%d %b %Y}"
        if late > 0:
            when += f" ({late} day{'s' if late != 1 else ''} overdue)"
        intro = QLabel(
            f"Purchase order {po_id} from {supplier} {when}. Give the day the supplier now "
            "promises: customers whose items then come later than they were told get an "
            "\u201cETA changed\u201d message."
        )
        intro.setWordWrap(True)
        self.date_edit = QDateEdit()
        self.date_edit.setObjectName("new_date")
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("d MMM yyyy")
        self.date_edit.setDate(QDate(max(expected, today) + timedelta(days=7)))
        self.date_edit.setToolTip("The new expected day (F4 opens a calendar)")
        self.date_message = QLabel()
        self.date_message.setObjectName("date_message")
        self.date_message.setWordWrap(True)
        self.date_message.setStyleSheet(theme.error_style())
        self.date_message.setVisible(False)
        buttons = QDialogButtonBox()
        self.delay_button = QPushButton("&Delay")
        self.delay_button.setObjectName("delay")
        self.delay_button.setToolTip("Move the date and tell the customers concerned (Enter)")
        self.delay_button.setDefault(True)
        cancel = QPushButton("Cancel")
        cancel.setToolTip("Leave the date as it is (Esc)")
        buttons.addButton(self.delay_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(cancel, QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.delay)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("&New date:", self.date_edit)
        form.addRow("", self.date_message)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.resize(self.fontMetrics().averageCharWidth() * 70, self.sizeHint().height())
        ctx.staff_changed.connect(self._apply_permissions)
        self._apply_permissions()

    def _apply_permissions(self) -> None:
        allowed = permit(self.delay_button, self.ctx, "purchase_orders")
        explain_in(self.date_message, allowed, "purchase_orders")

    def delay(self) -> None:
        """Ask the controller; on refusal show why under the date."""
        picked: date = self.date_edit.date().toPython()  # type: ignore[assignment]
        try:
            self.result_delay = self.ctx.controller.delay_purchase_order(self.po_id, picked)
        except UserError as error:
            self.date_message.setText(str(error))
            self.date_message.setVisible(True)
            self.date_edit.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        self.ctx.notify_changed()
        self.accept()
