"""The Dashboard section on the hand-computed shop of ``tests.test_dashboard``: what a
manager reads on the cards, in the charts and in the overdue table, a refresh after a
change, an empty store, and the section's place in the main window. Pictures of each are
saved as PNG (``tests.shots``). Both backends (``store`` fixture).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtCharts import QBarCategoryAxis, QBarSeries, QHorizontalBarSeries, QLineSeries
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from app.controller import Controller, Decision, OrderItem
from app.store import Store
from tests.conftest import FakeClock
from tests.shots import save_shot
from tests.test_dashboard import build_history, utc_zone  # noqa: F401 (a fixture)
from ui.context import DeskContext
from ui.main_window import MainWindow
from ui.sections.dashboard import ChartPanel, DashboardSection, week_labels


@pytest.fixture
def ctx(store: Store, controller: Controller, qtbot: QtBot) -> Iterator[DeskContext]:
    context = DeskContext(store, controller)
    context.stop()  # the tests notify by hand; no poll firing mid-test
    yield context


@pytest.fixture
def shop(controller: Controller, clock: FakeClock, utc_zone: None) -> dict[str, int]:  # noqa: F811
    return build_history(controller, clock)


def open_dashboard(qtbot: QtBot, ctx: DeskContext) -> DashboardSection:
    section = DashboardSection(ctx)
    qtbot.addWidget(section)
    section.resize(1100, 700)
    with qtbot.waitSignal(section.loaded, timeout=10_000):
        section.show()
    return section


def card(section: DashboardSection, name: str) -> tuple[str, str]:
    shown = section.cards[name]
    return shown.value.text(), shown.caption.text()


def bars(view: ChartPanel) -> tuple[list[str], list[float]]:
    """A bar chart's category labels and values, as drawn (bottom to top for horizontal)."""
    (series,) = view.chart().series()
    assert isinstance(series, QBarSeries | QHorizontalBarSeries)
    (values,) = series.barSets()
    (labels,) = [a for a in view.chart().axes() if isinstance(a, QBarCategoryAxis)]
    return labels.categories(), [values.at(i) for i in range(values.count())]


def test_the_cards_charts_and_table_show_the_shops_figures(
    qtbot: QtBot, ctx: DeskContext, shop: dict[str, int], tmp_path: Path
) -> None:
    section = open_dashboard(qtbot, ctx)
    assert card(section, "waiting") == ("8", "11 units")
    assert card(section, "customers") == ("4", "with a line waiting")
    assert card(section, "value") == ("62", "at order prices")
    assert card(section, "fill") == ("33%", "of 30 units")
    assert card(section, "wait") == ("4.5 days", "longest 7.0 days")
    assert "2 lines served since 28 Sep" in section.cards["wait"].toolTip()
    assert card(section, "lost") == ("4", "worth 18")
    assert card(section, "overdue") == ("2", "9 units to come")

    assert bars(section.aging_chart) == (["0-7", "8-14", "15-30", "31+"], [3, 2, 2, 1])
    assert bars(section.top_chart) == (["G", "E"], [1, 10])  # the most on top
    assert bars(section.lost_chart) == (["A", "B"], [1, 3])
    assert "B Item B: 3 units lost (worth 7.50)" in section.lost_chart.accessibleDescription()

    (line,) = section.fill_chart.chart().series()
    assert isinstance(line, QLineSeries)
    # Weeks 6 (2 Nov) and 7 (9 Nov) of the twelve, then 23 Nov on; 16 Nov had no orders.
    assert [(p.x(), p.y()) for p in line.points()] == [
        (5, 46),
        (6, 44),
        (8, 0),
        (9, 0),
        (10, 0),
        (11, 0),
    ]
    (weeks,) = [a for a in section.fill_chart.chart().axes() if isinstance(a, QBarCategoryAxis)]
    # Months named where they change, or (no room) in the axis title.
    assert weeks.categories()[:6] in (
        ["28 Sep", "5 Oct", "12", "19", "26", "2 Nov"],
        ["28", "5", "12", "19", "26", "2"],
    )
    if weeks.categories()[0] == "28":
        assert weeks.titleText() == "week starting, 28 Sep to 14 Dec"

    table = section.overdue_table
    rows = [
        [table.item(row, column).text() for column in range(table.columnCount())]
        for row in range(table.rowCount())
    ]
    assert rows == [
        [f"#{shop['PO4']}", "Acme Wholesale", "30 Nov", "14 days", "2"],
        [f"#{shop['PO1']}", "Acme Wholesale", "10 Dec", "4 days", "7"],
    ]
    assert table.isVisibleTo(section) and not section.overdue_empty.isVisibleTo(section)
    assert "Monday 28 Sep" in section.status.text()
    save_shot(section, tmp_path, "dashboard", settle=2)


def test_a_change_in_the_store_shows_on_the_next_refresh(
    qtbot: QtBot, ctx: DeskContext, controller: Controller, shop: dict[str, int]
) -> None:
    section = open_dashboard(qtbot, ctx)
    controller.place_order(
        shop["Ann"], [OrderItem(shop["G"], 2)], decisions={shop["G"]: Decision.WAIT}
    )
    with qtbot.waitSignal(section.loaded, timeout=10_000):
        ctx.notify_changed()
    assert card(section, "waiting") == ("9", "13 units")
    assert bars(section.top_chart) == (["G", "E"], [3, 10])


def test_a_change_during_a_load_is_read_once_that_load_is_done(
    qtbot: QtBot, ctx: DeskContext, controller: Controller, shop: dict[str, int]
) -> None:
    section = open_dashboard(qtbot, ctx)
    section.refresh()  # a load is under way...
    controller.place_order(
        shop["Bob"], [OrderItem(shop["G"], 1)], decisions={shop["G"]: Decision.WAIT}
    )
    section.refresh()  # ...when the change comes: it waits for its turn
    qtbot.waitUntil(lambda: card(section, "waiting")[0] == "9", timeout=10_000)
    qtbot.waitUntil(lambda: not section.loading, timeout=10_000)


def test_an_empty_store_says_there_is_nothing_yet(
    qtbot: QtBot,
    ctx: DeskContext,
    tmp_path: Path,
    utc_zone: None,  # noqa: F811
) -> None:
    section = open_dashboard(qtbot, ctx)
    assert card(section, "waiting") == ("0", "0 units")
    assert card(section, "fill") == ("–", "of 0 units")
    assert card(section, "wait") == ("–", "none served yet")
    assert card(section, "overdue") == ("0", "all on time")
    assert section.top_chart.chart().title() == "Most units waiting: none"
    assert section.top_chart.accessibleDescription() == "Most units waiting: nothing is waiting"
    assert section.lost_chart.chart().series() == []
    assert section.overdue_empty.isVisibleTo(section)
    assert not section.overdue_table.isVisibleTo(section)
    save_shot(section, tmp_path, "dashboard-empty", settle=2)


def test_the_main_window_lists_the_dashboard_and_opens_it(
    qtbot: QtBot, ctx: DeskContext, shop: dict[str, int], tmp_path: Path
) -> None:
    QSettings.setPath(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings")
    )
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.resize(1100, 700)
    window.show()
    qtbot.waitExposed(window)
    section = window.section(DashboardSection)
    assert isinstance(section, DashboardSection) and section.data is None  # not read yet
    index = window.sections.index(section)
    action = window.section_actions_by_index[index]
    assert action.shortcut().toString() == f"Alt+{index + 1}"
    with qtbot.waitSignal(section.loaded, timeout=10_000):
        action.trigger()
    assert window.navigation.currentItem().text() == "Dashboard"
    assert card(section, "waiting") == ("8", "11 units")
    save_shot(window, tmp_path, "dashboard-window", settle=2)


def test_week_labels_name_the_month_where_it_changes_and_stay_distinct() -> None:
    mondays = [date(2027, 1, 25) + timedelta(weeks=n) for n in range(8)]
    labels = week_labels(mondays)
    assert [label.replace("\u200b", "") for label in labels] == [
        "25 Jan",
        "1 Feb",
        "8",
        "15",
        "22",
        "1 Mar",
        "8",
        "15",
    ]
    assert len(set(labels)) == len(labels)  # the axis drops repeated labels
