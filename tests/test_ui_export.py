"""Exporting from the windows (SQLite and PostgreSQL): Backorders to CSV or PDF, Orders and
Inventory (products, stock ledger) to CSV, each from its action with the save dialog
answered by the test, in the background, with the file read back. The PDF is read back
with pypdf (pages, text, "Page n of N", rows kept whole) and its first page is rendered to
PNG for a person to look at."""

from __future__ import annotations

import csv
import os
import shutil
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.backorder_view import BackorderFilter
from app.controller import Controller, Decision, OrderItem
from app.export import ProductFilter, export_products
from app.store import Store
from tests.conftest import FakeClock
from ui.backorder_pdf import render_backorder_page, save_backorder_pdf
from ui.context import DeskContext
from ui.export_ui import PDF_FILES, ExportRunner, LedgerExportDialog
from ui.sections.backorders import BackordersSection
from ui.sections.inventory import InventorySection
from ui.sections.orders import OrdersSection


@pytest.fixture
def ctx(store: Store, controller: Controller, qtbot: QtBot) -> Iterator[DeskContext]:
    context = DeskContext(store, controller)
    context.stop()  # no poll firing mid-test
    yield context


def show(qtbot: QtBot, widget: BackordersSection | OrdersSection | InventorySection) -> None:
    qtbot.addWidget(widget)
    widget.resize(1100, 700)
    widget.show()
    qtbot.waitExposed(widget)


def answer(path: Path, asked: list[str]) -> object:
    """A save dialog that notes the file types offered and answers ``path``."""

    def ask(_parent: object, _title: str, _suggested: str, filters: str) -> str:
        asked.append(filters)
        return str(path)

    return ask


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, dialect="excel"))


def pdf_text(path: Path) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(path).pages]


def save_picture(image: QImage, folder: Path, name: str) -> Path:
    """Keep a rendered page as PNG (and a copy in $BACKORDER_DESK_SHOTS, like tests/shots)."""
    path = folder / f"{name}.png"
    assert image.save(str(path))
    extra = os.environ.get("BACKORDER_DESK_SHOTS")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(extra) / path.name)
    return path


def wait_for(controller: Controller, customer_id: int, product_id: int, qty: int) -> int:
    placed = controller.place_order(
        customer_id, [OrderItem(product_id, qty)], decisions={product_id: Decision.WAIT}
    )
    return placed.order_id


def close_result(runner: ExportRunner) -> str:
    """The result said in the section's own message bar (no box pops up), dismissed."""
    bar = runner.bar
    assert bar.isVisible()
    assert QApplication.activeModalWidget() is None
    text = bar.text()
    bar.hide()
    return text


# --------------------------------------------------------------- backorders


def test_backorders_export_action_saves_the_filtered_view_as_pdf(
    qtbot: QtBot, ctx: DeskContext, controller: Controller, clock: FakeClock, tmp_path: Path
) -> None:
    hinge = controller.add_product(sku="HNG-1", name="Brass hinge")
    knob = controller.add_product(sku="KNB-1", name="Oak knob")
    ann = controller.add_customer(name="Ann Smith", email="ann@example.com")
    bob = controller.add_customer(name="Bob Jones", phone="0161 496 0000")
    wait_for(controller, ann.id, hinge.id, 2)
    wait_for(controller, bob.id, knob.id, 1)
    section = BackordersSection(ctx, today=lambda: clock().date())
    show(qtbot, section)
    section.product_field.set_choice(
        next(c for c in section.product_field.lookup("HNG") if c.id == hinge.id)
    )
    target = tmp_path / "hinges.pdf"
    offered: list[str] = []
    section.ask_path = answer(target, offered)  # type: ignore[assignment]

    assert "Ctrl+E" in section.export_action.toolTip()
    with qtbot.waitSignal(section.exported, timeout=30_000) as finished:
        section.export_action.trigger()

    assert PDF_FILES in offered[0]
    assert finished.args == [str(target), 1]
    assert f"Exported 1 line to {target} (1 page)." in section.message.text()
    (page,) = pdf_text(target)
    assert "Ann Smith" in page and "ann@example.com" in page and "Bob Jones" not in page
    assert "Lines product HNG-1 (Brass hinge), in serving order" in page
    assert "Page 1 of 1" in page
    assert not list(tmp_path.glob("*.part"))


def test_backorders_export_without_pdf_extension_is_csv(
    qtbot: QtBot, ctx: DeskContext, controller: Controller, clock: FakeClock, tmp_path: Path
) -> None:
    hinge = controller.add_product(sku="HNG-1", name="Brass hinge")
    wait_for(controller, controller.add_customer(name="Ann Smith").id, hinge.id, 2)
    section = BackordersSection(ctx, today=lambda: clock().date())
    show(qtbot, section)
    target = tmp_path / "list.csv"
    section.ask_path = answer(target, [])  # type: ignore[assignment]
    with qtbot.waitSignal(section.exported, timeout=30_000):
        section.export_action.trigger()
    assert [(r["Customer"], r["Waiting"]) for r in rows(target)] == [("Ann Smith", "2")]


def test_pdf_pages_keep_rows_whole_and_count_n_of_n(
    qapp: object, controller: Controller, clock: FakeClock, tmp_path: Path
) -> None:
    supplier = controller.supplier_named("Hafele")
    hinge = controller.add_product(
        sku="HNG-1", name="Brass hinge, antique finish, " + "extra long name " * 4
    )
    people = []
    for number in range(70):
        person = controller.add_customer(
            name=f"Customer {number:03d}", email=f"someone.rather.long.{number}@example.com"
        )
        people.append(person.id)
        wait_for(controller, person.id, hinge.id, 1 + number % 4)
        clock.advance(hours=7)
    controller.add_purchase_order(
        supplier_id=supplier.id,
        expected=clock().date() - timedelta(days=1),  # already late: ETAs overdue
        items=[OrderItem(hinge.id, 10)],
    )
    target = tmp_path / "all.pdf"
    progress: list[tuple[int, int]] = []

    written = save_backorder_pdf(
        target,
        BackorderFilter(),
        today=clock().date(),
        progress=lambda d, t: progress.append((d, t)),
    )

    pages = pdf_text(target)
    assert written.lines == 70 and written.pages == len(pages) >= 3
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
        assert "Order Placed Days Customer Contact" in text  # headings on every page
    for number in range(70):
        # Every row is on exactly one page, whole: its name and its e-mail together.
        holding = [t for t in pages if f"Customer {number:03d}" in t]
        assert len(holding) == 1
        assert f"someone.rather.long.{number}@example.com" in holding[0].replace(" ", "")
    assert "70 lines waiting for 173 units" in pages[0]
    assert "overdue" in pages[0]
    assert "Total" in pages[-1] and "70 lines" in pages[-1]
    assert progress[0] == (0, 70) and progress[-1] == (70, 70)

    image, count = render_backorder_page(BackorderFilter(), 1, today=clock().date(), dpi=80)
    assert count == len(pages)
    assert image.width() > image.height()  # landscape
    save_picture(image, tmp_path, "backorder_list_page_1")
    inked = sum(
        1
        for y in range(0, image.height(), 4)
        for x in range(0, image.width(), 4)
        if QColor(image.pixel(x, y)).lightness() < 128
    )
    assert inked > 500  # text on the page, not a blank sheet


def test_an_empty_list_is_one_page_that_says_so(
    qapp: object, controller: Controller, clock: FakeClock, tmp_path: Path
) -> None:
    controller.add_product(sku="HNG-1", name="Brass hinge")
    target = tmp_path / "empty.pdf"
    written = save_backorder_pdf(target, BackorderFilter(), today=clock().date())
    assert (written.lines, written.pages) == (0, 1)
    (page,) = pdf_text(target)
    assert "Nothing is waiting: the backorder list is empty." in page


# ------------------------------------------------------------------ orders


def test_orders_export_action_writes_the_filtered_orders(
    qtbot: QtBot, ctx: DeskContext, controller: Controller, clock: FakeClock, tmp_path: Path
) -> None:
    hinge = controller.add_product(sku="HNG-1", name="Brass hinge")
    controller.adjust_stock(hinge.id, 1, reason="count")
    ann = controller.add_customer(name="Ann Smith")
    ready = controller.place_order(ann.id, [OrderItem(hinge.id, 1)]).order_id
    waiting = wait_for(controller, controller.add_customer(name="Bob Jones").id, hinge.id, 2)
    section = OrdersSection(ctx)
    show(qtbot, section)
    section.status_box.setCurrentIndex(section.status_box.findData("open"))
    assert [row.order_id for row in section.model.loaded_rows()] == [waiting]
    target = tmp_path / "orders.csv"
    section.exporter.ask_path = answer(target, [])  # type: ignore[assignment]

    assert "Ctrl+Shift+E" in section.export_action.toolTip()
    assert section.export_action in section.section_actions()
    with qtbot.waitSignal(section.exporter.finished, timeout=30_000) as finished:
        section.export_action.trigger()

    assert finished.args == [str(target), 1]
    assert [(r["Order"], r["Customer"], r["Order status"]) for r in rows(target)] == [
        (str(waiting), "Bob Jones", "open")
    ]
    # Said where the person looks: the Orders section's own bar, with the folder offered.
    assert section.message.folder == target.parent and section.message.folder_button.isVisible()
    assert close_result(section.exporter) == f"Exported 1 order line to {target}."
    assert section.export_action.isEnabled()
    assert ready not in [int(r["Order"]) for r in rows(target)]


def test_a_failed_export_is_said_and_the_action_comes_back(
    qtbot: QtBot, ctx: DeskContext, controller: Controller, tmp_path: Path
) -> None:
    section = OrdersSection(ctx)
    show(qtbot, section)
    section.exporter.ask_path = answer(tmp_path / "gone" / "o.csv", [])  # type: ignore[assignment]
    with qtbot.waitSignal(section.exporter.failed, timeout=10_000) as failed:
        section.export_action.trigger()
    assert "does not exist" in failed.args[0]
    assert section.exporter.bar.is_error and section.exporter.bar.folder is None
    assert "does not exist" in close_result(section.exporter)
    assert section.export_action.isEnabled()
    assert not (tmp_path / "gone").exists()


# --------------------------------------------------------------- inventory


def test_inventory_exports_the_products_shown(
    qtbot: QtBot, ctx: DeskContext, controller: Controller, tmp_path: Path
) -> None:
    hinge = controller.add_product(sku="HNG-1", name="Brass hinge", price_cents=250)
    controller.add_product(sku="KNB-1", name="Oak knob")
    wait_for(controller, controller.add_customer(name="Ann").id, hinge.id, 3)
    section = InventorySection(ctx)
    show(qtbot, section)
    section.only_waiting.setChecked(True)
    target = tmp_path / "products.csv"
    section.exporter.ask_path = answer(target, [])  # type: ignore[assignment]

    with qtbot.waitSignal(section.exporter.finished, timeout=30_000):
        section.export_action.trigger()

    assert [(r["SKU"], r["Price"], r["Waiting"]) for r in rows(target)] == [("HNG-1", "2.50", "3")]
    assert close_result(section.exporter) == f"Exported 1 product to {target}."


def test_inventory_exports_the_selected_product_s_ledger_between_days(
    qtbot: QtBot,
    ctx: DeskContext,
    controller: Controller,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    hinge = controller.add_product(sku="HNG-1", name="Brass hinge")
    knob = controller.add_product(sku="KNB-1", name="Oak knob")
    controller.adjust_stock(hinge.id, 9, reason="opening count")
    controller.adjust_stock(knob.id, 4, reason="opening count")
    clock.advance(days=3)
    controller.adjust_stock(hinge.id, -2, reason="damaged")
    section = InventorySection(ctx)
    show(qtbot, section)
    section.table.selectRow(0)  # HNG-1 (sorted by SKU)
    target = tmp_path / "ledger.csv"
    section.exporter.ask_path = answer(target, [])  # type: ignore[assignment]

    assert "Ctrl+Shift+L" in section.ledger_action.toolTip()
    section.ledger_action.trigger()
    dialog = section.ledger_dialog
    assert isinstance(dialog, LedgerExportDialog) and dialog.isVisible()
    assert dialog.only.isChecked() and "HNG-1" in dialog.only.text()

    # A reversed range is refused in the dialog, which stays open.
    day = date.today()
    dialog.from_check.setChecked(True)
    dialog.to_check.setChecked(True)
    dialog.from_date.setDate(day)
    dialog.to_date.setDate(day - timedelta(days=1))
    dialog.ok_button.click()
    assert "after the last day" in dialog.error.text() and dialog.isVisible()

    dialog.to_check.setChecked(False)
    dialog.from_date.setDate(clock().date() - timedelta(days=1))
    with qtbot.waitSignal(section.exporter.finished, timeout=30_000):
        dialog.ok_button.click()

    assert [(r["SKU"], r["Quantity"], r["On hand after"]) for r in rows(target)] == [
        ("HNG-1", "-2", "7")
    ]
    assert "1 stock movement" in close_result(section.exporter)


def test_cancelling_writes_nothing_and_keeps_the_old_file(
    qtbot: QtBot, ctx: DeskContext, controller: Controller, tmp_path: Path
) -> None:
    controller.add_product(sku="HNG-1", name="Brass hinge")
    section = InventorySection(ctx)
    show(qtbot, section)
    target = tmp_path / "products.csv"
    target.write_text("yesterday's file", encoding="utf-8")
    gate = threading.Event()

    def work(path: Path, progress: object) -> int:
        gate.wait(10)  # the person presses Cancel while the export is under way
        return export_products(path, ProductFilter(), progress=progress)  # type: ignore[arg-type]

    assert section.exporter.start(str(target), work, noun="product", title="Exporting")
    assert not section.export_action.isEnabled()  # one export at a time
    with qtbot.waitSignal(section.exporter.failed, timeout=10_000) as failed:
        section.exporter.cancel()
        gate.set()

    assert "Export cancelled" in failed.args[0]
    assert target.read_text(encoding="utf-8") == "yesterday's file"
    assert not list(tmp_path.glob("*.part"))
    assert not section.exporter.bar.is_error  # the person's own choice, not a failure
    close_result(section.exporter)
    assert section.export_action.isEnabled()
