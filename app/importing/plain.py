"""Backorder Desk's own plain CSV: ``sku,name,barcode,price,on_hand``.

Only ``sku`` is required; a missing column leaves that part of an existing product alone.
``barcode`` may hold several codes separated by ``|`` or spaces. The header must consist of
these columns only (any order, any case), so another program's file is never taken for
ours.
"""

from __future__ import annotations

import re

from app.importing.format import Format, Mapped, Records
from app.importing.reading import Columns
from app.importing.rows import SourceRow

COLUMNS = ("sku", "name", "barcode", "price", "on_hand")
_STOCK = ("on_hand", "on hand")
_KNOWN = frozenset({*COLUMNS, "on hand"})


def read(columns: Columns, records: Records) -> Mapped:
    """Our own rows to products."""
    mapped = Mapped()
    has_stock = columns.any(*_STOCK)
    for line, cells in records:
        codes = re.split(r"[|\s]+", columns.cell(cells, "barcode"))
        mapped.rows.append(
            SourceRow(
                line=line,
                sku=columns.cell(cells, "sku"),
                name=columns.cell(cells, "name"),
                barcodes=tuple(code for code in codes if code),
                price=columns.cell(cells, "price"),
                stock=columns.cell(cells, *_STOCK) if has_stock else None,
            )
        )
    return mapped


def _matches(columns: Columns) -> bool:
    names = {" ".join(name.split()).casefold() for name in columns.header if name.strip()}
    return "sku" in names and names <= _KNOWN


FORMAT = Format(key="plain", label="Backorder Desk CSV", matches=_matches, read=read)
