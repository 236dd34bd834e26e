"""The controller's rules, one example each, as a clerk at the counter would see them.

Every test takes the ``controller`` fixture, so it runs on a SQLite file and, when
``BACKORDER_DESK_TEST_PG`` is set, on PostgreSQL too. Orders placed one after another are
separated by ``clock.advance`` so their queue places come from the order time.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from app import eta, queries
from app.check import run_checks
from app.controller import Controller, Decision, LineStatus, OrderItem, PlacedOrder
from app.errors import NotFound, ShortageDecisionNeeded, UserError
from app.models import (
    ALL_MODELS,
    AuditEvent,
    Customer,
    CustomerMessage,
    OrderLine,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    Staff,
    StockMovement,
)
from app.store import Store
from tests.conftest import FakeClock

WAIT = Decision.WAIT
CANCEL = Decision.CANCEL


# ------------------------------------------------------------------ helpers


def product(controller: Controller, sku: str, stock: int = 0) -> int:
    """A new product with ``stock`` units counted in."""
    made = controller.add_product(sku=sku, name=f"Product {sku}", price_cents=500)
    if stock:
        controller.adjust_stock(made.id, stock, reason="opening count")
    return int(made.id)


def customer(controller: Controller, name: str) -> int:
    return int(controller.add_customer(name=name, email=f"{name.lower()}@example.com").id)


def line(line_id: int) -> OrderLine:
    return OrderLine.get_by_id(line_id)


def buckets(line_id: int) -> tuple[int, int, int, int]:
    """(reserved, waiting, shipped, cancelled) of a line."""
    row = line(line_id)
    return (row.qty_reserved, row.qty_waiting, row.qty_shipped, row.qty_cancelled)


def figures(product_id: int) -> tuple[int, int, int, int, int]:
    """(on hand, reserved, available, waiting, incoming) as the stock window shows them."""
    f = queries.stock_figures(product_id)
    return (f.on_hand, f.reserved, f.available, f.waiting, f.incoming)


def snapshot() -> dict[str, Any]:
    """Row counts of every table plus every product's running totals."""
    counts: dict[str, Any] = {model.__name__: model.select().count() for model in ALL_MODELS}
    counts["totals"] = sorted(
        Product.select(Product.id, Product.on_hand, Product.reserved, Product.waiting).tuples()
    )
    counts["lines"] = sorted(
        OrderLine.select(
            OrderLine.id, OrderLine.qty_reserved, OrderLine.qty_waiting, OrderLine.priority
        ).tuples()
    )
    return counts


def messages(event: str) -> list[CustomerMessage]:
    return list(
        CustomerMessage.select().where(CustomerMessage.event == event).order_by(CustomerMessage.id)
    )


def wait_for(
    controller: Controller, clock: FakeClock, cust: int, pid: int, qty: int, **kw: Any
) -> int:
    """Place a one-line order that waits for what is short; returns the line id."""
    clock.advance(minutes=1)
    placed = controller.place_order(cust, [OrderItem(pid, qty)], decisions={pid: WAIT}, **kw)
    return placed.lines[0].line_id


# ------------------------------------------------------------ stock figures


def test_stock_figures_show_on_hand_reserved_available_waiting_and_incoming(
    controller: Controller, clock: FakeClock
) -> None:
    pid = product(controller, "MUG", stock=5)
    ann, bob = customer(controller, "Ann"), customer(controller, "Bob")
    controller.place_order(ann, [OrderItem(pid, 2)])
    assert figures(pid) == (5, 2, 3, 0, 0)

    wait_for(controller, clock, bob, pid, 7)  # takes the 3 left, waits for 4
    supplier = controller.supplier_named("Mugs Ltd")
    controller.add_purchase_order(
        supplier_id=supplier.id, expected=date(2026, 12, 1), items=[OrderItem(pid, 6)]
    )
    assert figures(pid) == (5, 5, 0, 4, 6)
    assert run_checks() == []


# ------------------------------------------------------------ placing orders


def test_order_with_enough_stock_reserves_every_line(controller: Controller) -> None:
    mug, cup = product(controller, "MUG", stock=4), product(controller, "CUP", stock=2)
    ann = customer(controller, "Ann")

    placed = controller.place_order(ann, [OrderItem(mug, 3), OrderItem(cup, 2), OrderItem(mug, 1)])

    # The two mug lines are merged into one line of 4.
    assert [(p.sku, p.ordered, p.reserved, p.status) for p in placed.lines] == [
        ("MUG", 4, 4, LineStatus.READY),
        ("CUP", 2, 2, LineStatus.READY),
    ]
    assert figures(mug)[:3] == (4, 4, 0) and figures(cup)[:3] == (2, 2, 0)
    assert messages("backorder_confirmed") == []  # nothing is on backorder
    assert run_checks() == []


def test_short_line_without_decision_refuses_whole_order_and_writes_nothing(
    controller: Controller,
) -> None:
    mug, cup = product(controller, "MUG", stock=10), product(controller, "CUP", stock=2)
    ann = customer(controller, "Ann")
    before = snapshot()

    with pytest.raises(ShortageDecisionNeeded) as refused:
        controller.place_order(ann, [OrderItem(mug, 3), OrderItem(cup, 5)])

    shortage = refused.value.shortages
    assert [(s.product_id, s.sku, s.asked, s.available, s.short_by, s.eta) for s in shortage] == [
        (cup, "CUP", 5, 2, 3, None)
    ]
    assert "CUP (short by 3)" in str(refused.value)
    assert not refused.value.changed
    # The mug line had stock, but the order is refused as a whole: nothing reserved.
    assert snapshot() == before


def test_wait_decision_reserves_what_is_there_and_queues_the_rest(controller: Controller) -> None:
    cup = product(controller, "CUP", stock=2)
    ann = customer(controller, "Ann")

    placed = controller.place_order(ann, [OrderItem(cup, 5)], decisions={cup: WAIT})

    (placed_line,) = placed.lines
    assert (placed_line.reserved, placed_line.waiting, placed_line.status) == (
        2,
        3,
        LineStatus.WAITING,
    )
    assert buckets(placed_line.line_id) == (2, 3, 0, 0)
    assert line(placed_line.line_id).decision == "wait"
    assert [row.line_id for row in queries.backorders(product_id=cup)] == [placed_line.line_id]
    assert figures(cup)[:4] == (2, 2, 0, 3)
    assert run_checks() == []


def test_cancel_decision_cancels_the_whole_line_and_reserves_nothing(
    controller: Controller,
) -> None:
    mug, cup = product(controller, "MUG", stock=3), product(controller, "CUP", stock=2)
    ann = customer(controller, "Ann")

    placed = controller.place_order(
        ann, [OrderItem(mug, 1), OrderItem(cup, 5)], decisions={cup: CANCEL}
    )

    by_sku = {p.sku: p for p in placed.lines}
    assert buckets(by_sku["CUP"].line_id) == (0, 0, 0, 5)
    assert by_sku["CUP"].status is LineStatus.CANCELLED
    assert buckets(by_sku["MUG"].line_id) == (1, 0, 0, 0)
    assert figures(cup)[:4] == (2, 0, 2, 0)  # the 2 cups stay on the shelf for others
    assert queries.backorders(product_id=cup) == []
    assert run_checks() == []


def test_order_naming_an_unknown_product_is_refused_without_writing(
    controller: Controller,
) -> None:
    mug = product(controller, "MUG", stock=3)
    ann = customer(controller, "Ann")
    before = snapshot()

    with pytest.raises(NotFound, match="no product"):
        controller.place_order(ann, [OrderItem(mug, 1), OrderItem(9999, 1)])

    assert snapshot() == before


def test_preview_returns_the_shortages_and_writes_nothing(
    controller: Controller, clock: FakeClock
) -> None:
    cup = product(controller, "CUP", stock=1)
    ann = customer(controller, "Ann")
    supplier = controller.supplier_named("Cups Ltd")
    controller.add_purchase_order(
        supplier_id=supplier.id, expected=date(2026, 12, 4), items=[OrderItem(cup, 10)]
    )
    before = snapshot()

    preview = controller.preview_order([OrderItem(cup, 4)])

    assert [(s.asked, s.available, s.short_by, s.eta) for s in preview] == [
        (4, 1, 3, date(2026, 12, 4))
    ]
    assert (
        preview[0].sentence() == "1 can go with you today; the other 3 are expected around 04 Dec."
    )
    assert snapshot() == before
    # Placing without a decision reports the same shortages as the preview.
    with pytest.raises(ShortageDecisionNeeded) as refused:
        controller.place_order(ann, [OrderItem(cup, 4)])
    assert refused.value.shortages == preview


def test_stale_decision_is_refused_with_the_new_shortages(
    controller: Controller, clock: FakeClock
) -> None:
    cup = product(controller, "CUP", stock=3)
    ann, bob = customer(controller, "Ann"), customer(controller, "Bob")
    told = controller.preview_order([OrderItem(cup, 5)])
    assert [(s.available, s.short_by) for s in told] == [(3, 2)]

    # While Ann thinks it over, Bob takes 2 of the 3 cups at the other till.
    controller.place_order(bob, [OrderItem(cup, 2)])
    before = snapshot()

    with pytest.raises(ShortageDecisionNeeded) as refused:
        controller.place_order(ann, [OrderItem(cup, 5)], decisions={cup: WAIT}, seen=told)

    assert refused.value.changed
    assert [(s.available, s.short_by) for s in refused.value.shortages] == [(1, 4)]
    assert "Stock changed" in str(refused.value)
    assert snapshot() == before
    # Offered the new situation, Ann accepts it: 1 now, 4 later.
    placed = controller.place_order(
        ann, [OrderItem(cup, 5)], decisions={cup: WAIT}, seen=refused.value.shortages
    )
    assert buckets(placed.lines[0].line_id) == (1, 4, 0, 0)
    assert run_checks() == []


def test_stock_taken_from_a_line_that_was_not_short_is_reported_as_a_change(
    controller: Controller,
) -> None:
    mug, cup = product(controller, "MUG", stock=2), product(controller, "CUP", stock=5)
    ann, bob = customer(controller, "Ann"), customer(controller, "Bob")
    told = controller.preview_order([OrderItem(mug, 3), OrderItem(cup, 2)])
    assert [s.sku for s in told] == ["MUG"]

    controller.place_order(bob, [OrderItem(cup, 4)])  # now only 1 cup is free
    before = snapshot()

    with pytest.raises(ShortageDecisionNeeded) as refused:
        controller.place_order(
            ann, [OrderItem(mug, 3), OrderItem(cup, 2)], decisions={mug: WAIT}, seen=told
        )

    # The clerk must see the whole new situation, cups and mugs, as a change of stock.
    assert refused.value.changed
    assert [(s.sku, s.available, s.short_by) for s in refused.value.shortages] == [
        ("MUG", 2, 1),
        ("CUP", 1, 1),
    ]
    assert snapshot() == before


def test_stock_that_came_in_while_the_customer_decided_goes_with_them(
    controller: Controller,
) -> None:
    mug = product(controller, "MUG", stock=2)
    ann = customer(controller, "Ann")
    told = controller.preview_order([OrderItem(mug, 5)])
    assert [(s.available, s.short_by) for s in told] == [(2, 3)]

    controller.adjust_stock(mug, 2, reason="found two more in the back")
    placed = controller.place_order(ann, [OrderItem(mug, 5)], decisions={mug: WAIT}, seen=told)

    # Better news than promised needs no new decision: 4 go today, 1 waits.
    assert (placed.lines[0].reserved, placed.lines[0].waiting) == (4, 1)


def test_a_decision_other_than_wait_or_cancel_is_a_clear_refusal(controller: Controller) -> None:
    mug = product(controller, "MUG")
    ann = customer(controller, "Ann")
    before = snapshot()
    with pytest.raises(UserError, match="wait' or 'cancel"):
        controller.place_order(ann, [OrderItem(mug, 1)], decisions={mug: "maybe"})  # type: ignore[dict-item]
    assert snapshot() == before


# ------------------------------------------------------------------ the queue


def test_queue_serves_earlier_order_first_with_partial_fill(
    controller: Controller, clock: FakeClock
) -> None:
    cup = product(controller, "CUP")
    ann, bob = customer(controller, "Ann"), customer(controller, "Bob")
    ann_line = wait_for(controller, clock, ann, cup, 2)
    bob_line = wait_for(controller, clock, bob, cup, 2)

    result = controller.receive([OrderItem(cup, 3)])

    # Ann ordered first, Bob second, same priority: 3 cups fill Ann's 2 and give Bob 1.
    assert buckets(ann_line) == (2, 0, 0, 0)
    assert buckets(bob_line) == (1, 1, 0, 0)
    assert [(f.customer, f.qty, f.ready_qty) for f in result.fulfilled] == [("Ann", 2, 2)]
    assert [(f.customer, f.qty, f.still_waiting) for f in result.partial] == [("Bob", 1, 1)]
    assert result.left_in_stock == {"CUP": 0}
    assert run_checks() == []


def test_queue_order_is_priority_then_order_time_then_line_id(
    controller: Controller, clock: FakeClock
) -> None:
    cup = product(controller, "CUP")
    ann, bob, cat, dan = (customer(controller, n) for n in ("Ann", "Bob", "Cat", "Dan"))
    ann_line = wait_for(controller, clock, ann, cup, 1)
    bob_line = wait_for(controller, clock, bob, cup, 1, priority=5)
    # Cat and Dan order in the same second: the earlier line id goes first.
    cat_line = controller.place_order(cat, [OrderItem(cup, 1)], decisions={cup: WAIT}).lines[0]
    dan_line = controller.place_order(dan, [OrderItem(cup, 1)], decisions={cup: WAIT}).lines[0]

    queue = [row.customer for row in queries.backorders(product_id=cup)]
    assert queue == ["Bob", "Ann", "Cat", "Dan"]

    served = controller.receive([OrderItem(cup, 3)])
    assert [f.customer for f in served.fulfilled] == ["Ann", "Bob", "Cat"]  # by line id
    assert buckets(bob_line) == (1, 0, 0, 0)
    assert buckets(ann_line) == (1, 0, 0, 0)
    assert buckets(cat_line.line_id) == (1, 0, 0, 0)
    assert buckets(dan_line.line_id) == (0, 1, 0, 0)


def test_raising_priority_puts_the_line_first_and_the_audit_names_who_and_what(
    controller: Controller, store: Any, clock: FakeClock
) -> None:
    bea = Staff.create(name="Bea", role="manager")
    as_bea = Controller(store, staff_id=bea.id, clock=clock)
    cup = product(controller, "CUP")
    ann, bob = customer(controller, "Ann"), customer(controller, "Bob")
    ann_line = wait_for(controller, clock, ann, cup, 2)
    bob_line = wait_for(controller, clock, bob, cup, 2)
    clock.advance(hours=1)

    as_bea.set_priority(bob_line, 10)

    assert [row.customer for row in queries.backorders(product_id=cup)] == ["Bob", "Ann"]
    event = AuditEvent.get(AuditEvent.action == "line.priority")
    assert (event.staff.name, event.entity_id, event.at) == ("Bea", bob_line, clock.now)
    assert json.loads(event.detail) == {"old": 0, "new": 10}

    controller.receive([OrderItem(cup, 2)])
    assert buckets(bob_line) == (2, 0, 0, 0)
    assert buckets(ann_line) == (0, 2, 0, 0)
    assert run_checks() == []


def test_priority_of_a_line_that_is_not_waiting_cannot_be_changed(
    controller: Controller,
) -> None:
    cup = product(controller, "CUP", stock=5)
    ann = customer(controller, "Ann")
    ready = controller.place_order(ann, [OrderItem(cup, 1)]).lines[0].line_id

    with pytest.raises(UserError, match="not waiting"):
        controller.set_priority(ready, 3)
    with pytest.raises(UserError, match="out of range"):
        controller.set_priority(ready, 101)
    assert line(ready).priority == 0


# ----------------------------------------------------------------- receiving


def test_receipt_reports_fulfilled_partial_and_left_in_stock(
    controller: Controller, clock: FakeClock
) -> None:
    cup, mug = product(controller, "CUP"), product(controller, "MUG")
    ann, bob = customer(controller, "Ann"), customer(controller, "Bob")
    ann_cup = wait_for(controller, clock, ann, cup, 2)
    bob_mug = wait_for(controller, clock, bob, mug, 5)

    result = controller.receive([OrderItem(cup, 6), OrderItem(mug, 3)])

    assert [f.line_id for f in result.fulfilled] == [ann_cup]
    assert [(f.line_id, f.qty, f.still_waiting) for f in result.partial] == [(bob_mug, 3, 2)]
    assert result.left_in_stock == {"CUP": 4, "MUG": 0}
    moved = StockMovement.select().where(
        StockMovement.receipt == result.receipt_id, StockMovement.kind == "receipt"
    )
    assert sorted((m.product_id, m.qty) for m in moved) == sorted([(cup, 6), (mug, 3)])
    assert figures(cup)[:4] == (6, 2, 4, 0)
    assert figures(mug)[:4] == (3, 3, 0, 2)
    assert run_checks() == []


def test_receipt_against_a_po_counts_received_units_and_closes_it_when_complete(
    controller: Controller, clock: FakeClock
) -> None:
    cup, mug = product(controller, "CUP"), product(controller, "MUG")
    supplier = controller.supplier_named("Kitchen Ltd")
    po = controller.add_purchase_order(
        supplier_id=supplier.id,
        expected=date(2026, 12, 1),
        items=[OrderItem(cup, 4), OrderItem(mug, 2)],
    )

    first = controller.receive([OrderItem(cup, 3), OrderItem(mug, 2)], purchase_order_id=po.id)
    assert not first.purchase_order_closed
    assert PurchaseOrder.get_by_id(po.id).status == "open"
    assert figures(cup)[4] == 1 and figures(mug)[4] == 0  # incoming: what is still to come

    second = controller.receive([OrderItem(cup, 1)], purchase_order_id=po.id)
    assert second.purchase_order_closed
    assert PurchaseOrder.get_by_id(po.id).status == "closed"
    received = {
        pol.product_id: pol.qty_received
        for pol in PurchaseOrderLine.select().where(PurchaseOrderLine.purchase_order == po.id)
    }
    assert received == {cup: 4, mug: 2}

    with pytest.raises(UserError, match="closed"):
        controller.receive([OrderItem(cup, 1)], purchase_order_id=po.id)
    assert figures(cup)[0] == 4
    assert run_checks() == []


def test_over_receipt_against_a_po_is_taken_into_stock_and_closes_it(
    controller: Controller, clock: FakeClock
) -> None:
    cup = product(controller, "CUP")
    ann = customer(controller, "Ann")
    ann_line = wait_for(controller, clock, ann, cup, 3)
    supplier = controller.supplier_named("Cups Ltd")
    po = controller.add_purchase_order(
        supplier_id=supplier.id, expected=date(2026, 12, 1), items=[OrderItem(cup, 4)]
    )

    result = controller.receive([OrderItem(cup, 6)], purchase_order_id=po.id)

    assert result.purchase_order_closed
    assert PurchaseOrderLine.get(PurchaseOrderLine.purchase_order == po.id).qty_received == 6
    assert buckets(ann_line) == (3, 0, 0, 0)
    assert result.left_in_stock == {"CUP": 3}
    assert figures(cup) == (6, 3, 3, 0, 0)
    assert run_checks() == []


# ---------------------------------------------------------------- cancelling


def test_cancelling_a_waiting_line_releases_its_units_to_the_next_in_queue(
    controller: Controller, clock: FakeClock
) -> None:
    cup = product(controller, "CUP", stock=2)
    ann, bob = customer(controller, "Ann"), customer(controller, "Bob")
    ann_line = wait_for(controller, clock, ann, cup, 5)  # 2 reserved, 3 waiting
    bob_line = wait_for(controller, clock, bob, cup, 1)

    result = controller.cancel_line(ann_line, reason="found it elsewhere")

    assert buckets(ann_line) == (0, 0, 0, 5)
    assert line(ann_line).cancel_reason == "found it elsewhere"
    assert buckets(bob_line) == (1, 0, 0, 0)  # Bob gets one of Ann's 2 at once
    assert [(f.customer, f.qty) for f in result.fulfilled] == [("Bob", 1)]
    assert result.left_in_stock == {"CUP": 1}
    assert figures(cup)[:4] == (2, 1, 1, 0)
    with pytest.raises(UserError, match="nothing left to cancel"):
        controller.cancel_line(ann_line)
    assert run_checks() == []


# ----------------------------------------------------------------- shipping


def test_shipping_turns_reservations_into_shipment_movements(
    controller: Controller, clock: FakeClock
) -> None:
    cup, mug = product(controller, "CUP", stock=2), product(controller, "MUG", stock=4)
    ann = customer(controller, "Ann")
    placed: PlacedOrder = controller.place_order(
        ann, [OrderItem(cup, 5), OrderItem(mug, 4)], decisions={cup: WAIT}
    )
    cup_line, mug_line = (p.line_id for p in placed.lines)

    shipped = controller.ship_order(placed.order_id)

    # Ann takes what is here: 2 cups and 4 mugs; 3 cups still wait.
    assert sorted((s.sku, s.qty) for s in shipped) == [("CUP", 2), ("MUG", 4)]
    assert buckets(cup_line) == (0, 3, 2, 0)
    assert buckets(mug_line) == (0, 0, 4, 0)
    movements = {
        (m.order_line_id, m.qty)
        for m in StockMovement.select().where(StockMovement.kind == "shipment")
    }
    assert movements == {(cup_line, -2), (mug_line, -4)}
    assert figures(cup)[:4] == (0, 0, 0, 3)
    assert figures(mug)[:4] == (0, 0, 0, 0)
    with pytest.raises(UserError, match="nothing ready to ship"):
        controller.ship_order(placed.order_id)
    assert run_checks() == []


# ---------------------------------------------------------- stock adjustment


def test_stock_increase_feeds_the_queue_like_a_receipt(
    controller: Controller, clock: FakeClock
) -> None:
    cup = product(controller, "CUP")
    ann = customer(controller, "Ann")
    ann_line = wait_for(controller, clock, ann, cup, 2)

    result = controller.adjust_stock(cup, 5, reason="found a box in the back")

    assert buckets(ann_line) == (2, 0, 0, 0)
    assert [f.line_id for f in result.fulfilled] == [ann_line]
    assert result.left_in_stock == {"CUP": 3}
    movement = StockMovement.get(StockMovement.kind == "adjustment", StockMovement.qty == 5)
    assert movement.reason == "found a box in the back"
    assert len(messages("ready")) == 1
    assert run_checks() == []


def test_stock_decrease_below_what_is_reserved_is_refused_with_a_clear_message(
    controller: Controller,
) -> None:
    cup = product(controller, "CUP", stock=5)
    ann = customer(controller, "Ann")
    controller.place_order(ann, [OrderItem(cup, 3)])
    before = snapshot()

    with pytest.raises(UserError) as refused:
        controller.adjust_stock(cup, -3, reason="broken")

    text = str(refused.value)
    assert "CUP" in text and "reserved" in text and "only 2 of its 5" in text
    assert snapshot() == before

    result = controller.adjust_stock(cup, -2, reason="broken")  # the 2 free ones may go
    assert result.left_in_stock == {"CUP": 0}
    assert figures(cup)[:3] == (3, 3, 0)
    with pytest.raises(UserError, match="Reason is required"):
        controller.adjust_stock(cup, 1, reason="  ")
    assert run_checks() == []


# ----------------------------------------------------------------------- ETA


def test_eta_is_queue_aware_not_simply_the_next_po_date(
    controller: Controller, clock: FakeClock
) -> None:
    cup = product(controller, "CUP")
    people = [customer(controller, name) for name in ("Ann", "Bob", "Cat", "Dan")]
    supplier = controller.supplier_named("Cups Ltd")
    controller.add_purchase_order(
        supplier_id=supplier.id, expected=date(2026, 12, 20), items=[OrderItem(cup, 10)]
    )
    controller.add_purchase_order(
        supplier_id=supplier.id, expected=date(2026, 12, 12), items=[OrderItem(cup, 4)]
    )
    lines = [
        wait_for(controller, clock, who, cup, qty)
        for who, qty in zip(people, (3, 3, 5, 4), strict=True)
    ]

    # PO 12 Dec brings 4 (covers 3), PO 20 Dec brings 14 in all (covers 6 and 11), and
    # nothing covers the 15th unit.
    assert eta.line_etas(lines) == dict(
        zip(lines, [date(2026, 12, 12), date(2026, 12, 20), date(2026, 12, 20), None], strict=True)
    )
    assert [row.eta for row in queries.backorders(product_id=cup)] == [
        date(2026, 12, 12),
        date(2026, 12, 20),
        date(2026, 12, 20),
        None,
    ]
    # A new order queues behind all 15 waiting units, unless it is served first; the
    # first PO's 4 units cover exactly 4.
    assert controller.preview_order([OrderItem(cup, 1)])[0].eta is None
    assert controller.preview_order([OrderItem(cup, 4)], priority=9)[0].eta == date(2026, 12, 12)
    assert controller.preview_order([OrderItem(cup, 5)], priority=9)[0].eta == date(2026, 12, 20)
    # The customer was told the queue-aware date when the backorder was placed.
    assert [line(i).eta_notified for i in lines] == [
        date(2026, 12, 12),
        date(2026, 12, 20),
        date(2026, 12, 20),
        None,
    ]
    # Moving Dan (4 units) to the front gives him the first PO and leaves Cat undated.
    controller.set_priority(lines[3], 5)
    assert [(row.customer, row.eta) for row in queries.backorders(product_id=cup)] == [
        ("Dan", date(2026, 12, 12)),
        ("Ann", date(2026, 12, 20)),
        ("Bob", date(2026, 12, 20)),
        ("Cat", None),
    ]


# ------------------------------------------------------------------ messages


def test_one_backorder_message_per_order_listing_every_waiting_line(
    controller: Controller,
) -> None:
    cup, mug = product(controller, "CUP"), product(controller, "MUG")
    ann = customer(controller, "Ann")

    controller.place_order(
        ann, [OrderItem(cup, 2), OrderItem(mug, 1)], decisions={cup: WAIT, mug: WAIT}
    )

    (message,) = messages("backorder_confirmed")
    assert message.customer_id == ann and message.status == "queued"
    assert "CUP" in message.body and "MUG" in message.body
    assert len(json.loads(message.payload)["line_ids"]) == 2


def test_one_ready_message_per_customer_per_receipt_even_when_two_lines_fill(
    controller: Controller, clock: FakeClock
) -> None:
    cup, mug = product(controller, "CUP"), product(controller, "MUG")
    ann, bob = customer(controller, "Ann"), customer(controller, "Bob")
    ann_cup = wait_for(controller, clock, ann, cup, 1)
    ann_mug = wait_for(controller, clock, ann, mug, 1)  # a second order of Ann's
    wait_for(controller, clock, bob, mug, 2)

    controller.receive([OrderItem(cup, 1), OrderItem(mug, 2)])

    ready = messages("ready")
    assert [m.customer_id for m in ready] == [ann]  # Bob's line is only partly filled
    payload = json.loads(ready[0].payload)
    assert sorted(payload["line_ids"]) == sorted([ann_cup, ann_mug])
    assert len(payload["order_ids"]) == 2
    assert "CUP" in ready[0].body and "MUG" in ready[0].body


def test_cancelling_a_line_queues_one_cancelled_message(
    controller: Controller, clock: FakeClock
) -> None:
    cup = product(controller, "CUP")
    ann = customer(controller, "Ann")
    ann_line = wait_for(controller, clock, ann, cup, 2)

    controller.cancel_line(ann_line, reason="too late for Christmas")

    (message,) = messages("cancelled")
    assert message.customer_id == ann
    assert "Reason: too late for Christmas" in message.body
    assert "2 x Product CUP (CUP)" in message.body
    assert json.loads(message.payload)["line_ids"] == [ann_line]


# --------------------------------------------------------------------- audit


def test_every_state_change_is_audited_with_staff_time_and_what_changed(
    store: Any, clock: FakeClock
) -> None:
    bea = Staff.create(name="Bea", role="manager")
    desk = Controller(store, staff_id=bea.id, clock=clock)
    cup = product(desk, "CUP", stock=1)
    ann = customer(desk, "Ann")
    supplier = desk.supplier_named("Cups Ltd")
    po = desk.add_purchase_order(
        supplier_id=supplier.id, expected=date(2026, 12, 1), items=[OrderItem(cup, 5)]
    )
    steps = []

    def step(action: str) -> None:
        clock.advance(minutes=7)
        steps.append((action, clock.now))

    step("order.place")
    placed = desk.place_order(ann, [OrderItem(cup, 3)], decisions={cup: WAIT})
    step("line.priority")
    desk.set_priority(placed.lines[0].line_id, 4)
    step("receipt.commit")
    desk.receive([OrderItem(cup, 5)], purchase_order_id=po.id)
    step("order.ship")
    desk.ship_order(placed.order_id)
    step("stock.adjust")
    desk.adjust_stock(cup, -1, reason="dropped")
    other = desk.place_order(ann, [OrderItem(cup, 1)])
    step("line.cancel")
    desk.cancel_line(other.lines[0].line_id, reason="changed mind")

    audited = {
        (e.action, e.at): e
        for e in AuditEvent.select().where(AuditEvent.action.in_([a for a, _ in steps]))
    }
    for action, at in steps:
        event = audited[(action, at)]
        assert event.staff.name == "Bea"
        assert json.loads(event.detail)  # says what changed
    assert json.loads(audited[("stock.adjust", steps[4][1])].detail) == {
        "delta": -1,
        "reason": "dropped",
    }
    assert {e.staff_id for e in AuditEvent.select()} == {bea.id}
    assert run_checks() == []


# ------------------------------------------- two stations at once (PostgreSQL)


def other_station(store: Store) -> Any:
    """A second connection to the same server database, as another till would have."""
    if store.is_sqlite:
        pytest.skip("SQLite runs one write transaction at a time (BEGIN IMMEDIATE); no race")
    import psycopg2

    return psycopg2.connect(store.location)


def run_while_other_station_holds_the_lock(
    store: Store, other: Any, action: Callable[[], Any]
) -> dict[str, Any]:
    """Run ``action`` at this station while ``other`` holds a product lock with uncommitted
    changes; commit them once ``action`` is waiting for the lock."""
    outcome: dict[str, Any] = {}

    def station() -> None:
        try:
            outcome["result"] = action()
        except Exception as error:  # reported to the test below
            outcome["error"] = error
        finally:
            store.database.close()

    thread = threading.Thread(target=station)
    thread.start()
    with other.cursor() as cursor:
        for _ in range(3000):  # until this station waits for the lock (at most ~30 s)
            if not thread.is_alive():
                break
            # Statistics are a snapshot per transaction: clear it to see the other backend.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                break
            time.sleep(0.01)
    other.commit()
    thread.join(timeout=60)
    assert not thread.is_alive()
    return outcome


def test_a_cancel_that_waited_for_another_stations_receipt_cancels_what_the_line_holds_then(
    controller: Controller, store: Store, clock: FakeClock
) -> None:
    cup = product(controller, "CUP")
    ann, bob = customer(controller, "Ann"), customer(controller, "Bob")
    ann_line = wait_for(controller, clock, ann, cup, 2)
    bob_line = wait_for(controller, clock, bob, cup, 1)
    other = other_station(store)
    try:
        with other.cursor() as cursor:
            # The other till receives 2 cups, which serve Ann's line; not committed yet.
            cursor.execute("SELECT id FROM product WHERE id = %s FOR UPDATE", (cup,))
            cursor.execute(
                "INSERT INTO stock_movement (product_id, qty, kind, reason, staff_id, created_at)"
                " VALUES (%s, 2, 'receipt', 'other till', 1, now())",
                (cup,),
            )
            cursor.execute(
                "UPDATE product SET on_hand = on_hand + 2, reserved = reserved + 2, "
                "waiting = waiting - 2 WHERE id = %s",
                (cup,),
            )
            cursor.execute(
                "UPDATE order_line SET qty_reserved = 2, qty_waiting = 0 WHERE id = %s",
                (ann_line,),
            )
        outcome = run_while_other_station_holds_the_lock(
            store, other, lambda: controller.cancel_line(ann_line, reason="gone")
        )
    finally:
        other.close()

    assert "error" not in outcome, outcome.get("error")
    # Ann's 2 cups, reserved by then, are cancelled and go on to Bob at once.
    assert buckets(ann_line) == (0, 0, 0, 2)
    assert buckets(bob_line) == (1, 0, 0, 0)
    assert figures(cup)[:4] == (2, 1, 1, 0)
    assert run_checks() == []


def test_shipping_that_waited_for_another_stations_cancel_ships_nothing_cancelled(
    controller: Controller, store: Store
) -> None:
    cup = product(controller, "CUP", stock=2)
    ann = customer(controller, "Ann")
    placed = controller.place_order(ann, [OrderItem(cup, 2)])
    ann_line = placed.lines[0].line_id
    other = other_station(store)
    try:
        with other.cursor() as cursor:
            # The other till cancels Ann's ready line; not committed yet.
            cursor.execute("SELECT id FROM product WHERE id = %s FOR UPDATE", (cup,))
            cursor.execute("UPDATE product SET reserved = reserved - 2 WHERE id = %s", (cup,))
            cursor.execute(
                "UPDATE order_line SET qty_reserved = 0, qty_cancelled = 2 WHERE id = %s",
                (ann_line,),
            )
        outcome = run_while_other_station_holds_the_lock(
            store, other, lambda: controller.ship_order(placed.order_id)
        )
    finally:
        other.close()

    assert isinstance(outcome.get("error"), UserError), outcome
    assert "nothing ready to ship" in str(outcome["error"])
    assert buckets(ann_line) == (0, 0, 0, 2)
    assert figures(cup)[:3] == (2, 0, 2)
    assert run_checks() == []


def test_editing_a_customer_refuses_a_phone_without_digits(controller: Controller) -> None:
    ann = customer(controller, "Ann")
    with pytest.raises(UserError, match="no digits") as refused:
        controller.update_customer(ann, name="Ann", email=None, phone="call me")
    assert refused.value.field == "phone"
    assert Customer.get_by_id(ann).phone is None
