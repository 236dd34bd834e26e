"""A first end-to-end run of the engine: order short, wait, receive, fulfil, ship."""

from __future__ import annotations

import pytest

from app.check import run_checks
from app.controller import Controller, Decision, OrderItem
from app.errors import ShortageDecisionNeeded


def test_short_order_waits_then_is_fulfilled_on_receipt(controller: Controller) -> None:
    widget = controller.add_product(sku="W-1", name="Widget", barcodes=["4006381333931"])
    ann = controller.add_customer(name="Ann", email="ann@example.com")
    controller.adjust_stock(widget.id, 3, reason="opening count")

    with pytest.raises(ShortageDecisionNeeded) as refused:
        controller.place_order(ann.id, [OrderItem(widget.id, 5)])
    assert [(s.available, s.short_by) for s in refused.value.shortages] == [(3, 2)]

    placed = controller.place_order(
        ann.id, [OrderItem(widget.id, 5)], decisions={widget.id: Decision.WAIT}
    )
    assert placed.lines[0].reserved == 3 and placed.lines[0].waiting == 2

    result = controller.receive([OrderItem(widget.id, 2)])
    assert [(f.order_id, f.qty, f.ready_qty) for f in result.fulfilled] == [(placed.order_id, 2, 5)]
    assert result.left_in_stock == {"W-1": 0}
    shipped = controller.ship_order(placed.order_id)
    assert [s.qty for s in shipped] == [5]
    assert run_checks() == []
