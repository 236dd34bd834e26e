"""The Customers section, driven like a clerk would (pytest-qt, real store)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.controller import Controller, Decision, OrderItem
from app.models import Customer
from app.store import Store
from tests.conftest import FakeClock
from ui.context import DeskContext
from ui.dialogs.new_order import NewOrderDialog
from ui.sections.customers import CustomersSection

SHOTS = Path("/tmp/shots")


@pytest.fixture
def ctx(store: Store, controller: Controller, clock: FakeClock) -> Iterator[DeskContext]:
    supplier = controller.supplier_named("Stoneware Ltd")
    mug = controller.add_product(sku="MUG-BL", name="Blue enamel mug").id
    teapot = controller.add_product(sku="TEA-6", name="Six-cup teapot").id
    controller.adjust_stock(mug, 2, reason="opening count")
    controller.add_purchase_order(
        supplier_id=supplier.id, expected=date(2026, 12, 12), items=[OrderItem(teapot, 4)]
    )
    ann = controller.add_customer(
        name="Ann Lee", email="ann@example.com", phone="0161 496 0000", notes="Prefers a call"
    ).id
    for name, email in (
        ("Annabel Fox", "fox@example.org"),
        ("Bob Marsh", None),
        ("Chidi Okafor", "chidi@example.net"),
        ("Dana Whitfield", "dana.w@example.com"),
    ):
        controller.add_customer(name=name, email=email, phone="0113 496 0101")
    controller.place_order(
        ann, [OrderItem(mug, 1), OrderItem(teapot, 2)], decisions={teapot: Decision.WAIT}
    )
    clock.advance(days=3)
    controller.place_order(ann, [OrderItem(mug, 1)])
    context = DeskContext(store, controller)
    yield context
    context.stop()


def open_section(qtbot: QtBot, ctx: DeskContext) -> CustomersSection:
    section = CustomersSection(ctx)
    qtbot.addWidget(section)
    section.resize(1100, 700)
    section.show()
    return section


def ann_id() -> int:
    return int(Customer.get(Customer.name == "Ann Lee").id)


def test_list_search_and_detail(qtbot: QtBot, ctx: DeskContext) -> None:
    section = open_section(qtbot, ctx)
    assert section.model.total == 5 and section.count_label.text() == "5 customers"
    first = section.model.row(0)
    assert (first.name, first.open_orders, first.waiting_lines) == ("Ann Lee", 2, 1)

    qtbot.keyClicks(section.search, "example.org")
    qtbot.keyClick(section.search, Qt.Key.Key_Return)
    assert [r.name for r in section.model.loaded_rows()] == ["Annabel Fox"]
    assert section.detail.name_label.text() == "Annabel Fox"  # the match is shown below

    section.search.clear()
    qtbot.keyClicks(section.search, "ann lee")
    qtbot.keyClick(section.search, Qt.Key.Key_Return)
    detail = section.detail
    assert detail.name_label.text() == "Ann Lee"
    assert "ann@example.com" in detail.contact_label.text()
    assert detail.notes_label.text() == "Prefers a call"
    assert detail.orders_model.total == 2 and detail.orders_title.text() == "&Orders (2)"
    assert [detail.orders_model.row(i).status for i in range(2)] == ["ready", "partly waiting"]
    waiting = detail.waiting_model.loaded_rows()
    assert [(w.sku, w.waiting, w.eta) for w in waiting] == [("TEA-6", 2, date(2026, 12, 12))]
    eta_cell = detail.waiting_model.index(0, 4).data()
    assert eta_cell == "12 Dec 2026"


def test_new_order_for_this_customer_opens_the_dialog(qtbot: QtBot, ctx: DeskContext) -> None:
    section = open_section(qtbot, ctx)
    section.open_customer(ann_id())
    with qtbot.waitSignal(ctx.new_order) as asked:
        qtbot.mouseClick(section.detail.new_order_button, Qt.MouseButton.LeftButton)
    assert asked.args == [ann_id()]
    dialogs = [d for d in section.findChildren(NewOrderDialog) if d.isVisible()]
    assert len(dialogs) == 1 and dialogs[0].customer_name == "Ann Lee"
    dialogs[0].close()


def test_open_customer_signal_shows_and_selects_them(qtbot: QtBot, ctx: DeskContext) -> None:
    section = open_section(qtbot, ctx)
    bob = Customer.get(Customer.name == "Bob Marsh").id
    ctx.open_customer.emit(bob)
    assert section.detail.name_label.text() == "Bob Marsh"
    assert section.detail.orders_model.total == 0
    selected = section.table.selectionModel().selectedRows()
    assert [section.model.row(i.row()).name for i in selected] == ["Bob Marsh"]


def test_edit_and_add_customer_refresh_the_list(qtbot: QtBot, ctx: DeskContext) -> None:
    section = open_section(qtbot, ctx)
    section.open_customer(ann_id())
    qtbot.mouseClick(section.detail.edit_button, Qt.MouseButton.LeftButton)
    editor = section.detail.editor
    assert editor.name.text() == "Ann Lee" and editor.phone.text() == "0161 496 0000"
    editor.phone.setText("0161 496 0999")
    editor.email.setText("ann at example.com")
    qtbot.mouseClick(editor.buttons.buttons()[0], Qt.MouseButton.LeftButton)
    assert editor.isVisible() and "is not valid" in editor.messages["email"].text()
    assert Customer.get_by_id(ann_id()).phone == "0161 496 0000"  # nothing half-saved
    editor.email.setText("ann@example.com")
    qtbot.mouseClick(editor.buttons.buttons()[0], Qt.MouseButton.LeftButton)
    assert not editor.isVisible()
    assert "0161 496 0999" in section.detail.contact_label.text()
    assert section.model.row(0).phone == "0161 496 0999"

    qtbot.keyClicks(section.search, "Zoe Quinn")
    qtbot.mouseClick(section.add_button, Qt.MouseButton.LeftButton)
    adder = section.editor
    assert adder.name.text() == "Zoe Quinn"
    qtbot.keyClicks(adder.email, "zoe@example.com")
    qtbot.mouseClick(adder.buttons.buttons()[0], Qt.MouseButton.LeftButton)
    assert section.detail.name_label.text() == "Zoe Quinn"
    assert Customer.get(Customer.name == "Zoe Quinn").email == "zoe@example.com"


def test_render_customers(qtbot: QtBot, ctx: DeskContext, tmp_path: Path) -> None:
    section = open_section(qtbot, ctx)
    section.open_customer(ann_id())
    path = tmp_path / "customers.png"
    assert section.grab().save(str(path)) and path.stat().st_size > 0
    if SHOTS.is_dir():
        shutil.copy(path, SHOTS / path.name)
