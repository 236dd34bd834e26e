"""Honest dates and buying what the queue needs, through the controller.

ETAs are recomputed when purchase orders change and the queue moves: a customer whose
lines now come later than they were told gets exactly one "eta_changed" message (all their
moved lines, old and new date); a date that moves earlier is not announced. Where no
delivery is booked the supplier's lead time gives an estimate, marked as such. Reorder
suggestions, draft purchase orders and the lines waiting on an overdue PO are checked on
small stores whose figures are worked out by hand in the comments.

Every test runs on SQLite and, with ``BACKORDER_DESK_TEST_PG`` set, on PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from app import eta, purchasing, queries
from app.check import run_checks
from app.controller import Controller, Decision, OrderItem
from app.errors import NotFound, ShortageDecisionNeeded, UserError
from app.models import AuditEvent, CustomerMessage, OrderLine, PurchaseOrder
from app.purchase_queries import purchase_order_detail, purchase_orders
from tests.conftest import FakeClock

WAIT = Decision.WAIT
TODAY = date(2026, 11, 2)  # the FakeClock's day


def product(controller: Controller, sku: str, *, stock: int = 0, **extra: object) -> int:
    made = controller.add_product(sku=sku, name=f"Product {sku}", price_cents=500, **extra)  # type: ignore[arg-type]
    if stock:
        controller.adjust_stock(made.id, stock, reason="opening count")
    return int(made.id)


def customer(controller: Controller, name: str) -> int:
    return int(controller.add_customer(name=name, email=f"{name.lower()}@example.com").id)


def wait_for(
    controller: Controller, clock: FakeClock, who: int, items: dict[int, int], priority: int = 0
) -> list[int]:
    """Place an order whose short lines wait; returns its line ids (in item order)."""
    clock.advance(minutes=1)
    placed = controller.place_order(
        who,
        [OrderItem(pid, qty) for pid, qty in items.items()],
        decisions={pid: WAIT for pid in items},
        priority=priority,
    )
    return [line.line_id for line in placed.lines]


def told(line_id: int) -> date | None:
    return OrderLine.get_by_id(line_id).eta_notified


def eta_messages() -> list[CustomerMessage]:
    return list(
        CustomerMessage.select()
        .where(CustomerMessage.event == "eta_changed")
        .order_by(CustomerMessage.id)
    )


def moved(message: CustomerMessage) -> list[int]:
    return json.loads(message.payload)["line_ids"]


# ------------------------------------------------------------ ETAs told


def test_delay_and_changes_tell_exactly_the_customers_whose_dates_move_later(
    controller: Controller, clock: FakeClock
) -> None:
    cup, mug = product(controller, "CUP"), product(controller, "MUG")
    ann, bob, cat = (customer(controller, name) for name in ("Ann", "Bob", "Cat"))
    supplier = controller.supplier_named("Cups Ltd").id
    po_a = controller.add_purchase_order(
        supplier_id=supplier,
        expected=date(2026, 12, 12),
        items=[OrderItem(cup, 4), OrderItem(mug, 2)],
    ).id
    po_b = controller.add_purchase_order(
        supplier_id=supplier, expected=date(2026, 12, 20), items=[OrderItem(cup, 10)]
    ).id
    ann_cup, ann_mug = wait_for(controller, clock, ann, {cup: 3, mug: 2})
    (bob_cup,) = wait_for(controller, clock, bob, {cup: 3})
    (cat_cup,) = wait_for(controller, clock, cat, {cup: 5})
    # CUP: A brings 4 on 12 Dec (covers Ann's 3), B 10 more on 20 Dec (Bob to 6, Cat to 11).
    assert [told(i) for i in (ann_cup, ann_mug, bob_cup, cat_cup)] == [
        date(2026, 12, 12),
        date(2026, 12, 12),
        date(2026, 12, 20),
        date(2026, 12, 20),
    ]

    # A slips to 22 Dec: CUP is now 10 on 20 Dec then 14 on 22 Dec. Ann's cup moves to
    # 20 Dec and her mug to 22 Dec (one message for both); Cat's 11th unit to 22 Dec; Bob
    # stays on 20 Dec and hears nothing.
    delay = controller.delay_purchase_order(po_a, date(2026, 12, 22))
    assert (delay.customers_told, delay.lines_later) == (2, 3)
    first, second = eta_messages()
    assert (first.customer_id, sorted(moved(first))) == (ann, sorted([ann_cup, ann_mug]))
    assert (second.customer_id, moved(second)) == (cat, [cat_cup])
    assert "now expected around 20 Dec 2026 (was around 12 Dec 2026)" in first.body
    assert "now expected around 22 Dec 2026 (was around 12 Dec 2026)" in first.body
    assert "now expected around 22 Dec 2026 (was around 20 Dec 2026)" in second.body
    assert [told(i) for i in (ann_cup, ann_mug, bob_cup, cat_cup)] == [
        date(2026, 12, 20),
        date(2026, 12, 22),
        date(2026, 12, 20),
        date(2026, 12, 22),
    ]
    later = AuditEvent.select().where(AuditEvent.action == eta.ETA_LATER)
    assert sorted(e.entity_id for e in later) == sorted([ann_cup, ann_mug, cat_cup])
    delayed = AuditEvent.get(AuditEvent.action == "po.delay")
    assert json.loads(delayed.detail)["customers_told"] == 2

    # B shrinks to 5: CUP is 5 on 20 Dec, 9 on 22 Dec. Bob (6) moves to 22 Dec; Cat (11)
    # has no date any more, which is later than any date.
    controller.update_purchase_order(po_b, items=[OrderItem(cup, 5)])
    bob_msg, cat_msg = eta_messages()[2:]
    assert (bob_msg.customer_id, moved(bob_msg)) == (bob, [bob_cup])
    assert (cat_msg.customer_id, moved(cat_msg)) == (cat, [cat_cup])
    assert "as soon as we have a date (was around 22 Dec 2026)" in cat_msg.body
    assert (told(bob_cup), told(cat_cup)) == (date(2026, 12, 22), None)

    # B back to 10: every date comes earlier. Nobody is told; the dates told stay.
    controller.update_purchase_order(po_b, items=[OrderItem(cup, 10)])
    assert len(eta_messages()) == 4
    assert (told(bob_cup), told(cat_cup)) == (date(2026, 12, 22), None)
    rows = {row.line_id: row for row in queries.backorders(product_id=cup)}
    assert (rows[bob_cup].eta, rows[bob_cup].eta_told) == (date(2026, 12, 20), date(2026, 12, 22))
    assert rows[bob_cup].earlier_than_told and rows[cat_cup].earlier_than_told
    # The list keeps the last later move and the date held before it.
    move = rows[cat_cup].eta_moved
    assert move is not None and (move.old, move.new) == (date(2026, 12, 22), None)
    assert rows[ann_cup].eta_moved is not None
    assert rows[ann_cup].eta_moved.old == date(2026, 12, 12)
    assert not rows[ann_cup].earlier_than_told
    assert run_checks() == []


def test_adding_a_po_or_receiving_part_of_one_tells_nobody(
    controller: Controller, clock: FakeClock
) -> None:
    cup = product(controller, "CUP")
    ann, bob = customer(controller, "Ann"), customer(controller, "Bob")
    supplier = controller.supplier_named("Cups Ltd").id
    po = controller.add_purchase_order(
        supplier_id=supplier, expected=date(2026, 12, 12), items=[OrderItem(cup, 4)]
    ).id
    (ann_cup,) = wait_for(controller, clock, ann, {cup: 3})
    (bob_cup,) = wait_for(controller, clock, bob, {cup: 3})
    assert (told(ann_cup), told(bob_cup)) == (date(2026, 12, 12), None)

    # A second PO gives Bob a date: better news, not announced (he holds "no date yet").
    controller.add_purchase_order(
        supplier_id=supplier, expected=date(2026, 12, 30), items=[OrderItem(cup, 5)]
    )
    assert queries.backorders(product_id=cup)[1].eta == date(2026, 12, 30)
    # Two of the 4 arrive: Ann gets them (1 still waits, now covered by the 2 to come).
    result = controller.receive([OrderItem(cup, 2)], purchase_order_id=po)
    assert not result.purchase_order_closed
    assert [(row.customer, row.waiting, row.eta) for row in queries.backorders()] == [
        ("Ann", 1, date(2026, 12, 12)),
        ("Bob", 3, date(2026, 12, 30)),
    ]
    assert eta_messages() == []
    assert (told(ann_cup), told(bob_cup)) == (date(2026, 12, 12), None)
    assert not AuditEvent.select().where(AuditEvent.action == eta.ETA_LATER).exists()


def test_priority_changes_and_priority_orders_tell_the_customers_overtaken(
    controller: Controller, clock: FakeClock
) -> None:
    cup = product(controller, "CUP")
    ann, bob, dan = (customer(controller, name) for name in ("Ann", "Bob", "Dan"))
    supplier = controller.supplier_named("Cups Ltd").id
    for expected, qty in ((date(2026, 12, 12), 4), (date(2026, 12, 20), 10)):
        controller.add_purchase_order(
            supplier_id=supplier, expected=expected, items=[OrderItem(cup, qty)]
        )
    (ann_cup,) = wait_for(controller, clock, ann, {cup: 3})
    (bob_cup,) = wait_for(controller, clock, bob, {cup: 3})

    # Dan's urgent order (priority 1) goes first: Ann (now 4-6) moves to 20 Dec.
    (dan_cup,) = wait_for(controller, clock, dan, {cup: 3}, priority=1)
    assert told(dan_cup) == date(2026, 12, 12)
    (message,) = eta_messages()
    assert (message.customer_id, moved(message)) == (ann, [ann_cup])
    assert told(ann_cup) == date(2026, 12, 20)

    # Bob raised above everyone: Dan (4-6) moves to 20 Dec; Ann (7-9) stays on 20 Dec.
    controller.set_priority(bob_cup, 2)
    (to_dan,) = eta_messages()[1:]
    assert (to_dan.customer_id, moved(to_dan)) == (dan, [dan_cup])

    # Cancelling Bob brings everyone forward: nobody is told.
    controller.cancel_line(bob_cup, reason="found elsewhere")
    assert len(eta_messages()) == 2
    assert run_checks() == []


def test_delay_refuses_a_date_that_is_not_later_or_has_passed(
    controller: Controller, clock: FakeClock
) -> None:
    cup = product(controller, "CUP")
    supplier = controller.supplier_named("Cups Ltd").id
    po = controller.add_purchase_order(
        supplier_id=supplier, expected=date(2026, 11, 20), items=[OrderItem(cup, 4)]
    ).id
    with pytest.raises(UserError, match="needs a later date") as same:
        controller.delay_purchase_order(po, date(2026, 11, 20))
    assert same.value.field == "expected"
    with pytest.raises(UserError, match="has already passed"):
        controller.delay_purchase_order(po, date(2026, 11, 1))
    with pytest.raises(UserError, match="missing"):
        controller.delay_purchase_order(po, None)
    with pytest.raises(NotFound):
        controller.delay_purchase_order(po + 99, date(2026, 12, 1))
    assert not AuditEvent.select().where(AuditEvent.action == "po.delay").exists()
    assert PurchaseOrder.get_by_id(po).expected_date == date(2026, 11, 20)


# ------------------------------------------------------ lead-time estimates


def test_without_a_booked_delivery_the_lead_time_gives_a_marked_estimate(
    controller: Controller, clock: FakeClock
) -> None:
    acme = controller.supplier_named("Acme", lead_time_days=14).id
    lamp = product(controller, "LAMP", stock=1, supplier_id=acme)
    loose = product(controller, "LOOSE")  # no supplier: no estimate
    ann = customer(controller, "Ann")

    with pytest.raises(ShortageDecisionNeeded) as asked:
        controller.place_order(ann, [OrderItem(lamp, 3), OrderItem(loose, 1)])
    lamp_short, loose_short = asked.value.shortages
    assert lamp_short.eta is None and lamp_short.estimated
    assert lamp_short.estimate == TODAY + timedelta(days=14)
    assert lamp_short.sentence() == (
        "1 can go with you today; the other 2 are probably here around 16 Nov — no delivery "
        "is booked yet (the supplier usually takes 14 days)."
    )
    assert lamp_short.when() == "about 16 Nov 2026 (estimate: supplier lead time 14 days)"
    assert lamp_short.as_dict()["eta"] is None
    assert lamp_short.as_dict()["eta_estimate"] == "2026-11-16"
    assert not loose_short.estimated and loose_short.as_dict()["eta_estimate"] is None
    assert loose_short.sentence().endswith("not dated yet (no delivery is booked).")
    assert controller.preview_order([OrderItem(lamp, 3)])[0].estimated

    (lamp_line, loose_line) = wait_for(controller, clock, ann, {lamp: 3, loose: 1})
    assert told(lamp_line) is None  # an estimate is never a date told
    rows = {row.line_id: row for row in queries.backorders()}
    later = TODAY + timedelta(days=3)
    assert rows[lamp_line].eta is None
    assert rows[lamp_line].estimate(later) == later + timedelta(days=14)
    assert (
        rows[lamp_line].as_dict(later)["eta_estimate"] == (later + timedelta(days=14)).isoformat()
    )
    assert rows[loose_line].estimate(later) is None

    # Once a delivery is booked its date is the ETA, and no estimate is given.
    controller.add_purchase_order(
        supplier_id=acme, expected=date(2026, 11, 25), items=[OrderItem(lamp, 5)]
    )
    row = queries.backorders(product_id=lamp)[0]
    assert (row.eta, row.estimate(later)) == (date(2026, 11, 25), None)
    assert not controller.preview_order([OrderItem(lamp, 1)])[0].estimated


# -------------------------------------------------------- reorder suggestions


@pytest.fixture
def reorder_store(controller: Controller, clock: FakeClock) -> dict[str, int]:
    """Suppliers Acme (10 days) and Bolt (none), and products whose suggestions are:

    ========  =======  ===  ==========  ========  =======  ==========================
    product   waiting  RP   available   incoming  drafted  order
    ========  =======  ===  ==========  ========  =======  ==========================
    A1        0        5    2           0         0        0 + 5 - 2 = 3
    A2        7        0    0           3         0        7 + 0 - 0 - 3 = 4
    A3        0        4    10          0         0        4 - 10 < 0: none
    A4        0        4    5 - 3 = 2   0         0        4 - 2 = 2
    B1        3        2    0           1         1        3 + 2 - 1 - 1 = 3
    N1        0        1    0           0         0        1 (no supplier)
    ========  =======  ===  ==========  ========  =======  ==========================

    So Acme: A1 3, A2 4, A4 2 (9 units); Bolt: B1 3; without supplier: N1 1.
    """
    acme = controller.supplier_named("Acme", lead_time_days=10).id
    bolt = controller.supplier_named("Bolt").id
    ids = {
        "acme": acme,
        "bolt": bolt,
        "A1": product(controller, "A1", stock=2, reorder_point=5, supplier_id=acme),
        "A2": product(controller, "A2", supplier_id=acme),
        "A3": product(controller, "A3", stock=10, reorder_point=4, supplier_id=acme),
        "A4": product(controller, "A4", stock=5, reorder_point=4, supplier_id=acme),
        "B1": product(controller, "B1", reorder_point=2, supplier_id=bolt),
        "N1": product(controller, "N1", reorder_point=1),
    }
    ann = customer(controller, "Ann")
    wait_for(controller, clock, ann, {ids["A2"]: 7, ids["B1"]: 3})
    controller.place_order(ann, [OrderItem(ids["A4"], 3)])  # reserves 3 of A4's 5
    controller.add_purchase_order(
        supplier_id=acme, expected=date(2026, 11, 30), items=[OrderItem(ids["A2"], 3)]
    )
    controller.add_purchase_order(
        supplier_id=bolt, expected=date(2026, 11, 30), items=[OrderItem(ids["B1"], 1)]
    )
    controller.add_purchase_order(
        supplier_id=bolt,
        expected=date(2026, 12, 5),
        items=[OrderItem(ids["B1"], 1)],
        draft=True,
    )
    return ids


def test_reorder_suggestions_are_worked_out_and_grouped_by_supplier(
    reorder_store: dict[str, int],
) -> None:
    ids = reorder_store
    groups = purchasing.reorder_groups()
    assert [(g.supplier_id, g.label, g.lead_time_days, g.products, g.units) for g in groups] == [
        (ids["acme"], "Acme", 10, 3, 9),
        (ids["bolt"], "Bolt", None, 1, 3),
        (None, "No supplier set", None, 1, 1),
    ]
    acme = purchasing.reorder_lines(ids["acme"])
    assert [
        (r.sku, r.waiting, r.reorder_point, r.available, r.incoming, r.drafted, r.units)
        for r in acme
    ] == [
        ("A1", 0, 5, 2, 0, 0, 3),
        ("A2", 7, 0, 0, 3, 0, 4),
        ("A4", 0, 4, 2, 0, 0, 2),
    ]
    (b1,) = purchasing.reorder_lines(ids["bolt"])
    assert (b1.sku, b1.incoming, b1.drafted, b1.units) == ("B1", 1, 1, 3)
    assert [r.sku for r in purchasing.reorder_lines(None)] == ["N1"]
    assert [r.sku for r in purchasing.reorder_lines(ids["acme"], offset=1, limit=1)] == ["A2"]


def test_a_draft_po_from_a_group_is_not_incoming_until_confirmed(
    controller: Controller, clock: FakeClock, reorder_store: dict[str, int]
) -> None:
    ids = reorder_store
    a2_line = OrderLine.get(OrderLine.product == ids["A2"]).id
    assert queries.backorders(product_id=ids["A2"])[0].eta is None  # 3 of 7 booked

    draft = controller.create_reorder_draft(ids["acme"])
    assert draft.status == "draft"
    assert draft.expected_date == TODAY + timedelta(days=10)  # Acme's lead time
    po_lines = {
        r.product_id: (r.ordered, r.received) for r in purchase_order_detail(draft.id).lines
    }
    assert po_lines == {ids["A1"]: (3, 0), ids["A2"]: (4, 0), ids["A4"]: (2, 0)}
    # Not incoming: stock figures and ETAs ignore it ...
    assert queries.stock_figures(ids["A2"]).incoming == 3
    assert queries.backorders(product_id=ids["A2"])[0].eta is None
    with pytest.raises(UserError, match="is a draft"):
        controller.receive([OrderItem(ids["A2"], 1)], purchase_order_id=draft.id)
    # ... but the suggestions count it, so the same units are not offered twice.
    assert [g.label for g in purchasing.reorder_groups()] == ["Bolt", "No supplier set"]
    with pytest.raises(UserError, match="Nothing needs ordering from Acme"):
        controller.create_reorder_draft(ids["acme"])
    # A draft may still be changed.
    controller.update_purchase_order(draft.id, items=[OrderItem(ids["A2"], 4)])

    confirmed = controller.confirm_purchase_order(draft.id)
    assert confirmed.status == "open"
    assert queries.stock_figures(ids["A2"]).incoming == 7
    # The 7 waiting need both: 4 on 12 Nov (the draft) and 3 more on 30 Nov.
    row = queries.backorders(product_id=ids["A2"])[0]
    assert (row.line_id, row.eta) == (a2_line, date(2026, 11, 30))
    assert eta_messages() == []  # an earlier date is not announced
    assert AuditEvent.select().where(AuditEvent.action == "po.confirm").count() == 1
    assert AuditEvent.select().where(AuditEvent.action == "po.draft").count() == 2
    with pytest.raises(UserError, match="not a draft"):
        controller.confirm_purchase_order(draft.id)
    assert run_checks() == []


def test_a_draft_whose_date_has_passed_is_not_confirmed(
    controller: Controller, clock: FakeClock, reorder_store: dict[str, int]
) -> None:
    draft = controller.create_reorder_draft(reorder_store["bolt"])
    assert draft.expected_date == TODAY + timedelta(days=7)  # Bolt has no lead time
    clock.advance(days=9)
    with pytest.raises(UserError, match="has passed") as refused:
        controller.confirm_purchase_order(draft.id)
    assert refused.value.field == "expected"
    assert PurchaseOrder.get_by_id(draft.id).status == "draft"
    controller.update_purchase_order(draft.id, expected=TODAY + timedelta(days=12))
    assert controller.confirm_purchase_order(draft.id).status == "open"


# ------------------------------------------------------------- overdue POs


def test_an_overdue_po_lists_the_lines_waiting_on_it(
    controller: Controller, clock: FakeClock
) -> None:
    cup, mug = product(controller, "CUP"), product(controller, "MUG")
    ann, bob, cat, dan = (customer(controller, n) for n in ("Ann", "Bob", "Cat", "Dan"))
    supplier = controller.supplier_named("Cups Ltd").id
    late = controller.add_purchase_order(
        supplier_id=supplier,
        expected=date(2026, 11, 10),
        items=[OrderItem(cup, 4), OrderItem(mug, 2)],
    ).id
    later = controller.add_purchase_order(
        supplier_id=supplier, expected=date(2026, 11, 20), items=[OrderItem(cup, 10)]
    ).id
    ann_cup, ann_mug = wait_for(controller, clock, ann, {cup: 3, mug: 1})
    (bob_cup,) = wait_for(controller, clock, bob, {cup: 3})
    (cat_cup,) = wait_for(controller, clock, cat, {cup: 5})
    (dan_mug,) = wait_for(controller, clock, dan, {mug: 4})
    clock.advance(days=10)  # 12 Nov: the first PO is two days late

    (row,) = [r for r in purchase_orders(today=date(2026, 11, 12)) if r.po_id == late]
    assert row.overdue
    # CUP: the late PO's 4 units are queue units 1-4 (Ann's 3, Bob's first);
    # MUG: its 2 are units 1-2 (Ann's 1, Dan's first).
    waiting = purchasing.waiting_on(late)
    assert [(w.line_id, w.customer, w.sku, w.waiting, w.units_from_po) for w in waiting] == [
        (ann_cup, "Ann", "CUP", 3, 3),
        (bob_cup, "Bob", "CUP", 3, 1),
        (ann_mug, "Ann", "MUG", 1, 1),
        (dan_mug, "Dan", "MUG", 4, 1),
    ]
    assert waiting[0].eta_told == date(2026, 11, 10)
    assert purchasing.count_waiting_on(late) == (4, 3)
    # The next PO's 10 CUP are units 5-14: Bob's other 2 and Cat's 5.
    assert [(w.line_id, w.units_from_po) for w in purchasing.waiting_on(later)] == [
        (bob_cup, 2),
        (cat_cup, 5),
    ]
    assert len(purchasing.waiting_on(late, limit=2)) == 2
    # Once it is received in full nothing waits on it any more.
    controller.receive([OrderItem(cup, 4), OrderItem(mug, 2)], purchase_order_id=late)
    assert purchasing.waiting_on(late) == [] and purchasing.count_waiting_on(late) == (0, 0)
