"""The New order dialog and the wait-or-cancel prompt, driven like a clerk would.

Real widgets (pytest-qt, offscreen) on a real store (SQLite, and PostgreSQL when
configured): scan and type an order, submit, answer the prompt, and check the store.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from app.barcodes import gtin13_with_check_digit
from app.check import run_checks
from app.controller import Controller, OrderItem
from app.models import Customer, Order, OrderLine, Product
from app.store import Store
from tests.conftest import FakeClock
from ui.context import DeskContext
from ui.dialogs.new_order import NewOrderDialog, install_new_order
from ui.dialogs.wait_or_cancel import PromptOutcome, WaitOrCancelDialog

SHOTS = Path("/tmp/shots")


@dataclass
class Shop:
    """A small shop: three products with GTINs, one customer."""

    ctx: DeskContext
    mug: int
    teapot: int
    cards: int
    mug_gtin: str
    ann: int


@pytest.fixture
def shop(store: Store, controller: Controller, clock: FakeClock) -> Iterator[Shop]:
    supplier = controller.supplier_named("Stoneware Ltd")
    mug_gtin = gtin13_with_check_digit("501234567890")
    mug = controller.add_product(
        sku="MUG-BL", name="Blue enamel mug", price_cents=1250, barcodes=[mug_gtin]
    )
    teapot = controller.add_product(
        sku="TEA-6",
        name="Six-cup teapot",
        price_cents=3400,
        barcodes=[gtin13_with_check_digit("501234567891")],
    )
    cards = controller.add_product(sku="CARD-5", name="Greeting cards, pack of 5")
    controller.adjust_stock(mug.id, 1, reason="opening count")
    controller.adjust_stock(cards.id, 10, reason="opening count")
    controller.add_purchase_order(
        supplier_id=supplier.id, expected=date(2026, 12, 12), items=[OrderItem(mug.id, 6)]
    )
    ann = controller.add_customer(name="Ann Lee", email="ann@example.com", phone="0161 496 0000")
    controller.add_customer(name="Bob Marsh", email="bob@example.com")
    ctx = DeskContext(store, controller)
    yield Shop(ctx, mug.id, teapot.id, cards.id, mug_gtin, ann.id)
    ctx.stop()


def open_dialog(qtbot: QtBot, shop: Shop, customer_id: int = 0) -> NewOrderDialog:
    dialog = NewOrderDialog(shop.ctx, customer_id)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def enter(qtbot: QtBot, widget: QWidget, text: str) -> None:
    qtbot.keyClicks(widget, text)
    qtbot.keyClick(widget, Qt.Key.Key_Return)


def type_order(qtbot: QtBot, dialog: NewOrderDialog, shop: Shop) -> None:
    """Ann wants 2 mugs (1 in stock), 2 teapots (none), 1 pack of cards (plenty)."""
    enter(qtbot, dialog.customer_field, "ann@exa")
    assert dialog.customer_id == shop.ann
    enter(qtbot, dialog.scan, shop.mug_gtin)
    enter(qtbot, dialog.scan, shop.mug_gtin)
    enter(qtbot, dialog.product_field, "tea-6")
    enter(qtbot, dialog.product_field, "greeting")
    teapot_qty = dialog.lines[1].spin
    teapot_qty.lineEdit().selectAll()
    qtbot.keyClicks(teapot_qty, "2")


def open_prompt(qtbot: QtBot, dialog: NewOrderDialog) -> WaitOrCancelDialog:
    qtbot.mouseClick(dialog.place_button, Qt.MouseButton.LeftButton)
    prompt = dialog.prompt
    assert prompt is not None and prompt.isVisible()
    return prompt


def order_lines() -> dict[str, tuple[int, int, int, str | None, int | None]]:
    return {
        line.product.sku: (
            line.qty_reserved,
            line.qty_waiting,
            line.qty_cancelled,
            line.decision,
            line.decided_by_id,
        )
        for line in OrderLine.select().join(Product).switch(OrderLine)
    }


def test_scan_and_type_an_order_then_answer_w_and_c(
    qtbot: QtBot, shop: Shop, controller: Controller
) -> None:
    dialog = open_dialog(qtbot, shop)
    type_order(qtbot, dialog, shop)

    # Scanning the same mug twice made one line of 2; the lines show live stock.
    assert [(line.sku, line.spin.value()) for line in dialog.lines] == [
        ("MUG-BL", 2),
        ("TEA-6", 2),
        ("CARD-5", 1),
    ]
    table = dialog.table
    assert [table.item(0, col).text() for col in (2, 3, 4)] == ["1", "1", "0"]
    assert table.item(0, 5).text() == "1 short · around 12 Dec 2026"
    assert table.item(1, 5).text() == "2 short · no date yet"
    assert table.item(2, 5).text() == "in stock"

    prompt = open_prompt(qtbot, dialog)
    assert [prompt.table.item(r, 0).text() for r in range(2)] == [
        "Blue enamel mug  (MUG-BL)",
        "Six-cup teapot  (TEA-6)",
    ]
    assert [prompt.table.item(0, c).text() for c in range(1, 5)] == [
        "2",
        "1",
        "1",
        "around 12 Dec 2026",
    ]
    assert prompt.table.item(1, 4).text() == "no date yet"
    assert "1 can go with you today; the other one is expected around 12 Dec." in (
        prompt.sentences.text()
    )
    # Enter does nothing until every row has an answer.
    qtbot.keyClick(prompt.table, Qt.Key.Key_W)
    qtbot.keyClick(prompt.table, Qt.Key.Key_Return)
    assert prompt.isVisible() and Order.select().count() == 0
    assert "1 line still needs an answer" in prompt.hint.text()
    qtbot.keyClick(prompt.table, Qt.Key.Key_C)
    assert prompt.table.item(1, 5).text() == "Cancel this line"
    with qtbot.waitSignal(shop.ctx.changed):
        qtbot.keyClick(prompt.table, Qt.Key.Key_Return)

    assert dialog.prompt is None and dialog.placed is not None
    staff = controller.staff_id
    assert order_lines() == {
        "MUG-BL": (1, 1, 0, "wait", staff),
        "TEA-6": (0, 0, 2, "cancel", staff),
        "CARD-5": (1, 0, 0, None, None),
    }
    decided = OrderLine.select().where(OrderLine.decision.is_null(False))
    assert {line.decided_at for line in decided} == {controller.clock()}
    summary = dialog.summary.text()
    assert dialog.pages.currentIndex() == 1
    assert f"Order {dialog.placed.order_id} is placed for Ann Lee." == dialog.summary_title.text()
    assert "1 × Blue enamel mug — expected around 12 Dec 2026" in summary
    assert "2 × Six-cup teapot" in summary
    assert run_checks() == []


def test_cancel_whole_order_writes_nothing(qtbot: QtBot, shop: Shop) -> None:
    dialog = open_dialog(qtbot, shop)
    type_order(qtbot, dialog, shop)
    prompt = open_prompt(qtbot, dialog)
    qtbot.keyClick(prompt.table, Qt.Key.Key_W)

    qtbot.mouseClick(prompt.cancel_order_button, Qt.MouseButton.LeftButton)

    assert prompt.outcome is PromptOutcome.CANCEL_ORDER
    assert dialog.cancelled_by_customer and not dialog.isVisible()
    assert Order.select().count() == 0 and OrderLine.select().count() == 0
    assert Product.get_by_id(shop.mug).reserved == 0


def test_escape_returns_to_the_order_unchanged(qtbot: QtBot, shop: Shop) -> None:
    dialog = open_dialog(qtbot, shop)
    type_order(qtbot, dialog, shop)
    prompt = open_prompt(qtbot, dialog)

    qtbot.keyClick(prompt.table, Qt.Key.Key_Escape)

    assert not prompt.isVisible() and dialog.prompt is None
    assert dialog.isVisible() and dialog.pages.currentIndex() == 0
    assert [line.spin.value() for line in dialog.lines] == [2, 2, 1]
    assert Order.select().count() == 0
    # The clerk lowers the mugs to what is in stock and drops the teapots: no prompt now.
    dialog.table.selectRow(0)
    qtbot.keyClick(dialog.table, Qt.Key.Key_Minus)
    assert dialog.lines[0].spin.value() == 1
    assert dialog.table.item(0, 5).text() == "in stock"
    dialog.table.selectRow(1)
    qtbot.keyClick(dialog.table, Qt.Key.Key_Delete)
    assert [line.sku for line in dialog.lines] == ["MUG-BL", "CARD-5"]
    qtbot.mouseClick(dialog.place_button, Qt.MouseButton.LeftButton)
    assert dialog.prompt is None and dialog.placed is not None
    assert order_lines() == {"MUG-BL": (1, 0, 0, None, None), "CARD-5": (1, 0, 0, None, None)}


def test_stock_taken_meanwhile_reopens_the_prompt_with_the_new_situation(
    qtbot: QtBot, shop: Shop, controller: Controller
) -> None:
    dialog = open_dialog(qtbot, shop)
    type_order(qtbot, dialog, shop)
    first = open_prompt(qtbot, dialog)
    assert not first.change_note.isVisible()
    # While Ann thinks it over, Bob takes the last mug at the other till.
    bob = Customer.get(Customer.name == "Bob Marsh").id
    controller.place_order(bob, [OrderItem(shop.mug, 1)])

    qtbot.keyClick(first.table, Qt.Key.Key_W)
    qtbot.keyClick(first.table, Qt.Key.Key_C)
    qtbot.keyClick(first.table, Qt.Key.Key_Return)

    second = dialog.prompt
    assert second is not None and second is not first and second.isVisible()
    assert second.change_note.isVisible()
    assert "Stock changed" in second.change_note.text()
    assert [second.table.item(0, c).text() for c in range(1, 4)] == ["2", "0", "2"]
    assert "None of the 2 are in stock today" in second.sentences.text()
    assert Order.select().count() == 1  # only Bob's: nothing of Ann's was written
    qtbot.keyClick(second.table, Qt.Key.Key_W)
    qtbot.keyClick(second.table, Qt.Key.Key_C)
    qtbot.keyClick(second.table, Qt.Key.Key_Return)

    assert dialog.placed is not None
    mug = Product.get_by_id(shop.mug)
    assert (mug.on_hand, mug.reserved, mug.waiting) == (1, 1, 2)  # never oversold
    assert run_checks() == []


def test_bad_or_unknown_barcode_shows_a_message_and_adds_nothing(qtbot: QtBot, shop: Shop) -> None:
    dialog = open_dialog(qtbot, shop, shop.ann)
    wrong_check_digit = shop.mug_gtin[:-1] + str((int(shop.mug_gtin[-1]) + 1) % 10)

    enter(qtbot, dialog.scan, wrong_check_digit)
    assert dialog.scan_message.isVisible()
    assert "wrong check digit" in dialog.scan_message.text()
    assert dialog.lines == [] and dialog.table.rowCount() == 0

    enter(qtbot, dialog.scan, gtin13_with_check_digit("400000000001"))
    assert "No product has the SKU or barcode" in dialog.scan_message.text()
    assert dialog.lines == []
    assert dialog.isVisible() and dialog.prompt is None  # Enter did not place anything

    enter(qtbot, dialog.scan, f"3*{shop.mug_gtin}")
    assert [(line.sku, line.spin.value()) for line in dialog.lines] == [("MUG-BL", 3)]
    assert dialog.scan_message.text() == "Added 3 × Blue enamel mug (now 3)."
    # Scanners set up to end with Tab work the same; the field is ready for the next one.
    qtbot.keyClicks(dialog.scan, "CARD-5")
    qtbot.keyClick(dialog.scan, Qt.Key.Key_Tab)
    assert [line.sku for line in dialog.lines] == ["MUG-BL", "CARD-5"]
    assert dialog.scan.text() == ""


def test_suggestions_pop_up_while_typing_and_arrow_keys_choose(qtbot: QtBot, shop: Shop) -> None:
    dialog = open_dialog(qtbot, shop)
    qtbot.waitActive(dialog)
    dialog.customer_field.setFocus()
    qtbot.keyClicks(dialog.customer_field, "example.com")
    popup = dialog.customer_suggestions.completer.popup()
    qtbot.waitUntil(lambda: popup.isVisible())
    assert [popup.model().index(r, 0).data() for r in range(popup.model().rowCount())] == [
        "Ann Lee — ann@example.com · 0161 496 0000",
        "Bob Marsh — bob@example.com",
    ]
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert dialog.customer_name == "Bob Marsh" and "Bob Marsh" in dialog.chosen_label.text()

    dialog.product_field.setFocus()
    qtbot.keyClicks(dialog.product_field, "mug")
    popup = dialog.product_suggestions.completer.popup()
    qtbot.waitUntil(lambda: popup.isVisible())
    assert popup.model().index(0, 0).data() == "MUG-BL — Blue enamel mug (1 available)"
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert [(line.sku, line.spin.value()) for line in dialog.lines] == [("MUG-BL", 1)]
    qtbot.waitUntil(lambda: dialog.product_field.text() == "")  # ready for the next search


def test_placing_without_a_customer_says_so_next_to_the_field(qtbot: QtBot, shop: Shop) -> None:
    dialog = open_dialog(qtbot, shop)
    enter(qtbot, dialog.scan, "CARD-5")
    qtbot.mouseClick(dialog.place_button, Qt.MouseButton.LeftButton)
    assert dialog.customer_message.isVisible()
    assert "Choose the customer first" in dialog.customer_message.text()
    enter(qtbot, dialog.customer_field, "nobody-like-this")
    assert "No customer matches 'nobody-like-this'" in dialog.customer_message.text()
    assert Order.select().count() == 0


def test_new_customer_inline_with_a_bad_email_saves_nothing(qtbot: QtBot, shop: Shop) -> None:
    dialog = open_dialog(qtbot, shop)
    qtbot.keyClicks(dialog.customer_field, "Cleo Park")
    qtbot.mouseClick(dialog.new_customer_button, Qt.MouseButton.LeftButton)
    editor = dialog.customer_editor
    assert editor is not None and editor.isVisible()
    assert editor.name.text() == "Cleo Park"  # what the clerk typed is kept
    qtbot.keyClicks(editor.email, "cleo@")

    qtbot.mouseClick(editor.buttons.buttons()[0], Qt.MouseButton.LeftButton)

    assert editor.isVisible()
    assert editor.messages["email"].isVisible()
    assert "E-mail 'cleo@' is not valid" in editor.messages["email"].text()
    assert not editor.messages["name"].isVisible()
    assert Customer.select().where(Customer.name == "Cleo Park").count() == 0

    editor.email.setText("cleo@example.com")
    qtbot.mouseClick(editor.buttons.buttons()[0], Qt.MouseButton.LeftButton)
    cleo = Customer.get(Customer.name == "Cleo Park")
    assert not editor.isVisible() and dialog.customer_id == cleo.id
    assert "Cleo Park" in dialog.chosen_label.text()


def test_new_order_signal_opens_the_dialog_for_that_customer(qtbot: QtBot, shop: Shop) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    install_new_order(shop.ctx, window)
    shop.ctx.new_order.emit(shop.ann)
    opened = [w for w in window.findChildren(NewOrderDialog) if w.isVisible()]
    assert len(opened) == 1 and opened[0].customer_id == shop.ann
    opened[0].close()


def test_render_dialog_and_prompt(
    qtbot: QtBot, shop: Shop, tmp_path: Path, controller: Controller
) -> None:
    """Pictures to look at: the order being typed, the prompt, the summary."""
    dialog = open_dialog(qtbot, shop)
    type_order(qtbot, dialog, shop)
    dialog.resize(1100, 700)
    shots = {"new_order": dialog.grab()}
    prompt = open_prompt(qtbot, dialog)
    qtbot.keyClick(prompt.table, Qt.Key.Key_W)
    shots["wait_or_cancel"] = prompt.grab()
    prompt.reject()
    # The prompt after a change of stock, with three lines.
    enter(qtbot, dialog.product_field, "CARD-5")
    dialog.lines[2].spin.setValue(14)
    prompt = open_prompt(qtbot, dialog)
    bob = Customer.get(Customer.name == "Bob Marsh").id
    controller.place_order(bob, [OrderItem(shop.mug, 1)])
    for key in (Qt.Key.Key_W, Qt.Key.Key_C, Qt.Key.Key_W, Qt.Key.Key_Return):
        qtbot.keyClick(prompt.table, key)
    assert dialog.prompt is not None
    shots["wait_or_cancel_changed"] = dialog.prompt.grab()
    for key in (Qt.Key.Key_W, Qt.Key.Key_C, Qt.Key.Key_W, Qt.Key.Key_Return):
        qtbot.keyClick(dialog.prompt.table, key)
    shots["new_order_placed"] = dialog.grab()
    for name, picture in shots.items():
        path = tmp_path / f"{name}.png"
        assert picture.save(str(path)) and path.stat().st_size > 0
        if SHOTS.is_dir():
            shutil.copy(path, SHOTS / path.name)
