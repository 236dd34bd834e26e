"""The controller: every business rule of Backorder Desk, stated once.

The windows and the command line both call it. It never asks a question: when an order
has lines short of stock and no decision for them, it refuses the whole order, writes
nothing and reports the shortages (``ShortageDecisionNeeded``); the caller asks the
customer and calls again with the decisions.

Every write is one transaction (``Store.run_write``) that writes the change, its stock
movements, the running totals, the customer messages and the audit event together.
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, NamedTuple

from peewee import JOIN, Case, IntegrityError, fn

from app import backups, eta, mail_settings, purchasing, shop_settings
from app import staff as accounts
from app.backups import Backup, Progress, Restored
from app.barcodes import normalize_barcode, parse_scan, split_multiplier
from app.clock import Clock, to_local, utcnow
from app.errors import (
    NotAllowed,
    NotFound,
    ShortageDecisionNeeded,
    StoreError,
    UnknownCode,
    UserError,
)
from app.fast_sql import insert_row, insert_rows, run_cached
from app.importing.rows import (
    ImportResult,
    ImportRow,
    RefusedRow,
    check_row,
    sku_could_exist,
)
from app.mail_settings import MailSettings
from app.messaging import MessageLine, Outgoing, queue_message, queue_messages
from app.models import (
    ZERO,
    AuditEvent,
    Barcode,
    BaseModel,
    Customer,
    CustomerMessage,
    Order,
    OrderLine,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReceiptLine,
    Staff,
    StockMovement,
    Supplier,
)
from app.shop_settings import ShopTexts
from app.store import Store
from app.validation import (
    MAX_QTY,
    clean_notes,
    clean_text,
    fold,
    parse_email,
    parse_phone,
    parse_priority,
    parse_quantity,
    search_key,
    shown,
    storable,
)

#: How a customer can be told a message without e-mail (``Controller.mark_message_told``).
TOLD_VIA = ("phone", "in person", "printed")


class Decision(StrEnum):
    """What the customer chose for a line short of stock."""

    WAIT = "wait"
    CANCEL = "cancel"


class LineStatus(StrEnum):
    """Where an order line stands, derived from its quantities."""

    READY = "ready"  # every unit not shipped or cancelled is reserved
    WAITING = "waiting"  # some units are on the backorder list
    SHIPPED = "shipped"  # everything not cancelled has gone out
    CANCELLED = "cancelled"  # every unit was cancelled


def line_status(
    *, reserved: int, shipped: int, waiting: int, cancelled: int, ordered: int
) -> LineStatus:
    """The status of a line from its quantities (one definition, used everywhere)."""
    if waiting > 0:
        return LineStatus.WAITING
    if cancelled == ordered:
        return LineStatus.CANCELLED
    if reserved > 0:
        return LineStatus.READY
    return LineStatus.SHIPPED


@dataclass(frozen=True)
class OrderItem:
    """A product and a quantity: one line of an order or a receipt being entered."""

    product_id: int
    qty: int


@dataclass(frozen=True)
class Shortage:
    """A line that cannot be served in full from available stock."""

    product_id: int
    sku: str
    name: str
    asked: int
    available: int
    short_by: int
    eta: date | None
    #: When no purchase order covers the line: today + the supplier's usual lead time.
    estimate: date | None = None
    lead_time_days: int | None = None

    @property
    def estimated(self) -> bool:
        """True when the only date is the lead-time estimate (no delivery is booked)."""
        return self.eta is None and self.estimate is not None

    def when(self) -> str:
        """The date as a table shows it, an estimate marked as one."""
        if self.eta:
            return f"around {self.eta:%d %b %Y}"
        if self.estimate:
            return (
                f"about {self.estimate:%d %b %Y} (estimate: supplier lead time "
                f"{self.lead_time_days} days)"
            )
        return "no date yet"

    def sentence(self) -> str:
        """What the clerk can read to the customer."""
        if self.eta:
            later = f"expected around {self.eta:%d %b}"
        elif self.estimate:
            later = (
                f"probably here around {self.estimate:%d %b} — no delivery is booked yet "
                f"(the supplier usually takes {self.lead_time_days} days)"
            )
        else:
            later = "not dated yet (no delivery is booked)"
        if self.available == 0:
            return f"None of the {self.asked} are in stock today; they are {later}."
        other = "the other one is" if self.short_by == 1 else f"the other {self.short_by} are"
        return f"{self.available} can go with you today; {other} {later}."

    def as_dict(self) -> dict[str, Any]:
        return {
            "product_id": self.product_id,
            "sku": self.sku,
            "name": self.name,
            "asked": self.asked,
            "available": self.available,
            "short_by": self.short_by,
            "eta": self.eta.isoformat() if self.eta else None,
            "eta_estimate": self.estimate.isoformat() if self.estimated and self.estimate else None,
        }


@dataclass(frozen=True)
class PlacedLine:
    """A line as it stands right after the order was placed."""

    line_id: int
    product_id: int
    sku: str
    ordered: int
    reserved: int
    waiting: int
    cancelled: int

    @property
    def status(self) -> LineStatus:
        return line_status(
            reserved=self.reserved,
            shipped=0,
            waiting=self.waiting,
            cancelled=self.cancelled,
            ordered=self.ordered,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "line_id": self.line_id,
            "sku": self.sku,
            "ordered": self.ordered,
            "reserved": self.reserved,
            "waiting": self.waiting,
            "cancelled": self.cancelled,
            "status": str(self.status),
        }


@dataclass(frozen=True)
class PlacedOrder:
    """The result of placing an order."""

    order_id: int
    customer_id: int
    lines: list[PlacedLine]

    def as_dict(self) -> dict[str, Any]:
        return {"order_id": self.order_id, "lines": [line.as_dict() for line in self.lines]}


@dataclass(frozen=True)
class FilledLine:
    """A waiting line that just received units.

    ``qty`` is what it received now; ``ready_qty`` is everything now reserved for it (what
    to pick); ``placed_at`` tells how long the customer waited.
    """

    line_id: int
    order_id: int
    customer_id: int
    customer: str
    product_id: int
    sku: str
    name: str
    qty: int
    ready_qty: int
    still_waiting: int
    placed_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "line_id": self.line_id,
            "order_id": self.order_id,
            "customer": self.customer,
            "sku": self.sku,
            "qty": self.qty,
            "ready_qty": self.ready_qty,
            "still_waiting": self.still_waiting,
        }


@dataclass
class Allocation:
    """What an increase of stock did to the queues.

    Attributes:
        fulfilled: lines whose every remaining unit is now reserved (ready to ship).
        partial: lines that received some units and still wait for more.
        left_in_stock: sku -> units available after the queues were served, for every
            product whose stock went up.
        completed_orders: orders that now have nothing waiting (all lines ready/shipped).
    """

    fulfilled: list[FilledLine] = field(default_factory=list)
    partial: list[FilledLine] = field(default_factory=list)
    left_in_stock: dict[str, int] = field(default_factory=dict)
    completed_orders: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "fulfilled": [line.as_dict() for line in self.fulfilled],
            "partial": [line.as_dict() for line in self.partial],
            "left_in_stock": dict(self.left_in_stock),
            "completed_orders": list(self.completed_orders),
        }


@dataclass
class ReceiptResult(Allocation):
    """A committed receipt and what it did to the queues."""

    receipt_id: int = 0
    purchase_order_closed: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "receipt_id": self.receipt_id,
            **super().as_dict(),
            "purchase_order_closed": self.purchase_order_closed,
        }


@dataclass(frozen=True)
class ShippedLine:
    """Units that left the shop for one line."""

    line_id: int
    sku: str
    qty: int


@dataclass(frozen=True)
class DraftSummary:
    """A receipt being scanned in, neither committed nor discarded (to offer it back)."""

    receipt_id: int
    created_at: datetime
    staff: str
    purchase_order_id: int | None
    lines: int  # distinct products
    units: int


@dataclass(frozen=True)
class ScanOutcome:
    """What one scan, added count or undo did to a draft receipt.

    ``added`` is the units this scan added (for an undo: the units removed); ``total`` the
    units of the product in the draft now; ``expected`` the purchase order's outstanding
    units of the product (0 when it is not on the PO), ``None`` for a draft without a PO.
    """

    product_id: int
    sku: str
    name: str
    added: int
    total: int
    expected: int | None


@dataclass(frozen=True)
class TallyRow:
    """One product of a draft receipt: units scanned against units expected."""

    product_id: int
    sku: str
    name: str
    scanned: int
    expected: int | None

    @property
    def difference(self) -> int | None:
        """Scanned minus expected: above 0 is over, below 0 is under; ``None`` without PO."""
        return None if self.expected is None else self.scanned - self.expected


class Controller:
    """Business operations on an open store, done as one staff member.

    Attributes:
        store: the open store.
        staff_id: who is acting; written into every audit event and decision.
        role: the acting staff member's role, read once (``app.staff.ROLES``); every
            write checks it first (``_require``).
    """

    def __init__(self, store: Store, *, staff_id: int | None = None, clock: Clock = utcnow) -> None:
        self.store = store
        self.clock = clock
        self.staff_id = staff_id if staff_id is not None else self._default_staff()
        self.role = self._role_of(self.staff_id)

    # ------------------------------------------------------------ permissions

    def can(self, action: str) -> bool:
        """Whether the acting staff member's role may do ``action`` (a key of
        ``app.staff.PERMISSIONS``), so a window can grey out what would be refused."""
        return accounts.allowed(self.role, action)

    def may_cancel_line(self, line_id: int) -> bool:
        """Whether the acting staff member may cancel this line: a clerk only the lines of
        orders they placed, a manager any."""
        if self.can("cancel_any_line"):
            return True
        if not self.can("cancel_line"):
            return False
        placed_by = (
            Order.select(Order.staff).join(OrderLine).where(OrderLine.id == line_id).scalar()
        )
        return placed_by == self.staff_id

    def require(self, action: str) -> None:
        """Refuse ``action`` unless the acting role may do it; for writes made outside the
        controller (the shop's texts, the mail server: ``settings``).

        Raises:
            NotAllowed: the message names the role needed.
        """
        self._require(action)

    def _require(self, action: str) -> None:
        if not accounts.allowed(self.role, action):
            raise NotAllowed(accounts.refusal(action), action=action)

    @staticmethod
    def _role_of(staff_id: int) -> str:
        row = Staff.get_or_none(Staff.id == staff_id)
        if row is None:
            raise NotFound(f"There is no staff account {staff_id}.", field="staff")
        if not row.active:
            raise UserError(
                f"{row.name}'s account is disabled; sign in with an active account.",
                field="staff",
            )
        return str(row.role)

    # ----------------------------------------------------------------- look-ups

    def _default_staff(self) -> int:
        staff = (
            Staff.select(Staff.id)
            .where(Staff.active == True, Staff.role == "manager")  # noqa: E712
            .order_by(Staff.id)
            .first()
        )
        if staff is None:
            raise UserError("This store has no active manager account; ask a manager to sign in.")
        return int(staff.id)

    def find_product(self, code: str) -> Product:
        """The product with this SKU or barcode (GTIN check digit validated).

        Raises:
            NotFound: no product has it.
            UserError: it looks like a GTIN but its check digit is wrong.
        """
        text = code.strip()
        if not text:
            raise UserError("No product given: type a SKU or scan a barcode.", field="sku")
        # No SKU holds a control character or a lone surrogate (and the database would
        # refuse one): such text can only be a scan, which parse_scan judges.
        by_sku = Product.get_or_none(Product.sku == text) if storable(text) else None
        if by_sku is not None:
            return by_sku
        scan = parse_scan(text)
        product = Product.select().join(Barcode).where(Barcode.code == scan.code).first()
        if product is None:
            raise NotFound(
                f"No product has the SKU or barcode {shown(text)}. Check the code, or add the "
                "product first.",
                field="sku",
            )
        return product

    def find_customer(self, name_or_id: str) -> Customer:
        """A customer by id, exact e-mail, or exact (case-insensitive) name.

        Raises:
            NotFound / UserError: none, or a name that several customers share.
        """
        text = name_or_id.strip()
        # isdecimal, not isdigit: int() refuses "²"; and no id has 16 digits.
        if text.isdecimal() and len(text) < 16:
            found = Customer.get_or_none(Customer.id == int(text))
            if found is not None:
                return found
        # Folded the database's way on both sides (an e-mail keeps the case of the part
        # before the @), and compared as stored: single spaces, no control characters.
        key = search_key(text)
        matches = (
            list(
                Customer.select()
                .where((fn.LOWER(Customer.name) == key) | (fn.LOWER(Customer.email) == key))
                .limit(2)
            )
            if key and storable(text)
            else []
        )
        if not matches:
            raise NotFound(
                f"No customer is called {shown(text)}. Add them first (customer add --name ...).",
                field="customer",
            )
        if len(matches) > 1:
            raise UserError(
                f"More than one customer is called {shown(text)}: use their id or e-mail.",
                field="customer",
            )
        return matches[0]

    # ------------------------------------------------------------ master data

    def add_product(
        self,
        *,
        sku: str,
        name: str,
        price_cents: int = 0,
        reorder_point: int = 0,
        barcodes: Sequence[str] = (),
        supplier_id: int | None = None,
    ) -> Product:
        """Add a product; SKU and barcodes must be new."""
        self._require("add_product")
        sku = clean_text(sku, what="SKU", max_length=64)
        if any(ch.isspace() for ch in sku):
            raise UserError(
                f"SKU {sku!r} contains spaces; use letters, digits and dashes.", field="sku"
            )
        name = clean_text(name, what="Name", max_length=200)
        if price_cents < 0:
            raise UserError("Price must be 0 or more.", field="price")
        if not 0 <= reorder_point <= MAX_QTY:
            raise UserError(
                f"Reorder point {reorder_point} is out of range (0 to {MAX_QTY:,}).",
                field="reorder_point",
            )
        codes = [normalize_barcode(code) for code in barcodes]
        if len({code.key for code in codes}) != len(codes):
            raise UserError("The same barcode is given twice.", field="barcode")

        def work() -> Product:
            if Product.select().where(Product.sku == sku).exists():
                raise UserError(f"SKU {sku!r} is already used by another product.", field="sku")
            for code in codes:
                self._check_barcode_free(code.key, code.display)
            now = self.clock()
            product = Product.create(
                sku=sku,
                name=name,
                price_cents=price_cents,
                reorder_point=reorder_point,
                supplier=supplier_id,
                created_at=now,
            )
            for code in codes:
                Barcode.create(product=product, code=code.key, display=code.display)
            self._audit(
                "product.add",
                "product",
                product.id,
                sku=sku,
                name=name,
                barcodes=[c.display for c in codes],
            )
            return product

        return self._write(work)

    def update_product(
        self,
        product_id: int,
        *,
        name: str | None = None,
        price_cents: int | None = None,
        reorder_point: int | None = None,
        supplier_id: int | None = None,
    ) -> Product:
        """Change a product's name, price, reorder point or supplier."""
        self._require("update_product")
        changes: dict[str, Any] = {}
        if name is not None:
            changes["name"] = clean_text(name, what="Name", max_length=200)
        if price_cents is not None:
            if price_cents < 0:
                raise UserError("Price must be 0 or more.", field="price")
            changes["price_cents"] = price_cents
        if reorder_point is not None:
            if not 0 <= reorder_point <= MAX_QTY:
                raise UserError("Reorder point is out of range.", field="reorder_point")
            changes["reorder_point"] = reorder_point
        if supplier_id is not None:
            changes["supplier"] = supplier_id

        def work() -> Product:
            product = self._product(product_id)
            if changes:
                Product.update(**changes).where(Product.id == product_id).execute()
                self._audit(
                    "product.update",
                    "product",
                    product_id,
                    **{k: v for k, v in changes.items() if k != "supplier"},
                )
            return self._product(product.id)

        return self._write(work)

    def add_barcode(self, product_id: int, code: str) -> Barcode:
        """Link one more barcode to a product (e.g. an unknown code met while receiving)."""
        self._require("add_barcode")
        gtin = normalize_barcode(code)

        def work() -> Barcode:
            self._product(product_id)
            self._check_barcode_free(gtin.key, gtin.display)
            barcode = Barcode.create(product=product_id, code=gtin.key, display=gtin.display)
            self._audit("product.barcode", "product", product_id, barcode=gtin.display)
            return barcode

        return self._write(work)

    def _check_barcode_free(self, key: str, display: str) -> None:
        owner = Product.select(Product.sku).join(Barcode).where(Barcode.code == key).first()
        if owner is not None:
            raise UserError(
                f"Barcode {display} already belongs to product {owner.sku}.", field="barcode"
            )

    def add_customer(
        self, *, name: str, email: str | None = None, phone: str | None = None, notes: str = ""
    ) -> Customer:
        """Add a customer; an e-mail address, when given, must be valid and new."""
        self._require("add_customer")
        name = clean_text(name, what="Name", max_length=200)
        clean_email = parse_email(email)
        clean_phone = parse_phone(phone)
        notes = clean_notes(notes)

        def work() -> Customer:
            if clean_email and Customer.select().where(Customer.email == clean_email).exists():
                raise UserError(
                    f"A customer with e-mail {clean_email} already exists.", field="email"
                )
            customer = Customer.create(
                name=name,
                email=clean_email,
                phone=clean_phone,
                notes=notes,
                created_at=self.clock(),
            )
            self._audit("customer.add", "customer", customer.id, name=name)
            return customer

        return self._write(work)

    def update_customer(
        self, customer_id: int, *, name: str, email: str | None, phone: str | None, notes: str = ""
    ) -> Customer:
        """Change a customer's contact details."""
        self._require("update_customer")
        clean_name = clean_text(name, what="Name", max_length=200)
        clean_email = parse_email(email)
        clean_phone = parse_phone(phone)
        notes = clean_notes(notes)

        def work() -> Customer:
            self._customer(customer_id)
            if clean_email and (
                Customer.select()
                .where(Customer.email == clean_email, Customer.id != customer_id)
                .exists()
            ):
                raise UserError(
                    f"Another customer already has e-mail {clean_email}.", field="email"
                )
            Customer.update(
                name=clean_name, email=clean_email, phone=clean_phone, notes=notes
            ).where(Customer.id == customer_id).execute()
            self._audit("customer.update", "customer", customer_id, name=clean_name)
            return self._customer(customer_id)

        return self._write(work)

    def supplier_named(self, name: str, *, lead_time_days: int | None = None) -> Supplier:
        """The supplier with this name, created if new."""
        self._require("supplier_named")
        clean = clean_text(name, what="Supplier", max_length=200)

        def work() -> Supplier:
            supplier = Supplier.get_or_none(fn.LOWER(Supplier.name) == fold(clean))
            if supplier is None:
                supplier = Supplier.create(name=clean, lead_time_days=lead_time_days)
                self._audit("supplier.add", "supplier", supplier.id, name=clean)
            return supplier

        return self._write(work)

    # ------------------------------------------------------------------ orders

    def preview_order(self, items: Sequence[OrderItem], *, priority: int = 0) -> list[Shortage]:
        """The shortages placing these lines now would meet; writes nothing."""
        self._require("preview_order")
        merged = _merge(items)
        products = self._stock(list(merged))
        return self._shortages(merged, products, priority)

    def place_order(
        self,
        customer_id: int,
        items: Sequence[OrderItem],
        *,
        decisions: Mapping[int, Decision] | None = None,
        priority: int = 0,
        note: str = "",
        seen: Sequence[Shortage] | None = None,
    ) -> PlacedOrder:
        """Place an order in one transaction.

        Lines for the same product are merged. A line with enough available stock is
        reserved. A short line needs a decision in ``decisions`` (by product id): ``wait``
        reserves what is available and queues the rest; ``cancel`` cancels the line.

        ``seen`` is what the customer was told (the shortages shown in the prompt): if
        stock has gone down since (less available for a line, or a line newly short), the
        order is refused again with the new situation, so nobody is promised units that
        are gone. If stock went up, the order goes ahead: more goes with the customer today.

        Raises:
            ShortageDecisionNeeded: a short line has no decision, or the shortages differ
                from ``seen``; nothing was written. Its ``shortages`` reflect the stock at
                this moment.
        """
        self._require("place_order")
        note = clean_notes(note, what="Note")
        if not items:
            raise UserError("The order has no lines: add at least one product.", field="lines")
        merged = _merge(items)
        try:
            chosen = {pid: Decision(d) for pid, d in (decisions or {}).items()}
        except ValueError:
            raise UserError(
                "A decision for a short line must be 'wait' or 'cancel'.", field="decision"
            ) from None
        priority = parse_priority(priority)

        def work() -> PlacedOrder:
            customer_id_, customer_name = self._customer_name(customer_id)
            self.store.lock_products(merged)
            products = self._stock(list(merged))
            # ETAs cost queries, so they are worked out only where they are told: in a
            # prompt, and for the lines that wait.
            shortages = self._shortages(merged, products, priority, dated=False)
            # A change since the customer was told comes first: the whole new situation
            # is offered again, not just the lines that happen to lack a decision now.
            if seen is not None and _got_worse(seen, shortages):
                raise ShortageDecisionNeeded(self._prompted(shortages, priority), changed=True)
            undecided = [s for s in shortages if s.product_id not in chosen]
            if undecided:
                raise ShortageDecisionNeeded(self._prompted(undecided, priority))
            waits = [s for s in shortages if chosen[s.product_id] is Decision.WAIT]
            short_by = {s.product_id: s for s in shortages}
            waiting_now = {s.product_id: products[s.product_id].waiting for s in waits}
            short_by.update((s.product_id, s) for s in _dated(waits, priority, waiting_now))
            now = self.clock()
            # insert_row rather than create(): no model instance is needed, and this is
            # the busiest write of the day.
            order_id = insert_row(
                Order,
                customer=customer_id_,
                placed_at=now,
                priority=priority,
                staff=self.staff_id,
                note=note,
            )
            placed: list[PlacedLine] = []
            waiting_lines: list[MessageLine] = []
            totals: dict[int, dict[str, int]] = {}
            for product_id, qty in merged.items():
                product = products[product_id]
                shortage = short_by.get(product_id)
                reserved, waiting, cancelled, decision = qty, 0, 0, None
                if shortage is not None:
                    decision = chosen[product_id]
                    if decision is Decision.WAIT:
                        reserved, waiting = shortage.available, shortage.short_by
                    else:
                        reserved, cancelled = 0, qty
                line_id = insert_row(
                    OrderLine,
                    order=order_id,
                    product=product_id,
                    unit_price_cents=product.price_cents,
                    qty_ordered=qty,
                    qty_reserved=reserved,
                    qty_waiting=waiting,
                    qty_cancelled=cancelled,
                    priority=priority,
                    queued_at=now,
                    qty_reserved_at_order=reserved,
                    qty_lost=cancelled,  # cancelled at the counter: lost to the shortage
                    decision=str(decision) if decision else None,
                    decided_by=self.staff_id if decision else None,
                    decided_at=now if decision else None,
                    eta_notified=shortage.eta if shortage and waiting else None,
                )
                if reserved or waiting:
                    totals[product_id] = {"reserved": reserved, "waiting": waiting}
                placed.append(
                    PlacedLine(
                        line_id=line_id,
                        product_id=product_id,
                        sku=product.sku,
                        ordered=qty,
                        reserved=reserved,
                        waiting=waiting,
                        cancelled=cancelled,
                    )
                )
                if waiting:
                    waiting_lines.append(
                        MessageLine(
                            order_id=order_id,
                            line_id=line_id,
                            sku=product.sku,
                            name=product.name,
                            qty=waiting,
                            eta=shortage.eta if shortage else None,
                        )
                    )
            _add_per_id(Product, totals)
            if waiting_lines:
                queue_message(
                    customer_id=customer_id_,
                    customer_name=customer_name,
                    event="backorder_confirmed",
                    lines=waiting_lines,
                    now=now,
                )
                if priority > 0:
                    # Served before lower-priority lines: their customers may hear later
                    # dates. Priority 0, the everyday order, overtakes no one told a date.
                    self._retell_etas([p for p, t in totals.items() if t["waiting"]], now=now)
            self._audit(
                "order.place",
                "order",
                order_id,
                customer=customer_id_,
                lines=[line.as_dict() for line in placed],
                decisions={
                    products[pid].sku: str(d) for pid, d in chosen.items() if pid in short_by
                },
            )
            return PlacedOrder(order_id=order_id, customer_id=customer_id_, lines=placed)

        return self._write(work)

    def _shortages(
        self,
        merged: Mapping[int, int],
        products: Mapping[int, _StockRow],
        priority: int,
        *,
        dated: bool = True,
    ) -> list[Shortage]:
        """The lines short of available stock; ``dated=False`` leaves their ETAs out."""
        result = []
        for product_id, qty in merged.items():
            product = products[product_id]
            available = max(product.on_hand - product.reserved, 0)
            if qty > available:
                short = qty - available
                result.append(
                    Shortage(
                        product_id=product_id,
                        sku=product.sku,
                        name=product.name,
                        asked=qty,
                        available=available,
                        short_by=short,
                        eta=None,
                    )
                )
        return self._prompted(result, priority) if dated else result

    def _prompted(self, shortages: Sequence[Shortage], priority: int) -> list[Shortage]:
        """The shortages as the prompt shows them: queue-aware ETAs and, where no delivery
        is booked, the supplier's lead-time estimate (marked as such; never stored)."""
        dated = _dated(shortages, priority)
        undated = [s.product_id for s in dated if s.eta is None]
        if not undated:
            return dated
        estimates = eta.lead_time_estimates(undated, to_local(self.clock()).date())
        return [
            replace(s, estimate=when, lead_time_days=days)
            if s.eta is None and s.product_id in estimates
            else s
            for s in dated
            for when, days in [estimates.get(s.product_id, (None, None))]
        ]

    def ship_order(self, order_id: int) -> list[ShippedLine]:
        """Ship every reserved unit of the order: the ready lines, and the part of
        waiting lines that was in stock (the customer takes what is here)."""
        self._require("ship_order")

        def work() -> list[ShippedLine]:
            order = self._order(order_id)
            # Lock first, then read: a concurrent cancel or allocation cannot slip between.
            self.store.lock_products(
                pid
                for (pid,) in OrderLine.select(OrderLine.product)
                .where(OrderLine.order == order.id)
                .tuples()
            )
            lines = list(
                OrderLine.select(OrderLine, Product.id, Product.sku)
                .join(Product)
                .where(OrderLine.order == order.id, OrderLine.qty_reserved > ZERO)
                .order_by(OrderLine.id)
            )
            if not lines:
                raise UserError(
                    f"Order {order_id} has nothing ready to ship (no reserved units).",
                    field="order",
                )
            now = self.clock()
            shipped = []
            for line in lines:
                qty = line.qty_reserved
                _add_per_id(OrderLine, {line.id: {"qty_reserved": -qty, "qty_shipped": qty}})
                _add_per_id(Product, {line.product_id: {"on_hand": -qty, "reserved": -qty}})
                insert_row(
                    StockMovement,
                    product=line.product_id,
                    qty=-qty,
                    kind="shipment",
                    reason=f"order {order_id}",
                    order_line=line.id,
                    staff=self.staff_id,
                    created_at=now,
                )
                shipped.append(ShippedLine(line_id=line.id, sku=line.product.sku, qty=qty))
            self._audit("order.ship", "order", order_id, lines={s.line_id: s.qty for s in shipped})
            return shipped

        return self._write(work)

    # ------------------------------------------------------------- backorders

    def cancel_line(self, line_id: int, *, reason: str = "") -> Allocation:
        """Cancel what is left of a line (its waiting and reserved units).

        What it held goes at once to the next lines in the queue; the result says who got
        it. The customer is told (one "cancelled" message).
        """
        self._require("cancel_line")
        reason = clean_text(reason, what="Reason", max_length=500, required=False)

        def work() -> Allocation:
            line = self._line(line_id)
            if not self.can("cancel_any_line"):
                placed_by = Order.select(Order.staff).where(Order.id == line.order_id).scalar()
                if placed_by != self.staff_id:
                    self._require("cancel_any_line")
            self.store.lock_products([line.product_id])
            line = self._line(line_id)  # re-read under the lock
            if line.qty_waiting == 0 and line.qty_reserved == 0:
                raise UserError(
                    f"Line {line_id} has nothing left to cancel (it is {self._status(line)}).",
                    field="line",
                )
            waiting, reserved = line.qty_waiting, line.qty_reserved
            now = self.clock()
            OrderLine.update(
                qty_waiting=0,
                qty_reserved=0,
                qty_cancelled=OrderLine.qty_cancelled + waiting + reserved,
                cancel_reason=reason or None,
                # Released stock goes to the next in line; only the waiting units are lost.
                qty_lost=OrderLine.qty_lost + waiting,
            ).where(OrderLine.id == line.id).execute()
            Product.update(
                waiting=Product.waiting - waiting, reserved=Product.reserved - reserved
            ).where(Product.id == line.product_id).execute()
            order = line.order
            product = line.product
            queue_message(
                customer_id=order.customer_id,
                customer_name=order.customer.name,
                event="cancelled",
                now=now,
                reason=reason,
                lines=[
                    MessageLine(
                        order_id=order.id,
                        line_id=line.id,
                        sku=product.sku,
                        name=product.name,
                        qty=waiting + reserved,
                    )
                ],
            )
            self._audit(
                "line.cancel",
                "order_line",
                line.id,
                order=order.id,
                waiting=waiting,
                released=reserved,
                reason=reason,
            )
            allocation = self._allocate([line.product_id], now=now)
            self._retell_etas([line.product_id], now=now)
            return allocation

        return self._write(work)

    def preview_cancel(self, line_ids: Sequence[int]) -> list[Allocation]:
        """What cancelling these lines, one after another, would hand to whom; writes nothing.

        The cancellations run for real in a transaction that is then rolled back, so the
        preview follows the very rules ``cancel_line`` follows. One ``Allocation`` per line.
        """
        results: list[Allocation] = []
        try:
            with self.store.write():
                results.extend(self.cancel_line(line_id) for line_id in line_ids)
                raise _DryRun
        except _DryRun:
            pass
        return results

    def set_priority(self, line_id: int, priority: int) -> None:
        """Move a waiting line up (higher) or down (lower) the queue; audited."""
        self._require("set_priority")
        new = parse_priority(priority)

        def work() -> None:
            line = self._line(line_id)
            self.store.lock_products([line.product_id])
            line = self._line(line_id)  # re-read under the lock
            if line.qty_waiting == 0:
                raise UserError(
                    f"Line {line_id} is not waiting (it is {self._status(line)}); "
                    "only waiting lines have a place in the queue.",
                    field="line",
                )
            OrderLine.update(priority=new).where(OrderLine.id == line_id).execute()
            self._audit("line.priority", "order_line", line_id, old=line.priority, new=new)
            # Lines overtaken now come later: their customers are told.
            self._retell_etas([line.product_id], now=self.clock())

        self._write(work)

    # ------------------------------------------------------- stock coming in

    def receive(
        self,
        items: Sequence[OrderItem],
        *,
        purchase_order_id: int | None = None,
        note: str = "",
        draft_id: int | None = None,
    ) -> ReceiptResult:
        """Take goods into stock and serve the queues, in one transaction.

        Against a purchase order, its received quantities go up and it closes when every
        line is received in full. ``draft_id`` commits a draft receipt (its lines are
        replaced by ``items``).
        """
        self._require("receive")
        note = clean_notes(note, what="Note")
        merged = _merge(items)
        if not merged:
            raise UserError("Nothing to receive: scan or add at least one product.", field="lines")

        def work() -> ReceiptResult:
            now = self.clock()
            self.store.lock_products(merged)
            products = self._products(list(merged))
            po = self._open_po(purchase_order_id) if purchase_order_id is not None else None
            if draft_id is not None:
                receipt = Receipt.get_or_none(Receipt.id == draft_id, Receipt.status == "draft")
                if receipt is None:
                    raise UserError(f"Draft receipt {draft_id} is not open any more.")
                ReceiptLine.delete().where(ReceiptLine.receipt == receipt.id).execute()
                Receipt.update(
                    status="committed",
                    committed_at=now,
                    purchase_order=po.id if po else None,
                    note=note or receipt.note,
                ).where(Receipt.id == receipt.id).execute()
            else:
                receipt = Receipt.create(
                    created_at=now,
                    committed_at=now,
                    status="committed",
                    staff=self.staff_id,
                    purchase_order=po.id if po else None,
                    note=note,
                )
            insert_rows(
                ReceiptLine,
                [
                    {"receipt": receipt.id, "product": pid, "qty": qty}
                    for pid, qty in merged.items()
                ],
            )
            insert_rows(
                StockMovement,
                [
                    {
                        "product": pid,
                        "qty": qty,
                        "kind": "receipt",
                        "reason": f"receipt {receipt.id}",
                        "receipt": receipt.id,
                        "staff": self.staff_id,
                        "created_at": now,
                    }
                    for pid, qty in merged.items()
                ],
            )
            _add_per_id(Product, {pid: {"on_hand": qty} for pid, qty in merged.items()})
            closed = self._apply_to_po(po, merged) if po is not None else False
            allocation = self._allocate(list(merged), now=now)
            if po is not None and not closed:
                # What is still to come on this PO keeps its date; retelling keeps the
                # dates told in step with the queue (a receipt itself only brings them
                # forward, so this is cheap and usually tells no one).
                self._retell_etas(merged, now=now)
            self._audit(
                "receipt.commit",
                "receipt",
                receipt.id,
                purchase_order=po.id if po else None,
                lines={products[pid].sku: qty for pid, qty in merged.items()},
                fulfilled=[f.line_id for f in allocation.fulfilled],
            )
            return ReceiptResult(
                fulfilled=allocation.fulfilled,
                partial=allocation.partial,
                left_in_stock=allocation.left_in_stock,
                completed_orders=allocation.completed_orders,
                receipt_id=receipt.id,
                purchase_order_closed=closed,
            )

        return self._write(work)

    def _open_po(self, po_id: int) -> PurchaseOrder:
        if not self.store.is_sqlite:
            # Locked until the transaction ends (after the products, as everywhere): two
            # stations receiving the last lines of one PO at once must each see the other's
            # units, or neither closes it.
            list(
                PurchaseOrder.select(PurchaseOrder.id).where(PurchaseOrder.id == po_id).for_update()
            )
        po = self._purchase_order(po_id)
        if po.status == "draft":
            raise UserError(
                f"Purchase order {po_id} is a draft (not yet sent to the supplier): confirm "
                "it first, or receive without it.",
                field="po",
            )
        if po.status != "open":
            raise UserError(
                f"Purchase order {po_id} is {po.status}; receive without it.", field="po"
            )
        return po

    def _apply_to_po(self, po: PurchaseOrder, merged: Mapping[int, int]) -> bool:
        lines = list(
            PurchaseOrderLine.select()
            .where(PurchaseOrderLine.purchase_order == po.id)
            .order_by(PurchaseOrderLine.id)
        )
        left = dict(merged)
        by_product: dict[int, list[PurchaseOrderLine]] = defaultdict(list)
        for line in lines:
            by_product[line.product_id].append(line)
        for pid, po_lines in by_product.items():
            for index, line in enumerate(po_lines):
                units = left.get(pid, 0)
                if not units:
                    break
                outstanding = max(line.qty_ordered - line.qty_received, 0)
                # Over-delivery is booked on the product's last line of the PO.
                take = units if index == len(po_lines) - 1 else min(units, outstanding)
                if take:
                    PurchaseOrderLine.update(
                        qty_received=PurchaseOrderLine.qty_received + take
                    ).where(PurchaseOrderLine.id == line.id).execute()
                    line.qty_received += take
                    left[pid] = units - take
        complete = all(line.qty_received >= line.qty_ordered for line in lines)
        if complete:
            PurchaseOrder.update(status="closed").where(PurchaseOrder.id == po.id).execute()
        return complete

    def adjust_stock(self, product_id: int, delta: int, *, reason: str) -> Allocation:
        """Correct the stock count; an increase serves the queue like a receipt.

        Raises:
            UserError: no reason, or a decrease that would leave less than is reserved.
        """
        self._require("adjust_stock")
        delta = parse_quantity(delta, what="Adjustment", allow_negative=True)
        reason = clean_text(reason, what="Reason", max_length=500)

        def work() -> Allocation:
            self.store.lock_products([product_id])
            product = self._product(product_id)
            if product.on_hand + delta < product.reserved:
                free = product.on_hand - product.reserved
                raise UserError(
                    f"Cannot take {-delta} off {product.sku}: only {free} of its "
                    f"{product.on_hand} on hand are not reserved for orders. Ship or cancel "
                    "those lines first, or count again.",
                    field="delta",
                )
            now = self.clock()
            StockMovement.create(
                product=product_id,
                qty=delta,
                kind="adjustment",
                reason=reason,
                staff=self.staff_id,
                created_at=now,
            )
            Product.update(on_hand=Product.on_hand + delta).where(
                Product.id == product_id
            ).execute()
            self._audit("stock.adjust", "product", product_id, delta=delta, reason=reason)
            if delta > 0:
                return self._allocate([product_id], now=now)
            return Allocation(
                left_in_stock={product.sku: product.on_hand + delta - product.reserved}
            )

        return self._write(work)

    # -------------------------------------------------------------- importing

    def import_products(
        self,
        rows: Sequence[ImportRow],
        *,
        source: str,
        dry_run: bool = False,
        progress: Callable[[int, int], None] | None = None,
    ) -> ImportResult:
        """Bring products and stock counts in from a file's rows (``app.importing``).

        Every good row is written in one transaction; a row with a problem of its own, a
        SKU on two rows, a barcode on two products, a barcode another product has, a new
        product without a name, or a count below what is reserved for orders, is refused
        and reported. A SKU the store has is updated: name and price when the file gives
        them, new barcodes linked, and the stock set to the file's count by an ``import``
        movement, so importing the same file again changes nothing. An increase serves
        the product's queue like a receipt. ``dry_run`` does the very same work in a
        transaction that is rolled back, so it reports the same counts. Audited: one
        event per product changed and one for the import.
        """
        # It adds products and sets stock counts without goods moving.
        self._require("add_product")
        self._require("adjust_stock")
        source = clean_text(source, what="File name", max_length=200)
        tell = progress or (lambda _done, _total: None)

        def work() -> ImportResult:
            return self._import_rows(rows, source, dry_run=dry_run, tell=tell)

        if not dry_run:
            return self._write(work)
        found: list[ImportResult] = []
        try:
            with self.store.write():
                found.append(work())
                raise _DryRun
        except _DryRun:
            pass
        return found[0]

    def _import_rows(
        self,
        rows: Sequence[ImportRow],
        source: str,
        *,
        dry_run: bool,
        tell: Callable[[int, int], None],
    ) -> ImportResult:
        now = self.clock()
        problems = [list(row.problems) + check_row(row) for row in rows]
        codes = [_import_codes(row) for row in rows]
        # Two rows for one SKU (or one barcode on two SKUs): which is right cannot be
        # known, so all of them are refused.
        rows_of: dict[str, list[int]] = defaultdict(list)
        for index, row in enumerate(rows):
            if row.sku:
                rows_of[row.sku].append(index)
        for sku, indexes in rows_of.items():
            for index in indexes if len(indexes) > 1 else ():
                lines = ", ".join(str(rows[i].line) for i in indexes if i != index)
                problems[index].append(f"SKU {sku} is also on line {lines} - keep one row per SKU")
        per_code: list[tuple[int, str, str, str]] = [
            (index, code.key, code.display, row.sku)
            for index, row in enumerate(rows)
            for code in codes[index]
        ]
        shared = _shared_codes(per_code)
        for index, key, display, _sku in per_code:
            lines = ", ".join(str(rows[i].line) for i in shared.get(key, ()) if i != index)
            if lines:
                problems[index].append(
                    f"barcode {display} is also on line {lines} - a barcode belongs to one "
                    "product; correct the file"
                )
        tell(10, 100)
        # Only SKUs a product could have are looked up: a refused one may hold a NUL,
        # which PostgreSQL will not even take as a query parameter.
        known = self._import_known(
            sorted({row.sku for row in rows if row.sku and sku_could_exist(row.sku)})
        )
        owners = self._barcode_owners(sorted({key for _i, key, _d, _s in per_code}))
        tell(30, 100)
        result = ImportResult(source=source, dry_run=dry_run, allocation=Allocation())
        new: list[tuple[ImportRow, list[Any]]] = []
        changes: dict[int, dict[str, Any]] = {}
        deltas: dict[int, int] = {}
        links: list[tuple[str, Any]] = []  # (sku, barcode) to link to existing products
        audits: dict[str, dict[str, Any]] = {}
        for index, row in enumerate(rows):
            found = problems[index]
            product = known.get(row.sku)
            for code in codes[index]:
                owner = owners.get(code.key)
                if owner is not None and (product is None or owner[0] != product.id):
                    found.append(
                        f"barcode {code.display} belongs to {owner[1]} in the store - correct "
                        f"the file, or take the barcode off {owner[1]} first"
                    )
            if product is None and row.sku and not row.name:
                found.append("a new product without a name - fill in the name")
            if product is not None and row.on_hand is not None and row.on_hand < product.reserved:
                found.append(
                    f"{product.reserved} units of {row.sku} are reserved for orders, more "
                    f"than the {row.on_hand} counted - ship or cancel those lines first, or "
                    "count again"
                )
            if found:
                result.refused.append(RefusedRow(row.line, row.sku, tuple(dict.fromkeys(found))))
                result.actions[row.line] = "refused"
                continue
            added = [code for code in codes[index] if code.key not in owners]
            if product is None:
                new.append((row, added))
                result.created.append(row.sku)
                result.actions[row.line] = "new product" + (
                    f", {row.on_hand} in stock" if row.on_hand else ""
                )
                continue
            change: dict[str, Any] = {}
            if row.name and row.name != product.name:
                change["name"] = row.name
            if row.price_cents is not None and row.price_cents != product.price_cents:
                change["price_cents"] = row.price_cents
            delta = row.on_hand - product.on_hand if row.on_hand is not None else 0
            said = [{"name": "name", "price_cents": "price"}[key] for key in change]
            if change:
                changes[product.id] = change
            if added:
                links.extend((row.sku, code) for code in added)
                said.append("barcode" if len(added) == 1 else "barcodes")
            if delta:
                deltas[product.id] = delta
                said.append(f"stock {delta:+d}")
            if not said:
                result.unchanged += 1
                result.actions[row.line] = "no change"
                continue
            result.updated.append(row.sku)
            result.actions[row.line] = "update " + ", ".join(said)
            audits[row.sku] = {
                **change,
                **({"delta": delta} if delta else {}),
                **({"barcodes": [c.display for c in added]} if added else {}),
            }
        tell(50, 100)
        ids = self._import_new(new, now=now, audits=audits)
        ids.update({sku: product.id for sku, product in known.items()})
        tell(70, 100)
        _set_per_id(Product, changes)
        _add_per_id(Product, {pid: {"on_hand": delta} for pid, delta in deltas.items()})
        barcodes = [(ids[row.sku], code) for row, added in new for code in added]
        barcodes += [(ids[sku], code) for sku, code in links]
        insert_rows(
            Barcode,
            [{"product": pid, "code": c.key, "display": c.display} for pid, c in barcodes],
        )
        result.barcodes_added = len(barcodes)
        counts = [(ids[row.sku], row.on_hand, "Opening stock") for row, _a in new if row.on_hand]
        counts += [(pid, delta, "Stock count") for pid, delta in deltas.items()]
        insert_rows(
            StockMovement,
            [
                {
                    "product": pid,
                    "qty": qty,
                    "kind": "import",
                    "reason": f"{why} from {source}",
                    "staff": self.staff_id,
                    "created_at": now,
                }
                for pid, qty, why in counts
            ],
        )
        result.units_in = sum(qty for _p, qty, _w in counts if qty > 0)
        result.units_out = -sum(qty for _p, qty, _w in counts if qty < 0)
        tell(85, 100)
        result.allocation = self._allocate(
            [pid for pid, delta in deltas.items() if delta > 0], now=now
        )
        insert_rows(
            AuditEvent,
            [
                {
                    "at": now,
                    "staff": self.staff_id,
                    "action": "product.import",
                    "entity": "product",
                    "entity_id": ids[sku],
                    "detail": json.dumps({"sku": sku, "file": source, **detail}, sort_keys=True),
                }
                for sku, detail in audits.items()
            ],
        )
        self._audit(
            "import.products",
            "import",
            None,
            file=source,
            created=len(result.created),
            updated=len(result.updated),
            unchanged=result.unchanged,
            refused=len(result.refused),
            units_in=result.units_in,
            units_out=result.units_out,
        )
        tell(100, 100)
        return result

    def _import_known(self, skus: list[str]) -> dict[str, _KnownProduct]:
        """The products the store has of these SKUs, locked (PostgreSQL) before their stock
        figures are read."""
        ids: list[int] = []
        for part in _slices(skus):
            found = Product.select(Product.id).where(Product.sku.in_(part)).tuples()
            ids.extend(int(pid) for (pid,) in found)
        self.store.lock_products(ids)
        known: dict[str, _KnownProduct] = {}
        for chunk in eta.chunks(sorted(ids), _IMPORT_CHUNK):
            for row in (
                Product.select(
                    Product.id,
                    Product.sku,
                    Product.name,
                    Product.price_cents,
                    Product.on_hand,
                    Product.reserved,
                )
                .where(Product.id.in_(list(chunk)))
                .tuples()
            ):
                known[row[1]] = _KnownProduct(*row)
        return known

    @staticmethod
    def _barcode_owners(keys: list[str]) -> dict[str, tuple[int, str]]:
        """Barcode key -> (product id, SKU) of the products that have them."""
        owners: dict[str, tuple[int, str]] = {}
        for part in _slices(keys):
            for code, pid, sku in (
                Barcode.select(Barcode.code, Product.id, Product.sku)
                .join(Product)
                .where(Barcode.code.in_(part))
                .tuples()
            ):
                owners[code] = (int(pid), str(sku))
        return owners

    def _import_new(
        self,
        new: list[tuple[ImportRow, list[Any]]],
        *,
        now: datetime,
        audits: dict[str, dict[str, Any]],
    ) -> dict[str, int]:
        """Add the new products (stock as counted); returns their ids by SKU."""
        insert_rows(
            Product,
            [
                {
                    "sku": row.sku,
                    "name": row.name,
                    "price_cents": row.price_cents or 0,
                    "on_hand": row.on_hand or 0,
                    "created_at": now,
                }
                for row, _added in new
            ],
        )
        ids: dict[str, int] = {}
        for part in _slices([row.sku for row, _added in new]):
            ids.update(
                (str(sku), int(pid))
                for pid, sku in Product.select(Product.id, Product.sku)
                .where(Product.sku.in_(part))
                .tuples()
            )
        for row, added in new:
            audits[row.sku] = {
                "created": True,
                "name": row.name,
                "price_cents": row.price_cents or 0,
                "on_hand": row.on_hand or 0,
                "barcodes": [code.display for code in added],
            }
        return ids

    # ------------------------------------------------------- receiving drafts
    #
    # A draft is a Receipt with status "draft"; every scan appends one ReceiptLine in its
    # own short transaction, so the draft survives a crash and the rows' order is the scan
    # order. Scans themselves are not audited (they are the draft's rows); opening, undo,
    # hand corrections, discarding and committing are.

    def open_draft_receipt(self, *, purchase_order_id: int | None = None) -> int:
        """Start a draft receipt, against an open purchase order or none; returns its id."""
        self._require("receive")

        def work() -> int:
            po = self._open_po(purchase_order_id) if purchase_order_id is not None else None
            receipt_id = insert_row(
                Receipt,
                created_at=self.clock(),
                status="draft",
                staff=self.staff_id,
                purchase_order=po.id if po else None,
            )
            self._audit(
                "receipt.draft_open", "receipt", receipt_id, purchase_order=purchase_order_id
            )
            return receipt_id

        return int(self._write(work))

    def open_drafts(self) -> list[DraftSummary]:
        """Drafts neither committed nor discarded, newest first (to offer them back)."""
        query = (
            Receipt.select(
                Receipt.id,
                Receipt.created_at,
                Staff.name,
                Receipt.purchase_order,
                fn.COUNT(fn.DISTINCT(ReceiptLine.product)),
                fn.COALESCE(fn.SUM(ReceiptLine.qty), 0),
            )
            .join(Staff)
            .switch(Receipt)
            .join(ReceiptLine, JOIN.LEFT_OUTER)
            .where(Receipt.status == "draft")
            .group_by(Receipt.id, Receipt.created_at, Staff.name, Receipt.purchase_order)
            .order_by(Receipt.created_at.desc(), Receipt.id.desc())
            .tuples()
        )
        as_datetime = Receipt.created_at.python_value
        return [
            DraftSummary(
                receipt_id=int(rid),
                created_at=as_datetime(created),
                staff=str(staff),
                purchase_order_id=int(po) if po is not None else None,
                lines=int(lines),
                units=int(units),
            )
            for rid, created, staff, po, lines, units in query
        ]

    def draft_scan(self, draft_id: int, text: str) -> ScanOutcome:
        """Count one scan into a draft: ``12*`` multiplier, GS1-128 case label, GTIN or SKU.

        Raises:
            UnknownCode: a valid code no product has; nothing was written.
            UserError: a wrong check digit or unreadable content, or a draft that is not
                open; nothing was written.
        """
        self._require("receive")
        product, count = self._scanned(text)
        return self._draft_append(draft_id, product, count)

    def draft_add(self, draft_id: int, product_id: int, qty: int) -> ScanOutcome:
        """Append units of a known product to a draft (e.g. after linking an unknown code)."""
        self._require("receive")
        units = parse_quantity(qty)
        row = run_cached("draft.product", _product_by_id_query, product_id).fetchone()
        if row is None:
            raise NotFound(f"There is no product with id {product_id}.", field="product")
        return self._draft_append(draft_id, _ScannedProduct(*row), units)

    def draft_undo_last(self, draft_id: int) -> ScanOutcome | None:
        """Take back the newest row of a draft; ``None`` when the draft is empty."""
        self._require("receive")

        def work() -> ScanOutcome | None:
            po_id = self._lock_draft(draft_id)
            newest = (
                ReceiptLine.select(ReceiptLine.id, ReceiptLine.product, ReceiptLine.qty)
                .where(ReceiptLine.receipt == draft_id)
                .order_by(ReceiptLine.id.desc())
                .limit(1)
                .tuples()
                .first()
            )
            if newest is None:
                return None
            row_id, product_id, qty = newest
            ReceiptLine.delete().where(ReceiptLine.id == row_id).execute()
            product = _ScannedProduct(
                *run_cached("draft.product", _product_by_id_query, product_id).fetchone()
            )
            left = self._draft_units(draft_id, product_id)
            self._audit("receipt.undo", "receipt", draft_id, sku=product.sku, qty=qty, left=left)
            return ScanOutcome(
                product_id=product.id,
                sku=product.sku,
                name=product.name,
                added=int(qty),
                total=left,
                expected=self._po_outstanding(po_id, product_id),
            )

        result: ScanOutcome | None = self._write(work)
        return result

    def draft_set_quantity(self, draft_id: int, product_id: int, qty: int) -> None:
        """Correct a product's count in a draft by hand; 0 takes the product out.

        The product keeps its place in the tally (its first row takes the new count).
        """
        self._require("receive")
        units = 0 if str(qty).strip() == "0" else parse_quantity(qty)

        def work() -> None:
            self._lock_draft(draft_id)
            row = run_cached("draft.product", _product_by_id_query, product_id).fetchone()
            if row is None:
                raise NotFound(f"There is no product with id {product_id}.", field="product")
            rows = list(
                ReceiptLine.select(ReceiptLine.id, ReceiptLine.qty)
                .where(ReceiptLine.receipt == draft_id, ReceiptLine.product == product_id)
                .order_by(ReceiptLine.id)
                .tuples()
            )
            old = sum(int(q) for _id, q in rows)
            if old == units:
                return
            ids = [row_id for row_id, _q in rows]
            if units == 0:
                ReceiptLine.delete().where(ReceiptLine.id.in_(ids)).execute()
            elif ids:
                ReceiptLine.update(qty=units).where(ReceiptLine.id == ids[0]).execute()
                if ids[1:]:
                    ReceiptLine.delete().where(ReceiptLine.id.in_(ids[1:])).execute()
            else:
                insert_row(ReceiptLine, receipt=draft_id, product=product_id, qty=units)
            self._audit(
                "receipt.set_quantity", "receipt", draft_id, sku=str(row[1]), old=old, new=units
            )

        self._write(work)

    def draft_set_purchase_order(self, draft_id: int, purchase_order_id: int | None) -> None:
        """Receive a draft against another open purchase order, or none (e.g. when its PO
        was closed by another delivery while the draft was being scanned)."""
        self._require("receive")

        def work() -> None:
            old = self._lock_draft(draft_id)
            if purchase_order_id is not None:
                self._open_po(purchase_order_id)
            if old == purchase_order_id:
                return
            Receipt.update(purchase_order=purchase_order_id).where(Receipt.id == draft_id).execute()
            self._audit("receipt.set_po", "receipt", draft_id, old=old, new=purchase_order_id)

        self._write(work)

    def draft_tally(self, draft_id: int) -> list[TallyRow]:
        """Per product: scanned and expected units, in first-scan order, then the draft's
        PO products not scanned yet (in the PO's order)."""
        receipt = Receipt.get_or_none(Receipt.id == draft_id)
        if receipt is None:
            raise NotFound(f"There is no draft receipt {draft_id}.", field="receipt")
        po_id = receipt.purchase_order_id
        first = fn.MIN(ReceiptLine.id)
        scanned = list(
            ReceiptLine.select(Product.id, Product.sku, Product.name, fn.SUM(ReceiptLine.qty))
            .join(Product)
            .where(ReceiptLine.receipt == draft_id)
            .group_by(Product.id, Product.sku, Product.name)
            .order_by(first)
            .tuples()
        )
        expected: dict[int, tuple[str, str, int]] = {}
        if po_id is not None:
            outstanding = PurchaseOrderLine.qty_ordered - PurchaseOrderLine.qty_received
            for pid, sku, name, units in (
                PurchaseOrderLine.select(Product.id, Product.sku, Product.name, fn.SUM(outstanding))
                .join(Product)
                .where(
                    PurchaseOrderLine.purchase_order == po_id,
                    PurchaseOrderLine.qty_ordered > PurchaseOrderLine.qty_received,
                )
                .group_by(Product.id, Product.sku, Product.name)
                .order_by(fn.MIN(PurchaseOrderLine.id))
                .tuples()
            ):
                expected[int(pid)] = (str(sku), str(name), int(units))
        rows = [
            TallyRow(
                product_id=int(pid),
                sku=str(sku),
                name=str(name),
                scanned=int(units),
                expected=None if po_id is None else expected.pop(int(pid), ("", "", 0))[2],
            )
            for pid, sku, name, units in scanned
        ]
        rows.extend(
            TallyRow(product_id=pid, sku=sku, name=name, scanned=0, expected=units)
            for pid, (sku, name, units) in expected.items()
        )
        return rows

    def discard_draft(self, draft_id: int) -> None:
        """Give up a draft receipt: nothing goes into stock; the draft is kept, marked
        discarded, for the audit trail."""
        self._require("receive")

        def work() -> None:
            self._lock_draft(draft_id)
            lines = (
                ReceiptLine.select(Product.sku, fn.SUM(ReceiptLine.qty))
                .join(Product)
                .where(ReceiptLine.receipt == draft_id)
                .group_by(Product.sku)
                .tuples()
            )
            Receipt.update(status="discarded").where(Receipt.id == draft_id).execute()
            self._audit(
                "receipt.discard",
                "receipt",
                draft_id,
                lines={str(sku): int(units) for sku, units in lines},
            )

        self._write(work)

    def commit_draft(self, draft_id: int) -> ReceiptResult:
        """Receive a draft: stock in, queues served, PO updated, customers told, all in one
        transaction (``receive``, which audits it).

        Raises:
            UserError: the draft is empty, or was already committed or discarded.
        """
        self._require("receive")

        def work() -> ReceiptResult:
            po_id = self._lock_draft(draft_id)
            items = [
                OrderItem(product_id=int(pid), qty=int(qty))
                for pid, qty in ReceiptLine.select(ReceiptLine.product, ReceiptLine.qty)
                .where(ReceiptLine.receipt == draft_id)
                .order_by(ReceiptLine.id)
                .tuples()
            ]
            if not items:
                raise UserError(
                    f"Draft receipt {draft_id} is empty: scan at least one item before "
                    "receiving, or discard the draft.",
                    field="lines",
                )
            # Nested: runs as a savepoint inside this transaction, so the lines read
            # above are exactly the ones received.
            return self.receive(items, purchase_order_id=po_id, draft_id=draft_id)

        result: ReceiptResult = self._write(work)
        return result

    def _scanned(self, text: str) -> tuple[_ScannedProduct, int]:
        """The product a scan names and the units it stands for: by barcode, then SKU."""
        try:
            scan = parse_scan(text)
        except UserError:
            # The barcode rules refuse some codes a shop may use as SKUs (digits that look
            # like a GTIN, a '/'): an exact SKU still counts.
            multiplier, rest = split_multiplier(text)
            found = self._product_by_sku(rest) if rest else None
            if found is None:
                raise
            return found, multiplier
        row = run_cached("draft.by_barcode", _product_by_barcode_query, scan.code).fetchone()
        if row is not None:
            return _ScannedProduct(*row), scan.count
        display = scan.gtin.display if scan.gtin is not None else scan.code
        for sku in dict.fromkeys((display, scan.code)):
            found = self._product_by_sku(sku)
            if found is not None:
                return found, scan.count
        raise UnknownCode(scan.code, display, scan.count)

    @staticmethod
    def _product_by_sku(sku: str) -> _ScannedProduct | None:
        if not storable(sku):
            return None  # no SKU has it, and the database could not be asked
        row = run_cached("draft.by_sku", _product_by_sku_query, sku).fetchone()
        return _ScannedProduct(*row) if row is not None else None

    def _draft_append(self, draft_id: int, product: _ScannedProduct, units: int) -> ScanOutcome:
        def work() -> ScanOutcome:
            po_id = self._lock_draft(draft_id)
            total = self._draft_units(draft_id, product.id) + units
            if total > MAX_QTY:
                raise UserError(
                    f"{product.sku} would reach {total:,} units on this receipt, more than "
                    f"{MAX_QTY:,}: check the multiplier, or correct the count by hand.",
                    field="qty",
                )
            insert_row(ReceiptLine, receipt=draft_id, product=product.id, qty=units)
            return ScanOutcome(
                product_id=product.id,
                sku=product.sku,
                name=product.name,
                added=units,
                total=total,
                expected=self._po_outstanding(po_id, product.id),
            )

        result: ScanOutcome = self._write(work)
        return result

    def _lock_draft(self, draft_id: int) -> int | None:
        """Check the draft is open and lock it until the transaction ends (so a scan and
        a commit at two stations cannot interleave); returns its purchase order id."""
        if self.store.is_sqlite:
            cursor = run_cached("draft.state", _draft_state_query, draft_id)
        else:
            cursor = run_cached("draft.state.lock", _draft_state_locked_query, draft_id)
        row = cursor.fetchone()
        if row is None:
            raise NotFound(f"There is no draft receipt {draft_id}.", field="receipt")
        status, po_id = row
        if status == "committed":
            raise UserError(
                f"Receipt {draft_id} was already received; start a new receipt to scan more.",
                field="receipt",
            )
        if status != "draft":
            raise UserError(
                f"Draft receipt {draft_id} was {status}; start a new receipt.", field="receipt"
            )
        return int(po_id) if po_id is not None else None

    @staticmethod
    def _draft_units(draft_id: int, product_id: int) -> int:
        row = run_cached("draft.units", _draft_units_query, draft_id, product_id).fetchone()
        return int(row[0] or 0)

    @staticmethod
    def _po_outstanding(po_id: int | None, product_id: int) -> int | None:
        if po_id is None:
            return None
        row = run_cached("draft.outstanding", _outstanding_query, po_id, product_id).fetchone()
        return int(row[0] or 0)

    # ------------------------------------------------------------ allocation

    def _allocate(self, product_ids: Iterable[int], *, now: datetime) -> Allocation:
        """Serve the products' queues from their available stock, in queue order.

        Set-based: one windowed query finds, for all products at once, the waiting lines
        that the available units reach; fully served lines are updated in one statement.
        """
        ids = sorted(set(product_ids))
        grants: list[tuple[int, int, int, int]] = []  # line, product, granted, still waiting
        per_product: dict[int, int] = defaultdict(int)
        for part in eta.chunks(ids):
            reach = run_cached("controller.reach", _reach_query, *part)
            for line_id, pid, waiting, cum, available in reach:
                granted = min(int(waiting), int(available) - (int(cum) - int(waiting)))
                grants.append((line_id, pid, granted, int(waiting) - granted))
                per_product[pid] += granted
        full = [g[0] for g in grants if g[3] == 0]
        for part in eta.chunks(full):
            run_cached("controller.fill_lines", _fill_lines_query, 0, now, *part)
        _add_per_id(
            OrderLine,
            {
                line_id: {"qty_reserved": granted, "qty_waiting": -granted}
                for line_id, _pid, granted, left in grants
                if left
            },
        )
        _add_per_id(
            Product,
            {
                pid: {"reserved": granted, "waiting": -granted}
                for pid, granted in per_product.items()
            },
        )
        return self._describe_allocation(ids, grants, now=now)

    def _describe_allocation(
        self, product_ids: list[int], grants: list[tuple[int, int, int, int]], *, now: datetime
    ) -> Allocation:
        result = Allocation()
        for part in eta.chunks(product_ids):
            for sku, available in (
                Product.select(Product.sku, Product.on_hand - Product.reserved)
                .where(Product.id.in_(list(part)))
                .tuples()
            ):
                result.left_in_stock[sku] = int(available)
        if not grants:
            return result
        granted = {line_id: (qty, left) for line_id, _pid, qty, left in grants}
        rows: list[tuple[Any, ...]] = []
        for part in eta.chunks(sorted(granted)):
            rows.extend(run_cached("controller.filled_lines", _filled_lines_query, *part))
        ready_by_customer: dict[tuple[int, str], list[MessageLine]] = defaultdict(list)
        touched_orders = set()
        for line_id, order_id, cust_id, cust_name, pid, sku, name, ready, raw_placed in rows:
            placed = _as_datetime(raw_placed)
            qty, left = granted[line_id]
            filled = FilledLine(
                line_id=line_id,
                order_id=order_id,
                customer_id=cust_id,
                customer=cust_name,
                product_id=pid,
                sku=sku,
                name=name,
                qty=qty,
                ready_qty=int(ready),
                still_waiting=left,
                placed_at=placed,
            )
            if left:
                result.partial.append(filled)
            else:
                result.fulfilled.append(filled)
                touched_orders.add(order_id)
                ready_by_customer[(cust_id, cust_name)].append(
                    MessageLine(
                        order_id=order_id,
                        line_id=line_id,
                        sku=sku,
                        name=name,
                        qty=int(ready),
                    )
                )
        # One message per customer, queued together: a big delivery serves thousands.
        queue_messages(
            [
                Outgoing(customer_id=cust_id, customer_name=cust_name, event="ready", lines=lines)
                for (cust_id, cust_name), lines in ready_by_customer.items()
            ],
            now=now,
        )
        if touched_orders:
            still_waiting = {
                int(oid)
                for part in eta.chunks(sorted(touched_orders))
                for (oid,) in run_cached("controller.still_waiting", _still_waiting_query, *part)
            }
            result.completed_orders = sorted(touched_orders - still_waiting)
        return result

    # -------------------------------------------------------- purchase orders

    def add_purchase_order(
        self,
        *,
        supplier_id: int,
        expected: date | None,
        items: Sequence[OrderItem],
        note: str = "",
        draft: bool = False,
    ) -> PurchaseOrder:
        """Book a purchase order; its units count as incoming for ETAs.

        ``draft``: only write it down (status ``draft``): its units are not incoming until
        ``confirm_purchase_order``.
        """
        self._require("purchase_orders")
        note = clean_notes(note, what="Note")
        if expected is None:
            raise UserError(
                "The expected date is missing: pick the day the supplier said the goods "
                "will arrive.",
                field="expected",
            )
        merged = _merge(items)
        if not merged:
            raise UserError("The purchase order has no lines.", field="lines")

        def work() -> PurchaseOrder:
            if Supplier.get_or_none(Supplier.id == supplier_id) is None:
                raise NotFound(f"There is no supplier {supplier_id}.", field="supplier")
            self.store.lock_products(merged)
            self._products(list(merged))
            po = PurchaseOrder.create(
                supplier=supplier_id,
                expected_date=expected,
                created_at=self.clock(),
                status="draft" if draft else "open",
                staff=self.staff_id,
                note=note,
            )
            PurchaseOrderLine.insert_many(
                [
                    {"purchase_order": po.id, "product": pid, "qty_ordered": qty}
                    for pid, qty in merged.items()
                ]
            ).execute()
            if not draft:
                self._retell_etas(merged, now=self.clock())
            self._audit(
                "po.draft" if draft else "po.add",
                "purchase_order",
                po.id,
                supplier=supplier_id,
                expected=expected.isoformat(),
                lines=len(merged),
            )
            return po

        return self._write(work)

    def update_purchase_order(
        self,
        po_id: int,
        *,
        expected: date | None = None,
        items: Sequence[OrderItem] | None = None,
        note: str | None = None,
    ) -> PurchaseOrder:
        """Change an open or draft purchase order's expected date, lines or note.

        ETAs follow an open PO's change, and customers whose lines now come later are
        told (one "eta_changed" message each). ``items``, when given, is the PO's whole
        new list of lines: products left out are removed, new ones added. A product's
        quantity cannot go below the units already received, nor can a product with
        received units be removed. An open PO whose every line is then received in full is
        closed.
        """
        self._require("purchase_orders")
        note = clean_notes(note, what="Note") if note is not None else None
        merged = _merge(items) if items is not None else None
        if merged is not None and not merged:
            raise UserError("The purchase order has no lines.", field="lines")

        def work() -> PurchaseOrder:
            po = self._purchase_order(po_id)
            if po.status not in ("open", "draft"):
                raise UserError(
                    f"Purchase order {po_id} is {po.status}; only an open purchase order "
                    "can be changed. Book a new one instead.",
                    field="po",
                )
            touched = set(self._po_products(po_id)) | set(merged or ())
            self.store.lock_products(touched)
            changes: dict[str, Any] = {}
            if expected is not None and expected != eta._as_date(po.expected_date):
                PurchaseOrder.update(expected_date=expected).where(
                    PurchaseOrder.id == po_id
                ).execute()
                changes["expected"] = [eta._as_date(po.expected_date).isoformat(), str(expected)]
            if note is not None and note != po.note:
                PurchaseOrder.update(note=note).where(PurchaseOrder.id == po_id).execute()
                changes["note"] = note
            if merged is not None:
                products = self._products(sorted(merged))
                changes["lines"] = self._replace_po_lines(po_id, merged, products)
                if not changes["lines"]:
                    del changes["lines"]
            lines = list(
                PurchaseOrderLine.select(
                    PurchaseOrderLine.qty_ordered, PurchaseOrderLine.qty_received
                )
                .where(PurchaseOrderLine.purchase_order == po_id)
                .tuples()
            )
            if po.status == "open" and all(received >= ordered for ordered, received in lines):
                PurchaseOrder.update(status="closed").where(PurchaseOrder.id == po_id).execute()
                changes["closed"] = True
            if changes and po.status == "open":
                told = self._retell_etas(touched, now=self.clock())
                if told.customers:
                    changes["customers_told"] = told.customers
            if changes:
                self._audit("po.update", "purchase_order", po_id, **changes)
            return PurchaseOrder.get_by_id(po_id)

        return self._write(work)

    def _replace_po_lines(
        self, po_id: int, merged: Mapping[int, int], products: Mapping[int, Product]
    ) -> dict[str, list[int]]:
        """Make the PO's lines match ``merged``; returns sku -> [old qty, new qty]."""
        current: dict[int, list[PurchaseOrderLine]] = defaultdict(list)
        for line in (
            PurchaseOrderLine.select()
            .where(PurchaseOrderLine.purchase_order == po_id)
            .order_by(PurchaseOrderLine.id)
        ):
            current[line.product_id].append(line)
        known = self._products(sorted(current)) if current else {}
        changed: dict[str, list[int]] = {}
        for pid, lines in current.items():
            ordered = sum(line.qty_ordered for line in lines)
            received = sum(line.qty_received for line in lines)
            wanted = merged.get(pid, 0)
            sku = known[pid].sku
            if wanted < received:
                if wanted == 0:
                    raise UserError(
                        f"{sku} cannot be removed: {received} of it were already received. "
                        f"Set its quantity to {received} instead.",
                        field="qty",
                    )
                raise UserError(
                    f"{sku}: {received} units were already received, so the quantity cannot "
                    f"go below {received}.",
                    field="qty",
                )
            if wanted == ordered:
                continue
            changed[sku] = [ordered, wanted]
            ids = [line.id for line in lines]
            PurchaseOrderLine.delete().where(PurchaseOrderLine.id.in_(ids[1:])).execute()
            if wanted == 0:
                PurchaseOrderLine.delete().where(PurchaseOrderLine.id == ids[0]).execute()
            else:
                # Several lines of one product collapse into one, keeping what was received.
                PurchaseOrderLine.update(qty_ordered=wanted, qty_received=received).where(
                    PurchaseOrderLine.id == ids[0]
                ).execute()
        added = [pid for pid in merged if pid not in current]
        if added:
            PurchaseOrderLine.insert_many(
                [
                    {"purchase_order": po_id, "product": pid, "qty_ordered": merged[pid]}
                    for pid in added
                ]
            ).execute()
            changed.update({products[pid].sku: [0, merged[pid]] for pid in added})
        return changed

    def delay_purchase_order(self, po_id: int, new_date: date | None) -> PurchaseOrderDelay:
        """The supplier will deliver later: move an open PO's expected date to ``new_date``.

        The ETAs of its products follow, and every customer whose lines now come later
        than they were told gets one "eta_changed" message (old and new date); audited.

        Raises:
            UserError: no such open PO, or the date is missing, past, or not later.
        """
        self._require("purchase_orders")
        if new_date is None:
            raise UserError(
                "The new expected date is missing: give the day the supplier now promises.",
                field="expected",
            )

        def work() -> PurchaseOrderDelay:
            po = self._purchase_order(po_id)
            if po.status != "open":
                raise UserError(
                    f"Purchase order {po_id} is {po.status}; only an open purchase order "
                    "can be delayed.",
                    field="po",
                )
            old = eta._as_date(po.expected_date)
            today = to_local(self.clock()).date()
            if new_date < today:
                raise UserError(
                    f"{new_date:%d %b %Y} has already passed: give the day the supplier now "
                    "promises (today or later).",
                    field="expected",
                )
            if new_date <= old:
                raise UserError(
                    f"Purchase order {po_id} is expected on {old:%d %b %Y}; a delay needs a "
                    "later date (to bring it forward, edit the purchase order).",
                    field="expected",
                )
            products = self._po_products(po_id)
            self.store.lock_products(products)
            PurchaseOrder.update(expected_date=new_date).where(PurchaseOrder.id == po_id).execute()
            told = self._retell_etas(products, now=self.clock())
            self._audit(
                "po.delay",
                "purchase_order",
                po_id,
                old=old.isoformat(),
                new=new_date.isoformat(),
                customers_told=told.customers,
                lines_later=told.lines,
            )
            return PurchaseOrderDelay(
                po_id=po_id,
                old=old,
                new=new_date,
                customers_told=told.customers,
                lines_later=told.lines,
            )

        result: PurchaseOrderDelay = self._write(work)
        return result

    def confirm_purchase_order(self, po_id: int) -> PurchaseOrder:
        """Send a draft purchase order: it becomes open and its units count as incoming
        (ETAs come forward; nobody is told of an earlier date); audited.

        Raises:
            UserError: not a draft, no lines, or its expected date has passed.
        """
        self._require("purchase_orders")

        def work() -> PurchaseOrder:
            po = self._purchase_order(po_id)
            if po.status != "draft":
                raise UserError(
                    f"Purchase order {po_id} is {po.status}, not a draft: there is nothing "
                    "to confirm.",
                    field="po",
                )
            expected = eta._as_date(po.expected_date)
            if expected < to_local(self.clock()).date():
                raise UserError(
                    f"Draft purchase order {po_id} is expected on {expected:%d %b %Y}, which "
                    "has passed: set the day the supplier promises, then confirm.",
                    field="expected",
                )
            products = self._po_products(po_id)
            if not products:
                raise UserError(f"Draft purchase order {po_id} has no lines.", field="lines")
            self.store.lock_products(products)
            PurchaseOrder.update(status="open").where(PurchaseOrder.id == po_id).execute()
            self._retell_etas(products, now=self.clock())
            self._audit("po.confirm", "purchase_order", po_id, expected=expected.isoformat())
            return PurchaseOrder.get_by_id(po_id)

        result: PurchaseOrder = self._write(work)
        return result

    def create_reorder_draft(self, supplier_id: int) -> PurchaseOrder:
        """Turn a supplier's reorder suggestions (``app.purchasing``) into a draft purchase
        order, expected after the supplier's usual lead time (a week when none is set).

        A draft is not incoming until confirmed, but the reorder suggestions count it, so
        the same units are not suggested twice.

        Raises:
            UserError: no such supplier, or nothing of theirs needs ordering.
        """
        self._require("purchase_orders")

        def work() -> PurchaseOrder:
            supplier = Supplier.get_or_none(Supplier.id == supplier_id)
            if supplier is None:
                raise NotFound(f"There is no supplier {supplier_id}.", field="supplier")
            wanted = purchasing.reorder_lines(supplier_id)
            if not wanted:
                raise UserError(
                    f"Nothing needs ordering from {supplier.name}: their products have "
                    "enough stock, incoming or on drafts.",
                    field="supplier",
                )
            days = supplier.lead_time_days
            expected = to_local(self.clock()).date() + timedelta(
                days=DRAFT_LEAD_DAYS if days is None else days
            )
            po: PurchaseOrder = self.add_purchase_order(
                supplier_id=supplier_id,
                expected=expected,
                items=[OrderItem(line.product_id, min(line.units, MAX_QTY)) for line in wanted],
                note="Drafted from the reorder suggestions",
                draft=True,
            )
            return po

        result: PurchaseOrder = self._write(work)
        return result

    def _po_products(self, po_id: int) -> list[int]:
        return sorted(
            int(pid)
            for (pid,) in PurchaseOrderLine.select(PurchaseOrderLine.product)
            .where(PurchaseOrderLine.purchase_order == po_id)
            .distinct()
            .tuples()
        )

    # ------------------------------------------------------------- ETAs told

    def _retell_etas(self, product_ids: Iterable[int], *, now: datetime) -> Retold:
        """After the queue or the incoming stock of these products changed, tell every
        customer whose waiting lines now come later than the date they were told.

        One "eta_changed" message per customer, listing all their lines that moved (old
        and new date); ``eta_notified`` takes the new date; one audit event per line
        (``eta.ETA_LATER``, which the backorder list reads to show the old date).

        A date moving earlier is not announced and ``eta_notified`` keeps the date told:
        the promise still holds, and a later "changed" message must quote the date the
        customer actually heard. The backorder list shows the difference instead.
        """
        moves = eta.moved_lines(product_ids, keep=_later)
        if not moves:
            return Retold(customers=0, lines=0)
        by_customer: dict[tuple[int, str], list[MessageLine]] = defaultdict(list)
        by_date: dict[date | None, list[int]] = defaultdict(list)
        for move in moves:
            by_customer[(move.customer_id, move.customer)].append(
                MessageLine(
                    order_id=move.order_id,
                    line_id=move.line_id,
                    sku=move.sku,
                    name=move.name,
                    qty=move.waiting,
                    eta=move.eta,
                    old_eta=move.told,
                )
            )
            by_date[move.eta].append(move.line_id)
        queue_messages(
            [
                Outgoing(customer_id=cust_id, customer_name=name, event="eta_changed", lines=lines)
                for (cust_id, name), lines in by_customer.items()
            ],
            now=now,
        )
        for day, line_ids in by_date.items():
            for part in eta.chunks(line_ids):
                OrderLine.update(eta_notified=day).where(OrderLine.id.in_(list(part))).execute()
        insert_rows(
            AuditEvent,
            [
                {
                    "at": now,
                    "staff": self.staff_id,
                    "action": eta.ETA_LATER,
                    "entity": "order_line",
                    "entity_id": move.line_id,
                    "detail": json.dumps(
                        {
                            "order": move.order_id,
                            "old": move.told.isoformat() if move.told else None,
                            "new": move.eta.isoformat() if move.eta else None,
                        },
                        sort_keys=True,
                    ),
                }
                for move in moves
            ],
        )
        return Retold(customers=len(by_customer), lines=len(moves))

    # ------------------------------------------------------- customer messages

    def mark_message_told(self, message_id: int, *, via: str) -> None:
        """Record that the customer was told a message without e-mail: by ``phone``,
        ``in person`` or on paper (``printed``). Who and when are kept on the message and
        in the audit log, so the order's timeline shows it.

        Raises:
            UserError: an unknown way of telling, a message already sent or told, or one
                being handed to the mail server right now.
        """
        self._require("mark_message_told")
        how = (via or "").strip().lower()
        if how not in TOLD_VIA:
            raise UserError(
                f"How was the customer told? {via!r} is not one of: phone, in person, printed.",
                field="via",
            )

        def work() -> None:
            message = self._message(message_id)
            if message.status == "sent":
                raise UserError(
                    f"Message {message_id} was already sent by e-mail on "
                    f"{message.sent_at:%d %b %Y %H:%M} (UTC); there is nothing to record.",
                    field="message",
                )
            if message.status == "told":
                raise UserError(
                    f"Message {message_id} is already marked as told ({message.told_via}).",
                    field="message",
                )
            if message.status == "sending":
                raise UserError(
                    f"Message {message_id} is being handed to the mail server right now; "
                    "wait a moment and look again.",
                    field="message",
                )
            now = self.clock()
            changed = (
                CustomerMessage.update(
                    status="told", told_via=how, told_by=self.staff_id, sent_at=now
                )
                .where(
                    CustomerMessage.id == message_id,
                    CustomerMessage.status == message.status,
                )
                .execute()
            )
            if not changed:
                raise UserError(
                    f"Message {message_id} changed meanwhile (another desk sent or marked "
                    "it); look again.",
                    field="message",
                )
            self._audit_message("message.told", message, via=how)

        self._write(work)

    def resend_message(self, message_id: int) -> None:
        """Put a message back in the outbox to go by e-mail again, with the same
        Message-ID (so the customer's mail program can recognise a copy): a person's
        decision for one that may have been sent, failed, or should go once more.

        Raises:
            UserError: the customer has no e-mail address, or the message is already
                waiting or being sent.
        """
        self._require("resend_message")

        def work() -> None:
            message = self._message(message_id)
            if message.status in ("queued", "sending"):
                raise UserError(
                    f"Message {message_id} is already waiting to be sent.", field="message"
                )
            email = (message.customer.email or "").strip()
            if not email:
                raise UserError(
                    f"{message.customer.name} has no e-mail address: add one to the "
                    "customer first, or tell them by phone, in person or on paper and mark "
                    "the message as told.",
                    field="message",
                )
            changed = (
                CustomerMessage.update(status="queued", last_error=None)
                .where(
                    CustomerMessage.id == message_id,
                    CustomerMessage.status == message.status,
                )
                .execute()
            )
            if not changed:
                raise UserError(
                    f"Message {message_id} changed meanwhile; look again.", field="message"
                )
            self._audit_message("message.resend", message, was=message.status, to=email)

        self._write(work)

    def _message(self, message_id: int) -> CustomerMessage:
        message = CustomerMessage.get_or_none(CustomerMessage.id == message_id)
        if message is None:
            raise NotFound(f"There is no message {message_id} in the outbox.", field="message")
        return message

    def _audit_message(self, action: str, message: CustomerMessage, **detail: Any) -> None:
        """One audit event per order the message names, so each order's timeline shows
        who told the customer what, and when."""
        try:
            named = json.loads(message.payload or "{}").get("order_ids") or []
        except (ValueError, AttributeError):
            named = []
        orders = sorted(
            {int(o) for o in named} | ({message.order_id} if message.order_id else set())
        )
        for order_id in orders:
            self._audit(
                action,
                "order",
                order_id,
                message=message.id,
                event=message.event,
                subject=message.subject,
                **detail,
            )

    # ------------------------------------------------------------------ staff
    #
    # Managers only (``manage_staff``), except a member changing their own password.
    # Every change takes ``_lock_managers`` first, so two managers working on the staff at
    # once are served one after the other and cannot both demote the other, leaving no
    # manager at all.

    def add_staff(self, name: str, role: str, password: str) -> Staff:
        """Add a staff account; names are unique whatever their case.

        Raises:
            UserError: a taken name, an unknown role, a password shorter than 8 characters,
                or an acting manager who has no password yet (once there is a second
                account everyone signs in, and they could not).
        """
        self._require("manage_staff")
        clean = accounts.parse_staff_name(name)
        new_role = accounts.parse_role(role)
        secret = accounts.check_new_password(password)
        hashed = accounts.hash_password(secret)

        def work() -> Staff:
            self._lock_managers()
            self._require_own_password()
            taken = Staff.get_or_none(fn.LOWER(Staff.name) == fold(clean))
            if taken is not None:
                state = "" if taken.active else " (disabled)"
                raise UserError(
                    f"There is already a staff account called {taken.name}{state}: "
                    "choose another name.",
                    field="name",
                )
            member = Staff.create(name=clean, role=new_role, password_hash=hashed, active=True)
            self._audit("staff.add", "staff", member.id, name=clean, role=new_role)
            return member

        result: Staff = self._write(work)
        return result

    def set_staff_role(self, staff_id: int, role: str) -> None:
        """Give a staff member another role; the last active manager keeps theirs.

        Raises:
            UserError: an unknown role or account, or the store would have no manager.
        """
        self._require("manage_staff")
        new_role = accounts.parse_role(role)

        def work() -> None:
            managers = self._lock_managers()
            member = self._staff(staff_id)
            if member.role == new_role:
                return
            if member.id in managers and len(managers) == 1:
                raise UserError(
                    f"{member.name} is the only active manager: make someone else a manager "
                    "first, so that the store keeps one.",
                    field="role",
                )
            Staff.update(role=new_role).where(Staff.id == member.id).execute()
            self._audit(
                "staff.role", "staff", member.id, name=member.name, old=member.role, new=new_role
            )

        self._write(work)
        if staff_id == self.staff_id:
            self.role = new_role

    def set_staff_password(self, staff_id: int, password: str) -> None:
        """Set a staff member's password: one's own, or anyone's as a manager.

        Raises:
            UserError: shorter than 8 characters, or an unknown account.
        """
        if staff_id != self.staff_id:
            self._require("manage_staff")
        secret = accounts.check_new_password(password)
        hashed = accounts.hash_password(secret)

        def work() -> None:
            self._lock_managers()
            member = self._staff(staff_id)
            Staff.update(password_hash=hashed).where(Staff.id == member.id).execute()
            # Who set it is in the event; the password, hashed or not, never is.
            self._audit("staff.password", "staff", member.id, name=member.name)

        self._write(work)

    def set_staff_active(self, staff_id: int, active: bool) -> None:
        """Disable an account (it can no longer sign in; its history stays) or enable it
        again. Nobody disables themself, and the last active manager stays.

        Raises:
            UserError: an unknown account, one's own account, or the last manager.
        """
        self._require("manage_staff")
        if staff_id == self.staff_id and not active:
            raise UserError(
                "You cannot disable your own account: ask another manager to do it.",
                field="staff",
            )

        def work() -> None:
            managers = self._lock_managers()
            member = self._staff(staff_id)
            if bool(member.active) == active:
                return
            if active:
                self._require_own_password()
            elif member.id in managers and len(managers) == 1:
                raise UserError(
                    f"{member.name} is the only active manager and cannot be disabled: make "
                    "someone else a manager first.",
                    field="staff",
                )
            Staff.update(active=active).where(Staff.id == member.id).execute()
            self._audit(
                "staff.enable" if active else "staff.disable", "staff", member.id, name=member.name
            )

        self._write(work)

    def _staff(self, staff_id: int) -> Staff:
        member = Staff.get_or_none(Staff.id == staff_id)
        if member is None:
            raise NotFound(f"There is no staff account {staff_id}.", field="staff")
        return member

    def _lock_managers(self) -> set[int]:
        """The active managers' ids, their rows locked until the transaction ends
        (PostgreSQL; a SQLite write transaction holds the whole store)."""
        query = Staff.select(Staff.id).where(
            Staff.active == True,  # noqa: E712
            Staff.role == accounts.MANAGER,
        )
        if not self.store.is_sqlite:
            query = query.order_by(Staff.id).for_update()
        return {int(sid) for (sid,) in query.tuples()}

    def _require_own_password(self) -> None:
        me = Staff.get_or_none(Staff.id == self.staff_id)
        if me is not None and me.password_hash is None:
            raise UserError(
                f"Give {me.name} (you) a password first: once the store has a second "
                "account, everyone signs in with one.",
                field="password",
            )

    # ------------------------------------------------------- settings and backups
    #
    # The shop's texts, the mail server and how many backups are kept are settings
    # (managers only); each save is audited with what changed, never a password.

    def save_shop_settings(self, texts: ShopTexts) -> None:
        """Save the shop's texts (already ``shop_settings.parse_shop``-checked)."""
        self._require("settings")

        def work() -> None:
            old = shop_settings.load_shop()
            shop_settings.save_shop(texts)
            changed = {
                name: [getattr(old, name), getattr(texts, name)]
                for name in ("name", "address", "phone", "signature")
                if getattr(old, name) != getattr(texts, name)
            }
            if changed:
                self._audit("settings.shop", "settings", None, **changed)

        self._write(work)

    def save_mail_settings(self, settings: MailSettings, *, password: str | None = None) -> str:
        """Save the mail server (already ``mail_settings.parse``d); returns where the
        password is kept, in words. ``password``: as ``mail_settings.save``."""
        self._require("settings")
        old = mail_settings.load()
        write = mail_settings.prepare_save(settings, password=password)

        def work() -> None:
            write()
            changed: dict[str, Any] = {
                name: [getattr(old, name), getattr(settings, name)]
                for name in ("host", "port", "security", "user", "sender")
                if getattr(old, name) != getattr(settings, name)
            }
            # Only that the password changed, never the password itself.
            if password:
                changed["new_password"] = True
            elif password == "" and old.password_saved:
                changed["password_forgotten"] = True
            if changed:
                self._audit("settings.mail", "settings", None, **changed)

        self._write(work)
        return mail_settings.password_storage_description()

    def set_backup_keep(self, count: int | str) -> int:
        """Keep the newest ``count`` backups of this store from the next backup on (the
        ``backup_keep`` setting); returns the count.

        Raises:
            UserError: not a whole number from 1 to 1000.
        """
        self._require("settings")
        keep = backups.parse_keep(count)

        def work() -> None:
            old = backups.keep_count()
            backups.set_keep_count(keep)
            if old != keep:
                self._audit("settings.backup_keep", "settings", None, old=old, new=keep)

        self._write(work)
        return keep

    def back_up(self, target: Path | None = None, *, progress: Progress | None = None) -> Backup:
        """Back the store up now: into the backups folder (``target`` ``None``, rotated
        with the automatic ones) or to the file ``target``; audited.

        Raises:
            StoreError: as ``backups.make_backup`` and ``backups.backup_to``.
        """
        self._require("backup")
        if target is None:
            made = backups.make_backup(self.store, progress=progress)
        else:
            made = backups.backup_to(self.store, target, progress=progress)
        try:
            self._write(
                lambda: self._audit(
                    "backup.make", "store", None, path=str(made.path), size=made.size
                )
            )
        except UserError as error:
            raise StoreError(
                f"The backup was made at {made.path}, but it could not be written into the "
                f"audit log: {error}"
            ) from error
        return made

    def restore_backup(
        self, source: Path, *, progress: Progress | None = None, now: datetime | None = None
    ) -> Restored:
        """Replace everything in the store with a checked backup (``backups.restore_into``:
        the store as it was is backed up first); the restore is audited in the restored
        store.

        The restored store may not know the acting staff member, or give them another
        role: from now on this controller acts as their account there (the same name), or
        else as its first manager.

        Raises:
            NotAllowed: not a manager.
            StoreError: as ``backups.restore_into``; the store is as it was.
        """
        self._require("restore")
        me = self._staff(self.staff_id).name
        done = backups.restore_into(self.store, source, now=now, progress=progress)
        again = accounts.find_staff(me)
        self.staff_id = int(again.id) if again is not None else self._default_staff()
        self.role = self._role_of(self.staff_id)
        self._write(lambda: self._audit_restore(done, by=me))
        return done

    def record_restore(self, done: Restored, *, by: str) -> None:
        """Audit a restore made before any store could be opened (a damaged store
        replaced from the command line), once the restored store is open; ``by`` names
        who ran it, as they may have no account there."""
        self._require("restore")
        self._write(lambda: self._audit_restore(done, by=by))

    def _audit_restore(self, done: Restored, *, by: str) -> None:
        self._audit(
            "backup.restore",
            "store",
            None,
            source=str(done.source.path),
            taken_at=done.source.taken_at.isoformat(timespec="seconds"),
            safety=str(done.safety.path) if done.safety else None,
            set_aside=str(done.set_aside) if done.set_aside else None,
            by=by,
        )

    # ---------------------------------------------------------------- helpers

    def _write(self, work: Any) -> Any:
        try:
            return self.store.run_write(work)
        except IntegrityError as error:
            if "unique" not in str(error).lower() and "duplicate" not in str(error).lower():
                raise
            raise UserError(
                f"That change conflicts with what is already stored ({error}); nothing was "
                "written. Check for a duplicate SKU, barcode or e-mail."
            ) from error

    def _audit(self, action: str, entity: str, entity_id: int | None, **detail: Any) -> None:
        insert_row(
            AuditEvent,
            at=self.clock(),
            staff=self.staff_id,
            action=action,
            entity=entity,
            entity_id=entity_id,
            detail=_AUDIT_JSON.encode(detail),
        )

    def _products(self, ids: list[int]) -> dict[int, Product]:
        found = {p.id: p for p in Product.select().where(Product.id.in_(ids))} if ids else {}
        missing = [pid for pid in ids if pid not in found]
        if missing:
            raise NotFound(f"There is no product with id {missing[0]}.", field="product")
        return found

    def _stock(self, ids: list[int]) -> dict[int, _StockRow]:
        """What placing an order reads of its products (statement text cached)."""
        found: dict[int, _StockRow] = {}
        for part in eta.chunks(sorted(set(ids))):
            cursor = run_cached("controller.stock", _stock_query, *part)
            found.update((int(row[0]), _StockRow(*row)) for row in cursor)
        missing = [pid for pid in ids if pid not in found]
        if missing:
            raise NotFound(f"There is no product with id {missing[0]}.", field="product")
        return found

    def _customer_name(self, customer_id: int) -> tuple[int, str]:
        """The customer's id and name, for placing an order (statement text cached)."""
        row = run_cached("controller.customer_name", _customer_name_query, customer_id).fetchone()
        if row is None:
            raise NotFound(f"There is no customer with id {customer_id}.", field="customer")
        return int(row[0]), str(row[1])

    def _product(self, product_id: int) -> Product:
        return self._products([product_id])[product_id]

    def _customer(self, customer_id: int) -> Customer:
        customer = Customer.get_or_none(Customer.id == customer_id)
        if customer is None:
            raise NotFound(f"There is no customer with id {customer_id}.", field="customer")
        return customer

    def _purchase_order(self, po_id: int) -> PurchaseOrder:
        po = PurchaseOrder.get_or_none(PurchaseOrder.id == po_id)
        if po is None:
            raise NotFound(f"There is no purchase order {po_id}.", field="po")
        return po

    def _order(self, order_id: int) -> Order:
        order = Order.get_or_none(Order.id == order_id)
        if order is None:
            raise NotFound(f"There is no order {order_id}.", field="order")
        return order

    def _line(self, line_id: int) -> OrderLine:
        line = OrderLine.get_or_none(OrderLine.id == line_id)
        if line is None:
            raise NotFound(f"There is no order line {line_id}.", field="line")
        return line

    @staticmethod
    def _status(line: OrderLine) -> LineStatus:
        return line_status(
            reserved=line.qty_reserved,
            shipped=line.qty_shipped,
            waiting=line.qty_waiting,
            cancelled=line.qty_cancelled,
            ordered=line.qty_ordered,
        )


@dataclass(frozen=True)
class Retold:
    """Who heard of a later ETA: customers messaged and lines whose date moved later."""

    customers: int
    lines: int


@dataclass(frozen=True)
class PurchaseOrderDelay:
    """A delayed purchase order: its old and new expected dates, and who was told."""

    po_id: int
    old: date
    new: date
    customers_told: int
    lines_later: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "purchase_order_id": self.po_id,
            "old_expected": self.old.isoformat(),
            "expected": self.new.isoformat(),
            "customers_told": self.customers_told,
            "lines_later": self.lines_later,
        }


#: Days until a reorder draft is expected when its supplier has no usual lead time.
DRAFT_LEAD_DAYS = 7


def _later(told: date | None, now: date | None) -> bool:
    """Whether ``now`` breaks the promise ``told``: a later date, or no date any more.
    A date where "no date yet" was told is better news, not a later one."""
    if told is None:
        return False
    return now is None or now > told


#: How an audit event's detail is written: ``json.dumps(detail, default=str,
#: sort_keys=True)``, with one encoder made once (``dumps`` with options makes a new one per
#: call, and every order writes an event).
_AUDIT_JSON = json.JSONEncoder(default=str, sort_keys=True)


class _DryRun(Exception):
    """Raised inside a preview's transaction so that it rolls back."""


def _dated(
    shortages: Sequence[Shortage], priority: int, waiting: Mapping[int, int] | None = None
) -> list[Shortage]:
    """The shortages with their ETAs (all products' in one go); ``waiting``: the
    products' waiting units, when already read."""
    etas = eta.etas_for_new_shortfalls(
        {s.product_id: s.short_by for s in shortages}, priority, waiting=waiting
    )
    return [replace(s, eta=etas[s.product_id]) for s in shortages]


#: Ids per UPDATE in ``_add_per_id``: a few parameters each, well within SQLite's limit.
_UPDATE_CHUNK = 150
#: Up to this many rows, one cached statement per row beats building a CASE statement.
_ROW_BY_ROW = 8


def _add_query(model: type[BaseModel], names: tuple[str, ...], *args: int) -> Any:
    """``UPDATE model SET name = name + ? ... WHERE id = ?`` (for ``run_cached``)."""
    fields = [model._meta.fields[name] for name in names]
    changes = {field: field + amount for field, amount in zip(fields, args, strict=False)}
    return model.update(changes).where(model._meta.primary_key == args[-1])


def _add_case_query(model: type[BaseModel], names: tuple[str, ...], rows: int, *args: int) -> Any:
    """``UPDATE model SET c = c + CASE id WHEN .. THEN .. ELSE 0 END ... WHERE id IN (..)``;
    ``args``: per column, (id, amount) for each row then 0; then the ids."""
    pk = model._meta.primary_key
    changes: dict[Any, Any] = {}
    at = 0
    for name in names:
        field = model._meta.fields[name]
        pairs = args[at : at + 2 * rows]
        cases = list(zip(pairs[::2], pairs[1::2], strict=True))
        changes[field] = field + Case(pk, cases, args[at + 2 * rows])
        at += 2 * rows + 1
    return model.update(changes).where(pk.in_(list(args[at:])))


def _still_waiting_query(*ids: int) -> Any:
    """Which of these orders still have a waiting line."""
    return (
        OrderLine.select(OrderLine.order)
        .where(OrderLine.order.in_(list(ids)), OrderLine.qty_waiting > ZERO)
        .distinct()
    )


def _reach_query(*ids: int) -> Any:
    """The products' waiting lines that their available units reach, in queue order, with
    the waiting units up to and including each line (``cum``) and the units available."""
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
    ).where(OrderLine.qty_waiting > ZERO, OrderLine.product.in_(list(ids)))
    return (
        Product.select(
            queue.c.id,
            queue.c.product_id,
            queue.c.qty_waiting,
            queue.c.cum,
            Product.on_hand - Product.reserved,
        )
        .from_(queue)
        .join(Product, on=(Product.id == queue.c.product_id))
        .where(queue.c.cum - queue.c.qty_waiting < Product.on_hand - Product.reserved)
        .order_by(queue.c.product_id, queue.c.cum)
    )


def _fill_lines_query(none: int, now: datetime, *ids: int) -> Any:
    """Waiting lines served in full: everything they wait for is now reserved."""
    return OrderLine.update(
        qty_reserved=OrderLine.qty_reserved + OrderLine.qty_waiting,
        qty_waiting=none,
        fulfilled_at=now,
    ).where(OrderLine.id.in_(list(ids)))


def _filled_lines_query(*ids: int) -> Any:
    """Who the served lines belong to, for the result and the customers' messages."""
    return (
        OrderLine.select(
            OrderLine.id,
            Order.id,
            Customer.id,
            Customer.name,
            Product.id,
            Product.sku,
            Product.name,
            OrderLine.qty_reserved,
            Order.placed_at,
        )
        .join(Order)
        .join(Customer)
        .switch(OrderLine)
        .join(Product)
        .where(OrderLine.id.in_(list(ids)))
        .order_by(OrderLine.id)
    )


def _stock_query(*ids: int) -> Any:
    return Product.select(
        Product.id,
        Product.sku,
        Product.name,
        Product.price_cents,
        Product.on_hand,
        Product.reserved,
        Product.waiting,
    ).where(Product.id.in_(list(ids)))


def _customer_name_query(customer_id: int) -> Any:
    return Customer.select(Customer.id, Customer.name).where(Customer.id == customer_id)


class _ScannedProduct(NamedTuple):
    """A product as a scan finds it."""

    id: int
    sku: str
    name: str


def _product_by_barcode_query(code: str) -> Any:
    return (
        Product.select(Product.id, Product.sku, Product.name)
        .join(Barcode)
        .where(Barcode.code == code)
    )


def _product_by_sku_query(sku: str) -> Any:
    return Product.select(Product.id, Product.sku, Product.name).where(Product.sku == sku)


def _product_by_id_query(product_id: int) -> Any:
    return Product.select(Product.id, Product.sku, Product.name).where(Product.id == product_id)


def _draft_state_query(draft_id: int) -> Any:
    return Receipt.select(Receipt.status, Receipt.purchase_order).where(Receipt.id == draft_id)


def _draft_state_locked_query(draft_id: int) -> Any:
    return _draft_state_query(draft_id).for_update()


def _draft_units_query(draft_id: int, product_id: int) -> Any:
    return ReceiptLine.select(fn.SUM(ReceiptLine.qty)).where(
        ReceiptLine.receipt == draft_id, ReceiptLine.product == product_id
    )


def _outstanding_query(po_id: int, product_id: int) -> Any:
    """A product's units still to come on a purchase order (lines received in full or
    over add nothing)."""
    return PurchaseOrderLine.select(
        fn.SUM(PurchaseOrderLine.qty_ordered - PurchaseOrderLine.qty_received)
    ).where(
        PurchaseOrderLine.purchase_order == po_id,
        PurchaseOrderLine.product == product_id,
        PurchaseOrderLine.qty_ordered > PurchaseOrderLine.qty_received,
    )


class _StockRow(NamedTuple):
    """A product as placing an order reads it."""

    id: int
    sku: str
    name: str
    price_cents: int
    on_hand: int
    reserved: int
    waiting: int


def _add_per_id(model: type[BaseModel], deltas: Mapping[int, Mapping[str, int]]) -> None:
    """Add signed amounts to integer columns of many rows (``id -> {column: amount}``).

    One ``UPDATE ... SET c = c + CASE id WHEN .. THEN .. END`` per chunk of rows instead of
    one statement per row: a receipt touches thousands of products.
    """
    ids = sorted(pid for pid, changes in deltas.items() if any(changes.values()))
    if len(ids) <= _ROW_BY_ROW:
        for pid in ids:
            given = tuple(name for name, amount in deltas[pid].items() if amount)
            plan = _ADD_PLANS.get((model, given))
            if plan is None:
                plan = _ADD_PLANS[model, given] = _add_plan(model, given)
            key, build, columns = plan
            run_cached(key, build, *[deltas[pid][name] for name in columns], pid)
        return
    names = tuple(sorted({name for pid in ids for name, amount in deltas[pid].items() if amount}))
    names = tuple(sorted(names, key=model._meta.sorted_field_names.index))
    for part in eta.chunks(ids, _UPDATE_CHUNK):
        # Every id in every CASE (adding 0 where nothing changes), so that the statement's
        # text depends only on the number of rows and can be cached.
        args: list[int] = []
        for name in names:
            for pid in part:
                args += [pid, deltas[pid].get(name, 0)]
            args.append(0)
        run_cached(
            f"add_per_id {model._meta.table_name} {' '.join(names)} case",
            functools.partial(_add_case_query, model, names, len(part)),
            *args,
            *part,
        )


def _add_plan(
    model: type[BaseModel], given: tuple[str, ...]
) -> tuple[str, Callable[..., Any], tuple[str, ...]]:
    """For ``_add_per_id``, one row: the cache key, the query builder and the columns in
    the model's order (so one statement text serves every order of the same names)."""
    columns = tuple(sorted(given, key=model._meta.sorted_field_names.index))
    key = f"add_per_id {model._meta.table_name} {' '.join(columns)}"
    return key, functools.partial(_add_query, model, columns), columns


#: ``_add_per_id``'s plans by model and the columns as given.
_ADD_PLANS: dict[
    tuple[type[BaseModel], tuple[str, ...]], tuple[str, Callable[..., Any], tuple[str, ...]]
] = {}

#: Keys per IN (...) list when importing: well within SQLite's parameter limit.
_IMPORT_CHUNK = 500


class _KnownProduct(NamedTuple):
    """A product an import updates, as it was before."""

    id: int
    sku: str
    name: str
    price_cents: int
    on_hand: int
    reserved: int


def _slices(items: Sequence[str], size: int = _IMPORT_CHUNK) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _import_codes(row: ImportRow) -> list[Any]:
    """The row's valid barcodes, each once (``check_row`` reports the invalid ones)."""
    codes: dict[str, Any] = {}
    for display in row.barcodes:
        try:
            code = normalize_barcode(display)
        except UserError:
            continue
        codes.setdefault(code.key, code)
    return list(codes.values())


def _shared_codes(per_code: Sequence[tuple[int, str, str, str]]) -> dict[str, list[int]]:
    """Barcode keys that rows of different SKUs carry -> those rows."""
    rows: dict[str, list[int]] = defaultdict(list)
    skus: dict[str, set[str]] = defaultdict(set)
    for index, key, _display, sku in per_code:
        rows[key].append(index)
        skus[key].add(sku)
    return {key: indexes for key, indexes in rows.items() if len(skus[key]) > 1}


def _set_per_id(model: type[BaseModel], values: Mapping[int, Mapping[str, Any]]) -> None:
    """Set columns of many rows to values of their own (``id -> {column: value}``): one
    ``UPDATE ... SET c = CASE id WHEN .. THEN .. ELSE c END`` per chunk of rows that change
    the same columns, instead of one statement per row."""
    pk = model._meta.primary_key
    groups: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for row_id, change in values.items():
        if change:
            groups[tuple(sorted(change))].append(row_id)
    for names, ids in groups.items():
        for part in eta.chunks(sorted(ids), _UPDATE_CHUNK):
            fields = [model._meta.fields[name] for name in names]
            update = {
                column: Case(pk, [(row_id, values[row_id][column.name]) for row_id in part], column)
                for column in fields
            }
            model.update(update).where(pk.in_(list(part))).execute()


def _as_datetime(raw: Any) -> datetime:
    """A timestamp from a raw row: PostgreSQL's driver gives a ``datetime``, SQLite the
    ISO text peewee wrote (``fromisoformat`` reads it many times faster than peewee's
    format-guessing, which matters for a receipt that serves thousands of lines)."""
    return raw if isinstance(raw, datetime) else datetime.fromisoformat(raw)


def _got_worse(seen: Sequence[Shortage], now: Sequence[Shortage]) -> bool:
    """True when some line can take less today than the customer was told."""
    told = {s.product_id: s.available for s in seen}
    return any(s.product_id not in told or s.available < told[s.product_id] for s in now)


def _merge(items: Sequence[OrderItem]) -> dict[int, int]:
    """Quantities per product, in first-seen order; each must be a valid quantity."""
    merged: dict[int, int] = {}
    for item in items:
        qty = parse_quantity(item.qty)
        merged[item.product_id] = merged.get(item.product_id, 0) + qty
        if merged[item.product_id] > MAX_QTY:
            raise UserError(f"Too many units of one product (at most {MAX_QTY:,}).", field="qty")
    return merged
