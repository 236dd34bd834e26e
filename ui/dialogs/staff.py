"""Edit › Staff…: the shop's staff accounts, for managers.

The list shows every account (name, role, whether it may sign in, whether it has a
password). For the selected account: change its role, set a new password (typed twice),
disable it (it can no longer sign in; its history stays) or enable it again. Below, add an
account: name, role and password typed twice.

The controller decides (``Controller.add_staff``, ``set_staff_role``,
``set_staff_password``, ``set_staff_active``): its refusal is shown in red under the field
it is about, and nothing is changed. Only "the two passwords differ" is checked here, as
it is about typing, not about the account. A manager without a password of their own is
told to set one first, since once a second account exists everyone signs in.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app import staff as accounts
from app.errors import UserError
from app.staff import ROLES, StaffRow
from ui import theme
from ui.context import DeskContext
from ui.dialogs.product_editor import FieldForm

#: What each role may do, for the role boxes' tooltips.
ROLE_MEANING = {
    accounts.CLERK: "Clerk: orders and customers at the counter",
    accounts.WAREHOUSE: "Warehouse: receiving, products, purchase orders",
    accounts.MANAGER: "Manager: everything, including stock adjustments and staff",
}

COLUMNS = ("Name", "Role", "Can sign in", "Password")


def _role_box(name: str) -> QComboBox:
    box = QComboBox()
    box.setObjectName(name)
    for role in ROLES:
        box.addItem(role.capitalize(), role)
        box.setItemData(box.count() - 1, ROLE_MEANING[role], Qt.ItemDataRole.ToolTipRole)
    return box


def _password_field(name: str, placeholder: str) -> QLineEdit:
    field = QLineEdit()
    field.setObjectName(name)
    field.setAccessibleName(placeholder)
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setPlaceholderText(placeholder)
    return field


def _differ(first: QLineEdit, second: QLineEdit, key: str) -> UserError | None:
    if first.text() == second.text():
        return None
    return UserError("The two passwords differ: type the same password twice.", field=key)


class StaffDialog(QDialog):
    """Manage staff accounts (managers only; the controller refuses anyone else).

    Attributes:
        rows: the accounts as listed.
        notice: the last change made, in words (green), for the person and for tests.
    """

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.rows: list[StaffRow] = []
        self.setWindowTitle("Staff accounts")

        self.banner = QLabel()
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(theme.error_style())
        self.banner.setTextFormat(Qt.TextFormat.PlainText)
        self.banner.hide()

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("staff")
        self.table.setAccessibleName("Staff accounts")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        self.table.setMinimumWidth(self.fontMetrics().horizontalAdvance("M" * 30))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.currentCellChanged.connect(lambda *_: self._selected_changed())

        # ---- the selected account
        self.role = _role_box("role")
        self.role.setToolTip("The selected account's role")
        self.role_button = QPushButton("Change &role")
        self.role_button.setToolTip("Give the selected account this role")
        self.role_button.clicked.connect(self.change_role)
        role_row = _beside(self.role, self.role_button)
        self.password = _password_field("password", "New password (8 characters or more)")
        self.password_again = _password_field("password_again", "The same password again")
        self.password_button = QPushButton("Set &password")
        self.password_button.setToolTip("Give the selected account this password (Enter)")
        self.password_button.clicked.connect(self.set_password)
        self.password_again.returnPressed.connect(self.set_password)
        again_row = _beside(self.password_again, self.password_button)
        self.active_button = QPushButton("&Disable account")
        self.active_button.setObjectName("active_button")
        self.active_button.clicked.connect(self.toggle_active)
        self.selected_form = FieldForm()
        self.selected_form.add_row("role", "Role", role_row)
        self.selected_form.add_row("password", "New password", self.password)
        self.selected_form.add_row("password_again", "Again", again_row)
        self.selected_form.add_row("staff", "", self.active_button, stretch=False)
        self.selected_form.fields["role"] = self.role
        self.selected_form.fields["password_again"] = self.password_again
        self.selected_box = QGroupBox("Selected account")
        selected_layout = QVBoxLayout(self.selected_box)
        selected_layout.addLayout(self.selected_form.layout)
        selected_layout.addWidget(self.selected_form.general)

        # ---- a new account
        self.new_name = QLineEdit()
        self.new_name.setObjectName("new_name")
        self.new_name.setPlaceholderText("Name they sign in with, e.g. Carla")
        self.new_role = _role_box("new_role")
        self.new_role.setToolTip("What the new account may do")
        self.new_password = _password_field("new_password", "Password (8 characters or more)")
        self.new_password_again = _password_field("new_password_again", "The same password again")
        self.add_button = QPushButton("&Add account")
        self.add_button.setToolTip("Add this account (Enter)")
        self.add_button.clicked.connect(self.add)
        self.new_password_again.returnPressed.connect(self.add)
        add_again_row = _beside(self.new_password_again, self.add_button)
        self.add_form = FieldForm()
        self.add_form.add_row("name", "&Name", self.new_name)
        self.add_form.add_row("role", "R&ole", self.new_role, stretch=False)
        self.add_form.add_row("password", "Pass&word", self.new_password)
        self.add_form.add_row("password_again", "A&gain", add_again_row)
        self.add_form.fields["password_again"] = self.new_password_again
        self.add_box = QGroupBox("Add an account")
        add_layout = QVBoxLayout(self.add_box)
        add_layout.addLayout(self.add_form.layout)
        add_layout.addWidget(self.add_form.general)

        self.notice = QLabel()
        self.notice.setObjectName("notice")
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet(theme.ok_style())
        self.notice.hide()

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close = self.buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setToolTip("Close (Esc)")
        close.setAutoDefault(False)
        self.buttons.rejected.connect(self.reject)
        for button in (self.role_button, self.password_button, self.active_button, self.add_button):
            button.setAutoDefault(False)  # Enter acts in the field typed in, not elsewhere

        columns = QHBoxLayout()
        columns.addWidget(self.table, 5)
        side = QVBoxLayout()
        side.addWidget(self.selected_box)
        side.addWidget(self.add_box)
        side.addStretch(1)
        columns.addLayout(side, 6)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addLayout(columns, 1)
        layout.addWidget(self.notice)
        layout.addWidget(self.buttons)
        for first, second in (
            (self.table, self.role),
            (self.role, self.role_button),
            (self.role_button, self.password),
            (self.password, self.password_again),
            (self.password_again, self.password_button),
            (self.password_button, self.active_button),
            (self.active_button, self.new_name),
            (self.new_name, self.new_role),
            (self.new_role, self.new_password),
            (self.new_password, self.new_password_again),
            (self.new_password_again, self.add_button),
        ):
            self.setTabOrder(first, second)
        # Room for both forms and a two-line message under a field, at any font size; a
        # minimum, because showing a message shrinks the dialog to fit (FieldForm).
        chars = self.fontMetrics().averageCharWidth()
        lines = self.fontMetrics().lineSpacing()
        self.setMinimumSize(chars * 145, lines * 30)
        self.reload()
        self.table.setFocus()

    # ------------------------------------------------------------------ reading

    def reload(self, *, select: int | None = None) -> None:
        """Read the accounts again, keeping (or moving to) a selection."""
        keep = select if select is not None else self.selected_id()
        self.rows = accounts.list_staff()
        self.table.setRowCount(len(self.rows))
        chosen = 0
        for number, row in enumerate(self.rows):
            you = " (you)" if row.staff_id == self.ctx.controller.staff_id else ""
            cells = (
                row.name + you,
                row.role.capitalize(),
                "Yes" if row.active else "No: disabled",
                "Set" if row.has_password else "None yet",
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if not row.active:
                    item.setForeground(theme.colors().muted)
                self.table.setItem(number, column, item)
            if row.staff_id == keep:
                chosen = number
        if self.rows:
            self.table.setCurrentCell(chosen, 0)
        self._selected_changed()
        me = next((r for r in self.rows if r.staff_id == self.ctx.controller.staff_id), None)
        lacking = me is not None and not me.has_password
        if lacking and me is not None:
            self.banner.setText(
                f"You ({me.name}) have no password yet. Set one for yourself first: "
                "once there is a second account, everyone signs in with a password."
            )
        self.banner.setVisible(lacking)
        self.add_box.setEnabled(not lacking)

    def selected(self) -> StaffRow | None:
        number = self.table.currentRow()
        return self.rows[number] if 0 <= number < len(self.rows) else None

    def selected_id(self) -> int | None:
        row = self.selected()
        return row.staff_id if row is not None else None

    def select_name(self, name: str) -> None:
        """Select the account with this name (for the keyboard and tests)."""
        for number, row in enumerate(self.rows):
            if row.name == name:
                self.table.setCurrentCell(number, 0)
                return
        raise LookupError(name)

    def _selected_changed(self) -> None:
        row = self.selected()
        self.selected_form.clear()
        self.selected_box.setEnabled(row is not None)
        if row is None:
            self.selected_box.setTitle("Selected account")
            return
        self.selected_box.setTitle(f"Selected account: {row.name}")
        self.role.setCurrentIndex(max(self.role.findData(row.role), 0))
        if row.active:
            self.active_button.setText("&Disable account")
            self.active_button.setToolTip(
                f"{row.name} can no longer sign in; what they did stays in the log"
            )
        else:
            self.active_button.setText("&Enable account")
            self.active_button.setToolTip(f"Let {row.name} sign in again")

    # ------------------------------------------------------------------ writing

    def _write(self, form: FieldForm, work: Callable[[], str], *, select: int | None) -> bool:
        """Run one controller call; show its refusal under its field, or what was done."""
        form.clear()
        self.notice.hide()
        try:
            done = work()
        except UserError as error:
            form.show_error(error)
            return False
        self.ctx.notify_changed()
        self.selected_form.clear()
        self.add_form.clear()
        self.reload(select=select)
        self.notice.setText(done)
        self.notice.show()
        return True

    def change_role(self) -> None:
        row = self.selected()
        if row is None:
            return
        role = str(self.role.currentData())
        me = row.staff_id == self.ctx.controller.staff_id

        def work() -> str:
            self.ctx.controller.set_staff_role(row.staff_id, role)
            return f"{row.name} now has the {role} role."

        if self._write(self.selected_form, work, select=row.staff_id) and me:
            self.ctx.staff_changed.emit()  # your own role changed: menus follow it

    def set_password(self) -> None:
        row = self.selected()
        if row is None:
            return
        mismatch = _differ(self.password, self.password_again, "password_again")
        if mismatch is not None:
            self.selected_form.clear()
            self.selected_form.show_error(mismatch)
            return

        def work() -> str:
            self.ctx.controller.set_staff_password(row.staff_id, self.password.text())
            return f"{row.name} signs in with the new password from now on."

        if self._write(self.selected_form, work, select=row.staff_id):
            self.password.clear()
            self.password_again.clear()

    def toggle_active(self) -> None:
        row = self.selected()
        if row is None:
            return
        active = not row.active

        def work() -> str:
            self.ctx.controller.set_staff_active(row.staff_id, active)
            if active:
                return f"{row.name} can sign in again."
            return f"{row.name} can no longer sign in; what they did stays in the audit log."

        self._write(self.selected_form, work, select=row.staff_id)

    def add(self) -> None:
        mismatch = _differ(self.new_password, self.new_password_again, "password_again")
        if mismatch is not None:
            self.add_form.clear()
            self.add_form.show_error(mismatch)
            return
        role = str(self.new_role.currentData())
        added: list[int] = []

        def work() -> str:
            member = self.ctx.controller.add_staff(
                self.new_name.text(), role, self.new_password.text()
            )
            added.append(int(member.id))
            return f"{member.name} can now sign in as {role}."

        if self._write(self.add_form, work, select=None):
            self.reload(select=added[0])
            for field in (self.new_name, self.new_password, self.new_password_again):
                field.clear()
            self.new_name.setFocus()


def _beside(field: QWidget, button: QWidget) -> QWidget:
    """A field that takes the width, with its button on the right: one form row."""
    row = QWidget()
    line = QHBoxLayout(row)
    line.setContentsMargins(0, 0, 0, 0)
    line.addWidget(field, 1)
    line.addWidget(button)
    return row
