"""What to pick and pack after a receipt: one sorted pick list and a packing slip per order.

The orders are those with a line the receipt fulfilled (as its ``receipt.commit`` audit
event records). Each order's slip lists everything reserved for it now, so lines that
were ready before the delivery go in the same parcel, and the units of a line still partly
waiting that are here (``ship_order`` ships every reserved unit). Lines still waiting are
listed with their ETA so the customer knows what follows. Read only; no Qt.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from app import eta
from app.errors import NotFound, UserError
from app.models import AuditEvent, Customer, Order, OrderLine, Product, Receipt


@dataclass(frozen=True)
class PickRow:
    """Units of one product to take off the shelf for one order line."""

    sku: str
    name: str
    qty: int
    order_id: int
    line_id: int
    customer: str


@dataclass(frozen=True)
class PackLine:
    """A line of a packing slip: units to put in the parcel (reserved for the line)."""

    line_id: int
    product_id: int
    sku: str
    name: str
    qty: int
    ordered: int


@dataclass(frozen=True)
class WaitingLine:
    """A line of the order still (partly) waiting for stock, and when it should come."""

    line_id: int
    product_id: int
    sku: str
    name: str
    waiting: int
    eta: date | None


@dataclass(frozen=True)
class PackingSlip:
    """One order's parcel: who it is for, what goes in, and what follows later."""

    order_id: int
    placed_at: datetime
    customer_id: int
    customer: str
    email: str | None
    phone: str | None
    lines: tuple[PackLine, ...]
    waiting: tuple[WaitingLine, ...]

    @property
    def units(self) -> int:
        """Units in the parcel."""
        return sum(line.qty for line in self.lines)


@dataclass(frozen=True)
class PickingPlan:
    """Everything to pick and pack for the orders a receipt fulfilled.

    ``pick_list`` is sorted by SKU, then order (shops without bins walk the shelves by
    SKU); ``slips`` are in order number order, one per order with something to pack.
    """

    receipt_id: int
    committed_at: datetime | None
    pick_list: tuple[PickRow, ...]
    slips: tuple[PackingSlip, ...]

    @property
    def total_units(self) -> int:
        """Units on the pick list."""
        return sum(row.qty for row in self.pick_list)

    def units_by_sku(self) -> dict[str, int]:
        """Units to pick per SKU, in pick-list order."""
        totals: dict[str, int] = {}
        for row in self.pick_list:
            totals[row.sku] = totals.get(row.sku, 0) + row.qty
        return totals


def fulfilled_line_ids(receipt_id: int) -> list[int]:
    """The order lines a committed receipt served in full (from its audit event).

    Raises:
        NotFound: no such receipt.
        UserError: the receipt is a draft or was discarded.
    """
    receipt = Receipt.get_or_none(Receipt.id == receipt_id)
    if receipt is None:
        raise NotFound(f"There is no receipt {receipt_id}.", field="receipt")
    if receipt.status != "committed":
        raise UserError(
            f"Receipt {receipt_id} is {receipt.status}, not received: there is nothing to "
            "pick for it yet.",
            field="receipt",
        )
    event = (
        AuditEvent.select(AuditEvent.detail)
        .where(
            AuditEvent.entity == "receipt",
            AuditEvent.entity_id == receipt_id,
            AuditEvent.action == "receipt.commit",
        )
        .order_by(AuditEvent.id)
        .first()
    )
    if event is None:
        return []
    detail = json.loads(str(event.detail))
    return [int(line_id) for line_id in detail.get("fulfilled", [])]


def picking(receipt_id: int) -> PickingPlan:
    """The pick list and packing slips for the orders whose lines this receipt fulfilled,
    as they stand now (an order shipped since has nothing left to pack and no slip)."""
    receipt = Receipt.get_or_none(Receipt.id == receipt_id)
    fulfilled = fulfilled_line_ids(receipt_id)
    committed_at = receipt.committed_at if receipt is not None else None
    order_ids: set[int] = set()
    for part in eta.chunks(sorted(fulfilled)):
        order_ids.update(
            int(oid)
            for (oid,) in OrderLine.select(OrderLine.order)
            .where(OrderLine.id.in_(list(part)))
            .distinct()
            .tuples()
        )
    packs: dict[int, list[PackLine]] = defaultdict(list)
    waits: dict[int, list[tuple[int, int, str, str, int]]] = defaultdict(list)
    for part in eta.chunks(sorted(order_ids)):
        query = (
            OrderLine.select(
                OrderLine.order,
                OrderLine.id,
                Product.id,
                Product.sku,
                Product.name,
                OrderLine.qty_ordered,
                OrderLine.qty_reserved,
                OrderLine.qty_waiting,
            )
            .join(Product)
            .where(
                OrderLine.order.in_(list(part)),
                (OrderLine.qty_reserved > 0) | (OrderLine.qty_waiting > 0),
            )
            .order_by(OrderLine.order, OrderLine.id)
            .tuples()
        )
        for oid, line_id, pid, sku, name, ordered, reserved, waiting in query:
            if reserved:
                packs[int(oid)].append(
                    PackLine(
                        line_id=int(line_id),
                        product_id=int(pid),
                        sku=str(sku),
                        name=str(name),
                        qty=int(reserved),
                        ordered=int(ordered),
                    )
                )
            if waiting:
                waits[int(oid)].append((int(line_id), int(pid), str(sku), str(name), int(waiting)))
    etas = eta.line_etas(line[0] for lines in waits.values() for line in lines)
    slips: list[PackingSlip] = []
    pick_list: list[PickRow] = []
    packed_orders = sorted(packs)
    for part in eta.chunks(packed_orders):
        heads = (
            Order.select(
                Order.id,
                Order.placed_at,
                Customer.id,
                Customer.name,
                Customer.email,
                Customer.phone,
            )
            .join(Customer)
            .where(Order.id.in_(list(part)))
            .order_by(Order.id)
            .tuples()
        )
        for oid, placed_at, cid, customer, email, phone in heads:
            order_id = int(oid)
            slips.append(
                PackingSlip(
                    order_id=order_id,
                    placed_at=placed_at,
                    customer_id=int(cid),
                    customer=str(customer),
                    email=email,
                    phone=phone,
                    lines=tuple(packs[order_id]),
                    waiting=tuple(
                        WaitingLine(
                            line_id=line_id,
                            product_id=pid,
                            sku=sku,
                            name=name,
                            waiting=waiting,
                            eta=etas.get(line_id),
                        )
                        for line_id, pid, sku, name, waiting in waits[order_id]
                    ),
                )
            )
            pick_list.extend(
                PickRow(
                    sku=line.sku,
                    name=line.name,
                    qty=line.qty,
                    order_id=order_id,
                    line_id=line.line_id,
                    customer=str(customer),
                )
                for line in packs[order_id]
            )
    pick_list.sort(key=lambda row: (row.sku, row.order_id, row.line_id))
    return PickingPlan(
        receipt_id=receipt_id,
        committed_at=committed_at,
        pick_list=tuple(pick_list),
        slips=tuple(slips),
    )
