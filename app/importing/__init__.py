"""Importing products and stock from the files a small shop already has.

``read_file(path)`` reads a CSV (``reading``), recognises its format from the header
(``formats``: Shopify's product and inventory exports, WooCommerce, Square, our own) and
maps each row to an ``ImportRow`` with its problems (``rows``). Nothing here touches the
store: ``preview(path, controller)`` and ``run_import(path, controller)`` hand the rows to
``Controller.import_products``, which holds the rules (what an existing SKU means, which
barcodes are taken, stock as ledger movements) and writes every good row in one
transaction, or, for the preview and a dry run, writes nothing and reports the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.importing.format import Skipped
from app.importing.formats import DELIMITER_NAMES, FORMATS, detect
from app.importing.reading import read_text, records
from app.importing.rows import ImportResult, ImportRow, RefusedRow, build_row

if TYPE_CHECKING:
    from app.controller import Controller

__all__ = [
    "FORMATS",
    "ImportPreview",
    "ImportResult",
    "ImportRow",
    "ParsedFile",
    "RefusedRow",
    "Skipped",
    "preview",
    "read_file",
    "run_import",
]

Progress = Callable[[int, int], None]


@dataclass
class ParsedFile:
    """A file read and mapped, before the store is consulted.

    Attributes:
        path: the file.
        format_key / format_label: which format the header is (``shopify-products``,
            "Shopify product CSV").
        encoding, delimiter: how the file was written ("UTF-8 with BOM", "comma").
        rows: the products found, in file order, each with its own problems.
        skipped: rows that are not products to stock (image rows, parent products).
        notes: what the person should know about the whole file (locations summed).
    """

    path: Path
    format_key: str
    format_label: str
    encoding: str
    delimiter: str
    rows: list[ImportRow] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class ImportPreview:
    """A file and what importing it does (``result.dry_run``: would do).

    ``problems(line)`` gives every problem of a row, the file's own and the store's.
    """

    file: ParsedFile
    result: ImportResult
    _by_line: dict[int, tuple[str, ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_line = {row.line: row.problems for row in self.result.refused}

    def problems(self, line: int) -> tuple[str, ...]:
        return self._by_line.get(line, ())

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": str(self.file.path),
            "format": self.file.format_key,
            "format_label": self.file.format_label,
            "encoding": self.file.encoding,
            "delimiter": self.file.delimiter,
            "skipped": [{"line": s.line, "why": s.why} for s in self.file.skipped],
            "notes": list(self.file.notes),
            **self.result.as_dict(),
            "rows": [
                {
                    **row.as_dict(),
                    "problems": list(self.problems(row.line)),
                    "action": self.result.actions.get(row.line, ""),
                }
                for row in self.file.rows
            ],
        }


def read_file(path: str | Path) -> ParsedFile:
    """Read and map a file; every row comes back, each with its problems.

    Raises:
        UserError: the file cannot be read at all, or its header is not one we know.
    """
    where = Path(path)
    text = read_text(where)
    found = detect(text.text, name=where.name)
    mapped = found.format.read(found.columns, records(text.text, found.delimiter))
    return ParsedFile(
        path=where,
        format_key=found.format.key,
        format_label=found.format.label,
        encoding=text.encoding,
        delimiter=DELIMITER_NAMES.get(found.delimiter, found.delimiter),
        rows=[build_row(source) for source in mapped.rows],
        skipped=mapped.skipped,
        notes=mapped.notes,
    )


def preview(
    path: str | Path, controller: Controller, *, progress: Progress | None = None
) -> ImportPreview:
    """What importing the file would do, row by row; writes nothing."""
    return run_import(path, controller, dry_run=True, progress=progress)


def run_import(
    path: str | Path,
    controller: Controller,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportPreview:
    """Import the file's good rows in one transaction (``dry_run``: roll it back)."""
    parsed = read_file(path)
    result = controller.import_products(
        parsed.rows, source=parsed.path.name, dry_run=dry_run, progress=progress
    )
    return ImportPreview(file=parsed, result=result)
