"""The Backorders section, driven through its real widgets on a real store (SQLite and
PostgreSQL): serving order, aging colours, filters, cancel with a reason, priority, export,
copy contact, and a look at the rendered window."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QComboBox
from pytestqt.qtbot import QtBot

from app import queries
from app.controller import Controller, Decision, OrderItem
from app.models import OrderLine
from app.store import Store
from tests.conftest import FakeClock
from ui.context import DeskContext
from ui.sections.backorders import (
    DAYS,
    EMPTY_TEXT,
    ETA,
    BackordersSection,
)
from ui.theme import age_color, colors


@pytest.fixture
def ctx(store: Store, controller: Controller) -> Iterator[DeskContext]:
    context = DeskContext(store, controller)
    yield context
    context.stop()


def open_section(qtbot: QtBot, ctx: DeskContext, clock: FakeClock) -> BackordersSection:
    section = BackordersSection(ctx, today=lambda: clock().date())
    qtbot.addWidget(section)
    section.resize(1100, 700)
    section.show()
    qtbot.waitExposed(section)
    return section


def wait_for(
    controller: Controller, customer_id: int, product_id: int, qty: int, *, priority: int = 0
) -> int:
    """Place an order the customer waits for; the line id."""
    placed = controller.place_order(
        customer_id,
        [OrderItem(product_id, qty)],
        decisions={product_id: Decision.WAIT},
        priority=priority,
    )
    return placed.lines[0].line_id


def shown(section: BackordersSection) -> list[int]:
    """Line ids in the list, top to bottom."""
    return [row.line_id for row in section.model.loaded_rows()]


def shown_customers(section: BackordersSection) -> list[str]:
    return [row.customer for row in section.model.loaded_rows()]


def test_default_order_is_serving_order_and_header_sort_resets(
    qtbot: QtBot, ctx: DeskContext, controller: Controller, clock: FakeClock
) -> None:
    hinge = controller.add_product(sku="HNG-1", name="Brass hinge")
    ann = controller.add_customer(name="Ann Smith")
    bob = controller.add_customer(name="Bob Jones")
    cara = controller.add_customer(name="Cara Lee")
    first = wait_for(controller, cara.id, hinge.id, 1)
    clock.advance(hours=1)
    second = wait_for(controller, ann.id, hinge.id, 1)
    clock.advance(hours=1)
    urgent = wait_for(controller, bob.id, hinge.id, 1, priority=2)

    section = open_section(qtbot, ctx, clock)
    # Priority first, then time placed: Bob (priority 2) jumps the queue.
    assert shown(section) == [urgent, first, second]
    assert section.serving_action.isChecked()

    header = section.view.horizontalHeader()
    customer_header = QPoint(header.sectionViewportPosition(1) + 5, header.height() // 2)
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=customer_header)
    assert shown_customers(section) == ["Ann Smith", "Bob Jones", "Cara Lee"]
    assert not section.serving_action.isChecked()

    section.serving_action.trigger()
    assert shown(section) == [urgent, first, second]
    assert header.sortIndicatorSection() == -1


def test_aging_colours_at_7_14_and_30_days_and_eta_marks(
    qtbot: QtBot, ctx: DeskContext, controller: Controller, clock: FakeClock
) -> None:
    hinge = controller.add_product(sku="HNG-1", name="Brass hinge")
    knob = controller.add_product(sku="KNB-1", name="Oak knob")
    ann = controller.add_customer(name="Ann Smith")
    start = clock().date()
    oldest = wait_for(controller, ann.id, hinge.id, 1)
    clock.advance(days=16)
    fortnight = wait_for(controller, ann.id, hinge.id, 1)
    clock.advance(days=7)
    week = wait_for(controller, ann.id, hinge.id, 1)
    clock.advance(days=1)
    fresh = wait_for(controller, ann.id, knob.id, 1)
    clock.advance(days=6)  # today: 30 days after the first order
    supplier = controller.supplier_named("Hafele")
    # Covers the first two hinge lines; its date is already behind us.
    controller.add_purchase_order(
        supplier_id=supplier.id, expected=start + timedelta(days=25), items=[OrderItem(hinge.id, 2)]
    )

    section = open_section(qtbot, ctx, clock)
    assert shown(section) == [oldest, fortnight, week, fresh]
    model = section.model

    def cell(row: int, column: int, role: Qt.ItemDataRole = Qt.ItemDataRole.DisplayRole) -> object:
        return model.data(model.index(row, column), role)

    assert [cell(r, DAYS) for r in range(4)] == ["30 days", "14 days", "7 days", "6 days"]
    backgrounds = [cell(r, DAYS, Qt.ItemDataRole.BackgroundRole) for r in range(4)]
    expected = [age_color(30), age_color(14), age_color(7)]
    assert [brush.color() for brush in backgrounds[:3]] == expected  # type: ignore[union-attr]
    assert len(set(c.name(c.NameFormat.HexArgb) for c in expected)) == 3  # type: ignore[arg-type]
    assert backgrounds[3] is None

    # The PO date has passed: overdue, in the error colour; a line no PO covers has no date.
    overdue = cell(0, ETA)
    assert isinstance(overdue, str) and overdue.endswith("overdue")
    assert cell(0, ETA, Qt.ItemDataRole.ForegroundRole) == colors().error
    assert cell(2, ETA) == "no date yet"


def test_filters_by_product_customer_age_and_search(
    qtbot: QtBot, ctx: DeskContext, controller: Controller, clock: FakeClock
) -> None:
    hinge = controller.add_product(sku="HNG-1", name="Brass hinge")
    knob = controller.add_product(sku="KNB-1", name="Oak knob")
    ann = controller.add_customer(name="Ann Smith", email="ann@example.com")
    dieter = controller.add_customer(name="Dieter Müller", phone="030 901820")
    old_hinge = wait_for(controller, ann.id, hinge.id, 2)
    clock.advance(days=10)
    ann_knob = wait_for(controller, ann.id, knob.id, 1)
    dieter_hinge = wait_for(controller, dieter.id, hinge.id, 3)
    clock.advance(days=5)  # ages: 15, 5, 5 days

    section = open_section(qtbot, ctx, clock)
    assert len(shown(section)) == 3

    # Product: type part of the name, pick the suggestion from the pop-up.
    field = section.product_field
    field.setFocus()
    qtbot.waitUntil(field.hasFocus)
    qtbot.keyClicks(field, "bras")
    popup = field.completer_.popup()
    qtbot.waitUntil(popup.isVisible)
    assert field.suggestions.stringList() == ["HNG-1 — Brass hinge"]
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: shown(section) == [old_hinge, dieter_hinge])

    # Customer, on top of the product: Enter picks the only match.
    customer = section.customer_field
    customer.setFocus()
    qtbot.keyClicks(customer, "901820")
    qtbot.keyClick(customer, Qt.Key.Key_Return)
    assert customer.text() == "Dieter Müller (030 901820)"
    assert shown(section) == [dieter_hinge]

    section.clear_filters()
    assert len(shown(section)) == 3

    # Age: 14 days or more keeps only the oldest line.
    age: QComboBox = section.age_box
    age.setCurrentIndex(age.findData(14))
    assert shown(section) == [old_hinge]
    age.setCurrentIndex(age.findData(0))

    # Search: typing filters after a short pause (e-mail, then an order number).
    qtbot.keyClicks(section.search, "ann@")
    qtbot.waitUntil(lambda: shown(section) == [old_hinge, ann_knob])
    section.search.clear()
    order_id = OrderLine.get_by_id(dieter_hinge).order_id
    qtbot.keyClicks(section.search, str(order_id))
    qtbot.waitUntil(lambda: shown(section) == [dieter_hinge])
    assert "1 waiting line" in section.count_label.text()

    # Nothing matches: the list says so and offers to clear the filters.
    section.search.setText("no such thing")
    section.apply_search_now()
    assert section.stack.currentIndex() == 1
    assert section.empty_label.text() == "No waiting line matches these filters."
    assert section.clear_button.isVisible()
    qtbot.mouseClick(section.clear_button, Qt.MouseButton.LeftButton)
    assert len(shown(section)) == 3


def test_empty_store_explains_itself(qtbot: QtBot, ctx: DeskContext, clock: FakeClock) -> None:
    section = open_section(qtbot, ctx, clock)
    assert section.stack.currentIndex() == 1
    assert section.empty_label.text() == EMPTY_TEXT
    assert not section.clear_button.isVisible()
    assert not section.export_action.isEnabled()
    assert not section.cancel_action.isEnabled()


def test_cancel_gives_the_released_stock_to_the_next_customer(
    qtbot: QtBot, ctx: DeskContext, controller: Controller, clock: FakeClock
) -> None:
    hinge = controller.add_product(sku="HNG-1", name="Brass hinge")
    ann = controller.add_customer(name="Ann Smith")
    bob = controller.add_customer(name="Bob Jones")
    controller.adjust_stock(hinge.id, 2, reason="opening count")
    ann_line = wait_for(controller, ann.id, hinge.id, 5)  # 2 reserved, 3 waiting
    clock.advance(hours=1)
    bob_line = wait_for(controller, bob.id, hinge.id, 2)  # 2 waiting
    ann_order = OrderLine.get_by_id(ann_line).order_id
    bob_order = OrderLine.get_by_id(bob_line).order_id

    section = open_section(qtbot, ctx, clock)
    assert shown(section) == [ann_line, bob_line]
    section.view.setFocus()
    qtbot.waitUntil(section.view.hasFocus)
    section.select_lines([ann_line])
    qtbot.keyClick(section.view, Qt.Key.Key_Delete)
    dialog = section.cancel_dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    summary = dialog.summary()
    assert (
        f"Cancels 3 waiting + 2 reserved units of Brass hinge for Ann Smith (order {ann_order})."
        in summary
    )
    assert f"Bob Jones (order {bob_order}) gets 2 units of Brass hinge: ready to pick." in summary
    # The preview wrote nothing.
    assert OrderLine.get_by_id(ann_line).qty_reserved == 2

    # No reason: refused, in words, next to the field; nothing cancelled.
    qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert "Reason is required" in dialog.error_label.text()
    assert OrderLine.get_by_id(ann_line).qty_waiting == 3

    qtbot.keyClicks(dialog.reason_box, "Found it elsewhere")
    qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()

    ann_after = OrderLine.get_by_id(ann_line)
    bob_after = OrderLine.get_by_id(bob_line)
    assert (ann_after.qty_cancelled, ann_after.cancel_reason) == (5, "Found it elsewhere")
    assert (bob_after.qty_reserved, bob_after.qty_waiting) == (2, 0)  # ready to pick
    assert f"Bob Jones (order {bob_order}) got 2 units of Brass hinge" in section.message.text()
    assert shown(section) == []  # nobody waits any more
    assert section.empty_label.text() == EMPTY_TEXT


def test_cancel_several_lines_with_one_confirmation(
    qtbot: QtBot, ctx: DeskContext, controller: Controller, clock: FakeClock
) -> None:
    hinge = controller.add_product(sku="HNG-1", name="Brass hinge")
    names = ["Ann Smith", "Bob Jones", "Cara Lee"]
    lines = [wait_for(controller, controller.add_customer(name=n).id, hinge.id, 1) for n in names]
    section = open_section(qtbot, ctx, clock)
    section.select_lines(lines[:2])
    section.cancel_action.trigger()
    dialog = section.cancel_dialog
    assert dialog is not None
    assert dialog.confirm_button.text() == "Cancel 2 lines"
    assert "No stock is released" in dialog.summary()
    dialog.reason_box.setEditText("Waited too long")
    dialog.confirm()
    assert shown(section) == [lines[2]]
    assert [OrderLine.get_by_id(line).qty_cancelled for line in lines] == [1, 1, 0]
    # The selection moves to the line now in the cancelled lines' place.
    assert [row.line_id for row in section.selected_rows()] == [lines[2]]


def test_raise_and_lower_priority_move_the_line(
    qtbot: QtBot, ctx: DeskContext, controller: Controller, clock: FakeClock
) -> None:
    hinge = controller.add_product(sku="HNG-1", name="Brass hinge")
    lines = []
    for name in ("Ann Smith", "Bob Jones", "Cara Lee"):
        lines.append(wait_for(controller, controller.add_customer(name=name).id, hinge.id, 1))
        clock.advance(minutes=5)
    section = open_section(qtbot, ctx, clock)
    section.view.setFocus()
    qtbot.waitUntil(section.view.hasFocus)
    section.select_lines([lines[2]])

    qtbot.keyClick(section.view, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    assert shown(section) == [lines[2], lines[0], lines[1]]
    assert OrderLine.get_by_id(lines[2]).priority == 1
    assert [row.line_id for row in section.selected_rows()] == [lines[2]]  # still selected

    qtbot.keyClick(section.view, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(section.view, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)
    assert OrderLine.get_by_id(lines[2]).priority == -1
    assert shown(section) == [lines[0], lines[1], lines[2]]

    # The engine's range is kept: nothing changes past it, and the message says why.
    controller.set_priority(lines[0], 100)
    ctx.notify_changed()
    section.select_lines([lines[0], lines[1]])
    section.raise_action.trigger()
    assert "out of range" in section.message.text()
    assert [OrderLine.get_by_id(line).priority for line in lines[:2]] == [100, 0]


def test_set_priority_dialog(
    qtbot: QtBot, ctx: DeskContext, controller: Controller, clock: FakeClock
) -> None:
    hinge = controller.add_product(sku="HNG-1", name="Brass hinge")
    lines = [
        wait_for(controller, controller.add_customer(name=n).id, hinge.id, 1)
        for n in ("Ann Smith", "Bob Jones", "Cara Lee")
    ]
    section = open_section(qtbot, ctx, clock)
    section.select_lines(lines[1:])
    section.set_priority_action.trigger()
    dialog = section.priority_dialog
    dialog.spin.setValue(5)
    dialog.confirm()
    assert [OrderLine.get_by_id(line).priority for line in lines] == [0, 5, 5]
    assert shown(section) == [lines[1], lines[2], lines[0]]


def test_open_order_and_copy_contact(
    qtbot: QtBot, ctx: DeskContext, controller: Controller, clock: FakeClock
) -> None:
    hinge = controller.add_product(sku="HNG-1", name="Brass hinge")
    ann = controller.add_customer(name="Ann Smith", email="ann@example.com", phone="020 7946 0018")
    bob = controller.add_customer(name="Bob Jones", phone="07700 900123")
    ann_line = wait_for(controller, ann.id, hinge.id, 1)
    wait_for(controller, bob.id, hinge.id, 1)
    wait_for(controller, ann.id, hinge.id, 2)
    section = open_section(qtbot, ctx, clock)
    section.view.setFocus()
    qtbot.waitUntil(section.view.hasFocus)
    section.select_lines([ann_line])

    with qtbot.waitSignal(ctx.open_order) as opened:
        qtbot.keyClick(section.view, Qt.Key.Key_Return)
    assert opened.args == [OrderLine.get_by_id(ann_line).order_id]

    qtbot.keyClick(
        section.view,
        Qt.Key.Key_C,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert QGuiApplication.clipboard().text() == "Ann Smith\nann@example.com\n020 7946 0018"

    # Several lines: each customer once.
    section.view.selectAll()
    section.copy_action.trigger()
    assert QGuiApplication.clipboard().text() == (
        "Ann Smith\nann@example.com\n020 7946 0018\n\nBob Jones\n07700 900123"
    )
    assert "2 contacts" in section.message.text()


def test_export_writes_every_row_of_the_filtered_sorted_view(
    qtbot: QtBot,
    ctx: DeskContext,
    controller: Controller,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    hinge = controller.add_product(sku="HNG-1", name="Brass hinge")
    knob = controller.add_product(sku="KNB-1", name="Oak knob")
    customers = [controller.add_customer(name=f"Customer {n:03d}").id for n in range(130)]
    for number, customer_id in enumerate(customers):
        wait_for(controller, customer_id, hinge.id if number % 13 else knob.id, 1 + number % 3)
        clock.advance(minutes=1)
    section = open_section(qtbot, ctx, clock)
    section.product_field.set_choice(
        next(c for c in section.product_field.lookup("HNG") if c.id == hinge.id)
    )
    section.view.horizontalHeader().setSortIndicator(1, Qt.SortOrder.DescendingOrder)
    assert section.model.total == 120
    assert section.model.rowCount() < 120  # only the first page is loaded

    target = tmp_path / "backorders.csv"
    with qtbot.waitSignal(section.exported, timeout=20_000) as finished:
        section.export_to(str(target))
    assert finished.args == [str(target), 120]
    assert "Exported 120 lines" in section.message.text()
    assert not section.progress.isVisible()

    with target.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    expected = queries.backorders(product_id=hinge.id, sort="customer", descending=True, limit=None)
    assert [(int(r["Order"]), r["Customer"], r["SKU"]) for r in rows] == [
        (e.order_id, e.customer, "HNG-1") for e in expected
    ]
    assert rows[0]["Customer"] == "Customer 129"
    loaded = section.model.loaded_rows()
    assert [int(r["Order"]) for r in rows[: len(loaded)]] == [row.order_id for row in loaded]


def test_export_failure_is_reported(
    qtbot: QtBot, ctx: DeskContext, controller: Controller, clock: FakeClock, tmp_path: Path
) -> None:
    hinge = controller.add_product(sku="HNG-1", name="Brass hinge")
    wait_for(controller, controller.add_customer(name="Ann Smith").id, hinge.id, 1)
    section = open_section(qtbot, ctx, clock)
    with qtbot.waitSignal(section.export_failed, timeout=20_000) as failed:
        section.export_to(str(tmp_path / "no such folder" / "out.csv"))
    assert "Could not write" in failed.args[0]
    assert "Could not write" in section.message.text()
    assert section.export_action.isEnabled()


def test_preview_cancel_writes_nothing(controller: Controller) -> None:
    hinge = controller.add_product(sku="HNG-1", name="Brass hinge")
    ann = controller.add_customer(name="Ann Smith")
    bob = controller.add_customer(name="Bob Jones")
    controller.adjust_stock(hinge.id, 1, reason="count")
    ann_line = wait_for(controller, ann.id, hinge.id, 2)
    bob_line = wait_for(controller, bob.id, hinge.id, 1)
    before = queries.last_change()
    preview = controller.preview_cancel([ann_line])
    assert [f.line_id for f in preview[0].fulfilled] == [bob_line]
    assert queries.last_change() == before
    assert OrderLine.get_by_id(ann_line).qty_reserved == 1
    assert OrderLine.get_by_id(bob_line).qty_waiting == 1


def test_section_renders_with_realistic_data(
    qtbot: QtBot, ctx: DeskContext, controller: Controller, clock: FakeClock, tmp_path: Path
) -> None:
    supplier = controller.supplier_named("Hafele", lead_time_days=10)
    hinge = controller.add_product(sku="HNG-001", name="Brass hinge 75 mm", price_cents=499)
    knob = controller.add_product(sku="KNB-204", name="Oak cabinet knob", price_cents=250)
    rail = controller.add_product(sku="RAL-900", name="Curtain rail, white, 2 m", price_cents=1999)
    controller.adjust_stock(hinge.id, 2, reason="count")
    people = [
        ("Ann Smith", "ann.smith@example.com", "020 7946 0018"),
        ("Bob Jones", "bob@jones.example", None),
        ("Cara Lee", None, "07700 900123"),
        ("Dieter Müller", "dieter.mueller@example.de", "+49 30 901820"),
    ]
    ids = [controller.add_customer(name=n, email=e, phone=p).id for n, e, p in people]
    for number, (product, qty) in enumerate(
        [(hinge, 5), (hinge, 2), (knob, 4), (rail, 1), (knob, 10), (rail, 2)]
    ):
        wait_for(controller, ids[number % 4], product.id, qty)
        clock.advance(days=6, hours=3)
    controller.add_purchase_order(
        supplier_id=supplier.id,
        expected=clock().date() + timedelta(days=12),
        items=[OrderItem(hinge.id, 6)],
    )
    controller.add_purchase_order(
        supplier_id=supplier.id,
        expected=clock().date() - timedelta(days=3),
        items=[OrderItem(knob.id, 4)],
    )
    section = open_section(qtbot, ctx, clock)
    picture = section.grab()
    assert picture.save(str(tmp_path / "backorders.png"))
    assert (picture.width(), picture.height()) == (1100, 700)

    section.select_lines([section.model.row(0).line_id])
    section.cancel_selected()
    dialog = section.cancel_dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    assert dialog.grab().save(str(tmp_path / "cancel_backorder.png"))
    dialog.reject()
    # Every action is reachable from the keyboard and says its shortcut.
    for action in section.section_actions():
        assert (
            action.shortcut().toString()
            and action.shortcut().toString(action.shortcut().SequenceFormat.NativeText)
            in action.toolTip()
        )


def test_context_menu_offers_the_actions(qtbot: QtBot, ctx: DeskContext, clock: FakeClock) -> None:
    section = open_section(qtbot, ctx, clock)
    texts = [a.text() for a in section.context_menu().actions() if not a.isSeparator()]
    assert "&Cancel backorder…" in texts and "Copy c&ontact" in texts and "&Open order" in texts


def test_changes_from_elsewhere_show_up(
    qtbot: QtBot, ctx: DeskContext, controller: Controller, clock: FakeClock
) -> None:
    section = open_section(qtbot, ctx, clock)
    hinge = controller.add_product(sku="HNG-1", name="Brass hinge")
    line = wait_for(controller, controller.add_customer(name="Ann Smith").id, hinge.id, 1)
    ctx.poll()  # what the 2-second timer does
    assert shown(section) == [line]
    assert section.stack.currentIndex() == 0
