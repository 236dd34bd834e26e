"""The Purchase orders section and the PO editor, driven through real widgets on a real
store: refusals appear next to their field and save nothing; saves reach the store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, Qt
from pytestqt.qtbot import QtBot

from app.controller import Controller, OrderItem
from app.models import AuditEvent, PurchaseOrder, PurchaseOrderLine, Supplier
from app.store import Store
from tests.conftest import FakeClock
from tests.shots import save_shot
from ui.context import DeskContext
from ui.dialogs.po_editor import PurchaseOrderEditor
from ui.paged_model import PagedTableModel
from ui.sections.purchase_orders import PurchaseOrdersSection


@pytest.fixture
def ctx(store: Store, controller: Controller, qtbot: QtBot) -> Iterator[DeskContext]:
    context = DeskContext(store, controller)
    context.stop()
    yield context


@pytest.fixture
def products(controller: Controller) -> dict[str, int]:
    made = {}
    for sku, name in [
        ("HNG-75", "Brass butt hinge 75 mm"),
        ("HNG-100", "Brass butt hinge 100 mm"),
        ("SCR-4x40", "Wood screw 4 x 40 mm, box of 200"),
    ]:
        made[sku] = int(controller.add_product(sku=sku, name=name, price_cents=399).id)
    return made


def open_section(qtbot: QtBot, ctx: DeskContext) -> PurchaseOrdersSection:
    section = PurchaseOrdersSection(ctx)
    qtbot.addWidget(section)
    section.resize(1100, 700)
    section.show()
    qtbot.waitExposed(section)
    return section


def new_editor(qtbot: QtBot, section: PurchaseOrdersSection) -> PurchaseOrderEditor:
    editor = section.new_purchase_order()
    qtbot.waitExposed(editor)
    return editor


def add_product(qtbot: QtBot, editor: PurchaseOrderEditor, text: str) -> None:
    qtbot.keyClicks(editor.product, text)
    qtbot.keyClick(editor.product, Qt.Key.Key_Return)


def cells(model: PagedTableModel, column: int) -> list[str]:  # type: ignore[type-arg]
    return [model.index(row, column).data() for row in range(model.rowCount())]


def nothing_saved() -> bool:
    return PurchaseOrder.select().count() == 0 and Supplier.select().count() == 0


def test_missing_date_is_shown_next_to_the_date_and_nothing_is_saved(
    qtbot: QtBot, ctx: DeskContext, products: dict[str, int], tmp_path: Path
) -> None:
    editor = new_editor(qtbot, open_section(qtbot, ctx))
    qtbot.keyClicks(editor.supplier, "Hinges & Co")
    add_product(qtbot, editor, "HNG-75")
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)

    assert editor.isVisible()
    assert editor.expected_message.isVisible()
    assert "expected date is missing" in editor.expected_message.text()
    assert not editor.lines_message.isVisible() and not editor.supplier_message.isVisible()
    assert nothing_saved()  # not even the new supplier
    save_shot(editor, tmp_path, "po_editor_missing_date")


def test_zero_quantity_is_shown_under_the_lines_and_nothing_is_saved(
    qtbot: QtBot, ctx: DeskContext, products: dict[str, int]
) -> None:
    editor = new_editor(qtbot, open_section(qtbot, ctx))
    qtbot.keyClicks(editor.supplier, "Hinges & Co")
    editor.expected.setDate(QDate(2026, 12, 1))
    add_product(qtbot, editor, "HNG-75")
    add_product(qtbot, editor, "hinge 100")  # the only product matching this name
    assert [line.sku for line in editor.lines] == ["HNG-75", "HNG-100"]
    editor.set_quantity(1, "0")
    qtbot.keyClick(editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)

    assert editor.isVisible()
    assert "cannot be 0" in editor.lines_message.text()
    assert not editor.expected_message.isVisible()
    assert nothing_saved()


def test_unknown_product_is_refused_next_to_the_product_field(
    qtbot: QtBot, ctx: DeskContext, products: dict[str, int]
) -> None:
    editor = new_editor(qtbot, open_section(qtbot, ctx))
    add_product(qtbot, editor, "ZZZ-404")
    assert editor.lines == []
    assert editor.lines_message.isVisible()
    assert "No product matches 'ZZZ-404'" in editor.lines_message.text()
    add_product(qtbot, editor, "hinge")  # two products match: the clerk must pick
    assert editor.lines == []
    assert "Several products match 'hinge'" in editor.lines_message.text()

    qtbot.keyClicks(editor.supplier, "Hinges & Co")
    editor.expected.setDate(QDate(2026, 12, 1))
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert "no lines" in editor.lines_message.text()
    assert nothing_saved()
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert not editor.isVisible()
    assert nothing_saved()


def test_a_booked_purchase_order_is_listed_with_its_supplier_date_and_units(
    qtbot: QtBot,
    ctx: DeskContext,
    products: dict[str, int],
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    section = open_section(qtbot, ctx)
    editor = new_editor(qtbot, section)
    qtbot.keyClicks(editor.supplier, "Hinges & Co")
    editor.expected.setDate(QDate(2026, 10, 20))  # the clock says 2 Nov 2026: overdue
    add_product(qtbot, editor, "HNG-75")
    add_product(qtbot, editor, "HNG-75")  # scanning twice adds one more
    add_product(qtbot, editor, "SCR-4x40")
    editor.set_quantity(1, "12")
    qtbot.keyClicks(editor.note, "Ref. HC-2231")
    with qtbot.waitSignal(ctx.changed):
        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)

    po = PurchaseOrder.get()
    assert (po.supplier.name, po.expected_date, po.note) == (
        "Hinges & Co",
        date(2026, 10, 20),
        "Ref. HC-2231",
    )
    assert sorted((line.product.sku, line.qty_ordered) for line in PurchaseOrderLine.select()) == [
        ("HNG-75", 2),
        ("SCR-4x40", 12),
    ]
    assert cells(section.model, 1) == ["Hinges & Co"]
    assert cells(section.model, 2) == ["20 Oct 2026"]
    assert cells(section.model, 3) == ["Open · overdue 13 days"]
    assert cells(section.model, 5) == ["14"]
    section.status_box.setCurrentIndex(section.status_box.findText("Closed"))
    assert section.model.total == 0
    section.status_box.setCurrentIndex(section.status_box.findText("Overdue"))
    assert section.model.total == 1
    save_shot(section, tmp_path, "purchase_orders_section")


def test_editing_an_open_po_changes_date_and_quantities_but_not_below_received(
    qtbot: QtBot,
    ctx: DeskContext,
    controller: Controller,
    products: dict[str, int],
    tmp_path: Path,
) -> None:
    supplier = controller.supplier_named("Hinges & Co")
    po = controller.add_purchase_order(
        supplier_id=supplier.id,
        expected=date(2026, 12, 10),
        items=[OrderItem(products["HNG-75"], 10), OrderItem(products["HNG-100"], 4)],
    )
    controller.receive([OrderItem(products["HNG-75"], 6)], purchase_order_id=po.id)
    section = open_section(qtbot, ctx)
    section.table.selectRow(0)
    editor = section.edit_selected()
    assert isinstance(editor, PurchaseOrderEditor)
    qtbot.waitExposed(editor)
    assert editor.supplier.isReadOnly()
    assert editor.table.item(0, 3).text() == "6"  # type: ignore[union-attr]
    save_shot(editor, tmp_path, "po_editor_existing")

    editor.set_quantity(0, "5")
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert "6 units were already received" in editor.lines_message.text()
    assert PurchaseOrderLine.get(PurchaseOrderLine.product == products["HNG-75"]).qty_ordered == 10

    editor.set_quantity(0, "8")
    editor.table.selectRow(1)
    qtbot.mouseClick(editor.remove_button, Qt.MouseButton.LeftButton)
    editor.expected.setDate(QDate(2026, 12, 4))
    with qtbot.waitSignal(ctx.changed):
        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)

    saved = PurchaseOrder.get_by_id(po.id)
    assert saved.expected_date == date(2026, 12, 4)
    assert [(line.product_id, line.qty_ordered) for line in saved.lines] == [
        (products["HNG-75"], 8)
    ]
    assert AuditEvent.select().where(AuditEvent.action == "po.update").count() == 1
    assert cells(section.model, 2) == ["04 Dec 2026"]
    assert cells(section.model, 7) == ["2"]  # outstanding: 8 ordered - 6 received


def test_supplier_and_product_type_ahead_offer_matches(
    qtbot: QtBot, ctx: DeskContext, controller: Controller, products: dict[str, int]
) -> None:
    controller.supplier_named("Hinges & Co")
    controller.supplier_named("Screws Direct")
    editor = new_editor(qtbot, open_section(qtbot, ctx))
    qtbot.keyClicks(editor.supplier, "scr")
    completer = editor.supplier.completer()
    assert completer is not None
    assert completer.model().index(0, 0).data() == "Screws Direct"
    qtbot.keyClicks(editor.product, "hng")
    labels = [editor._product_labels.index(i, 0).data() for i in range(2)]
    assert labels == ["HNG-100 — Brass butt hinge 100 mm", "HNG-75 — Brass butt hinge 75 mm"]
    product_completer = editor.product.completer()
    assert product_completer is not None
    product_completer.activated.emit(labels[1])
    assert [line.sku for line in editor.lines] == ["HNG-75"]
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert Supplier.select().count() == 2 and PurchaseOrder.select().count() == 0
