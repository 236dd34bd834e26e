"""Pick list and packing slips for a committed receipt: preview, print, or save as PDF.

``render_documents(plan)`` turns an ``app.picking.PickingPlan`` into printable pages: the
pick list (one list sorted by SKU: what to take, how many, and for which orders) and one
packing slip per order (the customer and how to reach them, the lines to pack, and the
lines still to come with their expected date), each slip starting on a page of its own.
The print preview, the PDF and the PNG a test looks at are the same pages.

Layout is worked out once at ``LAYOUT_DPI`` on a fixed paint device rather than on the
screen, so a page holds the same text on every PC whatever the screen's DPI or the user's
font scaling. Text is black on white paper whatever the desk's theme.

Qt splits a table row across two pages when the row's cells do not all start below the
page end; a warehouse list must not do that (the quantity on one page, the orders it is for
on the next), so a table is cut in two before such a row and continues on the next page
under its headings again (``_paginate``).
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from PySide6.QtCore import QMarginsF, QRectF, QSizeF, Qt
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QFont,
    QImage,
    QPagedPaintDevice,
    QPageLayout,
    QPageSize,
    QPainter,
    QPalette,
    QPdfWriter,
    QTextDocument,
    QTextTable,
)
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import QWidget

from app.clock import to_local, utcnow
from app.errors import UserError
from app.messaging import StoreTexts, store_texts
from app.picking import PackingSlip, PickingPlan, PickRow, picking

#: Dots per inch of the layout: pages are worked out at this resolution and scaled to each
#: device (PDF writer, printer, image) when painted.
LAYOUT_DPI = 300
PAGE_SIZE = QPageSize.PageSizeId.A4
#: Page margins in millimetres: room for a printer's unprintable edge and the footer.
MARGINS_MM = QMarginsF(15, 14, 15, 16)
#: The footer's baseline sits this far below the text area, in millimetres.
FOOTER_DROP_MM = 6.0
FONT_FAMILIES = ["DejaVu Sans", "Segoe UI", "Helvetica", "Arial"]
#: Give up keeping rows whole after this many cuts (a pathological document still prints).
MAX_CUTS = 500

_MM_PER_INCH = 25.4


@dataclass
class Page:
    """One printed page: a page of ``document`` and the footer's left-hand words."""

    document: QTextDocument
    index: int
    footer: str


@dataclass
class ReceiptDocuments:
    """The printable documents of one receipt.

    Attributes:
        receipt_id: the committed receipt they were made for.
        pick_list: the pick list (one sorted list, as many pages as it needs).
        slips: one packing slip per order (order id, document), in order number order.
        footer: the words under every page ("shop · receipt 12 · printed ..."); each page
            adds what it is and its number.
    """

    receipt_id: int
    pick_list: QTextDocument
    slips: list[tuple[int, QTextDocument]] = field(default_factory=list)
    footer: str = ""

    def pages(self) -> list[Page]:
        """Every page in print order: the pick list, then each order's slip."""
        pages = [
            Page(self.pick_list, index, f"{self.footer} \u00b7 pick list")
            for index in range(self.pick_list.pageCount())
        ]
        for order_id, doc in self.slips:
            pages.extend(
                Page(doc, index, f"{self.footer} \u00b7 packing slip, order {order_id}")
                for index in range(doc.pageCount())
            )
        return pages

    def page_count(self) -> int:
        return self.pick_list.pageCount() + sum(doc.pageCount() for _, doc in self.slips)


# ---------------------------------------------------------------------- page geometry


def page_layout() -> QPageLayout:
    """A4 portrait with the documents' margins."""
    return QPageLayout(
        QPageSize(PAGE_SIZE),
        QPageLayout.Orientation.Portrait,
        MARGINS_MM,
        QPageLayout.Unit.Millimeter,
    )


def _mm(mm: float) -> float:
    """Millimetres in layout units."""
    return mm / _MM_PER_INCH * LAYOUT_DPI


def _text_area() -> QSizeF:
    """The text area of a page (the page inside its margins), in layout units."""
    rect = page_layout().paintRect(QPageLayout.Unit.Millimeter)
    return QSizeF(_mm(rect.width()), _mm(rect.height()))


def _dots_per_metre(dpi: float) -> int:
    return round(dpi / _MM_PER_INCH * 1000)


# The layout's paint device: only its resolution matters. It lives as long as the program
# because every document keeps using it.
_layout_device: QImage | None = None


def _layout_paint_device() -> QImage:
    global _layout_device
    if _layout_device is None:
        _layout_device = QImage(1, 1, QImage.Format.Format_RGB32)
        _layout_device.setDotsPerMeterX(_dots_per_metre(LAYOUT_DPI))
        _layout_device.setDotsPerMeterY(_dots_per_metre(LAYOUT_DPI))
    return _layout_device


def _document(body: str, title: str, *, paged: bool = True) -> QTextDocument:
    doc = QTextDocument()
    doc.setMetaInformation(QTextDocument.MetaInformation.DocumentTitle, title)
    doc.documentLayout().setPaintDevice(_layout_paint_device())
    # Design metrics: the same line breaks at every scale (preview, PDF, printer).
    doc.setUseDesignMetrics(True)
    font = QFont()
    font.setFamilies(FONT_FAMILIES)
    font.setPointSizeF(10)
    doc.setDefaultFont(font)
    doc.setDocumentMargin(0)
    doc.setDefaultStyleSheet(_STYLE)
    doc.setHtml(f"<html><body>{body}</body></html>")
    area = _text_area()
    if paged:
        doc.setPageSize(area)
    else:
        doc.setTextWidth(area.width())  # one endless page
    return doc


# ---------------------------------------------------------------------- building blocks

# Qt rich text: lengths in px are 1/96 inch (Qt scales them to the device); fonts in pt.
_STYLE = """
body { color: #000000; }
h1 { font-size: 20pt; font-weight: bold; margin-top: 0px; margin-bottom: 0px; }
h2 { font-size: 12pt; font-weight: bold; margin-top: 16px; margin-bottom: 5px; }
p { margin-top: 0px; margin-bottom: 2px; }
.shop { font-size: 11pt; color: #444444; }
.meta { font-size: 9pt; }
.note { font-size: 9pt; color: #333333; }
.for { font-size: 9pt; color: #555555; margin-top: 8px; }
.customer { font-size: 15pt; font-weight: bold; }
table.lines { border-color: #000000; border-style: solid; }
table.lines th { background-color: #e0e0e0; font-size: 9pt; font-weight: bold; }
.qty { font-size: 15pt; font-weight: bold; }
.sku { font-family: 'DejaVu Sans Mono', Consolas, 'Courier New', monospace; }
.muted { color: #555555; }
"""

#: A square for the picker's or packer's tick, in the quantities' size.
_BOX = '<span class="qty" style="font-weight: normal">&#x2610;</span>'
#: A zero-width space in the quantities' size: every cell starts with one, so the first
#: lines of a row are equally high and the row is either on a page or not.
_STRUT = '<span class="qty">&#8203;</span>'


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _day(moment: datetime) -> str:
    return f"{to_local(moment):%d %b %Y}"


def _when(moment: datetime) -> str:
    return f"{to_local(moment):%d %b %Y %H:%M}"


def _eta(day: date | None) -> str:
    return f"around {day:%d %b %Y}" if day is not None else "date not known yet"


def _count(n: int, noun: str) -> str:
    return f"1 {noun}" if n == 1 else f"{n:,} {noun}s"


@dataclass(frozen=True)
class _Column:
    heading: str
    width: str  # percentage of the text width
    align: str = "left"


@dataclass(frozen=True)
class _Table:
    """A ruled table whose rows are kept whole at page ends."""

    columns: tuple[_Column, ...]
    rows: tuple[tuple[str, ...], ...]  # cell HTML


Part = str | _Table


def _table_html(table: _Table, rows: Sequence[tuple[str, ...]], *, new_page: bool) -> str:
    head = "".join(
        f'<th width="{column.width}" align="{column.align}">{_e(column.heading)}</th>'
        for column in table.columns
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td align="{column.align}" valign="top">{_STRUT}{cell}</td>'
            for column, cell in zip(table.columns, row, strict=True)
        )
        + "</tr>"
        for row in rows
    )
    style = "border-collapse: collapse;" + (" page-break-before: always;" if new_page else "")
    # <thead>: Qt repeats the heading row on each page the table runs onto.
    return (
        f'<table class="lines" width="100%" border="1" cellspacing="0" cellpadding="5" '
        f'style="{style}"><thead><tr>{head}</tr></thead>{body}</table>'
    )


@dataclass(frozen=True)
class _Segment:
    """A ruled table as laid out: which ``_Table`` (by number) and its first row there."""

    table: int
    first_row: int


def _compose(parts: Sequence[Part], cuts: set[tuple[int, int]]) -> tuple[str, list[_Segment]]:
    """The HTML of ``parts``, each table cut before the rows in ``cuts`` (table, row)."""
    out: list[str] = []
    segments: list[_Segment] = []
    number = 0
    for part in parts:
        if isinstance(part, str):
            out.append(part)
            continue
        here = {row for table, row in cuts if table == number}
        starts = sorted(here | {0})
        for start, end in zip(starts, [*starts[1:], len(part.rows)], strict=True):
            out.append(_table_html(part, part.rows[start:end], new_page=start in here))
            segments.append(_Segment(number, start))
        number += 1
    return "".join(out), segments


@dataclass(frozen=True)
class _Row:
    """Where a table row lies, from its top rule to the next row's (the last row of a
    table piece: to the piece's end, and past the empty line Qt puts after a table when
    another piece follows, which must not spill onto the next page either).

    ``lead``: from the top of the piece to this piece's first row.
    """

    table: int
    row: int
    start: float
    end: float
    lead: float
    starts_piece: bool


def _rows(doc: QTextDocument, segments: Sequence[_Segment]) -> Iterator[_Row]:
    """Every row of the ruled tables, in document order."""
    layout = doc.documentLayout()
    ruled = [
        frame
        for frame in doc.rootFrame().childFrames()
        if isinstance(frame, QTextTable) and frame.format().border() > 0
    ]

    def content_top(frame: QTextTable, row: int) -> float:
        # Every cell of a row starts with a line of the same height, so one cell will do.
        block = frame.cellAt(row, 0).firstCursorPosition().block()
        return float(layout.blockBoundingRect(block).top())

    for number, (frame, segment) in enumerate(zip(ruled, segments, strict=True)):
        box = layout.frameBoundingRect(frame)
        # Heading row: the piece's top rule to its text is the same for every row.
        padding = content_top(frame, 0) - box.top()
        piece_end = box.bottom()
        if number + 1 < len(segments) and segments[number + 1].table == segment.table:
            after = doc.findBlock(frame.lastPosition() + 1)
            piece_end = max(piece_end, layout.blockBoundingRect(after).bottom())
        starts = [content_top(frame, row) - padding for row in range(1, frame.rows())]
        ends = [*starts[1:], piece_end]
        for index, (start, end) in enumerate(zip(starts, ends, strict=True)):
            yield _Row(
                table=segment.table,
                row=segment.first_row + index,
                start=start,
                end=end,
                lead=starts[0] - box.top(),
                starts_piece=index == 0,
            )


def _first_page_end(doc: QTextDocument, segments: Sequence[_Segment]) -> tuple[int, int] | None:
    """The first table row (table, row) that is not on the page its table piece starts on.

    Cutting the table there ends the piece with its bottom rule on this page and starts the
    row on the next one under its headings (Qt would run the row over the page end, or
    stretch the row above to the page end without a bottom rule). A row taller than a page
    cannot be helped and is left to run over.
    """
    height = doc.pageSize().height()
    page = 0
    for row in _rows(doc, segments):
        if row.starts_piece:
            page = int(row.start // height)
        if row.end - row.start < height * 0.8 and int((row.end - 0.5) // height) != page:
            return row.table, row.row
    return None


def _planned_cuts(flow: QTextDocument, segments: Sequence[_Segment]) -> set[tuple[int, int]]:
    """Where to cut tables, worked out on the layout without pages: walk the rows down
    the pages, and start a row that would run over a page end on the next page, which
    moves everything after it down by as much. A little room is kept at each page end:
    the paged layout is checked afterwards, and a row the plan let run over costs another
    layout, a row moved one page early only some paper."""
    height = _text_area().height()
    room = _mm(5)
    cuts: set[tuple[int, int]] = set()
    shift = 0.0
    for row in _rows(flow, segments):
        start, end = row.start + shift, row.end + shift
        if end - start >= height * 0.8:
            continue  # taller than a page: nothing helps
        page = int(start // height)
        if end + room <= (page + 1) * height:
            continue
        # A table piece after a page break starts a little below the page's top.
        moved_to = (page + 1) * height + _mm(2) + row.lead
        shift += moved_to - start
        cuts.add((row.table, row.row))
    return cuts


def _paginate(parts: Sequence[Part], title: str) -> QTextDocument:
    """Lay ``parts`` out on pages, cutting tables so that no row runs over a page end.

    The cuts are planned on one layout without pages; what the plan missed (text
    between tables also moves at page ends) is found on the paged layout and cut one at a
    time, each cut moving everything after it, so the layout is checked again.
    """
    body, segments = _compose(parts, set())
    cuts = _planned_cuts(_document(body, title, paged=False), segments)
    while True:
        body, segments = _compose(parts, cuts)
        doc = _document(body, title)
        split = _first_page_end(doc, segments) if len(cuts) < MAX_CUTS else None
        if split is None or split in cuts:
            return doc
        cuts.add(split)


def _heading(shop: StoreTexts, title: str, details: Sequence[str], *, contact: bool) -> str:
    """The shop and the document's title on the left, its numbers and dates on the right;
    ``contact``: the shop's address and phone under its name (for the customer)."""
    lines = [f'<p class="shop">{_e(shop.store_name)}</p>']
    if contact and shop.contact_lines:
        lines.append(f'<p class="meta">{" &#183; ".join(_e(x) for x in shop.contact_lines)}</p>')
    return (
        '<table width="100%" cellspacing="0" cellpadding="0"><tr>'
        f'<td valign="bottom">{"".join(lines)}<h1>{_e(title)}</h1></td>'
        f'<td align="right" valign="bottom"><p class="meta" align="right">'
        f"{'<br>'.join(details)}</p></td>"
        "</tr></table><hr>"
    )


# ---------------------------------------------------------------------- the documents


def pick_list_parts(plan: PickingPlan, *, shop: StoreTexts, printed_at: datetime) -> list[Part]:
    """The pick list: one row per product, sorted by SKU, with the orders it is for."""
    by_sku: dict[str, list[PickRow]] = {}
    for row in plan.pick_list:
        by_sku.setdefault(row.sku, []).append(row)
    details = [f"Receipt <b>{plan.receipt_id}</b>"]
    if plan.committed_at is not None:
        details.append(f"Received {_e(_when(plan.committed_at))}")
    details.append(f"Printed {_e(_when(printed_at))}")
    parts: list[Part] = [_heading(shop, "Pick list", details, contact=False)]
    if not by_sku:
        parts.append(
            '<p style="margin-top: 8px">Nothing to pick: this receipt filled no waiting '
            "order. Everything received goes on the shelf.</p>"
        )
        return parts
    orders = {row.order_id for row in plan.pick_list}
    parts.append(
        f'<p style="margin-top: 4px; margin-bottom: 8px">{_count(len(by_sku), "product")}, '
        f"{_count(plan.total_units, 'unit')}, for {_count(len(orders), 'order')}. "
        "Take each product for the orders shown, then pack by the slips that follow.</p>"
    )
    rows = []
    for sku in sorted(by_sku):
        picks = sorted(by_sku[sku], key=lambda row: (row.order_id, row.line_id))
        wanted_by = "<br>".join(
            f"<b>{row.qty:,}</b> &#215; order {row.order_id} &#8211; {_e(row.customer)}"
            for row in picks
        )
        total = sum(row.qty for row in picks)
        rows.append(
            (
                _BOX,
                f'<span class="sku">{_e(sku)}</span>',
                _e(picks[0].name),
                f'<span class="qty">{total:,}</span>',
                wanted_by,
            )
        )
    parts.append(
        _Table(
            (
                _Column("Picked", "9%", "center"),
                _Column("SKU", "16%"),
                _Column("Product", "31%"),
                _Column("Qty", "8%", "right"),
                _Column("For orders", "36%"),
            ),
            tuple(rows),
        )
    )
    return parts


def slip_parts(
    slip: PackingSlip, *, receipt_id: int, shop: StoreTexts, printed_at: datetime
) -> list[Part]:
    """One order's packing slip."""
    parts: list[Part] = [
        _heading(
            shop,
            "Packing slip",
            [
                f"Order <b>{slip.order_id}</b>",
                f"Ordered {_e(_day(slip.placed_at))}",
                f"Receipt {receipt_id} &#183; printed {_e(_day(printed_at))}",
            ],
            contact=True,
        ),
        f'<p class="for">For</p><p class="customer">{_e(slip.customer)}</p>',
    ]
    contact = [part for part in (slip.email, slip.phone) if part]
    if contact:
        parts.append(f"<p>{' &#183; '.join(_e(part) for part in contact)}</p>")
    parts.append(f"<h2>In this parcel: {_count(slip.units, 'unit')}</h2>")
    parts.append(
        _Table(
            (
                _Column("Packed", "9%", "center"),
                _Column("Qty", "9%", "right"),
                _Column("SKU", "22%"),
                _Column("Product", "60%"),
            ),
            tuple(
                (
                    _BOX,
                    f'<span class="qty">{line.qty:,}</span>',
                    f'<span class="sku">{_e(line.sku)}</span>',
                    _e(line.name),
                )
                for line in slip.lines
            ),
        )
    )
    if slip.waiting:
        parts.append("<h2>Still to come</h2>")
        parts.append(
            '<p class="note" style="margin-bottom: 6px">These items are on order for you and '
            "follow as soon as they arrive; we will let you know.</p>"
        )
        parts.append(
            _Table(
                (
                    _Column("Qty", "9%", "right"),
                    _Column("SKU", "22%"),
                    _Column("Product", "44%"),
                    _Column("Expected", "25%"),
                ),
                tuple(
                    (
                        f"<b>{line.waiting:,}</b>",
                        f'<span class="sku">{_e(line.sku)}</span>',
                        _e(line.name),
                        _e(_eta(line.eta)),
                    )
                    for line in slip.waiting
                ),
            )
        )
    parts.append(
        '<p class="note" style="margin-top: 40px">Packed by ______________________'
        " &#160;&#160;&#160;&#160; Checked by ______________________</p>"
        f'<p class="note" style="margin-top: 12px">Thank you for your order. Questions? '
        f"Quote order {slip.order_id}.</p>"
    )
    return parts


def render_documents(
    plan: PickingPlan, *, shop: StoreTexts | None = None, printed_at: datetime | None = None
) -> ReceiptDocuments:
    """The pick list and packing slips of ``plan``.

    ``shop`` defaults to the store's settings (name, address, phone); ``printed_at``
    (naive UTC, like every stored time) to now.
    """
    shop = shop or store_texts()
    printed_at = printed_at or utcnow()
    pick_list = _paginate(
        pick_list_parts(plan, shop=shop, printed_at=printed_at),
        f"Pick list, receipt {plan.receipt_id}",
    )
    slips = [
        (
            slip.order_id,
            _paginate(
                slip_parts(slip, receipt_id=plan.receipt_id, shop=shop, printed_at=printed_at),
                f"Packing slip, order {slip.order_id}",
            ),
        )
        for slip in plan.slips
    ]
    return ReceiptDocuments(
        receipt_id=plan.receipt_id,
        pick_list=pick_list,
        slips=slips,
        footer=" \u00b7 ".join(
            [shop.store_name, f"receipt {plan.receipt_id}", f"printed {_when(printed_at)}"]
        ),
    )


def documents_for_receipt(receipt_id: int) -> ReceiptDocuments:
    """``render_documents`` for a committed receipt of the open store.

    Raises:
        NotFound: no such receipt.
        UserError: the receipt is a draft or was discarded.
    """
    return render_documents(picking(receipt_id))


# ---------------------------------------------------------------------- painting


def _paint_page(painter: QPainter, page: Page, number: int, total: int, dpi: float) -> None:
    """Paint one page: its text area and footer. The painter's origin is the text area's
    top-left corner, in pixels of a device with ``dpi`` dots per inch."""
    area = page.document.pageSize()
    scale = dpi / LAYOUT_DPI
    painter.save()
    painter.scale(scale, scale)
    painter.translate(0, -page.index * area.height())
    view = QRectF(0, page.index * area.height(), area.width(), area.height())
    painter.setClipRect(view)
    context = QAbstractTextDocumentLayout.PaintContext()
    context.clip = view
    # Black text and grey rules on paper whatever the desk's palette (a dark theme has
    # white text): the palette Qt derives from white paper.
    context.palette = QPalette(QColor(Qt.GlobalColor.white))
    page.document.documentLayout().draw(painter, context)
    painter.restore()

    painter.save()
    font = QFont()
    font.setFamilies(FONT_FAMILIES)
    font.setPointSizeF(8)
    painter.setFont(font)
    painter.setPen(QColor("#444444"))
    top = (area.height() + _mm(FOOTER_DROP_MM - 3)) * scale
    box = QRectF(0, top, area.width() * scale, _mm(5) * scale)
    left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
    right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
    painter.drawText(box, left, page.footer)
    painter.drawText(box, right, f"Page {number} of {total}")
    painter.restore()


def paint_documents(docs: ReceiptDocuments, device: QPagedPaintDevice) -> int:
    """Paint every page onto a printer or PDF writer (A4, the documents' margins).

    Returns the number of pages.

    Raises:
        UserError: the device cannot be painted on (a file that cannot be written).
    """
    device.setPageLayout(page_layout())
    painter = QPainter()
    if not painter.begin(device):
        raise UserError(
            "Could not start printing: the printer or file is not available. "
            "Check the printer, or save to a folder you can write to."
        )
    # The painter's origin is the page's paint rectangle (inside the margins), in device
    # pixels; the device's own resolution says how big a layout unit is there.
    dpi = float(device.logicalDpiY())
    pages = docs.pages()
    try:
        for number, page in enumerate(pages, start=1):
            if number > 1:
                device.newPage()
            _paint_page(painter, page, number, len(pages), dpi)
    finally:
        painter.end()
    return len(pages)


def render_page(docs: ReceiptDocuments, number: int, *, dpi: int = 100) -> QImage:
    """Page ``number`` (from 1) as an image of the whole A4 sheet on white paper."""
    pages = docs.pages()
    if not 1 <= number <= len(pages):
        raise IndexError(f"There is no page {number}; the documents have {len(pages)}.")
    sheet = QPageSize(PAGE_SIZE).rect(QPageSize.Unit.Millimeter)
    per_mm = dpi / _MM_PER_INCH
    image = QImage(
        round(sheet.width() * per_mm), round(sheet.height() * per_mm), QImage.Format.Format_RGB32
    )
    image.setDotsPerMeterX(_dots_per_metre(dpi))
    image.setDotsPerMeterY(_dots_per_metre(dpi))
    image.fill(QColor(Qt.GlobalColor.white))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    painter.translate(MARGINS_MM.left() * per_mm, MARGINS_MM.top() * per_mm)
    _paint_page(painter, pages[number - 1], number, len(pages), dpi)
    painter.end()
    return image


def write_pdf(docs: ReceiptDocuments, path: str | Path) -> int:
    """Write ``docs`` to a PDF file (A4); returns the number of pages."""
    writer = QPdfWriter(str(path))
    writer.setResolution(LAYOUT_DPI)
    writer.setTitle(f"Pick list and packing slips, receipt {docs.receipt_id}")
    writer.setCreator("Backorder Desk")
    try:
        return paint_documents(docs, writer)
    except UserError:
        raise UserError(
            f"Could not write {path}: choose a folder you can write to and save again."
        ) from None


def save_pdf(path: str | Path, receipt_id: int) -> int:
    """Save the pick list and packing slips of a committed receipt as a PDF (A4).

    Returns the number of pages.

    Raises:
        UserError: the receipt is not committed, or the file cannot be written.
    """
    return write_pdf(documents_for_receipt(receipt_id), path)


class ReceiptPrintPreview(QPrintPreviewDialog):
    """The print preview of a receipt's pick list and packing slips; Print prints them."""

    def __init__(self, parent: QWidget | None, docs: ReceiptDocuments) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setPageLayout(page_layout())
        printer.setDocName(f"Receipt {docs.receipt_id} pick list and packing slips")
        super().__init__(printer, parent)
        # The dialog does not own its printer: keep it (and the documents) as long as it.
        self._paper = printer
        self.documents = docs
        self.setWindowTitle(f"Pick list and packing slips, receipt {docs.receipt_id}")
        self.paintRequested.connect(self._paint)

    def _paint(self, printer: QPrinter) -> None:
        paint_documents(self.documents, printer)


def print_preview_dialog(parent: QWidget | None, receipt_id: int) -> ReceiptPrintPreview:
    """The print preview of a receipt's documents, not shown yet."""
    return ReceiptPrintPreview(parent, documents_for_receipt(receipt_id))


def show_print_preview(parent: QWidget | None, receipt_id: int) -> int:
    """Preview the receipt's pick list and packing slips (modal); print from there.

    Returns the dialog's result (accepted: sent to the printer).
    """
    dialog = print_preview_dialog(parent, receipt_id)
    try:
        return dialog.exec()
    finally:
        dialog.deleteLater()
