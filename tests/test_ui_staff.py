"""Staff at the desk: signing in, switching user, refused actions, the staff accounts
dialog and the audit log section, driven through real widgets on a real store (SQLite and,
when configured, PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app import audit_queries, queries
from app.audit_queries import AuditFilter, AuditRow, count_events, events
from app.controller import Controller, Decision, OrderItem
from app.models import AuditEvent, Receipt, Staff
from app.store import Store
from tests.conftest import FakeClock
from tests.shots import save_shot
from ui.context import DeskContext
from ui.dialogs.adjust_stock import AdjustStockDialog
from ui.dialogs.sign_in import SignInDialog, sign_in_at_start
from ui.dialogs.staff import StaffDialog
from ui.main_window import MainWindow
from ui.paged_model import ROW_ROLE
from ui.receiving.window import ReceivingWindow
from ui.sections.audit_log import BETWEEN, AuditLogSection

ADMIN_PASSWORD = "admin pass 1"
CARLA_PASSWORD = "carla pass 1"


@pytest.fixture(autouse=True)
def private_settings(tmp_path: Path) -> Iterator[Path]:
    """Keep QSettings in this test's folder."""
    folder = tmp_path / "settings"
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    yield folder


@pytest.fixture
def ctx(store: Store, controller: Controller, qtbot: QtBot) -> Iterator[DeskContext]:
    context = DeskContext(store, controller)
    context.stop()  # these tests notify by hand; no timer firing mid-test
    yield context


def add_carla(controller: Controller) -> int:
    """The manager sets their own password, then adds Carla the clerk."""
    controller.set_staff_password(controller.staff_id, ADMIN_PASSWORD)
    return int(controller.add_staff("Carla", "clerk", CARLA_PASSWORD).id)


def open_window(qtbot: QtBot, ctx: DeskContext) -> MainWindow:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def sign_in_dialog(qtbot: QtBot, store: Store, **options: object) -> SignInDialog:
    dialog = SignInDialog(store, **options)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    return dialog


def type_and_sign_in(qtbot: QtBot, dialog: SignInDialog, name: str, password: str) -> None:
    name_edit = dialog.name.lineEdit()
    assert name_edit is not None
    name_edit.clear()
    qtbot.keyClicks(name_edit, name)
    dialog.password.clear()
    qtbot.keyClicks(dialog.password, password)
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)


# ------------------------------------------------------------------ signing in


def test_sign_in_with_a_wrong_then_the_right_password(
    qtbot: QtBot, store: Store, controller: Controller, tmp_path: Path
) -> None:
    carla = add_carla(controller)
    dialog = sign_in_dialog(qtbot, store)
    assert [dialog.name.itemText(i) for i in range(dialog.name.count())] == ["Admin", "Carla"]

    type_and_sign_in(qtbot, dialog, "carla", "not her password")
    message = dialog.form.errors["password"]
    assert dialog.isVisible() and dialog.staff_id is None
    assert message.isVisible() and message.text() == "Name or password is wrong."
    assert dialog.password.text() == "" and dialog.password.hasFocus()
    save_shot(dialog, tmp_path, "sign-in-wrong-password", settle=2)

    qtbot.keyClicks(dialog.password, CARLA_PASSWORD)
    assert not message.isVisible()  # typing again clears the old message
    with qtbot.waitSignal(dialog.accepted):
        qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert dialog.staff_id == carla


def test_esc_at_the_start_quits_and_one_account_needs_no_sign_in(
    qtbot: QtBot, store: Store, controller: Controller
) -> None:
    assert sign_in_at_start(store) == (True, None)  # only Admin: straight in
    add_carla(controller)
    dialog = sign_in_dialog(qtbot, store)
    assert dialog.cancel_button.text() == "&Quit"
    with qtbot.waitSignal(dialog.rejected):
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.staff_id is None


def test_a_disabled_account_cannot_sign_in(
    qtbot: QtBot, store: Store, controller: Controller
) -> None:
    carla = add_carla(controller)
    controller.add_staff("Wes", "warehouse", "wes pass 12")
    controller.set_staff_active(carla, False)
    dialog = sign_in_dialog(qtbot, store)
    assert "Carla" not in [dialog.name.itemText(i) for i in range(dialog.name.count())]
    type_and_sign_in(qtbot, dialog, "Carla", CARLA_PASSWORD)
    assert dialog.form.errors["password"].text() == "Name or password is wrong."
    assert dialog.staff_id is None


# ------------------------------------------------------------- switching user


def test_switch_user_records_the_next_change_under_the_new_name(
    qtbot: QtBot, ctx: DeskContext, controller: Controller, tmp_path: Path
) -> None:
    carla = add_carla(controller)
    window = open_window(qtbot, ctx)
    assert window.staff_label.text() == "Signed in: Admin"
    assert window.staff_action.isEnabled() and window.settings_action.isEnabled()

    window.switch_user_action.trigger()
    dialog = window.findChild(SignInDialog)
    assert isinstance(dialog, SignInDialog) and dialog.isVisible()
    assert dialog.cancel_button.text() == "Cancel"  # Esc keeps Admin, it does not quit
    with qtbot.waitSignal(ctx.staff_changed):
        type_and_sign_in(qtbot, dialog, "Carla", CARLA_PASSWORD)

    assert ctx.controller.staff_id == carla and ctx.controller.role == "clerk"
    assert window.staff_label.text() == "Signed in: Carla"
    assert "clerk" in window.staff_label.toolTip()
    # What a clerk may not do is greyed out; taking orders is not.
    assert not window.staff_action.isEnabled()
    assert not window.settings_action.isEnabled()
    assert not window.receiving_action.isEnabled()
    assert window.new_order_action.isEnabled()

    # The next change is Carla's, and the audit log says so.
    ctx.controller.add_customer(name="Dora Diaz", email="dora@example.com")
    ctx.notify_changed()
    window.show_section(AuditLogSection)
    log = window.current_section()
    assert isinstance(log, AuditLogSection)
    newest = log.model.row(0)
    assert (newest.staff, newest.action, newest.summary) == ("Carla", "customer.add", "“Dora Diaz”")
    save_shot(window, tmp_path, "audit-log-after-switch", settle=2)

    # Switching back: Admin again, everything offered again.
    window.switch_user_action.trigger()
    back = [d for d in window.findChildren(SignInDialog) if d.isVisible()]
    assert len(back) == 1
    with qtbot.waitSignal(ctx.staff_changed):
        type_and_sign_in(qtbot, back[0], "admin", ADMIN_PASSWORD)
    assert window.staff_label.text() == "Signed in: Admin"
    assert window.staff_action.isEnabled()


def test_a_clerk_refused_a_stock_adjustment_sees_the_role_needed_and_nothing_is_written(
    qtbot: QtBot, ctx: DeskContext, controller: Controller, tmp_path: Path
) -> None:
    carla = add_carla(controller)
    product = controller.add_product(sku="BOLT-10", name="Bolt 10 mm").id
    controller.adjust_stock(product, 4, reason="Opening count")
    before = count_events()
    ctx.switch_staff(carla)

    dialog = AdjustStockDialog(ctx, product)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    qtbot.keyClicks(dialog.change, "-2")
    line_edit = dialog.reason.lineEdit()
    assert line_edit is not None
    qtbot.keyClicks(line_edit, "Damaged")
    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)

    assert dialog.isVisible() and dialog.allocation is None
    assert dialog.form.general.isVisible()
    assert dialog.form.general.text() == (
        "Stock adjustments need the manager role; ask a manager to sign in."
    )
    assert queries.stock_figures(product).on_hand == 4
    assert count_events() == before
    assert not AuditEvent.select().where(AuditEvent.staff == carla).exists()
    save_shot(dialog, tmp_path, "adjust-stock-refused", settle=2)


# ------------------------------------------------------------ staff accounts


def open_staff_dialog(qtbot: QtBot, ctx: DeskContext) -> StaffDialog:
    dialog = StaffDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def test_staff_dialog_adds_changes_and_disables_accounts(
    qtbot: QtBot, ctx: DeskContext, controller: Controller, tmp_path: Path
) -> None:
    dialog = open_staff_dialog(qtbot, ctx)
    # A new store's Admin has no password: that comes first.
    assert dialog.banner.isVisible() and "Admin" in dialog.banner.text()
    assert not dialog.add_box.isEnabled()
    save_shot(dialog, tmp_path, "staff-no-password-yet", settle=2)

    qtbot.keyClicks(dialog.password, ADMIN_PASSWORD)
    qtbot.keyClicks(dialog.password_again, ADMIN_PASSWORD + "x")
    qtbot.keyClick(dialog.password_again, Qt.Key.Key_Return)
    assert dialog.selected_form.errors["password_again"].text().startswith("The two passwords")
    assert Staff.get_by_id(controller.staff_id).password_hash is None
    dialog.password_again.clear()
    qtbot.keyClicks(dialog.password_again, ADMIN_PASSWORD)
    qtbot.keyClick(dialog.password_again, Qt.Key.Key_Return)
    assert dialog.notice.text() == "Admin signs in with the new password from now on."
    assert not dialog.banner.isVisible() and dialog.add_box.isEnabled()

    # Too short a password: said under the password, nothing added.
    qtbot.keyClicks(dialog.new_name, "Carla")
    qtbot.keyClicks(dialog.new_password, "short")
    qtbot.keyClicks(dialog.new_password_again, "short")
    qtbot.keyClick(dialog.new_password_again, Qt.Key.Key_Return)
    assert "too short" in dialog.add_form.errors["password"].text()
    assert Staff.select().count() == 1

    for field in (dialog.new_password, dialog.new_password_again):
        field.clear()
        qtbot.keyClicks(field, CARLA_PASSWORD)
    qtbot.keyClick(dialog.new_password_again, Qt.Key.Key_Return)
    assert dialog.notice.text() == "Carla can now sign in as clerk."
    assert [row.name for row in dialog.rows] == ["Admin", "Carla"]
    assert dialog.selected() is not None and dialog.selected().name == "Carla"  # type: ignore[union-attr]
    assert dialog.new_name.text() == ""

    # The same name again (any case) is refused under the name.
    qtbot.keyClicks(dialog.new_name, "CARLA")
    for field in (dialog.new_password, dialog.new_password_again):
        qtbot.keyClicks(field, "another pass 1")
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    assert "already a staff account called Carla" in dialog.add_form.errors["name"].text()
    assert Staff.select().count() == 2

    dialog.select_name("Carla")
    dialog.role.setCurrentIndex(dialog.role.findData("warehouse"))
    qtbot.mouseClick(dialog.role_button, Qt.MouseButton.LeftButton)
    assert Staff.get(Staff.name == "Carla").role == "warehouse"
    qtbot.mouseClick(dialog.active_button, Qt.MouseButton.LeftButton)
    assert not Staff.get(Staff.name == "Carla").active
    assert dialog.active_button.text() == "&Enable account"
    save_shot(dialog, tmp_path, "staff-accounts", settle=2)

    # Admin is the only manager: neither demoted nor disabled; said next to the control.
    dialog.select_name("Admin")
    qtbot.mouseClick(dialog.active_button, Qt.MouseButton.LeftButton)
    assert "your own account" in dialog.selected_form.errors["staff"].text()
    dialog.role.setCurrentIndex(dialog.role.findData("clerk"))
    qtbot.mouseClick(dialog.role_button, Qt.MouseButton.LeftButton)
    assert "only active manager" in dialog.selected_form.errors["role"].text()
    assert Staff.get_by_id(controller.staff_id).role == "manager"

    # Every change is in the log, under Admin, and no password is.
    staff_events = events(AuditFilter(kind="staff"))
    assert [row.action for row in staff_events] == [
        "staff.disable",
        "staff.role",
        "staff.add",
        "staff.password",
    ]
    assert {row.staff for row in staff_events} == {"Admin"}
    for row in AuditEvent.select(AuditEvent.detail):
        assert CARLA_PASSWORD not in row.detail and "scrypt" not in row.detail


# -------------------------------------------------------------- the audit log


def a_day_at_the_shop(controller: Controller, clock: FakeClock) -> int:
    """Admin and Carla at work over three days; returns Carla's id."""
    carla_id = add_carla(controller)
    carla = Controller(controller.store, staff_id=carla_id, clock=clock)
    products = [
        controller.add_product(sku=f"BN-{n:05d}", name=f"Bolt M{n}", price_cents=25 * n).id
        for n in range(1, 6)
    ]
    clock.advance(hours=1)
    controller.adjust_stock(products[0], 12, reason="Opening count")
    customers = [
        carla.add_customer(name=name, email=f"{name.split()[0].lower()}@example.com").id
        for name in ("Ann Archer", "Björn Berg", "Chloé Cruz")
    ]
    clock.advance(days=1)
    for number, customer in enumerate(customers):
        clock.advance(minutes=20)
        carla.place_order(
            customer,
            [OrderItem(products[0], 3 + number), OrderItem(products[1], 2)],
            decisions={products[0]: Decision.WAIT, products[1]: Decision.WAIT},
        )
    clock.advance(days=1)
    controller.receive([OrderItem(products[1], 6), OrderItem(products[0], 2)])
    controller.adjust_stock(products[3], 7, reason="Found on the shelf")
    return carla_id


def open_log(qtbot: QtBot, ctx: DeskContext) -> AuditLogSection:
    section = AuditLogSection(ctx)
    qtbot.addWidget(section)
    section.resize(1100, 640)
    section.show()
    qtbot.waitExposed(section)
    return section


def shown(section: AuditLogSection) -> list[AuditRow]:
    return section.model.loaded_rows()


def test_audit_log_filters_show_the_right_rows_and_nothing_can_be_edited(
    qtbot: QtBot, ctx: DeskContext, controller: Controller, clock: FakeClock, tmp_path: Path
) -> None:
    carla = a_day_at_the_shop(controller, clock)
    log = open_log(qtbot, ctx)
    total = count_events()
    assert log.model.total == total and log.count_label.text() == f"{total} events"
    assert shown(log)[0].action == "stock.adjust"
    log.table.selectRow(0)
    assert "Found on the shelf" in log.detail.toPlainText()
    save_shot(log, tmp_path, "audit-log", settle=2)

    # Read-only: no cell is editable, no action writes.
    index = log.model.index(0, 4)
    assert not log.model.flags(index) & Qt.ItemFlag.ItemIsEditable
    assert log.table.editTriggers() == log.table.EditTrigger.NoEditTriggers

    # Who: only Carla's customers and orders.
    log.staff_box.setCurrentIndex(log.staff_box.findData(carla))
    assert {row.staff for row in shown(log)} == {"Carla"}
    assert sorted({row.action for row in shown(log)}) == ["customer.add", "order.place"]
    assert log.count_label.text() == "6 events"

    # Kind, on top: her orders only.
    log.kind_box.setCurrentIndex(log.kind_box.findData("order"))
    assert [row.action for row in shown(log)] == ["order.place"] * 3
    assert shown(log)[0].summary.startswith("For Chloé Cruz: 2 lines, 7 units")

    # Text, typed: debounced, then filtered in the database.
    log.clear_filters()
    assert log.model.total == total
    qtbot.keyClicks(log.search, "BERG")  # QTest types ASCII only; accents: test_audit_queries
    qtbot.waitUntil(lambda: log.model.total == 1)
    assert shown(log)[0].summary == "“Björn Berg”"

    # Dates: today only (the clock's today), then a range the wrong way round.
    log.clear_filters()
    log.period_box.setCurrentText("Today")
    assert {row.action for row in shown(log)} == {"receipt.commit", "stock.adjust"}
    log.period_box.setCurrentText(BETWEEN)
    assert log.since_box.isVisible() and log.until_box.isVisible()
    log.since_box.setDate(log.until_box.date().addDays(2))
    assert log.message.isVisible() and "after the 'to' date" in log.message.text()
    assert shown(log) == []
    save_shot(log, tmp_path, "audit-log-dates-wrong-way", settle=2)
    log.since_box.setDate(log.until_box.date().addDays(-1))
    assert not log.message.isVisible()
    assert {row.action for row in shown(log)} == {"order.place", "receipt.commit", "stock.adjust"}


def test_enter_on_an_order_event_opens_the_order(
    qtbot: QtBot, ctx: DeskContext, controller: Controller, clock: FakeClock
) -> None:
    a_day_at_the_shop(controller, clock)
    log = open_log(qtbot, ctx)
    log.kind_box.setCurrentIndex(log.kind_box.findData("order"))
    log.table.setFocus()
    log.table.selectRow(0)
    row = log.model.data(log.model.index(0, 0), ROW_ROLE)
    assert isinstance(row, AuditRow) and row.order_id is not None
    with qtbot.waitSignal(ctx.open_order) as opened:
        log.open_action.trigger()
    assert opened.args == [row.order_id]
    QApplication.processEvents()


def test_the_staff_dialog_is_refused_to_a_clerk_with_the_role_needed(
    qtbot: QtBot, ctx: DeskContext, controller: Controller
) -> None:
    carla = add_carla(controller)
    ctx.switch_staff(carla)
    dialog = open_staff_dialog(qtbot, ctx)
    dialog.select_name("Carla")
    dialog.role.setCurrentIndex(dialog.role.findData("manager"))
    qtbot.mouseClick(dialog.role_button, Qt.MouseButton.LeftButton)
    assert dialog.selected_form.general.text() == (
        "Managing staff accounts needs the manager role; ask a manager to sign in."
    )
    assert Staff.get_by_id(carla).role == "clerk"
    assert dialog.isVisible()


def test_an_open_receiving_station_scans_as_the_person_switched_to(
    qtbot: QtBot, ctx: DeskContext, controller: Controller
) -> None:
    controller.set_staff_password(controller.staff_id, ADMIN_PASSWORD)
    wes = int(controller.add_staff("Wes", "warehouse", "wes pass 12").id)
    controller.add_product(sku="BOLT-10", name="Bolt 10 mm")
    station = ReceivingWindow(ctx)
    qtbot.addWidget(station)
    station.show()
    qtbot.waitExposed(station)

    ctx.switch_staff(wes)
    assert "Signed in: Wes" in station.status_label.text()
    qtbot.keyClicks(station.scan, "BOLT-10")
    qtbot.keyClick(station.scan, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: station.draft_id is not None)
    assert Receipt.get_by_id(station.draft_id).staff_id == wes


def test_a_search_matching_many_events_says_more_than_and_still_scrolls_to_every_one(
    qtbot: QtBot,
    ctx: DeskContext,
    controller: Controller,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a_day_at_the_shop(controller, clock)
    # The real cap is 10,000 events; a small one shows the same wording on a small store.
    monkeypatch.setattr(audit_queries, "SEARCH_COUNT_CAP", 3)
    log = open_log(qtbot, ctx)
    log.model.page_size = 2
    everyone = count_events()
    log.apply_filter()
    assert log.count_label.text() == f"{everyone} events"  # no search: the exact figure

    wanted = events(AuditFilter(search="Admin"), limit=1000)
    assert len(wanted) > 4
    qtbot.keyClicks(log.search, "Admin")
    qtbot.waitUntil(lambda: log.count_label.text() == "More than 3 events")
    root = log.model.index(-1, -1)
    while log.model.canFetchMore(root):
        log.model.fetchMore(root)
    assert shown(log) == wanted
    assert log.count_label.text() == "More than 3 events"

    log.search.setText("Found on the shelf")
    log.apply_filter()
    assert log.count_label.text() == "1 event"
