"""Edit › Settings…: the shop's texts for customer messages, the mail server, backups.

Three tabs. **Shop**: name, address, phone and signature, which every message prints
(``app.shop_settings``). **E-mail**: the SMTP server, port, security (none, STARTTLS,
SSL), user, password and sender (``app.mail_settings``); the tab says where the password
is kept (``password_storage_description``: the system keyring where this computer has
one). **Backups**: how many automatic backups of the store are kept (``app.backups``).
Saving goes through the controller (managers only, audited); for anyone else the dialog
is read-only and says which role may change it. "Send test message" sends one e-mail
with the settings as typed, off the GUI thread, and shows the outcome, or the server's
words, next to the button.

Every problem is shown in red under its field (the tab holding it comes to the front);
nothing is saved until every tab is acceptable. Settings live in the store, so every desk
that opens it sends the same way (the password too, where there is no keyring).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app import backups, mail_settings, mailer, shop_settings
from app.errors import UserError
from app.mail_settings import DEFAULT_PORTS, MailSettings
from ui import theme
from ui.context import DeskContext
from ui.dialogs.customer_editor import FieldMessage
from ui.permissions import explain_in, permit
from ui.worker import Progress, run_in_background

#: The "Backups to keep" box offers up to this many (a year of daily backups).
KEEP_MOST = 365

#: How a field looks while the signed-in role may only read the settings.
READ_ONLY = "background: palette(window);"

SECURITY_LABELS = (
    ("STARTTLS", "starttls", "Encrypted after connecting; usually port 587 (most providers)"),
    ("SSL", "ssl", "Encrypted from the first byte; usually port 465"),
    ("None", "none", "Not encrypted; usually port 25 (only inside a trusted network)"),
)


class SettingsDialog(QDialog):
    """The settings form; ``accept()`` only after every tab was saved.

    Signals:
        test_finished(bool, str): a test message went out (True) or not, and the words shown.
    """

    test_finished = Signal(bool, str)

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.testing = False
        self.setWindowTitle("Settings")
        self.messages: dict[str, FieldMessage] = {}
        self.fields: dict[str, QWidget] = {}

        shop = shop_settings.load_shop()
        mail = mail_settings.load()

        # ---- Shop tab
        self.name_edit = QLineEdit(shop.name)
        self.name_edit.setObjectName("store_name")
        self.name_edit.setPlaceholderText("The shop's name, as customers know it")
        self.address_edit = QPlainTextEdit(shop.address)
        self.address_edit.setObjectName("store_address")
        self.address_edit.setPlaceholderText("Street and number\nPost code and town")
        self.address_edit.setTabChangesFocus(True)
        self.phone_edit = QLineEdit(shop.phone)
        self.phone_edit.setObjectName("store_phone")
        self.phone_edit.setPlaceholderText("How customers call the shop")
        self.signature_edit = QPlainTextEdit(shop.signature)
        self.signature_edit.setObjectName("store_signature")
        self.signature_edit.setPlaceholderText("Kind regards,\n(the shop's name)")
        self.signature_edit.setTabChangesFocus(True)
        for edit in (self.address_edit, self.signature_edit):
            lines = 4
            edit.setFixedHeight(
                edit.fontMetrics().lineSpacing() * lines
                + int(edit.document().documentMargin() * 2)
                + edit.frameWidth() * 2
            )
        shop_form = QFormLayout()
        self._row(shop_form, "Shop &name:", self.name_edit, shop_settings.NAME)
        self._row(shop_form, "&Address:", self.address_edit, shop_settings.ADDRESS)
        self._row(shop_form, "&Phone:", self.phone_edit, shop_settings.PHONE)
        self._row(shop_form, "Si&gnature:", self.signature_edit, shop_settings.SIGNATURE)
        shop_hint = QLabel(
            "Every customer message names the shop and ends with the signature, the address "
            "and the phone number. The message templates themselves are files in the "
            "program's resources/messages folder."
        )
        shop_hint.setWordWrap(True)
        shop_hint.setStyleSheet(theme.muted_style())
        shop_page = QWidget()
        shop_layout = QVBoxLayout(shop_page)
        shop_layout.addLayout(shop_form)
        shop_layout.addWidget(shop_hint)
        shop_layout.addStretch(1)

        # ---- E-mail tab
        self.host_edit = QLineEdit(mail.host)
        self.host_edit.setObjectName("host")
        self.host_edit.setPlaceholderText("smtp.example.com (blank: no e-mail, print or phone)")
        self.port_edit = QLineEdit(str(mail.port) if mail.host else "")
        self.port_edit.setObjectName("port")
        self.port_edit.setPlaceholderText(str(DEFAULT_PORTS.get(mail.security, 587)))
        self.port_edit.setMaxLength(6)
        self.port_edit.setMaximumWidth(self.port_edit.fontMetrics().averageCharWidth() * 12)
        self.security_box = QComboBox()
        self.security_box.setObjectName("security")
        for label, value, tip in SECURITY_LABELS:
            self.security_box.addItem(label, value)
            self.security_box.setItemData(
                self.security_box.count() - 1, tip, Qt.ItemDataRole.ToolTipRole
            )
        self.security_box.setCurrentIndex(max(self.security_box.findData(mail.security), 0))
        self.security_box.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self._security = self.security_box.currentData()
        self.security_box.currentIndexChanged.connect(lambda _index: self._security_changed())
        self.user_edit = QLineEdit(mail.user)
        self.user_edit.setObjectName("user")
        self.user_edit.setPlaceholderText("Often the shop's e-mail address; blank if none")
        self.password_edit = QLineEdit()
        self.password_edit.setObjectName("password")
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setPlaceholderText(
            "Saved: leave blank to keep it" if mail.password_saved else "The mail password"
        )
        self.forget_box = QCheckBox("Forget the saved password")
        self.forget_box.setObjectName("forget_password")
        self.forget_box.setVisible(mail.password_saved)
        self.password_place = QLabel(mail_settings.password_storage_description() + ".")
        self.password_place.setObjectName("password_place")
        self.password_place.setWordWrap(True)
        self.password_place.setStyleSheet(theme.muted_style())
        self.sender_edit = QLineEdit(mail.sender)
        self.sender_edit.setObjectName("sender")
        self.sender_edit.setPlaceholderText("shop@example.com: customers see it and reply to it")
        self.test_to_edit = QLineEdit(mail.sender)
        self.test_to_edit.setObjectName("test_to")
        self.test_to_edit.setPlaceholderText("Where the test message goes")
        self.test_button = QPushButton("Send &test message")
        self.test_button.setObjectName("send_test")
        self.test_button.setToolTip(
            "Send one e-mail with the settings as typed (not saved yet) to the address beside"
        )
        self.test_button.clicked.connect(self.send_test)
        self.test_result = QLabel()
        self.test_result.setObjectName("test_result")
        self.test_result.setWordWrap(True)
        self.test_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.test_result.setVisible(False)
        self.test_result.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)

        password_box = QWidget()
        password_layout = QVBoxLayout(password_box)
        password_layout.setContentsMargins(0, 0, 0, 0)
        password_layout.setSpacing(2)
        password_layout.addWidget(self._with_message(self.password_edit, "password"))
        password_layout.addWidget(self.forget_box)
        password_layout.addWidget(self.password_place)
        test_row = QHBoxLayout()
        test_row.setContentsMargins(0, 0, 0, 0)
        test_row.addWidget(self._with_message(self.test_to_edit, "to"), 1)
        test_row.addWidget(self.test_button, 0, Qt.AlignmentFlag.AlignTop)

        mail_form = QFormLayout()
        self._row(mail_form, "SMTP &server:", self.host_edit, "host")
        self._row(mail_form, "&Security:", self.security_box, "security")
        self._row(mail_form, "P&ort:", self.port_edit, "port")
        self._row(mail_form, "&User name:", self.user_edit, "user")
        password_label = QLabel("Pass&word:")
        password_label.setBuddy(self.password_edit)
        mail_form.addRow(password_label, password_box)
        self._row(mail_form, "Se&nder address:", self.sender_edit, "sender")
        test_label = QLabel("Test &to:")
        test_label.setBuddy(self.test_to_edit)
        mail_form.addRow(test_label, test_row)
        # Its own row: nested in the test row's box, Qt under-counts its wrapped lines.
        mail_form.addRow("", self.test_result)
        self.fields["password"] = self.password_edit
        self.fields["to"] = self.test_to_edit
        mail_page = QWidget()
        mail_layout = QVBoxLayout(mail_page)
        mail_layout.addLayout(mail_form)
        mail_layout.addStretch(1)

        # ---- Backups tab
        kept = backups.keep_count()
        self.keep_spin = QSpinBox()
        self.keep_spin.setObjectName("backup_keep")
        # Never below what is kept already (the command line allows more): opening and
        # saving the dialog must not quietly drop backups.
        self.keep_spin.setRange(1, max(KEEP_MOST, kept))
        self.keep_spin.setValue(kept)
        self.keep_spin.setToolTip(
            "How many automatic backups of this store are kept; older ones are deleted at "
            "the next backup"
        )
        self.keep_spin.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        backup_form = QFormLayout()
        self._row(backup_form, "Backups to &keep:", self.keep_spin, "keep")
        if ctx.store.is_sqlite:
            where = (
                "The desk backs this store up when it starts and daily while it runs, into "
                f"{backups.backups_folder()}, and keeps the newest ones. File › Back up now… "
                "makes one at any time."
            )
        else:
            where = (
                "This store is a PostgreSQL database: the desk makes no backups of it; back "
                "it up with the server's own tools (pg_dump)."
            )
        backup_hint = QLabel(where)
        backup_hint.setObjectName("backup_hint")
        backup_hint.setWordWrap(True)
        backup_hint.setStyleSheet(theme.muted_style())
        backup_hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        backup_page = QWidget()
        backup_layout = QVBoxLayout(backup_page)
        backup_layout.addLayout(backup_form)
        backup_layout.addWidget(backup_hint)
        backup_layout.addStretch(1)

        self.tabs = QTabWidget()
        self.tabs.addTab(shop_page, "Sho&p")
        self.tabs.addTab(mail_page, "&E-mail")
        self.tabs.addTab(backup_page, "&Backups")
        self.shop_page, self.mail_page = shop_page, mail_page
        self.backup_page = backup_page

        self.error_label = FieldMessage()
        self.error_label.setObjectName("error")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setToolTip("Save every tab (Enter)")
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        # Wide enough for a server's name and the explanations; the height follows the
        # layout (so a message under a field makes the dialog grow, never overlap).
        self.tabs.setMinimumWidth(self.fontMetrics().averageCharWidth() * 84)
        # Creation order put the port before the security; the form shows security first.
        for first, second in (
            (self.host_edit, self.security_box),
            (self.security_box, self.port_edit),
            (self.port_edit, self.user_edit),
        ):
            self.setTabOrder(first, second)
        self.name_edit.setFocus()
        ctx.staff_changed.connect(self._apply_permissions)
        self._apply_permissions()

    def _apply_permissions(self) -> None:
        """Read-only unless the signed-in role may change the settings: every field can
        still be read (and copied), nothing can be typed, tested or saved."""
        allowed = permit(self.save_button, self.ctx, "settings")
        permit(self.test_button, self.ctx, "settings", enabled=not self.testing)
        for edit in (
            self.name_edit,
            self.address_edit,
            self.phone_edit,
            self.signature_edit,
            self.host_edit,
            self.port_edit,
            self.user_edit,
            self.password_edit,
            self.sender_edit,
            self.test_to_edit,
        ):
            edit.setReadOnly(not allowed)
            # The window's colour behind read-only text, so it does not look typeable.
            edit.setStyleSheet("" if allowed else f"{type(edit).__name__} {{ {READ_ONLY} }}")
        for widget in (self.security_box, self.forget_box, self.keep_spin):
            widget.setEnabled(allowed)
        explain_in(self.error_label, allowed, "settings")
        if allowed:
            self.setWindowTitle("Settings")
        else:
            self.setWindowTitle("Settings (read only)")

    # ------------------------------------------------------------ building

    def _with_message(self, field: QWidget, name: str) -> QWidget:
        message = FieldMessage()
        message.setObjectName(f"{name}_error")
        self.messages[name] = message
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(field)
        layout.addWidget(message)
        return box

    def _row(self, form: QFormLayout, text: str, field: QWidget, name: str) -> None:
        label = QLabel(text)
        label.setBuddy(field)
        form.addRow(label, self._with_message(field, name))
        self.fields[name] = field

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.fit_height()

    def fit_height(self) -> None:
        """Grow to fit wrapped texts (a message under a field, the test's outcome).

        Qt sizes a window by its layout's minimum, which does not count the extra lines of
        word-wrapped labels; without this they would overlap the next field. Done once the
        layout has taken in the new text (after the pending layout requests).
        """
        QTimer.singleShot(0, self._fit_now)

    def _fit_now(self, rounds: int = 3) -> None:
        layout = self.layout()
        layout.activate()
        needed = (
            layout.totalHeightForWidth(self.width())
            if layout.hasHeightForWidth()
            else layout.totalSizeHint().height()
        )
        # The tab widget's estimate can fall a line short; what each wrapped label lacks
        # at its real width is the truth.
        short = max(
            (
                label.heightForWidth(label.width()) - label.height()
                for label in self.findChildren(QLabel)
                if label.wordWrap() and label.isVisible()
            ),
            default=0,
        )
        needed = max(needed, self.height() + short)
        if needed > self.height():
            self.resize(self.width(), needed)
            if rounds > 1:
                QTimer.singleShot(0, lambda: self._fit_now(rounds - 1))

    # ------------------------------------------------------------ behaviour

    def _security_changed(self) -> None:
        """Propose the new security's usual port when the port was the old one's (or blank)."""
        new = self.security_box.currentData()
        typed = self.port_edit.text().strip()
        if not typed or typed == str(DEFAULT_PORTS.get(self._security)):
            self.port_edit.setText(str(DEFAULT_PORTS[new]) if typed else "")
        self.port_edit.setPlaceholderText(str(DEFAULT_PORTS[new]))
        self._security = new

    def _clear_messages(self) -> None:
        for message in self.messages.values():
            message.clear_message()
        self.error_label.clear_message()

    def show_error(self, error: UserError) -> None:
        """Put the message under its field (bringing its tab to the front) or at the foot."""
        message = self.messages.get(error.field or "")
        if message is None:
            self.error_label.show_message(str(error))
            self.fit_height()
            return
        message.show_message(str(error))
        self.fit_height()
        field = self.fields[error.field or ""]
        page = next(
            page
            for page in (self.shop_page, self.mail_page, self.backup_page)
            if page.isAncestorOf(field)
        )
        self.tabs.setCurrentWidget(page)
        field.setFocus()

    def typed_mail(self) -> MailSettings:
        """The mail settings as typed, checked (``UserError`` names the field)."""
        security = str(self.security_box.currentData())
        port = self.port_edit.text().strip() or str(DEFAULT_PORTS[security])
        return mail_settings.parse(
            host=self.host_edit.text(),
            port=port,
            security=security,
            user=self.user_edit.text(),
            sender=self.sender_edit.text(),
            password=self.password_edit.text(),
        )

    def save(self) -> None:
        """Check every tab; save and close only when all are acceptable."""
        self._clear_messages()
        problems: list[UserError] = []
        shop: shop_settings.ShopTexts | None = None
        mail: MailSettings | None = None
        try:
            shop = shop_settings.parse_shop(
                name=self.name_edit.text(),
                address=self.address_edit.toPlainText(),
                phone=self.phone_edit.text(),
                signature=self.signature_edit.toPlainText(),
            )
        except UserError as error:
            problems.append(error)
        try:
            mail = self.typed_mail()
        except UserError as error:
            problems.append(error)
        # The mail tab's problem shows too, but the first tab's comes to the front.
        for error in reversed(problems):
            self.show_error(error)
        if shop is None or mail is None:
            return
        password: str | None = self.password_edit.text() or None
        if self.forget_box.isChecked() and password is None:
            password = ""
        controller = self.ctx.controller
        try:
            # Through the controller: managers only, and audited. Not one transaction:
            # the mail password goes to the keyring first, which must not hold the store
            # locked; every value was checked above, so only the store itself can fail.
            controller.save_shop_settings(shop)
            controller.save_mail_settings(mail, password=password)
            controller.set_backup_keep(self.keep_spin.value())
        except UserError as error:
            self.show_error(error)
            return
        self.ctx.notify_changed()
        self.accept()

    def send_test(self) -> bool:
        """Send a test message with the settings as typed; False if it could not start."""
        if self.testing:
            return False
        self._clear_messages()
        self.test_result.setVisible(False)
        try:
            typed = self.typed_mail()
            if not typed.configured:
                raise UserError(
                    "Type the mail server's name first (such as smtp.example.com).", field="host"
                )
        except UserError as error:
            self.show_error(error)
            return False
        to = self.test_to_edit.text()
        keep_saved = not typed.password and not self.forget_box.isChecked()

        def work(_progress: Progress) -> Any:
            settings = typed
            if keep_saved:
                # The saved password (the keyring is asked here, off the GUI thread).
                saved = mail_settings.load(with_password=True)
                if saved.password and saved.account == typed.account:
                    settings = MailSettings(
                        host=typed.host,
                        port=typed.port,
                        security=typed.security,
                        user=typed.user,
                        sender=typed.sender,
                        password=saved.password,
                    )
            return mailer.send_test_message(settings, to)

        self.testing = True
        self.test_button.setEnabled(False)
        self._show_test(f"Sending to {typed.host}:{typed.port}…", ok=True)
        run_in_background(work, on_done=self._tested, on_error=self._test_failed)
        return True

    def _show_test(self, text: str, *, ok: bool) -> None:
        self.test_result.setStyleSheet(theme.ok_style() if ok else theme.error_style())
        self.test_result.setText(text)
        self.test_result.setVisible(True)
        self.fit_height()

    def _tested(self, header_id: Any) -> None:
        self.testing = False
        permit(self.test_button, self.ctx, "settings")
        text = (
            f"Sent: the server accepted the test message for {self.test_to_edit.text().strip()}. "
            "Check that it arrived."
        )
        self._show_test(text, ok=True)
        self.test_finished.emit(True, text)

    def _test_failed(self, message: str) -> None:
        self.testing = False
        permit(self.test_button, self.ctx, "settings")
        self._show_test(message, ok=False)
        self.test_finished.emit(False, message)
