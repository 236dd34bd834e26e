"""Square's item library export (Items > Actions > Export library, CSV).

Columns used: ``Item Name``, ``Variation Name``, ``SKU``, ``GTIN``, ``Price``, and one
``Current Quantity <location>`` column per location (Square also writes ``New Quantity``,
``Enabled`` and ``Stock Alert`` columns per location; they are not counts). Stock is the
sum over the locations; all blank means Square does not track the item's stock, which is
then left alone. A variation named "Regular" (Square's name for the only one) adds nothing
to the product's name; others make "Item - Variation". A variable price is no price: an
existing product keeps its own.
"""

from __future__ import annotations

from app.importing.format import Format, Mapped, Records, variant_name
from app.importing.reading import Columns
from app.importing.rows import SourceRow, parse_import_stock

_QUANTITY = "Current Quantity"


def read(columns: Columns, records: Records) -> Mapped:
    """Square rows to products, stock summed over the location columns."""
    mapped = Mapped()
    locations = columns.starting(_QUANTITY)
    item = ""
    for line, cells in records:
        item = columns.cell(cells, "Item Name") or item
        price = columns.cell(cells, "Price")
        notes = []
        if price.casefold() == "variable":
            price = ""
            notes.append("variable price in Square: the price is left as it is")
        units = 0
        counted = False
        problems = []
        for index, location in locations:
            text = cells[index].strip() if index < len(cells) else ""
            count, problem = parse_import_stock(text)
            if problem:
                problems.append(f"{problem} (at {location})" if len(locations) > 1 else problem)
            elif count is not None:
                units += count
                counted = True
        mapped.rows.append(
            SourceRow(
                line=line,
                sku=columns.cell(cells, "SKU"),
                name=variant_name(item, [columns.cell(cells, "Variation Name")]),
                barcodes=(columns.cell(cells, "GTIN", "UPC"),),
                price=price,
                stock=str(units) if counted else None,
                note="; ".join(notes),
                problems=tuple(problems),
            )
        )
    if len(locations) > 1:
        mapped.notes.append(
            f"Stock is the sum over {len(locations)} locations: "
            + ", ".join(name for _index, name in locations)
            + "."
        )
    return mapped


FORMAT = Format(
    key="square",
    label="Square item library",
    matches=lambda c: c.has("Item Name", "Variation Name", "SKU"),
    read=read,
)
