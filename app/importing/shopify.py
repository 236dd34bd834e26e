"""Shopify's product CSV, with its classic headers and the renamed ones of newer exports.

Classic: ``Handle``, ``Title``, ``Option1 Value``..., ``Variant SKU``, ``Variant Price``,
``Variant Inventory Qty``, ``Variant Barcode``, ``Variant Inventory Tracker``. Newer
exports: ``URL handle``, ``SKU``, ``Price``, ``Inventory quantity``, ``Barcode``,
``Inventory tracker``.

A product with variants has one row per variant: the first carries the product's fields,
the others repeat the handle and leave the title blank, so the title is carried down from
the handle's first row and a variant is named "Title - Option values". Rows with nothing
but another image of the product are passed over.

A variant without a SKU gets one made from the handle and its option values
(``example-shirt.green.s``), the same as ``shopify_inventory`` makes for the inventory
export (whose SKU column is often empty), so the product file and the stock file of the
same shop meet on the same products. A variant whose tracker is blank is not stock-tracked
in Shopify: its quantity is not a count, and the product's stock is left alone.
"""

from __future__ import annotations

from app.importing.format import Format, Mapped, Records, Skipped, slug, variant_name
from app.importing.reading import Columns
from app.importing.rows import SourceRow

_HANDLE = ("Handle", "URL handle")
MADE_UP_NOTE = "no SKU in the file: the SKU is made from the handle and options"
_SKU = ("Variant SKU", "SKU")
_PRICE = ("Variant Price", "Price")
_QTY = ("Variant Inventory Qty", "Inventory quantity")
_TRACKER = ("Variant Inventory Tracker", "Inventory tracker")
_BARCODE = ("Variant Barcode", "Barcode")


def option_values(columns: Columns, cells: list[str]) -> list[str]:
    """The row's Option1..3 values, blanks left out."""
    values = (columns.cell(cells, f"Option{i} Value") for i in (1, 2, 3))
    return [value for value in values if value]


def made_up_sku(handle: str, values: list[str]) -> str:
    """The SKU given to a variant the file has none for: handle and option values."""
    parts = [slug(handle)] + [slug(v) for v in values if v.casefold() != "default title"]
    return ".".join(part for part in parts if part)


def read(columns: Columns, records: Records) -> Mapped:
    """Shopify product rows to products (variants)."""
    mapped = Mapped()
    titles: dict[str, str] = {}
    tracked_column = columns.where(*_TRACKER) is not None
    for line, cells in records:
        handle = columns.cell(cells, *_HANDLE)
        title = columns.cell(cells, "Title")
        if title:
            titles.setdefault(handle, title)
        title = titles.get(handle, title)
        values = option_values(columns, cells)
        sku = columns.cell(cells, *_SKU)
        price = columns.cell(cells, *_PRICE)
        qty = columns.cell(cells, *_QTY)
        barcode = columns.cell(cells, *_BARCODE)
        if not (sku or values or price or qty or barcode):
            mapped.skipped.append(Skipped(line, "another image of the product above"))
            continue
        notes = []
        problems: tuple[str, ...] = ()
        if not sku and handle:
            sku = made_up_sku(handle, values)
            notes.append(MADE_UP_NOTE)
        elif not sku:
            problems = ("no SKU and no handle - give the variant a SKU in Shopify",)
        stock: str | None = qty
        if tracked_column and not columns.cell(cells, *_TRACKER):
            stock = None
            if qty:
                notes.append("Shopify does not track this variant's stock: stock left as it is")
        mapped.rows.append(
            SourceRow(
                line=line,
                sku=sku,
                name=variant_name(title, values),
                barcodes=(barcode,),
                price=price,
                stock=stock,
                note="; ".join(notes),
                problems=problems,
            )
        )
    return mapped


CLASSIC = Format(
    key="shopify-products",
    label="Shopify product CSV",
    matches=lambda c: c.has("Handle", "Title", "Variant SKU"),
    read=read,
)

RENAMED = Format(
    key="shopify-products",
    label="Shopify product CSV (newer headers)",
    matches=lambda c: c.has("URL handle", "Title", "SKU"),
    read=read,
)
