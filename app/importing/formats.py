"""The formats we import, in the order their headers are tried, and the detection."""

from __future__ import annotations

from dataclasses import dataclass

from app.errors import UserError
from app.importing import plain, shopify, shopify_inventory, square, woocommerce
from app.importing.format import Format
from app.importing.reading import DELIMITERS, Columns, first_row, guess_delimiter

#: Most specific first: the inventory export also has a Handle; ours only takes a header
#: made of its own columns.
FORMATS: tuple[Format, ...] = (
    shopify_inventory.FORMAT,
    shopify.CLASSIC,
    shopify.RENAMED,
    woocommerce.FORMAT,
    square.FORMAT,
    plain.FORMAT,
)

DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}


@dataclass(frozen=True)
class Detected:
    """A file's format, the delimiter that gave its header, and the header."""

    format: Format
    delimiter: str
    columns: Columns


def detect(text: str, *, name: str = "The file") -> Detected:
    """Which format the header is, trying each delimiter.

    Raises:
        UserError: no known header with any delimiter (the columns seen are named).
    """
    for delimiter in DELIMITERS:
        columns = Columns(first_row(text, delimiter))
        for candidate in FORMATS:
            if candidate.matches(columns):
                return Detected(candidate, delimiter, columns)
    seen = first_row(text, guess_delimiter(text))
    shown = ", ".join(seen[:8]) + (", ..." if len(seen) > 8 else "")
    raise UserError(
        f"{name} has a header Backorder Desk does not know ({shown}): export the products "
        "from Shopify, WooCommerce or Square, or use the columns "
        f"{','.join(plain.COLUMNS)}."
    )
