"""Reorder suggestions, overdue purchase orders and honest ETAs in the windows, driven
through the real widgets on a real store (SQLite, and PostgreSQL when configured).

Each view is also rendered to PNG with realistic data (under pytest's tmp_path, and under
``$BACKORDER_DESK_SHOTS`` when set, for a person to look at).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QApplication, QPushButton
from pytestqt.qtbot import QtBot

from app.controller import Controller, Decision, OrderItem
from app.models import CustomerMessage, PurchaseOrder
from app.store import Store
from tests.conftest import FakeClock
from tests.shots import save_shot
from ui.context import DeskContext
from ui.dialogs.delay_po import DelayDialog
from ui.dialogs.po_editor import PurchaseOrderEditor
from ui.dialogs.reorder import ACTION_COLUMN, BUY_COLUMN, ReorderDialog
from ui.sections.backorders import ETA, BackordersSection
from ui.sections.purchase_orders import PurchaseOrdersSection

TODAY = date(2026, 11, 2)


@pytest.fixture
def ctx(store: Store, controller: Controller, qtbot: QtBot) -> Iterator[DeskContext]:
    context = DeskContext(store, controller)
    context.stop()
    yield context


@dataclass
class Shop:
    """A hardware shop two weeks into November: ids of what the tests act on."""

    hafele: int
    brass: int
    late_po: int
    next_po: int
    lines: dict[str, int]


@pytest.fixture
def shop(controller: Controller, clock: FakeClock) -> Shop:
    hafele = controller.supplier_named("Häfele UK", lead_time_days=10).id
    brass = controller.supplier_named("Brass & Co Wholesale", lead_time_days=21).id
    made = {}
    for sku, name, supplier, point, stock in [
        ("HNG-075", "Brass butt hinge 75 mm", hafele, 10, 4),
        ("HNG-100", "Brass butt hinge 100 mm", hafele, 6, 0),
        ("KNB-204", "Oak cabinet knob", hafele, 20, 25),
        ("RAL-900", "Curtain rail, white, 2 m", brass, 2, 0),
        ("SCR-440", "Wood screw 4 x 40 mm, box of 200", brass, 5, 1),
        ("GLU-001", "Wood glue 250 ml", None, 3, 0),
    ]:
        made[sku] = int(
            controller.add_product(
                sku=sku, name=name, price_cents=499, reorder_point=point, supplier_id=supplier
            ).id
        )
        if stock:
            controller.adjust_stock(made[sku], stock, reason="count")
    people = {
        name: int(controller.add_customer(name=name, email=email, phone=phone).id)
        for name, email, phone in [
            ("Ann Smith", "ann.smith@example.com", "020 7946 0018"),
            ("Bob Jones", "bob@jones.example", None),
            ("Cara Lee", None, "07700 900123"),
            ("Dieter Müller", "dieter.mueller@example.de", "+49 30 901820"),
        ]
    }
    late = controller.add_purchase_order(
        supplier_id=hafele,
        expected=date(2026, 11, 6),
        items=[OrderItem(made["HNG-075"], 8), OrderItem(made["HNG-100"], 4)],
    ).id
    following = controller.add_purchase_order(
        supplier_id=hafele, expected=date(2026, 11, 20), items=[OrderItem(made["HNG-075"], 12)]
    ).id
    lines: dict[str, int] = {}
    for who, sku, qty in [
        ("Ann Smith", "HNG-075", 9),
        ("Bob Jones", "HNG-075", 3),
        ("Cara Lee", "HNG-100", 2),
        ("Dieter Müller", "HNG-075", 6),
        ("Bob Jones", "RAL-900", 1),
        ("Ann Smith", "GLU-001", 2),
    ]:
        clock.advance(hours=5)
        placed = controller.place_order(
            people[who], [OrderItem(made[sku], qty)], decisions={made[sku]: Decision.WAIT}
        )
        lines[f"{who.split()[0]} {sku}"] = placed.lines[0].line_id
    clock.advance(days=6)  # 9 Nov: the first Häfele PO is three days late
    return Shop(hafele=hafele, brass=brass, late_po=late, next_po=following, lines=lines)


def open_section(qtbot: QtBot, ctx: DeskContext) -> PurchaseOrdersSection:
    section = PurchaseOrdersSection(ctx)
    qtbot.addWidget(section)
    section.resize(1100, 700)
    section.show()
    qtbot.waitExposed(section)
    return section


def eta_messages() -> list[CustomerMessage]:
    return list(
        CustomerMessage.select()
        .where(CustomerMessage.event == "eta_changed")
        .order_by(CustomerMessage.id)
    )


# ------------------------------------------------------------------ reorder


def test_reorder_suggestions_per_supplier_and_a_draft_from_one_click(
    qtbot: QtBot, ctx: DeskContext, controller: Controller, shop: Shop, tmp_path: Path
) -> None:
    section = open_section(qtbot, ctx)
    assert "Ctrl+G" in section.reorder_button.toolTip()
    section.reorder_action.trigger()
    dialog = section.reorder_dialog
    assert isinstance(dialog, ReorderDialog)
    qtbot.waitExposed(dialog)
    tree = dialog.tree
    groups = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    # Häfele: HNG-075 14 waiting + 10 - 0 - 20 incoming = 4; HNG-100 2 + 6 - 0 - 4 = 4.
    # Brass & Co: RAL-900 1 + 2 = 3; SCR-440 5 - 1 = 4. No supplier: GLU-001 2 + 3 = 5.
    assert [(g.text(0), g.text(BUY_COLUMN)) for g in groups if g is not None] == [
        ("Brass & Co Wholesale · usual lead time 21 days · 2 products", "7"),
        ("Häfele UK · usual lead time 10 days · 2 products", "8"),
        ("No supplier set · 1 product", "5"),
    ]
    hafele = groups[1]
    assert hafele is not None
    assert [hafele.child(i).text(0) for i in range(hafele.childCount())] == [
        "HNG-075 — Brass butt hinge 75 mm",
        "HNG-100 — Brass butt hinge 100 mm",
    ]
    assert [hafele.child(0).text(c) for c in range(1, BUY_COLUMN + 1)] == [
        "14", "10", "0", "20", "0", "4",
    ]  # fmt: skip
    no_supplier = groups[2]
    assert no_supplier is not None
    assert not isinstance(tree.itemWidget(no_supplier, ACTION_COLUMN), QPushButton)
    save_shot(dialog, tmp_path, "reorder")

    with qtbot.waitSignal(dialog.draft_created) as made:
        qtbot.mouseClick(dialog.create_buttons[shop.hafele], Qt.MouseButton.LeftButton)
    draft = PurchaseOrder.get_by_id(made.args[0])
    assert (draft.status, draft.supplier_id) == ("draft", shop.hafele)
    assert draft.expected_date == date(2026, 11, 19)  # 9 Nov + 10 days
    assert sorted((line.product.sku, line.qty_ordered) for line in draft.lines) == [
        ("HNG-075", 4),
        ("HNG-100", 4),
    ]
    assert "Draft purchase order" in dialog.message.text() and "8 units" in dialog.message.text()
    assert [
        tree.topLevelItem(i).text(0).split(" ·")[0] for i in range(tree.topLevelItemCount())
    ] == [  # type: ignore[union-attr]
        "Brass & Co Wholesale",
        "No supplier set",
    ]
    save_shot(dialog, tmp_path, "reorder_after_draft")
    # The keyboard way: select the supplier's row, Ctrl+D.
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    tree.setCurrentItem(tree.topLevelItem(0))
    qtbot.keyClick(tree, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert PurchaseOrder.select().where(PurchaseOrder.status == "draft").count() == 2
    assert tree.topLevelItemCount() == 1 and not dialog.create_selected_button.isEnabled()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()

    # The drafts are listed, marked, and confirmed from the section.
    section.status_box.setCurrentIndex(section.status_box.findText("Draft"))
    assert section.model.total == 2
    assert section.select_po(draft.id)
    assert section.model.index(section.table.currentIndex().row(), 3).data() == "Draft · not sent"
    assert section.waiting.confirm_button.isVisible()
    assert not section.waiting.delay_button.isVisible()
    with qtbot.waitSignal(ctx.changed):
        qtbot.mouseClick(section.waiting.confirm_button, Qt.MouseButton.LeftButton)
    assert PurchaseOrder.get_by_id(draft.id).status == "open"
    assert "is confirmed" in section.message.text()


def test_a_draft_is_saved_and_confirmed_from_the_editor(
    qtbot: QtBot, ctx: DeskContext, controller: Controller, shop: Shop, tmp_path: Path
) -> None:
    draft = controller.create_reorder_draft(shop.brass)
    section = open_section(qtbot, ctx)
    section.status_box.setCurrentIndex(section.status_box.findText("Draft"))
    assert section.select_po(draft.id)
    editor = section.edit_selected()
    assert isinstance(editor, PurchaseOrderEditor)
    qtbot.waitExposed(editor)
    assert editor.confirm_button.isVisible() and "Draft" in editor.windowTitle()
    assert "do not count as incoming" in editor.status_label.text()
    save_shot(editor, tmp_path, "reorder_draft_editor")
    editor.expected.setDate(QDate(2026, 11, 1))  # already past: refused next to the date
    qtbot.mouseClick(editor.confirm_button, Qt.MouseButton.LeftButton)
    assert "has passed" in editor.expected_message.text()
    assert PurchaseOrder.get_by_id(draft.id).status == "draft"
    assert PurchaseOrder.get_by_id(draft.id).expected_date == date(2026, 11, 30)

    editor.expected.setDate(QDate(2026, 11, 25))
    editor.set_quantity(0, "6")
    with qtbot.waitSignal(ctx.changed):
        qtbot.mouseClick(editor.confirm_button, Qt.MouseButton.LeftButton)
    saved = PurchaseOrder.get_by_id(draft.id)
    assert (saved.status, saved.expected_date) == ("open", date(2026, 11, 25))
    assert sorted((line.product.sku, line.qty_ordered) for line in saved.lines) == [
        ("RAL-900", 6),
        ("SCR-440", 4),
    ]


# ------------------------------------------------------------------ overdue


def test_an_overdue_po_shows_who_waits_on_it_and_a_delay_tells_them(
    qtbot: QtBot, ctx: DeskContext, controller: Controller, shop: Shop, tmp_path: Path
) -> None:
    section = open_section(qtbot, ctx)
    assert section.select_po(shop.late_po)
    panel = section.waiting
    # HNG-075 waits: Ann 5 (4 of her 9 were on the shelf), Bob 3, Dieter 6. The late PO's
    # 8 cover Ann and Bob; its 4 HNG-100 cover Cara's 2.
    assert panel.title.text() == (
        f"PO {shop.late_po} from Häfele UK is overdue by 3 days: 3 lines of 3 customers wait on it."
    )
    table, model = panel.table, panel.model
    rows = [[model.index(r, c).data() for c in range(7)] for r in range(model.rowCount())]
    assert [(r[1], r[3], r[4], r[5], r[6]) for r in rows] == [
        ("Ann Smith", "HNG-075 — Brass butt hinge 75 mm", "5", "5", "06 Nov 2026"),
        ("Bob Jones", "HNG-075 — Brass butt hinge 75 mm", "3", "3", "06 Nov 2026"),
        ("Cara Lee", "HNG-100 — Brass butt hinge 100 mm", "2", "2", "06 Nov 2026"),
    ]
    assert rows[2][2] == "07700 900123"
    assert "Delay" in panel.hint.text() and panel.delay_button.isVisible()
    save_shot(section, tmp_path, "overdue")
    with qtbot.waitSignal(ctx.open_order) as opened:
        table.setCurrentIndex(model.index(2, 0))
        table.activated.emit(table.currentIndex())
    assert opened.args == [OrderIdOf(shop.lines["Cara HNG-100"])]

    # The next PO (20 Nov) brings units 9-20: Dieter's 6.
    assert section.select_po(shop.next_po)
    assert (
        panel.title.text()
        == f"1 line of 1 customer waits on PO {shop.next_po} (expected 20 Nov 2026)."
    )

    # Häfele promises 19 Nov: Ann, Bob and Cara (told 6 Nov) move later and are told;
    # Dieter keeps 20 Nov.
    assert section.select_po(shop.late_po)
    qtbot.mouseClick(panel.delay_button, Qt.MouseButton.LeftButton)
    dialog = section.delay_dialog
    assert isinstance(dialog, DelayDialog)
    qtbot.waitExposed(dialog)
    dialog.date_edit.setDate(QDate(2026, 11, 8))  # before today: refused, nothing changes
    qtbot.mouseClick(dialog.delay_button, Qt.MouseButton.LeftButton)
    assert "has already passed" in dialog.date_message.text() and dialog.isVisible()
    dialog.date_edit.setDate(QDate(2026, 11, 19))
    save_shot(dialog, tmp_path, "overdue_delay")
    with qtbot.waitSignal(ctx.changed):
        qtbot.mouseClick(dialog.delay_button, Qt.MouseButton.LeftButton)
    assert PurchaseOrder.get_by_id(shop.late_po).expected_date == date(2026, 11, 19)
    told = {m.customer.name for m in eta_messages()}
    assert told == {"Ann Smith", "Bob Jones", "Cara Lee"} and len(eta_messages()) == 3
    assert section.message.text() == (
        f"PO {shop.late_po} is now expected on 19 Nov 2026. 3 customers will be told of a "
        "later date (3 lines)."
    )
    assert not section.model.row(section.table.currentIndex().row()).overdue
    save_shot(section, tmp_path, "overdue_after_delay")


def OrderIdOf(line_id: int) -> int:  # noqa: N802 - reads as a phrase in the assertion
    from app.models import OrderLine

    return int(OrderLine.get_by_id(line_id).order_id)


# ---------------------------------------------------------------- backorders


def test_backorder_list_marks_moved_dates_and_estimates(
    qtbot: QtBot, ctx: DeskContext, controller: Controller, shop: Shop, tmp_path: Path
) -> None:
    controller.delay_purchase_order(shop.late_po, date(2026, 11, 19))
    section = BackordersSection(ctx, today=lambda: date(2026, 11, 9))
    qtbot.addWidget(section)
    section.resize(1100, 700)
    section.show()
    qtbot.waitExposed(section)
    model = section.model
    by_line = {model.row(r).line_id: r for r in range(model.rowCount())}

    def eta_cell(key: str, role: Qt.ItemDataRole = Qt.ItemDataRole.DisplayRole) -> object:
        return model.data(model.index(by_line[shop.lines[key]], ETA), role)

    assert eta_cell("Cara HNG-100") == "19 Nov (was 6 Nov)"
    assert eta_cell("Ann HNG-075") == "19 Nov (was 6 Nov)"
    assert eta_cell("Dieter HNG-075") == "20 Nov"
    tip = eta_cell("Cara HNG-100", Qt.ItemDataRole.ToolTipRole)
    assert isinstance(tip, str) and "ETA moved later" in tip and "06 Nov 2026" in tip
    # No PO for the rail: Brass & Co usually take 21 days. The glue has no supplier.
    assert eta_cell("Bob RAL-900") == "~30 Nov (estimate)"
    assert "Estimate only" in str(eta_cell("Bob RAL-900", Qt.ItemDataRole.ToolTipRole))
    assert eta_cell("Ann GLU-001") == "no date yet"
    save_shot(section, tmp_path, "backorders_eta_marks")


def test_the_wait_or_cancel_prompt_shows_the_estimate_marked_as_such(
    controller: Controller, shop: Shop
) -> None:
    from app.errors import ShortageDecisionNeeded
    from ui.dialogs.wait_or_cancel import eta_text

    rail = controller.find_product("RAL-900").id
    ann = controller.find_customer("Ann Smith").id
    with pytest.raises(ShortageDecisionNeeded) as asked:
        controller.place_order(ann, [OrderItem(rail, 2)])
    (short,) = asked.value.shortages
    assert eta_text(short) == "about 30 Nov 2026 (estimate: supplier lead time 21 days)"
    assert "no delivery is booked yet" in short.sentence()
    assert short.estimate == TODAY + timedelta(days=7 + 21)
