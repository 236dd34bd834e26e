"""The Orders section and the order detail, driven through real widgets on a real store.

The shop has one order in each status (``tests.test_order_queries.build_shop``); the
tests read what a clerk would read (the list's Status column, the detail's cells and
history) and check the store afterwards through ``app`` code.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, Qt
from pytestqt.qtbot import QtBot

from app.controller import Controller
from app.models import CustomerMessage, OrderLine, StockMovement
from app.order_queries import OrderStatus, order_detail
from app.store import Store
from tests.conftest import FakeClock
from tests.shots import save_shot
from tests.test_order_queries import EXPECTED, build_shop
from ui.context import DeskContext
from ui.dialogs.order_detail import LINE_COLUMNS, OrderDetailView
from ui.dialogs.po_editor import PurchaseOrderEditor
from ui.sections.orders import COLUMNS, OrdersSection
from ui.sections.purchase_orders import PurchaseOrdersSection

STATUS_COLUMN = [column.title for column in COLUMNS].index("Status")
ETA = LINE_COLUMNS.index("ETA")
DECISION = LINE_COLUMNS.index("Decision")


@pytest.fixture
def ctx(store: Store, controller: Controller, qtbot: QtBot) -> Iterator[DeskContext]:
    context = DeskContext(store, controller)
    context.stop()  # the tests notify by hand; no poll firing mid-test
    yield context


@pytest.fixture
def shop(controller: Controller, clock: FakeClock) -> dict[str, int]:
    return build_shop(controller, clock)


def open_section(qtbot: QtBot, ctx: DeskContext) -> OrdersSection:
    section = OrdersSection(ctx)
    qtbot.addWidget(section)
    section.resize(1100, 700)
    section.show()
    qtbot.waitExposed(section)
    return section


def shown_statuses(section: OrdersSection) -> dict[int, str]:
    model = section.model
    return {
        model.row(row).order_id: model.index(row, STATUS_COLUMN).data()
        for row in range(model.rowCount())
    }


def line_cells(detail: OrderDetailView, column: int) -> list[str]:
    table = detail.lines_table
    return [table.item(row, column).text() for row in range(table.rowCount())]  # type: ignore[union-attr]


def select_line(detail: OrderDetailView, sku: str) -> None:
    row = line_cells(detail, 0).index(sku)
    detail.lines_table.selectRow(row)


def test_every_order_shows_the_status_its_lines_give(
    qtbot: QtBot, ctx: DeskContext, shop: dict[str, int]
) -> None:
    section = open_section(qtbot, ctx)
    shown = shown_statuses(section)
    assert len(shown) == len(shop)
    for status, names in EXPECTED.items():
        for name in names:
            assert shown[shop[name]] == str(status).capitalize(), name
    assert section.count_label.text() == f"{len(shop)} orders"


def test_filter_by_status_and_search_by_customer_or_number(
    qtbot: QtBot, ctx: DeskContext, shop: dict[str, int]
) -> None:
    section = open_section(qtbot, ctx)
    section.status_box.setCurrentIndex(section.status_box.findData(str(OrderStatus.OPEN)))
    qtbot.waitUntil(lambda: section.model.total == 2)
    assert set(shown_statuses(section)) == {shop["open"], shop["shipped_then_waiting"]}
    assert section.count_label.text() == "2 orders"

    section.status_box.setCurrentIndex(0)
    section.focus_search()
    qtbot.keyClicks(section.search, "bob")
    qtbot.waitUntil(lambda: section.model.total == 3)  # after the typing pause
    assert {section.model.row(r).customer for r in range(3)} == {"Bob Baker"}

    section.search.clear()
    qtbot.keyClicks(section.search, f"#{shop['cancelled']}")
    qtbot.keyClick(section.search, Qt.Key.Key_Return)
    assert shown_statuses(section) == {shop["cancelled"]: "Cancelled"}


def test_detail_shows_decisions_with_staff_name_etas_and_history(
    qtbot: QtBot, ctx: DeskContext, shop: dict[str, int], tmp_path: Path
) -> None:
    section = open_section(qtbot, ctx)
    ctx.open_order.emit(shop["partly"])
    detail = section.detail
    assert detail.title.text() == f"Order {shop['partly']} · Partly waiting"
    assert "Bob Baker" in detail.customer_label.text()
    assert "555 0100" in detail.customer_label.text()
    assert detail.placed_label.text().endswith(" by Admin")
    assert line_cells(detail, 0) == ["BOLT-10", "NUT-7"]
    assert line_cells(detail, LINE_COLUMNS.index("State")) == ["reserved", "waiting"]
    decision = line_cells(detail, DECISION)[1]
    assert decision.startswith("Customer waits — Admin, ")
    assert line_cells(detail, ETA) == ["", "no date yet"]
    history = [detail.history_list.item(i).text() for i in range(detail.history_list.count())]
    assert len(history) == 1
    assert history[0].endswith(
        "— Admin placed the order: 1 reserved, 1 waiting (customer decided: NUT-7 waits)"
    )
    assert detail.tabs.tabText(1) == "Messages (1)"
    assert detail.messages_table.item(0, 1).text() == "Backorder confirmed"  # type: ignore[union-attr]
    assert "Ships 1 unit now: BOLT-10 × 1." in detail.ship_summary.text()
    assert "keeps its place in the queue" not in detail.ship_summary.text()
    # The list selects the order the detail shows.
    assert section.model.row(section.table.currentIndex().row()).order_id == shop["partly"]
    save_shot(section, tmp_path, "orders_section")


def test_ship_ready_lines_ships_the_reserved_units_and_the_rest_keeps_waiting(
    qtbot: QtBot, ctx: DeskContext, controller: Controller, shop: dict[str, int], tmp_path: Path
) -> None:
    # A waiting line that got part of its units: 1 in stock, 2 still waiting.
    nut = order_detail(shop["open"]).lines[0].product_id
    controller.adjust_stock(nut, 1, reason="found one in the back room")
    section = open_section(qtbot, ctx)
    section.open_order(shop["open"])
    detail = section.detail
    assert detail.title.text().endswith("Partly waiting")
    summary = detail.ship_summary.text()
    assert "Ships 1 unit now: NUT-7 × 1." in summary
    assert "The rest of a waiting line keeps its place in the queue (NUT-7 1)." in summary
    save_shot(section, tmp_path, "order_detail_partly")

    with qtbot.waitSignal(ctx.changed):
        qtbot.mouseClick(detail.ship_button, Qt.MouseButton.LeftButton)

    assert detail.result_label.text() == "Shipped 1 unit: NUT-7 × 1."
    line = OrderLine.get(OrderLine.order == shop["open"])
    assert (line.qty_reserved, line.qty_shipped, line.qty_waiting) == (0, 1, 1)
    movement = StockMovement.get(StockMovement.order_line == line.id)
    assert (movement.kind, movement.qty) == ("shipment", -1)
    assert detail.title.text().endswith("· Open")
    assert not detail.ship_button.isEnabled()
    assert shown_statuses(section)[shop["open"]] == "Open"
    history = detail.history_list.item(detail.history_list.count() - 1).text()
    assert history.endswith("— Admin shipped 1 unit (NUT-7 × 1)")


def test_cancel_line_needs_a_reason_then_cancels_and_tells_the_customer(
    qtbot: QtBot, ctx: DeskContext, shop: dict[str, int], tmp_path: Path
) -> None:
    section = open_section(qtbot, ctx)
    section.open_order(shop["partly"])
    detail = section.detail
    select_line(detail, "NUT-7")
    qtbot.mouseClick(detail.cancel_button, Qt.MouseButton.LeftButton)
    dialog = detail.cancel_dialog
    assert dialog is not None and dialog.isVisible()
    save_shot(dialog, tmp_path, "cancel_line_dialog")
    qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and dialog.error_label.isVisible()
    assert "Reason is required" in dialog.error_label.text()
    assert order_detail(shop["partly"]).lines[1].waiting == 1  # nothing happened yet

    qtbot.keyClicks(dialog.reason_box, "Customer found it elsewhere")
    with qtbot.waitSignal(ctx.changed):
        qtbot.keyClick(dialog.reason_box, Qt.Key.Key_Return)

    after = order_detail(shop["partly"]).lines[1]
    assert (after.waiting, after.cancelled, after.cancel_reason) == (
        0,
        1,
        "Customer found it elsewhere",
    )
    assert detail.result_label.text() == "Cancelled what was left of NUT-7."
    assert line_cells(detail, LINE_COLUMNS.index("State"))[1] == "cancelled"
    assert "Cancelled: Customer found it elsewhere" in line_cells(detail, DECISION)[1]
    assert detail.title.text().endswith("· Ready")
    events = [
        m.event for m in CustomerMessage.select().where(CustomerMessage.order == shop["partly"])
    ]
    assert events == ["backorder_confirmed", "cancelled"]


def test_a_new_purchase_order_moves_the_eta_shown_in_a_waiting_order(
    qtbot: QtBot, ctx: DeskContext, shop: dict[str, int], tmp_path: Path
) -> None:
    orders = open_section(qtbot, ctx)
    orders.open_order(shop["open"])
    assert line_cells(orders.detail, ETA) == ["no date yet"]

    purchases = PurchaseOrdersSection(ctx)
    qtbot.addWidget(purchases)
    editor = purchases.new_purchase_order()
    assert isinstance(editor, PurchaseOrderEditor)
    qtbot.keyClicks(editor.supplier, "Nuts Ltd")
    editor.expected.setDate(QDate(2026, 12, 3))
    qtbot.keyClicks(editor.product, "NUT-7")
    qtbot.keyClick(editor.product, Qt.Key.Key_Return)
    editor.set_quantity(0, "10")
    with qtbot.waitSignal(ctx.changed):
        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)

    assert line_cells(orders.detail, ETA) == ["03 Dec 2026"]
    assert order_detail(shop["open"]).lines[0].eta == date(2026, 12, 3)
    save_shot(orders, tmp_path, "orders_after_po")
