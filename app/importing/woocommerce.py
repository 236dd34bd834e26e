"""WooCommerce's product CSV export (Products > Export).

Columns used: ``ID``, ``Type``, ``SKU``, ``Name``, ``Stock``, ``Regular price``,
``Parent``, ``Attribute N value(s)`` and, from WooCommerce 9.2, ``GTIN, UPC, EAN, or
ISBN``. ``In stock?`` and ``Backorders allowed?`` (``1``/``0``/``notify``) say nothing
the desk needs: it keeps its own queue.

Stock items are ``simple`` products and ``variation`` rows. A ``variable`` product is the
parent of its variations (stock is counted per variation), and ``grouped`` and
``external`` products hold no stock of their own: those rows are passed over. A blank
``Stock`` means WooCommerce does not manage that product's stock: it is left alone. A
variation without a name is named after its parent ("Hoodie - Blue, Large").
"""

from __future__ import annotations

from app.importing.format import Format, Mapped, Records, Skipped
from app.importing.reading import Columns
from app.importing.rows import SourceRow

_NOT_STOCKED = {
    "variable": "a variable product: its variations are imported from their own rows",
    "grouped": "a grouped product: its products are imported from their own rows",
    "external": "an external (affiliate) product: the shop holds no stock of it",
}
_GTIN = ("GTIN, UPC, EAN, or ISBN", "GTIN, UPC, EAN or ISBN", "GTIN")


def read(columns: Columns, records: Records) -> Mapped:
    """WooCommerce rows to products."""
    mapped = Mapped()
    rows = list(records)
    names: dict[str, str] = {}
    for _line, cells in rows:
        name = columns.cell(cells, "Name")
        row_id, sku = columns.cell(cells, "ID"), columns.cell(cells, "SKU")
        # ``Parent`` names the parent as ``id:123`` or by its SKU.
        for key in (f"id:{row_id}" if row_id else "", sku):
            if key and name:
                names.setdefault(key, name)
    attributes = [
        index for index, _rest in columns.starting("Attribute") if _is_value(columns, index)
    ]
    has_stock = columns.has("Stock")
    for line, cells in rows:
        kinds = {kind.strip().casefold() for kind in columns.cell(cells, "Type").split(",")}
        skip = next((why for kind, why in _NOT_STOCKED.items() if kind in kinds), None)
        if skip:
            mapped.skipped.append(Skipped(line, skip))
            continue
        name = columns.cell(cells, "Name")
        if not name:
            parent = names.get(columns.cell(cells, "Parent"), "")
            values = [cells[i].strip() for i in attributes if i < len(cells) and cells[i].strip()]
            name = f"{parent} - {', '.join(values)}" if parent and values else parent
        mapped.rows.append(
            SourceRow(
                line=line,
                sku=columns.cell(cells, "SKU"),
                name=name,
                barcodes=(columns.cell(cells, *_GTIN),),
                price=columns.cell(cells, "Regular price"),
                stock=columns.cell(cells, "Stock") if has_stock else None,
            )
        )
    return mapped


def _is_value(columns: Columns, index: int) -> bool:
    """``Attribute 1 value(s)``, not its name, visibility or global flag."""
    return columns.header[index].casefold().endswith("value(s)")


FORMAT = Format(
    key="woocommerce",
    label="WooCommerce product CSV",
    matches=lambda c: c.has("SKU", "Name", "Type") and c.any("Regular price", "In stock?", "Stock"),
    read=read,
)
