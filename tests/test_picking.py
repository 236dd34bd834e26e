"""Pick list and packing slips after a receipt, as the warehouse worker prints them.

One sorted list to walk the shelves with, and one slip per order the delivery fulfilled,
with everything reserved for that order (also lines ready from before) and what still
waits, with its expected date. Runs on SQLite and (when configured) PostgreSQL.
"""

from __future__ import annotations

from datetime import date

import pytest

from app.controller import Controller, Decision, OrderItem
from app.errors import NotFound, UserError
from app.picking import PackingSlip, picking
from tests.conftest import FakeClock


def product(controller: Controller, sku: str, stock: int = 0) -> int:
    pid = int(controller.add_product(sku=sku, name=f"Product {sku}").id)
    if stock:
        controller.adjust_stock(pid, stock, reason="opening count")
    return pid


def order(
    controller: Controller, clock: FakeClock, name: str, items: dict[int, int]
) -> tuple[int, int]:
    """An order by a new customer that waits for whatever is short: (order id, customer id)."""
    clock.advance(minutes=1)
    cust = int(controller.add_customer(name=name, email=f"{name.lower()}@example.com").id)
    placed = controller.place_order(
        cust,
        [OrderItem(pid, qty) for pid, qty in items.items()],
        decisions=dict.fromkeys(items, Decision.WAIT),
    )
    return placed.order_id, cust


def receive(controller: Controller, *scans: str) -> int:
    draft = controller.open_draft_receipt()
    for text in scans:
        controller.draft_scan(draft, text)
    return controller.commit_draft(draft).receipt_id


def slip_view(slip: PackingSlip) -> tuple[object, ...]:
    return (
        slip.order_id,
        slip.customer,
        slip.email,
        [(line.sku, line.qty) for line in slip.lines],
        [(line.sku, line.waiting, line.eta) for line in slip.waiting],
        slip.units,
    )


def test_pick_list_is_sorted_and_each_fulfilled_order_gets_one_slip(
    controller: Controller, clock: FakeClock
) -> None:
    mug = product(controller, "MUG", stock=5)
    soap, tape, glue = (
        product(controller, "SOAP"),
        product(controller, "TAPE"),
        product(controller, "GLUE"),
    )
    supplier = controller.supplier_named("Acme")
    for expected, items in ((date(2026, 12, 1), {glue: 3}), (date(2026, 12, 15), {soap: 10})):
        controller.add_purchase_order(
            supplier_id=supplier.id,
            expected=expected,
            items=[OrderItem(pid, qty) for pid, qty in items.items()],
        )
    ann_order, _ = order(controller, clock, "Ann", {mug: 1, soap: 2, glue: 3})
    bob_order, _ = order(controller, clock, "Bob", {tape: 1, soap: 5})
    order(controller, clock, "Cat", {soap: 1})  # behind Bob: this delivery does not reach her
    dan_order, _ = order(controller, clock, "Dan", {tape: 2})

    receipt = receive(controller, "4*SOAP", "3*TAPE")
    plan = picking(receipt)

    # Ann's soap and Dan's tape complete their lines; Bob's tape too, while his soap gets
    # two of five: those two go in his parcel, the rest follows.
    assert [slip_view(slip) for slip in plan.slips] == [
        (
            ann_order,
            "Ann",
            "ann@example.com",
            [("MUG", 1), ("SOAP", 2)],  # the mug was ready from before: same parcel
            [("GLUE", 3, date(2026, 12, 1))],
            3,
        ),
        (
            bob_order,
            "Bob",
            "bob@example.com",
            [("TAPE", 1), ("SOAP", 2)],
            [("SOAP", 3, date(2026, 12, 15))],
            3,
        ),
        (dan_order, "Dan", "dan@example.com", [("TAPE", 2)], [], 2),
    ]
    assert [(row.sku, row.order_id, row.qty, row.customer) for row in plan.pick_list] == [
        ("MUG", ann_order, 1, "Ann"),
        ("SOAP", ann_order, 2, "Ann"),
        ("SOAP", bob_order, 2, "Bob"),
        ("TAPE", bob_order, 1, "Bob"),
        ("TAPE", dan_order, 2, "Dan"),
    ]
    assert plan.total_units == 8 == sum(slip.units for slip in plan.slips)
    assert plan.units_by_sku() == {"MUG": 1, "SOAP": 4, "TAPE": 3}
    assert plan.receipt_id == receipt and plan.committed_at == clock.now


def test_a_receipt_that_fulfils_no_line_has_nothing_to_pick(
    controller: Controller, clock: FakeClock
) -> None:
    soap = product(controller, "SOAP")
    order(controller, clock, "Ann", {soap: 5})

    plan = picking(receive(controller, "2*SOAP"))  # Ann's line is only partly served

    assert (plan.pick_list, plan.slips, plan.total_units) == ((), (), 0)


def test_an_order_shipped_since_drops_off_the_plan(
    controller: Controller, clock: FakeClock
) -> None:
    soap = product(controller, "SOAP")
    ann_order, _ = order(controller, clock, "Ann", {soap: 1})
    bob_order, _ = order(controller, clock, "Bob", {soap: 1})
    receipt = receive(controller, "2*SOAP")
    assert [slip.order_id for slip in picking(receipt).slips] == [ann_order, bob_order]

    controller.ship_order(ann_order)

    plan = picking(receipt)
    assert [slip.order_id for slip in plan.slips] == [bob_order]
    assert [(row.order_id, row.qty) for row in plan.pick_list] == [(bob_order, 1)]


def test_picking_needs_a_received_receipt(controller: Controller) -> None:
    product(controller, "SOAP")
    draft = controller.open_draft_receipt()
    controller.draft_scan(draft, "SOAP")

    with pytest.raises(UserError, match="draft"):
        picking(draft)
    with pytest.raises(NotFound):
        picking(draft + 99)
