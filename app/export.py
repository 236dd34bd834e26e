"""CSV exports of the backorder list, orders, products and the stock ledger.

Every export is written with the ``csv`` module's excel dialect in UTF-8 with a byte-order
mark, so spreadsheet programs open it with the right columns and accented names intact.
Every matching row is exported (paged from the database, never all in memory) inside one
read transaction, into a temporary file that replaces the target only when complete: a
failed or cancelled export leaves no half-written file behind (``replacing``).

Each export takes the filter its window shows (``BackorderFilter``, ``OrderFilter``,
``ProductFilter``, ``LedgerFilter``), so the file holds what the list holds. Dates are ISO
(``YYYY-MM-DD``, times ``YYYY-MM-DD HH:MM`` in the computer's local time) so spreadsheets
read them as dates; money is a plain amount (``12.50``).

Text cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``,
``@``, tab or carriage return) get a leading apostrophe (OWASP "CSV injection"): a
customer called ``=HYPERLINK(...)`` stays text. Numbers, negative ones included, stay
numbers.

The backorder list can also be saved as PDF; drawing pages is the desktop part's job
(``ui.backorder_pdf``), so the command line receives a ``PdfRenderer`` from ``main.py``.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Protocol

from peewee import JOIN, PostgresqlDatabase, fn

from app import eta, order_queries, queries
from app.backorder_view import BackorderFilter
from app.clock import to_local
from app.errors import UserError
from app.models import (
    Customer,
    OrderLine,
    Product,
    Receipt,
    Staff,
    StockMovement,
    database,
)
from app.order_queries import OrderRow, OrderStatus
from app.queries import BackorderRow
from app.validation import format_cents

#: The columns of the backorder list export, in order.
HEADERS = (
    "Order",
    "Customer",
    "E-mail",
    "Phone",
    "SKU",
    "Product",
    "Waiting",
    "Reserved",
    "Placed",
    "Days waiting",
    "ETA",
    "ETA overdue",
    "Priority",
)

#: The orders export: one row per order line, the order's columns repeated on each, so a
#: spreadsheet can filter and total lines without looking anything up.
ORDER_HEADERS = (
    "Order",
    "Placed",
    "Customer",
    "E-mail",
    "Phone",
    "Order status",
    "Taken by",
    "Order priority",
    "Line",
    "SKU",
    "Product",
    "Unit price",
    "Ordered",
    "Reserved",
    "Shipped",
    "Waiting",
    "Cancelled",
    "Line status",
    "Customer decided",
    "Cancel reason",
    "ETA",
)

#: The products export: one row per product with its stock figures.
PRODUCT_HEADERS = (
    "SKU",
    "Name",
    "Barcodes",
    "Price",
    "On hand",
    "Reserved",
    "Available",
    "Waiting",
    "Incoming",
    "Reorder point",
    "Below reorder point",
)

#: The stock ledger export: one row per stock movement, oldest first. "On hand after" is
#: the product's stock once the movement was booked.
LEDGER_HEADERS = (
    "Date",
    "SKU",
    "Product",
    "Kind",
    "Quantity",
    "On hand after",
    "Reason",
    "Receipt",
    "Purchase order",
    "Order",
    "Staff",
)

PAGE = 1000
#: The backorder list reads each page's ETAs from the queues of the page's products: bigger
#: pages read each queue fewer times (5,000 lines: 40 % faster than 1,000 on 37,000 lines).
BACKORDER_PAGE = 5000

Progress = Callable[[int, int], None]
Cell = str | int

# ------------------------------------------------------------------ the file


#: What a spreadsheet treats as the start of a formula (OWASP CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def guard_cell(value: Cell | None) -> Cell:
    """A cell as written: text that would start a formula gets a leading apostrophe;
    numbers (also negative ones, also as text like ``-2.50``) are left as they are."""
    if value is None:
        return ""
    if (
        isinstance(value, str)
        and value.startswith(_FORMULA_START)
        and not _PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def cannot_write(target: Path, error: OSError | None = None) -> UserError:
    """The one-line message for a file that could not be written."""
    why = f": {error.strerror or error}" if error is not None else ""
    return UserError(
        f"Could not write {target}{why}. Choose another folder, or close the file if a "
        "spreadsheet program has it open, and export again.",
        field="path",
    )


def check_target(path: str | os.PathLike[str]) -> Path:
    """The file an export is to write, checked before any work starts: a file name (not a
    folder) in a folder that exists and can be written to.

    Raises:
        UserError: it cannot be written there; the message says what to do.
    """
    text = str(path).strip()
    if not text:
        raise UserError("No file given: name the file to write, such as out.csv.", field="path")
    target = Path(text).expanduser()
    if target.is_dir():
        raise UserError(
            f"{target} is a folder: name a file in it, such as {target / 'export.csv'}.",
            field="path",
        )
    folder = target.parent
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise UserError(
            f"Could not write {target}: {folder} {what}. Create the folder or choose "
            "another one, and export again.",
            field="path",
        )
    if not os.access(folder, os.W_OK):
        raise UserError(
            f"Could not write {target}: you may not write in {folder}. Choose another "
            "folder, and export again.",
            field="path",
        )
    return target


@contextmanager
def replacing(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary file beside ``path`` to write; it replaces ``path`` only when the block
    ends without an error, and is removed otherwise (the old file, if any, is untouched).

    Raises:
        UserError: the file cannot be written (folder missing, no permission, or the file
            is open in a program that locks it).
    """
    target = Path(path)
    partial = target.with_name(target.name + ".part")
    try:
        yield partial
        os.replace(partial, target)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise cannot_write(target, error) from error
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


@contextmanager
def snapshot() -> Iterator[None]:
    """One read transaction in which every page (and the count) sees the same data, so a
    row changing mid-export is neither skipped nor written twice. SQLite's transaction is
    a snapshot already; PostgreSQL's default (read committed) is not, so ask for one."""
    outermost = database.transaction_depth() == 0
    with database.atomic():
        if outermost and isinstance(database.obj, PostgresqlDatabase):
            database.execute_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


Pages = Iterable[tuple[Sequence[Sequence[Cell | None]], int]]


def _write_csv(
    path: str | os.PathLike[str],
    headers: Sequence[str],
    *,
    count: Callable[[], int],
    pages: Callable[[], Pages],
    progress: Progress | None,
) -> int:
    """Write ``headers`` and every page of rows; returns the rows written.

    ``pages()`` yields (rows, units of progress they stand for); ``count()`` is the total
    of those units, for ``progress(done, total)``, called at the start and after each page.
    """
    written = 0
    with (
        replacing(path) as partial,
        snapshot(),
        partial.open("w", encoding="utf-8-sig", newline="") as handle,
    ):
        writer = csv.writer(handle, dialect="excel")
        writer.writerow(headers)
        total = count()
        done = 0
        if progress is not None:
            progress(0, total)
        for rows, units in pages():
            writer.writerows([guard_cell(cell) for cell in row] for row in rows)
            written += len(rows)
            done += units
            if progress is not None:
                progress(done, max(total, done))
    return written


def _local_time(moment: datetime) -> str:
    return f"{to_local(moment):%Y-%m-%d %H:%M}"


def _start_of_local_day(day: date) -> datetime:
    """Midnight at the start of ``day`` on this computer's clock, as naive UTC."""
    return datetime.combine(day, time()).astimezone(UTC).replace(tzinfo=None)


def utc_bounds(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    """The local calendar days ``since`` to ``until`` (both included; ``None``: open) as
    naive UTC times: from (inclusive) and before (exclusive).

    Raises:
        UserError: ``since`` is after ``until``.
    """
    if since is not None and until is not None and since > until:
        raise UserError(
            f"The first day {since.isoformat()} is after the last day {until.isoformat()}: "
            "swap them.",
            field="date",
        )
    start = _start_of_local_day(since) if since is not None else None
    end = _start_of_local_day(until + timedelta(days=1)) if until is not None else None
    return start, end


# ------------------------------------------------------------- backorders


def csv_row(row: BackorderRow, today: date) -> list[str | int]:
    """One line of the backorder export; dates are ISO (YYYY-MM-DD)."""
    overdue = row.eta is not None and row.eta < today
    return [
        row.order_id,
        row.customer,
        row.email or "",
        row.phone or "",
        row.sku,
        row.name,
        row.waiting,
        row.reserved,
        _local_time(row.placed_at),
        row.days_waiting(today),
        row.eta.isoformat() if row.eta else "",
        "yes" if overdue else "",
        row.priority,
    ]


def backorder_pages(
    view: BackorderFilter, today: date, *, page_size: int = BACKORDER_PAGE
) -> Iterator[list[BackorderRow]]:
    """Every waiting line matching ``view``, in its sort order, a page at a time (the
    CSV and the PDF read the list through this)."""
    where = view.where(today)
    offset = 0
    while True:
        page = queries.backorders(
            **where, sort=view.sort, descending=view.descending, offset=offset, limit=page_size
        )
        if page:
            yield page
        if len(page) < page_size:
            return
        offset += len(page)


def export_backorders(
    path: str | os.PathLike[str],
    view: BackorderFilter,
    *,
    today: date,
    progress: Progress | None = None,
    page_size: int = BACKORDER_PAGE,
) -> int:
    """Write every waiting line matching ``view`` (in its sort order) to ``path``.

    Returns the number of lines written. ``progress(done, total)`` counts lines.

    Raises:
        UserError: the file cannot be written.
    """

    def pages() -> Pages:
        for page in backorder_pages(view, today, page_size=page_size):
            yield [csv_row(row, today) for row in page], len(page)

    return _write_csv(
        path,
        HEADERS,
        count=lambda: queries.count_backorders(**view.where(today)),
        pages=pages,
        progress=progress,
    )


#: How the backorder list's sort keys read in a sentence.
BACKORDER_SORT_NAMES = {
    "customer": "customer",
    "sku": "SKU",
    "waiting": "units waiting",
    "placed_at": "time placed",
    "priority": "priority",
    "order": "order number",
}


def describe_backorder_view(view: BackorderFilter) -> str:
    """The filter and sort in words, for the heading of a printed list."""
    parts: list[str] = []
    if view.product_id is not None:
        found = (
            Product.select(Product.sku, Product.name)
            .where(Product.id == view.product_id)
            .tuples()
            .first()
        )
        parts.append(f"product {found[0]} ({found[1]})" if found else "one product")
    if view.customer_id is not None:
        name = Customer.select(Customer.name).where(Customer.id == view.customer_id).scalar()
        parts.append(f"customer {name}" if name else "one customer")
    if view.search.strip():
        parts.append(f"matching “{view.search.strip()}”")
    if view.min_days:
        parts.append(f"waiting {view.min_days} days or more")
    shown = "Lines " + ", ".join(parts) if parts else "Every waiting line"
    if view.sort == "queue" or view.sort not in BACKORDER_SORT_NAMES:
        return f"{shown}, in serving order"
    direction = " (descending)" if view.descending else ""
    return f"{shown}, by {BACKORDER_SORT_NAMES[view.sort]}{direction}"


@dataclass(frozen=True)
class PdfWritten:
    """What a PDF export wrote: lines of the list and pages."""

    lines: int
    pages: int


class PdfRenderer(Protocol):
    """Saves the backorder list as PDF (the desktop part has one: ``ui.backorder_pdf``)."""

    def __call__(
        self,
        path: Path,
        view: BackorderFilter,
        *,
        today: date,
        progress: Progress | None = None,
    ) -> PdfWritten: ...


# ------------------------------------------------------------------ orders


@dataclass(frozen=True)
class OrderFilter:
    """Which orders the orders export holds, in what order.

    Attributes:
        search / status / customer_id: as in the Orders window (``order_queries.orders``).
        since / until: placed on these local calendar days or between them (``None``:
            no limit).
        sort / descending: a key of ``order_queries.ORDER_SORTS``; newest first by default.
    """

    search: str = ""
    status: OrderStatus | None = None
    customer_id: int | None = None
    since: date | None = None
    until: date | None = None
    sort: str = "placed_at"
    descending: bool = True

    def where(self) -> dict[str, Any]:
        """Keyword arguments for ``order_queries.count_orders`` (and ``orders``)."""
        start, end = utc_bounds(self.since, self.until)
        return {
            "search": self.search.strip() or None,
            "status": self.status,
            "customer_id": self.customer_id,
            "placed_from": start,
            "placed_to": end,
        }


def _order_pages(view: OrderFilter, matching: int, page_size: int) -> Iterator[list[OrderRow]]:
    """Orders matching ``view``, a page at a time, each page starting after the last row
    of the one before (a deep page costs what the first does)."""
    where = view.where()
    last: OrderRow | None = None
    while True:
        page = order_queries.orders(
            **where,
            sort=view.sort,
            descending=view.descending,
            limit=page_size,
            after=last,
            matching=matching,
        )
        if page:
            yield page
        if len(page) < page_size:
            return
        last = page[-1]


def _contacts(customer_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """E-mail and phone of these customers."""
    ids = sorted(set(customer_ids))
    found: dict[int, tuple[str, str]] = {}
    for part in eta.chunks(ids):
        for cid, email, phone in (
            Customer.select(Customer.id, Customer.email, Customer.phone)
            .where(Customer.id.in_(list(part)))
            .tuples()
        ):
            found[cid] = (email or "", phone or "")
    return found


def _order_rows(page: Sequence[OrderRow]) -> list[list[Cell | None]]:
    lines = order_queries.order_lines([order.order_id for order in page])
    contacts = _contacts(order.customer_id for order in page)
    rows: list[list[Cell | None]] = []
    for order in page:
        email, phone = contacts.get(order.customer_id, ("", ""))
        head: list[Cell | None] = [
            order.order_id,
            _local_time(order.placed_at),
            order.customer,
            email,
            phone,
            str(order.status),
            order.staff,
            order.priority,
        ]
        mine = lines.get(order.order_id, [])
        if not mine:
            # An order without lines cannot be placed, but one such row must not vanish.
            rows.append(head + [None] * (len(ORDER_HEADERS) - len(head)))
        for line in mine:
            rows.append(
                [
                    *head,
                    line.line_id,
                    line.sku,
                    line.name,
                    format_cents(line.unit_price_cents),
                    line.ordered,
                    line.reserved,
                    line.shipped,
                    line.waiting,
                    line.cancelled,
                    str(line.state),
                    line.decision or "",
                    line.cancel_reason or "",
                    line.eta.isoformat() if line.eta else "",
                ]
            )
    return rows


def export_orders(
    path: str | os.PathLike[str],
    view: OrderFilter,
    *,
    progress: Progress | None = None,
    page_size: int = PAGE,
) -> int:
    """Write every order matching ``view`` to ``path``, one row per order line.

    Returns the number of rows (lines) written; ``progress(done, total)`` counts orders.

    Raises:
        UserError: the file cannot be written.
    """
    where = view.where()  # a reversed date range is refused before the file is touched
    matching = 0

    def count() -> int:
        nonlocal matching
        matching = order_queries.count_orders(**where)
        return matching

    def pages() -> Pages:
        for page in _order_pages(view, matching, page_size):
            yield _order_rows(page), len(page)

    return _write_csv(path, ORDER_HEADERS, count=count, pages=pages, progress=progress)


# ---------------------------------------------------------------- products


@dataclass(frozen=True)
class ProductFilter:
    """Which products the products export holds, as the Inventory window filters them.

    Attributes:
        search: part of a SKU, name or barcode.
        only_waiting: only products customers are waiting for.
        sort / descending: a key of ``queries.PRODUCT_SORTS``.
    """

    search: str = ""
    only_waiting: bool = False
    sort: str = "sku"
    descending: bool = False


def _product_row(figures: queries.StockFigures) -> list[Cell | None]:
    return [
        figures.sku,
        figures.name,
        "; ".join(figures.barcodes),
        format_cents(figures.price_cents),
        figures.on_hand,
        figures.reserved,
        figures.available,
        figures.waiting,
        figures.incoming,
        figures.reorder_point,
        "yes" if figures.below_reorder_point else "",
    ]


def export_products(
    path: str | os.PathLike[str],
    view: ProductFilter,
    *,
    progress: Progress | None = None,
    page_size: int = PAGE,
) -> int:
    """Write every product matching ``view`` with its stock figures to ``path``.

    Returns the number of products written (``progress`` counts them too).

    Raises:
        UserError: the file cannot be written.
    """
    search = view.search.strip() or None

    def pages() -> Pages:
        offset = 0
        while True:
            page = queries.product_figures(
                search=search,
                only_waiting=view.only_waiting,
                sort=view.sort,
                descending=view.descending,
                offset=offset,
                limit=page_size,
            )
            if page:
                yield [_product_row(figures) for figures in page], len(page)
            if len(page) < page_size:
                return
            offset += len(page)

    return _write_csv(
        path,
        PRODUCT_HEADERS,
        count=lambda: queries.count_products(search=search, only_waiting=view.only_waiting),
        pages=pages,
        progress=progress,
    )


# ------------------------------------------------------------------ ledger


@dataclass(frozen=True)
class LedgerFilter:
    """Which stock movements the ledger export holds.

    Attributes:
        product_id: only this product's movements (``None``: every product).
        since / until: booked on these local calendar days or between them.
    """

    product_id: int | None = None
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True)
class LedgerRow:
    """One stock movement: when (naive UTC), what, how many (signed), why, and what it
    belongs to (a receipt and its purchase order, or an order's shipment)."""

    entry_id: int
    at: datetime
    product_id: int
    sku: str
    name: str
    kind: str
    qty: int
    reason: str
    receipt_id: int | None
    purchase_order_id: int | None
    order_id: int | None
    staff: str


def _ledger_where(view: LedgerFilter) -> list[Any]:
    start, end = utc_bounds(view.since, view.until)
    where: list[Any] = []
    if view.product_id is not None:
        where.append(StockMovement.product == view.product_id)
    if start is not None:
        where.append(StockMovement.created_at >= start)
    if end is not None:
        where.append(StockMovement.created_at < end)
    return where


def count_ledger(view: LedgerFilter) -> int:
    """How many movements match ``view``."""
    query = StockMovement.select(fn.COUNT(StockMovement.id))
    for clause in _ledger_where(view):
        query = query.where(clause)
    return int(query.scalar() or 0)


def ledger_rows(view: LedgerFilter, *, after_id: int = 0, limit: int = PAGE) -> list[LedgerRow]:
    """A page of the ledger in booking order (entry number), starting after ``after_id``:
    each page starts from the primary key, so a deep page costs what the first does."""
    query = (
        StockMovement.select(
            StockMovement.id,
            StockMovement.created_at,
            Product.id,
            Product.sku,
            Product.name,
            StockMovement.kind,
            StockMovement.qty,
            StockMovement.reason,
            StockMovement.receipt,
            Receipt.purchase_order,
            OrderLine.order,
            Staff.name,
        )
        .join(Product, on=(StockMovement.product == Product.id))
        .switch(StockMovement)
        .join(Staff, on=(StockMovement.staff == Staff.id))
        .switch(StockMovement)
        .join(Receipt, JOIN.LEFT_OUTER, on=(StockMovement.receipt == Receipt.id))
        .switch(StockMovement)
        .join(OrderLine, JOIN.LEFT_OUTER, on=(StockMovement.order_line == OrderLine.id))
        .where(StockMovement.id > after_id)
    )
    for clause in _ledger_where(view):
        query = query.where(clause)
    return [
        LedgerRow(
            entry_id=row[0],
            at=row[1],
            product_id=row[2],
            sku=row[3],
            name=row[4],
            kind=row[5],
            qty=row[6],
            reason=row[7] or "",
            receipt_id=row[8],
            purchase_order_id=row[9],
            order_id=row[10],
            staff=row[11],
        )
        for row in query.order_by(StockMovement.id).limit(limit).tuples()
    ]


def _opening_stock(view: LedgerFilter) -> dict[int, int]:
    """On hand per product before the first day of ``view`` (none: everything counts)."""
    start, _end = utc_bounds(view.since, None)
    if start is None:
        return {}
    query = StockMovement.select(StockMovement.product, fn.SUM(StockMovement.qty)).where(
        StockMovement.created_at < start
    )
    if view.product_id is not None:
        query = query.where(StockMovement.product == view.product_id)
    return {int(pid): int(total) for pid, total in query.group_by(StockMovement.product).tuples()}


def export_ledger(
    path: str | os.PathLike[str],
    view: LedgerFilter,
    *,
    progress: Progress | None = None,
    page_size: int = PAGE,
) -> int:
    """Write every stock movement matching ``view`` to ``path``, oldest first.

    Returns the number of movements written (``progress`` counts them too).

    Raises:
        UserError: the file cannot be written, or the date range is reversed.
    """
    utc_bounds(view.since, view.until)  # a reversed range is refused before any work

    def pages() -> Pages:
        # One running total per product, not per row: memory stays bounded by products.
        on_hand = _opening_stock(view)
        after = 0
        while True:
            page = ledger_rows(view, after_id=after, limit=page_size)
            rows: list[list[Cell | None]] = []
            for entry in page:
                on_hand[entry.product_id] = on_hand.get(entry.product_id, 0) + entry.qty
                rows.append(
                    [
                        _local_time(entry.at),
                        entry.sku,
                        entry.name,
                        entry.kind,
                        entry.qty,
                        on_hand[entry.product_id],
                        entry.reason,
                        entry.receipt_id,
                        entry.purchase_order_id,
                        entry.order_id,
                        entry.staff,
                    ]
                )
            if rows:
                yield rows, len(rows)
            if len(page) < page_size:
                return
            after = page[-1].entry_id

    return _write_csv(
        path, LEDGER_HEADERS, count=lambda: count_ledger(view), pages=pages, progress=progress
    )
