"""The backorder list on paper: an A4 landscape PDF of the list as filtered and sorted.

Every page has the shop, the title, when it was printed and which lines it shows, then the
table under its headings: order, placed, days waiting, customer, how to reach them, the
product, units waiting and ready, priority and ETA (overdue ones in bold). The first page
adds the totals in a sentence and the last ends with a totals row; the foot of each page
says "Page n of N". A row is never split over two pages.

The rows are read a page at a time (``app.export.backorder_pages``) twice inside one read
snapshot: once to measure where the pages end (and count the totals), once to paint. So a
long list is never held in memory and "of N" is known before the first page is drawn.

Cells are laid out with ``QTextLayout`` on a fixed 300 dpi device with pixel-sized fonts,
so the PDF, a printer and the PNG a test looks at break lines at the same places whatever
the screen. This module needs a ``QGuiApplication`` (fonts);
``save_backorder_pdf_headless`` makes an offscreen one for the command line.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from PySide6.QtCore import QMarginsF, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QGuiApplication,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QTextLayout,
    QTextOption,
)

from app import queries
from app.backorder_view import AGE_STEPS, BackorderFilter
from app.clock import to_local, utcnow
from app.export import (
    PdfWritten,
    Progress,
    backorder_pages,
    cannot_write,
    check_target,
    describe_backorder_view,
    replacing,
    snapshot,
)
from app.messaging import StoreTexts, store_texts
from app.queries import BackorderRow
from ui.documents import FONT_FAMILIES, LAYOUT_DPI

PAGE_SIZE = QPageSize.PageSizeId.A4
#: Page margins in millimetres (left, top, right, bottom): the bottom one holds the footer.
MARGINS_MM = QMarginsF(12, 12, 12, 14)
#: The footer's text box starts this far below the text area, in millimetres.
FOOTER_DROP_MM = 4.0

_MM_PER_INCH = 25.4
_BLACK = QColor("#000000")
_GREY = QColor("#444444")
_RULE = QColor("#b8b8b8")
_HEAD_FILL = QColor("#e0e0e0")
_STRIPE = QColor("#f2f2f2")
_OVERDUE = QColor("#9b0000")


def page_layout() -> QPageLayout:
    """A4 landscape with the list's margins."""
    return QPageLayout(
        QPageSize(PAGE_SIZE),
        QPageLayout.Orientation.Landscape,
        MARGINS_MM,
        QPageLayout.Unit.Millimeter,
    )


def _mm(mm: float) -> float:
    """Millimetres in layout units (dots at LAYOUT_DPI)."""
    return mm / _MM_PER_INCH * LAYOUT_DPI


def _font(points: float, *, bold: bool = False) -> QFont:
    # Pixel sizes at the layout resolution: the same size on every device once the painter
    # is scaled to it (point sizes would follow each device's own DPI).
    font = QFont()
    font.setFamilies(FONT_FAMILIES)
    font.setPixelSize(round(points / 72 * LAYOUT_DPI))
    font.setBold(bold)
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    return font


@dataclass(frozen=True)
class _Column:
    heading: str
    share: float  # of the text width
    right: bool = False


COLUMNS = (
    _Column("Order", 0.055),
    _Column("Placed", 0.085),
    _Column("Days", 0.04, right=True),
    _Column("Customer", 0.13),
    _Column("Contact", 0.18),
    _Column("SKU", 0.09),
    _Column("Product", 0.15),
    _Column("Waiting", 0.06, right=True),
    _Column("Ready", 0.05, right=True),
    _Column("Priority", 0.065, right=True),
    _Column("ETA", 0.095),
)
_ETA = len(COLUMNS) - 1
_DAYS = 2


@dataclass(frozen=True)
class _Style:
    """The fonts and spacing of the list, in layout units."""

    shop: QFont = field(default_factory=lambda: _font(10))
    title: QFont = field(default_factory=lambda: _font(16, bold=True))
    meta: QFont = field(default_factory=lambda: _font(8.5))
    summary: QFont = field(default_factory=lambda: _font(9.5))
    heading: QFont = field(default_factory=lambda: _font(8, bold=True))
    body: QFont = field(default_factory=lambda: _font(8.5))
    strong: QFont = field(default_factory=lambda: _font(8.5, bold=True))
    footer: QFont = field(default_factory=lambda: _font(7.5))
    pad_x: float = _mm(1.2)
    pad_y: float = _mm(0.9)


@dataclass
class _Totals:
    """What the whole list adds up to (counted while measuring)."""

    lines: int = 0
    units: int = 0
    ready: int = 0
    customers: set[int] = field(default_factory=set)
    longest: int = 0
    overdue: int = 0
    undated: int = 0

    def add(self, row: BackorderRow, today: date) -> None:
        self.lines += 1
        self.units += row.waiting
        self.ready += row.reserved
        self.customers.add(row.customer_id)
        self.longest = max(self.longest, row.days_waiting(today))
        if row.eta is not None and row.eta < today:
            self.overdue += 1
        if row.eta is None:
            self.undated += 1

    def sentence(self) -> str:
        if not self.lines:
            return ""
        parts = [
            f"{_count(self.lines, 'line')} waiting for {_count(self.units, 'unit')}"
            + (f" ({self.ready:,} more ready on the shelf)" if self.ready else ""),
            _count(len(self.customers), "customer"),
            f"longest wait {_count(self.longest, 'day')}",
        ]
        if self.overdue:
            parts.append(f"{_count(self.overdue, 'ETA')} overdue")
        if self.undated:
            parts.append(f"{self.undated:,} without a delivery date")
        return " \u00b7 ".join(parts)


def _count(n: int, noun: str) -> str:
    return f"1 {noun}" if n == 1 else f"{n:,} {noun}s"


def _day(day: date) -> str:
    return f"{day:%d %b %Y}"


def _eta_text(row: BackorderRow, today: date) -> tuple[str, bool]:
    """The ETA cell and whether it is overdue (shown in bold)."""
    if row.eta is not None:
        text = _day(row.eta)
        if row.eta_moved is not None and row.eta_moved.old is not None:
            text += f" (was {row.eta_moved.old:%d %b})"
        if row.eta < today:
            return f"{text} overdue", True
        return text, False
    estimate = row.estimate(today)
    if estimate is not None:
        return f"~{_day(estimate)} (estimate)", False
    return "not dated", False


def _cells(row: BackorderRow, today: date) -> tuple[list[str], set[int]]:
    """The row's cell texts, and the columns shown in bold."""
    eta, overdue = _eta_text(row, today)
    days = row.days_waiting(today)
    contact = "\u2028".join(part for part in (row.email, row.phone) if part) or "\u2014"
    bold = {_ETA} if overdue else set()
    if days >= AGE_STEPS[-1]:
        bold.add(_DAYS)
    return [
        str(row.order_id),
        _day(to_local(row.placed_at).date()),
        str(days),
        row.customer,
        contact,
        row.sku,
        row.name,
        f"{row.waiting:,}",
        f"{row.reserved:,}" if row.reserved else "",
        f"{row.priority:+d}" if row.priority else "",
        eta,
    ], bold


class _Sheet:
    """Lays out text on the fixed layout device and works out the page's geometry."""

    def __init__(self) -> None:
        rect = page_layout().paintRect(QPageLayout.Unit.Millimeter)
        self.width = _mm(rect.width())
        self.height = _mm(rect.height())
        self.style = _Style()
        self.device = QImage(1, 1, QImage.Format.Format_RGB32)
        dots = round(LAYOUT_DPI / _MM_PER_INCH * 1000)
        self.device.setDotsPerMeterX(dots)
        self.device.setDotsPerMeterY(dots)
        self.lefts: list[float] = []
        left = 0.0
        for column in COLUMNS:
            self.lefts.append(left)
            left += column.share * self.width

    def text(
        self, text: str, font: QFont, width: float, *, right: bool = False
    ) -> tuple[QTextLayout, float]:
        """``text`` wrapped to ``width`` (at words, or anywhere in a word too long for a
        line, such as an e-mail address), and its height."""
        layout = QTextLayout(text, font, self.device)
        option = QTextOption()
        option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        option.setUseDesignMetrics(True)
        option.setAlignment(Qt.AlignmentFlag.AlignRight if right else Qt.AlignmentFlag.AlignLeft)
        layout.setTextOption(option)
        layout.beginLayout()
        y = 0.0
        while True:
            line = layout.createLine()
            if not line.isValid():
                break
            line.setLineWidth(width)
            line.setPosition(QPointF(0, y))
            y += line.height()
        layout.endLayout()
        return layout, y

    def cell_width(self, column: int) -> float:
        return COLUMNS[column].share * self.width - 2 * self.style.pad_x

    def row(
        self, cells: Sequence[str], bold: set[int], font: QFont
    ) -> tuple[list[QTextLayout], float]:
        """A table row's cell layouts and its height (the tallest cell and the padding)."""
        layouts = []
        tallest = 0.0
        for column, text in enumerate(cells):
            layout, height = self.text(
                text,
                self.style.strong if column in bold else font,
                self.cell_width(column),
                right=COLUMNS[column].right,
            )
            layouts.append(layout)
            tallest = max(tallest, height)
        return layouts, tallest + 2 * self.style.pad_y


@dataclass
class _Header:
    """The block at the top of every page, laid out once."""

    shop: tuple[QTextLayout, float]
    title: tuple[QTextLayout, float]
    meta: tuple[QTextLayout, float]
    summary: tuple[QTextLayout, float]
    heading: tuple[list[QTextLayout], float]

    def height(self, sheet: _Sheet) -> float:
        return max(self.shop[1] + self.title[1], self.meta[1]) + _mm(2.5)

    def table_top(self, sheet: _Sheet, first: bool) -> float:
        """Where the first row goes, under the headings."""
        top = self.height(sheet)
        if first:
            top += self.summary[1] + _mm(2.5)
        return top + self.heading[1]


def _header(
    sheet: _Sheet, shop: StoreTexts, shown: str, printed_at: datetime, summary_text: str
) -> _Header:
    style = sheet.style
    half = sheet.width * 0.5
    summary = sheet.text(summary_text, style.summary, sheet.width)
    return _Header(
        shop=sheet.text(shop.store_name, style.shop, half),
        title=sheet.text("Backorder list", style.title, half),
        meta=sheet.text(
            f"Printed {to_local(printed_at):%d %b %Y %H:%M}\u2028{shown}",
            style.meta,
            sheet.width - half,
            right=True,
        ),
        summary=summary,
        heading=sheet.row([c.heading for c in COLUMNS], set(), style.heading),
    )


@dataclass
class _Plan:
    """Where the pages end: rows on each page, and whether the totals row needs a page
    of its own."""

    rows_per_page: list[int]
    totals: _Totals
    totals_alone: bool = False

    @property
    def pages(self) -> int:
        return len(self.rows_per_page) + (1 if self.totals_alone else 0)


def _totals_cells(totals: _Totals) -> list[str]:
    cells = [""] * len(COLUMNS)
    cells[0] = "Total"
    cells[3] = _count(len(totals.customers), "customer")
    cells[6] = _count(totals.lines, "line")
    cells[7] = f"{totals.units:,}"
    cells[8] = f"{totals.ready:,}" if totals.ready else ""
    return cells


def _plan(
    sheet: _Sheet,
    rows: Iterator[list[BackorderRow]],
    header: _Header,
    today: date,
    step: Callable[[int], None],
) -> _Plan:
    totals = _Totals()
    pages: list[int] = [0]
    y = header.table_top(sheet, first=True)
    for page in rows:
        for row in page:
            cells, bold = _cells(row, today)
            _layouts, height = sheet.row(cells, bold, sheet.style.body)
            if y + height > sheet.height and pages[-1] > 0:
                pages.append(0)
                y = header.table_top(sheet, first=False)
            pages[-1] += 1
            y += height
            totals.add(row, today)
        step(len(page))
    plan = _Plan(pages, totals)
    if totals.lines:
        _layouts, height = sheet.row(_totals_cells(totals), set(), sheet.style.strong)
        plan.totals_alone = y + height > sheet.height
    return plan


class _Painter:
    """Paints the planned pages onto a device; ``wanted`` limits it to one page (an image)."""

    def __init__(
        self,
        sheet: _Sheet,
        header: _Header,
        plan: _Plan,
        footer: str,
        start_page: Callable[[int], QPainter | None],
    ) -> None:
        self.sheet = sheet
        self.header = header
        self.plan = plan
        self.footer = footer
        self.start_page = start_page
        self.number = 0
        self.painter: QPainter | None = None
        self.y = 0.0
        self.row_on_page = 0

    def new_page(self) -> None:
        self.number += 1
        self.painter = self.start_page(self.number)
        first = self.number == 1
        self.y = self.header.table_top(self.sheet, first)
        self.row_on_page = 0
        if self.painter is not None:
            self._draw_header(self.painter, first)
            self._draw_footer(self.painter)

    def _draw_header(self, painter: QPainter, first: bool) -> None:
        sheet, header = self.sheet, self.header
        painter.setPen(_GREY)
        header.shop[0].draw(painter, QPointF(0, 0))
        header.meta[0].draw(painter, QPointF(sheet.width * 0.5, 0))
        painter.setPen(_BLACK)
        header.title[0].draw(painter, QPointF(0, header.shop[1]))
        y = header.height(sheet)
        painter.setPen(_BLACK)
        painter.drawLine(QPointF(0, y - _mm(1.2)), QPointF(sheet.width, y - _mm(1.2)))
        if first:
            header.summary[0].draw(painter, QPointF(0, y))
            y += header.summary[1] + _mm(2.5)
        layouts, height = header.heading
        painter.fillRect(QRectF(0, y, sheet.width, height), _HEAD_FILL)
        self._draw_cells(painter, layouts, y)
        painter.drawLine(QPointF(0, y + height), QPointF(sheet.width, y + height))

    def _draw_footer(self, painter: QPainter) -> None:
        sheet = self.sheet
        painter.setFont(sheet.style.footer)
        painter.setPen(_GREY)
        box = QRectF(0, sheet.height + _mm(FOOTER_DROP_MM), sheet.width, _mm(5))
        middle = Qt.AlignmentFlag.AlignVCenter
        painter.drawText(box, Qt.AlignmentFlag.AlignLeft | middle, self.footer)
        painter.drawText(
            box, Qt.AlignmentFlag.AlignRight | middle, f"Page {self.number} of {self.plan.pages}"
        )

    def _draw_cells(self, painter: QPainter, layouts: Sequence[QTextLayout], y: float) -> None:
        pad_x, pad_y = self.sheet.style.pad_x, self.sheet.style.pad_y
        for left, layout in zip(self.sheet.lefts, layouts, strict=True):
            layout.draw(painter, QPointF(left + pad_x, y + pad_y))

    def row(self, row: BackorderRow, today: date) -> None:
        if self.number == 0 or self.row_on_page >= self.plan.rows_per_page[self.number - 1]:
            self.new_page()
        self.row_on_page += 1
        if self.painter is None:
            return  # a page not wanted (one page as an image): nothing to lay out
        cells, bold = _cells(row, today)
        layouts, height = self.sheet.row(cells, bold, self.sheet.style.body)
        painter = self.painter
        if self.row_on_page % 2 == 0:
            painter.fillRect(QRectF(0, self.y, self.sheet.width, height), _STRIPE)
        for column, (left, layout) in enumerate(zip(self.sheet.lefts, layouts, strict=True)):
            painter.setPen(_OVERDUE if column == _ETA and _ETA in bold else _BLACK)
            style = self.sheet.style
            layout.draw(painter, QPointF(left + style.pad_x, self.y + style.pad_y))
        painter.setPen(_RULE)
        bottom = self.y + height
        painter.drawLine(QPointF(0, bottom), QPointF(self.sheet.width, bottom))
        self.y = bottom

    def finish(self, today: date) -> None:
        totals = self.plan.totals
        if self.number == 0:
            self.new_page()  # nothing waits: the page says so in its summary
        if not totals.lines:
            return
        if self.plan.totals_alone:
            self.new_page()
        if self.painter is None:
            return
        layouts, height = self.sheet.row(_totals_cells(totals), set(), self.sheet.style.strong)
        self.painter.setPen(_BLACK)
        self.painter.drawLine(QPointF(0, self.y), QPointF(self.sheet.width, self.y))
        self._draw_cells(self.painter, layouts, self.y)
        self.y += height


@dataclass
class _Job:
    """One rendering of the list: the view, its plan and the words around it."""

    view: BackorderFilter
    today: date
    shop: StoreTexts
    printed_at: datetime
    progress: Progress | None = None
    total: int = 0
    done: int = 0

    def step(self, weight: int) -> Callable[[int], None]:
        # Measuring and painting each take about half the time: progress counts lines, and
        # each pass moves it half a line per line.
        def advance(lines: int) -> None:
            self.done += lines * weight
            if self.progress is not None:
                self.progress(min(self.done // 2, self.total), self.total)

        return advance

    def prepare(self) -> tuple[_Sheet, _Header, _Plan, str]:
        self.total = queries.count_backorders(**self.view.where(self.today))
        if self.progress is not None:
            self.progress(0, self.total)
        sheet = _Sheet()
        shown = describe_backorder_view(self.view)
        # The totals sentence is known once measured; one line is kept for it meanwhile.
        measuring = _header(sheet, self.shop, shown, self.printed_at, "Totals")
        plan = _plan(
            sheet, backorder_pages(self.view, self.today), measuring, self.today, self.step(1)
        )
        if plan.totals.lines:
            sentence = plan.totals.sentence()
        elif self.view.narrowed:
            sentence = "No waiting line matches this view."
        else:
            sentence = "Nothing is waiting: the backorder list is empty."
        header = _header(sheet, self.shop, shown, self.printed_at, sentence)
        if header.table_top(sheet, True) != measuring.table_top(sheet, True):
            # The sentence took more than its line: measure again with it.
            plan = _plan(sheet, backorder_pages(self.view, self.today), header, self.today, _nop)
        footer = " \u00b7 ".join(
            [
                self.shop.store_name,
                "backorder list",
                f"printed {to_local(self.printed_at):%d %b %Y %H:%M}",
            ]
        )
        return sheet, header, plan, footer

    def paint(self, painter: _Painter) -> None:
        advance = self.step(1)
        for page in backorder_pages(self.view, self.today):
            for row in page:
                painter.row(row, self.today)
            advance(len(page))
        painter.finish(self.today)


def _nop(_lines: int) -> None:
    pass


def save_backorder_pdf(
    path: str | os.PathLike[str],
    view: BackorderFilter,
    *,
    today: date,
    progress: Progress | None = None,
    shop: StoreTexts | None = None,
    printed_at: datetime | None = None,
) -> PdfWritten:
    """Save every waiting line of ``view`` as an A4 landscape PDF at ``path``.

    ``progress(done, total)`` counts lines; it may raise to stop (nothing is written then).
    ``shop`` defaults to the store's texts, ``printed_at`` (naive UTC) to now.

    Raises:
        UserError: the file cannot be written.
    """
    target = check_target(path)
    with replacing(target) as partial, snapshot():
        job = _Job(view, today, shop or store_texts(), printed_at or utcnow(), progress)
        sheet, header, plan, footer = job.prepare()
        writer = QPdfWriter(str(partial))
        writer.setResolution(LAYOUT_DPI)
        writer.setPageLayout(page_layout())
        writer.setTitle("Backorder list")
        writer.setCreator("Backorder Desk")
        painter = QPainter()
        if not painter.begin(writer):
            raise cannot_write(target)
        scale = writer.logicalDpiY() / LAYOUT_DPI

        def start_page(number: int) -> QPainter:
            if number > 1:
                writer.newPage()
                painter.resetTransform()
            painter.scale(scale, scale)
            return painter

        try:
            job.paint(_Painter(sheet, header, plan, footer, start_page))
        finally:
            painter.end()  # writes the end of the file and closes it, before it replaces
    return PdfWritten(lines=plan.totals.lines, pages=plan.pages)


def render_backorder_page(
    view: BackorderFilter,
    number: int,
    *,
    today: date,
    dpi: int = 100,
    shop: StoreTexts | None = None,
    printed_at: datetime | None = None,
) -> tuple[QImage, int]:
    """Page ``number`` (from 1) of the list as an image of the whole sheet on white paper,
    and how many pages there are (for a preview, and for a person to look at in tests)."""
    with snapshot():
        job = _Job(view, today, shop or store_texts(), printed_at or utcnow())
        sheet, header, plan, footer = job.prepare()
        if not 1 <= number <= plan.pages:
            raise IndexError(f"There is no page {number}; the list has {plan.pages}.")
        paper = QPageSize(PAGE_SIZE).rect(QPageSize.Unit.Millimeter).transposed()
        per_mm = dpi / _MM_PER_INCH
        image = QImage(
            round(paper.width() * per_mm),
            round(paper.height() * per_mm),
            QImage.Format.Format_RGB32,
        )
        image.fill(QColor("#ffffff"))
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        painter.translate(MARGINS_MM.left() * per_mm, MARGINS_MM.top() * per_mm)
        painter.scale(dpi / LAYOUT_DPI, dpi / LAYOUT_DPI)
        try:
            job.paint(
                _Painter(sheet, header, plan, footer, lambda n: painter if n == number else None)
            )
        finally:
            painter.end()
    return image, plan.pages


# Kept for the life of the program once made: Qt allows one application object.
_headless_app: QGuiApplication | None = None


def save_backorder_pdf_headless(
    path: str | os.PathLike[str] | Path,
    view: BackorderFilter,
    *,
    today: date,
    progress: Progress | None = None,
) -> PdfWritten:
    """``save_backorder_pdf`` from the command line: fonts need a Qt application, so make
    one that needs no screen (offscreen) when none is running."""
    global _headless_app
    if QGuiApplication.instance() is None:
        _headless_app = QGuiApplication(["backorder-desk", "-platform", "offscreen"])
    return save_backorder_pdf(path, view, today=today, progress=progress)
