"""What each role sees offered at the desk: actions the signed-in role may not use are
greyed, their tooltips say which role they need, and switching user updates them at once.
Driven through the real main window, sections and dialogs on a real store (SQLite and,
when configured, PostgreSQL); the rules themselves are app.staff's, asked via
``Controller.can`` / ``may_cancel_line``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app import backups, shop_settings
from app.audit_queries import AuditFilter, events
from app.controller import Controller, Decision, OrderItem
from app.models import OrderLine
from app.store import Store
from tests.conftest import FakeClock
from tests.shots import save_shot
from ui.context import DeskContext
from ui.dialogs.settings import SettingsDialog
from ui.main_window import MainWindow
from ui.receiving.window import ReceivingWindow
from ui.sections.backorders import BackordersSection
from ui.sections.customers import CustomersSection
from ui.sections.inventory import InventorySection
from ui.sections.messages import MessagesSection
from ui.sections.orders import OrdersSection
from ui.sections.purchase_orders import PurchaseOrdersSection

ADMIN_PASSWORD = "admin pass 1"

ADJUST = "Stock adjustments need the manager role; ask a manager to sign in."
PRIORITY = "Changing queue priorities needs the manager role; ask a manager to sign in."
OTHERS_LINE = (
    "Cancelling lines of orders someone else placed needs the manager role; "
    "ask a manager to sign in."
)
CANCEL_LINES = (
    "Cancelling order lines needs the clerk or manager role; ask someone with that role to sign in."
)
ADD_PRODUCT = (
    "Adding products needs the warehouse or manager role; ask someone with that role to sign in."
)
PURCHASE = (
    "Purchase orders need the warehouse or manager role; ask someone with that role to sign in."
)
ADD_CUSTOMER = (
    "Adding customers needs the clerk or manager role; ask someone with that role to sign in."
)
TAKE_ORDERS = (
    "Taking orders needs the clerk or manager role; ask someone with that role to sign in."
)
SETTINGS = "Changing the settings needs the manager role; ask a manager to sign in."
RECEIVE = (
    "Receiving goods needs the warehouse or manager role; ask someone with that role to sign in."
)


@dataclass
class Shop:
    """The staff and the two waiting lines the tests look at."""

    admin: int
    carla: int  # clerk
    dan: int  # another clerk
    wes: int  # warehouse
    product_id: int
    carlas_line: int
    dans_line: int


@pytest.fixture(autouse=True)
def private_settings(tmp_path: Path) -> Iterator[Path]:
    """Keep QSettings (window geometry, open section) in this test's folder."""
    folder = tmp_path / "settings"
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    yield folder


@pytest.fixture
def shop(store: Store, controller: Controller, clock: FakeClock) -> Shop:
    """Admin (manager), clerks Carla and Dan, Wes from the stock room; Carla and Dan each
    took an order that waits for the hinge."""
    controller.set_staff_password(controller.staff_id, ADMIN_PASSWORD)
    carla = int(controller.add_staff("Carla", "clerk", "carla pass 1").id)
    dan = int(controller.add_staff("Dan", "clerk", "dan pass 12").id)
    wes = int(controller.add_staff("Wes", "warehouse", "wes pass 12").id)
    hinge = int(controller.add_product(sku="HNG-1", name="Brass hinge", price_cents=350).id)
    lines = []
    for staff_id, name in ((carla, "Ann Smith"), (dan, "Bob Jones")):
        clerk = Controller(store, staff_id=staff_id, clock=clock)
        customer = clerk.add_customer(name=name, email=f"{name.split()[0].lower()}@example.com")
        placed = clerk.place_order(
            customer.id, [OrderItem(hinge, 2)], decisions={hinge: Decision.WAIT}
        )
        lines.append(int(OrderLine.get(OrderLine.order == placed.order_id).id))
        clock.advance(minutes=5)
    return Shop(controller.staff_id, carla, dan, wes, hinge, lines[0], lines[1])


@pytest.fixture
def ctx(store: Store, controller: Controller, shop: Shop, qtbot: QtBot) -> Iterator[DeskContext]:
    context = DeskContext(store, controller)
    context.stop()  # these tests switch and notify by hand
    yield context


def open_window(qtbot: QtBot, ctx: DeskContext) -> MainWindow:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.resize(1100, 700)
    window.show()
    qtbot.waitExposed(window)
    return window


def greyed_for(target: object, sentence: str) -> bool:
    """Disabled, and its tooltip ends with the refusal naming the role needed."""
    enabled = target.isEnabled()  # type: ignore[attr-defined]
    tip = target.toolTip()  # type: ignore[attr-defined]
    return not enabled and tip.endswith(sentence)


def offered(target: object) -> bool:
    """Enabled, and its tooltip says nothing about roles."""
    enabled = target.isEnabled()  # type: ignore[attr-defined]
    tip = target.toolTip()  # type: ignore[attr-defined]
    return enabled and " role" not in tip


def test_each_role_sees_only_its_actions_offered_and_switching_updates_them(
    qtbot: QtBot, ctx: DeskContext, shop: Shop
) -> None:
    window = open_window(qtbot, ctx)
    inventory = window.section(InventorySection)
    backorders = window.section(BackordersSection)
    purchase = window.section(PurchaseOrdersSection)
    customers = window.section(CustomersSection)
    orders = window.section(OrdersSection)
    assert isinstance(inventory, InventorySection)
    assert isinstance(backorders, BackordersSection)
    assert isinstance(purchase, PurchaseOrdersSection)
    assert isinstance(customers, CustomersSection)
    assert isinstance(orders, OrdersSection)
    window.show_section(InventorySection)
    assert inventory.select_product(shop.product_id)
    backorders.select_lines([shop.dans_line])

    # The manager: everything.
    assert offered(inventory.adjust_action) and offered(inventory.add_action)
    assert offered(backorders.raise_action) and offered(backorders.cancel_action)
    assert offered(purchase.new_action) and offered(customers.add_action)
    assert offered(window.settings_action)

    # Carla the clerk: the counter's work only, each refusal naming the role it needs.
    ctx.switch_staff(shop.carla)
    assert greyed_for(inventory.adjust_action, ADJUST)
    assert greyed_for(inventory.add_action, ADD_PRODUCT)
    assert inventory.adjust_action.toolTip().startswith("Correct the selected product's stock")
    assert greyed_for(backorders.raise_action, PRIORITY)
    assert greyed_for(backorders.set_priority_action, PRIORITY)
    assert greyed_for(backorders.cancel_action, OTHERS_LINE)  # Dan's order
    assert greyed_for(purchase.new_action, PURCHASE)
    assert greyed_for(purchase.new_button, PURCHASE)
    assert offered(customers.add_action) and offered(orders.new_button)
    assert greyed_for(window.settings_action, SETTINGS)
    # Her own order's line she may cancel.
    backorders.select_lines([shop.carlas_line])
    assert offered(backorders.cancel_action)
    backorders.select_lines([shop.carlas_line, shop.dans_line])
    assert greyed_for(backorders.cancel_action, OTHERS_LINE)

    # Wes from the stock room: products and purchase orders, no counter work.
    ctx.switch_staff(shop.wes)
    assert offered(inventory.add_action)
    assert greyed_for(inventory.adjust_action, ADJUST)
    assert greyed_for(backorders.cancel_action, CANCEL_LINES)
    assert offered(purchase.new_action) and offered(purchase.new_button)
    assert greyed_for(customers.add_action, ADD_CUSTOMER)
    assert greyed_for(customers.add_button, ADD_CUSTOMER)
    assert greyed_for(orders.new_button, TAKE_ORDERS)
    assert greyed_for(window.new_order_action, TAKE_ORDERS)

    # Back to the manager: offered again, and no word of roles left in any tooltip.
    ctx.switch_staff(shop.admin)
    for action in (
        inventory.adjust_action,
        backorders.raise_action,
        backorders.cancel_action,
        customers.add_action,
        window.new_order_action,
        window.settings_action,
    ):
        assert offered(action), action.text()
    assert inventory.adjust_action.toolTip().count("Ctrl+J") == 1


def test_a_greyed_action_cannot_be_reached_by_its_shortcut_and_writes_nothing(
    qtbot: QtBot, ctx: DeskContext, shop: Shop
) -> None:
    window = open_window(qtbot, ctx)
    window.show_section(BackordersSection)
    backorders = window.section(BackordersSection)
    assert isinstance(backorders, BackordersSection)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)

    def raise_by_keyboard() -> int:
        backorders.select_lines([shop.carlas_line])
        backorders.view.setFocus()
        qtbot.keyClick(backorders.view, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
        return int(OrderLine.get_by_id(shop.carlas_line).priority)

    assert raise_by_keyboard() == 1  # the manager's Ctrl+Up works
    ctx.switch_staff(shop.carla)
    backorders.message.hide()
    assert raise_by_keyboard() == 1  # the clerk's does nothing, not even a refusal
    assert not backorders.message.isVisible()


def test_the_order_detail_offers_a_clerk_the_cancel_of_her_own_orders_only(
    qtbot: QtBot, ctx: DeskContext, shop: Shop
) -> None:
    window = open_window(qtbot, ctx)
    orders = window.section(OrdersSection)
    assert isinstance(orders, OrdersSection)
    ctx.switch_staff(shop.carla)
    own = OrderLine.get_by_id(shop.carlas_line).order_id
    other = OrderLine.get_by_id(shop.dans_line).order_id

    ctx.open_order.emit(own)
    assert offered(orders.detail.cancel_button) and offered(orders.cancel_action)
    ctx.open_order.emit(other)
    assert greyed_for(orders.detail.cancel_button, OTHERS_LINE)
    assert greyed_for(orders.cancel_action, OTHERS_LINE)
    ctx.switch_staff(shop.admin)
    assert offered(orders.detail.cancel_button)


def test_messages_told_and_resend_need_the_counter(
    qtbot: QtBot, ctx: DeskContext, shop: Shop
) -> None:
    window = open_window(qtbot, ctx)
    window.show_section(MessagesSection)
    messages = window.section(MessagesSection)
    assert isinstance(messages, MessagesSection)
    assert messages.preview.detail is not None  # the newest confirmation is shown
    told = messages.told_actions["phone"]
    assert offered(told) and offered(messages.told_button)
    ctx.switch_staff(shop.wes)
    need = (
        "Recording that a customer was told needs the clerk or manager role; "
        "ask someone with that role to sign in."
    )
    assert greyed_for(told, need) and greyed_for(messages.told_button, need)
    ctx.switch_staff(shop.carla)
    assert offered(told)


def test_settings_are_read_only_for_a_clerk_and_editable_for_a_manager(
    qtbot: QtBot, ctx: DeskContext, shop: Shop, tmp_path: Path
) -> None:
    shop_settings.save_shop(
        shop_settings.parse_shop(
            name="Hinges & Handles",
            address="12 Mill Lane\nLeeds LS1 4AB",
            phone="0113 496 0000",
            signature="Kind regards,\nThe Hinges & Handles team",
        )
    )
    ctx.switch_staff(shop.carla)
    dialog = SettingsDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert greyed_for(dialog.save_button, SETTINGS)
    assert not dialog.test_button.isEnabled()
    assert dialog.name_edit.isReadOnly() and dialog.host_edit.isReadOnly()
    assert not dialog.security_box.isEnabled() and not dialog.keep_spin.isEnabled()
    assert dialog.error_label.isVisible() and dialog.error_label.text() == SETTINGS
    assert dialog.windowTitle() == "Settings (read only)"
    qtbot.keyClicks(dialog.name_edit, " Ltd")
    qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Return)
    assert dialog.name_edit.text() == "Hinges & Handles"
    assert shop_settings.load_shop().name == "Hinges & Handles"
    save_shot(dialog, tmp_path, "settings-read-only", settle=2)

    # A manager signs in while it is open: the form opens up, the refusal goes.
    ctx.switch_staff(shop.admin)
    assert offered(dialog.save_button) and dialog.test_button.isEnabled()
    assert not dialog.name_edit.isReadOnly() and dialog.security_box.isEnabled()
    assert not dialog.error_label.isVisible()
    dialog.name_edit.clear()
    qtbot.keyClicks(dialog.name_edit, "Hinge & Co")
    # Backups to keep: its own tab, typed like any number.
    assert backups.keep_count() == backups.DEFAULT_KEEP
    dialog.tabs.setCurrentWidget(dialog.backup_page)
    assert dialog.keep_spin.isEnabled() and dialog.keep_spin.maximum() == 365
    dialog.keep_spin.selectAll()
    qtbot.keyClicks(dialog.keep_spin, "30")
    save_shot(dialog, tmp_path, "settings-backups", settle=2)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert shop_settings.load_shop().name == "Hinge & Co"
    assert backups.keep_count() == 30
    (event,) = events(AuditFilter(kind="settings.backup_keep"))
    assert (event.staff, event.summary) == ("Admin", "Keep the newest 10 → 30 backups")


def test_the_receiving_station_greys_its_scan_field_for_a_clerk(
    qtbot: QtBot, ctx: DeskContext, shop: Shop
) -> None:
    station = ReceivingWindow(ctx)
    qtbot.addWidget(station)
    station.show()
    qtbot.waitExposed(station)
    assert station.scan.isEnabled() and station.receive_action.isEnabled()

    ctx.switch_staff(shop.carla)
    assert greyed_for(station.scan, RECEIVE)
    assert greyed_for(station.receive_action, RECEIVE)
    assert greyed_for(station.receive_button, RECEIVE)
    assert station.feedback_text == RECEIVE

    ctx.switch_staff(shop.wes)
    assert offered(station.scan) and offered(station.receive_button)
    assert station.feedback_text.startswith("Ready")
    qtbot.keyClicks(station.scan, "HNG-1")
    qtbot.keyClick(station.scan, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: station.draft_id is not None)


def test_the_main_window_as_a_clerk_and_as_a_manager_renders_readably(
    qtbot: QtBot, ctx: DeskContext, shop: Shop, tmp_path: Path
) -> None:
    window = open_window(qtbot, ctx)
    window.show_section(BackordersSection)
    backorders = window.section(BackordersSection)
    assert isinstance(backorders, BackordersSection)
    backorders.select_lines([shop.dans_line])
    save_shot(window, tmp_path, "permissions-backorders-manager", settle=3)
    ctx.switch_staff(shop.carla)
    window.show_section(BackordersSection)
    backorders.select_lines([shop.dans_line])
    assert not backorders.raise_action.isEnabled()
    save_shot(window, tmp_path, "permissions-backorders-clerk", settle=3)
    window.show_section(InventorySection)
    inventory = window.section(InventorySection)
    assert isinstance(inventory, InventorySection)
    inventory.select_product(shop.product_id)
    save_shot(window, tmp_path, "permissions-inventory-clerk", settle=3)
    window.show_section(PurchaseOrdersSection)
    save_shot(window, tmp_path, "permissions-purchase-orders-clerk", settle=3)
