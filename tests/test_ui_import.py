"""File > Import products…: choose a file, see every row's fate, import the good rows.

Driven through the real dialog on a real store; the dry run and the import run on the
thread pool (``ui.worker``), so each step waits for the dialog's ``finished_work`` signal.
Pictures of the preview and of the result are saved (``tests/shots.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.controller import Controller, Decision, OrderItem
from app.models import Product
from app.store import Store
from tests.shots import save_shot
from ui import theme
from ui.context import DeskContext
from ui.dialogs.import_products import WHAT, ImportProductsDialog
from ui.main_window import MainWindow

FIXTURES = Path(__file__).parent / "fixtures" / "imports"
MIXED = (
    "sku,name,barcode,price,on_hand\n"
    "W-1,Widget,4006381333931,9.99,12\n"
    "W-2,Widget large,3.65275E+11,14.50,3\n"
    "W-3,Widget spare part,,2.25,40\n"
    ",Nameless,,1.00,1\n"
)


@pytest.fixture
def ctx(store: Store, controller: Controller, qtbot: QtBot) -> Iterator[DeskContext]:
    context = DeskContext(store, controller)
    context.stop()  # these tests notify by hand; no timer firing mid-test
    yield context


def open_dialog(qtbot: QtBot, ctx: DeskContext) -> ImportProductsDialog:
    dialog = ImportProductsDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def load(qtbot: QtBot, dialog: ImportProductsDialog, path: Path) -> None:
    with qtbot.waitSignal(dialog.finished_work, timeout=30_000) as finished:
        dialog.load(str(path))
    assert finished.args == [""]


def cell(dialog: ImportProductsDialog, row: int, column: int, role: int = 0) -> object:
    model = dialog.table.model()
    return model.data(model.index(row, column), Qt.ItemDataRole(role))


def test_preview_shows_each_row_refused_ones_in_red_and_writes_nothing(
    qtbot: QtBot, ctx: DeskContext, tmp_path: Path
) -> None:
    path = tmp_path / "stock.csv"
    path.write_text(MIXED, encoding="utf-8")
    dialog = open_dialog(qtbot, ctx)
    load(qtbot, dialog, path)

    summary = dialog.summary.text()
    assert "stock.csv: Backorder Desk CSV (UTF-8, comma), 4 products." in summary
    assert "2 refused" in summary
    assert dialog.table.model().rowCount() == 4
    assert cell(dialog, 0, WHAT) == "New product, 12 in stock"
    refused = cell(dialog, 1, WHAT)
    assert isinstance(refused, str) and refused.startswith(
        "Refused: barcode 3.65275E+11 was turned into a number by a spreadsheet"
    )
    assert cell(dialog, 1, 1, Qt.ItemDataRole.ForegroundRole) == theme.colors().error
    assert cell(dialog, 0, 1, Qt.ItemDataRole.ForegroundRole) is None
    assert dialog.import_button.text() == "&Import 2 good rows"
    assert dialog.import_button.isEnabled()
    assert Product.select().count() == 0
    dialog.table.setCurrentIndex(dialog.table.model().index(1, 0))
    assert dialog.detail.text() == (
        "Line 3: barcode 3.65275E+11 was turned into a number by a spreadsheet - re-export "
        "the file with the barcode column formatted as text."
    )
    save_shot(dialog, tmp_path, "import-preview", settle=2)

    dialog.only_problems.setChecked(True)
    assert dialog.table.model().rowCount() == 2
    assert (
        cell(dialog, 1, WHAT)
        == "Refused: no SKU - fill in the SKU column (the shop's own code for the item)"
    )


def test_import_writes_the_good_rows_serves_the_queue_and_says_so(
    qtbot: QtBot, ctx: DeskContext, controller: Controller, tmp_path: Path
) -> None:
    widget = controller.add_product(sku="W-1", name="Widget")
    ann = controller.add_customer(name="Ann", email="ann@example.com")
    controller.place_order(ann.id, [OrderItem(widget.id, 5)], decisions={widget.id: Decision.WAIT})
    path = tmp_path / "stock.csv"
    path.write_text(MIXED, encoding="utf-8")
    dialog = open_dialog(qtbot, ctx)
    load(qtbot, dialog, path)
    assert cell(dialog, 0, WHAT) == "Update price, barcode, stock +12"

    with qtbot.waitSignal(ctx.changed), qtbot.waitSignal(dialog.finished_work, timeout=30_000):
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    outcome = dialog.outcome.text()
    assert dialog.outcome.isVisible()
    assert "Imported 2 rows: 1 new, 1 updated, 0 unchanged; 52 units in, 0 out" in outcome
    assert "1 waiting line is now ready to pick" in outcome
    assert {p.sku: p.on_hand for p in Product.select()} == {"W-1": 12, "W-3": 40}
    assert not dialog.import_button.isEnabled()  # imported; Dry run checks the file again
    save_shot(dialog, tmp_path, "import-done", settle=2)

    with qtbot.waitSignal(dialog.finished_work, timeout=30_000):
        qtbot.mouseClick(dialog.dry_run_button, Qt.MouseButton.LeftButton)
    assert cell(dialog, 0, WHAT) == "No change"
    assert dialog.import_button.text() == "&Import 2 good rows"


def test_a_file_that_cannot_be_read_is_said_in_the_dialog(
    qtbot: QtBot, ctx: DeskContext, tmp_path: Path
) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("Order,Customer,Total\n1,Ann,3\n", encoding="utf-8")
    dialog = open_dialog(qtbot, ctx)
    with qtbot.waitSignal(dialog.finished_work, timeout=30_000) as finished:
        dialog.load(str(path))
    assert "has a header Backorder Desk does not know" in finished.args[0]
    assert "does not know (Order, Customer, Total)" in dialog.summary.text()
    assert not dialog.import_button.isEnabled()
    assert dialog.table.model().rowCount() == 0


def test_file_menu_opens_the_import_dialog(qtbot: QtBot, ctx: DeskContext, tmp_path: Path) -> None:
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    file_menu = window.menus[0]
    assert window.import_action in file_menu.actions()
    assert window.import_action.isEnabled()  # the default staff member is a manager
    dialog = window.open_import()
    qtbot.waitExposed(dialog)
    load(qtbot, dialog, FIXTURES / "woocommerce_products.csv")
    assert "WooCommerce product CSV (UTF-8 with BOM, comma), 4 products." in dialog.summary.text()
    assert "3 passed over" in dialog.summary.text()
    assert QApplication.activeModalWidget() is None  # the desk stays usable meanwhile
    dialog.close()
