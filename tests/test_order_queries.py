"""Order and purchase-order reads (app/order_queries.py, app/purchase_queries.py) and the
controller's ``update_purchase_order``, on a real store (SQLite, and PostgreSQL when set).

The orders list's status filter is SQL and the status of a row is Python; every test that
builds a store with each status checks that both say the same thing for every order.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app import eta
from app.controller import Controller, Decision, OrderItem
from app.errors import NotFound, UserError
from app.models import AuditEvent, PurchaseOrder, PurchaseOrderLine
from app.order_queries import (
    LineState,
    OrderStatus,
    count_orders,
    order_detail,
    order_status,
    orders,
    status_counts,
)
from app.purchase_queries import (
    OVERDUE,
    count_purchase_orders,
    find_products,
    find_suppliers,
    purchase_order_detail,
    purchase_orders,
)
from tests.conftest import FakeClock

WAIT = Decision.WAIT
CANCEL = Decision.CANCEL


def product(controller: Controller, sku: str, stock: int = 0) -> int:
    made = controller.add_product(sku=sku, name=f"Product {sku}", price_cents=250)
    if stock:
        controller.adjust_stock(made.id, stock, reason="opening count")
    return int(made.id)


def customer(controller: Controller, name: str) -> int:
    return int(controller.add_customer(name=name, phone="555 0100").id)


def place(
    controller: Controller,
    clock: FakeClock,
    who: int,
    items: dict[int, int],
    decisions: dict[int, Decision] | None = None,
) -> int:
    clock.advance(minutes=5)
    placed = controller.place_order(
        who, [OrderItem(pid, qty) for pid, qty in items.items()], decisions=decisions or {}
    )
    return placed.order_id


def build_shop(controller: Controller, clock: FakeClock) -> dict[str, int]:
    """One order in each status, plus two mixed ones, by name (ids)."""
    in_stock = product(controller, "BOLT-10", stock=50)
    none_left = product(controller, "NUT-7")
    ann = customer(controller, "Ann Archer")
    bob = customer(controller, "Bob Baker")
    made = {
        "open": place(controller, clock, ann, {none_left: 2}, {none_left: WAIT}),
        "partly": place(controller, clock, bob, {in_stock: 1, none_left: 1}, {none_left: WAIT}),
        "ready": place(controller, clock, ann, {in_stock: 3}),
        "shipped": place(controller, clock, bob, {in_stock: 1}),
        "cancelled": place(controller, clock, ann, {none_left: 4}, {none_left: CANCEL}),
        # shipped the in-stock line, the other still waits: nothing to hand over -> open
        "shipped_then_waiting": place(
            controller, clock, bob, {in_stock: 2, none_left: 1}, {none_left: WAIT}
        ),
        # one line cancelled, the other shipped -> shipped
        "shipped_and_cancelled": place(
            controller, clock, ann, {in_stock: 1, none_left: 1}, {none_left: CANCEL}
        ),
    }
    for name in ("shipped", "shipped_then_waiting", "shipped_and_cancelled"):
        controller.ship_order(made[name])
    return made


@pytest.fixture
def shop(controller: Controller, clock: FakeClock) -> dict[str, int]:
    return build_shop(controller, clock)


EXPECTED = {
    OrderStatus.OPEN: {"open", "shipped_then_waiting"},
    OrderStatus.PARTLY_WAITING: {"partly"},
    OrderStatus.READY: {"ready"},
    OrderStatus.SHIPPED: {"shipped", "shipped_and_cancelled"},
    OrderStatus.CANCELLED: {"cancelled"},
}


def test_each_status_filter_keeps_exactly_the_orders_in_that_status(
    shop: dict[str, int],
) -> None:
    counts = status_counts()
    for status, names in EXPECTED.items():
        wanted = {shop[name] for name in names}
        rows = orders(status=status, limit=None)
        assert {row.order_id for row in rows} == wanted, status
        assert {row.status for row in rows} == {status}
        # Both page plans (walk newest first / start from the index) give the same rows.
        for matching in (1, 10**9):
            same = orders(status=status, limit=None, matching=matching)
            assert [row.order_id for row in same] == [row.order_id for row in rows]
        # Index arithmetic (no search) and per-order tests (with a search) agree.
        assert count_orders(status=status) == counts[status] == len(wanted)
        assert count_orders(status=status, search=" ") == len(wanted)
        assert count_orders(status=status, search="a") == len(wanted)  # every name has one
        for order_id in wanted:
            assert order_detail(order_id).status is status
    assert count_orders() == len(shop)


def test_status_follows_the_lines_when_stock_arrives_and_lines_are_cancelled(
    controller: Controller, shop: dict[str, int]
) -> None:
    detail = order_detail(shop["open"])
    controller.adjust_stock(detail.lines[0].product_id, 2, reason="found in back room")
    statuses = {row.order_id: row.status for row in orders(limit=None)}
    assert statuses[shop["open"]] is OrderStatus.READY
    assert order_detail(shop["open"]).history[-1].text == (
        "Stock arrived: NUT-7 is ready to hand over (a message for the customer was queued)."
    )
    partly_lines = order_detail(shop["partly"]).lines
    waiting_line = next(line for line in partly_lines if line.waiting)
    controller.cancel_line(waiting_line.line_id, reason="customer found it elsewhere")
    assert order_detail(shop["partly"]).status is OrderStatus.READY
    assert shop["partly"] in {row.order_id for row in orders(status=OrderStatus.READY)}


def test_list_is_newest_first_and_searches_customer_name_or_order_number(
    shop: dict[str, int],
) -> None:
    rows = orders(limit=None)
    assert [row.order_id for row in rows] == sorted(shop.values(), reverse=True)
    assert {row.customer for row in orders(search="  bAKer ")} == {"Bob Baker"}
    assert [row.order_id for row in orders(search=f"#{shop['ready']}")] == [shop["ready"]]
    assert count_orders(search="nobody like this") == 0
    page = orders(offset=2, limit=2)
    assert [row.order_id for row in page] == sorted(shop.values(), reverse=True)[2:4]
    by_customer = orders(sort="customer", descending=False, limit=None)
    assert by_customer[0].customer == "Ann Archer"


@pytest.mark.parametrize(
    ("sort", "descending"),
    [("placed_at", True), ("placed_at", False), ("customer", False), ("order", True)],
)
def test_pages_after_a_row_continue_exactly_where_offsets_would(
    shop: dict[str, int], sort: str, descending: bool
) -> None:
    everything = [r.order_id for r in orders(sort=sort, descending=descending, limit=None)]
    pages: list[int] = []
    after = None
    while True:
        page = orders(sort=sort, descending=descending, limit=3, after=after)
        if not page:
            break
        pages.extend(row.order_id for row in page)
        after = page[-1]
    assert pages == everything
    assert len(everything) == len(shop)


def test_order_status_rule_in_words() -> None:
    assert order_status(reserved=0, shipped=0, waiting=3, cancelled=0, ordered=3) == "open"
    assert order_status(reserved=1, shipped=0, waiting=3, cancelled=0, ordered=4) == (
        "partly waiting"
    )
    assert order_status(reserved=2, shipped=1, waiting=0, cancelled=1, ordered=4) == "ready"
    assert order_status(reserved=0, shipped=3, waiting=0, cancelled=1, ordered=4) == "shipped"
    assert order_status(reserved=0, shipped=0, waiting=0, cancelled=4, ordered=4) == "cancelled"


def test_detail_shows_decisions_etas_history_and_messages(
    controller: Controller, clock: FakeClock, shop: dict[str, int]
) -> None:
    detail = order_detail(shop["partly"])
    assert detail.customer == "Bob Baker" and detail.phone == "555 0100"
    assert detail.staff == "Admin"
    ready, waiting = detail.lines
    assert ready.state is LineState.RESERVED and ready.decision is None
    assert waiting.state is LineState.WAITING
    assert (waiting.decision, waiting.decided_by) == ("wait", "Admin")
    assert waiting.decided_at == detail.placed_at
    assert waiting.eta is None  # nothing booked yet
    supplier = controller.supplier_named("Nuts Ltd")
    controller.add_purchase_order(
        supplier_id=supplier.id,
        expected=date(2026, 12, 1),
        items=[OrderItem(waiting.product_id, 10)],
    )
    assert order_detail(shop["partly"]).lines[1].eta == date(2026, 12, 1)
    history = [entry.text for entry in detail.history]
    assert history == ["placed the order: 1 reserved, 1 waiting (customer decided: NUT-7 waits)"]
    assert [m.event for m in detail.messages] == ["backorder_confirmed"]

    clock.advance(hours=1)
    controller.ship_order(shop["partly"])
    controller.cancel_line(waiting.line_id, reason="too slow")
    after = order_detail(shop["partly"])
    texts = [entry.text for entry in after.history]
    assert texts[1:] == [
        "shipped 1 unit (BOLT-10 × 1)",
        "cancelled 1 unit of NUT-7 (1 waiting); reason: too slow",
    ]
    assert all(entry.who == "Admin" for entry in after.history)
    assert after.lines[1].state is LineState.CANCELLED
    assert after.lines[1].cancel_reason == "too slow"
    assert [m.event for m in after.messages] == ["backorder_confirmed", "cancelled"]


def test_detail_of_missing_order_is_a_clear_error(controller: Controller) -> None:
    with pytest.raises(NotFound, match="no order 999"):
        order_detail(999)


# --------------------------------------------------------------- purchase orders


def test_purchase_order_list_totals_overdue_and_filters(
    controller: Controller, clock: FakeClock
) -> None:
    bolt = product(controller, "BOLT-10")
    nut = product(controller, "NUT-7")
    acme = controller.supplier_named("Acme Fasteners")
    zeta = controller.supplier_named("Zeta Supply")
    today = clock().date()
    late = controller.add_purchase_order(
        supplier_id=acme.id,
        expected=today - timedelta(days=2),
        items=[OrderItem(bolt, 10), OrderItem(nut, 5)],
    )
    soon = controller.add_purchase_order(
        supplier_id=zeta.id, expected=today + timedelta(days=3), items=[OrderItem(nut, 4)]
    )
    done = controller.add_purchase_order(
        supplier_id=zeta.id, expected=today - timedelta(days=9), items=[OrderItem(bolt, 2)]
    )
    controller.receive([OrderItem(bolt, 2)], purchase_order_id=done.id)
    controller.receive([OrderItem(bolt, 4)], purchase_order_id=late.id)

    rows = purchase_orders(today=today)
    assert [row.po_id for row in rows] == [late.id, soon.id, done.id]
    first = rows[0]
    assert (first.supplier, first.lines, first.ordered, first.received) == (
        "Acme Fasteners",
        2,
        15,
        4,
    )
    assert first.overdue and not rows[1].overdue
    assert rows[2].status == "closed" and not rows[2].overdue
    assert [row.po_id for row in purchase_orders(today=today, status=OVERDUE)] == [late.id]
    assert count_purchase_orders(today=today, status="open") == 2
    assert [row.po_id for row in purchase_orders(today=today, search="zeta")] == [
        soon.id,
        done.id,
    ]
    assert [r.po_id for r in purchase_orders(today=today, search=f"#{soon.id}")] == [soon.id]
    detail = purchase_order_detail(late.id)
    assert [(line.sku, line.ordered, line.received) for line in detail.lines] == [
        ("BOLT-10", 10, 4),
        ("NUT-7", 5, 0),
    ]
    assert detail.overdue(today)


def test_type_ahead_lookups_are_limited(controller: Controller) -> None:
    for n in range(30):
        product(controller, f"CAB-{n:02d}")
    product(controller, "XCAB-1")
    hits = find_products("cab", limit=10)
    assert len(hits) == 10
    assert hits[0].sku == "CAB-00"
    assert find_products("xcab")[0].sku == "XCAB-1"
    assert find_products("   ") == []
    controller.supplier_named("Acme Fasteners")
    controller.supplier_named("Beta Tools")
    assert [name for _, name in find_suppliers("acme")] == ["Acme Fasteners"]


def test_update_purchase_order_moves_the_eta_and_is_audited(
    controller: Controller, clock: FakeClock
) -> None:
    nut = product(controller, "NUT-7")
    who = customer(controller, "Ann Archer")
    order = place(controller, clock, who, {nut: 3}, {nut: WAIT})
    waiting_line = order_detail(order).lines[0].line_id
    supplier = controller.supplier_named("Nuts Ltd")
    po = controller.add_purchase_order(
        supplier_id=supplier.id, expected=date(2026, 12, 10), items=[OrderItem(nut, 2)]
    )
    assert eta.line_etas([waiting_line])[waiting_line] is None  # 2 do not cover 3
    controller.update_purchase_order(po.id, expected=date(2026, 12, 4), items=[OrderItem(nut, 6)])
    assert eta.line_etas([waiting_line])[waiting_line] == date(2026, 12, 4)
    event = AuditEvent.select().where(AuditEvent.action == "po.update").get()
    assert '"NUT-7": [2, 6]' in event.detail and "2026-12-04" in event.detail


def test_update_purchase_order_refuses_going_below_what_was_received(
    controller: Controller,
) -> None:
    bolt = product(controller, "BOLT-10")
    nut = product(controller, "NUT-7")
    supplier = controller.supplier_named("Acme")
    po = controller.add_purchase_order(
        supplier_id=supplier.id,
        expected=date(2026, 12, 1),
        items=[OrderItem(bolt, 10), OrderItem(nut, 3)],
    )
    controller.receive([OrderItem(bolt, 4)], purchase_order_id=po.id)
    before = sorted(PurchaseOrderLine.select(PurchaseOrderLine.qty_ordered).tuples())
    with pytest.raises(UserError, match="4 units were already received") as error:
        controller.update_purchase_order(po.id, items=[OrderItem(bolt, 3), OrderItem(nut, 3)])
    assert error.value.field == "qty"
    with pytest.raises(UserError, match="BOLT-10 cannot be removed"):
        controller.update_purchase_order(po.id, items=[OrderItem(nut, 3)])
    with pytest.raises(UserError, match="cannot be 0"):
        controller.update_purchase_order(po.id, items=[OrderItem(bolt, 0)])
    assert sorted(PurchaseOrderLine.select(PurchaseOrderLine.qty_ordered).tuples()) == before
    # Down to exactly what came, the other product dropped: the PO is complete and closes.
    controller.update_purchase_order(po.id, items=[OrderItem(bolt, 4)])
    assert PurchaseOrder.get_by_id(po.id).status == "closed"
    with pytest.raises(UserError, match="only an open purchase order can be changed"):
        controller.update_purchase_order(po.id, expected=date(2027, 1, 1))


def test_add_purchase_order_without_a_date_writes_nothing(controller: Controller) -> None:
    bolt = product(controller, "BOLT-10")
    supplier = controller.supplier_named("Acme")
    with pytest.raises(UserError, match="expected date is missing") as error:
        controller.add_purchase_order(
            supplier_id=supplier.id, expected=None, items=[OrderItem(bolt, 1)]
        )
    assert error.value.field == "expected"
    assert PurchaseOrder.select().count() == 0
