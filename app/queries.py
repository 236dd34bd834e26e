"""Read-only views of the store for lists and reports, paged and filtered in SQL.

The windows and the command line both page through these (``offset``/``limit``), so a big
store never loads a whole table into Python. Nothing here writes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from peewee import JOIN, Expression, fn

from app import eta
from app.models import (
    AuditEvent,
    Barcode,
    Customer,
    Order,
    OrderLine,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
)
from app.validation import search_key


@dataclass(frozen=True)
class StockFigures:
    """A product's stock: ``available = on_hand - reserved``; ``incoming`` is open PO units."""

    product_id: int
    sku: str
    name: str
    price_cents: int
    reorder_point: int
    on_hand: int
    reserved: int
    waiting: int
    incoming: int
    barcodes: tuple[str, ...] = ()

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @property
    def below_reorder_point(self) -> bool:
        return self.available + self.incoming - self.waiting < self.reorder_point

    def as_dict(self) -> dict[str, Any]:
        return {
            "product_id": self.product_id,
            "sku": self.sku,
            "name": self.name,
            "barcodes": list(self.barcodes),
            "price": self.price_cents / 100,
            "reorder_point": self.reorder_point,
            "on_hand": self.on_hand,
            "reserved": self.reserved,
            "available": self.available,
            "waiting": self.waiting,
            "incoming": self.incoming,
        }


def incoming_units(product_ids: Iterable[int]) -> dict[int, int]:
    """Open purchase-order units still to come, per product."""
    ids = sorted(set(product_ids))
    outstanding = PurchaseOrderLine.qty_ordered - PurchaseOrderLine.qty_received
    result: dict[int, int] = {}
    for part in eta.chunks(ids):
        query = (
            PurchaseOrderLine.select(PurchaseOrderLine.product, fn.SUM(outstanding))
            .join(PurchaseOrder)
            .where(
                PurchaseOrder.status == "open",
                PurchaseOrderLine.qty_ordered > PurchaseOrderLine.qty_received,
                PurchaseOrderLine.product.in_(list(part)),
            )
            .group_by(PurchaseOrderLine.product)
            .tuples()
        )
        result.update({pid: int(units) for pid, units in query})
    return result


PRODUCT_SORTS = {
    "sku": Product.sku,
    "name": Product.name,
    "on_hand": Product.on_hand,
    "reserved": Product.reserved,
    "available": Product.on_hand - Product.reserved,
    "waiting": Product.waiting,
}


def _product_filter(search: str | None, only_waiting: bool) -> list[Expression]:
    where: list[Expression] = []
    needle = search_key(search)
    if needle:
        # contains() escapes them: '%' and '_' are searched for, not wildcards.
        by_code = Barcode.select(Barcode.product).where(Barcode.display.contains(needle))
        where.append(
            fn.LOWER(Product.sku).contains(needle)
            | fn.LOWER(Product.name).contains(needle)
            | Product.id.in_(by_code)
        )
    if only_waiting:
        where.append(Product.waiting > 0)
    return where


def count_products(*, search: str | None = None, only_waiting: bool = False) -> int:
    query = Product.select()
    for clause in _product_filter(search, only_waiting):
        query = query.where(clause)
    return int(query.count())


def product_figures(
    *,
    search: str | None = None,
    only_waiting: bool = False,
    sort: str = "sku",
    descending: bool = False,
    offset: int = 0,
    limit: int | None = None,
    product_ids: Sequence[int] | None = None,
) -> list[StockFigures]:
    """A page of products with their stock figures."""
    key = PRODUCT_SORTS.get(sort, Product.sku)
    query = Product.select(
        Product.id,
        Product.sku,
        Product.name,
        Product.price_cents,
        Product.reorder_point,
        Product.on_hand,
        Product.reserved,
        Product.waiting,
    )
    for clause in _product_filter(search, only_waiting):
        query = query.where(clause)
    if product_ids is not None:
        query = query.where(Product.id.in_(list(product_ids)))
    query = query.order_by(key.desc() if descending else key, Product.id).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    rows = list(query.tuples())
    ids = [row[0] for row in rows]
    incoming = incoming_units(ids)
    codes: dict[int, list[str]] = {}
    for part in eta.chunks(ids):
        for pid, display in (
            Barcode.select(Barcode.product, Barcode.display)
            .where(Barcode.product.in_(list(part)))
            .order_by(Barcode.id)
            .tuples()
        ):
            codes.setdefault(pid, []).append(display)
    return [
        StockFigures(
            product_id=pid,
            sku=sku,
            name=name,
            price_cents=price,
            reorder_point=reorder,
            on_hand=on_hand,
            reserved=reserved,
            waiting=waiting,
            incoming=incoming.get(pid, 0),
            barcodes=tuple(codes.get(pid, ())),
        )
        for pid, sku, name, price, reorder, on_hand, reserved, waiting in rows
    ]


def stock_figures(product_id: int) -> StockFigures:
    """One product's stock figures."""
    found = product_figures(product_ids=[product_id])
    if not found:
        from app.errors import NotFound

        raise NotFound(f"There is no product with id {product_id}.", field="product")
    return found[0]


@dataclass(frozen=True)
class EtaMove:
    """The last time a line's ETA moved later than its customer had been told: the date
    they held before (``None``: none), the new one, and when they were told."""

    old: date | None
    new: date | None
    at: datetime


@dataclass(frozen=True)
class BackorderRow:
    """One waiting line in the queue, with what the clerk needs to act on it.

    ``eta`` is the booked, queue-aware date (``None``: no purchase order covers the line);
    ``eta_told`` the date its customer was last told; ``lead_time_days`` the supplier's
    usual lead time, for an estimate when nothing is booked; ``eta_moved`` the last move
    to a later date (``None``: never).
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
    ordered: int
    reserved: int
    waiting: int
    priority: int
    placed_at: datetime
    eta: date | None
    eta_told: date | None = None
    lead_time_days: int | None = None
    eta_moved: EtaMove | None = None

    def days_waiting(self, today: date) -> int:
        return max((today - self.placed_at.date()).days, 0)

    def estimate(self, today: date) -> date | None:
        """Today + the supplier's lead time, when no delivery is booked (an estimate)."""
        if self.eta is not None or self.lead_time_days is None:
            return None
        return today + timedelta(days=self.lead_time_days)

    @property
    def earlier_than_told(self) -> bool:
        """The booked date now beats the one the customer holds (not announced)."""
        return self.eta is not None and (self.eta_told is None or self.eta < self.eta_told)

    def as_dict(self, today: date) -> dict[str, Any]:
        return {
            "line_id": self.line_id,
            "order_id": self.order_id,
            "customer": self.customer,
            "email": self.email,
            "phone": self.phone,
            "sku": self.sku,
            "name": self.name,
            "waiting": self.waiting,
            "reserved": self.reserved,
            "priority": self.priority,
            "placed_at": self.placed_at.isoformat(timespec="seconds") + "Z",
            "days_waiting": self.days_waiting(today),
            "eta": self.eta.isoformat() if self.eta else None,
            "eta_estimate": _iso(self.estimate(today)),
            "eta_told": _iso(self.eta_told),
        }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


#: Serving order: what the queue does, and the default view.
QUEUE_ORDER = (OrderLine.priority.desc(), OrderLine.queued_at, OrderLine.id)

BACKORDER_SORTS: dict[str, Any] = {
    "queue": None,
    "customer": Customer.name,
    "sku": Product.sku,
    "waiting": OrderLine.qty_waiting,
    "placed_at": OrderLine.queued_at,
    "priority": OrderLine.priority,
    "order": OrderLine.order,
}


def _backorder_query(
    *,
    product_id: int | None,
    customer_id: int | None,
    search: str | None,
    placed_before: datetime | None,
) -> Any:
    query = (
        OrderLine.select(
            OrderLine.id,
            OrderLine.order,
            Customer.id,
            Customer.name,
            Customer.email,
            Customer.phone,
            Product.id,
            Product.sku,
            Product.name,
            OrderLine.qty_ordered,
            OrderLine.qty_reserved,
            OrderLine.qty_waiting,
            OrderLine.priority,
            OrderLine.queued_at,
            OrderLine.eta_notified,
        )
        .join(Order)
        .join(Customer)
        .switch(OrderLine)
        .join(Product, JOIN.INNER)
        .where(OrderLine.qty_waiting > 0)
    )
    if product_id is not None:
        query = query.where(OrderLine.product == product_id)
    if customer_id is not None:
        query = query.where(Order.customer == customer_id)
    if placed_before is not None:
        query = query.where(OrderLine.queued_at <= placed_before)
    text = search_key(search)
    if text:
        # Match the small tables first, then keep lines of those customers or products:
        # two to three times faster than testing every waiting line's joined columns.
        customers = Customer.select(Customer.id).where(
            fn.LOWER(Customer.name).contains(text)
            | fn.LOWER(Customer.email).contains(text)
            | Customer.phone.contains(text)
        )
        products = Product.select(Product.id).where(
            fn.LOWER(Product.sku).contains(text) | fn.LOWER(Product.name).contains(text)
        )
        clause = Order.customer.in_(customers) | OrderLine.product.in_(products)
        if text.isdecimal() and len(text) < 12:
            clause = clause | (OrderLine.order == int(text))
        query = query.where(clause)
    return query


def count_backorders(
    *,
    product_id: int | None = None,
    customer_id: int | None = None,
    search: str | None = None,
    placed_before: datetime | None = None,
) -> int:
    query = _backorder_query(
        product_id=product_id, customer_id=customer_id, search=search, placed_before=placed_before
    )
    return int(query.count())


def backorders(
    *,
    product_id: int | None = None,
    customer_id: int | None = None,
    search: str | None = None,
    placed_before: datetime | None = None,
    sort: str = "queue",
    descending: bool = False,
    offset: int = 0,
    limit: int | None = 100,
) -> list[BackorderRow]:
    """A page of the backorder list, in serving order unless another sort is asked for.

    ``placed_before`` keeps lines waiting at least since then (age filter).
    """
    query = _backorder_query(
        product_id=product_id, customer_id=customer_id, search=search, placed_before=placed_before
    )
    key = BACKORDER_SORTS.get(sort)
    if key is None:
        query = query.order_by(*QUEUE_ORDER)
    else:
        query = query.order_by(key.desc() if descending else key, *QUEUE_ORDER)
    query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    rows = list(query.tuples())
    etas = eta.line_etas(row[0] for row in rows)
    lead_times = eta.supplier_lead_times(row[6] for row in rows if etas.get(row[0]) is None)
    moves = eta_moves(row[0] for row in rows)
    return [
        BackorderRow(
            line_id=row[0],
            order_id=row[1],
            customer_id=row[2],
            customer=row[3],
            email=row[4],
            phone=row[5],
            product_id=row[6],
            sku=row[7],
            name=row[8],
            ordered=row[9],
            reserved=row[10],
            waiting=row[11],
            priority=row[12],
            placed_at=row[13],
            eta=etas.get(row[0]),
            eta_told=eta._as_date(row[14]) if row[14] is not None else None,
            lead_time_days=lead_times.get(row[6]),
            eta_moved=moves.get(row[0]),
        )
        for row in rows
    ]


def eta_moves(line_ids: Iterable[int]) -> dict[int, EtaMove]:
    """The last move to a later ETA of each of these lines (the audit's ``ETA_LATER``
    events, read through the audit's entity index)."""
    ids = sorted(set(line_ids))
    result: dict[int, EtaMove] = {}
    for part in eta.chunks(ids):
        query = (
            AuditEvent.select(AuditEvent.entity_id, AuditEvent.at, AuditEvent.detail)
            .where(
                AuditEvent.entity == "order_line",
                AuditEvent.entity_id.in_(list(part)),
                AuditEvent.action == eta.ETA_LATER,
            )
            .order_by(AuditEvent.id)
            .tuples()
        )
        for line_id, at, detail in query:
            moved = json.loads(detail)
            result[int(line_id)] = EtaMove(
                old=date.fromisoformat(moved["old"]) if moved.get("old") else None,
                new=date.fromisoformat(moved["new"]) if moved.get("new") else None,
                at=at,
            )
    return result


def last_change() -> int:
    """A number that grows with every change to the store, from any process or PC.

    Every state change writes an audit event in its own transaction, so the newest audit
    id is a cheap, portable change counter for windows that refresh themselves.
    """
    from app.models import AuditEvent

    return int(AuditEvent.select(fn.COALESCE(fn.MAX(AuditEvent.id), 0)).scalar() or 0)
