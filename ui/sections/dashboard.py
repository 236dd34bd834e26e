"""The Dashboard section: how the backorders are going, at a glance.

Figure cards across the top (lines, customers and value waiting, the fill rate, the
average wait, units lost to shortages, overdue purchase orders), then charts where a
picture reads better than a number: waiting lines by age, the fill rate week by week, the
products with most units waiting and the products that lost most units to shortages; the
overdue purchase orders as a table. Every figure and its meaning come from
``app.dashboard`` (one SQL aggregate each); this page only shows them.

The figures load on Qt's thread pool (``ui.worker``), so a big store never freezes the
window; the page loads when first shown and again on every ``ctx.changed`` (the main
window refreshes only the open section). A change arriving mid-load is read once that load
is done. Each card and chart also says what it shows in words (tooltips and accessible
descriptions), since a picture alone reaches no screen reader.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import date

from PySide6.QtCharts import (
    QAbstractAxis,
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QLineSeries,
    QValueAxis,
)
from PySide6.QtCore import QMargins, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QCursor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPen,
    QResizeEvent,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from app import dashboard
from app.clock import to_local
from app.dashboard import Dashboard, ProductUnits
from ui import theme
from ui.context import DeskContext
from ui.section import Section
from ui.worker import Progress, run_in_background

#: The overdue table's columns and their header tooltips.
OVERDUE_COLUMNS = ["PO", "Supplier", "Expected", "Late", "To come"]
OVERDUE_TIPS = [
    "Purchase order number",
    "Who the goods were ordered from",
    "The day the supplier said the goods would arrive",
    "Days since the expected date",
    "Units still to come (ordered and not yet received)",
]

# Series colours that read on the light and the dark palette alike.
_BAR = QColor("#3d7fd9")
_LOST = QColor("#d9534f")
_LINE = QColor("#2e9d5b")


def money(cents: int) -> str:
    """An amount in whole units with thousands separators, ``123456`` -> ``1,235``."""
    return f"{round(cents / 100):,}"


def exact_money(cents: int) -> str:
    """An amount to the cent with thousands separators, ``123456`` -> ``1,234.56``."""
    return f"{cents / 100:,.2f}"


def days_text(days: float | None) -> str:
    """A wait in days as a card shows it: ``4.2 days``, ``19 days``; ``–`` for none."""
    if days is None:
        return "–"
    shown = f"{days:.1f}" if days < 10 else f"{days:.0f}"
    return f"{shown} day" if shown in ("1", "1.0") else f"{shown} days"


def percent(rate: float | None) -> str:
    """A share as a whole percentage (``–`` when there is nothing to divide)."""
    return "–" if rate is None else f"{rate * 100:.0f}%"


def day_month(day: date) -> str:
    """``7 Sep``: a date as the charts label it."""
    return f"{day.day} {day:%b}"


def plural(count: int, noun: str) -> str:
    """``1 unit``, ``1,234 units``."""
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


class FigureCard(QFrame):
    """One figure: a heading, a big value and a one-line caption; the tooltip explains."""

    def __init__(self, name: str, heading: str, explanation: str) -> None:
        super().__init__()
        self.setObjectName(f"card_{name}")
        self.explanation = explanation
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.heading = QLabel(heading)
        self.heading.setStyleSheet(theme.muted_style())
        self.value = QLabel("…")
        self.value.setObjectName("value")
        font = QFont(self.value.font())
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.value.setFont(font)
        self.caption = QLabel(" ")
        self.caption.setObjectName("caption")
        self.caption.setStyleSheet(theme.muted_style())
        self.setToolTip(explanation)
        self.setAccessibleName(heading)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 8)
        layout.setSpacing(1)
        layout.addWidget(self.heading)
        layout.addWidget(self.value)
        layout.addWidget(self.caption)

    def show_figure(
        self, value: str, caption: str, *, detail: str = "", alarm: bool = False
    ) -> None:
        """Show ``value`` over ``caption``; ``detail`` goes into the tooltip."""
        self.value.setText(value)
        self.value.setStyleSheet(theme.error_style() if alarm else "")
        self.caption.setText(caption)
        self.setToolTip(self.explanation + (f"\n{detail}" if detail else ""))
        self.setAccessibleDescription(f"{value}, {caption}. {detail}".strip())


class ChartPanel(QChartView):
    """A chart fit for a dashboard cell: no animation, slim margins, the palette's colours.

    Signals:
        resized: the view changed size (labels may need to be fitted again).
    """

    resized = Signal()

    def __init__(self, name: str, title: str) -> None:
        chart = QChart()
        chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        chart.legend().setVisible(False)
        chart.setMargins(QMargins(2, 2, 8, 2))
        chart.setBackgroundRoundness(0)
        super().__init__(chart)
        self.title = title
        self.setObjectName(name)
        self.setAccessibleName(title)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def reset(self, title: str | None = None) -> QChart:
        """The chart emptied of its series and axes, titled, in the palette's colours."""
        chart = self.chart()
        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)
            axis.deleteLater()
        palette = self.palette()
        chart.setBackgroundBrush(palette.base())
        chart.setBackgroundPen(QPen(palette.mid().color()))
        chart.setTitle(title or self.title)
        chart.setTitleBrush(palette.text())
        title_font = QFont(self.font())
        title_font.setBold(True)
        chart.setTitleFont(title_font)
        return chart

    def add_axis(self, axis: QAbstractAxis, side: Qt.AlignmentFlag, series: object) -> None:
        """Put ``axis`` on ``side`` of the chart for ``series``, in the palette's colours.

        Axis labels are a little smaller than the text around them: a dozen week labels
        must fit under the fill-rate chart without being cut short.
        """
        palette = self.palette()
        labels = QFont(self.font())
        labels.setPointSizeF(labels.pointSizeF() * 0.9)
        axis.setLabelsFont(labels)
        axis.setTitleFont(labels)
        axis.setLabelsBrush(palette.text())
        axis.setTitleBrush(palette.text())
        axis.setLinePen(QPen(palette.mid().color()))
        axis.setGridLineColor(palette.midlight().color())
        self.chart().addAxis(axis, side)
        series.attachAxis(axis)  # type: ignore[attr-defined]

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.resized.emit()

    def on_hover(self, bars: QBarSet, texts: Sequence[str]) -> None:
        """Hovering a bar shows its text (the bars' own labels carry only the number)."""
        show: Callable[[bool, int], None] = lambda status, index: (  # noqa: E731
            QToolTip.showText(QCursor.pos(), texts[index], self) if status else QToolTip.hideText()
        )
        bars.hovered.connect(show)


def week_labels(weeks: Sequence[date], *, months: bool = True) -> list[str]:
    """Labels for consecutive weeks: ``7 Sep``, ``14``, ``21``, ``28``, ``5 Oct``...

    The month is named where it changes (``months``), so a dozen labels fit under a
    chart; without, only day numbers. The axis needs distinct labels; a day number
    repeated in a later month (February to March) gets an invisible mark to stay distinct.
    """
    labels: list[str] = []
    for index, week in enumerate(weeks):
        named = months and (index == 0 or week.month != weeks[index - 1].month)
        label = day_month(week) if named else str(week.day)
        while label in labels:
            label += "\u200b"
        labels.append(label)
    return labels


def _count_axis(top: float) -> QValueAxis:
    """A value axis from 0 with round-number ticks (1, 2 or 5 times a power of ten) and
    room above the longest bar for its label."""
    target = max(top * 1.15, 4.0)
    raw = target / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    axis = QValueAxis()
    axis.setLabelFormat("%d")
    axis.setRange(0, math.ceil(target / step) * step)
    axis.setTickType(QValueAxis.TickType.TicksDynamic)
    axis.setTickAnchor(0)
    axis.setTickInterval(step)
    return axis


class DashboardSection(Section):
    """Figure cards, four charts and the overdue purchase orders, loaded off the GUI thread.

    Attributes:
        data: the figures on show (``None`` until the first load is done).
        cards: the figure cards by name: ``waiting``, ``customers``, ``value``, ``fill``,
            ``wait``, ``lost``, ``overdue``.

    Signals:
        loaded: new figures are on show.
    """

    title = "Dashboard"
    loaded = Signal()

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.data: Dashboard | None = None
        self.loading = False
        self._again = False
        self._shown_once = False

        weeks = dashboard.WEEKS
        self.cards: dict[str, FigureCard] = {
            "waiting": FigureCard(
                "waiting", "Lines waiting", "Order lines on the backorder list now"
            ),
            "customers": FigureCard(
                "customers", "Customers waiting", "Customers with at least one line waiting"
            ),
            "value": FigureCard(
                "value",
                "Value waiting",
                "What the waiting units are worth at the prices on their orders",
            ),
            "fill": FigureCard(
                "fill",
                "Fill rate",
                f"Of the units ordered in the last {weeks} weeks, the share that was in "
                "stock (reserved) when the order was placed",
            ),
            "wait": FigureCard(
                "wait",
                "Average wait",
                f"Lines served in full from the queue in the last {weeks} weeks: from the "
                "order to the moment their last unit was reserved",
            ),
            "lost": FigureCard(
                "lost",
                "Units lost",
                f"Units on orders of the last {weeks} weeks cancelled because they were out "
                "of stock: cancelled at the counter, or cancelled while waiting",
            ),
            "overdue": FigureCard(
                "overdue", "Overdue POs", "Open purchase orders whose expected date has passed"
            ),
        }
        cards_row = QHBoxLayout()
        cards_row.setSpacing(6)
        for card in self.cards.values():
            cards_row.addWidget(card)

        self.aging_chart = ChartPanel("aging_chart", "Waiting lines by age")
        self.fill_chart = ChartPanel("fill_chart", f"Fill rate per week (last {weeks} weeks)")
        self.top_chart = ChartPanel("top_chart", "Most units waiting")
        self.lost_chart = ChartPanel("lost_chart", f"Units lost (last {weeks} weeks)")
        self.fill_chart.resized.connect(self._fit_week_labels)

        self.overdue_table = QTableWidget(0, len(OVERDUE_COLUMNS))
        self.overdue_table.setObjectName("overdue_table")
        self.overdue_table.setAccessibleName("Overdue purchase orders")
        self.overdue_table.setHorizontalHeaderLabels(OVERDUE_COLUMNS)
        for column, tip in enumerate(OVERDUE_TIPS):
            self.overdue_table.horizontalHeaderItem(column).setToolTip(tip)
        self.overdue_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.overdue_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.overdue_table.verticalHeader().setVisible(False)
        self.overdue_table.setWordWrap(False)
        header = self.overdue_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.overdue_heading = QLabel("Overdue purchase orders")
        heading_font = QFont(self.overdue_heading.font())
        heading_font.setBold(True)
        self.overdue_heading.setFont(heading_font)
        self.overdue_heading.setBuddy(self.overdue_table)
        self.overdue_empty = QLabel("No purchase order is overdue.")
        self.overdue_empty.setObjectName("overdue_empty")
        self.overdue_empty.setStyleSheet(theme.ok_style())
        self.overdue_empty.setWordWrap(True)
        overdue_box = QWidget()
        overdue_layout = QVBoxLayout(overdue_box)
        overdue_layout.setContentsMargins(0, 0, 0, 0)
        overdue_layout.addWidget(self.overdue_heading)
        overdue_layout.addWidget(self.overdue_empty)
        overdue_layout.addWidget(self.overdue_table, 1)
        self.overdue_spacer = QWidget()
        overdue_layout.addWidget(self.overdue_spacer, 1)

        self.status = QLabel("Loading the figures…")
        self.status.setObjectName("status")
        self.status.setStyleSheet(theme.muted_style())
        self.status.setWordWrap(True)

        grid = QGridLayout()
        grid.setSpacing(6)
        grid.addWidget(self.aging_chart, 0, 0)
        grid.addWidget(self.fill_chart, 0, 1, 1, 2)
        grid.addWidget(self.top_chart, 1, 0)
        grid.addWidget(self.lost_chart, 1, 1)
        grid.addWidget(overdue_box, 1, 2)
        # The table's column a little wider than the charts': it has five columns to show.
        for column, stretch in enumerate((5, 4, 5)):
            grid.setColumnStretch(column, stretch)
        grid.setRowStretch(0, 1)
        grid.setRowStretch(1, 1)

        layout = QVBoxLayout(self)
        layout.addLayout(cards_row)
        layout.addLayout(grid, 1)
        layout.addWidget(self.status)

    # ----------------------------------------------------------------- loading

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._shown_once:
            # Built with the other sections at start; read the store only when looked at.
            self._shown_once = True
            self.refresh()

    def refresh(self) -> None:
        """Load the figures again in the background (once more after a running load)."""
        if self.loading:
            self._again = True
            return
        self.loading = True
        self._again = False
        now = self.ctx.controller.clock()

        def work(_progress: Progress) -> Dashboard:
            return dashboard.load(now)

        run_in_background(work, on_done=self._loaded, on_error=self._failed)

    def _loaded(self, data: Dashboard) -> None:
        self.loading = False
        self.show_dashboard(data)
        if self._again:
            self.refresh()

    def _failed(self, message: str) -> None:
        self.loading = False
        self.status.setStyleSheet(theme.error_style())
        self.status.setText(f"The figures could not be read: {message} Press F5 to try again.")
        if self._again:
            self.refresh()

    # ----------------------------------------------------------------- showing

    def show_dashboard(self, data: Dashboard) -> None:
        """Put these figures on show (what every background load ends with)."""
        self.data = data
        self._show_cards(data)
        self._show_aging(data)
        self._show_fill(data)
        self._show_products(self.top_chart, data.top_waiting, "waiting", _BAR, "nothing is waiting")
        self._show_products(
            self.lost_chart, data.lost.products, "lost", _LOST, "none lost to a shortage"
        )
        self._show_overdue(data)
        self._fit_week_labels()
        self.status.setStyleSheet(theme.muted_style())
        self.status.setText(
            f"As of {to_local(data.now):%H:%M}. Fill rate, waits and units lost count orders "
            f"since Monday {day_month(data.lost.since)} (weeks run Monday to Sunday). Hover a "
            "figure or a bar for more."
        )
        total = sum(data.timings.values())
        self.status.setToolTip(
            f"Read in {total:.0f} ms: "
            + ", ".join(f"{name} {ms:.0f} ms" for name, ms in data.timings.items())
        )
        self.loaded.emit()

    def _show_cards(self, data: Dashboard) -> None:
        waiting = data.open
        cards = self.cards
        cards["waiting"].show_figure(f"{waiting.lines:,}", plural(waiting.units, "unit"))
        cards["customers"].show_figure(f"{waiting.customers:,}", "with a line waiting")
        cards["value"].show_figure(
            money(waiting.value_cents),
            "at order prices",
            detail=f"Exactly {exact_money(waiting.value_cents)}",
        )
        ordered = sum(week.ordered for week in data.fill)
        cards["fill"].show_figure(
            percent(data.period_fill_rate),
            f"of {plural(ordered, 'unit')}",
            detail=f"{plural(ordered, 'unit')} ordered since {day_month(data.lost.since)}",
        )
        served = data.waits
        cards["wait"].show_figure(
            days_text(served.average_days),
            f"longest {days_text(served.longest_days)}" if served.lines else "none served yet",
            detail=f"{plural(served.lines, 'line')} served since {day_month(served.since)}",
        )
        lost = data.lost
        cards["lost"].show_figure(
            f"{lost.units:,}",
            f"worth {money(lost.value_cents)}",
            detail=f"{plural(lost.products_count, 'product')}; exactly "
            f"{exact_money(lost.value_cents)}",
        )
        overdue = data.overdue
        cards["overdue"].show_figure(
            f"{overdue.count:,}",
            f"{plural(overdue.outstanding, 'unit')} to come" if overdue.count else "all on time",
            alarm=overdue.count > 0,
        )

    def _show_aging(self, data: Dashboard) -> None:
        view = self.aging_chart
        chart = view.reset()
        bars = QBarSet("Lines waiting")
        bars.setColor(_BAR)
        bars.setBorderColor(_BAR)
        bars.setLabelColor(view.palette().text().color())
        for bucket in data.aging:
            bars.append(bucket.lines)
        series = QBarSeries()
        series.append(bars)
        series.setLabelsVisible(True)
        series.setLabelsPosition(QBarSeries.LabelsPosition.LabelsOutsideEnd)
        series.setBarWidth(0.6)
        chart.addSeries(series)
        ages = QBarCategoryAxis()
        ages.append([bucket.label for bucket in data.aging])
        ages.setTitleText("days since the order")
        view.add_axis(ages, Qt.AlignmentFlag.AlignBottom, series)
        top = max((bucket.lines for bucket in data.aging), default=0)
        view.add_axis(_count_axis(top), Qt.AlignmentFlag.AlignLeft, series)
        described = [
            f"{bucket.label} days: {plural(bucket.lines, 'line')}, {plural(bucket.units, 'unit')}"
            for bucket in data.aging
        ]
        view.on_hover(bars, described)
        view.setAccessibleDescription("Waiting lines by age: " + "; ".join(described))
        view.setToolTip(
            "Order lines waiting, by whole days since the order was placed "
            "(a line ordered 7 days ago counts in 0-7, 8 days ago in 8-14)"
        )

    def _show_fill(self, data: Dashboard) -> None:
        view = self.fill_chart
        chart = view.reset()
        line = QLineSeries()
        line.setName("Fill rate")
        pen = QPen(_LINE)
        pen.setWidthF(2.5)
        line.setPen(pen)
        line.setPointsVisible(True)
        line.setPointLabelsVisible(True)
        line.setPointLabelsFormat("@yPoint%")
        line.setPointLabelsColor(view.palette().text().color())
        line.setPointLabelsClipping(False)
        described = []
        for index, week in enumerate(data.fill):
            if week.rate is not None:
                line.append(index, round(week.rate * 100))
            described.append(
                f"week of {day_month(week.week_start)}: {percent(week.rate)} of "
                f"{plural(week.ordered, 'unit')}"
            )
        chart.addSeries(line)
        weeks = QBarCategoryAxis()
        weeks.append(week_labels([week.week_start for week in data.fill]))
        view.add_axis(weeks, Qt.AlignmentFlag.AlignBottom, line)
        share = QValueAxis()
        share.setRange(0, 112)  # room above 100 % for the points' labels
        share.setLabelFormat("%d%%")
        share.setTickType(QValueAxis.TickType.TicksDynamic)
        share.setTickAnchor(0)
        share.setTickInterval(25)
        view.add_axis(share, Qt.AlignmentFlag.AlignLeft, line)
        view.setAccessibleDescription("Fill rate per week: " + "; ".join(described))
        view.setToolTip(
            "Per week of orders (Monday to Sunday): the share of the units ordered that "
            "were in stock when the order was placed; weeks without orders have no point.\n"
            + "\n".join(described[-4:])
        )

    def _fit_week_labels(self) -> None:
        """Name the months under the fill-rate chart where there is room; where there is
        not (a narrow window, large fonts), day numbers only and the months in the title.

        QtCharts cuts short a label without some room to spare, tilted or not.
        """
        if self.data is None:
            return
        axes = [
            axis
            for axis in self.fill_chart.chart().axes(Qt.Orientation.Horizontal)
            if isinstance(axis, QBarCategoryAxis)
        ]
        if not axes:
            return
        (axis,) = axes
        starts = [week.week_start for week in self.data.fill]
        labels = week_labels(starts)
        metrics = QFontMetricsF(axis.labelsFont())
        widest = max(metrics.horizontalAdvance(label) for label in labels)
        # The plot spans the view less the percentage axis and the margins; worked out
        # here because the chart lays itself out only after this runs.
        left = metrics.horizontalAdvance("100%") + 40
        plot = self.fill_chart.viewport().width() - left
        if widest + 14 > plot / len(labels):
            labels = week_labels(starts, months=False)
            axis.setTitleText(f"week starting, {day_month(starts[0])} to {day_month(starts[-1])}")
        else:
            axis.setTitleText("week starting")
        if axis.categories() != labels:
            axis.setCategories(labels)

    def _show_products(
        self,
        view: ChartPanel,
        products: Sequence[ProductUnits],
        what: str,
        color: QColor,
        empty: str,
    ) -> None:
        if not products:
            view.reset(f"{view.title}: none")
            view.setAccessibleDescription(f"{view.title}: {empty}")
            view.setToolTip("")
            return
        chart = view.reset()
        # Horizontal bars run from the bottom up: the most goes in last, to sit on top.
        shown = list(reversed(products))
        bars = QBarSet(f"units {what}")
        bars.setColor(color)
        bars.setBorderColor(color)
        bars.setLabelColor(view.palette().text().color())
        for product in shown:
            bars.append(product.units)
        series = QHorizontalBarSeries()
        series.append(bars)
        series.setLabelsVisible(True)
        series.setLabelsPosition(QHorizontalBarSeries.LabelsPosition.LabelsOutsideEnd)
        series.setBarWidth(0.7)
        chart.addSeries(series)
        skus = QBarCategoryAxis()
        skus.append([product.sku for product in shown])
        view.add_axis(skus, Qt.AlignmentFlag.AlignLeft, series)
        counts = _count_axis(max(product.units for product in products))
        counts.setTitleText(f"units {what}")
        view.add_axis(counts, Qt.AlignmentFlag.AlignBottom, series)
        described = [
            f"{product.sku} {product.name}: {plural(product.units, 'unit')} {what} "
            f"(worth {exact_money(product.value_cents)})"
            for product in shown
        ]
        view.on_hover(bars, described)
        view.setAccessibleDescription(f"{view.title}: " + "; ".join(reversed(described)))
        view.setToolTip("Hover a bar for the product's name and what its units are worth")

    def _show_overdue(self, data: Dashboard) -> None:
        orders = data.overdue.orders
        today = to_local(data.now).date()
        table = self.overdue_table
        table.setRowCount(len(orders))
        for row, po in enumerate(orders):
            cells = [
                f"#{po.po_id}",
                po.supplier,
                day_month(po.expected_date)
                + ("" if po.expected_date.year == today.year else f" {po.expected_date.year}"),
                plural(po.days_late, "day"),
                f"{po.outstanding:,}",
            ]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)  # a narrow column cuts the supplier's name short
                if column in (0, 3, 4):
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                table.setItem(row, column, item)
        count = data.overdue.count
        self.overdue_heading.setText(
            "Overdue purchase orders"
            + (f" (the {len(orders)} most overdue of {count:,})" if count > len(orders) else "")
        )
        table.setVisible(bool(orders))
        self.overdue_empty.setVisible(not orders)
        self.overdue_spacer.setVisible(not orders)
