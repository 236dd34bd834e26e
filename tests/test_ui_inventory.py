"""The Inventory section and its dialogs, driven through real widgets on a real store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app import queries
from app.controller import Controller, Decision, OrderItem
from app.store import Store
from tests.shots import save_shot
from ui import theme
from ui.context import DeskContext
from ui.dialogs.adjust_stock import AdjustStockDialog
from ui.dialogs.product_editor import ProductEditor
from ui.sections.inventory import REORDER_COLUMN, InventorySection

GOOD_GTIN = "4006381333931"
BAD_GTIN = "4006381333932"  # last digit is not the check digit


@pytest.fixture
def ctx(store: Store, controller: Controller, qtbot: QtBot) -> Iterator[DeskContext]:
    context = DeskContext(store, controller)
    context.stop()  # these tests notify by hand; no timer firing mid-test
    yield context


def open_section(qtbot: QtBot, ctx: DeskContext) -> InventorySection:
    section = InventorySection(ctx)
    qtbot.addWidget(section)
    section.resize(1000, 600)
    section.show()
    qtbot.waitExposed(section)
    return section


def product_editor(section: InventorySection) -> ProductEditor:
    dialog = section.dialog
    assert isinstance(dialog, ProductEditor) and dialog.isVisible()
    return dialog


def adjust_dialog(section: InventorySection) -> AdjustStockDialog:
    dialog = section.dialog
    assert isinstance(dialog, AdjustStockDialog) and dialog.isVisible()
    return dialog


def test_bad_check_digit_is_shown_next_to_the_barcode_and_nothing_is_saved(
    qtbot: QtBot, ctx: DeskContext, tmp_path: Path
) -> None:
    section = open_section(qtbot, ctx)
    section.add_action.trigger()
    dialog = product_editor(section)
    qtbot.keyClicks(dialog.sku, "GLUE-1")
    qtbot.keyClicks(dialog.name, "Wood glue 250 ml")
    dialog.price.clear()
    qtbot.keyClicks(dialog.price, "4.50")
    qtbot.keyClicks(dialog.barcodes, BAD_GTIN)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    assert dialog.isVisible()
    message = dialog.form.errors["barcode"]
    assert message.isVisible() and "wrong check digit" in message.text()
    assert not dialog.form.errors["sku"].isVisible()
    assert queries.count_products() == 0
    save_shot(dialog, tmp_path, "product-editor-error")

    dialog.barcodes.clear()
    qtbot.keyClicks(dialog.barcodes, GOOD_GTIN)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    [saved] = queries.product_figures()
    assert (saved.sku, saved.name, saved.price_cents, saved.barcodes) == (
        "GLUE-1",
        "Wood glue 250 ml",
        450,
        (GOOD_GTIN,),
    )
    chosen = section.selected_product()
    assert chosen is not None and chosen.sku == "GLUE-1"


def test_barcode_field_is_checked_when_left(qtbot: QtBot, ctx: DeskContext) -> None:
    section = open_section(qtbot, ctx)
    section.add_action.trigger()
    dialog = product_editor(section)
    qtbot.keyClicks(dialog.barcodes, f"{GOOD_GTIN} {BAD_GTIN}")
    dialog.barcodes.editingFinished.emit()
    assert BAD_GTIN in dialog.form.errors["barcode"].text()
    qtbot.keyClicks(dialog.barcodes, "0")  # typing again clears the stale message
    assert not dialog.form.errors["barcode"].isVisible()


def test_edit_is_all_or_nothing_when_a_barcode_is_taken(
    qtbot: QtBot, ctx: DeskContext, controller: Controller
) -> None:
    controller.add_product(sku="OTHER", name="Other", barcodes=[GOOD_GTIN])
    mine = controller.add_product(sku="MINE", name="Mine", price_cents=100)
    section = open_section(qtbot, ctx)
    assert section.select_product(mine.id)
    section.edit_action.trigger()
    dialog = product_editor(section)
    assert dialog.sku.isReadOnly()
    dialog.price.clear()
    qtbot.keyClicks(dialog.price, "2.00")
    qtbot.keyClicks(dialog.barcodes, GOOD_GTIN)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    assert dialog.isVisible()
    assert "already belongs to product OTHER" in dialog.form.errors["barcode"].text()
    figures = queries.stock_figures(mine.id)
    assert (figures.price_cents, figures.barcodes) == (100, ())

    dialog.barcodes.clear()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert queries.stock_figures(mine.id).price_cents == 200
    chosen = section.selected_product()
    assert chosen is not None and chosen.price_cents == 200


def test_adjust_up_fulfils_a_waiting_line_and_says_so(
    qtbot: QtBot, ctx: DeskContext, controller: Controller, tmp_path: Path
) -> None:
    product = controller.add_product(sku="SAW-1", name="Tenon saw")
    customer = controller.add_customer(name="Maria Lopez", email="maria@example.com")
    placed = controller.place_order(
        customer.id, [OrderItem(product.id, 3)], decisions={product.id: Decision.WAIT}
    )
    section = open_section(qtbot, ctx)
    assert section.select_product(product.id)
    section.adjust_action.trigger()
    dialog = adjust_dialog(section)
    qtbot.keyClicks(dialog.change, "+3")
    qtbot.keyClicks(dialog.reason, "Found in the back room")
    qtbot.keyClick(dialog.change, Qt.Key.Key_Return)

    text = dialog.result_text()
    assert f"Order {placed.order_id}, Maria Lopez: 3 × SAW-1 ready to pick" in text
    assert "now fulfilled" in text
    assert queries.count_backorders() == 0
    figures = queries.stock_figures(product.id)
    assert (figures.on_hand, figures.reserved, figures.waiting) == (3, 3, 0)
    # The list behind the dialog shows it already.
    row = section.selected_product()
    assert row is not None and (row.reserved, row.waiting) == (3, 0)
    save_shot(dialog, tmp_path, "adjust-stock-result")
    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()


def test_decrease_below_reserved_is_refused_with_the_controllers_message(
    qtbot: QtBot, ctx: DeskContext, controller: Controller, tmp_path: Path
) -> None:
    product = controller.add_product(sku="DRILL-1", name="Cordless drill")
    controller.adjust_stock(product.id, 5, reason="opening stock")
    customer = controller.add_customer(name="Tom")
    controller.place_order(customer.id, [OrderItem(product.id, 4)])
    section = open_section(qtbot, ctx)
    assert section.select_product(product.id)
    section.adjust_action.trigger()
    dialog = adjust_dialog(section)
    qtbot.keyClicks(dialog.change, "-3")
    qtbot.keyClicks(dialog.reason, "Damaged")
    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)

    message = dialog.form.errors["delta"]
    assert message.isVisible()
    assert message.text().startswith("Cannot take 3 off DRILL-1: only 1 of its 5 on hand")
    assert dialog.result_text() == ""
    assert queries.stock_figures(product.id).on_hand == 5
    save_shot(dialog, tmp_path, "adjust-stock-refused")


def test_a_reason_is_required(qtbot: QtBot, ctx: DeskContext, controller: Controller) -> None:
    product = controller.add_product(sku="TAPE-1", name="Tape")
    section = open_section(qtbot, ctx)
    assert section.select_product(product.id)
    section.adjust_action.trigger()
    dialog = adjust_dialog(section)
    qtbot.keyClicks(dialog.change, "4")
    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    assert dialog.form.errors["reason"].text() == "Reason is required."
    assert queries.stock_figures(product.id).on_hand == 0


def test_type_to_filter_and_only_waiting(
    qtbot: QtBot, ctx: DeskContext, controller: Controller
) -> None:
    controller.add_product(sku="BOLT-8", name="Hex bolt M8")
    nut = controller.add_product(sku="NUT-8", name="Hex nut M8", barcodes=[GOOD_GTIN])
    controller.add_product(sku="WASH-8", name="Washer M8")
    customer = controller.add_customer(name="Lee")
    controller.place_order(customer.id, [OrderItem(nut.id, 1)], decisions={nut.id: Decision.WAIT})
    section = open_section(qtbot, ctx)
    assert section.model.total == 3

    qtbot.keyClicks(section.search, "hex")
    qtbot.waitUntil(lambda: section.model.total == 2)
    assert [r.sku for r in section.model.loaded_rows()] == ["BOLT-8", "NUT-8"]
    assert section.count_label.text() == "2 products match"

    section.search.clear()
    qtbot.keyClicks(section.search, "33393")  # part of a barcode
    qtbot.waitUntil(lambda: section.model.total == 1)
    assert section.model.row(0).sku == "NUT-8"

    section.search.clear()
    qtbot.waitUntil(lambda: section.model.total == 3)
    qtbot.mouseClick(section.only_waiting, Qt.MouseButton.LeftButton)
    assert [r.sku for r in section.model.loaded_rows()] == ["NUT-8"]
    assert section.waiting_action.isChecked()


def test_waiting_rows_are_tinted_and_low_stock_is_marked(
    qtbot: QtBot, ctx: DeskContext, controller: Controller
) -> None:
    calm = controller.add_product(sku="A-CALM", name="Plenty", reorder_point=2)
    controller.adjust_stock(calm.id, 10, reason="count")
    low = controller.add_product(sku="B-LOW", name="Running out", reorder_point=5)
    controller.adjust_stock(low.id, 1, reason="count")
    customer = controller.add_customer(name="Kim")
    controller.place_order(customer.id, [OrderItem(low.id, 3)], decisions={low.id: Decision.WAIT})
    section = open_section(qtbot, ctx)
    model = section.model
    assert [r.sku for r in model.loaded_rows()] == ["A-CALM", "B-LOW"]

    background = Qt.ItemDataRole.BackgroundRole
    assert model.data(model.index(0, 0), background) is None
    assert model.data(model.index(1, 0), background).color() == theme.colors().waiting

    assert model.data(model.index(0, REORDER_COLUMN)) == "2"
    assert model.data(model.index(1, REORDER_COLUMN)) == "▼ 5"
    tip = model.data(model.index(1, REORDER_COLUMN), Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("Below reorder point")


def test_sorting_by_a_column_runs_in_the_store(
    qtbot: QtBot, ctx: DeskContext, controller: Controller
) -> None:
    for sku, units in (("A", 5), ("B", 9), ("C", 1)):
        product = controller.add_product(sku=sku, name=f"Thing {sku}")
        controller.adjust_stock(product.id, units, reason="count")
    section = open_section(qtbot, ctx)
    header = section.table.horizontalHeader()
    on_hand = next(i for i, c in enumerate(section.model.columns) if c.title == "On hand")
    header.setSortIndicator(on_hand, Qt.SortOrder.DescendingOrder)
    assert [r.sku for r in section.model.loaded_rows()] == ["B", "A", "C"]
    # Incoming is computed per page, so it cannot sort: the order stays as it was.
    incoming = next(i for i, c in enumerate(section.model.columns) if c.title == "Incoming")
    header.setSortIndicator(incoming, Qt.SortOrder.AscendingOrder)
    assert header.sortIndicatorSection() == on_hand
    assert [r.sku for r in section.model.loaded_rows()] == ["B", "A", "C"]


def test_renders_the_section_and_dialogs(
    qtbot: QtBot, ctx: DeskContext, controller: Controller, tmp_path: Path
) -> None:
    product = controller.add_product(
        sku="HAM-16",
        name="Claw hammer 16 oz",
        price_cents=1899,
        reorder_point=4,
        barcodes=[GOOD_GTIN],
    )
    controller.adjust_stock(product.id, 2, reason="count")
    section = open_section(qtbot, ctx)
    save_shot(section, tmp_path, "inventory")
    assert section.select_product(product.id)
    section.edit_action.trigger()
    save_shot(product_editor(section), tmp_path, "product-editor")
    product_editor(section).reject()
    section.adjust_action.trigger()
    save_shot(adjust_dialog(section), tmp_path, "adjust-stock")
    assert len(list(tmp_path.glob("*.png"))) == 3


def test_esc_closes_the_editor_without_saving(qtbot: QtBot, ctx: DeskContext) -> None:
    section = open_section(qtbot, ctx)
    section.add_action.trigger()
    dialog = product_editor(section)
    qtbot.keyClicks(dialog.sku, "ESC-1")
    qtbot.keyClicks(dialog.name, "Never saved")
    qtbot.keyClick(dialog.name, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    assert queries.count_products() == 0
