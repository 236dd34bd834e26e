"""The demo shop: a believable, consistent store built through the controller."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from app import queries
from app.barcodes import parse_gtin
from app.check import run_checks
from app.controller import Controller
from app.demo import SIZES, build_demo
from app.errors import UserError
from app.models import Barcode, Customer, Order, OrderLine, Product, PurchaseOrder
from app.store import open_store
from tests.conftest import FakeClock


def test_small_demo_is_a_consistent_shop_with_a_backorder_queue(
    controller: Controller, clock: FakeClock
) -> None:
    calls: list[tuple[int, int]] = []
    summary = build_demo(controller, progress=lambda done, total: calls.append((done, total)))

    assert run_checks() == []
    assert summary.as_dict() == {
        "products": SIZES["small"].products,
        "customers": SIZES["small"].customers,
        "orders": SIZES["small"].orders,
        "waiting_lines": queries.count_backorders(),
        "purchase_orders": PurchaseOrder.select().count(),
    }
    waiting = queries.backorders(limit=None)
    assert len(waiting) >= 10
    assert any(row.eta is not None for row in waiting), "some backorders have a delivery date"
    assert any(row.eta is None for row in waiting), "some backorders have no date yet"
    assert OrderLine.select().where(OrderLine.decision == "wait").count() >= 24
    assert OrderLine.select().where(OrderLine.qty_cancelled > 0).exists()
    assert OrderLine.select().where(OrderLine.qty_shipped > 0).count() > 50
    # The progress bar ends full, and never goes back.
    assert calls[-1][0] == calls[-1][1] > 0
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    # The controller tells time by the real clock again.
    assert controller.clock is clock


def test_demo_dates_span_the_last_weeks_with_one_overdue_purchase_order(
    controller: Controller, clock: FakeClock
) -> None:
    build_demo(controller)
    today = clock()
    placed = [order.placed_at for order in Order.select()]
    assert min(placed) >= today - timedelta(days=46)
    assert max(placed) < today
    open_pos = list(PurchaseOrder.select().where(PurchaseOrder.status == "open"))
    overdue = [po for po in open_pos if po.expected_date < today.date()]
    coming = [po for po in open_pos if po.expected_date >= today.date()]
    assert len(overdue) == 1
    assert coming and all(po.expected_date <= (today + timedelta(days=28)).date() for po in coming)
    assert PurchaseOrder.select().where(PurchaseOrder.status == "closed").exists()


def test_demo_codes_and_contacts_can_never_reach_real_products_or_people(
    controller: Controller,
) -> None:
    build_demo(controller)
    products = list(Product.select())
    assert len({p.name for p in products}) == len(products)
    assert all(p.price_cents > 0 and p.reorder_point > 0 for p in products)
    codes = [b.display for b in Barcode.select()]
    assert len(codes) == len(products)
    for code in codes:
        assert len(code) == 13 and code.startswith("20"), code  # GS1 restricted circulation
        parse_gtin(code)  # raises on a wrong check digit
    emails = [c.email for c in Customer.select() if c.email]
    assert emails
    assert all(e.rsplit("@", 1)[1] in ("example.com", "example.org", "example.net") for e in emails)
    phones = [c.phone for c in Customer.select() if c.phone]
    assert all(p.startswith(("01632 960", "07700 900")) for p in phones)


def test_demo_refuses_a_store_that_already_has_products(controller: Controller) -> None:
    controller.add_product(sku="OWN-1", name="Our own product")

    with pytest.raises(UserError, match="already has products"):
        build_demo(controller)

    assert [p.sku for p in Product.select()] == ["OWN-1"]
    assert Customer.select().count() == 0


class Cancelled(Exception):
    """What a progress dialog's Cancel button raises."""


def test_cancelling_the_demo_keeps_nothing(controller: Controller, clock: FakeClock) -> None:
    def progress(done: int, total: int) -> None:
        if done > total // 2:
            raise Cancelled

    with pytest.raises(Cancelled):
        build_demo(controller, progress=progress)

    assert Product.select().count() == 0
    assert Customer.select().count() == 0
    assert controller.clock is clock
    build_demo(controller)  # the store is still new and empty: the demo can be built now
    assert Product.select().count() == SIZES["small"].products


def test_unknown_demo_size_is_refused(controller: Controller) -> None:
    with pytest.raises(UserError, match="Unknown demo size 'huge'"):
        build_demo(controller, size="huge")
    assert Product.select().count() == 0


def _snapshot() -> dict[str, Any]:
    return {
        "products": list(
            Product.select(
                Product.sku,
                Product.name,
                Product.price_cents,
                Product.reorder_point,
                Product.on_hand,
                Product.reserved,
                Product.waiting,
            )
            .order_by(Product.id)
            .tuples()
        ),
        "customers": list(
            Customer.select(Customer.name, Customer.email, Customer.phone)
            .order_by(Customer.id)
            .tuples()
        ),
        "lines": list(
            OrderLine.select(
                OrderLine.order,
                OrderLine.product,
                OrderLine.qty_ordered,
                OrderLine.qty_reserved,
                OrderLine.qty_shipped,
                OrderLine.qty_waiting,
                OrderLine.qty_cancelled,
                OrderLine.queued_at,
            )
            .order_by(OrderLine.id)
            .tuples()
        ),
        "purchase_orders": list(
            PurchaseOrder.select(PurchaseOrder.expected_date, PurchaseOrder.status)
            .order_by(PurchaseOrder.id)
            .tuples()
        ),
    }


def test_demo_is_the_same_shop_every_time(tmp_path: Path) -> None:
    """Two new SQLite stores at the same "now" get identical shops."""
    snapshots = []
    for name in ("one.db", "two.db"):
        store = open_store(tmp_path / name)
        try:
            build_demo(Controller(store, clock=FakeClock()))
            snapshots.append(_snapshot())
        finally:
            store.close()
    assert snapshots[0] == snapshots[1]
    assert len(snapshots[0]["lines"]) > SIZES["small"].orders
