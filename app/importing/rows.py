"""The common shape every import format is mapped to, and the checks of one row.

A format module turns the file's rows into ``SourceRow`` (the cells it found, as text);
``build_row`` parses those into an ``ImportRow`` and lists what is wrong with it, in the
words the person fixing the file needs: what is wrong, a dash, what to do. The rules come
from ``app.validation`` and ``app.barcodes`` and the column sizes from ``app.models``, so
an imported product obeys the same rules as one typed in.

What the store has (an existing SKU, a barcode that belongs to another product, units
reserved for orders) is for the controller to judge: ``Controller.import_products``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from app.barcodes import GTIN_LENGTHS, normalize_barcode, parse_gtin
from app.errors import UserError
from app.validation import MAX_PRICE_CENTS, MAX_QTY, format_cents, shown

if TYPE_CHECKING:
    from app.controller import Allocation

#: Column sizes of the product table (``app.models.Product`` / ``Barcode``).
MAX_SKU = 64
MAX_NAME = 200
MAX_BARCODE = 64

#: A number as a spreadsheet writes it after it took a barcode for one: ``3.65275E+11``,
#: or ``4006381333931.0``; the digits that were cut off cannot be got back.
_MANGLED = re.compile(r"^\d+([.,]\d+)?[eE]\+?\d+$|^\d+[.,]0+$")
#: A count written with thousands separators, such as 1,234.
_THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+$")
#: Currency signs and spaces people leave around a price.
_MONEY_NOISE = re.compile(r"[\s$€£¥]|(?i:usd|eur|gbp|cad|aud)")


@dataclass(frozen=True)
class SourceRow:
    """One product as a format module found it: the cells as text ('' when absent).

    Attributes:
        line: the row's number in the file, the header being line 1 (a spreadsheet's row
            number, also when a quoted cell spans several physical lines).
        barcodes: every barcode cell of the row (some formats have several).
        stock: the count on hand, already summed over locations where the format has
            several (``None``: the file says nothing about stock for this row).
        note: something the person should know about this row that is not a problem
            (a SKU made up from the handle, locations summed).
        problems: what the format module itself found wrong.
    """

    line: int
    sku: str
    name: str = ""
    barcodes: tuple[str, ...] = ()
    price: str = ""
    stock: str | None = None
    note: str = ""
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportRow:
    """One product to bring in, parsed; rows with ``problems`` are refused.

    Attributes:
        line: the row's number in the file (the header is line 1).
        sku: the product's SKU ('' when the file gave none).
        name: '' when the file gives none (an existing product keeps its name).
        barcodes: GTINs or internal codes, as printed (valid when there is no problem).
        price_cents: ``None`` when the file gives no price (an existing product keeps its
            price; a new one gets 0).
        on_hand: the counted stock; ``None`` when the file gives no count (stock is left
            as it is).
        note: information for the person, not a problem.
        problems: one sentence per problem: what is wrong - what to do.
    """

    line: int
    sku: str
    name: str = ""
    barcodes: tuple[str, ...] = ()
    price_cents: int | None = None
    on_hand: int | None = None
    note: str = ""
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "sku": self.sku,
            "name": self.name,
            "barcodes": list(self.barcodes),
            "price": format_cents(self.price_cents) if self.price_cents is not None else None,
            "on_hand": self.on_hand,
            "note": self.note,
            "problems": list(self.problems),
        }


@dataclass(frozen=True)
class RefusedRow:
    """A row of the file that was not imported, and why (one sentence per problem)."""

    line: int
    sku: str
    problems: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "sku": self.sku, "problems": list(self.problems)}


@dataclass
class ImportResult:
    """What an import did, or (``dry_run``) would do: the counts are the same either way.

    Attributes:
        created: SKUs of the products added.
        updated: SKUs of the products whose name, price, barcodes or stock changed.
        unchanged: rows whose product already was as the file says.
        refused: the rows not imported, in file order.
        units_in / units_out: stock added / taken off by the import's movements.
        barcodes_added: barcodes linked to products.
        actions: per line of the file, what happens to it, in words.
        allocation: waiting lines served by the stock that came in.
    """

    source: str
    dry_run: bool
    allocation: Allocation
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    refused: list[RefusedRow] = field(default_factory=list)
    units_in: int = 0
    units_out: int = 0
    barcodes_added: int = 0
    actions: dict[int, str] = field(default_factory=dict)

    @property
    def good(self) -> int:
        """Rows that are (or would be) imported, changed or not."""
        return len(self.created) + len(self.updated) + self.unchanged

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "dry_run": self.dry_run,
            "good": self.good,
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": self.unchanged,
            "refused": [row.as_dict() for row in self.refused],
            "units_in": self.units_in,
            "units_out": self.units_out,
            "barcodes_added": self.barcodes_added,
            **self.allocation.as_dict(),
        }


def build_row(source: SourceRow) -> ImportRow:
    """Parse a format's cells into an ``ImportRow``, listing every problem found."""
    problems = list(source.problems)
    sku = " ".join(source.sku.split())
    name = " ".join(source.name.split())
    barcodes: list[str] = []
    for cell in source.barcodes:
        text = cell.strip().lstrip("'")  # a leading ' is how spreadsheets mark text
        if not text:
            continue
        code, problem = parse_import_barcode(text)
        if problem:
            problems.append(problem)
        elif code not in barcodes:
            barcodes.append(code)
    price, problem = parse_import_price(source.price)
    if problem:
        problems.append(problem)
    on_hand: int | None = None
    if source.stock is not None:
        on_hand, problem = parse_import_stock(source.stock)
        if problem:
            problems.append(problem)
    row = ImportRow(
        line=source.line,
        sku=sku,
        name=name,
        barcodes=tuple(barcodes),
        price_cents=price,
        on_hand=on_hand,
        note=source.note,
        problems=tuple(problems),
    )
    extra = check_row(row)
    return row if not extra else _with_problems(row, extra)


def sku_could_exist(sku: str) -> bool:
    """Whether a product could have this SKU (not too long, nothing unprintable), so that
    looking it up in the store makes sense."""
    return len(sku) <= MAX_SKU and sku.isprintable()


def check_row(row: ImportRow) -> list[str]:
    """What is wrong with a parsed row's own values (the store not consulted).

    ``build_row`` ends with it and ``Controller.import_products`` runs it again, so rows
    made any other way are held to the same rules.
    """
    problems: list[str] = []
    if not row.sku:
        problems.append("no SKU - fill in the SKU column (the shop's own code for the item)")
    elif len(row.sku) > MAX_SKU:
        problems.append(f"SKU is {len(row.sku)} characters long - shorten it to at most {MAX_SKU}")
    elif any(ch.isspace() for ch in row.sku) or not row.sku.isprintable():
        problems.append(
            f"SKU {row.sku!r} contains spaces - use letters, digits and dashes in the SKU"
        )
    if len(row.name) > MAX_NAME:
        problems.append(
            f"name is {len(row.name)} characters long - shorten it to at most {MAX_NAME}"
        )
    elif not row.name.isprintable():
        problems.append("name contains control characters - retype the name")
    for code in row.barcodes:
        _code, problem = parse_import_barcode(code)
        if problem and problem not in row.problems:
            problems.append(problem)
    if row.price_cents is not None and not 0 <= row.price_cents <= MAX_PRICE_CENTS:
        problems.append(
            f"price {format_cents(row.price_cents)} is out of range - use 0 to "
            f"{format_cents(MAX_PRICE_CENTS)}"
        )
    if row.on_hand is not None and not 0 <= row.on_hand <= MAX_QTY:
        problems.append(
            f"stock {row.on_hand} is out of range - count the shelf and put 0 to {MAX_QTY:,}"
        )
    return [p for p in problems if p not in row.problems]


def parse_import_barcode(text: str) -> tuple[str, str]:
    """``(code as printed, '')`` for a usable barcode, else ``('', problem)``.

    A spreadsheet that took the column for numbers drops a UPC's leading zero
    (``012345678905`` becomes ``12345678905``): a code one or two digits short of a GTIN
    whose check digit holds once zero-padded is that GTIN (GTINs are compared zero-padded
    anyway). Scientific notation is refused: its lost digits cannot be got back.
    """
    if _MANGLED.match(text):
        return "", (
            f"barcode {text} was turned into a number by a spreadsheet - re-export the "
            "file with the barcode column formatted as text"
        )
    if len(text) > MAX_BARCODE:
        return "", (f"barcode is {len(text)} characters long - barcodes have at most {MAX_BARCODE}")
    if text.isdigit() and len(text) not in GTIN_LENGTHS:
        for length in GTIN_LENGTHS:
            if 0 < length - len(text) <= 2 and not text.startswith("0"):
                padded = text.zfill(length)
                try:
                    parse_gtin(padded)
                except UserError:
                    continue
                return padded, ""
    try:
        code = normalize_barcode(text)
    except UserError:
        if text.isdigit():
            return "", (
                f"barcode {text} has a wrong check digit - correct it from the label, or "
                "leave the barcode empty"
            )
        return "", (
            f"barcode {text!r} is not a GTIN or an internal code - use 8, 12, 13 or 14 "
            "digits, or letters, digits, '-', '_' and '.'"
        )
    return code.display, ""


def parse_import_price(text: str) -> tuple[int | None, str]:
    """``(cents, '')``; blank is ``(None, '')``; a bad price is ``(None, problem)``.

    Currency signs are dropped, and a thousands separator is told from a decimal comma by
    which comes last (``1.234,50`` and ``1,234.50`` are both 1234.50).
    """
    raw = text.strip()
    cleaned = _MONEY_NOISE.sub("", raw)
    if not cleaned:
        return None, ""
    if "," in cleaned and "." in cleaned:
        thousands = "," if cleaned.rfind(".") > cleaned.rfind(",") else "."
        cleaned = cleaned.replace(thousands, "")
    cleaned = cleaned.replace(",", ".")
    try:
        amount = Decimal(cleaned) if "_" not in cleaned else None  # Decimal reads 1_0 as 10
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        return None, f"price {shown(raw)} is not a number - write it like 9.99"
    if amount < 0:
        return None, f"price {_cell(raw)} is negative - write a price of 0 or more, like 9.99"
    # Compared before any arithmetic: 1e999999 * 100 overflows the decimal context.
    if amount > Decimal(MAX_PRICE_CENTS) / 100:
        return None, f"price {_cell(raw)} is too large - at most {format_cents(MAX_PRICE_CENTS)}"
    if amount != amount.quantize(Decimal("0.01")):
        return None, f"price {_cell(raw)} has more than two decimals - round it to cents"
    return int(amount.quantize(Decimal("0.01")) * 100), ""


def parse_import_stock(text: str) -> tuple[int | None, str]:
    """``(units, '')``; blank is ``(None, '')``; a bad count is ``(None, problem)``."""
    raw = text.strip()
    if not raw:
        return None, ""
    # 1,234 is a thousands separator a spreadsheet put in; 2,5 is a decimal comma.
    plain = raw.replace(",", "") if _THOUSANDS.match(raw) else raw.replace(",", ".")
    try:
        amount = Decimal(plain) if "_" not in plain else None  # Decimal reads 1_0 as 10
    except InvalidOperation:
        amount = None
    if amount is None:
        return None, f"stock {shown(raw)} is not a number - write the units on hand, like 12"
    if not amount.is_finite() or amount != amount.to_integral_value():
        return None, f"stock {_cell(raw)} is not a whole number - count whole units, like 12"
    if amount < 0:
        return None, f"stock {_cell(raw)} is negative - count the shelf and put 0 or more"
    # Compared before int(): int(Decimal("1e999999")) has a million digits.
    if amount > MAX_QTY:
        return None, f"stock {_cell(raw)} is too large - at most {MAX_QTY:,}; check for a typo"
    return int(amount), ""


def _cell(raw: str) -> str:
    """A cell in a problem: as written when short and plain, else quoted and cut."""
    return raw if len(raw) <= 40 and raw.isprintable() else shown(raw)


def _with_problems(row: ImportRow, problems: list[str]) -> ImportRow:
    return replace(row, problems=row.problems + tuple(problems))
