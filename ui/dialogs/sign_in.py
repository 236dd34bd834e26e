"""Sign in: who is at the desk. Asked at start once a store has more than one active
account, and by File > Switch user… (Ctrl+Shift+U) at any time.

The name box offers the active accounts (type-ahead, any case); the password is checked
by ``app.staff.sign_in``, whose one message for a wrong name or password alike is shown in
red under the password. At start, Esc (or Quit) closes the desk; when switching, it keeps
the person who was signed in.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app import staff as accounts
from app.errors import UserError
from app.store import Store
from ui import theme
from ui.dialogs.product_editor import FieldForm


class SignInDialog(QDialog):
    """Name and password; ``staff_id`` is who signed in once the dialog is accepted.

    Attributes:
        staff_id: the account signed in to (``None`` until then).
        switching: opened by Switch user (Esc keeps the current person) rather than at start
            (Esc quits).
    """

    def __init__(
        self,
        store: Store,
        *,
        switching: bool = False,
        current_name: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.staff_id: int | None = None
        self.switching = switching
        self.setWindowTitle("Switch user" if switching else "Sign in to Backorder Desk")

        heading = QLabel("<b>Who is at the desk?</b>")
        where = QLabel(f"Store: {store.describe()}")
        where.setStyleSheet(theme.muted_style())
        where.setWordWrap(True)
        where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.name = QComboBox()
        self.name.setObjectName("name")
        self.name.setAccessibleName("Name")
        self.name.setEditable(True)
        self.name.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.name.addItems([row.name for row in accounts.list_staff(include_inactive=False)])
        completer = self.name.completer()
        assert completer is not None
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.InlineCompletion)
        name_edit = self.name.lineEdit()
        assert name_edit is not None
        name_edit.setPlaceholderText("Your name")
        self.name.setCurrentIndex(-1)
        self.name.setToolTip("Your staff name; type the first letters or pick it from the list")
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setAccessibleName("Password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("Password")

        self.form = FieldForm()
        self.form.add_row("name", "&Name", self.name, aliases=("staff",))
        self.form.add_row("password", "&Password", self.password)
        name_edit.textEdited.connect(lambda _t: self.form.clear())
        self.password.textEdited.connect(lambda _t: self.form.clear())

        self.buttons = QDialogButtonBox()
        self.sign_in_button = self.buttons.addButton(
            "&Sign in", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.sign_in_button.setDefault(True)
        self.sign_in_button.setToolTip("Sign in with this name and password (Enter)")
        self.cancel_button = self.buttons.addButton(
            "Cancel" if switching else "&Quit", QDialogButtonBox.ButtonRole.RejectRole
        )
        self.cancel_button.setToolTip(
            f"Stay signed in as {current_name} (Esc)"
            if switching and current_name
            else "Close Backorder Desk (Esc)"
        )
        self.sign_in_button.clicked.connect(self.try_sign_in)
        self.cancel_button.clicked.connect(self.reject)
        self.password.returnPressed.connect(self.try_sign_in)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(where)
        layout.addSpacing(self.fontMetrics().height() // 2)
        layout.addLayout(self.form.layout)
        layout.addWidget(self.form.general)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 56)
        self.name.setFocus()

    def try_sign_in(self) -> None:
        """Check the name and password; accept, or say it is wrong and try again."""
        self.form.clear()
        name = self.name.currentText()
        if not name.strip():
            self.form.show_error(
                UserError("Type your name (or pick it from the list).", field="name")
            )
            return
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)  # scrypt takes ~0.1 s
        try:
            member = accounts.sign_in(name, self.password.text())
        except UserError as error:
            self.password.clear()
            self.form.show_error(error)
            return
        finally:
            QGuiApplication.restoreOverrideCursor()
        self.staff_id = int(member.id)
        self.accept()


def sign_in_at_start(store: Store) -> tuple[bool, int | None]:
    """Ask who is at the desk when the store has more than one active account.

    Returns ``(go_on, staff_id)``: ``(True, None)`` when nobody needs to sign in (the
    controller then acts as the store's only manager), ``(False, None)`` when the person
    chose to quit.
    """
    if accounts.staff_count_active() <= 1:
        return True, None
    dialog = SignInDialog(store)
    if dialog.exec() != QDialog.DialogCode.Accepted or dialog.staff_id is None:
        return False, None
    return True, dialog.staff_id
