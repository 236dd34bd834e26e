"""Reading a shop's CSV file whatever program wrote it: encoding, delimiter, header.

Encoding: UTF-8 with or without a byte-order mark (Shopify, WooCommerce, Square), UTF-16
with its mark (Excel's "Unicode text"), else Windows-1252 (Excel's "CSV" on Windows in
Western Europe and the Americas). A Windows-1252 file that is really another code page
still reads, with a few wrong letters in names; refusing it would help no one.

Delimiter: ``,`` ``;`` (spreadsheets where the decimal mark is a comma) or tab. The
header tells: the delimiter is the one whose split of the first row gives a header this
package knows (``app.importing.formats``). Only when none does is ``csv.Sniffer`` asked,
to show the person the columns we saw. (clevercsv, the better dialect detector, is not
available from the package index this project installs from; knowing the header is more
reliable than either for the formats we read.)

Line numbers are records counted from the header as line 1, which is the row number a
spreadsheet shows, also when a quoted cell (a product description) spans several lines.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from app.errors import UserError

DELIMITERS = (",", ";", "\t")
#: A file bigger than this is not a shop's product list (a log, a database dump).
MAX_BYTES = 200 * 1024 * 1024
#: The first bytes of an .xlsx/.ods (zip) and of an old .xls (OLE) workbook.
_WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")


@dataclass(frozen=True)
class Text:
    """A file's text and how it was encoded (for the preview: "UTF-8 with BOM")."""

    text: str
    encoding: str


def read_text(path: str | Path) -> Text:
    """The file's text.

    Raises:
        UserError: missing, unreadable, empty, too big, or a workbook instead of CSV.
    """
    where = Path(path)
    try:
        size = where.stat().st_size
        if size > MAX_BYTES:
            raise UserError(
                f"{where.name} is {size // (1024 * 1024)} MB, too big for a product list "
                f"(at most {MAX_BYTES // (1024 * 1024)} MB): check that it is the right file."
            )
        data = where.read_bytes()
    except FileNotFoundError:
        raise UserError(f"There is no file {where}: check the name and folder.") from None
    except IsADirectoryError:
        raise UserError(f"{where} is a folder: choose a CSV file in it.") from None
    except OSError as error:
        raise UserError(f"{where} cannot be read ({error.strerror or error}).") from None
    if data.startswith(_WORKBOOK_MAGIC):
        raise UserError(
            f"{where.name} is a spreadsheet workbook, not a CSV file: open it and save it "
            "as CSV (comma-separated values), then import that."
        )
    text = decode(data)
    if not text.text.strip():
        raise UserError(f"{where.name} is empty: export the products again.")
    return text


def decode(data: bytes) -> Text:
    """Bytes to text: UTF-16 or UTF-8 by their marks, UTF-8, else Windows-1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return Text(data.decode("utf-16"), "UTF-16")
        except UnicodeDecodeError:
            raise UserError(
                "The file says it is UTF-16 text but is not: export it again."
            ) from None
    if b"\x00" in data[:4096]:
        raise UserError("The file is not text (it holds binary data): choose the CSV export.")
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return Text(data[3:].decode("utf-8"), "UTF-8 with BOM")
        except UnicodeDecodeError:
            pass  # a mark copied onto another encoding's text: read it as that
    try:
        return Text(data.decode("utf-8"), "UTF-8")
    except UnicodeDecodeError:
        pass
    try:
        return Text(data.decode("cp1252"), "Windows-1252")
    except UnicodeDecodeError:
        # The five bytes cp1252 leaves undefined: Latin-1 reads every byte.
        return Text(data.decode("latin-1"), "Latin-1")


def first_row(text: str, delimiter: str) -> list[str]:
    """The header row's cells, trimmed; read like ``records`` reads the rest (a bare
    carriage return ends a line, as old Mac exports have it).

    Raises:
        UserError: the header's quoting is broken.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                return [cell.strip() for cell in cells]
    except csv.Error as error:
        raise UserError(
            f"The file's first line cannot be read ({error}): a quote is probably not "
            "closed. Export it again from the shop's program."
        ) from None
    return []


def guess_delimiter(text: str) -> str:
    """The delimiter ``csv.Sniffer`` sees in the first lines (``,`` when unsure)."""
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS) + "|").delimiter
    except csv.Error:
        return ","


def records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """``(line, cells)`` for every row after the header; blank rows are skipped.

    Raises:
        UserError: the CSV quoting is broken (an opening quote never closed).
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    line = 0
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                if line == 0:
                    continue  # blank lines before the header are not rows
                line += 1
                continue
            line += 1
            if line > 1:
                yield line, cells
    except csv.Error as error:
        raise UserError(
            f"The file cannot be read after line {line} ({error}): a quote is probably "
            "not closed. Export it again from the shop's program."
        ) from None


class Columns:
    """A header: where each column is, found by name regardless of case and spacing."""

    def __init__(self, header: Sequence[str]) -> None:
        self.header = [cell.strip() for cell in header]
        self._index: dict[str, int] = {}
        for index, name in enumerate(self.header):
            self._index.setdefault(_key(name), index)

    def has(self, *names: str) -> bool:
        """Whether every one of these columns is there."""
        return all(_key(name) in self._index for name in names)

    def any(self, *names: str) -> bool:
        """Whether at least one of these columns is there."""
        return any(_key(name) in self._index for name in names)

    def where(self, *names: str) -> int | None:
        """The index of the first of these columns that is there."""
        for name in names:
            index = self._index.get(_key(name))
            if index is not None:
                return index
        return None

    def cell(self, cells: Sequence[str], *names: str) -> str:
        """The row's cell under the first of these columns that is there ('' if none)."""
        index = self.where(*names)
        if index is None or index >= len(cells):
            return ""
        return cells[index].strip()

    def starting(self, prefix: str) -> list[tuple[int, str]]:
        """``(index, rest of the name)`` of every column whose name starts with prefix."""
        wanted = _key(prefix)
        return [
            (index, name.strip()[len(prefix) :].strip())
            for index, name in enumerate(self.header)
            if _key(name).startswith(wanted) and len(_key(name)) > len(wanted)
        ]


def _key(name: str) -> str:
    return " ".join(name.replace("\ufeff", "").split()).casefold()
