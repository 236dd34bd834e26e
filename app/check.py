"""``check``: verify the store's invariants, each with one aggregate query.

* on hand == sum of the product's movements, and never negative;
* reserved == sum of reservations of unshipped lines; 0 <= reserved <= on hand;
* waiting == sum of the product's waiting units;
* no product has both available stock and a waiting line;
* every line: ordered == reserved + shipped + waiting + cancelled, none negative;
* shipped units == minus the sum of the line's shipment movements (a unit leaves once);
* a line's history: 0 <= units lost to a shortage <= cancelled, 0 <= units reserved at
  order time <= ordered, only a line the customer chose to wait for has units waiting,
  and a line marked fulfilled waited and waits no more.

A reservation is a count on exactly one line, and a product's reserved total can never
exceed what is on hand, so a unit cannot be reserved for two lines. The serving order of the
queue is checked where it is decided (the property tests replay it against a model).
"""

from __future__ import annotations

from peewee import JOIN, fn

from app.migrations import VERSION_KEY
from app.models import OrderLine, Product, Setting, StockMovement


def run_checks() -> list[str]:
    """Every invariant that does not hold, as one sentence each; empty when all hold."""
    findings: list[str] = []
    findings += _ledger()
    findings += _line_totals()
    findings += _lines()
    findings += _shipments()
    if _schema_version() >= HISTORY_VERSION:
        findings += _line_history()
    return findings


#: The schema version that added the lines' history (``migrations._v4_line_history``).
HISTORY_VERSION = 4


def _schema_version() -> int:
    # Always current in a store this program opened; an older one is only met where a
    # test stands in for an older program.
    row = Setting.get_or_none(Setting.key == VERSION_KEY)
    return int(row.value) if row is not None else 0


def _ledger() -> list[str]:
    ledger = (
        StockMovement.select(StockMovement.product, fn.SUM(StockMovement.qty).alias("total"))
        .group_by(StockMovement.product)
        .alias("ledger")
    )
    rows = (
        Product.select(Product.sku, Product.on_hand, fn.COALESCE(ledger.c.total, 0))
        .join(ledger, JOIN.LEFT_OUTER, on=(ledger.c.product_id == Product.id))
        .where((Product.on_hand != fn.COALESCE(ledger.c.total, 0)) | (Product.on_hand < 0))
        .tuples()
    )
    return [
        f"Product {sku}: on hand is {on_hand} but its stock movements add up to {total}."
        if on_hand != total
        else f"Product {sku}: on hand is negative ({on_hand})."
        for sku, on_hand, total in rows
    ]


def _line_totals() -> list[str]:
    sums = (
        OrderLine.select(
            OrderLine.product,
            fn.SUM(OrderLine.qty_reserved).alias("reserved"),
            fn.SUM(OrderLine.qty_waiting).alias("waiting"),
        )
        .group_by(OrderLine.product)
        .alias("sums")
    )
    reserved = fn.COALESCE(sums.c.reserved, 0)
    waiting = fn.COALESCE(sums.c.waiting, 0)
    rows = (
        Product.select(
            Product.sku, Product.on_hand, Product.reserved, Product.waiting, reserved, waiting
        )
        .join(sums, JOIN.LEFT_OUTER, on=(sums.c.product_id == Product.id))
        .where(
            (Product.reserved != reserved)
            | (Product.waiting != waiting)
            | (Product.reserved < 0)
            | (Product.reserved > Product.on_hand)
            | ((Product.waiting > 0) & (Product.on_hand > Product.reserved))
        )
        .tuples()
    )
    findings = []
    for sku, on_hand, kept_reserved, kept_waiting, line_reserved, line_waiting in rows:
        if kept_reserved != line_reserved:
            findings.append(
                f"Product {sku}: reserved is {kept_reserved} but its lines reserve {line_reserved}."
            )
        if kept_waiting != line_waiting:
            findings.append(
                f"Product {sku}: waiting is {kept_waiting} but its lines wait for {line_waiting}."
            )
        if not 0 <= kept_reserved <= on_hand:
            findings.append(
                f"Product {sku}: reserved {kept_reserved} is outside 0..on hand ({on_hand})."
            )
        if kept_waiting > 0 and on_hand > kept_reserved:
            findings.append(
                f"Product {sku}: {on_hand - kept_reserved} available while {kept_waiting} "
                "units wait: the queue was not served."
            )
    return findings


def _lines() -> list[str]:
    parts = (
        OrderLine.qty_reserved
        + OrderLine.qty_shipped
        + OrderLine.qty_waiting
        + OrderLine.qty_cancelled
    )
    rows = (
        OrderLine.select(
            OrderLine.id,
            OrderLine.qty_ordered,
            OrderLine.qty_reserved,
            OrderLine.qty_shipped,
            OrderLine.qty_waiting,
            OrderLine.qty_cancelled,
        )
        .where(
            (OrderLine.qty_ordered != parts)
            | (OrderLine.qty_reserved < 0)
            | (OrderLine.qty_shipped < 0)
            | (OrderLine.qty_waiting < 0)
            | (OrderLine.qty_cancelled < 0)
        )
        .tuples()
    )
    return [
        f"Order line {line_id}: ordered {ordered} != reserved {reserved} + shipped {shipped} "
        f"+ waiting {waiting} + cancelled {cancelled}, or one of them is negative."
        for line_id, ordered, reserved, shipped, waiting, cancelled in rows
    ]


def _shipments() -> list[str]:
    shipped = (
        StockMovement.select(StockMovement.order_line, fn.SUM(StockMovement.qty).alias("total"))
        .where(StockMovement.kind == "shipment")
        .group_by(StockMovement.order_line)
        .alias("shipped")
    )
    total = fn.COALESCE(shipped.c.total, 0)
    rows = (
        OrderLine.select(OrderLine.id, OrderLine.qty_shipped, total)
        .join(shipped, JOIN.LEFT_OUTER, on=(shipped.c.order_line_id == OrderLine.id))
        .where(OrderLine.qty_shipped + total != 0)  # unary minus is DESC in peewee
        .tuples()
    )
    return [
        f"Order line {line_id}: {qty} shipped but its shipment movements take {-moved}."
        for line_id, qty, moved in rows
    ]


def _line_history() -> list[str]:
    """The history the dashboard reads (lost demand, fill rate, waits) agrees with the
    line's quantities."""
    fulfilled = OrderLine.fulfilled_at.is_null(False)
    waited = OrderLine.decision == "wait"
    rows = (
        OrderLine.select(
            OrderLine.id,
            OrderLine.qty_ordered,
            OrderLine.qty_waiting,
            OrderLine.qty_cancelled,
            OrderLine.qty_lost,
            OrderLine.qty_reserved_at_order,
            OrderLine.decision,
            OrderLine.fulfilled_at,
        )
        .where(
            (OrderLine.qty_lost < 0)
            | (OrderLine.qty_lost > OrderLine.qty_cancelled)
            | (OrderLine.qty_reserved_at_order < 0)
            | (OrderLine.qty_reserved_at_order > OrderLine.qty_ordered)
            | ((OrderLine.qty_waiting > 0) & (OrderLine.decision.is_null() | ~waited))
            | (fulfilled & ((OrderLine.qty_waiting > 0) | OrderLine.decision.is_null() | ~waited))
        )
        .tuples()
    )
    findings = []
    for line_id, ordered, waiting, cancelled, lost, at_order, decision, done in rows:
        line = f"Order line {line_id}"
        if not 0 <= lost <= cancelled:
            findings.append(
                f"{line}: {lost} units lost to a shortage is outside 0..cancelled ({cancelled})."
            )
        if not 0 <= at_order <= ordered:
            findings.append(
                f"{line}: {at_order} units reserved when ordered is outside 0..ordered ({ordered})."
            )
        if waiting > 0 and decision != "wait":
            findings.append(
                f"{line}: {waiting} units wait but the customer never chose to wait for them."
            )
        if done is not None and waiting > 0:
            findings.append(f"{line}: marked fulfilled but {waiting} units still wait.")
        elif done is not None and decision != "wait":
            findings.append(f"{line}: marked fulfilled but it never waited.")
    return findings
