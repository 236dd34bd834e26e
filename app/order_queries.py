"""Read-only views of orders: the paged orders list with a status, and one order's detail.

An order's status comes from its lines' unit buckets (every ordered unit is reserved,
shipped, waiting or cancelled), summed over the order:

========================  =================================================================
``open``                  units are waiting for stock and nothing is reserved: the customer
                          can take nothing more today (some units may have gone already).
``partly waiting``        some units are waiting and some are reserved: part of the order
                          can be handed over now.
``ready``                 nothing is waiting and some units are reserved: everything still
                          to hand over is here.
``shipped``               nothing waiting or reserved, and at least one unit went out:
                          everything not cancelled has been shipped.
``cancelled``             every unit of every line was cancelled.
========================  =================================================================

How it stays fast on 100,000 orders without storing a derived status: three small partial
indexes list, by order, the lines with waiting, reserved and cancelled units (W, R and C;
see ``app.models``). An order is open when it is in W but not R, partly waiting in both,
ready in R but not W, cancelled when in C, neither W nor R, and with no line outside the
cancelled bucket; shipped is everything else. So:

* a page's statuses come from one aggregate over that page's lines (``line_totals``);
* counts per status are differences of a few index-only counts (``status_counts``);
* a page filtered by status either walks the orders newest first and probes the indexes
  (when the status is common), or starts from the index's order ids (when it is rare);
  the caller passes the count it already has (``matching``) to pick.

``order_status`` and ``_status_clause`` state the same rule in Python and in SQL; the
tests hold them to each other.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from peewee import JOIN, Expression, Tuple, fn

from app import eta
from app.errors import NotFound
from app.models import (
    AuditEvent,
    Customer,
    CustomerMessage,
    Order,
    OrderLine,
    Product,
    Staff,
)
from app.validation import search_key


class OrderStatus(StrEnum):
    """Where an order stands as a whole; see the module docstring for the exact rule."""

    OPEN = "open"
    PARTLY_WAITING = "partly waiting"
    READY = "ready"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"


#: What each status means, in words a clerk reads in a tooltip.
STATUS_MEANING: dict[OrderStatus, str] = {
    OrderStatus.OPEN: "Waiting for stock; nothing is ready to hand over yet.",
    OrderStatus.PARTLY_WAITING: "Some units are ready to hand over, others wait for stock.",
    OrderStatus.READY: "Nothing is waiting: everything still to hand over is reserved.",
    OrderStatus.SHIPPED: "Everything that was not cancelled has been shipped.",
    OrderStatus.CANCELLED: "Every line was cancelled.",
}


def order_status(
    *, reserved: int, shipped: int, waiting: int, cancelled: int, ordered: int
) -> OrderStatus:
    """The status of an order from its lines' summed quantities."""
    if waiting > 0:
        return OrderStatus.PARTLY_WAITING if reserved > 0 else OrderStatus.OPEN
    if reserved > 0:
        return OrderStatus.READY
    if cancelled >= ordered:
        return OrderStatus.CANCELLED
    return OrderStatus.SHIPPED


def _lines_of_order(condition: Callable[[Any], Expression]) -> Any:
    """EXISTS (a line of the outer order meeting ``condition(line)``)."""
    line = OrderLine.alias("status_line")
    return fn.EXISTS(line.select(line.id).where(line.order == Order.id, condition(line)))


def _waiting(line: Any) -> Expression:
    return line.qty_waiting > 0


def _reserved(line: Any) -> Expression:
    return line.qty_reserved > 0


def _cancelled(line: Any) -> Expression:
    return line.qty_cancelled > 0


def _not_all_cancelled(line: Any) -> Expression:
    return line.qty_cancelled < line.qty_ordered


def _status_clause(status: OrderStatus) -> Expression:
    """SQL for ``order_status(...) == status`` on the outer ``Order`` row."""
    waiting = _lines_of_order(_waiting)
    reserved = _lines_of_order(_reserved)
    # Cancelled: some line has cancelled units (index-backed, rare), and no line has units
    # outside the cancelled bucket.
    cancelled = _lines_of_order(_cancelled) & ~_lines_of_order(_not_all_cancelled)
    if status is OrderStatus.OPEN:
        return waiting & ~reserved
    if status is OrderStatus.PARTLY_WAITING:
        return waiting & reserved
    if status is OrderStatus.READY:
        return reserved & ~waiting
    if status is OrderStatus.CANCELLED:
        return ~waiting & ~reserved & cancelled
    return ~waiting & ~reserved & ~cancelled


#: The line bucket whose partial index holds every order of a status (shipped has none).
_DRIVING_BUCKET: dict[OrderStatus, Callable[[Any], Expression]] = {
    OrderStatus.OPEN: _waiting,
    OrderStatus.PARTLY_WAITING: _waiting,
    OrderStatus.READY: _reserved,
    OrderStatus.CANCELLED: _cancelled,
}

#: A status page starts from the partial index's order ids when at most this many orders
#: match (sorting a few thousand ids is cheaper than walking 100,000 orders to find a rare
#: status); above it, walking newest first fills a page after a few hundred orders.
DRIVE_FROM_INDEX_UP_TO = 5_000


def _orders_in(bucket: Callable[[Any], Expression]) -> Any:
    """The ids of orders with a line in this bucket (an index-only scan)."""
    return OrderLine.select(OrderLine.order).where(bucket(OrderLine))


def _distinct_orders(bucket: Callable[[Any], Expression], *, also: Any = None) -> int:
    query = OrderLine.select(fn.COUNT(fn.DISTINCT(OrderLine.order))).where(bucket(OrderLine))
    if also is not None:
        query = query.where(also)
    return int(query.scalar() or 0)


def status_counts(only: OrderStatus | None = None) -> dict[OrderStatus, int]:
    """How many of all orders are in each status, from index-only counts: ``|W|``,
    ``|R|`` and ``|W and R|`` give open, partly waiting and ready; shipped is the rest.
    With ``only``, just the counts that status needs are made (the others are 0)."""
    need_w = only in (None, OrderStatus.OPEN, OrderStatus.SHIPPED)
    need_r = only in (None, OrderStatus.READY, OrderStatus.SHIPPED)
    need_both = only is not OrderStatus.CANCELLED
    need_cancelled = only in (None, OrderStatus.CANCELLED, OrderStatus.SHIPPED)
    reserved_line = OrderLine.alias("reserved_line")
    has_reserved = fn.EXISTS(
        reserved_line.select(reserved_line.id).where(
            reserved_line.order == OrderLine.order, reserved_line.qty_reserved > 0
        )
    )
    in_w = _distinct_orders(_waiting) if need_w else 0
    in_r = _distinct_orders(_reserved) if need_r else 0
    in_both = _distinct_orders(_waiting, also=has_reserved) if need_both else 0
    cancelled = _count_status(OrderStatus.CANCELLED) if need_cancelled else 0
    shipped = 0
    if only in (None, OrderStatus.SHIPPED):
        total = int(Order.select(fn.COUNT(Order.id)).scalar() or 0)
        shipped = total - (in_w + in_r - in_both) - cancelled
    return {
        OrderStatus.OPEN: max(in_w - in_both, 0),
        OrderStatus.PARTLY_WAITING: in_both,
        OrderStatus.READY: max(in_r - in_both, 0),
        OrderStatus.SHIPPED: shipped,
        OrderStatus.CANCELLED: cancelled,
    }


def _count_status(status: OrderStatus) -> int:
    """Orders in one status, driven from its partial index (not for shipped)."""
    query = Order.select(fn.COUNT(Order.id)).where(
        Order.id.in_(_orders_in(_DRIVING_BUCKET[status])), _status_clause(status)
    )
    return int(query.scalar() or 0)


@dataclass(frozen=True)
class OrderRow:
    """One order in the list, with its line totals and status."""

    order_id: int
    customer_id: int
    customer: str
    placed_at: datetime
    priority: int
    staff: str
    lines: int
    ordered: int
    reserved: int
    shipped: int
    waiting: int
    cancelled: int

    @property
    def status(self) -> OrderStatus:
        return order_status(
            reserved=self.reserved,
            shipped=self.shipped,
            waiting=self.waiting,
            cancelled=self.cancelled,
            ordered=self.ordered,
        )


ORDER_SORTS: dict[str, Any] = {
    "placed_at": Order.placed_at,
    "order": Order.id,
    "customer": Customer.name,
    "priority": Order.priority,
    "staff": Staff.name,
}


def _sort_value(row: OrderRow, sort: str) -> Any:
    """The row's value of the sort column (``ORDER_SORTS`` key)."""
    return {
        "order": row.order_id,
        "customer": row.customer,
        "priority": row.priority,
        "staff": row.staff,
    }.get(sort, row.placed_at)


def _order_query(
    columns: Sequence[Any],
    *,
    search: str | None,
    status: OrderStatus | str | None,
    customer_id: int | None,
    names: bool,
    placed_from: datetime | None = None,
    placed_to: datetime | None = None,
) -> Any:
    """Orders matching the filter; ``names`` joins the customer and staff for display
    (a count needs neither). ``placed_from`` (inclusive) and ``placed_to`` (exclusive)
    bound the time placed, naive UTC like the stored times."""
    query = Order.select(*columns)
    if placed_from is not None:
        query = query.where(Order.placed_at >= placed_from)
    if placed_to is not None:
        query = query.where(Order.placed_at < placed_to)
    if names:
        query = (
            query.join(Customer, on=(Order.customer == Customer.id))
            .switch(Order)
            .join(Staff, on=(Order.staff == Staff.id))
        )
    if customer_id is not None:
        query = query.where(Order.customer == customer_id)
    if status:
        query = query.where(_status_clause(OrderStatus(status)))
    text = search_key(search).lstrip("#")
    if text:
        # Matching customers first, then their orders by index: a name search never
        # walks every order.
        named = Customer.select(Customer.id).where(fn.LOWER(Customer.name).contains(text))
        clause = Order.customer.in_(named)
        if text.isdecimal() and len(text) < 12:
            clause = clause | (Order.id == int(text))
        query = query.where(clause)
    return query


def count_orders(
    *,
    search: str | None = None,
    status: OrderStatus | str | None = None,
    customer_id: int | None = None,
    placed_from: datetime | None = None,
    placed_to: datetime | None = None,
) -> int:
    """How many orders match the filter (same arguments as ``orders``)."""
    dated = placed_from is not None or placed_to is not None
    if status and not (search or "").strip() and customer_id is None and not dated:
        wanted = OrderStatus(status)
        return status_counts(only=wanted)[wanted]
    query = _order_query(
        [fn.COUNT(Order.id)],
        search=search,
        status=status,
        customer_id=customer_id,
        names=False,
        placed_from=placed_from,
        placed_to=placed_to,
    )
    return int(query.scalar() or 0)


def orders(
    *,
    search: str | None = None,
    status: OrderStatus | str | None = None,
    customer_id: int | None = None,
    sort: str = "placed_at",
    descending: bool = True,
    offset: int = 0,
    limit: int | None = 100,
    matching: int | None = None,
    after: OrderRow | None = None,
    placed_from: datetime | None = None,
    placed_to: datetime | None = None,
) -> list[OrderRow]:
    """A page of orders, newest first unless another sort is asked for.

    ``search`` matches the customer's name (any part, any case) or the order number
    (``123`` or ``#123``); ``status`` keeps one status only. ``matching`` is what
    ``count_orders`` said for the same filter, if known: it only picks the faster plan.
    ``after`` (the last row of the previous page, same filter and sort) replaces
    ``offset``: the page starts right after it, so a deep page costs what the first does.
    ``placed_from`` / ``placed_to`` keep orders placed from (inclusive) / before
    (exclusive) these times (naive UTC).
    """
    if matching == 0:
        return []  # the caller just counted none: walking every order to find none is waste
    key = ORDER_SORTS.get(sort, Order.placed_at)
    tie = Order.id.desc() if descending else Order.id
    query = _order_query(
        [Order.id, Customer.id, Customer.name, Order.placed_at, Order.priority, Staff.name],
        search=search,
        status=status,
        customer_id=customer_id,
        names=True,
        placed_from=placed_from,
        placed_to=placed_to,
    ).order_by(key.desc() if descending else key, tie)
    if (
        status
        and OrderStatus(status) in _DRIVING_BUCKET
        and not (search or "").strip()
        and customer_id is None
        and matching is not None
        and matching <= DRIVE_FROM_INDEX_UP_TO
    ):
        query = query.where(Order.id.in_(_orders_in(_DRIVING_BUCKET[OrderStatus(status)])))
    if after is not None:
        mark = Tuple(key, Order.id)
        last = Tuple(_sort_value(after, sort), after.order_id)
        query = query.where(mark < last if descending else mark > last)
    else:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    heads = list(query.tuples())
    totals = line_totals([head[0] for head in heads])
    rows = []
    for order_id, cust_id, cust_name, placed_at, priority, staff in heads:
        lines, ordered, reserved, shipped, waiting, cancelled = totals.get(order_id, (0,) * 6)
        rows.append(
            OrderRow(
                order_id=order_id,
                customer_id=cust_id,
                customer=cust_name,
                placed_at=placed_at,
                priority=priority,
                staff=staff,
                lines=lines,
                ordered=ordered,
                reserved=reserved,
                shipped=shipped,
                waiting=waiting,
                cancelled=cancelled,
            )
        )
    return rows


def line_totals(order_ids: Sequence[int]) -> dict[int, tuple[int, int, int, int, int, int]]:
    """Per order: (lines, ordered, reserved, shipped, waiting, cancelled), one aggregate."""
    result: dict[int, tuple[int, int, int, int, int, int]] = {}
    for part in eta.chunks(list(order_ids)):
        query = (
            OrderLine.select(
                OrderLine.order,
                fn.COUNT(OrderLine.id),
                fn.SUM(OrderLine.qty_ordered),
                fn.SUM(OrderLine.qty_reserved),
                fn.SUM(OrderLine.qty_shipped),
                fn.SUM(OrderLine.qty_waiting),
                fn.SUM(OrderLine.qty_cancelled),
            )
            .where(OrderLine.order.in_(list(part)))
            .group_by(OrderLine.order)
            .tuples()
        )
        for order_id, *sums in query:
            lines, ordered, reserved, shipped, waiting, cancelled = (int(v) for v in sums)
            result[order_id] = (lines, ordered, reserved, shipped, waiting, cancelled)
    return result


# ------------------------------------------------------------------ detail


class LineState(StrEnum):
    """A line's state as the detail shows it (``ordered``: nothing has happened yet)."""

    ORDERED = "ordered"
    RESERVED = "reserved"
    WAITING = "waiting"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class DetailLine:
    """One line of an order with where its units stand and the decision taken on it."""

    line_id: int
    product_id: int
    sku: str
    name: str
    unit_price_cents: int
    ordered: int
    reserved: int
    shipped: int
    waiting: int
    cancelled: int
    priority: int
    decision: str | None
    decided_by: str | None
    decided_at: datetime | None
    cancel_reason: str | None
    eta: date | None

    @property
    def state(self) -> LineState:
        """The line's main state: waiting wins, then reserved, then cancelled/shipped."""
        if self.waiting > 0:
            return LineState.WAITING
        if self.reserved > 0:
            return LineState.RESERVED
        if self.cancelled >= self.ordered:
            return LineState.CANCELLED
        if self.shipped > 0:
            return LineState.SHIPPED
        return LineState.ORDERED

    @property
    def can_cancel(self) -> bool:
        """Units are left to cancel (reserved or waiting)."""
        return self.reserved > 0 or self.waiting > 0


@dataclass(frozen=True)
class HistoryEntry:
    """One thing that happened to the order: when (UTC), who, and a sentence."""

    at: datetime
    who: str
    text: str


@dataclass(frozen=True)
class MessageEntry:
    """A customer message about this order."""

    message_id: int
    event: str
    subject: str
    status: str
    created_at: datetime
    sent_at: datetime | None
    told_via: str | None
    line_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class OrderDetail:
    """Everything the order detail view shows."""

    order_id: int
    customer_id: int
    customer: str
    email: str | None
    phone: str | None
    placed_at: datetime
    staff: str
    priority: int
    note: str
    lines: list[DetailLine]
    history: list[HistoryEntry] = field(default_factory=list)
    messages: list[MessageEntry] = field(default_factory=list)

    @property
    def status(self) -> OrderStatus:
        return order_status(
            reserved=sum(line.reserved for line in self.lines),
            shipped=sum(line.shipped for line in self.lines),
            waiting=sum(line.waiting for line in self.lines),
            cancelled=sum(line.cancelled for line in self.lines),
            ordered=sum(line.ordered for line in self.lines),
        )

    @property
    def units_to_ship(self) -> int:
        """Reserved units: what "ship" would hand over now."""
        return sum(line.reserved for line in self.lines)


def order_lines(order_ids: Sequence[int]) -> dict[int, list[DetailLine]]:
    """The lines of these orders (by order, in line order), with who decided a short line
    and the ETAs of waiting ones: the order detail's lines, and the orders export's."""
    decider = Staff.alias("decider")
    raw: list[tuple[Any, ...]] = []
    for part in eta.chunks(list(order_ids)):
        raw.extend(
            OrderLine.select(
                OrderLine.order,
                OrderLine.id,
                Product.id,
                Product.sku,
                Product.name,
                OrderLine.unit_price_cents,
                OrderLine.qty_ordered,
                OrderLine.qty_reserved,
                OrderLine.qty_shipped,
                OrderLine.qty_waiting,
                OrderLine.qty_cancelled,
                OrderLine.priority,
                OrderLine.decision,
                decider.name,
                OrderLine.decided_at,
                OrderLine.cancel_reason,
            )
            .join(Product, on=(OrderLine.product == Product.id))
            .switch(OrderLine)
            .join(decider, JOIN.LEFT_OUTER, on=(OrderLine.decided_by == decider.id))
            .where(OrderLine.order.in_(list(part)))
            .order_by(OrderLine.order, OrderLine.id)
            .tuples()
        )
    etas = eta.line_etas(row[1] for row in raw if row[9] > 0)
    lines: dict[int, list[DetailLine]] = {}
    for order_id, line_id, pid, sku, name, price, o, r, s, w, c, prio, dec, by, at, why in raw:
        lines.setdefault(order_id, []).append(
            DetailLine(
                line_id=line_id,
                product_id=pid,
                sku=sku,
                name=name,
                unit_price_cents=price,
                ordered=o,
                reserved=r,
                shipped=s,
                waiting=w,
                cancelled=c,
                priority=prio,
                decision=dec,
                decided_by=by,
                decided_at=at,
                cancel_reason=why,
                eta=etas.get(line_id),
            )
        )
    return lines


def order_detail(order_id: int) -> OrderDetail:
    """One order with its lines, decisions, ETAs, history and messages.

    Raises:
        NotFound: there is no such order.
    """
    head = (
        Order.select(
            Order.id,
            Customer.id,
            Customer.name,
            Customer.email,
            Customer.phone,
            Order.placed_at,
            Staff.name,
            Order.priority,
            Order.note,
        )
        .join(Customer, on=(Order.customer == Customer.id))
        .switch(Order)
        .join(Staff, on=(Order.staff == Staff.id))
        .where(Order.id == order_id)
        .tuples()
        .first()
    )
    if head is None:
        raise NotFound(f"There is no order {order_id}.", field="order")
    _, cust_id, cust_name, email, phone, placed_at, staff, priority, note = head
    lines = order_lines([order_id]).get(order_id, [])
    messages = _messages(order_id, cust_id)
    return OrderDetail(
        order_id=order_id,
        customer_id=cust_id,
        customer=cust_name,
        email=email,
        phone=phone,
        placed_at=placed_at,
        staff=staff,
        priority=priority,
        note=note,
        lines=lines,
        history=_history(order_id, lines, messages),
        messages=messages,
    )


def _messages(order_id: int, customer_id: int) -> list[MessageEntry]:
    """The customer's messages that name this order (a message may list several orders,
    and ``CustomerMessage.order`` holds only the first, so the payload decides)."""
    rows = (
        CustomerMessage.select(
            CustomerMessage.id,
            CustomerMessage.event,
            CustomerMessage.subject,
            CustomerMessage.status,
            CustomerMessage.created_at,
            CustomerMessage.sent_at,
            CustomerMessage.told_via,
            CustomerMessage.order,
            CustomerMessage.payload,
        )
        .where(CustomerMessage.customer == customer_id)
        .order_by(CustomerMessage.created_at, CustomerMessage.id)
        .tuples()
    )
    found = []
    for msg_id, event, subject, status, created, sent, via, first_order, payload in rows:
        loaded = _load(payload)
        order_ids = set(loaded.get("order_ids") or [])
        if first_order == order_id or order_id in order_ids:
            found.append(
                MessageEntry(
                    message_id=msg_id,
                    event=event,
                    subject=subject,
                    status=status,
                    created_at=created,
                    sent_at=sent,
                    told_via=via,
                    line_ids=tuple(int(i) for i in loaded.get("line_ids") or []),
                )
            )
    return found


def _history(
    order_id: int, lines: Sequence[DetailLine], messages: Sequence[MessageEntry]
) -> list[HistoryEntry]:
    """The audit events about the order and its lines, as sentences, oldest first; stock
    arriving for it shows through the "ready" messages it caused."""
    skus = {line.line_id: line.sku for line in lines}
    about = (AuditEvent.entity == "order") & (AuditEvent.entity_id == order_id)
    if skus:
        about = about | (
            (AuditEvent.entity == "order_line") & AuditEvent.entity_id.in_(sorted(skus))
        )
    events = (
        AuditEvent.select(
            AuditEvent.at,
            Staff.name,
            AuditEvent.action,
            AuditEvent.entity_id,
            AuditEvent.detail,
        )
        .join(Staff, on=(AuditEvent.staff == Staff.id))
        .where(about)
        .order_by(AuditEvent.at, AuditEvent.id)
        .tuples()
    )
    entries = [
        HistoryEntry(at=at, who=who, text=describe_event(action, entity_id, _load(detail), skus))
        for at, who, action, entity_id, detail in events
    ]
    for message in messages:
        if message.event == "ready":
            ready = [skus[i] for i in message.line_ids if i in skus]
            what = ", ".join(ready) if ready else "lines"
            verb = "is" if len(ready) == 1 else "are"
            entries.append(
                HistoryEntry(
                    at=message.created_at,
                    who="",
                    text=f"Stock arrived: {what} {verb} ready to hand over "
                    "(a message for the customer was queued).",
                )
            )
    entries.sort(key=lambda entry: entry.at)
    return entries


def _load(detail: str) -> dict[str, Any]:
    try:
        loaded = json.loads(detail or "{}")
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _units(count: int) -> str:
    return "1 unit" if count == 1 else f"{count} units"


def describe_event(
    action: str, entity_id: int | None, detail: dict[str, Any], skus: dict[int, str]
) -> str:
    """An audit event about an order or one of its lines as a sentence, without the time
    and the person (``skus`` names the order's lines by id)."""
    sku = skus.get(entity_id or 0, "")
    if action == "order.place":
        lines = detail.get("lines") or []
        parts = []
        for key in ("reserved", "waiting", "cancelled"):
            total = sum(int(line.get(key, 0)) for line in lines)
            if total:
                parts.append(f"{total} {key}")
        text = "placed the order"
        if parts:
            text += ": " + ", ".join(parts)
        decisions = detail.get("decisions") or {}
        if decisions:
            chosen = ", ".join(
                f"{sku} {'waits' if d == 'wait' else 'cancelled'}"
                for sku, d in sorted(decisions.items())
            )
            text += f" (customer decided: {chosen})"
        return text
    if action == "order.ship":
        shipped = {int(k): int(v) for k, v in (detail.get("lines") or {}).items()}
        total = sum(shipped.values())
        what = ", ".join(f"{skus.get(k, f'line {k}')} × {v}" for k, v in sorted(shipped.items()))
        return f"shipped {_units(total)} ({what})"
    if action == "line.cancel":
        waiting = int(detail.get("waiting", 0))
        released = int(detail.get("released", 0))
        reason = str(detail.get("reason") or "").strip()
        parts = []
        if waiting:
            parts.append(f"{waiting} waiting")
        if released:
            parts.append(f"{released} reserved released")
        text = f"cancelled {_units(waiting + released)}{' of ' + sku if sku else ''}"
        if parts:
            text += f" ({', '.join(parts)})"
        return text + (f"; reason: {reason}" if reason else "")
    if action == "line.priority":
        return (
            f"changed the queue priority of {sku or 'a line'} from {detail.get('old')} "
            f"to {detail.get('new')}"
        )
    if action in ("message.told", "message.resend"):
        subject = str(detail.get("subject") or "a message")
        if action == "message.resend":
            return f"put “{subject}” back in the outbox to go again by e-mail"
        how = {"phone": "by phone", "in person": "in person", "printed": "on paper"}
        via = str(detail.get("via") or "")
        return f"told the customer {how.get(via, via)}: “{subject}”"
    return action.replace(".", " ")
