"""Queue-aware ETAs: when will a waiting line's units arrive?

A product's open purchase orders, in order of expected date, bring cumulative incoming
units. Its waiting lines, in serving order, need cumulative waiting units. A line's ETA is
the expected date of the first purchase order at which cumulative incoming covers the
cumulative waiting up to and including that line; ``None`` when nothing covers it yet.
So the fifth customer in the queue does not get the date of a PO that only covers the
first two.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypeVar

from peewee import JOIN, fn

from app.fast_sql import run_cached
from app.models import (
    ZERO,
    Customer,
    Order,
    OrderLine,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    Supplier,
)

CHUNK = 500
T = TypeVar("T")

#: Audit action of a line whose ETA moved later than its customer was told (one event per
#: line, detail ``{"order", "old", "new"}``): the backorder list shows the old date from it.
ETA_LATER = "line.eta_later"


@dataclass(frozen=True)
class Schedule:
    """A product's incoming units: ``dates[i]`` brings the total to ``cumulative[i]``."""

    dates: list[date]
    cumulative: list[int]
    lead_time_days: int | None = None

    def eta_for(self, units_needed: int) -> date | None:
        """The first date by which ``units_needed`` units (queue position) have come in."""
        index = bisect.bisect_left(self.cumulative, units_needed)
        return self.dates[index] if index < len(self.dates) else None


EMPTY = Schedule(dates=[], cumulative=[])


def chunks(ids: Sequence[T], size: int = CHUNK) -> Iterable[Sequence[T]]:
    """Slices of at most ``size`` ids, to keep IN (...) lists within database limits."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def schedules(product_ids: Iterable[int]) -> dict[int, Schedule]:
    """Incoming schedules of the given products (missing key: nothing incoming)."""
    ids = sorted(set(product_ids))
    rows: list[tuple[int, date, int]] = []
    for part in chunks(ids):
        # Asked for every short line of every order: the statement text is built once.
        rows.extend(run_cached("eta.schedules", _schedules_query, "open", *part))
    result: dict[int, Schedule] = {}
    for product_id, expected, units in rows:
        schedule = result.setdefault(product_id, Schedule(dates=[], cumulative=[]))
        previous = schedule.cumulative[-1] if schedule.cumulative else 0
        schedule.dates.append(_as_date(expected))
        schedule.cumulative.append(previous + int(units))
    return result


def _schedules_query(status: str, *ids: int) -> Any:
    outstanding = PurchaseOrderLine.qty_ordered - PurchaseOrderLine.qty_received
    return (
        PurchaseOrderLine.select(
            PurchaseOrderLine.product, PurchaseOrder.expected_date, fn.SUM(outstanding)
        )
        .join(PurchaseOrder)
        .where(
            PurchaseOrder.status == status,
            PurchaseOrderLine.qty_ordered > PurchaseOrderLine.qty_received,
            PurchaseOrderLine.product.in_(list(ids)),
        )
        .group_by(PurchaseOrderLine.product, PurchaseOrder.expected_date)
        .order_by(PurchaseOrderLine.product, PurchaseOrder.expected_date)
    )


def queue_positions(product_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """For every waiting line of the products: ``line_id -> (product_id, cumulative)``,
    the waiting units up to and including that line in serving order."""
    ids = sorted(set(product_ids))
    cumulative = fn.SUM(OrderLine.qty_waiting).over(
        partition_by=[OrderLine.product],
        order_by=[OrderLine.priority.desc(), OrderLine.queued_at, OrderLine.id],
    )
    result: dict[int, tuple[int, int]] = {}
    for part in chunks(ids):
        query = (
            OrderLine.select(OrderLine.id, OrderLine.product, cumulative)
            .where(OrderLine.qty_waiting > 0, OrderLine.product.in_(list(part)))
            .tuples()
        )
        for line_id, product_id, cum in query:
            result[line_id] = (product_id, int(cum))
    return result


def line_etas(line_ids: Iterable[int]) -> dict[int, date | None]:
    """ETAs of the given waiting lines (lines no longer waiting are left out).

    Asked for every page of the backorder list, so it reads no more than the page needs:
    a line of a product with nothing incoming has no date however far up its queue it is,
    so only the lines of products with open purchase orders are placed in their queues,
    and the database returns the queue positions of those lines only.
    """
    wanted = sorted(set(line_ids))
    if not wanted:
        return {}
    product_of: dict[int, int] = {}
    for part in chunks(wanted):
        product_of.update(
            (int(line_id), int(pid))
            for line_id, pid in run_cached("eta.line_products", _line_products_query, *part)
        )
    plans = schedules(product_of.values())
    result: dict[int, date | None] = {
        line_id: None for line_id, pid in product_of.items() if pid not in plans
    }
    dated = sorted((pid, line_id) for line_id, pid in product_of.items() if pid in plans)
    for batch in chunks(dated, _POSITION_CHUNK):
        asked = [line_id for _pid, line_id in batch]
        products = sorted({pid for pid, _line_id in batch})
        rows = run_cached(
            # The statement's text depends on how many of its parameters are products.
            f"eta.positions.{len(products)}",
            functools.partial(_positions_query, len(products)),
            *products,
            *asked,
        )
        for line_id, pid, cum in rows:
            result[int(line_id)] = plans[int(pid)].eta_for(int(cum))
    return result


#: Lines per positions query: their products' ids and their own ids are its parameters.
_POSITION_CHUNK = CHUNK // 2


def _line_products_query(*ids: int) -> Any:
    """The product of each of these lines that still waits."""
    return OrderLine.select(OrderLine.id, OrderLine.product).where(
        OrderLine.qty_waiting > ZERO, OrderLine.id.in_(list(ids))
    )


def _positions_query(products: int, *ids: int) -> Any:
    """Queue positions (waiting units up to and including the line, in serving order) of
    some lines; ``ids``: ``products`` product ids, then the lines' ids. The products'
    queues are summed in the database and only the asked-for lines come back."""
    product_ids, line_ids = list(ids[:products]), list(ids[products:])
    cumulative = fn.SUM(OrderLine.qty_waiting).over(
        partition_by=[OrderLine.product],
        order_by=[OrderLine.priority.desc(), OrderLine.queued_at, OrderLine.id],
    )
    queue = (
        OrderLine.select(OrderLine.id, OrderLine.product, cumulative.alias("cum"))
        .where(OrderLine.qty_waiting > ZERO, OrderLine.product.in_(product_ids))
        .alias("queue")
    )
    return (
        OrderLine.select(queue.c.id, queue.c.product_id, queue.c.cum)
        .from_(queue)
        .where(queue.c.id.in_(line_ids))
    )


def eta_for_new_shortfall(product_id: int, shortfall: int, priority: int) -> date | None:
    """ETA for a line not yet placed, short by ``shortfall``, queued behind every waiting
    line of equal or higher priority (they were there first)."""
    return etas_for_new_shortfalls({product_id: shortfall}, priority)[product_id]


def etas_for_new_shortfalls(
    shortfalls: Mapping[int, int], priority: int, *, waiting: Mapping[int, int] | None = None
) -> dict[int, date | None]:
    """``eta_for_new_shortfall`` for several products (``product_id -> shortfall``) at once.

    The queue ahead is only summed for products with something incoming: without a
    delivery booked there is no date, however long the queue. ``waiting``, when the
    caller has read it (``Product.waiting``, every unit waiting for each product): only
    the units queued below ``priority`` are summed then, usually none, instead of the whole
    queue ahead, which is long exactly for the products that are short (every order
    that waits asks this).
    """
    plans = schedules(shortfalls)
    dated = sorted(pid for pid in shortfalls if pid in plans)
    ahead: dict[int, int] = {}
    for part in chunks(dated):
        if waiting is None:
            query = run_cached("eta.ahead", _AHEAD, *part, priority)
            ahead.update({int(pid): int(units) for pid, units in query})
        else:
            below = dict(run_cached("eta.below", _BELOW, *part, priority))
            ahead.update({pid: waiting[pid] - int(below.get(pid, 0)) for pid in part})
    return {
        pid: plans[pid].eta_for(ahead.get(pid, 0) + short) if pid in plans else None
        for pid, short in shortfalls.items()
    }


def _waiting_by_priority_query(below: bool, *args: int) -> Any:
    """Waiting units per product at or above a priority (``below``: under it instead);
    ``args``: ids..., priority."""
    *ids, priority = args
    split = OrderLine.priority < priority if below else OrderLine.priority >= priority
    return (
        OrderLine.select(OrderLine.product, fn.SUM(OrderLine.qty_waiting))
        .where(OrderLine.product.in_(ids), OrderLine.qty_waiting > ZERO, split)
        .group_by(OrderLine.product)
    )


_AHEAD = functools.partial(_waiting_by_priority_query, False)
_BELOW = functools.partial(_waiting_by_priority_query, True)


def supplier_lead_times(product_ids: Iterable[int]) -> dict[int, int]:
    """Products whose supplier has a usual lead time: ``product_id -> days``."""
    ids = sorted(set(product_ids))
    result: dict[int, int] = {}
    for part in chunks(ids):
        query = (
            Product.select(Product.id, Supplier.lead_time_days)
            .join(Supplier, JOIN.INNER)
            .where(Product.id.in_(list(part)), Supplier.lead_time_days.is_null(False))
            .tuples()
        )
        result.update({pid: int(days) for pid, days in query})
    return result


@dataclass(frozen=True)
class Moved:
    """A waiting line whose ETA is not the date its customer was last told.

    ``told`` is ``OrderLine.eta_notified`` (``None``: the customer was told "no date yet");
    ``eta`` is the queue-aware ETA now (``None``: no open purchase order covers it).
    """

    line_id: int
    order_id: int
    customer_id: int
    customer: str
    product_id: int
    sku: str
    name: str
    waiting: int
    told: date | None
    eta: date | None


def moved_lines(
    product_ids: Iterable[int],
    keep: Callable[[date | None, date | None], bool] | None = None,
) -> list[Moved]:
    """The products' waiting lines whose ETA differs from what their customers were told.

    ``keep(told, eta)`` narrows the result (the controller keeps the later ones); the
    customer and product of a line are read only for the lines kept. Set-based: per chunk
    of products one windowed query over their queues, plus their schedules; in serving
    order within each product.
    """
    ids = sorted(set(product_ids))
    if not ids:
        return []
    plans = schedules(ids)
    cumulative = fn.SUM(OrderLine.qty_waiting).over(
        partition_by=[OrderLine.product],
        order_by=[OrderLine.priority.desc(), OrderLine.queued_at, OrderLine.id],
    )
    found: dict[int, tuple[date | None, date | None]] = {}
    for part in chunks(ids):
        query = (
            OrderLine.select(OrderLine.id, OrderLine.product, OrderLine.eta_notified, cumulative)
            .where(OrderLine.qty_waiting > 0, OrderLine.product.in_(list(part)))
            .tuples()
        )
        for line_id, product_id, raw_told, cum in query:
            told = _as_date(raw_told) if raw_told is not None else None
            now = plans.get(product_id, EMPTY).eta_for(int(cum))
            if now != told and (keep is None or keep(told, now)):
                found[line_id] = (told, now)
    result: list[Moved] = []
    for part in chunks(sorted(found)):
        query = (
            OrderLine.select(
                OrderLine.id,
                Order.id,
                Customer.id,
                Customer.name,
                Product.id,
                Product.sku,
                Product.name,
                OrderLine.qty_waiting,
            )
            .join(Order)
            .join(Customer)
            .switch(OrderLine)
            .join(Product)
            .where(OrderLine.id.in_(list(part)))
            .order_by(OrderLine.product, OrderLine.priority.desc(), OrderLine.queued_at)
            .tuples()
        )
        for line_id, order_id, cust_id, cust_name, pid, sku, name, waiting in query:
            told, now = found[line_id]
            result.append(
                Moved(
                    line_id=line_id,
                    order_id=order_id,
                    customer_id=cust_id,
                    customer=cust_name,
                    product_id=pid,
                    sku=sku,
                    name=name,
                    waiting=int(waiting),
                    told=told,
                    eta=now,
                )
            )
    return result


def _as_date(value: object) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def lead_time_estimates(product_ids: Iterable[int], today: date) -> dict[int, tuple[date, int]]:
    """For products whose supplier has a usual lead time: ``product_id -> (today + lead
    time, lead time in days)``. An estimate, not a booked date: shown marked as such."""
    return {
        pid: (today + timedelta(days=days), days)
        for pid, days in supplier_lead_times(product_ids).items()
    }
