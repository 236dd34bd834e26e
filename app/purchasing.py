"""Buying what the queue needs: reorder suggestions per supplier, and the waiting lines an
open purchase order's units are meant for (what an overdue PO holds up). Read-only.

Reorder suggestion, per product::

    units to order = waiting + reorder point - available - incoming - drafted

when positive. ``available`` is on hand minus reserved; ``incoming`` is what open purchase
orders still bring; ``drafted`` is what draft purchase orders hold. Drafts are not incoming
(no ETA is made of them until they are confirmed), but a suggestion that ignored them
would offer the same units again after "Create draft PO". Everything is computed in one
SQL aggregate over the products; products without a supplier form a group of their own.

A purchase order's units go to the queue in order of expected date: for each product, the
open POs due earlier fill the first places, so PO *p* covers the queue units from
(units due before *p*) to (that + *p*'s outstanding units). The lines whose waiting units
overlap that stretch are the ones waiting on *p*.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from peewee import JOIN, Case, Expression, fn

from app import eta
from app.models import (
    Customer,
    Order,
    OrderLine,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    Supplier,
)

#: Rows per query when a caller wants every suggestion of a supplier.
PAGE = 1000


@dataclass(frozen=True)
class ReorderLine:
    """One product to order, with the figures the suggestion is made of."""

    product_id: int
    sku: str
    name: str
    supplier_id: int | None
    waiting: int
    reorder_point: int
    available: int
    incoming: int
    drafted: int
    units: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "product_id": self.product_id,
            "sku": self.sku,
            "name": self.name,
            "waiting": self.waiting,
            "reorder_point": self.reorder_point,
            "available": self.available,
            "incoming": self.incoming,
            "drafted": self.drafted,
            "units": self.units,
        }


@dataclass(frozen=True)
class ReorderGroup:
    """A supplier's suggestions in sum (``supplier_id is None``: products without one)."""

    supplier_id: int | None
    supplier: str | None
    lead_time_days: int | None
    products: int
    units: int

    @property
    def label(self) -> str:
        return self.supplier or "No supplier set"

    def as_dict(self) -> dict[str, Any]:
        return {
            "supplier_id": self.supplier_id,
            "supplier": self.supplier,
            "lead_time_days": self.lead_time_days,
            "products": self.products,
            "units": self.units,
        }


def _figures() -> tuple[Any, dict[str, Any]]:
    """The products joined to their supplier and their open/draft PO units, and the
    expressions of the suggestion's terms."""
    outstanding = PurchaseOrderLine.qty_ordered - PurchaseOrderLine.qty_received
    on_order = (
        PurchaseOrderLine.select(
            PurchaseOrderLine.product.alias("product_id"),
            fn.SUM(Case(None, [(PurchaseOrder.status == "open", outstanding)], 0)).alias(
                "incoming"
            ),
            fn.SUM(Case(None, [(PurchaseOrder.status == "draft", outstanding)], 0)).alias(
                "drafted"
            ),
        )
        .join(PurchaseOrder, on=(PurchaseOrderLine.purchase_order == PurchaseOrder.id))
        .where(
            PurchaseOrder.status.in_(["open", "draft"]),
            PurchaseOrderLine.qty_ordered > PurchaseOrderLine.qty_received,
        )
        .group_by(PurchaseOrderLine.product)
        .alias("on_order")
    )
    terms: dict[str, Any] = {
        "available": Product.on_hand - Product.reserved,
        "incoming": fn.COALESCE(on_order.c.incoming, 0),
        "drafted": fn.COALESCE(on_order.c.drafted, 0),
    }
    terms["units"] = (
        Product.waiting
        + Product.reorder_point
        - terms["available"]
        - terms["incoming"]
        - terms["drafted"]
    )
    return on_order, terms


def _from_products(columns: Sequence[Any], on_order: Any) -> Any:
    return (
        Product.select(*columns)
        .join(Supplier, JOIN.LEFT_OUTER, on=(Product.supplier == Supplier.id))
        .switch(Product)
        .join(on_order, JOIN.LEFT_OUTER, on=(on_order.c.product_id == Product.id))
    )


def reorder_groups() -> list[ReorderGroup]:
    """Every supplier with something to order, by name; products without a supplier last."""
    on_order, terms = _figures()
    query = (
        _from_products(
            [
                Product.supplier,
                Supplier.name,
                Supplier.lead_time_days,
                fn.COUNT(Product.id),
                fn.SUM(terms["units"]),
            ],
            on_order,
        )
        .where(terms["units"] > 0)
        .group_by(Product.supplier, Supplier.name, Supplier.lead_time_days)
        .order_by(Case(None, [(Product.supplier.is_null(), 1)], 0), Supplier.name)
        .tuples()
    )
    return [
        ReorderGroup(
            supplier_id=int(sid) if sid is not None else None,
            supplier=name,
            lead_time_days=int(days) if days is not None else None,
            products=int(count),
            units=int(units),
        )
        for sid, name, days, count, units in query
    ]


def _supplier_clause(supplier_id: int | None) -> Expression:
    return Product.supplier.is_null() if supplier_id is None else Product.supplier == supplier_id


def reorder_lines(
    supplier_id: int | None, *, offset: int = 0, limit: int | None = None
) -> list[ReorderLine]:
    """One group's products to order, by SKU (``None``: products without a supplier).
    Without ``limit``, every one of them (read a page at a time)."""
    if limit is None:
        found: list[ReorderLine] = []
        while True:
            page = reorder_lines(supplier_id, offset=offset + len(found), limit=PAGE)
            found.extend(page)
            if len(page) < PAGE:
                return found
    on_order, terms = _figures()
    query = (
        _from_products(
            [
                Product.id,
                Product.sku,
                Product.name,
                Product.supplier,
                Product.waiting,
                Product.reorder_point,
                terms["available"],
                terms["incoming"],
                terms["drafted"],
                terms["units"],
            ],
            on_order,
        )
        .where(terms["units"] > 0, _supplier_clause(supplier_id))
        .order_by(Product.sku)
        .offset(offset)
        .limit(limit)
        .tuples()
    )
    return [
        ReorderLine(
            product_id=pid,
            sku=sku,
            name=name,
            supplier_id=sid,
            waiting=int(waiting),
            reorder_point=int(point),
            available=int(available),
            incoming=int(incoming),
            drafted=int(drafted),
            units=int(units),
        )
        for pid, sku, name, sid, waiting, point, available, incoming, drafted, units in query
    ]


# ------------------------------------------------------------- waiting on a PO


@dataclass(frozen=True)
class WaitingOnPO:
    """A waiting line that some of a purchase order's units are meant for.

    ``units_from_po`` is how many of the line's waiting units this PO brings (the rest
    come from earlier or later deliveries); ``eta_told`` is the date its customer holds.
    """

    line_id: int
    order_id: int
    customer_id: int
    customer: str
    email: str | None
    phone: str | None
    product_id: int
    sku: str
    name: str
    waiting: int
    units_from_po: int
    eta_told: date | None
    placed_at: datetime


def po_spans(po_id: int) -> dict[int, tuple[int, int]]:
    """For each product an open PO still brings: the stretch ``(start, end]`` of its
    queue (in waiting units, serving order) that the PO's units cover. Empty for a PO that
    is not open (a draft is not counted on; a closed one brings nothing)."""
    status = PurchaseOrder.select(PurchaseOrder.status).where(PurchaseOrder.id == po_id).scalar()
    if status != "open":
        return {}
    outstanding = PurchaseOrderLine.qty_ordered - PurchaseOrderLine.qty_received
    products = [
        int(pid)
        for (pid,) in PurchaseOrderLine.select(PurchaseOrderLine.product)
        .where(PurchaseOrderLine.purchase_order == po_id, outstanding > 0)
        .distinct()
        .tuples()
    ]
    spans: dict[int, tuple[int, int]] = {}
    for part in eta.chunks(sorted(products)):
        query = (
            PurchaseOrderLine.select(
                PurchaseOrderLine.product,
                PurchaseOrder.id,
                fn.SUM(outstanding),
            )
            .join(PurchaseOrder, on=(PurchaseOrderLine.purchase_order == PurchaseOrder.id))
            .where(
                PurchaseOrder.status == "open",
                outstanding > 0,
                PurchaseOrderLine.product.in_(list(part)),
            )
            .group_by(PurchaseOrderLine.product, PurchaseOrder.id, PurchaseOrder.expected_date)
            .order_by(PurchaseOrderLine.product, PurchaseOrder.expected_date, PurchaseOrder.id)
            .tuples()
        )
        before: dict[int, int] = {}
        for pid, other_po, units in query:
            start = before.get(pid, 0)
            before[pid] = start + int(units)
            if other_po == po_id:
                spans[pid] = (start, start + int(units))
    return spans


def _waiting_on_query(spans: dict[int, tuple[int, int]]) -> Any:
    """The lines of the spans' products whose waiting units overlap their span."""
    cumulative = (
        fn.SUM(OrderLine.qty_waiting)
        .over(
            partition_by=[OrderLine.product],
            order_by=[OrderLine.priority.desc(), OrderLine.queued_at, OrderLine.id],
        )
        .alias("cum")
    )
    queue = OrderLine.select(
        OrderLine.id, OrderLine.product, OrderLine.qty_waiting, cumulative
    ).where(OrderLine.qty_waiting > 0, OrderLine.product.in_(sorted(spans)))
    overlap: Expression | None = None
    for pid, (start, end) in spans.items():
        # (cum - waiting, cum] meets (start, end]
        clause = (
            (queue.c.product_id == pid)
            & (queue.c.cum > start)
            & (queue.c.cum - queue.c.qty_waiting < end)
        )
        overlap = clause if overlap is None else (overlap | clause)
    return queue, overlap


def waiting_on(po_id: int, *, offset: int = 0, limit: int | None = 200) -> list[WaitingOnPO]:
    """The waiting lines this open PO's units are meant for, by product (SKU) and place
    in the queue; a page of ``limit`` from ``offset``."""
    spans = po_spans(po_id)
    if not spans:
        return []
    queue, overlap = _waiting_on_query(spans)
    query = (
        OrderLine.select(
            OrderLine.id,
            Order.id,
            Customer.id,
            Customer.name,
            Customer.email,
            Customer.phone,
            Product.id,
            Product.sku,
            Product.name,
            queue.c.qty_waiting,
            queue.c.cum,
            OrderLine.eta_notified,
            OrderLine.queued_at,
        )
        .from_(queue)
        .join(OrderLine, on=(OrderLine.id == queue.c.id))
        .join(Order, on=(OrderLine.order == Order.id))
        .join(Customer, on=(Order.customer == Customer.id))
        .switch(OrderLine)
        .join(Product, on=(OrderLine.product == Product.id))
        .where(overlap)
        .order_by(Product.sku, queue.c.cum)
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    as_datetime = OrderLine.queued_at.python_value
    result = []
    for row in query.tuples():
        line_id, order_id, cust_id, cust, email, phone, pid, sku, name, waiting, cum = row[:11]
        told, queued = row[11], row[12]
        start, end = spans[pid]
        first = int(cum) - int(waiting)
        result.append(
            WaitingOnPO(
                line_id=line_id,
                order_id=order_id,
                customer_id=cust_id,
                customer=cust,
                email=email,
                phone=phone,
                product_id=pid,
                sku=sku,
                name=name,
                waiting=int(waiting),
                units_from_po=min(int(cum), end) - max(first, start),
                eta_told=eta._as_date(told) if told is not None else None,
                placed_at=as_datetime(queued),
            )
        )
    return result


def count_waiting_on(po_id: int) -> tuple[int, int]:
    """How many lines, and of how many customers, wait on this open PO's units."""
    spans = po_spans(po_id)
    if not spans:
        return 0, 0
    queue, overlap = _waiting_on_query(spans)
    row = (
        OrderLine.select(fn.COUNT(queue.c.id), fn.COUNT(Order.customer.distinct()))
        .from_(queue)
        .join(OrderLine, on=(OrderLine.id == queue.c.id))
        .join(Order, on=(OrderLine.order == Order.id))
        .where(overlap)
        .tuples()
        .first()
    )
    return (int(row[0]), int(row[1])) if row else (0, 0)
