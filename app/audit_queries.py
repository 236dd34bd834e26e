"""Read-only views of the audit log: who did what and when, filtered and paged in SQL.

Every write the controller makes leaves one ``AuditEvent`` (time, staff member, action such
as ``order.place``, the thing changed, and a JSON detail). This module lists them newest
first, a page at a time, filtered by staff member, kind of action, a text search and a
range of local dates, and says what each one changed in words (``describe``). Nothing here
writes: the log cannot be edited from the app.

The search matches the action (its name or its label, "stock adjusted"), the staff
member's name, the JSON detail (SKUs, reasons, names as written there) and, for a number,
the id of the thing changed (order 123).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from peewee import Expression

from app.errors import UserError
from app.models import (
    AuditEvent,
    Customer,
    OrderLine,
    Product,
    Staff,
    Supplier,
)
from app.validation import search_text

#: Kinds of action, by the prefix of ``AuditEvent.action``, in the order a filter offers them.
ACTION_KINDS: dict[str, str] = {
    "order": "Orders",
    "line": "Backorder lines",
    "receipt": "Receiving",
    "stock": "Stock adjustments",
    "po": "Purchase orders",
    "product": "Products",
    "customer": "Customers",
    "supplier": "Suppliers",
    "message": "Customer messages",
    "staff": "Staff",
    "import": "Imports",
    "settings": "Settings",
    "backup": "Backups",
}

#: Actions a kind shows besides those named by its prefix: a product's own import event is
#: about the product (kind "Products") and part of an import (kind "Imports").
KIND_EXTRA_ACTIONS: dict[str, tuple[str, ...]] = {
    "import": ("product.import",),
}

#: Each known action as a short label for the log's "Action" column.
ACTION_LABELS: dict[str, str] = {
    "order.place": "Order placed",
    "order.ship": "Order shipped",
    "line.cancel": "Line cancelled",
    "line.priority": "Priority changed",
    "line.eta_later": "Date moved later",
    "receipt.commit": "Goods received",
    "receipt.draft_open": "Receiving started",
    "receipt.undo": "Scan undone",
    "receipt.set_quantity": "Count corrected",
    "receipt.set_po": "Receipt's PO changed",
    "receipt.discard": "Receiving discarded",
    "stock.adjust": "Stock adjusted",
    "po.add": "PO booked",
    "po.draft": "PO drafted",
    "po.update": "PO changed",
    "po.delay": "PO delayed",
    "po.confirm": "PO confirmed",
    "product.add": "Product added",
    "product.update": "Product changed",
    "product.barcode": "Barcode added",
    "customer.add": "Customer added",
    "customer.update": "Customer changed",
    "supplier.add": "Supplier added",
    "message.told": "Customer told",
    "message.resend": "Message resent",
    "staff.add": "Staff added",
    "staff.role": "Role changed",
    "staff.password": "Password set",
    "staff.enable": "Account enabled",
    "staff.disable": "Account disabled",
    "import.products": "Products imported",
    "product.import": "Product imported",
    "settings.shop": "Shop details changed",
    "settings.mail": "Mail server changed",
    "settings.backup_keep": "Backups kept changed",
    "backup.make": "Backup made",
    "backup.restore": "Store restored",
}

#: Longest "what changed" text; a huge receipt is summarised, never listed in full.
MAX_SUMMARY = 300


@dataclass(frozen=True)
class AuditFilter:
    """Which events to list; every part is optional.

    Attributes:
        staff_id: only this staff member's events.
        kind: an action prefix from ``ACTION_KINDS`` (``"order"``) or one exact action
            (``"order.place"``).
        search: text to find (see the module docstring).
        since: first local day to include.
        until: last local day to include.
    """

    staff_id: int | None = None
    kind: str | None = None
    search: str = ""
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True, slots=True)
class AuditRow:
    """One event as listed: when, who, what, and what changed in words.

    The list may hold every event of a long log (130,000 after scrolling to the end). Each
    row is therefore one object of plain values, the detail kept as its JSON text and read
    on demand: Python's full garbage collection visits every container, and three per row
    (the row, its attribute dict, the detail dict) made it freeze the window for ~175 ms.
    """

    event_id: int
    at: datetime
    staff_id: int
    staff: str
    action: str
    entity: str
    entity_id: int | None
    detail_json: str = field(default="{}", compare=False, repr=False)
    subject: str = ""
    summary: str = ""

    @property
    def detail(self) -> dict[str, Any]:
        """What the event recorded (SKUs, quantities, reasons), as written."""
        return _load(self.detail_json)

    @property
    def action_label(self) -> str:
        return action_label(self.action)

    @property
    def order_id(self) -> int | None:
        """The order the event is about (itself, or the order of the line it names)."""
        if self.entity == "order":
            return self.entity_id
        named = self.detail.get("order")
        return named if isinstance(named, int) and not isinstance(named, bool) else None


@dataclass(frozen=True)
class StaffChoice:
    """A staff member the log can be filtered by."""

    staff_id: int
    name: str
    role: str
    active: bool

    def label(self) -> str:
        return self.name if self.active else f"{self.name} (disabled)"


def action_label(action: str) -> str:
    """The action as a short label ("Order placed"); unknown ones in plain words."""
    known = ACTION_LABELS.get(action)
    if known:
        return known
    return _first_upper(action.replace("_", " ").replace(".", " ").strip())


def utc_bounds(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    """Local days as the UTC range the store's timestamps are compared with:
    ``[start of since, start of the day after until)``, naive UTC like the store."""

    def start_of(day: date) -> datetime:
        local = datetime.combine(day, time()).astimezone()  # this computer's zone
        return local.astimezone(UTC).replace(tzinfo=None)

    low = start_of(since) if since is not None else None
    high = start_of(until + timedelta(days=1)) if until is not None else None
    return low, high


def check_filter(audit_filter: AuditFilter) -> None:
    """Refuse a filter that can match nothing by mistake (dates the wrong way round)."""
    since, until = audit_filter.since, audit_filter.until
    if since is not None and until is not None and since > until:
        raise UserError(
            f"The 'from' date {since.isoformat()} is after the 'to' date "
            f"{until.isoformat()}: swap them.",
            field="until",
        )


#: A staff member with at least this many events is filtered while walking the log in time
#: order; one with fewer is read through the staff index and sorted (see ``_staff_clause``).
BUSY_STAFF = 2000


def _staff_clause(staff_id: int) -> Expression:
    """``staff = ?``, written so the database takes the quicker way to a newest-first page.

    Through the staff index, a page costs sorting all of that person's events: instant for
    a few hundred, a noticeable pause for the one manager who did everything. Walking the
    time index costs reading past other people's events: nothing for a busy person, the
    whole log for a rare one. An index-only count, stopped at ``BUSY_STAFF``, tells which;
    ``staff + 0`` is plain SQL that no index answers, so the time index drives.
    """
    seen = (
        AuditEvent.select(AuditEvent.id)
        .where(AuditEvent.staff == staff_id)
        .limit(BUSY_STAFF)
        .count()
    )
    if seen >= BUSY_STAFF:
        return (AuditEvent.staff + 0) == staff_id
    return AuditEvent.staff == staff_id


def _where(audit_filter: AuditFilter) -> Expression | None:
    check_filter(audit_filter)
    clauses: list[Expression] = []
    if audit_filter.staff_id is not None:
        clauses.append(_staff_clause(audit_filter.staff_id))
    kind = (audit_filter.kind or "").strip()
    if kind:
        if "." in kind:
            clauses.append(AuditEvent.action == kind)
        else:
            clause = AuditEvent.action.startswith(kind + ".")
            extra = KIND_EXTRA_ACTIONS.get(kind)
            if extra:
                clause = clause | AuditEvent.action.in_(list(extra))
            clauses.append(clause)
    low, high = utc_bounds(audit_filter.since, audit_filter.until)
    if low is not None:
        clauses.append(AuditEvent.at >= low)
    if high is not None:
        clauses.append(AuditEvent.at < high)
    text = search_text(audit_filter.search)
    if text:
        # Actions and staff are few: which of them match is worked out here, so the
        # database compares text in one column per event (the detail) instead of three.
        found = AuditEvent.detail.contains(text)
        actions = _matching_actions(text)
        if actions:
            found = found | AuditEvent.action.in_(actions)
        people = _matching_staff(text)
        if people:
            found = found | AuditEvent.staff.in_(people)
        # The detail is JSON written with ASCII escapes: "Müller" is stored "M\u00fcller".
        escaped = json.dumps(text)[1:-1]
        if escaped != text:
            found = found | AuditEvent.detail.contains(escaped)
        number = text.lstrip("#")
        if number.isdecimal() and len(number) <= 12:
            found = found | (AuditEvent.entity_id == int(number))
        clauses.append(found)
    if not clauses:
        return None
    combined = clauses[0]
    for clause in clauses[1:]:
        combined = combined & clause
    return combined


def _matching_actions(text: str) -> list[str]:
    """Known actions whose name or label holds ``text`` ("adjust", "Stock adjusted")."""
    wanted = text.casefold()
    return sorted(
        action
        for action, label in ACTION_LABELS.items()
        if wanted in action.casefold() or wanted in label.casefold()
    )


def _matching_staff(text: str) -> list[int]:
    """Staff members whose name holds ``text``."""
    return [int(sid) for (sid,) in Staff.select(Staff.id).where(Staff.name.contains(text)).tuples()]


def _base(select: Iterable[Any], audit_filter: AuditFilter) -> Any:
    query = AuditEvent.select(*select).join(Staff, on=(AuditEvent.staff == Staff.id))
    where = _where(audit_filter)
    return query if where is None else query.where(where)


#: A text search counts its matches up to here and is then "more than" this many: the
#: search reads the JSON detail of every event it counts, and past this the exact figure
#: is not worth the wait (130,000 events: a common word took ~30 ms to count, capped ~3 ms).
SEARCH_COUNT_CAP = 10_000


def count_events(audit_filter: AuditFilter | None = None, *, cap: int | None = None) -> int:
    """How many events match the filter; with ``cap``, at most ``cap + 1`` (more than cap)."""
    query = _base([AuditEvent.id], audit_filter or AuditFilter())
    if cap is not None:
        query = query.limit(cap + 1)
    return int(query.count())


def events(
    audit_filter: AuditFilter | None = None,
    *,
    offset: int = 0,
    limit: int = 200,
    after: AuditRow | None = None,
    oldest_first: bool = False,
) -> list[AuditRow]:
    """A page of events matching the filter, newest first (or oldest first).

    ``after``: the last row already shown; the page continues after it instead of skipping
    ``offset`` rows, which stays quick deep into a long log.
    """
    query = _base(
        [
            AuditEvent.id,
            AuditEvent.at,
            AuditEvent.staff,
            Staff.name,
            AuditEvent.action,
            AuditEvent.entity,
            AuditEvent.entity_id,
            AuditEvent.detail,
        ],
        audit_filter or AuditFilter(),
    )
    if after is not None:
        if oldest_first:
            beyond = (AuditEvent.at > after.at) | (
                (AuditEvent.at == after.at) & (AuditEvent.id > after.event_id)
            )
        else:
            beyond = (AuditEvent.at < after.at) | (
                (AuditEvent.at == after.at) & (AuditEvent.id < after.event_id)
            )
        query = query.where(beyond)
    elif offset:
        query = query.offset(offset)
    if oldest_first:
        query = query.order_by(AuditEvent.at, AuditEvent.id)
    else:
        query = query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    raw = list(query.limit(limit).tuples())
    details = [_load(row[7]) for row in raw]
    names = _Names.for_page(
        [(row[5], row[6], detail) for row, detail in zip(raw, details, strict=True)]
    )
    return [
        AuditRow(
            event_id=int(event_id),
            at=at,
            staff_id=int(staff_id),
            staff=str(staff_name),
            action=str(action),
            entity=str(entity),
            entity_id=entity_id,
            detail_json=str(raw_detail or "{}"),
            subject=names.subject(str(entity), entity_id),
            summary=_clip(describe(str(action), str(entity), entity_id, detail, names)),
        )
        for (
            event_id,
            at,
            staff_id,
            staff_name,
            action,
            entity,
            entity_id,
            raw_detail,
        ), detail in zip(raw, details, strict=True)
    ]


def staff_choices() -> list[StaffChoice]:
    """Everyone the log can name, by name (the staff table is small)."""
    return [
        StaffChoice(int(sid), str(name), str(role), bool(active))
        for sid, name, role, active in Staff.select(Staff.id, Staff.name, Staff.role, Staff.active)
        .order_by(Staff.name)
        .tuples()
    ]


# ------------------------------------------------------------------ in words


@dataclass
class _Names:
    """Names of the things a page of events is about, read with one query per kind."""

    products: dict[int, str] = field(default_factory=dict)
    customers: dict[int, str] = field(default_factory=dict)
    suppliers: dict[int, str] = field(default_factory=dict)
    staff: dict[int, str] = field(default_factory=dict)
    lines: dict[int, tuple[int, str]] = field(default_factory=dict)

    @classmethod
    def for_page(cls, items: Sequence[tuple[str, int | None, dict[str, Any]]]) -> _Names:
        wanted: dict[str, set[int]] = {
            "product": set(),
            "customer": set(),
            "supplier": set(),
            "staff": set(),
            "order_line": set(),
        }
        for entity, entity_id, detail in items:
            if entity in wanted and entity_id is not None:
                wanted[entity].add(int(entity_id))
            for key, kind in (("customer", "customer"), ("supplier", "supplier")):
                value = detail.get(key)
                if isinstance(value, int) and not isinstance(value, bool):
                    wanted[kind].add(value)
        names = cls()
        names.products = _lookup(Product.id, Product.sku, wanted["product"])
        names.customers = _lookup(Customer.id, Customer.name, wanted["customer"])
        names.suppliers = _lookup(Supplier.id, Supplier.name, wanted["supplier"])
        names.staff = _lookup(Staff.id, Staff.name, wanted["staff"])
        if wanted["order_line"]:
            names.lines = {
                int(line_id): (int(order_id), str(sku))
                for line_id, order_id, sku in OrderLine.select(
                    OrderLine.id, OrderLine.order, Product.sku
                )
                .join(Product, on=(OrderLine.product == Product.id))
                .where(OrderLine.id.in_(sorted(wanted["order_line"])))
                .tuples()
            }
        return names

    def subject(self, entity: str, entity_id: int | None) -> str:
        """The thing changed, named as a person would ("Order 12", "Product BN-1")."""
        if entity_id is None:
            return entity.replace("_", " ").capitalize()
        if entity == "order":
            return f"Order {entity_id}"
        if entity == "order_line":
            line = self.lines.get(entity_id)
            return f"Order {line[0]}, {line[1]}" if line else f"Order line {entity_id}"
        if entity == "product":
            return f"Product {self.products.get(entity_id, entity_id)}"
        if entity == "customer":
            return f"Customer {self.customers.get(entity_id, entity_id)}"
        if entity == "supplier":
            return f"Supplier {self.suppliers.get(entity_id, entity_id)}"
        if entity == "staff":
            return f"Staff {self.staff.get(entity_id, entity_id)}"
        if entity == "purchase_order":
            return f"PO {entity_id}"
        if entity == "receipt":
            return f"Receipt {entity_id}"
        return f"{entity.replace('_', ' ').capitalize()} {entity_id}"

    def customer(self, value: Any) -> str:
        if isinstance(value, int) and value in self.customers:
            return self.customers[value]
        return f"customer {value}"

    def supplier(self, value: Any) -> str:
        if isinstance(value, int) and value in self.suppliers:
            return self.suppliers[value]
        return f"supplier {value}"


def _lookup(key: Any, name: Any, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    model = key.model
    return {int(i): str(n) for i, n in model.select(key, name).where(key.in_(sorted(ids))).tuples()}


def _load(detail: str | None) -> dict[str, Any]:
    try:
        loaded = json.loads(detail or "{}")
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_SUMMARY else text[: MAX_SUMMARY - 1].rstrip() + "…"


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def _units(count: int) -> str:
    return "1 unit" if count == 1 else f"{count:,} units"


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _listing(items: Iterable[str], *, most: int = 6) -> str:
    shown = list(items)
    if len(shown) <= most:
        return ", ".join(shown)
    return ", ".join(shown[:most]) + f" and {len(shown) - most} more"


def _sku_counts(value: Any) -> str:
    """{"BN-1": 3, ...} as "BN-1 × 3, ..." (a few, then how many more)."""
    if not isinstance(value, dict):
        return ""
    return _listing(f"{sku} × {qty}" for sku, qty in value.items())


def _place(detail: dict[str, Any], names: _Names) -> str:
    lines = detail.get("lines") or []
    totals = {
        key: sum(_int(line.get(key)) for line in lines if isinstance(line, dict))
        for key in ("ordered", "reserved", "waiting", "cancelled")
    }
    text = f"For {names.customer(detail.get('customer'))}: {len(lines)} line"
    text += "" if len(lines) == 1 else "s"
    text += f", {_units(totals['ordered'])}"
    parts = [
        f"{totals[key]:,} {key}" for key in ("reserved", "waiting", "cancelled") if totals[key]
    ]
    if parts:
        text += " (" + ", ".join(parts) + ")"
    decisions = detail.get("decisions") or {}
    if isinstance(decisions, dict) and decisions:
        waits = sorted(sku for sku, d in decisions.items() if d == "wait")
        cancels = sorted(sku for sku, d in decisions.items() if d != "wait")
        chosen = []
        if waits:
            chosen.append("waits for " + _listing(waits, most=4))
        if cancels:
            chosen.append("cancelled " + _listing(cancels, most=4))
        text += "; customer " + " and ".join(chosen)
    return text


def _changes(detail: dict[str, Any], skip: Sequence[str] = ()) -> str:
    """A generic "key: value" account, for actions without their own sentence."""
    parts = []
    for key, value in detail.items():
        if key in skip or value in (None, "", [], {}):
            continue
        words = key.replace("_", " ")
        if isinstance(value, list) and len(value) == 2 and not isinstance(value[0], dict):
            parts.append(f"{words} {value[0]} → {value[1]}")
        elif isinstance(value, dict):
            parts.append(f"{words}: {_listing(f'{k} {v}' for k, v in value.items())}")
        elif isinstance(value, list):
            parts.append(f"{words}: {_listing(str(v) for v in value)}")
        elif isinstance(value, bool):
            parts.append(words if value else f"not {words}")
        else:
            parts.append(f"{words}: {value}")
    return "; ".join(parts)


def _po_lines(value: Any) -> str:
    if isinstance(value, int):
        return f"{value} line{'s' if value != 1 else ''}"
    if isinstance(value, dict):
        # sku -> [old quantity, new quantity]; 0 means added or removed.
        return "lines " + _listing(
            f"{sku} {pair[0]} → {pair[1]}" if isinstance(pair, list) and len(pair) == 2 else sku
            for sku, pair in value.items()
        )
    return ""


def _describe_receipt_commit(detail: dict[str, Any], names: _Names) -> str:
    lines = detail.get("lines") or {}
    units = sum(_int(q) for q in lines.values()) if isinstance(lines, dict) else 0
    count = len(lines) if isinstance(lines, dict) else 0
    text = f"{_units(units)} of {count} product{'s' if count != 1 else ''}"
    if count and count <= 4:
        text += f" ({_sku_counts(lines)})"
    po = detail.get("purchase_order")
    if po:
        text += f" against PO {po}"
    filled = detail.get("fulfilled") or []
    if filled:
        text += f"; {len(filled):,} waiting line{'s' if len(filled) != 1 else ''} filled"
    return text


def _describe_stock(detail: dict[str, Any], names: _Names) -> str:
    delta = _int(detail.get("delta"))
    reason = str(detail.get("reason") or "").strip()
    text = f"Added {_units(delta)}" if delta > 0 else f"Took {_units(-delta)} off"
    return text + (f"; reason: {reason}" if reason else "")


def _describe_cancel(detail: dict[str, Any], names: _Names) -> str:
    waiting, released = _int(detail.get("waiting")), _int(detail.get("released"))
    parts = [f"{waiting} waiting"] if waiting else []
    if released:
        parts.append(f"{released} reserved put back on the shelf")
    text = f"Cancelled {_units(waiting + released)}"
    if parts:
        text += " (" + ", ".join(parts) + ")"
    reason = str(detail.get("reason") or "").strip()
    return text + (f"; reason: {reason}" if reason else "")


def _describe_ship(detail: dict[str, Any], names: _Names) -> str:
    shipped = detail.get("lines") or {}
    total = sum(_int(v) for v in shipped.values()) if isinstance(shipped, dict) else 0
    count = len(shipped) if isinstance(shipped, dict) else 0
    return f"Handed over {_units(total)} from {count} line{'s' if count != 1 else ''}"


def _describe_po(detail: dict[str, Any], names: _Names) -> str:
    text = f"To {names.supplier(detail.get('supplier'))}, expected {detail.get('expected')}"
    lines = _po_lines(detail.get("lines"))
    return text + (f", {lines}" if lines else "")


def _describe_po_update(detail: dict[str, Any], names: _Names) -> str:
    parts = []
    expected = detail.get("expected")
    if isinstance(expected, list) and len(expected) == 2:
        parts.append(f"expected {expected[0]} → {expected[1]}")
    if detail.get("note"):
        parts.append(f"note: {detail['note']}")
    lines = _po_lines(detail.get("lines"))
    if lines:
        parts.append(lines)
    if detail.get("closed"):
        parts.append("closed (everything received)")
    if detail.get("customers_told"):
        parts.append(f"{detail['customers_told']} customer(s) told of later dates")
    return _first_upper("; ".join(parts)) if parts else "No change"


def _describe_delay(detail: dict[str, Any], names: _Names) -> str:
    text = f"Expected {detail.get('old')} → {detail.get('new')}"
    lines, told = _int(detail.get("lines_later")), _int(detail.get("customers_told"))
    if lines:
        text += f"; {lines} waiting line{'s' if lines != 1 else ''} now later"
    if told:
        text += f", {told} customer{'s' if told != 1 else ''} told"
    return text


def _describe_message(action: str, detail: dict[str, Any]) -> str:
    subject = str(detail.get("subject") or "a message")
    if action == "message.resend":
        return f"“{subject}” put back in the outbox to go again by e-mail"
    how = {"phone": "by phone", "in person": "in person", "printed": "on paper"}
    via = str(detail.get("via") or "")
    return f"Told {how.get(via, via)}: “{subject}”"


def _describe_product(detail: dict[str, Any], names: _Names) -> str:
    text = f"“{detail.get('name', '')}”"  # the SKU is in the subject
    codes = detail.get("barcodes") or []
    if codes:
        text += f", barcode{'s' if len(codes) != 1 else ''} {_listing(str(c) for c in codes)}"
    return text


def _describe_product_update(detail: dict[str, Any], names: _Names) -> str:
    parts = []
    for key, value in detail.items():
        if key == "price_cents":
            cents = _int(value)
            parts.append(f"price {cents // 100}.{cents % 100:02d}")
        elif key == "reorder_point":
            parts.append(f"reorder point {value}")
        else:
            parts.append(f"{key.replace('_', ' ')} “{value}”")
    return "New " + ", ".join(parts) if parts else "No change"


def _describe_import(detail: dict[str, Any], names: _Names) -> str:
    parts = [
        f"{_int(detail.get(key)):,} {word}"
        for key, word in (
            ("created", "new"),
            ("updated", "updated"),
            ("unchanged", "unchanged"),
            ("refused", "refused"),
        )
        if _int(detail.get(key))
    ]
    text = f"From {detail.get('file') or 'a file'}: " + (", ".join(parts) or "nothing")
    moved = [
        f"{_units(_int(detail.get(key)))} {word}"
        for key, word in (("units_in", "in"), ("units_out", "out"))
        if _int(detail.get(key))
    ]
    return text + (f"; stock {', '.join(moved)}" if moved else "")


def _describe_product_import(detail: dict[str, Any], names: _Names) -> str:
    source = f" from {detail['file']}" if detail.get("file") else ""
    if detail.get("created"):
        text = f"New “{detail.get('name', '')}”{source}"
        if _int(detail.get("on_hand")):
            text += f", {_units(_int(detail.get('on_hand')))} in stock"
    else:
        changed = {
            key: value
            for key, value in detail.items()
            if key in ("name", "price_cents", "barcodes", "delta")
        }
        parts = []
        if "name" in changed:
            parts.append(f"name “{changed['name']}”")
        if "price_cents" in changed:
            cents = _int(changed["price_cents"])
            parts.append(f"price {cents // 100}.{cents % 100:02d}")
        if "delta" in changed:
            parts.append(f"stock {_int(changed['delta']):+,}")
        text = "Updated" + source + (": " + ", ".join(parts) if parts else "")
    codes = detail.get("barcodes") or []
    if codes:
        text += f", barcode{'s' if len(codes) != 1 else ''} {_listing(str(c) for c in codes)}"
    return text


def _settings_changes(detail: dict[str, Any]) -> str:
    """Settings as ``{"name": [old, new], ...}`` plus flags (a new password was given),
    in words; a password itself is never in the detail nor said."""
    flags = {"new_password": "a new password", "password_forgotten": "password forgotten"}
    parts = []
    for key, value in detail.items():
        words = key.replace("_", " ")
        if key in flags:
            if value is True:
                parts.append(flags[key])
        elif "password" in key:
            continue
        elif isinstance(value, list) and len(value) == 2:
            old, new = (" ".join(str(v or "").split()) for v in value)
            if not old:
                parts.append(f"{words} “{new}”")
            elif not new:
                parts.append(f"{words} removed (was “{old}”)")
            else:
                parts.append(f"{words} “{old}” → “{new}”")
    return _first_upper("; ".join(parts)) if parts else "No change"


def _describe_restore(detail: dict[str, Any], names: _Names) -> str:
    text = f"From {detail.get('source')}"
    if detail.get("taken_at"):
        text += f" (taken {detail['taken_at']} UTC)"
    if detail.get("safety"):
        text += f"; the store as it was is backed up at {detail['safety']}"
    return text


_DESCRIBERS: dict[str, Callable[[dict[str, Any], _Names], str]] = {
    "order.place": _place,
    "order.ship": _describe_ship,
    "line.cancel": _describe_cancel,
    "line.priority": lambda d, n: f"Queue priority {d.get('old')} → {d.get('new')}",
    "line.eta_later": lambda d, n: (
        f"Expected {d.get('old') or 'undated'} → {d.get('new') or 'undated'}; the customer is told"
    ),
    "receipt.commit": _describe_receipt_commit,
    "receipt.draft_open": lambda d, n: (
        f"Against PO {d['purchase_order']}"
        if d.get("purchase_order")
        else "Without a purchase order"
    ),
    "receipt.undo": lambda d, n: (
        f"Took back the last scan: {d.get('sku')} × {d.get('qty')}, {d.get('left')} left"
    ),
    "receipt.set_quantity": lambda d, n: f"{d.get('sku')}: {d.get('old')} → {d.get('new')}",
    "receipt.set_po": lambda d, n: f"PO {d.get('old') or 'none'} → {d.get('new') or 'none'}",
    "receipt.discard": lambda d, n: (
        "Nothing received; scans dropped: " + (_sku_counts(d.get("lines")) or "none")
    ),
    "stock.adjust": _describe_stock,
    "po.add": _describe_po,
    "po.draft": _describe_po,
    "po.update": _describe_po_update,
    "po.delay": _describe_delay,
    "po.confirm": lambda d, n: f"Draft confirmed, expected {d.get('expected')}",
    "product.add": _describe_product,
    "product.update": _describe_product_update,
    "product.barcode": lambda d, n: f"Barcode {d.get('barcode')}",
    "customer.add": lambda d, n: f"“{d.get('name', '')}”",
    "customer.update": lambda d, n: f"Contact details of “{d.get('name', '')}”",
    "supplier.add": lambda d, n: f"“{d.get('name', '')}”",
    "staff.add": lambda d, n: f"{d.get('name')} as {d.get('role')}",
    "staff.role": lambda d, n: f"{d.get('name')}: {d.get('old')} → {d.get('new')}",
    # The event holds no password, hashed or not; only that one was set.
    "staff.password": lambda d, n: f"A new password for {d.get('name')}",
    "staff.enable": lambda d, n: f"{d.get('name')} can sign in again",
    "staff.disable": lambda d, n: f"{d.get('name')} can no longer sign in; their history stays",
    "import.products": _describe_import,
    "product.import": _describe_product_import,
    "settings.shop": lambda d, n: _settings_changes(d),
    "settings.mail": lambda d, n: _settings_changes(d),
    "settings.backup_keep": lambda d, n: f"Keep the newest {d.get('old')} → {d.get('new')} backups",
    "backup.make": lambda d, n: f"To {d.get('path')}",
    "backup.restore": _describe_restore,
}


def describe(
    action: str,
    entity: str,
    entity_id: int | None,
    detail: dict[str, Any],
    names: _Names | None = None,
) -> str:
    """What an event changed, in words (without who and when)."""
    known = names or _Names()
    if action.startswith("message."):
        return _describe_message(action, detail)
    describer = _DESCRIBERS.get(action)
    try:
        if describer is not None:
            return describer(detail, known)
    except (AttributeError, TypeError, ValueError, KeyError):
        pass  # an older or odd detail: fall back to listing what it holds
    # Never a secret: the engine keeps password hashes out of the log, but a detail is
    # listed only by its non-secret keys all the same.
    return _first_upper(_changes(detail, skip=("password", "password_hash", "hash")))
