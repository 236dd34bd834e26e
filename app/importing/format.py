"""What a file format module provides: how to recognise its header and map its rows.

Each format is one small module (``shopify``, ``shopify_inventory``, ``woocommerce``,
``square``, ``plain``) exposing ``Format`` objects; ``app.importing.formats`` lists them
in the order they are tried.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from app.importing.reading import Columns
from app.importing.rows import SourceRow

Records = Iterable[tuple[int, list[str]]]


@dataclass(frozen=True)
class Skipped:
    """A row of the file that is not a product to stock (an image row, a parent product)."""

    line: int
    why: str


@dataclass
class Mapped:
    """A format's reading of a file: its products, the rows passed over, general notes."""

    rows: list[SourceRow] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Format:
    """A file format we import.

    Attributes:
        key: a stable name for scripts (``--json``): ``shopify-products`` ...
        label: what to call it in the preview: "Shopify product CSV".
        matches: whether a header is this format's.
        read: maps the rows after the header.
    """

    key: str
    label: str
    matches: Callable[[Columns], bool]
    read: Callable[[Columns, Records], Mapped]


def slug(text: str) -> str:
    """``"Lizard Effect Brown"`` -> ``"lizard-effect-brown"``: ASCII letters, digits, dashes."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def variant_name(title: str, values: Iterable[str]) -> str:
    """``"Example T-Shirt - Green / S"``: the product's title and its option values, the
    way Shopify and Square show a variant (a lone default option adds nothing)."""
    shown = [v for v in values if v and v.casefold() not in _DEFAULT_OPTIONS]
    return f"{title} - {' / '.join(shown)}" if shown and title else (title or " / ".join(shown))


#: The option value platforms give a product that has no variants.
_DEFAULT_OPTIONS = frozenset({"default title", "regular"})
