"""The main window, the theme and the start-up path, driven through real widgets on a real store.

Settings go to a temporary folder (``QSettings.setPath``), never the user's own.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from app import queries
from app.controller import Controller, Decision, OrderItem
from app.store import Store
from tests.shots import save_shot
from ui import theme
from ui.context import DeskContext
from ui.main_window import SECTION_CLASSES, MainWindow, shortcut_text
from ui.sections.customers import CustomersSection
from ui.sections.inventory import InventorySection
from ui.sections.orders import OrdersSection

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def private_settings(tmp_path: Path) -> Iterator[Path]:
    """Keep QSettings in this test's folder."""
    folder = tmp_path / "settings"
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    yield folder


@pytest.fixture
def ctx(store: Store, controller: Controller, qtbot: QtBot) -> Iterator[DeskContext]:
    context = DeskContext(store, controller)
    yield context
    context.stop()


def open_window(qtbot: QtBot, ctx: DeskContext) -> MainWindow:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    return window


def waiting_line(controller: Controller, *, sku: str = "W-1", units: int = 2) -> tuple[int, int]:
    """A product nobody has in stock and an order waiting for ``units`` of it."""
    product = controller.add_product(sku=sku, name=f"Widget {sku}")
    customer = controller.add_customer(name=f"Ann {sku}", email=f"ann.{sku.lower()}@example.com")
    placed = controller.place_order(
        customer.id, [OrderItem(product.id, units)], decisions={product.id: Decision.WAIT}
    )
    return int(product.id), placed.order_id


def test_status_bar_shows_store_staff_and_waiting_count(
    qtbot: QtBot, ctx: DeskContext, store: Store, controller: Controller
) -> None:
    window = open_window(qtbot, ctx)
    assert window.store_label.text() == f"Store: {store.describe()}"
    assert window.staff_label.text() == "Signed in: Admin"
    assert window.waiting_label.text() == "Backorders: 0 lines waiting"

    waiting_line(controller)
    ctx.notify_changed()
    assert window.waiting_label.text() == "Backorders: 1 line waiting"


def test_alt_digits_switch_sections_and_ctrl_f_focuses_the_search(
    qtbot: QtBot, ctx: DeskContext
) -> None:
    window = open_window(qtbot, ctx)
    for number, cls in enumerate(SECTION_CLASSES, start=1):
        qtbot.keyClick(window, getattr(Qt.Key, f"Key_{number}"), Qt.KeyboardModifier.AltModifier)
        assert isinstance(window.current_section(), cls)
        assert window.navigation.currentRow() == number - 1
        assert window.windowTitle().startswith(window.current_section().title)

    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.AltModifier)
    inventory = window.current_section()
    assert isinstance(inventory, InventorySection)
    inventory.table.setFocus()
    qtbot.waitUntil(lambda: inventory.table.hasFocus())
    qtbot.keyClick(inventory.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert inventory.search.hasFocus()
    # The section's own menu follows the section: Inventory's actions are offered now.
    assert window.section_menu.title().replace("&", "") == "Inventory"
    assert inventory.add_action in window.section_menu.actions()


def test_every_menu_action_names_its_shortcut_in_the_tooltip(
    qtbot: QtBot, ctx: DeskContext
) -> None:
    window = open_window(qtbot, ctx)
    window.show_section(InventorySection)
    seen = []
    for menu in window.menus:
        for action in menu.actions():
            keys = shortcut_text(action)
            if keys:
                seen.append(keys)
                assert keys in action.toolTip(), action.text()
    for expected in ("Ctrl+N", "Ctrl+F", "F5", "Alt+1", "Alt+5", "Ctrl+Q", "Ctrl+Shift+N"):
        assert expected in seen


def test_ctrl_n_asks_for_a_new_order_by_signal(qtbot: QtBot, ctx: DeskContext) -> None:
    window = open_window(qtbot, ctx)
    # Only the signal is under test here: the Orders section's dialog is its own business.
    if ctx.receivers("2new_order(int)") > 0:
        ctx.new_order.disconnect()
    with qtbot.waitSignal(ctx.new_order, timeout=1000) as blocker:
        qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert blocker.args == [0]


def test_open_order_and_customer_switch_sections(
    qtbot: QtBot, ctx: DeskContext, controller: Controller
) -> None:
    _product, order_id = waiting_line(controller)
    customer_id = queries.backorders()[0].customer_id
    window = open_window(qtbot, ctx)
    window.show_section(InventorySection)
    ctx.open_order.emit(order_id)
    assert isinstance(window.current_section(), OrdersSection)
    window.show_section(InventorySection)
    ctx.open_customer.emit(customer_id)
    assert isinstance(window.current_section(), CustomersSection)


def test_geometry_and_section_are_remembered(qtbot: QtBot, ctx: DeskContext) -> None:
    first = open_window(qtbot, ctx)
    first.resize(780, 530)  # inside the offscreen screen (800 x 600), unlike the default
    chosen = (first.width(), first.height())  # the sections' minimum width may apply
    assert chosen[1] == 530  # not the default height of 700
    qtbot.keyClick(first, Qt.Key.Key_4, Qt.KeyboardModifier.AltModifier)
    assert isinstance(first.current_section(), CustomersSection)
    first.close()

    second = open_window(qtbot, ctx)
    assert isinstance(second.current_section(), CustomersSection)
    assert (second.width(), second.height()) == chosen


def test_f5_rereads_the_open_section(
    qtbot: QtBot, ctx: DeskContext, controller: Controller
) -> None:
    product = controller.add_product(sku="F5-1", name="Refreshed thing")
    window = open_window(qtbot, ctx)
    window.show_section(InventorySection)
    inventory = window.section(InventorySection)
    assert isinstance(inventory, InventorySection)
    ctx.stop()  # no polling: only F5 can show the change
    controller.adjust_stock(product.id, 7, reason="count")
    assert inventory.model.row(0).on_hand == 0
    qtbot.keyClick(window, Qt.Key.Key_F5)
    assert inventory.model.row(0).on_hand == 7


def test_change_by_another_process_shows_without_refresh(
    qtbot: QtBot, ctx: DeskContext, controller: Controller, store: Store
) -> None:
    product_id, _order = waiting_line(controller, units=2)
    window = open_window(qtbot, ctx)
    window.show_section(InventorySection)
    inventory = window.section(InventorySection)
    assert isinstance(inventory, InventorySection)
    assert window.waiting_label.text() == "Backorders: 1 line waiting"

    location = str(store.path) if store.path is not None else store.location
    script = (
        "import sys; from app.store import open_store; from app.controller import Controller; "
        "store = open_store(sys.argv[1]); "
        "Controller(store).adjust_stock(int(sys.argv[2]), 5, reason='found in the back room'); "
        "store.close()"
    )
    subprocess.run(
        [sys.executable, "-c", script, location, str(product_id)],
        cwd=ROOT,
        check=True,
        timeout=60,
    )
    qtbot.waitUntil(
        lambda: window.waiting_label.text() == "Backorders: 0 lines waiting", timeout=5000
    )
    row = inventory.model.row(0)
    assert (row.on_hand, row.reserved, row.waiting) == (5, 2, 0)


def test_about_box_names_the_store(qtbot: QtBot, ctx: DeskContext, store: Store) -> None:
    window = open_window(qtbot, ctx)
    seen: list[str] = []

    def read_and_close() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        seen.append(box.text())
        box.accept()

    QTimer.singleShot(0, read_and_close)
    window.about_action.trigger()
    assert seen and store.describe() in seen[0]


def test_theme_follows_the_scheme_and_keeps_messages_readable(qtbot: QtBot) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    try:
        for scheme, dark in ((Qt.ColorScheme.Dark, True), (Qt.ColorScheme.Light, False)):
            theme.apply_theme(app, scheme)
            assert app.style().name().lower() == "fusion"
            assert theme.is_dark() is dark
            colours = theme.colors()
            base = app.palette().color(app.palette().ColorRole.Base)
            # WCAG AA for normal text: an error must be readable on either scheme.
            assert _contrast(colours.error, base) >= 4.5
            assert _contrast(colours.below_reorder, base) >= 4.5
            assert theme.age_color(3) is None
            assert theme.age_color(7) == colours.age_7
            assert theme.age_color(20) == colours.age_14
            assert theme.age_color(45) == colours.age_30
    finally:
        theme.apply_theme(app, Qt.ColorScheme.Light)


def _contrast(one: object, two: object) -> float:
    def luminance(colour: object) -> float:
        channels = []
        for value in (colour.redF(), colour.greenF(), colour.blueF()):  # type: ignore[attr-defined]
            channels.append(value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4)
        red, green, blue = channels
        return 0.2126 * red + 0.7152 * green + 0.0722 * blue

    high, low = sorted((luminance(one), luminance(two)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_a_file_that_is_not_a_store_is_explained_and_exits_2(qtbot: QtBot, tmp_path: Path) -> None:
    from ui.application import run_gui

    path = tmp_path / "notes.db"
    path.write_bytes(b"shopping list: nails, glue\n")
    seen: list[str] = []

    def read_and_close() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        seen.append(box.text())
        box.accept()

    QTimer.singleShot(0, read_and_close)
    assert run_gui(["--db", str(path)]) == 2
    assert seen and "not a Backorder Desk store" in seen[0]
    assert path.read_bytes() == b"shopping list: nails, glue\n"


def test_first_run_demo_loads_in_the_background_and_the_window_refreshes(
    qtbot: QtBot, ctx: DeskContext
) -> None:
    from ui.dialogs.first_run import DEMO, DemoLoader, FirstRunDialog

    window = open_window(qtbot, ctx)
    window.show_section(InventorySection)
    inventory = window.section(InventorySection)
    assert isinstance(inventory, InventorySection)
    assert inventory.model.total == 0

    dialog = FirstRunDialog(ctx.store.describe(), window)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.mouseClick(dialog.demo_button, Qt.MouseButton.LeftButton)
    assert dialog.choice == DEMO

    loader = DemoLoader(ctx, window)
    with qtbot.waitSignal(loader.finished, timeout=60_000) as finished:
        loader.start()
        assert loader.progress.isVisible()
    assert finished.args == [""]
    assert not loader.progress.isVisible()
    assert queries.count_products() > 0
    assert inventory.model.total == queries.count_products()


def test_renders_every_section_and_the_start_dialog(
    qtbot: QtBot, ctx: DeskContext, controller: Controller, tmp_path: Path
) -> None:
    from ui.dialogs.first_run import FirstRunDialog

    waiting_line(controller)
    window = open_window(qtbot, ctx)
    window.resize(1100, 700)
    for section in window.sections:
        window.show_section(type(section))
        name = type(section).__name__.removesuffix("Section").lower()
        assert save_shot(window, tmp_path, f"main-{name}").stat().st_size > 10_000
    dialog = FirstRunDialog(ctx.store.describe(), window)
    qtbot.addWidget(dialog)
    dialog.show()
    assert save_shot(dialog, tmp_path, "first-run").stat().st_size > 5_000


def test_a_hidden_section_shows_fresh_figures_when_opened(
    qtbot: QtBot, ctx: DeskContext, controller: Controller
) -> None:
    product = controller.add_product(sku="H-1", name="Hidden thing")
    window = open_window(qtbot, ctx)
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.AltModifier)
    controller.adjust_stock(product.id, 4, reason="count")
    ctx.notify_changed()
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.AltModifier)
    inventory = window.current_section()
    assert isinstance(inventory, InventorySection)
    assert inventory.model.row(0).on_hand == 4


def test_no_two_live_actions_share_a_shortcut_in_any_section(
    qtbot: QtBot, ctx: DeskContext
) -> None:
    # Qt fires neither of two enabled actions with the same keys ("ambiguous shortcut"),
    # so a clash silently breaks both. Check each section as it is shown.
    window = open_window(qtbot, ctx)
    for cls in SECTION_CLASSES:
        window.show_section(cls)
        section = window.stack.currentWidget()
        live = [
            action
            for action in window.findChildren(QAction)
            if action.isEnabled()
            and not action.shortcut().isEmpty()
            and (
                action.parent() is window
                or section.isAncestorOf(action.parent())
                or action.parent() is section
                or action in window.menuBar().actions()
                or any(action in menu.actions() for menu in window.menus)
            )
        ]
        by_keys: dict[str, set[str]] = {}
        for action in live:
            for keys in action.shortcuts():
                by_keys.setdefault(keys.toString(), set()).add(action.text())
        clashes = {keys: names for keys, names in by_keys.items() if len(names) > 1}
        assert clashes == {}, f"{cls.title}: {clashes}"
