"""Shopify's inventory CSV export: one row per variant and location.

Columns: ``Handle``, ``Title``, ``Option1 Value``..., ``SKU``, ``Location``, and the
quantities ``Incoming``, ``Unavailable``, ``Committed``, ``Available``, ``On hand``.

The desk keeps one stock figure per product, so a variant's ``On hand`` is summed over
the locations (the shop owns all of it; the desk reserves for its own orders itself, so
Shopify's "Committed" and "Available" are not what it counts). Files without ``On hand``
(older exports) use ``Available``.

The SKU column is often empty: the variant then gets the SKU made from its handle and
option values, as ``app.importing.shopify`` does for the product CSV, so importing a shop's
product file and then its inventory file updates the same products.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.importing.format import Format, Mapped, Records, variant_name
from app.importing.reading import Columns
from app.importing.rows import SourceRow, parse_import_stock
from app.importing.shopify import MADE_UP_NOTE, made_up_sku, option_values

_HANDLE = ("Handle", "URL handle")


@dataclass
class _Variant:
    line: int
    sku: str
    name: str
    made_up: bool
    units: int = 0
    counted: bool = False
    problems: list[str] = field(default_factory=list)


def read(columns: Columns, records: Records) -> Mapped:
    """Inventory rows to products, stock summed over locations."""
    mapped = Mapped()
    variants: dict[tuple[str, ...], _Variant] = {}
    locations: list[str] = []
    quantity = ("On hand",) if columns.has("On hand") else ("Available",)
    for line, cells in records:
        handle = columns.cell(cells, *_HANDLE)
        values = option_values(columns, cells)
        sku = columns.cell(cells, "SKU")
        key = (sku,) if sku else (handle, *values)
        variant = variants.get(key)
        if variant is None:
            made_up = not sku and bool(handle)
            variant = _Variant(
                line=line,
                sku=sku or (made_up_sku(handle, values) if handle else ""),
                name=variant_name(columns.cell(cells, "Title"), values),
                made_up=made_up,
            )
            variants[key] = variant
        location = columns.cell(cells, "Location")
        if location and location not in locations:
            locations.append(location)
        units, problem = parse_import_stock(columns.cell(cells, *quantity))
        if problem:
            where = f" (line {line}, {location})" if line != variant.line else ""
            variant.problems.append(problem + where)
        elif units is not None:
            variant.units += units
            variant.counted = True
    for variant in variants.values():
        notes = []
        if variant.made_up:
            notes.append(MADE_UP_NOTE)
        mapped.rows.append(
            SourceRow(
                line=variant.line,
                sku=variant.sku,
                name=variant.name,
                stock=str(variant.units) if variant.counted else None,
                note="; ".join(notes),
                problems=tuple(variant.problems),
            )
        )
    if len(locations) > 1:
        mapped.notes.append(
            f"Stock is the sum of {quantity[0]!r} over {len(locations)} locations: "
            + ", ".join(locations)
            + "."
        )
    return mapped


FORMAT = Format(
    key="shopify-inventory",
    label="Shopify inventory CSV",
    matches=lambda c: c.any(*_HANDLE) and c.has("Location") and c.any("On hand", "Available"),
    read=read,
)
