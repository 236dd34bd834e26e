"""Bad input thrown at the desk's forms and the receiving scan field, through real widgets.

Generated text (see ``tests.fuzz_strategies``) goes into the real line edits, text boxes,
spin boxes and date fields the way it reaches them at a shop: typed key by key (Qt drops
control characters then, as a keyboard would) or pasted whole (NUL and ESC get through,
like a cell copied from a spreadsheet). Then the form's own button or Enter is pressed.
pytest-qt fails a test on any exception escaping a slot or virtual method. After each
attempt:

* either the form closed and what was saved reads back clean, or a message is shown in
  the form and nothing at all was written;
* ``check`` passes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from PySide6.QtCore import QEvent, QSettings, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

from app import queries
from app.check import run_checks
from app.controller import Controller, Decision, OrderItem
from app.models import Customer, OrderLine, Product, PurchaseOrder, StockMovement
from app.store import Store
from tests.conftest import FakeClock
from tests.fuzz_strategies import (
    csv_row,
    fuzz_settings,
    is_clean_line,
    nasty_number,
    nasty_text,
    snapshot,
)
from ui import theme
from ui.context import DeskContext
from ui.dialogs.adjust_stock import AdjustStockDialog
from ui.dialogs.customer_editor import CustomerEditor
from ui.dialogs.new_order import NewOrderDialog
from ui.dialogs.po_editor import PurchaseOrderEditor
from ui.dialogs.product_editor import ProductEditor
from ui.dialogs.settings import SettingsDialog
from ui.receiving.window import ERROR, ReceivingWindow
from ui.sections.audit_log import AuditLogSection
from ui.sections.backorders import BackordersSection
from ui.sections.customers import CustomersSection
from ui.sections.inventory import InventorySection
from ui.sections.messages import MessagesSection
from ui.sections.orders import OrdersSection
from ui.sections.purchase_orders import PurchaseOrdersSection

# Ten-thousand-character inputs make hypothesis warn that their repr is long: expected here.
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

GOOD_GTIN = "4006381333931"
HOW = st.sampled_from(["typed", "pasted"])


@pytest.fixture(autouse=True)
def private_settings(tmp_path: Path) -> Iterator[None]:
    """Windows keep settings: keep them in this test's folder."""
    QSettings.setPath(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings")
    )
    yield


@pytest.fixture
def ctx(store: Store, controller: Controller, qtbot: QtBot) -> Iterator[DeskContext]:
    context = DeskContext(store, controller)
    context.stop()  # no poll firing mid-test
    yield context


def enter(widget: QWidget, text: str, how: str) -> None:
    """Put ``text`` into a field as a person would: typed key by key, or pasted."""
    if isinstance(widget, QComboBox):
        line = widget.lineEdit()
        assert line is not None
        widget = line
    if isinstance(widget, QAbstractSpinBox):
        line = widget.findChild(QLineEdit)
        assert line is not None
        widget = line
    widget.setFocus()
    if isinstance(widget, QLineEdit):
        widget.selectAll()
    else:
        assert isinstance(widget, QPlainTextEdit)
        widget.clear()
    if how == "typed" and len(text) <= 300:
        # One key event per character, text attached, as an input method delivers it
        # (QTest.keyClicks only knows ASCII keys).
        for ch in text:
            for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                QApplication.sendEvent(
                    widget, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, ch)
                )
    elif isinstance(widget, QLineEdit):
        widget.insert(text)  # what Ctrl+V does: control characters survive
    else:
        widget.insertPlainText(text)


def error_texts(root: QWidget) -> list[str]:
    """The red messages the form shows now."""
    return [
        label.text()
        for label in root.findChildren(QLabel)
        if label.isVisible() and label.text().strip() and label.styleSheet() == theme.error_style()
    ]


def open_dialog(qtbot: QtBot, dialog: QDialog) -> QDialog:
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def outcome(qtbot: QtBot, dialog: QDialog, before: object) -> bool:
    """True when the form saved and closed; otherwise it must show why and have written
    nothing."""
    qtbot.wait(1)
    if dialog.isVisible():
        messages = error_texts(dialog)
        assert messages, "the form stayed open without saying why"
        assert all(len(text) <= 600 for text in messages), messages
        assert snapshot() == before, f"refused ({messages}) but something was written"
        dialog.reject()
        return False
    return True


# ------------------------------------------------------------------ forms


@fuzz_settings(scale=0.5)
@given(
    sku=nasty_text(extra=["W-1"]),
    name=nasty_text(extra=["Wood glue"]),
    price=nasty_number(good=["4.50"]),
    codes=st.one_of(nasty_text(extra=[GOOD_GTIN]), csv_row()),
    how=HOW,
)
@example(sku="A", name="B", price="1e999999", codes="", how="pasted")  # was: Overflow in a slot
def test_product_editor(
    qtbot: QtBot, ctx: DeskContext, sku: str, name: str, price: str, codes: str, how: str
) -> None:
    dialog = open_dialog(qtbot, ProductEditor(ctx))
    assert isinstance(dialog, ProductEditor)
    for widget, text in ((dialog.sku, sku), (dialog.name, name), (dialog.price, price)):
        enter(widget, text, how)
    enter(dialog.barcodes, codes, how)
    before = snapshot()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    if outcome(qtbot, dialog, before):
        stored = Product.get_by_id(dialog.product_id)
        assert is_clean_line(stored.sku) and is_clean_line(stored.name)
        figures = queries.stock_figures(stored.id)
        assert (figures.sku, figures.name) == (stored.sku, stored.name)
    assert run_checks() == []


@fuzz_settings(scale=0.5)
@given(name=nasty_text(), price=nasty_number(), codes=nasty_text(), how=HOW)
def test_product_editor_editing(
    qtbot: QtBot, ctx: DeskContext, name: str, price: str, codes: str, how: str
) -> None:
    product = Product.get_or_none(Product.sku == "EDIT-ME") or ctx.controller.add_product(
        sku="EDIT-ME", name="Edit me"
    )
    dialog = open_dialog(qtbot, ProductEditor(ctx, product.id))
    assert isinstance(dialog, ProductEditor)
    enter(dialog.name, name, how)
    enter(dialog.price, price, how)
    enter(dialog.barcodes, codes, how)
    before = snapshot()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    if outcome(qtbot, dialog, before):
        assert is_clean_line(Product.get_by_id(product.id).name)
    assert run_checks() == []


@fuzz_settings(scale=0.5)
@given(
    name=nasty_text(extra=["Ann Smith"]),
    email=st.one_of(st.just(""), nasty_text(extra=["ann@example.com"])),
    phone=st.one_of(st.just(""), nasty_number()),
    notes=st.one_of(nasty_text(), csv_row()),
    how=HOW,
    edit=st.booleans(),
)
@example(name="Ann", email="", phone="", notes="a\x00b", how="pasted", edit=False)
def test_customer_editor(
    qtbot: QtBot,
    ctx: DeskContext,
    name: str,
    email: str,
    phone: str,
    notes: str,
    how: str,
    edit: bool,
) -> None:
    customer_id = None
    if edit:
        target = Customer.get_or_none(Customer.name == "Edit me")
        customer_id = (target or ctx.controller.add_customer(name="Edit me")).id
    dialog = open_dialog(qtbot, CustomerEditor(ctx, customer_id=customer_id))
    assert isinstance(dialog, CustomerEditor)
    for widget, text in (
        (dialog.name, name),
        (dialog.email, email),
        (dialog.phone, phone),
        (dialog.notes, notes),
    ):
        enter(widget, text, how)
    before = snapshot()
    qtbot.mouseClick(
        dialog.buttons.button(dialog.buttons.StandardButton.Save), Qt.MouseButton.LeftButton
    )
    if outcome(qtbot, dialog, before):
        stored = Customer.get_by_id(dialog.customer_id)
        assert is_clean_line(stored.name) and "\x00" not in stored.notes
    assert run_checks() == []


@fuzz_settings(scale=0.5)
@given(
    change=nasty_number(good=["+5", "-2", "3"]), reason=nasty_text(extra=["Stock count"]), how=HOW
)
@example(change="²", reason="count", how="pasted")  # was: int("²") in the engine
def test_adjust_stock_dialog(
    qtbot: QtBot, ctx: DeskContext, change: str, reason: str, how: str
) -> None:
    product = Product.get_or_none(Product.sku == "ADJ") or ctx.controller.add_product(
        sku="ADJ", name="Adjusted"
    )
    dialog = open_dialog(qtbot, AdjustStockDialog(ctx, product.id))
    assert isinstance(dialog, AdjustStockDialog)
    enter(dialog.change, change, how)
    enter(dialog.reason, reason, how)
    before = snapshot()
    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    if dialog.allocation is None:
        assert outcome(qtbot, dialog, before) is False
    else:
        latest = StockMovement.select().order_by(StockMovement.id.desc()).first()
        assert is_clean_line(latest.reason) and dialog.result_text()
        dialog.accept()
    assert run_checks() == []


@fuzz_settings(scale=0.5)
@given(
    customer=nasty_text(extra=["Ann Smith", "ann@example.com"]),
    scans=st.lists(nasty_text(extra=["W-1", GOOD_GTIN, "3*W-1", "0*W-1"]), max_size=3),
    product=nasty_text(extra=["Widget", "W-"]),
    how=HOW,
)
def test_new_order_fields(
    qtbot: QtBot, ctx: DeskContext, customer: str, scans: list[str], product: str, how: str
) -> None:
    if Product.get_or_none(Product.sku == "W-1") is None:
        ctx.controller.add_product(sku="W-1", name="Widget", barcodes=[GOOD_GTIN])
        ctx.controller.add_customer(name="Ann Smith", email="ann@example.com")
    dialog = open_dialog(qtbot, NewOrderDialog(ctx))
    assert isinstance(dialog, NewOrderDialog)
    before = snapshot()
    enter(dialog.customer_field, customer, how)
    qtbot.keyClick(dialog.customer_field, Qt.Key.Key_Return)
    for text in scans:
        enter(dialog.scan, text, how)
        qtbot.keyClick(dialog.scan, Qt.Key.Key_Return)
    enter(dialog.product_field, product, how)
    qtbot.keyClick(dialog.product_field, Qt.Key.Key_Return)
    assert snapshot() == before  # choosing and scanning write nothing
    qtbot.mouseClick(dialog.place_button, Qt.MouseButton.LeftButton)
    if dialog.prompt is not None:
        dialog.prompt.reject()  # the customer walks away
    if dialog.placed is None:
        if dialog.customer_id is None or not dialog.lines:
            assert error_texts(dialog), "nothing placed and nothing said"
        assert snapshot() == before
    dialog.reject()
    assert run_checks() == []


@fuzz_settings(scale=0.5)
@given(
    supplier=nasty_text(extra=["Acme"]),
    product=nasty_text(extra=["W-1", GOOD_GTIN]),
    qty=nasty_number(good=["4"]),
    note=nasty_text(),
    day=st.one_of(st.just(""), nasty_text(extra=["1 Dec 2026", "31 Dec 9999"])),
    how=HOW,
)
@example(supplier="Acme", product="W-1", qty="²", note="", day="", how="pasted")  # int("²")
@example(supplier="Acme", product="W-1", qty="--5", note="", day="", how="pasted")  # int("--5")
@example(supplier="Acme", product="W-1", qty="9" * 5000, note="", day="", how="pasted")  # int limit
def test_purchase_order_editor(
    qtbot: QtBot,
    ctx: DeskContext,
    supplier: str,
    product: str,
    qty: str,
    note: str,
    day: str,
    how: str,
) -> None:
    if Product.get_or_none(Product.sku == "W-1") is None:
        ctx.controller.add_product(sku="W-1", name="Widget", barcodes=[GOOD_GTIN])
    dialog = open_dialog(qtbot, PurchaseOrderEditor(ctx))
    assert isinstance(dialog, PurchaseOrderEditor)
    enter(dialog.supplier, supplier, how)
    enter(dialog.expected, day, how)
    enter(dialog.product, product, how)
    qtbot.keyClick(dialog.product, Qt.Key.Key_Return)
    for _ in range(2):  # the same product twice: its quantity goes up
        enter(dialog.product, "W-1", "pasted")
        qtbot.keyClick(dialog.product, Qt.Key.Key_Return)
    dialog.set_quantity(0, qty)
    enter(dialog.product, "W-1", "pasted")
    qtbot.keyClick(dialog.product, Qt.Key.Key_Return)
    enter(dialog.note, note, how)
    before = snapshot()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    if outcome(qtbot, dialog, before):
        po = PurchaseOrder.get_by_id(dialog.po_id)
        assert "\x00" not in po.note
    assert run_checks() == []


@fuzz_settings(scale=0.5)
@given(
    name=nasty_text(extra=["Hardware Shop"]),
    address=st.one_of(nasty_text(), csv_row()),
    phone=nasty_number(),
    port=nasty_number(good=["587", "25"]),
    how=HOW,
)
@example(name="Shop", address="", phone="", port="²", how="pasted")  # was: int("²")
def test_settings_dialog(
    qtbot: QtBot, ctx: DeskContext, name: str, address: str, phone: str, port: str, how: str
) -> None:
    dialog = open_dialog(qtbot, SettingsDialog(ctx))
    assert isinstance(dialog, SettingsDialog)
    enter(dialog.name_edit, name, how)
    enter(dialog.address_edit, address, how)
    enter(dialog.phone_edit, phone, how)
    enter(dialog.port_edit, port, how)
    before = snapshot()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    outcome(qtbot, dialog, before)


# ---------------------------------------------------------- backorder list


@fuzz_settings(scale=0.5)
@given(reason=nasty_text(extra=["Customer changed their mind"]), priority=nasty_number(), how=HOW)
def test_cancel_and_priority_dialogs(
    qtbot: QtBot, ctx: DeskContext, clock: FakeClock, reason: str, priority: str, how: str
) -> None:
    controller = ctx.controller
    product = Product.get_or_none(Product.sku == "BO-1") or controller.add_product(
        sku="BO-1", name="Backordered"
    )
    customer = Customer.get_or_none(Customer.name == "Waiter") or controller.add_customer(
        name="Waiter"
    )
    placed = controller.place_order(
        customer.id, [OrderItem(product.id, 1)], decisions={product.id: Decision.WAIT}
    )
    line_id = placed.lines[0].line_id
    section = BackordersSection(ctx, today=lambda: clock().date())
    qtbot.addWidget(section)
    section.show()
    qtbot.waitExposed(section)

    section.select_lines([line_id])
    section.set_priority_action.trigger()
    dialog = section.priority_dialog
    assert dialog is not None
    enter(dialog.spin, priority, how)
    before = snapshot()
    dialog.confirm()
    if dialog.isVisible():
        outcome(qtbot, dialog, before)
    assert -100 <= OrderLine.get_by_id(line_id).priority <= 100

    section.select_lines([line_id])
    section.cancel_action.trigger()
    cancel = section.cancel_dialog
    assert cancel is not None
    qtbot.waitExposed(cancel)
    enter(cancel.reason_box, reason, how)
    before = snapshot()
    cancel.confirm()
    if cancel.isVisible():
        outcome(qtbot, cancel, before)
    else:
        line = OrderLine.get_by_id(line_id)
        assert line.qty_waiting == 0 and is_clean_line(line.cancel_reason or "x")
    assert run_checks() == []


# ------------------------------------------------------------ search fields


SECTIONS = [
    AuditLogSection,
    BackordersSection,
    InventorySection,
    CustomersSection,
    OrdersSection,
    PurchaseOrdersSection,
    MessagesSection,
]


@fuzz_settings(scale=0.5)
@given(text=st.one_of(nasty_text(), csv_row()), how=HOW)
@example(text="a\x00b", how="pasted")  # was: PostgreSQL refused the NUL
@example(text="²", how="typed")  # was: int("²") in the order-number search
def test_section_search_fields(qtbot: QtBot, ctx: DeskContext, text: str, how: str) -> None:
    if Product.get_or_none(Product.sku == "S-1") is None:
        ctx.controller.add_product(sku="S-1", name="Searched 50% off_sale")
        ctx.controller.add_customer(name="Émile Zola", phone="0161 496 0000")
    for kind in SECTIONS:
        section = kind(ctx)
        qtbot.addWidget(section)
        search = getattr(section, "search", None)
        assert isinstance(search, QLineEdit), kind
        enter(search, text, how)
        qtbot.keyClick(search, Qt.Key.Key_Return)
        qtbot.wait(1)
        section.close()


# -------------------------------------------------------------- receiving


@fuzz_settings(scale=0.5)
@given(
    scans=st.lists(
        nasty_text(extra=["RCV-1", GOOD_GTIN, "3*RCV-1", "0*RCV-1", "99999*" + GOOD_GTIN]),
        min_size=1,
        max_size=4,
    ),
    end=st.sampled_from([Qt.Key.Key_Return, Qt.Key.Key_Tab]),
    how=HOW,
)
def test_receiving_scan_field(
    qtbot: QtBot, ctx: DeskContext, scans: list[str], end: Qt.Key, how: str
) -> None:
    if Product.get_or_none(Product.sku == "RCV-1") is None:
        ctx.controller.add_product(sku="RCV-1", name="Received", barcodes=[GOOD_GTIN])
    window = ReceivingWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    if window.draft_prompt is not None:
        window.draft_prompt.reject()
    for text in scans:
        enter(window.scan, text, how)
        before_units = window.tally.units
        qtbot.keyClick(window.scan, end)
        unknown = getattr(window, "unknown_dialog", None)
        if unknown is not None and unknown.isVisible():
            unknown.reject()
        if window.tally.units == before_units and text.strip():
            # Nothing counted: the station said why (or asked about an unknown code).
            assert window.feedback.text().strip()
        if window.feedback_kind == ERROR:
            assert len(window.feedback.text()) <= 600
    window.close()
    assert run_checks() == []


def test_dates_far_out_in_the_delay_dialog(qtbot: QtBot, ctx: DeskContext) -> None:
    """The latest date a date field offers is accepted or refused calmly."""
    from ui.dialogs.delay_po import DelayDialog

    product = ctx.controller.add_product(sku="D-1", name="Delayed")
    supplier = ctx.controller.supplier_named("Late Ltd")
    po = ctx.controller.add_purchase_order(
        supplier_id=supplier.id, expected=date(2026, 12, 1), items=[OrderItem(product.id, 2)]
    )
    dialog = DelayDialog(
        ctx, po.id, supplier="Late Ltd", expected=date(2026, 12, 1), today=date(2026, 11, 2)
    )
    open_dialog(qtbot, dialog)
    dialog.date_edit.setDate(dialog.date_edit.maximumDate())
    before = snapshot()
    qtbot.mouseClick(dialog.delay_button, Qt.MouseButton.LeftButton)
    outcome(qtbot, dialog, before)
    assert run_checks() == []
