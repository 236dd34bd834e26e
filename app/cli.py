"""The command line: ``python main.py <command> ...`` works headless over the controller.

Every command takes ``--db`` (a SQLite path or a database URL; else ``BACKORDER_DESK_DB``;
else the default store), ``--json`` (exactly one JSON document on stdout) and ``--staff``
(who acts; else the store's first active manager), before or after the command name.

Staff: the roles' rules are the windows' (``app.staff``); a refused command exits 2 naming
the role needed. An account with a password gives it in ``BACKORDER_DESK_PASSWORD``, or is
asked for it on a terminal. Once a store has more than one active account, commands that
change something need ``--staff``. New passwords (``staff add``, ``staff password``) come
from ``BACKORDER_DESK_NEW_PASSWORD``, or are asked for twice on a terminal.

Exit codes:

* 0 - done;
* 1 - ``check`` found a broken invariant; ``import`` refused some rows (listed; the good
  rows are imported);
* 2 - bad input or an unusable store: one line on stderr, nothing written;
* 3 - ``order add`` met a shortage and was given no ``--on-short`` decision: the shortages
  are shown, nothing written.

Input is parsed before the store is opened, so a typo never creates or touches a store.
Commands that make several controller calls run them in one write transaction, so a
refusal half-way leaves nothing behind.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any, NoReturn, TextIO

from peewee import JOIN, OperationalError, fn

from app import backups, eta, export, purchasing, queries
from app import staff as accounts
from app.backorder_view import BackorderFilter
from app.check import run_checks
from app.clock import to_local, utcnow
from app.controller import Allocation, Controller, Decision, FilledLine, OrderItem, Shortage
from app.errors import DamagedStore, ShortageDecisionNeeded, StoreError, UserError
from app.models import Customer, Order, Product, PurchaseOrder, PurchaseOrderLine, Staff, Supplier
from app.order_queries import OrderStatus
from app.store import Store, open_store
from app.validation import (
    MAX_QTY,
    clean_text,
    fold,
    format_cents,
    parse_date,
    parse_email,
    parse_price,
    parse_priority,
    parse_quantity,
    search_key,
    shown,
)

PROG = "backorder-desk"

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_BAD_INPUT = 2
EXIT_SHORTAGE = 3
EXIT_INTERRUPTED = 130

#: Top-level command names; ``main.py`` runs the command line when one of them is given.
COMMANDS: frozenset[str] = frozenset(
    {
        "product",
        "customer",
        "order",
        "receive",
        "backorders",
        "backorder",
        "ship",
        "po",
        "stock",
        "check",
        "demo",
        "backup",
        "restore",
        "backups",
        "reorder",
        "export",
        "staff",
        "import",
    }
)

#: The acting staff member's password, when their account has one.
PASSWORD_ENV = "BACKORDER_DESK_PASSWORD"
#: A new password for ``staff add`` and ``staff password``.
NEW_PASSWORD_ENV = "BACKORDER_DESK_NEW_PASSWORD"

#: Rows fetched per query when listing, so a big store is never loaded whole.
PAGE = 500


class UsageError(Exception):
    """A command line that argparse could not make sense of (exit 2)."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and is returned as exit 2, not printed
    with the whole usage block and ``sys.exit``."""

    def error(self, message: str) -> NoReturn:
        where = self.prog.removeprefix(PROG).strip()
        hint = f"{where} --help" if where else "--help"
        # argparse quotes the offending argument whole and, for unrecognised ones, raw:
        # escape control characters (no terminal escapes) and cut a huge one short.
        text = " ".join(message.split())
        text = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
        if len(text) > 300:
            text = f"{text[:120]} … {text[-150:]}"
        raise UsageError(f"{text} (see {hint})")

    def _get_values(self, action: argparse.Action, arg_strings: list[str]) -> Any:
        # Python 3.11's argparse drops an option value of exactly "--" (--note=--) and
        # hands the command an empty list where a string belongs: take it as written.
        if action.option_strings and action.nargs is None and arg_strings == ["--"]:
            value = self._get_value(action, "--")
            self._check_value(action, value)
            return value
        return super()._get_values(action, arg_strings)


# ------------------------------------------------------------------- output


@dataclass
class Output:
    """Where results go: human text, or one JSON document, on stdout; problems on stderr.

    Attributes:
        as_json: print JSON documents instead of text.
    """

    as_json: bool = False

    @property
    def stdout(self) -> TextIO:
        # Looked up at each call, so pytest's capsys (which swaps sys.stdout) sees it.
        return sys.stdout

    def say(self, text: str = "") -> None:
        print(text, file=self.stdout)

    def document(self, doc: Any) -> None:
        json.dump(doc, self.stdout, indent=2, ensure_ascii=False, default=str)
        self.stdout.write("\n")

    def warn(self, text: str) -> None:
        print(text, file=sys.stderr)

    def fail(self, message: str, *, code: int = EXIT_BAD_INPUT, **extra: Any) -> int:
        """Report a refusal: one line on stderr (and a JSON document with ``--json``)."""
        line = " ".join(message.split())
        print(f"{PROG}: error: {line}", file=sys.stderr)
        if self.as_json:
            self.document({"error": line, **extra})
        return code


class Table:
    """A text table printed page by page with stable columns.

    The first page fixes the column widths (within ``caps``); later text that does not fit
    is shortened with an ellipsis, so a long list streams without being held in memory.
    """

    def __init__(
        self,
        out: Output,
        headers: Sequence[str],
        *,
        right: Iterable[int] = (),
        caps: dict[int, int] | None = None,
    ) -> None:
        self.out = out
        self.headers = list(headers)
        self.right = set(right)
        self.caps = caps or {}
        self.widths: list[int] | None = None
        self.rows = 0

    def page(self, rows: Sequence[Sequence[object]]) -> None:
        texts = [[_cell(value) for value in row] for row in rows]
        if self.widths is None:
            self.widths = [
                min(
                    max([len(header)] + [len(row[i]) for row in texts]),
                    self.caps.get(i, 10_000),
                )
                for i, header in enumerate(self.headers)
            ]
            self._line(self.headers)
            self._line(["-" * width for width in self.widths])
        for row in texts:
            self._line(row)
        self.rows += len(texts)

    def _line(self, cells: Sequence[str]) -> None:
        assert self.widths is not None
        parts = []
        for i, (text, width) in enumerate(zip(cells, self.widths, strict=True)):
            if i in self.right:
                parts.append(text.rjust(width))
            else:
                shown = text if len(text) <= width else text[: width - 1] + "…"
                parts.append(shown.ljust(width))
        self.out.say("  ".join(parts).rstrip())


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _day(day: date) -> str:
    """A date in a sentence: ``12 Dec``, with the year when it is not this year's."""
    text = f"{day.day} {day:%b}"
    return text if day.year == utcnow().year else f"{text} {day.year}"


def _expected(day: date | None) -> str:
    return f"expected around {_day(day)}" if day else "no delivery date yet"


def _plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else (many or word + 's')}"


class JsonList:
    """Streams ``{"<key>": [item, ...], ...}`` to stdout item by item: one JSON document,
    without holding the list in memory."""

    def __init__(self, out: Output, key: str) -> None:
        self.out = out
        self.count = 0
        out.stdout.write("{" + json.dumps(key) + ": [")

    def add(self, item: Any) -> None:
        prefix = ",\n  " if self.count else "\n  "
        self.out.stdout.write(prefix + json.dumps(item, ensure_ascii=False, default=str))
        self.count += 1

    def close(self, **tail: Any) -> None:
        end = "\n]" if self.count else "]"
        extra = "".join(f", {json.dumps(k)}: {json.dumps(v, default=str)}" for k, v in tail.items())
        self.out.stdout.write(end + extra + "}\n")


# ------------------------------------------------------------------ session


@dataclass
class Session:
    """The store and controller a command works on, opened on first use and closed by
    ``run``; commands parse their input first, so bad input never opens a store.

    Attributes:
        location: ``--db`` as given (``None``: environment or default).
        staff_name: ``--staff`` as given (``None``: the first active manager).
    """

    location: str | None = None
    staff_name: str | None = None
    #: The command changes something: with several active accounts, ``--staff`` is needed.
    writes: bool = False
    #: The ``--staff`` member's id once the store is open (``None``: the default manager).
    staff_id: int | None = None
    _opened: list[Store] = field(default_factory=list)

    #: Make the day's automatic backup on opening (off for the backup commands themselves).
    auto_backup: bool = True

    @cached_property
    def store(self) -> Store:
        try:
            store = open_store(self.location)
        except DamagedStore as damaged:
            raise StoreError(f"{damaged} {backups.restore_hint(damaged.path)}") from damaged
        self._opened.append(store)
        self.staff_id = self._staff_id()
        if self.auto_backup:
            _automatic_backup(store)
        return store

    @cached_property
    def controller(self) -> Controller:
        store = self.store
        return Controller(store, staff_id=self.staff_id)

    def _staff_id(self) -> int | None:
        if self.staff_name is None:
            if self.writes and accounts.staff_count_active() > 1:
                raise UserError(
                    "This store has several staff accounts: say who is acting with --staff NAME.",
                    field="staff",
                )
            return None
        name = self.staff_name.strip()
        found = Staff.get_or_none(fn.LOWER(Staff.name) == fold(name), Staff.active == True)  # noqa: E712
        if found is None:
            known = [
                str(row.name)
                for row in Staff.select(Staff.name)
                .where(Staff.active == True)  # noqa: E712
                .order_by(Staff.name)
                .limit(10)
            ]
            raise UserError(
                f"No active staff member is called {name!r}; use one of: {', '.join(known)}.",
                field="staff",
            )
        if found.password_hash is not None:
            password = _ask_password(f"Password for {found.name}: ", PASSWORD_ENV)
            if password is None:
                raise UserError(
                    f"{found.name} has a password: give it in {PASSWORD_ENV}, or run the "
                    "command in a terminal to be asked for it.",
                    field="password",
                )
            if not accounts.verify_password(password, found.password_hash):
                raise UserError(accounts.WRONG, field="password")
        return int(found.id)

    def close(self) -> None:
        for store in self._opened:
            store.close()
        self._opened.clear()


Handler = Callable[[argparse.Namespace, Session, Output], int]


def _automatic_backup(store: Store) -> None:
    """At most one automatic backup a day from the command line (scripts stay fast), taken
    before the command changes anything; a failure is a warning, not a refusal."""
    try:
        backups.backup_if_due(store)
    except UserError as error:
        line = " ".join(str(error).split())
        print(f"{PROG}: warning: the daily backup failed: {line}", file=sys.stderr)


def _ask_password(prompt: str, env: str) -> str | None:
    """A password from the environment, else typed at the terminal (not echoed); ``None``
    when there is neither (a script without the variable)."""
    given = os.environ.get(env)
    if given is not None:
        return given
    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass(prompt)
    return None


def _new_password(name: str) -> str:
    """A new password for ``name``, checked (length) before any store is opened."""
    given = os.environ.get(NEW_PASSWORD_ENV)
    if given is None:
        if sys.stdin is None or not sys.stdin.isatty():
            raise UserError(
                f"No new password for {name}: give it in {NEW_PASSWORD_ENV}, or run the "
                "command in a terminal to be asked for it.",
                field="password",
            )
        given = getpass.getpass(f"New password for {name}: ")
        if getpass.getpass("The same again: ") != given:
            raise UserError("The two passwords differ; nothing was changed.", field="password")
    return accounts.check_new_password(given)


# ------------------------------------------------------------ input parsing


def parse_line(text: str) -> tuple[str, int]:
    """``SKU=QTY`` (or ``BARCODE=QTY``) as a code and a valid quantity."""
    code, sep, qty = text.rpartition("=")
    code = code.strip()
    if not sep:
        raise UserError(
            f"Line {shown(text)} has no quantity: write it as SKU=QTY, such as W-1=3.",
            field="lines",
        )
    if not code:
        raise UserError(
            f"Line {shown(text)} names no product: write it as SKU=QTY, such as W-1=3.",
            field="lines",
        )
    named = code if len(code) <= 40 and code.isprintable() else shown(code)
    return code, parse_quantity(qty, what=f"Quantity for {named}")


def parse_lines(texts: Sequence[str] | None) -> list[tuple[str, int]]:
    if not texts:
        raise UserError("No lines given: add at least one --line SKU=QTY.", field="lines")
    return [parse_line(text) for text in texts]


def parse_id(text: str, *, what: str) -> int:
    """A record id the user typed (order, line, purchase order)."""
    value = str(text).strip().removeprefix("#")
    # isdecimal, not isdigit: int() refuses "²"; and no record has a 16-digit id.
    if not value.isdecimal() or len(value) > 15 or int(value) == 0:
        raise UserError(f"{what} {shown(text)} is not an id: type its number, such as 12.")
    return int(value)


def parse_count(text: str, *, what: str, minimum: int = 1) -> int:
    """A whole number from ``minimum`` up to MAX_QTY (a limit, a reorder point)."""
    value = str(text).strip()
    # A sign and digits only: int() alone would read "1_0" as 10.
    digits = value.lstrip("+-")
    if not (digits.isdecimal() and len(value) - len(digits) <= 1):
        raise UserError(f"{what} {shown(value)} is not a whole number.")
    if len(digits) > 9 or not minimum <= int(value) <= MAX_QTY:
        raise UserError(f"{what} {shown(value)} is out of range: use {minimum} to {MAX_QTY:,}.")
    return int(value)


def _items(controller: Controller, lines: Sequence[tuple[str, int]]) -> list[OrderItem]:
    return [OrderItem(int(controller.find_product(code).id), qty) for code, qty in lines]


# ---------------------------------------------------------------- products


def product_add(args: argparse.Namespace, session: Session, out: Output) -> int:
    price = parse_price(args.price) if args.price is not None else 0
    reorder = (
        parse_count(args.reorder_point, what="Reorder point", minimum=0)
        if args.reorder_point is not None
        else 0
    )
    product = session.controller.add_product(
        sku=args.sku,
        name=args.name,
        price_cents=price,
        reorder_point=reorder,
        barcodes=args.barcode or (),
    )
    figures = queries.stock_figures(int(product.id))
    if out.as_json:
        out.document(figures.as_dict())
        return EXIT_OK
    codes = f", barcodes {', '.join(figures.barcodes)}" if figures.barcodes else ""
    out.say(
        f"Product {figures.sku} added: {figures.name}, price {format_cents(figures.price_cents)}"
        f"{codes}. Stock starts at 0: receive goods or use 'stock adjust'."
    )
    return EXIT_OK


def product_list(args: argparse.Namespace, session: Session, out: Output) -> int:
    session.store  # noqa: B018 - opens the store and binds the models
    search = args.search.strip() if args.search else None

    def pages() -> Iterator[list[queries.StockFigures]]:
        offset = 0
        while True:
            page = queries.product_figures(search=search, offset=offset, limit=PAGE)
            if page:
                yield page
            if len(page) < PAGE:
                return
            offset += PAGE

    if out.as_json:
        stream = JsonList(out, "products")
        for page in pages():
            for figures in page:
                stream.add(figures.as_dict())
        stream.close(total=stream.count)
        return EXIT_OK
    headers = ["SKU", "Name", "Barcodes", "On hand", "Reserved", "Available", "Waiting", "Incoming"]
    table = Table(out, headers, right=range(3, 8), caps={0: 24, 1: 40, 2: 30})
    for page in pages():
        table.page(
            [
                (
                    f.sku,
                    f.name,
                    ", ".join(f.barcodes),
                    f.on_hand,
                    f.reserved,
                    f.available,
                    f.waiting,
                    f.incoming,
                )
                for f in page
            ]
        )
    if table.rows == 0:
        out.say(f"No product matches {search!r}." if search else "No products yet.")
    else:
        out.say(f"\n{_plural(table.rows, 'product')}.")
    return EXIT_OK


# --------------------------------------------------------------- customers


def customer_add(args: argparse.Namespace, session: Session, out: Output) -> int:
    clean_text(args.name, what="Name", max_length=200)
    parse_email(args.email)
    customer = session.controller.add_customer(name=args.name, email=args.email, phone=args.phone)
    doc = {
        "customer_id": int(customer.id),
        "name": customer.name,
        "email": customer.email,
        "phone": customer.phone,
    }
    if out.as_json:
        out.document(doc)
        return EXIT_OK
    contact = ", ".join(str(v) for v in (customer.email, customer.phone) if v)
    out.say(
        f"Customer {customer.id} added: {customer.name}" + (f" ({contact})." if contact else ".")
    )
    return EXIT_OK


def customer_list(args: argparse.Namespace, session: Session, out: Output) -> int:
    session.store  # noqa: B018 - opens the store and binds the models
    query = Customer.select(Customer.id, Customer.name, Customer.email, Customer.phone)
    search = search_key(args.search)
    if search:
        query = query.where(
            fn.LOWER(Customer.name).contains(search)
            | fn.LOWER(Customer.email).contains(search)
            | Customer.phone.contains(search)
        )
    query = query.order_by(fn.LOWER(Customer.name), Customer.id)
    stream = JsonList(out, "customers") if out.as_json else None
    table = Table(out, ["Id", "Name", "E-mail", "Phone"], right=[0], caps={1: 40, 2: 40})
    offset = 0
    while True:
        rows = list(query.offset(offset).limit(PAGE).tuples())
        if stream is not None:
            for cid, name, email, phone in rows:
                stream.add({"customer_id": cid, "name": name, "email": email, "phone": phone})
        elif rows:
            table.page(rows)
        if len(rows) < PAGE:
            break
        offset += PAGE
    if stream is not None:
        stream.close(total=stream.count)
    elif table.rows == 0:
        out.say(f"No customer matches {args.search!r}." if search else "No customers yet.")
    else:
        out.say(f"\n{_plural(table.rows, 'customer')}.")
    return EXIT_OK


# ------------------------------------------------------------------ orders


def order_add(args: argparse.Namespace, session: Session, out: Output) -> int:
    lines = parse_lines(args.line)
    priority = parse_priority(args.priority) if args.priority is not None else 0
    controller = session.controller
    customer = controller.find_customer(args.customer)
    items = _items(controller, lines)
    decisions = (
        {item.product_id: Decision(args.on_short) for item in items} if args.on_short else None
    )
    try:
        placed = controller.place_order(
            int(customer.id),
            items,
            decisions=decisions,
            priority=priority,
            note=args.note or "",
        )
    except ShortageDecisionNeeded as refused:
        return _report_shortages(out, refused)
    waiting_ids = [line.line_id for line in placed.lines if line.waiting]
    etas = eta.line_etas(waiting_ids)
    if out.as_json:
        undated = {line.line_id: line.product_id for line in placed.lines if line.waiting}
        undated = {lid: pid for lid, pid in undated.items() if etas.get(lid) is None}
        estimates = eta.lead_time_estimates(undated.values(), to_local(utcnow()).date())
        doc = placed.as_dict()
        doc["customer"] = customer.name
        for line_doc in doc["lines"]:
            day = etas.get(line_doc["line_id"])
            line_doc["eta"] = day.isoformat() if day else None
            guess = estimates.get(undated.get(line_doc["line_id"], 0))
            line_doc["eta_estimate"] = guess[0].isoformat() if guess else None
        out.document(doc)
        return EXIT_OK
    reserved = sum(line.reserved for line in placed.lines)
    waiting = sum(line.waiting for line in placed.lines)
    cancelled = sum(line.cancelled for line in placed.lines)
    parts = [f"{reserved} reserved"]
    if waiting:
        dates = {etas.get(line_id) for line_id in waiting_ids}
        when = f" ({_expected(dates.pop())})" if len(dates) == 1 else ""
        parts.append(f"{waiting} waiting{when}")
    if cancelled:
        parts.append(f"{cancelled} cancelled")
    out.say(f"Order {placed.order_id} placed for {customer.name}: {', '.join(parts)}.")
    table = Table(
        out, ["Line", "SKU", "Ordered", "Reserved", "Waiting", "Status", "ETA"], right=[0, 2, 3, 4]
    )
    table.page(
        [
            (
                line.line_id,
                line.sku,
                line.ordered,
                line.reserved,
                line.waiting,
                str(line.status),
                etas.get(line.line_id) if line.waiting else "",
            )
            for line in placed.lines
        ]
    )
    return EXIT_OK


def _report_shortages(out: Output, refused: ShortageDecisionNeeded) -> int:
    shortages: list[Shortage] = refused.shortages
    if out.as_json:
        print(f"{PROG}: error: {refused}", file=sys.stderr)
        out.document(
            {
                "error": str(refused),
                "shortages": [{**s.as_dict(), "sentence": s.sentence()} for s in shortages],
            }
        )
        return EXIT_SHORTAGE
    out.warn("Order not placed: not enough stock. Nothing was written.")
    for s in shortages:
        out.warn(f"  {s.sku} ({s.name}): asked {s.asked}, short by {s.short_by}. {s.sentence()}")
    out.warn("Ask the customer, then run again with --on-short wait or --on-short cancel.")
    return EXIT_SHORTAGE


def ship(args: argparse.Namespace, session: Session, out: Output) -> int:
    order_id = parse_id(args.order_id, what="Order")
    shipped = session.controller.ship_order(order_id)
    if out.as_json:
        out.document(
            {
                "order_id": order_id,
                "shipped": [{"line_id": s.line_id, "sku": s.sku, "qty": s.qty} for s in shipped],
            }
        )
        return EXIT_OK
    units = sum(s.qty for s in shipped)
    out.say(
        f"Order {order_id} shipped: {_plural(units, 'unit')} on {_plural(len(shipped), 'line')}."
    )
    table = Table(out, ["Line", "SKU", "Shipped"], right=[0, 2])
    table.page([(s.line_id, s.sku, s.qty) for s in shipped])
    return EXIT_OK


# ---------------------------------------------------------- stock coming in


def receive(args: argparse.Namespace, session: Session, out: Output) -> int:
    lines = parse_lines(args.line)
    po_id = parse_id(args.po, what="Purchase order") if args.po is not None else None
    controller = session.controller
    items = _items(controller, lines)
    result = controller.receive(items, purchase_order_id=po_id, note=args.note or "")
    if out.as_json:
        out.document(result.as_dict())
        return EXIT_OK
    units = sum(item.qty for item in items)
    products = len({item.product_id for item in items})
    closed = (
        f" Purchase order {po_id} is complete and closed." if result.purchase_order_closed else ""
    )
    out.say(
        f"Receipt {result.receipt_id} booked: {_plural(units, 'unit')} of "
        f"{_plural(products, 'product')}.{closed}"
    )
    _report_allocation(out, result)
    return EXIT_OK


def _report_allocation(out: Output, result: Allocation) -> None:
    """Who the new or released units went to, and what is left on the shelf."""
    if result.fulfilled:
        out.say(f"\nReady to ship now ({_plural(len(result.fulfilled), 'line')}):")
        _filled_table(out, result.fulfilled)
    if result.partial:
        out.say(f"\nPartly filled, still waiting ({_plural(len(result.partial), 'line')}):")
        _filled_table(out, result.partial)
    if not result.fulfilled and not result.partial and result.left_in_stock:
        out.say("Nobody was waiting for these products.")
    if result.left_in_stock:
        left = ", ".join(f"{sku} {units}" for sku, units in sorted(result.left_in_stock.items()))
        out.say(f"\nAvailable on the shelf now: {left}.")


def _filled_table(out: Output, lines: Sequence[FilledLine]) -> None:
    table = Table(
        out,
        ["Order", "Line", "Customer", "SKU", "Got", "Ready", "Still waiting"],
        right=[0, 1, 4, 5, 6],
        caps={2: 30},
    )
    table.page(
        [
            (f.order_id, f.line_id, f.customer, f.sku, f.qty, f.ready_qty, f.still_waiting)
            for f in lines
        ]
    )


def stock_adjust(args: argparse.Namespace, session: Session, out: Output) -> int:
    delta = parse_quantity(args.delta, what="Adjustment", allow_negative=True)
    clean_text(args.reason, what="Reason", max_length=500)
    controller = session.controller
    product = controller.find_product(args.sku)
    result = controller.adjust_stock(int(product.id), delta, reason=args.reason)
    figures = queries.stock_figures(int(product.id))
    if out.as_json:
        out.document(
            {
                "sku": figures.sku,
                "delta": delta,
                "on_hand": figures.on_hand,
                "reserved": figures.reserved,
                "available": figures.available,
                **result.as_dict(),
            }
        )
        return EXIT_OK
    out.say(
        f"Stock of {figures.sku} changed by {delta:+d}: now {figures.on_hand} on hand, "
        f"{figures.available} available."
    )
    if result.fulfilled or result.partial:
        _report_allocation(out, result)
    return EXIT_OK


# -------------------------------------------------------------- backorders


def backorders(args: argparse.Namespace, session: Session, out: Output) -> int:
    limit = parse_count(args.limit, what="Limit") if args.limit is not None else None
    controller = session.controller
    product_id = int(controller.find_product(args.product).id) if args.product else None
    customer_id = int(controller.find_customer(args.customer).id) if args.customer else None
    total = queries.count_backorders(product_id=product_id, customer_id=customer_id)
    today = utcnow().date()

    def pages() -> Iterator[list[queries.BackorderRow]]:
        offset = 0
        wanted = total if limit is None else min(limit, total)
        while offset < wanted:
            size = min(PAGE, wanted - offset)
            page = queries.backorders(
                product_id=product_id, customer_id=customer_id, offset=offset, limit=size
            )
            if not page:
                return
            yield page
            offset += len(page)

    if out.as_json:
        stream = JsonList(out, "backorders")
        for page in pages():
            for row in page:
                stream.add(row.as_dict(today))
        stream.close(total=total)
        return EXIT_OK
    table = Table(
        out,
        ["Line", "Order", "Customer", "SKU", "Waiting", "Priority", "Placed", "Days", "ETA"],
        right=[0, 1, 4, 5, 7],
        caps={2: 30, 3: 24},
    )
    units = 0
    for page in pages():
        units += sum(row.waiting for row in page)
        table.page(
            [
                (
                    row.line_id,
                    row.order_id,
                    row.customer,
                    row.sku,
                    row.waiting,
                    row.priority,
                    to_local(row.placed_at).date(),
                    row.days_waiting(today),
                    _eta_cell(row, today),
                )
                for row in page
            ]
        )
    if total == 0:
        out.say("Nothing is waiting: the backorder list is empty.")
    elif table.rows < total:
        out.say(f"\nShowing the first {table.rows} of {_plural(total, 'waiting line')}.")
    else:
        out.say(f"\n{_plural(total, 'line')} waiting for {_plural(units, 'unit')}.")
    return EXIT_OK


def _eta_cell(row: queries.BackorderRow, today: date) -> str:
    """The booked date, else the lead-time estimate marked as one, else "not dated"."""
    if row.eta:
        return row.eta.isoformat()
    estimate = row.estimate(today)
    return f"~{estimate.isoformat()} (estimate)" if estimate else "not dated"


def backorder_cancel(args: argparse.Namespace, session: Session, out: Output) -> int:
    line_id = parse_id(args.line_id, what="Line")
    reason = clean_text(args.reason, what="Reason", max_length=500, required=False)
    controller = session.controller
    result = controller.cancel_line(line_id, reason=reason)
    if out.as_json:
        out.document({"line_id": line_id, "cancelled": True, **result.as_dict()})
        return EXIT_OK
    out.say(f"Line {line_id} cancelled; the customer will be told.")
    if result.fulfilled or result.partial:
        out.say("The units it held went to the next lines in the queue:")
        _report_allocation(out, result)
    return EXIT_OK


def backorder_priority(args: argparse.Namespace, session: Session, out: Output) -> int:
    line_id = parse_id(args.line_id, what="Line")
    priority = parse_priority(args.priority)
    session.controller.set_priority(line_id, priority)
    if out.as_json:
        out.document({"line_id": line_id, "priority": priority})
        return EXIT_OK
    out.say(f"Line {line_id} now has priority {priority} (higher is served first).")
    return EXIT_OK


# --------------------------------------------------------- purchase orders


def po_add(args: argparse.Namespace, session: Session, out: Output) -> int:
    lines = parse_lines(args.line)
    expected = parse_date(args.expected)
    supplier_name = clean_text(args.supplier, what="Supplier", max_length=200)
    controller = session.controller
    items = _items(controller, lines)

    def work() -> tuple[Any, Any]:
        # One transaction: a refused purchase order leaves no new supplier behind.
        supplier = controller.supplier_named(supplier_name)
        po = controller.add_purchase_order(
            supplier_id=int(supplier.id), expected=expected, items=items, note=args.note or ""
        )
        return supplier, po

    supplier, po = session.store.run_write(work)
    per_product: dict[int, int] = {}
    for item in items:
        per_product[item.product_id] = per_product.get(item.product_id, 0) + item.qty
    sku_of = {
        int(pid): str(sku)
        for pid, sku in Product.select(Product.id, Product.sku)
        .where(Product.id.in_(list(per_product)))
        .tuples()
    }
    doc = {
        "purchase_order_id": int(po.id),
        "supplier": supplier.name,
        "expected": expected.isoformat(),
        "lines": [{"sku": sku_of[pid], "qty": qty} for pid, qty in per_product.items()],
    }
    if out.as_json:
        out.document(doc)
        return EXIT_OK
    out.say(
        f"Purchase order {po.id} booked with {supplier.name}: "
        f"{_plural(sum(per_product.values()), 'unit')} on {_plural(len(per_product), 'line')}, "
        f"expected {expected.isoformat()}."
    )
    return EXIT_OK


def po_list(args: argparse.Namespace, session: Session, out: Output) -> int:
    session.store  # noqa: B018 - opens the store and binds the models
    query = (
        PurchaseOrder.select(
            PurchaseOrder.id,
            Supplier.name,
            PurchaseOrder.expected_date,
            PurchaseOrder.status,
            fn.COUNT(PurchaseOrderLine.id),
            fn.COALESCE(fn.SUM(PurchaseOrderLine.qty_ordered), 0),
            fn.COALESCE(fn.SUM(PurchaseOrderLine.qty_received), 0),
        )
        .join(Supplier)
        .switch(PurchaseOrder)
        .join(PurchaseOrderLine, JOIN.LEFT_OUTER)
        .group_by(
            PurchaseOrder.id, Supplier.name, PurchaseOrder.expected_date, PurchaseOrder.status
        )
        .order_by(PurchaseOrder.expected_date, PurchaseOrder.id)
    )
    if args.status != "all":
        query = query.where(PurchaseOrder.status == args.status)
    stream = JsonList(out, "purchase_orders") if out.as_json else None
    table = Table(
        out,
        ["PO", "Supplier", "Expected", "Status", "Lines", "Ordered", "Received"],
        right=[0, 4, 5, 6],
        caps={1: 30},
    )
    offset = 0
    while True:
        rows = [
            (int(pid), str(name), eta._as_date(expected), str(status), int(n), int(o), int(r))
            for pid, name, expected, status, n, o, r in query.offset(offset).limit(PAGE).tuples()
        ]
        if stream is not None:
            for pid, name, expected, status, n, ordered, received in rows:
                stream.add(
                    {
                        "purchase_order_id": pid,
                        "supplier": name,
                        "expected": expected.isoformat(),
                        "status": status,
                        "lines": n,
                        "ordered": ordered,
                        "received": received,
                    }
                )
        elif rows:
            table.page(rows)
        if len(rows) < PAGE:
            break
        offset += PAGE
    which = "" if args.status == "all" else f"{args.status} "
    if stream is not None:
        stream.close(total=stream.count)
    elif table.rows == 0:
        out.say(f"No {which}purchase orders.")
    else:
        out.say(f"\n{_plural(table.rows, which + 'purchase order')}.")
    return EXIT_OK


def po_delay(args: argparse.Namespace, session: Session, out: Output) -> int:
    po_id = parse_id(args.po_id, what="Purchase order")
    new_date = parse_date(args.date)
    delay = session.controller.delay_purchase_order(po_id, new_date)
    if out.as_json:
        out.document(delay.as_dict())
        return EXIT_OK
    out.say(
        f"Purchase order {po_id} is now expected {delay.new.isoformat()} "
        f"(was {delay.old.isoformat()})."
    )
    if delay.customers_told:
        out.say(
            f"{_plural(delay.customers_told, 'customer')} will be told of a later date "
            f"({_plural(delay.lines_later, 'line')}): see the outbox."
        )
    else:
        out.say("No customer's date moved later than they were told.")
    return EXIT_OK


def po_confirm(args: argparse.Namespace, session: Session, out: Output) -> int:
    po_id = parse_id(args.po_id, what="Purchase order")
    po = session.controller.confirm_purchase_order(po_id)
    expected = eta._as_date(po.expected_date)
    if out.as_json:
        out.document(
            {"purchase_order_id": po_id, "status": po.status, "expected": expected.isoformat()}
        )
        return EXIT_OK
    out.say(
        f"Purchase order {po_id} is confirmed (open): its units count as incoming, "
        f"expected {expected.isoformat()}."
    )
    return EXIT_OK


def reorder(args: argparse.Namespace, session: Session, out: Output) -> int:
    wanted = clean_text(args.create, what="Supplier", max_length=200) if args.create else None
    session.writes = wanted is not None
    session.store  # noqa: B018 - opens the store and binds the models
    if wanted is not None:
        return _reorder_create(wanted, session, out)
    groups = purchasing.reorder_groups()
    if out.as_json:
        stream = JsonList(out, "groups")
        for group in groups:
            lines = purchasing.reorder_lines(group.supplier_id)
            stream.add({**group.as_dict(), "lines": [line.as_dict() for line in lines]})
        stream.close(total_units=sum(group.units for group in groups))
        return EXIT_OK
    if not groups:
        out.say(
            "Nothing to reorder: stock, incoming and drafts cover every queue and reorder point."
        )
        return EXIT_OK
    for group in groups:
        lead = (
            f", usual lead time {_plural(group.lead_time_days, 'day')}"
            if group.lead_time_days is not None
            else ""
        )
        out.say(
            f"{group.label}{lead}: {_plural(group.units, 'unit')} of "
            f"{_plural(group.products, 'product')}"
        )
        table = Table(
            out,
            ["SKU", "Product", "Waiting", "Reorder pt", "Available", "Incoming", "Drafted", "Buy"],
            right=[2, 3, 4, 5, 6, 7],
            caps={0: 24, 1: 40},
        )
        for page in _reorder_pages(group.supplier_id):
            table.page(
                [
                    (
                        line.sku,
                        line.name,
                        line.waiting,
                        line.reorder_point,
                        line.available,
                        line.incoming,
                        line.drafted,
                        line.units,
                    )
                    for line in page
                ]
            )
        out.say("")
    out.say("Buy = waiting + reorder point - available - incoming - drafted.")
    out.say("Turn a supplier's list into a draft purchase order: reorder --create SUPPLIER")
    return EXIT_OK


def _reorder_pages(supplier_id: int | None) -> Iterator[list[purchasing.ReorderLine]]:
    offset = 0
    while True:
        page = purchasing.reorder_lines(supplier_id, offset=offset, limit=PAGE)
        if page:
            yield page
        if len(page) < PAGE:
            return
        offset += len(page)


def _reorder_create(name: str, session: Session, out: Output) -> int:
    supplier = Supplier.get_or_none(fn.LOWER(Supplier.name) == search_key(name))
    if supplier is None and name.isdecimal() and len(name) < 16:
        supplier = Supplier.get_or_none(Supplier.id == int(name))
    if supplier is None:
        raise UserError(
            f"No supplier is called {shown(name)}: run 'reorder' to see the suppliers with "
            "something to order.",
            field="supplier",
        )
    po = session.controller.create_reorder_draft(int(supplier.id))
    lines = [
        (str(sku), int(qty))
        for sku, qty in PurchaseOrderLine.select(Product.sku, PurchaseOrderLine.qty_ordered)
        .join(Product)
        .where(PurchaseOrderLine.purchase_order == po.id)
        .order_by(Product.sku)
        .tuples()
    ]
    expected = eta._as_date(po.expected_date)
    if out.as_json:
        out.document(
            {
                "purchase_order_id": int(po.id),
                "supplier": supplier.name,
                "status": po.status,
                "expected": expected.isoformat(),
                "lines": [{"sku": sku, "qty": qty} for sku, qty in lines],
            }
        )
        return EXIT_OK
    units = sum(qty for _sku, qty in lines)
    out.say(
        f"Draft purchase order {po.id} for {supplier.name}: {_plural(units, 'unit')} of "
        f"{_plural(len(lines), 'product')}, expected {expected.isoformat()}. It does not count "
        f"as incoming until confirmed: po confirm {po.id}"
    )
    return EXIT_OK


# ------------------------------------------------------------------ export


def _export_format(args: argparse.Namespace, target: Path, *, pdf: bool) -> str:
    """``--format``, else the file name's extension (``.pdf``), else CSV."""
    chosen = args.format or ("pdf" if target.suffix.lower() == ".pdf" else "csv")
    if chosen == "pdf" and not pdf:
        raise UserError(
            f"Only the backorder list can be saved as PDF; export {args.what} as CSV "
            "(--format csv, or a .csv file name).",
            field="format",
        )
    return str(chosen)


def _days(args: argparse.Namespace) -> tuple[date | None, date | None]:
    since = parse_date(args.since) if args.since else None
    until = parse_date(args.until) if args.until else None
    export.utc_bounds(since, until)  # a reversed range is refused before the store opens
    return since, until


def _exported(out: Output, target: Path, rows: int, noun: str, **extra: Any) -> int:
    path = str(target.resolve())
    if out.as_json:
        out.document({"path": path, "rows": rows, **extra})
        return EXIT_OK
    pages = f" ({_plural(extra['pages'], 'page')})" if "pages" in extra else ""
    out.say(f"Exported {_plural(rows, noun)} to {path}{pages}.")
    return EXIT_OK


def export_backorders(args: argparse.Namespace, session: Session, out: Output) -> int:
    target = export.check_target(args.out)
    fmt = _export_format(args, target, pdf=True)
    min_days = parse_count(args.min_days, what="Days waiting", minimum=0) if args.min_days else 0
    renderer: export.PdfRenderer | None = getattr(args, "pdf_renderer", None)
    if fmt == "pdf" and renderer is None:
        raise UserError(
            "Saving the backorder list as PDF needs the desktop part of Backorder Desk "
            "(PySide6): run the backorder-desk program, or export as CSV (--format csv).",
            field="format",
        )
    controller = session.controller
    view = BackorderFilter(
        product_id=int(controller.find_product(args.product).id) if args.product else None,
        customer_id=int(controller.find_customer(args.customer).id) if args.customer else None,
        search=args.search or "",
        min_days=min_days,
    )
    today = to_local(utcnow()).date()
    if renderer is not None and fmt == "pdf":
        written = renderer(target, view, today=today)
        return _exported(out, target, written.lines, "line", format="pdf", pages=written.pages)
    rows = export.export_backorders(target, view, today=today)
    return _exported(out, target, rows, "line", format="csv")


def export_orders(args: argparse.Namespace, session: Session, out: Output) -> int:
    target = export.check_target(args.out)
    _export_format(args, target, pdf=False)
    since, until = _days(args)
    status = None
    if args.status:
        wanted = " ".join(args.status.replace("-", " ").replace("_", " ").lower().split())
        if wanted not in {str(s) for s in OrderStatus}:
            known = ", ".join(str(s).replace(" ", "-") for s in OrderStatus)
            raise UserError(
                f"Status {args.status!r} is not an order status: use one of {known}.",
                field="status",
            )
        status = OrderStatus(wanted)
    controller = session.controller
    view = export.OrderFilter(
        search=args.search or "",
        status=status,
        customer_id=int(controller.find_customer(args.customer).id) if args.customer else None,
        since=since,
        until=until,
    )
    rows = export.export_orders(target, view)
    return _exported(out, target, rows, "order line", format="csv")


def export_products(args: argparse.Namespace, session: Session, out: Output) -> int:
    target = export.check_target(args.out)
    _export_format(args, target, pdf=False)
    session.store  # noqa: B018 - opens the store and binds the models
    view = export.ProductFilter(search=args.search or "", only_waiting=args.only_waiting)
    rows = export.export_products(target, view)
    return _exported(out, target, rows, "product", format="csv")


def export_ledger(args: argparse.Namespace, session: Session, out: Output) -> int:
    target = export.check_target(args.out)
    _export_format(args, target, pdf=False)
    since, until = _days(args)
    controller = session.controller
    product_id = int(controller.find_product(args.product).id) if args.product else None
    view = export.LedgerFilter(product_id=product_id, since=since, until=until)
    rows = export.export_ledger(target, view)
    return _exported(out, target, rows, "stock movement", format="csv")


# ------------------------------------------------------------------- check


def import_products(args: argparse.Namespace, session: Session, out: Output) -> int:
    from app import importing  # only this command needs it
    from app.importing import summary

    parsed = importing.read_file(args.file)  # before the store: an unreadable file is exit 2
    result = session.controller.import_products(
        parsed.rows, source=parsed.path.name, dry_run=args.dry_run
    )
    done = importing.ImportPreview(file=parsed, result=result)
    code = EXIT_FINDINGS if result.refused else EXIT_OK
    if out.as_json:
        out.document(done.as_dict())
        return code
    out.say(summary.headline(done))
    for line in summary.other_lines(done):
        out.say(line)
    out.say(summary.outcome(done))
    for line in summary.problem_lines(done):
        out.say(line)
    if result.allocation.fulfilled or result.allocation.partial:
        _report_allocation(out, result.allocation)
    return code


def check(args: argparse.Namespace, session: Session, out: Output) -> int:
    session.store  # noqa: B018 - opens the store and binds the models
    findings = run_checks()
    if out.as_json:
        out.document({"ok": not findings, "findings": findings})
    elif findings:
        for finding in findings:
            out.say(finding)
    else:
        out.say(f"All checks hold for {session.store.describe()}.")
    return EXIT_FINDINGS if findings else EXIT_OK


# -------------------------------------------------------------------- demo


def demo(args: argparse.Namespace, session: Session, out: Output) -> int:
    controller = session.controller
    if Product.select().exists():
        raise UserError(
            f"The store {session.store.describe()} already has products; the demo only fills "
            "a new, empty store. Give a new file name with --db."
        )
    from app.demo import build_demo  # only this command needs it

    show_progress = not out.as_json and sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if show_progress and total:
            print(f"\rBuilding the demo shop... {100 * done // total:3d}%", end="", file=sys.stderr)

    summary = build_demo(controller, size=args.size, progress=progress)
    if show_progress:
        print(file=sys.stderr)
    doc = summary.as_dict()
    if out.as_json:
        out.document(doc)
        return EXIT_OK
    facts = ", ".join(f"{value} {key.replace('_', ' ')}" for key, value in doc.items())
    out.say(f"Demo shop ready in {session.store.describe()}: {facts}.")
    return EXIT_OK


# ------------------------------------------------------------------- staff


def _staff_named(name: str) -> tuple[int, str]:
    """An account by name (any case, disabled ones too): its id and name as stored."""
    found = accounts.find_staff(name, active_only=False)
    if found is None:
        raise UserError(
            f"No staff account is called {name.strip()!r}: see 'staff list'.", field="staff"
        )
    return int(found.id), str(found.name)


def staff_add(args: argparse.Namespace, session: Session, out: Output) -> int:
    name = accounts.parse_staff_name(args.name)
    password = _new_password(name)
    member = session.controller.add_staff(name, args.role, password)
    doc = {"staff_id": int(member.id), "name": member.name, "role": member.role, "active": True}
    if out.as_json:
        out.document(doc)
        return EXIT_OK
    out.say(f"Staff account {member.name} added ({member.role}); they sign in with a password.")
    return EXIT_OK


def staff_list(args: argparse.Namespace, session: Session, out: Output) -> int:
    session.store  # noqa: B018 - opens the store and binds the models
    rows = accounts.list_staff()
    if out.as_json:
        out.document({"staff": [row.as_dict() for row in rows], "total": len(rows)})
        return EXIT_OK
    table = Table(out, ["Id", "Name", "Role", "Active", "Password"], right=[0], caps={1: 40})
    table.page(
        [
            (
                row.staff_id,
                row.name,
                row.role,
                "yes" if row.active else "no",
                "set" if row.has_password else "none",
            )
            for row in rows
        ]
    )
    active = sum(row.active for row in rows)
    out.say(f"\n{_plural(len(rows), 'account')}, {active} active.")
    return EXIT_OK


def staff_role(args: argparse.Namespace, session: Session, out: Output) -> int:
    role = accounts.parse_role(args.role)
    controller = session.controller
    staff_id, name = _staff_named(args.name)
    controller.set_staff_role(staff_id, role)
    if out.as_json:
        out.document({"staff_id": staff_id, "name": name, "role": role})
        return EXIT_OK
    out.say(f"{name} now has the {role} role.")
    return EXIT_OK


def staff_password(args: argparse.Namespace, session: Session, out: Output) -> int:
    name = accounts.parse_staff_name(args.name)
    password = _new_password(name)
    controller = session.controller
    staff_id, name = _staff_named(name)
    controller.set_staff_password(staff_id, password)
    if out.as_json:
        out.document({"staff_id": staff_id, "name": name, "password_set": True})
        return EXIT_OK
    out.say(f"The password of {name} is changed.")
    return EXIT_OK


def staff_disable(args: argparse.Namespace, session: Session, out: Output) -> int:
    return _staff_active(args, session, out, active=False)


def staff_enable(args: argparse.Namespace, session: Session, out: Output) -> int:
    return _staff_active(args, session, out, active=True)


def _staff_active(args: argparse.Namespace, session: Session, out: Output, *, active: bool) -> int:
    controller = session.controller
    staff_id, name = _staff_named(args.name)
    controller.set_staff_active(staff_id, active)
    if out.as_json:
        out.document({"staff_id": staff_id, "name": name, "active": active})
        return EXIT_OK
    if active:
        out.say(f"{name} can sign in again.")
    else:
        out.say(f"{name} can no longer sign in; what they did stays in the records.")
    return EXIT_OK


# ------------------------------------------------------------------ backups


def backup_command(args: argparse.Namespace, session: Session, out: Output) -> int:
    target = Path(args.path).expanduser() if args.path else None
    session.auto_backup = False
    backups.sqlite_file(session.location)  # a PostgreSQL store: pg_dump, before connecting
    store = session.store
    made = session.controller.back_up(target)
    orders = Order.select().count()
    if out.as_json:
        out.document(
            {
                "path": str(made.path),
                "taken_at": made.taken_at.isoformat(timespec="seconds"),
                "size": made.size,
                "orders": orders,
            }
        )
        return EXIT_OK
    kept = f" The newest {backups.keep_count()} backups are kept." if target is None else ""
    out.say(
        f"Backed up {store.describe()} ({_plural(orders, 'order')}, "
        f"{backups.describe_size(made.size)}) to {made.path}.{kept}"
    )
    return EXIT_OK


def restore_command(args: argparse.Namespace, session: Session, out: Output) -> int:
    source = Path(args.path).expanduser()
    session.auto_backup = False
    path = backups.sqlite_file(session.location)
    try:
        # A store that opens says who may restore it (managers), and is restored while
        # open, like the desk does it.
        controller = session.controller if path.is_file() and path.stat().st_size else None
    except StoreError:
        controller = None  # damaged or not a store: no account in it can be read
    if controller is not None:
        done = controller.restore_backup(source)
        store = session.store
    else:
        # Nothing to ask (a new place, or a file that cannot be opened: it is set aside).
        done = backups.restore_file(session.location, source)
        store = session.store  # opening it upgrades an older backup's schema
        restorer = Controller(store)  # its first manager: the audit names who ran it
        named = session.staff_name.strip() if session.staff_name else ""
        restorer.record_restore(done, by=named or "the command line")
    findings = run_checks()
    if out.as_json:
        out.document(
            {
                "store": store.describe(),
                "restored_from": str(done.source.path),
                "taken_at": done.source.taken_at.isoformat(timespec="seconds"),
                "orders": done.source.orders,
                "products": done.source.products,
                "customers": done.source.customers,
                "previous_store_backup": str(done.safety.path) if done.safety else None,
                "set_aside": str(done.set_aside) if done.set_aside else None,
                "findings": findings,
            }
        )
    else:
        held = ", ".join(
            [
                _plural(done.source.orders, "order"),
                _plural(done.source.products, "product"),
                _plural(done.source.customers, "customer"),
            ]
        )
        taken = backups.describe_time(done.source.taken_at)
        out.say(f"Restored {store.describe()} from {done.source.path} (taken {taken}: {held}).")
        if done.safety is not None:
            out.say(f"The store as it was is backed up at {done.safety.path}.")
        if done.set_aside is not None:
            out.say(f"The unusable store file was kept as {done.set_aside}.")
        for finding in findings:
            out.say(finding)
    return EXIT_FINDINGS if findings else EXIT_OK


def backups_command(args: argparse.Namespace, session: Session, out: Output) -> int:
    keep = backups.parse_keep(args.keep) if args.keep is not None else None
    session.auto_backup = False
    session.writes = keep is not None
    path = backups.sqlite_file(session.location)
    if keep is not None:
        session.controller.set_backup_keep(keep)  # managers only; the setting is in the store
        backups.prune(path, keep=keep)
    folder = backups.backups_folder()
    found = backups.list_backups(path)
    if out.as_json:
        out.document(
            {
                "store": str(path),
                "folder": str(folder),
                "backups": [
                    {
                        "path": str(backup.path),
                        "taken_at": backup.taken_at.isoformat(timespec="seconds"),
                        "size": backup.size,
                        "before_restore": backup.before_restore,
                    }
                    for backup in found
                ],
            }
        )
        return EXIT_OK
    if keep is not None:
        out.say(f"From now on the newest {keep} backups of {path} are kept.")
    if not found:
        out.say(f"No backups of {path} in {folder} yet ('backup' makes one).")
        return EXIT_OK
    out.say(f"Backups of {path} in {folder}, newest first:")
    table = Table(out, ["Taken", "Size", "File"], right=[1])
    table.page(
        [
            (
                backups.describe_time(backup.taken_at),
                backups.describe_size(backup.size),
                backup.path.name + ("  (before a restore)" if backup.before_restore else ""),
            )
            for backup in found
        ]
    )
    return EXIT_OK


# ------------------------------------------------------------------ parser


def _common_options() -> _Parser:
    """Options every command accepts, before or after its name.

    Their defaults are SUPPRESS, so a subcommand that is not given one does not overwrite
    what was given before the command name.
    """
    common = _Parser(add_help=False)
    common.add_argument(
        "--db",
        metavar="PATH_OR_URL",
        default=argparse.SUPPRESS,
        help="the store: a SQLite file or a postgresql:// URL "
        "(default: $BACKORDER_DESK_DB, else the store in your user data folder)",
    )
    common.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print one JSON document on stdout instead of text",
    )
    common.add_argument(
        "--staff",
        metavar="NAME",
        default=argparse.SUPPRESS,
        help="who is acting, for the audit log and the role's rules (needed for changes "
        f"once the store has several accounts; a password comes from ${PASSWORD_ENV} or is "
        "asked for; default: the first active manager)",
    )
    return common


EPILOG = """\
exit codes: 0 done; 1 'check' found problems, or 'import' refused rows (the good ones are
imported); 2 bad input or unusable store (nothing written); 3 'order add' met a shortage
without --on-short (nothing written).

examples:
  backorder-desk product add --sku W-1 --name Widget --barcode 4006381333931 --price 9.99
  backorder-desk order add --customer "Ann Smith" --line W-1=5 --on-short wait
  backorder-desk receive --line 4006381333931=12 --po 3
  backorder-desk backorders --product W-1 --json
"""


def build_parser() -> argparse.ArgumentParser:
    """The full command-line grammar."""
    common = _common_options()
    parser = _Parser(
        prog=PROG,
        description="Backorder Desk on the command line (no subcommand: the windows).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(
        group: Any, name: str, handler: Handler, text: str, *, writes: bool = False, **kwargs: Any
    ) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = group.add_parser(
            name, help=text, description=text, parents=[common], **kwargs
        )
        sub.set_defaults(handler=handler, writes=writes)
        return sub

    def group(name: str, text: str) -> Any:
        sub = commands.add_parser(name, help=text, description=text, parents=[common])
        return sub.add_subparsers(dest="action", metavar="ACTION", required=True)

    line_help = "SKU=QTY or BARCODE=QTY (repeat for more lines)"

    products = group("product", "add or list products")
    sub = command(products, "add", product_add, "add a product", writes=True)
    sub.add_argument("--sku", required=True, help="the shop's own code, without spaces")
    sub.add_argument("--name", required=True)
    sub.add_argument("--barcode", action="append", metavar="CODE", help="GTIN or internal code")
    sub.add_argument("--price", help="unit price, such as 9.99")
    sub.add_argument("--reorder-point", metavar="N", help="warn when stock falls below N")
    sub = command(products, "list", product_list, "list products with their stock figures")
    sub.add_argument("--search", metavar="TEXT", help="part of a SKU, name or barcode")

    customers = group("customer", "add or list customers")
    sub = command(customers, "add", customer_add, "add a customer", writes=True)
    sub.add_argument("--name", required=True)
    sub.add_argument("--email", metavar="E")
    sub.add_argument("--phone", metavar="P")
    sub = command(customers, "list", customer_list, "list customers")
    sub.add_argument("--search", metavar="TEXT", help="part of a name, e-mail or phone")

    orders = group("order", "place orders")
    sub = command(
        orders, "add", order_add, "place an order; short lines need --on-short", writes=True
    )
    sub.add_argument("--customer", required=True, metavar="NAME_OR_ID")
    sub.add_argument("--line", action="append", metavar="SKU=QTY", help=line_help)
    sub.add_argument(
        "--on-short",
        choices=[str(d) for d in Decision],
        help="for lines short of stock: reserve what is there and wait for the rest, or "
        "cancel the line (without it a shortage is refused with exit code 3)",
    )
    sub.add_argument("--priority", metavar="N", help="-100 to 100, higher is served first")
    sub.add_argument("--note")

    sub = command(
        commands, "receive", receive, "take goods into stock and serve the queue", writes=True
    )
    sub.add_argument("--line", action="append", metavar="SKU=QTY", help=line_help)
    sub.add_argument("--po", metavar="ID", help="the purchase order this delivery is for")
    sub.add_argument("--note")

    sub = command(commands, "backorders", backorders, "the backorder queue in serving order")
    sub.add_argument("--product", metavar="SKU", help="only this product (SKU or barcode)")
    sub.add_argument("--customer", metavar="NAME_OR_ID", help="only this customer")
    sub.add_argument("--limit", metavar="N", help="show at most N lines")

    lines = group("backorder", "act on one waiting line")
    sub = command(lines, "cancel", backorder_cancel, "cancel what is left of a line", writes=True)
    sub.add_argument("line_id", metavar="LINE_ID")
    sub.add_argument("--reason", metavar="TEXT")
    sub = command(
        lines, "priority", backorder_priority, "move a waiting line up or down", writes=True
    )
    sub.add_argument("line_id", metavar="LINE_ID")
    sub.add_argument("priority", metavar="N", help="-100 to 100, higher is served first")

    sub = command(commands, "ship", ship, "ship every reserved unit of an order", writes=True)
    sub.add_argument("order_id", metavar="ORDER_ID")

    pos = group("po", "purchase orders (incoming stock)")
    sub = command(pos, "add", po_add, "book a purchase order", writes=True)
    sub.add_argument("--supplier", required=True, metavar="NAME", help="created if new")
    sub.add_argument("--expected", required=True, metavar="YYYY-MM-DD")
    sub.add_argument("--line", action="append", metavar="SKU=QTY", help=line_help)
    sub.add_argument("--note")
    sub = command(pos, "list", po_list, "list purchase orders")
    sub.add_argument(
        "--status",
        choices=["draft", "open", "closed", "cancelled", "all"],
        default="open",
        help="which ones (default: open)",
    )

    sub = command(
        pos, "delay", po_delay, "the supplier will deliver later: move the date", writes=True
    )
    sub.add_argument("po_id", metavar="PO_ID")
    sub.add_argument("date", metavar="YYYY-MM-DD", help="the day the supplier now promises")
    sub = command(
        pos, "confirm", po_confirm, "send a draft: its units count as incoming", writes=True
    )
    sub.add_argument("po_id", metavar="PO_ID")

    sub = command(
        commands,
        "reorder",
        reorder,
        "what to order, per supplier: waiting + reorder point - available - incoming - drafted",
    )
    sub.add_argument(
        "--create",
        metavar="SUPPLIER",
        help="turn this supplier's suggestions into a draft purchase order",
    )

    stock = group("stock", "correct stock counts")
    sub = command(
        stock, "adjust", stock_adjust, "add or take off units, with a reason", writes=True
    )
    sub.add_argument("sku", metavar="SKU", help="SKU or barcode")
    sub.add_argument("delta", metavar="DELTA", help="units to add (+5) or take off (-2)")
    sub.add_argument("--reason", required=True, metavar="TEXT")

    command(commands, "check", check, "verify the store's stock and queue figures")

    sub = command(
        commands,
        "import",
        import_products,
        "bring products and stock in from a Shopify, WooCommerce, Square or own CSV file",
        writes=True,
    )
    sub.add_argument("file", metavar="FILE", help="the CSV file (format found from its header)")
    sub.add_argument(
        "--dry-run", action="store_true", help="check every row and report, write nothing"
    )

    sub = command(
        commands,
        "backup",
        backup_command,
        "copy the store (SQLite) to the backups folder or PATH",
        writes=True,  # audited: the log names who made it
    )
    sub.add_argument(
        "path",
        nargs="?",
        metavar="PATH",
        help="a file to write the copy to (default: the backups folder, keeping the newest)",
    )
    sub = command(
        commands,
        "restore",
        restore_command,
        "replace the store with a checked backup (the store as it was is backed up first)",
        writes=True,
    )
    sub.add_argument("path", metavar="PATH", help="the backup file ('backups' lists them)")
    sub = command(commands, "backups", backups_command, "list the store's backups, newest first")
    sub.add_argument("--keep", metavar="N", help="keep the newest N backups (default 10)")

    exports = group("export", "save a list as a CSV file (the backorder list also as PDF)")
    for name, handler, text in (
        ("backorders", export_backorders, "the backorder list, in serving order"),
        ("orders", export_orders, "orders, one row per order line, newest first"),
        ("products", export_products, "products with their stock figures, by SKU"),
        ("ledger", export_ledger, "the stock ledger: every stock movement, oldest first"),
    ):
        sub = command(exports, name, handler, text)
        sub.set_defaults(what=name)
        sub.add_argument(
            "--out", required=True, metavar="FILE", help="the file to write (replaced when done)"
        )
        sub.add_argument(
            "--format",
            choices=["csv", "pdf"],
            help="csv, or pdf for the backorder list (default: from the file name, else csv)",
        )
        if name in ("backorders", "ledger"):
            sub.add_argument("--product", metavar="SKU", help="only this product (SKU or barcode)")
        if name in ("backorders", "orders"):
            sub.add_argument("--customer", metavar="NAME_OR_ID", help="only this customer")
        if name in ("backorders", "orders", "products"):
            sub.add_argument("--search", metavar="TEXT", help="as the window's search field")
        if name == "backorders":
            sub.add_argument("--min-days", metavar="N", help="only lines waiting N days or more")
        if name == "orders":
            sub.add_argument(
                "--status",
                metavar="STATUS",
                help="only orders in this status: open, partly-waiting, ready, shipped, cancelled",
            )
        if name == "products":
            sub.add_argument(
                "--only-waiting", action="store_true", help="only products customers wait for"
            )
        if name in ("orders", "ledger"):
            sub.add_argument("--since", metavar="YYYY-MM-DD", help="from this day (local time)")
            sub.add_argument("--until", metavar="YYYY-MM-DD", help="up to this day, included")

    sub = command(
        commands, "demo", demo, "fill a new, empty store with a believable shop", writes=True
    )
    sub.add_argument("--size", choices=["small", "large"], default="small")

    staff = group("staff", "staff accounts and their roles (managers)")
    roles = ", ".join(accounts.ROLES)
    sub = command(staff, "add", staff_add, "add a staff account", writes=True)
    sub.add_argument("name", metavar="NAME")
    sub.add_argument("--role", required=True, choices=accounts.ROLES, help=roles)
    command(staff, "list", staff_list, "list the staff accounts")
    sub = command(staff, "role", staff_role, "give a staff member another role", writes=True)
    sub.add_argument("name", metavar="NAME")
    sub.add_argument("role", metavar="ROLE", choices=accounts.ROLES, help=roles)
    sub = command(staff, "password", staff_password, "set a password", writes=True)
    sub.add_argument("name", metavar="NAME")
    sub = command(staff, "disable", staff_disable, "stop an account signing in", writes=True)
    sub.add_argument("name", metavar="NAME")
    sub = command(staff, "enable", staff_enable, "let a disabled account sign in", writes=True)
    sub.add_argument("name", metavar="NAME")
    return parser


# --------------------------------------------------------------------- run


def _wants_json(args: Sequence[str]) -> bool:
    end = list(args).index("--") if "--" in args else len(args)
    return "--json" in args[:end]


def run(args: Sequence[str], *, pdf_renderer: export.PdfRenderer | None = None) -> int:
    """Run one command; returns the exit code (see the module docstring).

    ``pdf_renderer`` draws the backorder list as PDF: the desktop part has one and
    ``main.py`` passes it in, so the command line itself never imports Qt.
    """
    argv = list(args)
    out = Output(as_json=_wants_json(argv))
    try:
        namespace = build_parser().parse_args(argv)
    except UsageError as error:
        return out.fail(str(error))
    except SystemExit as leaving:  # --help
        return leaving.code if isinstance(leaving.code, int) else EXIT_OK
    out.as_json = bool(getattr(namespace, "json", False))
    namespace.pdf_renderer = pdf_renderer
    session = Session(
        location=getattr(namespace, "db", None),
        staff_name=getattr(namespace, "staff", None),
        writes=bool(getattr(namespace, "writes", False)),
    )
    handler: Handler = namespace.handler
    try:
        return handler(namespace, session, out)
    except UserError as error:
        extra: dict[str, Any] = {"field": error.field} if error.field else {}
        return out.fail(str(error), **extra)
    except OperationalError as error:
        # The store's own checks turn the usual cases into StoreError; this is the rest
        # (a file SQLite cannot open, a server gone away), still the store, not a bug.
        return out.fail(f"The store could not be used ({error}); nothing was written.")
    except KeyboardInterrupt:
        return out.fail(
            "Interrupted; the change in progress was not written.", code=EXIT_INTERRUPTED
        )
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_OK
    finally:
        session.close()


def _silence_stdout() -> None:
    """The reader of our output went away (``| head``): stop writing quietly."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
