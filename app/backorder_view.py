"""What the Backorders window and its CSV export show: the filter, the age steps, and the
small look-ups behind the window's product and customer filter fields.

The filter is plain data so the window's list and the export run the very same query.
Look-ups return a handful of rows (``limit``) and only things that have waiting lines, so a
filter field never loads a whole table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from peewee import fn

from app.models import Customer, Order, OrderLine, Product
from app.validation import search_key

#: Days waiting at which a line counts as old, older, oldest (colours and the age filter).
AGE_STEPS = (7, 14, 30)


def placed_before(today: date, min_days: int) -> datetime:
    """The latest queue time of a line that has waited at least ``min_days`` by ``today``.

    Uses the same day count as ``BackorderRow.days_waiting`` (calendar days since the
    line's date), so the age filter and the days shown always agree.
    """
    try:
        return datetime.combine(today - timedelta(days=min_days), time.max)
    except OverflowError:
        # Waited longer than the calendar goes back: no line can have; nothing matches.
        return datetime.min


@dataclass(frozen=True)
class BackorderFilter:
    """Which waiting lines to show and in what order.

    Attributes:
        product_id / customer_id: only this product's / customer's lines.
        search: text matched against customer, e-mail, phone, SKU, product, order number.
        min_days: only lines waiting at least this many days (0: any age).
        sort: a key of ``app.queries.BACKORDER_SORTS``; ``"queue"`` is serving order.
        descending: reverse the sort key (serving order itself is never reversed).
    """

    product_id: int | None = None
    customer_id: int | None = None
    search: str = ""
    min_days: int = 0
    sort: str = "queue"
    descending: bool = False

    @property
    def narrowed(self) -> bool:
        """True when some filter hides lines (sorting does not count)."""
        return bool(
            self.product_id is not None
            or self.customer_id is not None
            or self.search.strip()
            or self.min_days
        )

    def where(self, today: date) -> dict[str, Any]:
        """Keyword arguments for ``queries.count_backorders`` (and ``backorders``)."""
        return {
            "product_id": self.product_id,
            "customer_id": self.customer_id,
            "search": self.search.strip() or None,
            "placed_before": placed_before(today, self.min_days) if self.min_days else None,
        }


@dataclass(frozen=True)
class Choice:
    """One entry offered by a filter field: the id to filter on and the text to show."""

    id: int
    label: str


def waiting_products(text: str, *, limit: int = 20) -> list[Choice]:
    """Products with waiting lines whose SKU or name contains ``text``, by SKU."""
    query = Product.select(Product.id, Product.sku, Product.name).where(Product.waiting > 0)
    needle = search_key(text)
    if needle:
        query = query.where(
            fn.LOWER(Product.sku).contains(needle) | fn.LOWER(Product.name).contains(needle)
        )
    rows = query.order_by(Product.sku).limit(limit).tuples()
    return [Choice(pid, f"{sku} — {name}") for pid, sku, name in rows]


def waiting_customers(text: str, *, limit: int = 20) -> list[Choice]:
    """Customers with waiting lines whose name, e-mail or phone contains ``text``, by name."""
    waiting = (
        OrderLine.select(OrderLine.id)
        .join(Order)
        .where(Order.customer == Customer.id, OrderLine.qty_waiting > 0)
    )
    query = Customer.select(Customer.id, Customer.name, Customer.email, Customer.phone).where(
        fn.EXISTS(waiting)
    )
    needle = search_key(text)
    if needle:
        query = query.where(
            fn.LOWER(Customer.name).contains(needle)
            | fn.LOWER(Customer.email).contains(needle)
            | Customer.phone.contains(needle)
        )
    rows = query.order_by(Customer.name, Customer.id).limit(limit).tuples()
    return [
        Choice(cid, f"{name} ({email or phone})" if (email or phone) else name)
        for cid, name, email, phone in rows
    ]
