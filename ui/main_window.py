"""The main window: navigation between the sections, menus, shortcuts and the status bar.

The sections are built once, up front, so each can listen to the context's signals
(``open_order``, ``open_customer``, ``new_order``) from the start. Window geometry and the
open section are kept in ``QSettings`` (organisation ``backorder-desk``, INI format, so a
test can redirect it with ``QSettings.setPath``).
"""

from __future__ import annotations

import contextlib
import warnings
from importlib import metadata

from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSizePolicy,
    QStackedWidget,
    QWidget,
)

from app import queries
from ui.backups import DeskBackups
from ui.context import DeskContext
from ui.dialogs.import_products import ImportProductsDialog
from ui.dialogs.settings import SettingsDialog
from ui.dialogs.sign_in import SignInDialog
from ui.dialogs.staff import StaffDialog
from ui.permissions import permit
from ui.receiving.window import ReceivingWindow
from ui.section import Section
from ui.sections.audit_log import AuditLogSection
from ui.sections.backorders import BackordersSection
from ui.sections.customers import CustomersSection
from ui.sections.dashboard import DashboardSection
from ui.sections.inventory import InventorySection
from ui.sections.messages import MessagesSection
from ui.sections.orders import OrdersSection
from ui.sections.purchase_orders import PurchaseOrdersSection

ORGANISATION = "backorder-desk"
APPLICATION = "backorder-desk"
APP_TITLE = "Backorder Desk"

#: In navigation order; Alt+1 opens the first.
SECTION_CLASSES: tuple[type[Section], ...] = (
    OrdersSection,
    BackordersSection,
    InventorySection,
    CustomersSection,
    PurchaseOrdersSection,
    MessagesSection,
    AuditLogSection,
    DashboardSection,
)

DEFAULT_SIZE = (1100, 700)


def desk_settings() -> QSettings:
    """The user's settings for the desk (INI format, per user)."""
    return QSettings(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANISATION, APPLICATION
    )


def shortcut_text(action: QAction) -> str:
    """The action's shortcut as the user's platform writes it ('' when it has none)."""
    return action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)


def add_shortcut_to_tooltip(action: QAction) -> QAction:
    """Make the tooltip name the shortcut, so the mouse teaches the keyboard."""
    keys = shortcut_text(action)
    tip = action.toolTip() or action.text().replace("&", "")
    if keys and keys not in tip:
        action.setToolTip(f"{tip} ({keys})")
    return action


class MainWindow(QMainWindow):
    """The desk's one main window.

    Attributes:
        ctx: the shared store, controller and signals.
        sections: the section pages, in navigation order.
    """

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(APP_TITLE)
        self.resize(*DEFAULT_SIZE)

        self.navigation = QListWidget()
        self.navigation.setObjectName("navigation")
        self.navigation.setAccessibleName("Sections")
        self.stack = QStackedWidget()
        self.sections: list[Section] = []
        for number, cls in enumerate(SECTION_CLASSES, start=1):
            section = cls(ctx)
            self.sections.append(section)
            self.stack.addWidget(section)
            item = QListWidgetItem(section.title)
            item.setToolTip(f"{section.title} (Alt+{number})")
            self.navigation.addItem(item)
        self.navigation.setStyleSheet("QListWidget#navigation::item { padding: 6px 12px; }")
        self.navigation.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Expanding)
        widest = max(
            self.navigation.fontMetrics().horizontalAdvance(section.title)
            for section in self.sections
        )
        self.navigation.setFixedWidth(widest + 2 * self.navigation.frameWidth() + 48)
        self.navigation.currentRowChanged.connect(self._show_row)

        central = QWidget()
        row = QHBoxLayout(central)
        row.addWidget(self.navigation)
        row.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self._build_actions()
        self._build_menus()
        self._build_status_bar()

        ctx.changed.connect(self.update_status)
        self._route_changes()
        ctx.staff_changed.connect(self.update_status)
        ctx.staff_changed.connect(self.apply_permissions)
        ctx.open_order.connect(lambda _order_id: self.show_section(OrdersSection))
        ctx.open_customer.connect(lambda _customer_id: self.show_section(CustomersSection))

        self._restore_settings()
        self.update_status()
        self.apply_permissions()

    # ------------------------------------------------------------------ building

    def _action(
        self, text: str, shortcut: str | QKeySequence.StandardKey, tip: str, slot: object
    ) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        return add_shortcut_to_tooltip(action)

    def _build_actions(self) -> None:
        self.new_order_action = self._action(
            "&New order…", "Ctrl+N", "Start a new order at the counter", self.new_order
        )
        self.receiving_action = self._action(
            "&Receiving…",
            "Ctrl+R",
            "Open the receiving station: scan goods in and fill waiting orders",
            self.open_receiving,
        )
        self.import_action = self._action(
            "&Import products…",
            "Ctrl+I",
            "Bring products and stock in from a Shopify, WooCommerce, Square or CSV file",
            self.open_import,
        )
        self.refresh_action = self._action(
            "&Refresh", "F5", "Read the current list again from the store", self.refresh
        )
        self.quit_action = self._action("&Quit", "Ctrl+Q", "Close Backorder Desk", self.close)
        self.switch_user_action = self._action(
            "S&witch user…",
            "Ctrl+Shift+U",
            "Sign in as another staff member; what you do next is recorded under their name",
            self.switch_user,
        )
        self.staff_action = self._action(
            "S&taff…",
            "Ctrl+Shift+M",
            "Staff accounts: add, change role, set password, disable (managers)",
            self.open_staff,
        )
        self.find_action = self._action(
            "&Find", "Ctrl+F", "Put the cursor in this section's search field", self.focus_search
        )
        self.shortcuts_action = self._action(
            "&Keyboard shortcuts", "F1", "List every keyboard shortcut", self.show_shortcuts
        )
        self.settings_action = self._action(
            "&Settings…",
            "Ctrl+,",
            "The shop's name and address for messages, and the mail server",
            self.open_settings,
        )
        # Back up now… / Restore from backup… (ui.backups runs them off the GUI thread).
        self.backups = DeskBackups(self.ctx, self)
        self.about_action = QAction("&About Backorder Desk", self)
        self.about_action.setToolTip("Version and what this program is for")
        self.about_action.triggered.connect(self.show_about)

        self.section_group = QActionGroup(self)
        self.section_group.setExclusive(True)
        self.section_actions_by_index: list[QAction] = []
        for index, section in enumerate(self.sections):
            action = self._action(
                f"&{index + 1} {section.title}",
                f"Alt+{index + 1}",
                f"Show {section.title}",
                lambda _checked=False, i=index: self.show_index(i, focus_search=True),
            )
            action.setCheckable(True)
            self.section_group.addAction(action)
            self.section_actions_by_index.append(action)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.new_order_action)
        file_menu.addAction(self.receiving_action)
        file_menu.addAction(self.import_action)
        file_menu.addAction(self.refresh_action)
        file_menu.addSeparator()
        file_menu.addAction(self.backups.back_up_action)
        file_menu.addAction(self.backups.restore_action)
        file_menu.addSeparator()
        file_menu.addAction(self.switch_user_action)
        file_menu.addAction(self.quit_action)
        edit_menu = bar.addMenu("&Edit")
        edit_menu.addAction(self.find_action)
        edit_menu.addSeparator()
        edit_menu.addAction(self.settings_action)
        edit_menu.addAction(self.staff_action)
        view_menu = bar.addMenu("&View")
        for action in self.section_actions_by_index:
            view_menu.addAction(action)
        # Holds the open section's own actions; refilled on every switch, so a section's
        # shortcuts only act while it is shown.
        self.section_menu = bar.addMenu("&Section")
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.shortcuts_action)
        help_menu.addSeparator()
        help_menu.addAction(self.about_action)
        self.menus: list[QMenu] = [file_menu, edit_menu, view_menu, self.section_menu, help_menu]
        for menu in self.menus:
            menu.setToolTipsVisible(True)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.store_label = QLabel()
        self.store_label.setObjectName("store")
        self.staff_label = QLabel()
        self.staff_label.setObjectName("staff")
        self.waiting_label = QLabel()
        self.waiting_label.setObjectName("waiting")
        self.waiting_label.setToolTip(
            "Order lines on the backorder list: customers waiting for stock"
        )
        for label in (self.store_label, self.staff_label, self.waiting_label):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setContentsMargins(12, 0, 12, 0)
            bar.addPermanentWidget(label)

    # ------------------------------------------------------------------ sections

    def current_section(self) -> Section:
        widget = self.stack.currentWidget()
        assert isinstance(widget, Section)
        return widget

    def section(self, cls: type[Section]) -> Section:
        """The section page of this class."""
        for section in self.sections:
            if isinstance(section, cls):
                return section
        raise LookupError(cls.__name__)

    def show_section(self, cls: type[Section]) -> None:
        self.show_index(self.sections.index(self.section(cls)))

    def show_index(self, index: int, *, focus_search: bool = False) -> None:
        """Open the section at ``index``; from the keyboard, the cursor goes to its search."""
        if self.navigation.currentRow() != index:
            self.navigation.setCurrentRow(index)  # -> _show_row
        if focus_search:
            self.current_section().focus_search()

    def _route_changes(self) -> None:
        """Refresh only the open section on a change; the others when they are shown.

        A big store's list takes a noticeable moment to re-read, and five of them after
        every write would make the desk stutter for nothing while they are hidden.
        """
        self._stale: set[int] = set()
        for section in self.sections:
            # Suppressed: a section that did not connect it has nothing to disconnect.
            with warnings.catch_warnings(), contextlib.suppress(RuntimeError, TypeError):
                warnings.simplefilter("ignore", RuntimeWarning)
                self.ctx.changed.disconnect(section.refresh)
        self.ctx.changed.connect(self._store_changed)

    def _store_changed(self) -> None:
        current = self.stack.currentIndex()
        self._stale = {i for i in range(len(self.sections)) if i != current}
        if 0 <= current < len(self.sections):
            self.sections[current].refresh()

    def _show_row(self, index: int) -> None:
        if not 0 <= index < len(self.sections):
            return
        self.stack.setCurrentIndex(index)
        section = self.sections[index]
        if index in self._stale:
            self._stale.discard(index)
            section.refresh()
        self.section_actions_by_index[index].setChecked(True)
        self.setWindowTitle(f"{section.title} — {APP_TITLE}")
        self._fill_section_menu(section)
        desk_settings().setValue("main/section", type(section).__name__)

    def _fill_section_menu(self, section: Section) -> None:
        self.section_menu.clear()
        self.section_menu.setTitle(f"&{section.title}")
        actions = section.section_actions()
        for action in actions:
            self.section_menu.addAction(add_shortcut_to_tooltip(action))
        self.section_menu.menuAction().setVisible(bool(actions))

    # ------------------------------------------------------------------- actions

    def new_order(self) -> None:
        """Ctrl+N: ask for a new order; the Orders section opens its dialog."""
        self.ctx.new_order.emit(0)

    def open_receiving(self) -> ReceivingWindow:
        """Ctrl+R: show the receiving station (one window; raised if already open)."""
        window = self.findChild(ReceivingWindow)
        if window is None or not window.isVisible():
            if window is not None:
                window.deleteLater()
            window = ReceivingWindow(self.ctx, self)
            window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        window.show()
        window.raise_()
        window.activateWindow()
        return window

    def open_import(self) -> ImportProductsDialog:
        """Ctrl+I: the import dialog (non-blocking, so the desk stays usable meanwhile)."""
        dialog = ImportProductsDialog(self.ctx, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def open_settings(self) -> SettingsDialog:
        """Ctrl+,: the settings dialog (non-blocking; one at a time)."""
        dialog = self.findChild(SettingsDialog)
        # A closed dialog is made afresh (it reads the saved settings), unless its test
        # message is still on its way: its answer comes back to that dialog.
        if dialog is not None and not dialog.isVisible() and not dialog.testing:
            dialog.deleteLater()
            dialog = None
        if dialog is None:
            dialog = SettingsDialog(self.ctx, self)
        if not dialog.isVisible():
            dialog.open()
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    def switch_user(self) -> SignInDialog:
        """Ctrl+Shift+U: sign in as someone else (non-blocking); Esc keeps the current one."""
        dialog = SignInDialog(
            self.ctx.store, switching=True, current_name=self.ctx.staff_name, parent=self
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(
            lambda: self.ctx.switch_staff(dialog.staff_id) if dialog.staff_id else None
        )
        dialog.open()
        return dialog

    def open_staff(self) -> StaffDialog:
        """Ctrl+Shift+M: the staff accounts (managers; greyed out for the others)."""
        dialog = StaffDialog(self.ctx, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def apply_permissions(self) -> None:
        """Grey out what the signed-in role may not do (the controller refuses it anyway)."""
        for action, permission in (
            (self.new_order_action, "place_order"),
            (self.receiving_action, "receive"),
            (self.settings_action, "settings"),
            (self.staff_action, "manage_staff"),
            (self.import_action, "adjust_stock"),  # it sets stock counts
            (self.backups.restore_action, "restore"),
        ):
            # Greyed with the role it needs in the tooltip.
            permit(action, self.ctx, permission)

    def refresh(self) -> None:
        """F5: read the open section and the status bar again."""
        self.current_section().refresh()
        self.update_status()

    def focus_search(self) -> None:
        self.current_section().focus_search()

    def update_status(self) -> None:
        """Store in use, staff signed in, and how many lines wait for stock."""
        self.store_label.setText(f"Store: {self.ctx.store.describe()}")
        self.staff_label.setText(f"Signed in: {self.ctx.staff_name}")
        self.staff_label.setToolTip(
            f"{self.ctx.staff_name} is signed in with the {self.ctx.controller.role} role; "
            "everything done here is recorded under that name. Switch user: Ctrl+Shift+U"
        )
        waiting = queries.count_backorders()
        noun = "line" if waiting == 1 else "lines"
        self.waiting_label.setText(f"Backorders: {waiting:,} {noun} waiting")

    def show_about(self) -> None:
        try:
            version = metadata.version("backorder-desk")
        except metadata.PackageNotFoundError:
            version = "development copy"
        QMessageBox.about(
            self,
            f"About {APP_TITLE}",
            f"<h3>{APP_TITLE} {version}</h3>"
            "<p>Take orders for goods that are out of stock, keep a fair backorder queue, "
            "and fulfil it when stock arrives.</p>"
            f"<p>Store in use: {self.ctx.store.describe()}</p>",
        )

    def show_shortcuts(self) -> None:
        rows = []
        for menu in self.menus:
            for action in menu.actions():
                keys = shortcut_text(action)
                if keys and action.isVisible():
                    name = action.text().replace("&", "").rstrip("…")
                    rows.append(f"<tr><td><b>{keys}</b></td><td>{name}</td></tr>")
        rows.append("<tr><td><b>Esc</b></td><td>Close a dialog without saving</td></tr>")
        box = QMessageBox(self)
        box.setWindowTitle("Keyboard shortcuts")
        box.setText("<table cellspacing='6'>" + "".join(rows) + "</table>")
        box.exec()

    # ------------------------------------------------------------------ settings

    def _restore_settings(self) -> None:
        settings = desk_settings()
        geometry = settings.value("main/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        wanted = settings.value("main/section", "")
        names = [type(section).__name__ for section in self.sections]
        index = names.index(wanted) if wanted in names else names.index("OrdersSection")
        self.navigation.setCurrentRow(index)

    def closeEvent(self, event: QCloseEvent) -> None:
        settings = desk_settings()
        settings.setValue("main/geometry", self.saveGeometry())
        settings.setValue("main/section", type(self.current_section()).__name__)
        settings.sync()
        super().closeEvent(event)
