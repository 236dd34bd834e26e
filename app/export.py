"""CSV export of the backorder list, as filtered and sorted in the Backorders window.

Written with the ``csv`` module's excel dialect in UTF-8 with a byte-order mark, so
spreadsheet programs open it with the right columns and accented names intact. Every
matching line is exported (paged from the database, never all in memory), into a
temporary file that replaces the target only when complete: a failed export leaves no
half-written file behind.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from datetime import date
from pathlib import Path

from app import queries
from app.backorder_view import BackorderFilter
from app.clock import to_local
from app.errors import UserError
from app.models import database
from app.queries import BackorderRow

#: The columns of the file, in order.
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

PAGE = 1000

Progress = Callable[[int, int], None]


def csv_row(row: BackorderRow, today: date) -> list[str | int]:
    """One line of the export; dates are ISO (YYYY-MM-DD) so spreadsheets read them as dates."""
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
        f"{to_local(row.placed_at):%Y-%m-%d %H:%M}",
        row.days_waiting(today),
        row.eta.isoformat() if row.eta else "",
        "yes" if overdue else "",
        row.priority,
    ]


def export_backorders(
    path: str | os.PathLike[str],
    view: BackorderFilter,
    *,
    today: date,
    progress: Progress | None = None,
    page_size: int = PAGE,
) -> int:
    """Write every waiting line matching ``view`` (in its sort order) to ``path``.

    Returns the number of lines written. ``progress(done, total)`` is called after each page.

    Raises:
        UserError: the file cannot be written (folder missing, no permission, or the file
            is open in a spreadsheet program that locks it).
    """
    target = Path(path)
    partial = target.with_name(target.name + ".part")
    where = view.where(today)
    written = 0
    try:
        # One read transaction: on SQLite every page comes from the same snapshot, so a
        # line changing mid-export is neither skipped nor written twice.
        with database.atomic(), partial.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, dialect="excel")
            writer.writerow(HEADERS)
            total = queries.count_backorders(**where)
            if progress is not None:
                progress(0, total)
            while True:
                page = queries.backorders(
                    **where,
                    sort=view.sort,
                    descending=view.descending,
                    offset=written,
                    limit=page_size,
                )
                writer.writerows(csv_row(row, today) for row in page)
                written += len(page)
                if progress is not None:
                    progress(written, max(total, written))
                if len(page) < page_size:
                    break
        os.replace(partial, target)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise UserError(
            f"Could not write {target}: {error.strerror or error}. Choose another folder, or "
            "close the file if a spreadsheet program has it open, and export again.",
            field="path",
        ) from error
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return written
