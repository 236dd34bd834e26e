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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from peewee import JOIN, fn

from app.fast_sql import run_cached
from app.models import (
    OrderLine,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    Supplier,
)

CHUNK = 500


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


def chunks(ids: Sequence[int], size: int = CHUNK) -> Iterable[Sequence[int]]:
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
    """ETAs of the given waiting lines (lines no longer waiting are left out)."""
    wanted = set(line_ids)
    if not wanted:
        return {}
    product_ids = [
        pid
        for part in chunks(sorted(wanted))
        for (pid,) in OrderLine.select(OrderLine.product)
        .where(OrderLine.id.in_(list(part)))
        .distinct()
        .tuples()
    ]
    positions = queue_positions(product_ids)
    plans = schedules(product_ids)
    return {
        line_id: plans.get(product_id, EMPTY).eta_for(cum)
        for line_id, (product_id, cum) in positions.items()
        if line_id in wanted
    }


def eta_for_new_shortfall(product_id: int, shortfall: int, priority: int) -> date | None:
    """ETA for a line not yet placed, short by ``shortfall``, queued behind every waiting
    line of equal or higher priority (they were there first)."""
    return etas_for_new_shortfalls({product_id: shortfall}, priority)[product_id]


def etas_for_new_shortfalls(shortfalls: Mapping[int, int], priority: int) -> dict[int, date | None]:
    """``eta_for_new_shortfall`` for several products (``product_id -> shortfall``) at once.

    The queue ahead is only summed for products with something incoming: without a
    delivery booked there is no date, however long the queue.
    """
    plans = schedules(shortfalls)
    dated = sorted(pid for pid in shortfalls if pid in plans)
    ahead: dict[int, int] = {}
    for part in chunks(dated):
        query = run_cached("eta.ahead", _ahead_query, *part, 0, priority)
        ahead.update({int(pid): int(units) for pid, units in query})
    return {
        pid: plans[pid].eta_for(ahead.get(pid, 0) + short) if pid in plans else None
        for pid, short in shortfalls.items()
    }


def _ahead_query(*args: int) -> Any:
    """Waiting units per product at or above a priority; ``args``: ids..., 0, priority."""
    *ids, none, priority = args
    return (
        OrderLine.select(OrderLine.product, fn.SUM(OrderLine.qty_waiting))
        .where(
            OrderLine.product.in_(ids),
            OrderLine.qty_waiting > none,
            OrderLine.priority >= priority,
        )
        .group_by(OrderLine.product)
    )


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


def _as_date(value: object) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
