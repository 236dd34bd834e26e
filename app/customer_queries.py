"""Read-only views for the counter: customers (list, search, detail) and product look-up.

Everything is paged or LIMITed in SQL, so type-ahead and the customer list stay quick on a
store with tens of thousands of customers and orders. Nothing here writes.

"Open orders" here counts orders that still have units reserved or waiting (something the
shop still owes the customer: status open, partly waiting or ready in
``app.order_queries``). A customer's orders themselves are listed by
``app.order_queries.orders(customer_id=...)``; their waiting lines by
``app.queries.backorders(customer_id=...)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from peewee import Case, Expression, fn

from app import eta
from app.models import Barcode, Customer, Order, OrderLine, Product
from app.validation import search_key

#: Default number of suggestions a type-ahead offers.
SUGGESTIONS = 12


@dataclass(frozen=True)
class CustomerRow:
    """A customer as listed: contact details and what the shop still owes them."""

    customer_id: int
    name: str
    email: str | None
    phone: str | None
    open_orders: int = 0
    waiting_lines: int = 0

    def label(self) -> str:
        """One line for a suggestion list: name, then e-mail and phone when known."""
        extra = " · ".join(part for part in (self.email, self.phone) if part)
        return f"{self.name} — {extra}" if extra else self.name


@dataclass(frozen=True)
class CustomerDetail:
    """One customer's contact details and notes."""

    customer_id: int
    name: str
    email: str | None
    phone: str | None
    notes: str
    created_at: datetime


@dataclass(frozen=True)
class ProductHit:
    """A product offered by the type-ahead, with what can be sold from stock now."""

    product_id: int
    sku: str
    name: str
    on_hand: int
    reserved: int
    waiting: int

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    def label(self) -> str:
        return f"{self.sku} — {self.name} ({max(self.available, 0)} available)"


CUSTOMER_SORTS = {
    "name": Customer.name,
    "email": Customer.email,
    "phone": Customer.phone,
    "created": Customer.created_at,
}


def _customer_filter(search: str | None) -> Expression | None:
    text = search_key(search)
    if not text:
        return None
    clause = (
        fn.LOWER(Customer.name).contains(text)
        | fn.LOWER(Customer.email).contains(text)
        | Customer.phone.contains(text)
    )
    # Phone numbers are typed with or without spaces: a phone-like search such as
    # "0161 4960" also matches a number stored as "0161 496 0000".
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) >= 3 and all(ch.isdigit() or ch in " +-()./" for ch in text):
        clause = clause | fn.REPLACE(Customer.phone, " ", "").contains(digits)
    return clause


def count_customers(*, search: str | None = None) -> int:
    """How many customers match ``search`` (name, e-mail or phone)."""
    query = Customer.select()
    clause = _customer_filter(search)
    if clause is not None:
        query = query.where(clause)
    return int(query.count())


def customers(
    *,
    search: str | None = None,
    sort: str = "name",
    descending: bool = False,
    offset: int = 0,
    limit: int | None = 200,
    with_counts: bool = True,
) -> list[CustomerRow]:
    """A page of customers matching ``search``, with open orders and waiting lines."""
    key = CUSTOMER_SORTS.get(sort, Customer.name)
    query = Customer.select(Customer.id, Customer.name, Customer.email, Customer.phone)
    clause = _customer_filter(search)
    if clause is not None:
        query = query.where(clause)
    query = query.order_by(key.desc() if descending else key, Customer.id).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    rows = list(query.tuples())
    counts = _owed_counts([row[0] for row in rows]) if with_counts else {}
    return [
        CustomerRow(
            customer_id=cid,
            name=name,
            email=email,
            phone=phone,
            open_orders=counts.get(cid, (0, 0))[0],
            waiting_lines=counts.get(cid, (0, 0))[1],
        )
        for cid, name, email, phone in rows
    ]


def suggest_customers(text: str, *, limit: int = SUGGESTIONS) -> list[CustomerRow]:
    """Type-ahead: customers whose name, e-mail or phone contains ``text``.

    Names that start with the text come first, then the rest alphabetically.
    """
    needle = search_key(text)
    if not needle:
        return []
    starts = Case(None, [(fn.LOWER(Customer.name).startswith(needle), 0)], 1)
    query = (
        Customer.select(Customer.id, Customer.name, Customer.email, Customer.phone)
        .where(_customer_filter(needle))
        .order_by(starts, Customer.name, Customer.id)
        .limit(limit)
    )
    return [
        CustomerRow(customer_id=cid, name=name, email=email, phone=phone)
        for cid, name, email, phone in query.tuples()
    ]


def _owed_counts(customer_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """customer id -> (open orders, waiting lines), for the given customers only."""
    result: dict[int, tuple[int, int]] = {}
    for part in eta.chunks(sorted(set(customer_ids))):
        owed = (
            OrderLine.select(
                Order.customer,
                fn.COUNT(fn.DISTINCT(OrderLine.order)),
                fn.SUM(Case(None, [(OrderLine.qty_waiting > 0, 1)], 0)),
            )
            .join(Order)
            .where(
                Order.customer.in_(list(part)),
                (OrderLine.qty_reserved > 0) | (OrderLine.qty_waiting > 0),
            )
            .group_by(Order.customer)
            .tuples()
        )
        for cid, open_orders, waiting in owed:
            result[cid] = (int(open_orders), int(waiting or 0))
    return result


def customer_detail(customer_id: int) -> CustomerDetail | None:
    """One customer, or ``None`` when there is no such customer (any more)."""
    row = Customer.get_or_none(Customer.id == customer_id)
    if row is None:
        return None
    return CustomerDetail(
        customer_id=row.id,
        name=row.name,
        email=row.email,
        phone=row.phone,
        notes=row.notes or "",
        created_at=row.created_at,
    )


def suggest_products(text: str, *, limit: int = SUGGESTIONS) -> list[ProductHit]:
    """Type-ahead: products whose SKU, name or printed barcode contains ``text``.

    An exact SKU comes first, then SKUs starting with the text, then names starting with
    it, then the rest; ties by SKU.
    """
    needle = search_key(text)
    if not needle:
        return []
    by_code = Barcode.select(Barcode.product).where(Barcode.display.contains(needle))
    sku = fn.LOWER(Product.sku)
    name = fn.LOWER(Product.name)
    rank = Case(
        None,
        [(sku == needle, 0), (sku.startswith(needle), 1), (name.startswith(needle), 2)],
        3,
    )
    query = (
        Product.select(
            Product.id,
            Product.sku,
            Product.name,
            Product.on_hand,
            Product.reserved,
            Product.waiting,
        )
        .where(sku.contains(needle) | name.contains(needle) | Product.id.in_(by_code))
        .order_by(rank, Product.sku)
        .limit(limit)
    )
    return [
        ProductHit(
            product_id=pid,
            sku=sku_,
            name=name_,
            on_hand=int(on_hand),
            reserved=int(reserved),
            waiting=int(waiting),
        )
        for pid, sku_, name_, on_hand, reserved, waiting in query.tuples()
    ]
