"""The Messages section (outbox), the settings dialog and the order timeline, driven through
the real widgets on a real store and against a real SMTP server (aiosmtpd on 127.0.0.1,
started and stopped by the tests).

Messages are queued the way the shop queues them: by placing orders whose lines wait.
Sending runs on the worker thread pool, so the tests wait for it (``qtbot.waitUntil``) and
then read what a clerk reads: the Status column, the preview, the order's history.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import QItemSelectionModel, QSettings, Qt
from PySide6.QtGui import QGuiApplication, QPageSize
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from app import mail_settings, mailer, outbox_queries, shop_settings
from app.controller import Controller, Decision, OrderItem
from app.models import CustomerMessage
from app.store import Store
from tests.conftest import FakeClock
from tests.shots import save_shot
from tests.test_mailer import SENDER, MailServer, free_port, use_server
from ui.context import DeskContext
from ui.dialogs.order_detail import OrderDetailView
from ui.dialogs.settings import SettingsDialog
from ui.main_window import MainWindow, shortcut_text
from ui.sections.messages import COLUMNS, MessagesSection

STATUS = [column.title for column in COLUMNS].index("Status")
CUSTOMER = [column.title for column in COLUMNS].index("Customer")
TO = [column.title for column in COLUMNS].index("To")


@pytest.fixture(autouse=True)
def no_system_keyring() -> Iterator[None]:
    """Never touch the developer's own keyring: "no keyring" for every test."""
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def server() -> Iterator[MailServer]:
    running = MailServer(free_port()).start()
    yield running
    running.stop()


@pytest.fixture
def ctx(store: Store, controller: Controller, qtbot: QtBot) -> Iterator[DeskContext]:
    context = DeskContext(store, controller)
    context.stop()  # the tests notify by hand; no poll firing mid-test
    yield context


class Shop:
    """A shop with its texts set, one product out of stock and one in stock."""

    def __init__(self, controller: Controller, clock: FakeClock) -> None:
        self.controller = controller
        self.clock = clock
        shop_settings.save_shop(
            shop_settings.parse_shop(
                name="Corner Hardware",
                address="1 Main Street\nSpringfield",
                phone="555 0100",
                signature="Kind regards,\nMaria at Corner Hardware",
            )
        )
        self.drill = int(controller.add_product(sku="DRL-18", name="Cordless drill 18V").id)
        self.saw = int(controller.add_product(sku="SAW-7", name="Circular saw 7in").id)

    def customer(self, name: str, email: str | None = None, phone: str | None = None) -> int:
        return int(self.controller.add_customer(name=name, email=email, phone=phone).id)

    def backorder(self, customer_id: int, *products: int) -> int:
        """Place an order whose lines all wait: the customer gets a message queued."""
        self.clock.advance(minutes=7)
        ids = products or (self.drill,)
        placed = self.controller.place_order(
            customer_id,
            [OrderItem(pid, 2) for pid in ids],
            decisions={pid: Decision.WAIT for pid in ids},
        )
        return placed.order_id


@pytest.fixture
def shop(controller: Controller, clock: FakeClock) -> Shop:
    return Shop(controller, clock)


def open_section(qtbot: QtBot, ctx: DeskContext) -> MessagesSection:
    section = MessagesSection(ctx)
    section.auto_timer.stop()  # the tests press Send now themselves
    qtbot.addWidget(section)
    section.resize(1100, 700)
    section.show()
    qtbot.waitExposed(section)
    return section


def statuses(section: MessagesSection) -> dict[str, str]:
    """Customer -> the Status column as shown."""
    model = section.model
    return {
        model.index(row, CUSTOMER).data(): model.index(row, STATUS).data()
        for row in range(model.rowCount())
    }


def select(section: MessagesSection, customer: str) -> None:
    model = section.model
    for row in range(model.rowCount()):
        if model.index(row, CUSTOMER).data() == customer:
            section.table.selectionModel().setCurrentIndex(
                model.index(row, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
            return
    raise AssertionError(f"{customer} is not in the list: {statuses(section)}")


def send_now(qtbot: QtBot, section: MessagesSection) -> None:
    """Press Send now and wait until the background send has finished."""
    assert section.send_button.isEnabled()
    with qtbot.waitSignal(section.send_finished, timeout=30_000):
        qtbot.mouseClick(section.send_button, Qt.MouseButton.LeftButton)
        assert not section.send_button.isEnabled()  # one send at a time
    qtbot.waitUntil(lambda: section.send_button.isEnabled())


# ------------------------------------------------------------------ sending


def test_send_now_delivers_the_queued_messages_and_the_list_says_sent(
    qtbot: QtBot, ctx: DeskContext, shop: Shop, server: MailServer, tmp_path: Path
) -> None:
    ann = shop.customer("Ann Archer", "ann@example.com")
    bob = shop.customer("Bob Baker", "bob@example.com")
    shop.backorder(ann)
    shop.backorder(bob, shop.drill, shop.saw)
    use_server(server.port)
    section = open_section(qtbot, ctx)
    assert statuses(section) == {"Ann Archer": "Queued", "Bob Baker": "Queued"}
    assert "2 waiting to send" in section.mail_label.text()

    send_now(qtbot, section)

    got = {r.rcpt_tos[0]: r for r in server.received}
    assert sorted(got) == ["ann@example.com", "bob@example.com"]
    assert got["bob@example.com"].message["Subject"] == (
        "Your order is on backorder at Corner Hardware"
    )
    assert "Circular saw 7in" in got["bob@example.com"].text
    assert "Cordless drill 18V" in got["bob@example.com"].text
    assert got["ann@example.com"].mail_from == SENDER
    shown = statuses(section)
    assert all(text.startswith("Sent ") for text in shown.values()), shown
    assert section.result_label.text() == "2 sent."
    assert "Nothing waiting to send" in section.mail_label.text()

    # Another press finds nothing to send: nobody gets a message twice.
    send_now(qtbot, section)
    assert len(server.received) == 2
    assert section.result_label.text() == "Nothing was waiting to send."


def test_server_down_fails_with_its_error_then_retry_sends_once(
    qtbot: QtBot, ctx: DeskContext, shop: Shop, server: MailServer
) -> None:
    ann = shop.customer("Ann Archer", "ann@example.com")
    shop.backorder(ann)
    use_server(server.port)
    server.stop()
    section = open_section(qtbot, ctx)

    send_now(qtbot, section)

    assert statuses(section) == {"Ann Archer": "Failed"}
    assert "1 failed" in section.result_label.text()
    select(section, "Ann Archer")
    state = section.preview.state.text()
    assert state.startswith("Failed after 1 try. The mail server said: ")
    assert f"127.0.0.1:{server.port} refused the connection" in state
    assert section.retry_button.isEnabled()
    assert not section.resend_button.isEnabled()
    assert server.received == []

    server.start()
    with qtbot.waitSignal(section.send_finished, timeout=30_000):
        qtbot.mouseClick(section.retry_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: section.send_button.isEnabled())

    assert [r.rcpt_tos for r in server.received] == [["ann@example.com"]]
    assert statuses(section)["Ann Archer"].startswith("Sent ")
    assert section.preview.state.text().startswith("Sent by e-mail")
    send_now(qtbot, section)
    assert len(server.received) == 1  # no duplicate on the next send


def test_a_message_cut_off_mid_send_is_resent_only_after_confirmation(
    qtbot: QtBot, ctx: DeskContext, shop: Shop, server: MailServer
) -> None:
    ann = shop.customer("Ann Archer", "ann@example.com")
    shop.backorder(ann)
    use_server(server.port)
    # A desk that stopped after handing the message over left it in "sending".
    CustomerMessage.update(status="sending").execute()
    header_id = CustomerMessage.get().message_id
    section = open_section(qtbot, ctx)

    send_now(qtbot, section)  # finds it: "may have been sent", not sent blindly

    assert server.received == []
    assert statuses(section) == {"Ann Archer": "May have been sent"}
    select(section, "Ann Archer")
    assert "may have arrived" in section.preview.state.text()
    assert not section.retry_button.isEnabled()
    assert section.resend_button.isEnabled()

    box = section.resend_selected()
    assert box is not None
    assert "may get it twice" in box.informativeText()
    assert header_id in box.informativeText()
    buttons = {button.text(): button for button in box.buttons()}
    qtbot.mouseClick(buttons["Do not send"], Qt.MouseButton.LeftButton)
    assert CustomerMessage.get().status == "uncertain"
    assert server.received == []

    box = section.resend_selected()
    assert box is not None
    buttons = {button.text(): button for button in box.buttons()}
    with qtbot.waitSignal(section.send_finished, timeout=30_000):
        qtbot.mouseClick(buttons["Send again"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: section.send_button.isEnabled())

    [got] = server.received
    assert got.message["Message-ID"] == header_id  # the copy is recognisable
    assert statuses(section)["Ann Archer"].startswith("Sent ")


def test_told_by_phone_shows_on_the_order_timeline_with_the_staff_name(
    qtbot: QtBot, ctx: DeskContext, shop: Shop, server: MailServer
) -> None:
    carl = shop.customer("Carl Cole", phone="555 0199")  # no e-mail address
    order_id = shop.backorder(carl)
    use_server(server.port)
    section = open_section(qtbot, ctx)
    send_now(qtbot, section)
    assert server.received == []
    assert statuses(section) == {"Carl Cole": "Failed"}
    select(section, "Carl Cole")
    assert "no e-mail address" in section.preview.state.text()
    assert "no e-mail · 555 0199" in section.model.index(0, TO).data()
    assert not section.retry_button.isEnabled()

    section.told_actions["phone"].trigger()

    staff = ctx.staff_name
    assert statuses(section) == {"Carl Cole": "Told by phone"}
    assert section.preview.state.text().startswith(f"Told by phone by {staff}")
    assert not section.told_button.isEnabled()  # told once
    stored = CustomerMessage.get()
    assert (stored.status, stored.told_via) == ("told", "phone")

    detail = OrderDetailView(ctx)
    qtbot.addWidget(detail)
    detail.show_order(order_id)
    history = [detail.history_list.item(i).text() for i in range(detail.history_list.count())]
    told = [line for line in history if "told the customer by phone" in line]
    assert told == [
        f"{told[0][:12]} — {staff} told the customer by phone: "
        "“Your order is on backorder at Corner Hardware”"
    ], history
    status_cell = detail.messages_table.item(0, 2)
    assert status_cell is not None and status_cell.text().startswith("Told by phone ")


def test_the_timeline_says_sent_by_e_mail_and_may_have_been_sent(
    qtbot: QtBot, ctx: DeskContext, shop: Shop, server: MailServer
) -> None:
    ann = shop.customer("Ann Archer", "ann@example.com")
    first = shop.backorder(ann)
    use_server(server.port)
    mailer.send_queued()
    second = shop.backorder(ann, shop.saw)
    CustomerMessage.update(status="uncertain").where(CustomerMessage.status == "queued").execute()
    detail = OrderDetailView(ctx)
    qtbot.addWidget(detail)

    detail.show_order(first)
    history = [detail.history_list.item(i).text() for i in range(detail.history_list.count())]
    assert any("Sent by e-mail: “Your order is on backorder" in line for line in history)
    detail.show_order(second)
    history = [detail.history_list.item(i).text() for i in range(detail.history_list.count())]
    assert any("may have been sent by e-mail" in line for line in history), history
    cell = detail.messages_table.item(0, 2)
    assert cell is not None and cell.text() == "May have been sent"


def test_copy_and_print_for_a_customer_without_e_mail(
    qtbot: QtBot, ctx: DeskContext, shop: Shop, tmp_path: Path
) -> None:
    carl = shop.customer("Carl Cole", phone="555 0199")
    shop.backorder(carl, shop.saw)
    section = open_section(qtbot, ctx)
    select(section, "Carl Cole")
    assert "no mail server is set up" in section.mail_label.text().lower()
    send_now(qtbot, section)  # says why nothing can go, and where to fix it
    assert section.result_label.text().startswith("No mail server is set up")
    assert "Settings › E-mail" in section.result_label.text()

    section.copy_button.click()
    copied = QGuiApplication.clipboard().text()
    assert copied.startswith(
        "To: Carl Cole\nSubject: Your order is on backorder at Corner Hardware\n\n"
    )
    assert "2 x Circular saw 7in (SAW-7)" in copied
    assert "Maria at Corner Hardware" in copied

    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    printer.setOutputFileName(str(tmp_path / "message.pdf"))
    section.print_to(printer)
    assert (tmp_path / "message.pdf").read_bytes().startswith(b"%PDF")

    preview = section.print_selected()
    assert preview is not None and preview.isVisible()
    preview.reject()

    section.told_actions["printed"].trigger()
    assert CustomerMessage.get().told_via == "printed"
    assert statuses(section)["Carl Cole"] == "Told on paper"
    assert section.preview.state.text().startswith(f"Told on paper by {ctx.staff_name}")


def test_filter_by_status_and_search(
    qtbot: QtBot, ctx: DeskContext, shop: Shop, server: MailServer
) -> None:
    ann = shop.customer("Ann Archer", "ann@example.com")
    carl = shop.customer("Carl Cole", phone="555 0199")
    dora = shop.customer("Dora Dean", "dora@example.com")
    for who in (ann, carl, dora):
        shop.backorder(who)
    use_server(server.port)
    mailer.send_queued()
    shop.backorder(dora, shop.saw)  # queued after the send
    section = open_section(qtbot, ctx)
    box = section.status_box

    def show(label: str) -> dict[str, str]:
        box.setCurrentIndex(box.findText(label))
        return statuses(section)

    assert section.count_label.text() == "4 messages"
    assert show("Needs attention") == {"Carl Cole": "Failed"}
    assert show("Waiting to send") == {"Dora Dean": "Queued"}
    assert set(show("Sent")) == {"Ann Archer", "Dora Dean"}
    assert section.count_label.text() == "2 messages"
    show("All messages")
    qtbot.keyClicks(section.search, "dora")
    section.apply_filter()  # the debounce timer, fired at once
    assert section.model.total == 2
    assert set(statuses(section)) == {"Dora Dean"}


# ------------------------------------------------------------------ settings


def open_settings(qtbot: QtBot, ctx: DeskContext) -> SettingsDialog:
    dialog = SettingsDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def retype(qtbot: QtBot, widget: QWidget, text: str) -> None:
    widget.setFocus()
    clear = getattr(widget, "clear")  # noqa: B009 - QLineEdit and QPlainTextEdit both have it
    clear()
    qtbot.keyClicks(widget, text)


def test_settings_dialog_saves_the_shop_and_the_mail_server(
    qtbot: QtBot, ctx: DeskContext, store: Store
) -> None:
    dialog = open_settings(qtbot, ctx)
    assert dialog.password_place.text().startswith("No system keyring found")
    dialog.tabs.setCurrentIndex(1)
    dialog.host_edit.setFocus()
    order = [dialog.host_edit]
    for _ in range(3):
        focused = dialog.focusWidget()
        assert focused is not None
        qtbot.keyClick(focused, Qt.Key.Key_Tab)
        order.append(dialog.focusWidget())
    assert order == [dialog.host_edit, dialog.security_box, dialog.port_edit, dialog.user_edit]
    dialog.tabs.setCurrentIndex(0)

    retype(qtbot, dialog.name_edit, "Corner Hardware")
    retype(qtbot, dialog.phone_edit, "555 0100")
    dialog.address_edit.setPlainText("1 Main Street\nSpringfield")
    dialog.tabs.setCurrentIndex(1)
    retype(qtbot, dialog.host_edit, "smtp.example.com")
    dialog.security_box.setCurrentIndex(dialog.security_box.findData("ssl"))
    retype(qtbot, dialog.user_edit, "shop@example.com")
    retype(qtbot, dialog.password_edit, "s3cret")
    retype(qtbot, dialog.sender_edit, "shop@example.com")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    assert dialog.result() == dialog.DialogCode.Accepted
    saved = mail_settings.load(with_password=True)
    assert (saved.host, saved.port, saved.security, saved.user, saved.sender) == (
        "smtp.example.com",
        465,  # SSL's usual port, proposed when the security changed
        "ssl",
        "shop@example.com",
        "shop@example.com",
    )
    assert saved.password == "s3cret"
    shop = shop_settings.load_shop()
    assert (shop.name, shop.address, shop.phone) == (
        "Corner Hardware",
        "1 Main Street\nSpringfield",
        "555 0100",
    )

    again = open_settings(qtbot, ctx)  # shows what was saved; the password stays hidden
    assert again.host_edit.text() == "smtp.example.com"
    assert again.port_edit.text() == "465"
    assert again.password_edit.text() == ""
    assert again.password_edit.placeholderText() == "Saved: leave blank to keep it"
    assert again.password_place.text().startswith("No system keyring found: saved in the store")


def test_a_bad_port_is_explained_next_to_the_field_and_nothing_is_saved(
    qtbot: QtBot, ctx: DeskContext, store: Store
) -> None:
    dialog = open_settings(qtbot, ctx)
    retype(qtbot, dialog.name_edit, "Corner Hardware")
    dialog.tabs.setCurrentIndex(1)
    retype(qtbot, dialog.host_edit, "smtp.example.com")
    retype(qtbot, dialog.port_edit, "70000")
    retype(qtbot, dialog.sender_edit, "shop@example.com")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    message = dialog.messages["port"]
    assert message.isVisible()
    assert message.text().startswith("Port '70000' is not a port number (1 to 65535)")
    assert dialog.isVisible()
    assert dialog.tabs.currentWidget() is dialog.mail_page
    assert mail_settings.load().host == ""  # nothing saved, the shop's name neither
    assert shop_settings.load_shop().name == ""

    retype(qtbot, dialog.port_edit, "587")
    dialog.tabs.setCurrentIndex(0)
    retype(qtbot, dialog.name_edit, " ")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert not dialog.messages["port"].isVisible()
    assert dialog.messages["store_name"].isVisible()
    assert "name is required" in dialog.messages["store_name"].text()
    assert dialog.tabs.currentWidget() is dialog.shop_page


def test_send_test_message_reports_success_and_the_servers_error(
    qtbot: QtBot, ctx: DeskContext, store: Store, server: MailServer
) -> None:
    dialog = open_settings(qtbot, ctx)
    dialog.tabs.setCurrentIndex(1)
    retype(qtbot, dialog.host_edit, "127.0.0.1")
    dialog.security_box.setCurrentIndex(dialog.security_box.findData("none"))
    retype(qtbot, dialog.port_edit, str(server.port))
    retype(qtbot, dialog.sender_edit, "shop@example.com")
    retype(qtbot, dialog.test_to_edit, "owner@example.com")

    with qtbot.waitSignal(dialog.test_finished, timeout=30_000) as finished:
        qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    assert finished.args is not None and finished.args[0] is True
    assert dialog.test_result.isVisible()
    assert dialog.test_result.text().startswith("Sent: the server accepted the test message")
    [got] = server.received
    assert got.rcpt_tos == ["owner@example.com"]
    assert got.message["Subject"] == "Test message from our shop"
    assert mail_settings.load().host == ""  # testing saves nothing

    server.stop()
    with qtbot.waitSignal(dialog.test_finished, timeout=30_000) as finished:
        qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    assert finished.args is not None and finished.args[0] is False
    assert f"127.0.0.1:{server.port} refused the connection" in dialog.test_result.text()


# ------------------------------------------------------------------ pictures


def test_render_the_outbox_preview_and_settings(
    qtbot: QtBot, ctx: DeskContext, shop: Shop, server: MailServer, tmp_path: Path
) -> None:
    people = [
        ("Ann Archer", "ann.archer@example.com", None),
        ("Bob Baker", "bob@example.com", None),
        ("Carl Cole", None, "555 0199"),
        ("Dora Dean", "dora.dean@example.org", None),
        ("Evan Ellis", "evan@example.net", None),
        ("Fay Fischer-Lindqvist", "fay@example.com", "555 0142"),
    ]
    ids = {name: shop.customer(name, email, phone) for name, email, phone in people}
    for name in ("Ann Archer", "Bob Baker", "Carl Cole"):
        shop.backorder(ids[name], shop.drill, shop.saw)
    use_server(server.port)
    shop.clock.advance(minutes=3)
    mailer.send_queued(clock=shop.clock)
    server.stop()
    shop.backorder(ids["Dora Dean"])
    mailer.send_queued(clock=shop.clock)  # fails: the server is down
    shop.backorder(ids["Evan Ellis"], shop.saw)
    shop.backorder(ids["Fay Fischer-Lindqvist"])
    CustomerMessage.update(status="sending").where(
        CustomerMessage.customer == ids["Fay Fischer-Lindqvist"]
    ).execute()
    shop.backorder(ids["Bob Baker"], shop.saw)
    carl_message = (
        CustomerMessage.select().where(CustomerMessage.customer == ids["Carl Cole"]).get()
    )
    shop.controller.mark_message_told(carl_message.id, via="phone")
    CustomerMessage.update(status="uncertain").where(CustomerMessage.status == "sending").execute()
    section = open_section(qtbot, ctx)
    select(section, "Dora Dean")
    save_shot(section, tmp_path, "outbox", settle=3)
    select(section, "Ann Archer")
    save_shot(section, tmp_path, "outbox_preview_sent", settle=3)
    select(section, "Fay Fischer-Lindqvist")
    save_shot(section, tmp_path, "outbox_preview_uncertain", settle=3)
    box = section.resend_selected()
    assert box is not None
    qtbot.waitExposed(box)
    save_shot(box, tmp_path, "outbox_resend_confirmation", settle=3)
    box.reject()
    assert outbox_queries.status_counts()["uncertain"] == 1

    detail = OrderDetailView(ctx)
    qtbot.addWidget(detail)
    detail.resize(1000, 620)
    detail.show()
    qtbot.waitExposed(detail)
    detail.show_order(carl_message.order_id)
    save_shot(detail, tmp_path, "order_timeline_told", settle=3)
    detail.tabs.setCurrentIndex(1)
    save_shot(detail, tmp_path, "order_timeline_messages", settle=3)

    dialog = open_settings(qtbot, ctx)
    save_shot(dialog, tmp_path, "settings_shop", settle=3)
    dialog.tabs.setCurrentIndex(1)
    retype(qtbot, dialog.host_edit, "smtp.example.com")
    retype(qtbot, dialog.port_edit, "70000")
    retype(qtbot, dialog.sender_edit, "shop@example.com")
    dialog.save()
    dialog._show_test(  # what a failed test looks like beside the button
        "The mail server smtp.example.com:587 refused the user name or password for "
        "shop@example.com (535 5.7.8 Authentication failed): check them in Settings › E-mail.",
        ok=False,
    )
    save_shot(dialog, tmp_path, "settings_mail", settle=3)


# ------------------------------------------------------------------ in the main window


def test_alt_6_opens_messages_f9_sends_and_ctrl_comma_opens_settings(
    qtbot: QtBot, ctx: DeskContext, shop: Shop, server: MailServer, tmp_path: Path
) -> None:
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))
    ann = shop.customer("Ann Archer", "ann@example.com")
    shop.backorder(ann)
    use_server(server.port)
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)

    qtbot.keyClick(window, Qt.Key.Key_6, Qt.KeyboardModifier.AltModifier)
    section = window.current_section()
    assert isinstance(section, MessagesSection)
    section.auto_timer.stop()
    assert window.section_menu.title() == "&Messages"
    menu = {a.text().replace("&", ""): shortcut_text(a) for a in window.section_menu.actions()}
    assert (menu["Send now"], menu["Retry"], menu["Told by phone"]) == (
        "F9",
        "Shift+F9",
        "Ctrl+Shift+T",
    )

    with qtbot.waitSignal(section.send_finished, timeout=30_000):
        qtbot.keyClick(window, Qt.Key.Key_F9)
    assert [r.rcpt_tos for r in server.received] == [["ann@example.com"]]

    qtbot.keyClick(window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    dialog = window.findChild(SettingsDialog)
    assert dialog is not None and dialog.isVisible()
    assert dialog.host_edit.text() == "127.0.0.1"
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    assert mail_settings.load().host == "127.0.0.1"  # Esc saved nothing, changed nothing


def test_the_periodic_send_picks_up_after_a_restart_and_retries_failed_ones_less_often(
    qtbot: QtBot, ctx: DeskContext, shop: Shop, server: MailServer
) -> None:
    ann = shop.customer("Ann Archer", "ann@example.com")
    bob = shop.customer("Bob Baker", "bob@example.com")
    shop.backorder(ann)
    first = open_section(qtbot, ctx)
    assert first.auto_send() is False  # no mail server set up: nothing is tried
    assert CustomerMessage.get().status == "queued"
    first.close()

    # The desk is started again: the outbox is in the store, the first tick sends it.
    use_server(server.port)
    section = open_section(qtbot, ctx)
    with qtbot.waitSignal(section.send_finished, timeout=30_000):
        assert section.auto_send() is True
    assert [r.rcpt_tos for r in server.received] == [["ann@example.com"]]

    server.stop()
    shop.backorder(bob)
    with qtbot.waitSignal(section.send_finished, timeout=30_000):
        assert section.auto_send() is True  # a new message goes at the next tick
    assert statuses(section)["Bob Baker"] == "Failed"
    server.start()
    ticks = 0
    while not section.auto_send():  # only failed ones wait: tried again less often
        ticks += 1
    assert 0 < ticks < 10
    qtbot.waitUntil(lambda: not section.sending, timeout=30_000)
    assert [r.rcpt_tos for r in server.received] == [["ann@example.com"], ["bob@example.com"]]
