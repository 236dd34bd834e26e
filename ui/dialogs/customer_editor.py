"""Add or edit a customer: name, e-mail, phone, notes.

The controller validates (``add_customer`` / ``update_customer``); a refusal names the field
it is about, and its message appears in red right under that field. Nothing is saved until
every field is acceptable.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.customer_queries import customer_detail
from app.errors import UserError
from ui import theme
from ui.context import DeskContext
from ui.permissions import explain_in, permit


class FieldMessage(QLabel):
    """A red, word-wrapped message under a form field; hidden while empty."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)  # messages quote what was typed
        self.setVisible(False)

    def show_message(self, text: str) -> None:
        self.setStyleSheet(theme.error_style())
        self.setText(text)
        self.setVisible(bool(text))

    def show_note(self, text: str) -> None:
        """A neutral (not red) line, e.g. what a scan just added."""
        self.setStyleSheet("")
        self.setText(text)
        self.setVisible(bool(text))

    def clear_message(self) -> None:
        self.setText("")
        self.setVisible(False)


def _with_message(field: QWidget, message: FieldMessage) -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    layout.addWidget(field)
    layout.addWidget(message)
    return box


class CustomerEditor(QDialog):
    """The customer form; after ``accept()``, ``customer_id`` is the saved customer.

    With ``customer_id`` it edits that customer, otherwise it adds a new one (``name`` may
    prefill the name, e.g. what the clerk already typed in a search).
    """

    def __init__(
        self,
        ctx: DeskContext,
        parent: QWidget | None = None,
        *,
        customer_id: int | None = None,
        name: str = "",
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.customer_id = customer_id
        self.setWindowTitle("Edit customer" if customer_id else "New customer")
        self.setMinimumWidth(460)

        self.name = QLineEdit()
        self.email = QLineEdit()
        self.phone = QLineEdit()
        self.notes = QPlainTextEdit()
        self.notes.setTabChangesFocus(True)
        self.notes.setPlaceholderText("Anything the counter should know (optional)")
        self.email.setPlaceholderText("name@example.com (optional)")
        self.phone.setPlaceholderText("optional")
        self.messages = {key: FieldMessage() for key in ("name", "email", "phone", "notes")}
        self.general = FieldMessage()

        form = QFormLayout()
        form.addRow("&Name", _with_message(self.name, self.messages["name"]))
        form.addRow("&E-mail", _with_message(self.email, self.messages["email"]))
        form.addRow("&Phone", _with_message(self.phone, self.messages["phone"]))
        form.addRow("N&otes", _with_message(self.notes, self.messages["notes"]))

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        save.setToolTip("Save the customer (Ctrl+S)")
        save.setShortcut(QKeySequence.StandardKey.Save)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setToolTip(
            "Close without saving (Esc)"
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.general)
        layout.addWidget(self.buttons)

        if customer_id:
            self._load(customer_id)
        else:
            self.name.setText(name)
        self.name.setFocus()
        ctx.staff_changed.connect(self._apply_permissions)
        self._apply_permissions()

    def _apply_permissions(self) -> None:
        action = "update_customer" if self.customer_id else "add_customer"
        save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        explain_in(self.general, permit(save, self.ctx, action), action)

    def _load(self, customer_id: int) -> None:
        detail = customer_detail(customer_id)
        if detail is None:
            self.general.show_message(f"There is no customer with id {customer_id} any more.")
            return
        self.name.setText(detail.name)
        self.email.setText(detail.email or "")
        self.phone.setText(detail.phone or "")
        self.notes.setPlainText(detail.notes)

    def save(self) -> None:
        """Ask the controller to save; show its message next to the field it names."""
        for message in (*self.messages.values(), self.general):
            message.clear_message()
        values = {
            "name": self.name.text(),
            "email": self.email.text(),
            "phone": self.phone.text(),
            "notes": self.notes.toPlainText(),
        }
        try:
            if self.customer_id:
                saved = self.ctx.controller.update_customer(self.customer_id, **values)
            else:
                saved = self.ctx.controller.add_customer(**values)
        except UserError as error:
            target = self.messages.get(error.field or "", self.general)
            target.show_message(str(error))
            widget = {"name": self.name, "email": self.email, "phone": self.phone}.get(
                error.field or ""
            )
            if widget is not None:
                widget.setFocus()
                widget.selectAll()
            return
        self.customer_id = int(saved.id)
        self.ctx.notify_changed()
        self.accept()
