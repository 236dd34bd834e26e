"""Read-only views of purchase orders: the paged list, one PO's detail, and the small
LIMITed look-ups the PO editor's type-ahead fields use (suppliers, products).

A purchase order is *overdue* when it is still open (not every unit received) and its
expected date is before today: the ETAs promised from it are at risk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from peewee import Case, Expression, fn

from app import eta
from app.errors import NotFound
from app.models import Barcode, Product, PurchaseOrder, PurchaseOrderLine, Staff, Supplier
from app.validation import search_key

#: PO statuses, as stored (``draft`` is reserved by the schema and not used yet).
PO_STATUSES = ("open", "closed", "cancelled")
#: The list's extra filter on top of the stored statuses.
OVERDUE = "overdue"


@dataclass(frozen=True)
class PurchaseOrderRow:
    """One purchase order in the list, with its units ordered and received."""

    po_id: int
    supplier_id: int
    supplier: str
    expected_date: date
    created_at: datetime
    status: str
    lines: int
    ordered: int
    received: int
    overdue: bool

    @property
    def outstanding(self) -> int:
        """Units still to come (over-delivery counts as nothing outstanding)."""
        return max(self.ordered - self.received, 0)


def _day(value: object) -> date:
    """A date column's value as a date (SQLite may hand back text)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _is_overdue(status: str, expected: date, today: date) -> bool:
    return status == "open" and expected < today


PO_SORTS: dict[str, Any] = {
    "expected": PurchaseOrder.expected_date,
    "po": PurchaseOrder.id,
    "supplier": Supplier.name,
    "status": PurchaseOrder.status,
    "created": PurchaseOrder.created_at,
}


def _po_query(
    columns: Sequence[Any], *, search: str | None, status: str | None, today: date
) -> Any:
    query = PurchaseOrder.select(*columns).join(
        Supplier, on=(PurchaseOrder.supplier == Supplier.id)
    )
    if status == OVERDUE:
        query = query.where(PurchaseOrder.status == "open", PurchaseOrder.expected_date < today)
    elif status:
        query = query.where(PurchaseOrder.status == status)
    text = search_key(search).lstrip("#")
    if text:
        clause: Expression = fn.LOWER(Supplier.name).contains(text)
        if text.isdecimal() and len(text) < 12:
            clause = clause | (PurchaseOrder.id == int(text))
        query = query.where(clause)
    return query


def count_purchase_orders(
    *, search: str | None = None, status: str | None = None, today: date
) -> int:
    """How many purchase orders match the filter (same arguments as ``purchase_orders``)."""
    return int(_po_query([PurchaseOrder.id], search=search, status=status, today=today).count())


def purchase_orders(
    *,
    today: date,
    search: str | None = None,
    status: str | None = None,
    sort: str | None = None,
    descending: bool = False,
    offset: int = 0,
    limit: int | None = 100,
) -> list[PurchaseOrderRow]:
    """A page of purchase orders.

    By default open ones come first, soonest expected first, then the rest newest first
    expected. ``status`` is a stored status or ``"overdue"``; ``search`` matches the
    supplier's name or the PO number (``12`` or ``#12``).
    """
    query = _po_query(
        [
            PurchaseOrder.id,
            Supplier.id,
            Supplier.name,
            PurchaseOrder.expected_date,
            PurchaseOrder.created_at,
            PurchaseOrder.status,
        ],
        search=search,
        status=status,
        today=today,
    )
    key = PO_SORTS.get(sort or "")
    if key is None:
        open_first = Case(None, [(PurchaseOrder.status == "open", 0)], 1)
        # Open POs by soonest date; closed and cancelled ones after, newest date first.
        signed = Case(
            None,
            [(PurchaseOrder.status == "open", PurchaseOrder.expected_date)],
            None,
        )
        query = query.order_by(
            open_first, signed, PurchaseOrder.expected_date.desc(), PurchaseOrder.id
        )
    else:
        query = query.order_by(key.desc() if descending else key, PurchaseOrder.id)
    query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    heads = list(query.tuples())
    totals = _po_totals([head[0] for head in heads])
    rows = []
    for po_id, sup_id, sup_name, expected, created, po_status in heads:
        lines, ordered, received = totals.get(po_id, (0, 0, 0))
        expected_day = _day(expected)
        rows.append(
            PurchaseOrderRow(
                po_id=po_id,
                supplier_id=sup_id,
                supplier=sup_name,
                expected_date=expected_day,
                created_at=created,
                status=po_status,
                lines=lines,
                ordered=ordered,
                received=received,
                overdue=_is_overdue(po_status, expected_day, today),
            )
        )
    return rows


def _po_totals(po_ids: Sequence[int]) -> dict[int, tuple[int, int, int]]:
    """Per PO: (lines, units ordered, units received), one aggregate per chunk."""
    result: dict[int, tuple[int, int, int]] = {}
    for part in eta.chunks(list(po_ids)):
        query = (
            PurchaseOrderLine.select(
                PurchaseOrderLine.purchase_order,
                fn.COUNT(PurchaseOrderLine.id),
                fn.SUM(PurchaseOrderLine.qty_ordered),
                fn.SUM(PurchaseOrderLine.qty_received),
            )
            .where(PurchaseOrderLine.purchase_order.in_(list(part)))
            .group_by(PurchaseOrderLine.purchase_order)
            .tuples()
        )
        for po_id, lines, ordered, received in query:
            result[po_id] = (int(lines), int(ordered), int(received))
    return result


@dataclass(frozen=True)
class PurchaseLine:
    """One line of a purchase order."""

    line_id: int
    product_id: int
    sku: str
    name: str
    ordered: int
    received: int


@dataclass(frozen=True)
class PurchaseOrderDetail:
    """A purchase order with its lines, for the editor."""

    po_id: int
    supplier_id: int
    supplier: str
    expected_date: date
    created_at: datetime
    status: str
    staff: str
    note: str
    lines: list[PurchaseLine]

    def overdue(self, today: date) -> bool:
        return _is_overdue(self.status, self.expected_date, today)


def purchase_order_detail(po_id: int) -> PurchaseOrderDetail:
    """One purchase order and its lines.

    Raises:
        NotFound: there is no such purchase order.
    """
    head = (
        PurchaseOrder.select(
            PurchaseOrder.id,
            Supplier.id,
            Supplier.name,
            PurchaseOrder.expected_date,
            PurchaseOrder.created_at,
            PurchaseOrder.status,
            Staff.name,
            PurchaseOrder.note,
        )
        .join(Supplier, on=(PurchaseOrder.supplier == Supplier.id))
        .switch(PurchaseOrder)
        .join(Staff, on=(PurchaseOrder.staff == Staff.id))
        .where(PurchaseOrder.id == po_id)
        .tuples()
        .first()
    )
    if head is None:
        raise NotFound(f"There is no purchase order {po_id}.", field="po")
    lines = [
        PurchaseLine(
            line_id=line_id, product_id=pid, sku=sku, name=name, ordered=ordered, received=rec
        )
        for line_id, pid, sku, name, ordered, rec in PurchaseOrderLine.select(
            PurchaseOrderLine.id,
            Product.id,
            Product.sku,
            Product.name,
            PurchaseOrderLine.qty_ordered,
            PurchaseOrderLine.qty_received,
        )
        .join(Product, on=(PurchaseOrderLine.product == Product.id))
        .where(PurchaseOrderLine.purchase_order == po_id)
        .order_by(PurchaseOrderLine.id)
        .tuples()
    ]
    return PurchaseOrderDetail(
        po_id=head[0],
        supplier_id=head[1],
        supplier=head[2],
        expected_date=_day(head[3]),
        created_at=head[4],
        status=head[5],
        staff=head[6],
        note=head[7],
        lines=lines,
    )


# ------------------------------------------------------------ type-ahead look-ups


@dataclass(frozen=True)
class ProductHit:
    """A product found by the type-ahead search."""

    product_id: int
    sku: str
    name: str

    def label(self) -> str:
        return f"{self.sku} — {self.name}"


def find_products(text: str, *, limit: int = 15) -> list[ProductHit]:
    """Products whose SKU or name contains ``text`` (any case), or with this exact barcode;
    SKU prefix matches first. At most ``limit`` rows."""
    needle = search_key(text)
    if not needle:
        return []
    by_code = Barcode.select(Barcode.product).where(fn.LOWER(Barcode.display) == needle)
    prefix_first = Case(None, [(fn.LOWER(Product.sku).startswith(needle), 0)], 1)
    query = (
        Product.select(Product.id, Product.sku, Product.name)
        .where(
            fn.LOWER(Product.sku).contains(needle)
            | fn.LOWER(Product.name).contains(needle)
            | Product.id.in_(by_code)
        )
        .order_by(prefix_first, Product.sku)
        .limit(limit)
        .tuples()
    )
    return [ProductHit(product_id=pid, sku=sku, name=name) for pid, sku, name in query]


def find_suppliers(text: str, *, limit: int = 15) -> list[tuple[int, str]]:
    """Suppliers whose name contains ``text`` (any case): ``(id, name)``, at most ``limit``."""
    needle = search_key(text)
    query = Supplier.select(Supplier.id, Supplier.name)
    if needle:
        query = query.where(fn.LOWER(Supplier.name).contains(needle))
    return [(sid, name) for sid, name in query.order_by(Supplier.name).limit(limit).tuples()]
