"""The dashboard's figures: how the backorders are going. Read-only, no Qt.

Every figure is one SQL aggregate that runs the same on SQLite and PostgreSQL. Dates are
bucketed in the shop's local calendar: the bucket boundaries (local midnights, as UTC like
the store's timestamps) are worked out here and passed to the query as parameters, so no
database date function is needed. Every function takes ``now`` (naive UTC).

What each figure means:

* **Open backorders**: order lines with units waiting; their units, what those units are
  worth at the lines' prices, and how many customers they belong to.
* **Aging**: the waiting lines by whole calendar days since the order was placed:
  0-7, 8-14, 15-30 and over 30 days (a line ordered 7 days ago is in 0-7, 8 days ago in
  8-14).
* **Top waiting products**: the products with most units waiting (the running
  ``Product.waiting`` totals, kept with the lines and verified by ``check``).
* **Lost demand**: units lost to a shortage (``OrderLine.qty_lost``: a whole line the
  customer cancelled at the counter because it was short, plus waiting units cancelled
  later) on orders placed in the period, by product.
* **Fill rate**: per calendar week (Monday to Sunday) of the order, the share of the units
  ordered that were reserved from stock when the order was placed.
* **Waits**: lines that waited and were served in full in the period, from the order to
  the moment the queue reserved their last unit: how many, the average and the longest.
* **Overdue purchase orders**: open purchase orders expected before today, with the units
  still to come (as ``app.purchase_queries`` defines overdue).

The period of the last three is the weeks the fill-rate chart shows (``WEEKS``).
"""

from __future__ import annotations

import time as timer
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from peewee import SQL, Case, SqliteDatabase, fn

from app.clock import to_local
from app.models import (
    Order,
    OrderLine,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    Supplier,
    database,
)

#: Weeks in the fill-rate chart, and the period of lost demand and waits.
WEEKS = 12
#: Rows in the "top" lists.
TOP = 8
#: Aging buckets: (label in days, oldest age in days that still belongs to it); the last
#: bucket is open-ended.
AGE_BUCKETS: tuple[tuple[str, int | None], ...] = (
    ("0-7", 7),
    ("8-14", 14),
    ("15-30", 30),
    ("31+", None),
)

# A literal zero, not a parameter: SQLite only uses a partial index (``qty_waiting > 0``)
# when the query's condition is written the same way.
_ZERO = SQL("0")


@dataclass(frozen=True)
class OpenBackorders:
    """Lines waiting for stock right now."""

    lines: int
    units: int
    value_cents: int
    customers: int


@dataclass(frozen=True)
class AgeBucket:
    """Waiting lines whose orders are this many days old."""

    label: str
    lines: int
    units: int


@dataclass(frozen=True)
class ProductUnits:
    """A product with a number of units (waiting, or lost) and their value."""

    product_id: int
    sku: str
    name: str
    units: int
    value_cents: int


@dataclass(frozen=True)
class LostDemand:
    """Units lost to shortages on orders of the period: the total and the worst products."""

    since: date
    units: int
    value_cents: int
    products_count: int
    products: list[ProductUnits]


@dataclass(frozen=True)
class WeekFill:
    """One calendar week of orders: units ordered and units reserved at order time."""

    week_start: date
    ordered: int
    reserved: int

    @property
    def rate(self) -> float | None:
        """Reserved / ordered (0..1); ``None`` for a week without orders."""
        return self.reserved / self.ordered if self.ordered else None


@dataclass(frozen=True)
class Waits:
    """Lines served in full from the queue in the period, and how long they waited."""

    since: date
    lines: int
    average_days: float | None
    longest_days: float | None


@dataclass(frozen=True)
class OverduePurchaseOrder:
    """An open purchase order whose expected date has passed."""

    po_id: int
    supplier: str
    expected_date: date
    days_late: int
    outstanding: int


@dataclass(frozen=True)
class Overdue:
    """Overdue purchase orders: how many, units still to come, the most overdue first."""

    count: int
    outstanding: int
    orders: list[OverduePurchaseOrder]


@dataclass
class Dashboard:
    """Every figure, as of ``now``; ``timings`` gives each figure's milliseconds."""

    now: datetime
    open: OpenBackorders
    aging: list[AgeBucket]
    top_waiting: list[ProductUnits]
    lost: LostDemand
    fill: list[WeekFill]
    waits: Waits
    overdue: Overdue
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def period_fill_rate(self) -> float | None:
        """The fill rate over the whole period (every week's units together)."""
        ordered = sum(week.ordered for week in self.fill)
        return sum(week.reserved for week in self.fill) / ordered if ordered else None


# ------------------------------------------------------------------ calendar


def local_today(now: datetime) -> date:
    """The shop's calendar date at ``now`` (naive UTC)."""
    return to_local(now).date()


def local_midnight(day: date) -> datetime:
    """The start of a local calendar day as naive UTC, the way the store keeps time."""
    return datetime.combine(day, time()).astimezone().astimezone(UTC).replace(tzinfo=None)


def week_starts(now: datetime, weeks: int = WEEKS) -> list[date]:
    """The Mondays of the last ``weeks`` calendar weeks, oldest first (this week last)."""
    today = local_today(now)
    this_monday = today - timedelta(days=today.weekday())
    return [this_monday - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]


def _period_start(now: datetime, weeks: int) -> date:
    return week_starts(now, weeks)[0]


# ------------------------------------------------------------------- figures


def open_backorders(now: datetime) -> OpenBackorders:
    """Lines, units, value and customers waiting for stock."""
    del now  # the same at any moment: what waits now
    row = (
        OrderLine.select(
            fn.COUNT(OrderLine.id),
            fn.SUM(OrderLine.qty_waiting),
            fn.SUM(OrderLine.qty_waiting * OrderLine.unit_price_cents),
            fn.COUNT(Order.customer.distinct()),
        )
        .join(Order)
        .where(OrderLine.qty_waiting > _ZERO)
        .tuples()
        .get()
    )
    lines, units, value, customers = row
    return OpenBackorders(
        lines=int(lines or 0),
        units=int(units or 0),
        value_cents=int(value or 0),
        customers=int(customers or 0),
    )


def aging(now: datetime) -> list[AgeBucket]:
    """Waiting lines and units in each age bucket (``AGE_BUCKETS``), youngest first."""
    today = local_today(now)
    cases = [
        (OrderLine.queued_at >= local_midnight(today - timedelta(days=days)), index)
        for index, (_label, days) in enumerate(AGE_BUCKETS)
        if days is not None
    ]
    bucket = Case(None, cases, len(AGE_BUCKETS) - 1)
    found = {
        int(index): (int(lines), int(units or 0))
        for index, lines, units in OrderLine.select(
            bucket, fn.COUNT(OrderLine.id), fn.SUM(OrderLine.qty_waiting)
        )
        .where(OrderLine.qty_waiting > _ZERO)
        .group_by(SQL("1"))
        .tuples()
    }
    return [
        AgeBucket(label, *found.get(index, (0, 0)))
        for index, (label, _days) in enumerate(AGE_BUCKETS)
    ]


def top_waiting(now: datetime, limit: int = TOP) -> list[ProductUnits]:
    """The products with most units waiting, most first (then by SKU)."""
    del now
    query = (
        Product.select(
            Product.id,
            Product.sku,
            Product.name,
            Product.waiting,
            Product.waiting * Product.price_cents,
        )
        .where(Product.waiting > _ZERO)
        .order_by(Product.waiting.desc(), Product.sku)
        .limit(limit)
        .tuples()
    )
    return [
        ProductUnits(int(pid), sku, name, int(units), int(value or 0))
        for pid, sku, name, units, value in query
    ]


def lost_demand(now: datetime, weeks: int = WEEKS, limit: int = TOP) -> LostDemand:
    """Units lost to shortages on orders placed in the period, worst products first."""
    since = _period_start(now, weeks)
    units = fn.SUM(OrderLine.qty_lost)
    value = fn.SUM(OrderLine.qty_lost * OrderLine.unit_price_cents)
    query = (
        OrderLine.select(
            Product.id,
            Product.sku,
            Product.name,
            units,
            value,
            # The period's totals ride along on every row (a window over the groups).
            fn.SUM(units).over(),
            fn.SUM(value).over(),
            fn.COUNT(SQL("*")).over(),
        )
        .join(Product)
        .where(OrderLine.qty_lost > _ZERO, OrderLine.queued_at >= local_midnight(since))
        .group_by(Product.id, Product.sku, Product.name)
        .order_by(units.desc(), Product.sku)
        .limit(limit)
        .tuples()
    )
    rows = list(query)
    products = [
        ProductUnits(int(pid), sku, name, int(lost), int(worth or 0))
        for pid, sku, name, lost, worth, *_totals in rows
    ]
    total_units, total_value, count = rows[0][5:] if rows else (0, 0, 0)
    return LostDemand(
        since=since,
        units=int(total_units or 0),
        value_cents=int(total_value or 0),
        products_count=int(count or 0),
        products=products,
    )


def fill_rate(now: datetime, weeks: int = WEEKS) -> list[WeekFill]:
    """Units ordered and reserved at order time per calendar week, oldest week first;
    every week of the period is there, with zeros when nothing was ordered."""
    starts = week_starts(now, weeks)
    # Newest week first, so a line stops at the first boundary it is past.
    cases = [
        (OrderLine.queued_at >= local_midnight(start), index)
        for index, start in reversed(list(enumerate(starts)))
    ]
    week = Case(None, cases[:-1], 0)
    found = {
        int(index): (int(ordered or 0), int(reserved or 0))
        for index, ordered, reserved in OrderLine.select(
            week, fn.SUM(OrderLine.qty_ordered), fn.SUM(OrderLine.qty_reserved_at_order)
        )
        .where(OrderLine.queued_at >= local_midnight(starts[0]))
        .group_by(SQL("1"))
        .tuples()
    }
    return [WeekFill(start, *found.get(index, (0, 0))) for index, start in enumerate(starts)]


def waits(now: datetime, weeks: int = WEEKS) -> Waits:
    """How long the lines served in full in the period waited, in days."""
    since = _period_start(now, weeks)
    if isinstance(database.obj, SqliteDatabase):
        days = fn.julianday(OrderLine.fulfilled_at) - fn.julianday(OrderLine.queued_at)
    else:
        # Seconds between two timestamps: date_part on their interval (PostgreSQL).
        days = fn.date_part("epoch", OrderLine.fulfilled_at - OrderLine.queued_at) / 86400.0
    lines, average, longest = (
        OrderLine.select(fn.COUNT(OrderLine.id), fn.AVG(days), fn.MAX(days))
        .where(OrderLine.fulfilled_at >= local_midnight(since))
        .tuples()
        .get()
    )
    return Waits(
        since=since,
        lines=int(lines or 0),
        average_days=float(average) if average is not None else None,
        longest_days=float(longest) if longest is not None else None,
    )


def overdue_purchase_orders(now: datetime, limit: int = TOP) -> Overdue:
    """Open purchase orders expected before today, the longest overdue first."""
    today = local_today(now)
    outstanding = fn.SUM(
        Case(
            None,
            [
                (
                    PurchaseOrderLine.qty_ordered > PurchaseOrderLine.qty_received,
                    PurchaseOrderLine.qty_ordered - PurchaseOrderLine.qty_received,
                )
            ],
            0,
        )
    )
    query = (
        PurchaseOrder.select(
            PurchaseOrder.id,
            Supplier.name,
            PurchaseOrder.expected_date,
            outstanding,
            fn.COUNT(SQL("*")).over(),
            fn.SUM(outstanding).over(),
        )
        .join(Supplier, on=(PurchaseOrder.supplier == Supplier.id))
        .switch(PurchaseOrder)
        .join(PurchaseOrderLine)
        .where(PurchaseOrder.status == "open", PurchaseOrder.expected_date < today)
        .group_by(PurchaseOrder.id, Supplier.name, PurchaseOrder.expected_date)
        .order_by(PurchaseOrder.expected_date, PurchaseOrder.id)
        .limit(limit)
        .tuples()
    )
    rows = list(query)
    orders = []
    for po_id, supplier, expected, units, _count, _total in rows:
        day = _as_date(expected)
        orders.append(
            OverduePurchaseOrder(int(po_id), supplier, day, (today - day).days, int(units or 0))
        )
    count, total = (rows[0][4], rows[0][5]) if rows else (0, 0)
    return Overdue(count=int(count), outstanding=int(total or 0), orders=orders)


def _as_date(value: Any) -> date:
    """A date column's value as a date (SQLite hands back text)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


#: Each figure by name, in the order the dashboard loads them (the benchmark times each).
FIGURES: dict[str, Callable[[datetime], Any]] = {
    "open": open_backorders,
    "aging": aging,
    "top_waiting": top_waiting,
    "lost": lost_demand,
    "fill": fill_rate,
    "waits": waits,
    "overdue": overdue_purchase_orders,
}


def load(now: datetime) -> Dashboard:
    """Every figure as of ``now``, each from its own query, with their timings."""
    found: dict[str, Any] = {}
    timings: dict[str, float] = {}
    for name, figure in FIGURES.items():
        start = timer.perf_counter()
        found[name] = figure(now)
        timings[name] = round((timer.perf_counter() - start) * 1000, 2)
    return Dashboard(now=now, timings=timings, **found)
