"""The receiving station, driven like a warehouse hand with a USB scanner would.

Real widgets (pytest-qt, offscreen) on a real store (SQLite, and PostgreSQL when
configured). Scans are fed into the real scan field as fast key streams ending in Enter or
Tab, exactly as a keyboard-wedge scanner types them; the store is checked afterwards
through app/ code.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QSettings, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QDialog, QSpinBox, QWidget
from pytestqt.qtbot import QtBot

from app import queries
from app.barcodes import GROUP_SEPARATOR, gtin13_with_check_digit
from app.check import run_checks
from app.controller import Controller, Decision, OrderItem
from app.models import Barcode, CustomerMessage, OrderLine, Product, Receipt
from app.purchase_queries import purchase_order_detail
from app.store import Store, open_store
from tests.conftest import FakeClock
from tests.shots import save_shot
from ui.context import DeskContext
from ui.receiving.result import waited_text
from ui.receiving.tally_model import DIFFERENCE, difference_text
from ui.receiving.window import ERROR, OK, RESULT_PAGE, SCAN_PAGE, WARN, ReceivingWindow


@dataclass
class Dock:
    """A small ironmonger's with customers waiting and a purchase order on its way."""

    ctx: DeskContext
    controller: Controller
    clock: FakeClock
    hinge: int
    hook: int
    screws: int
    latch: int
    hinge_gtin: str
    hook_gtin: str
    po_id: int
    ann_line: int
    bob_hinge_line: int
    bob_hook_line: int


@pytest.fixture(autouse=True)
def private_settings(tmp_path: Path) -> Iterator[None]:
    """The main window keeps settings: keep them in this test's folder."""
    QSettings.setPath(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings")
    )
    yield


def make_dock(store: Store, controller: Controller, clock: FakeClock) -> Dock:
    supplier = controller.supplier_named("Ironmongery Supplies Ltd", lead_time_days=10)
    hinge_gtin = gtin13_with_check_digit("501234567890")
    hook_gtin = gtin13_with_check_digit("501234567891")
    hinge = controller.add_product(
        sku="HNG-001",
        name="Brass hinge 75 mm",
        price_cents=450,
        barcodes=[hinge_gtin],
        supplier_id=supplier.id,
    )
    hook = controller.add_product(
        sku="HOOK-10", name="Coat hook, black", price_cents=300, barcodes=[hook_gtin]
    )
    screws = controller.add_product(sku="SCR-40", name="Wood screws 4x40, box of 200")
    latch = controller.add_product(sku="LAT-2", name="Gate latch, galvanised")
    ann = controller.add_customer(name="Ann Lee", email="ann@example.com")
    bob = controller.add_customer(name="Bob Marsh", email="bob@example.com")
    wait = Decision.WAIT
    ann_order = controller.place_order(ann.id, [OrderItem(hinge.id, 3)], decisions={hinge.id: wait})
    clock.advance(days=4)
    bob_order = controller.place_order(
        bob.id,
        [OrderItem(hinge.id, 2), OrderItem(hook.id, 4)],
        decisions={hinge.id: wait, hook.id: wait},
    )
    po = controller.add_purchase_order(
        supplier_id=supplier.id,
        expected=date(2026, 11, 20),
        items=[OrderItem(hinge.id, 10), OrderItem(hook.id, 24), OrderItem(screws.id, 5)],
    )
    clock.advance(days=12)
    bob_lines = {line.product_id: line.line_id for line in bob_order.lines}
    return Dock(
        ctx=DeskContext(store, controller),
        controller=controller,
        clock=clock,
        hinge=hinge.id,
        hook=hook.id,
        screws=screws.id,
        latch=latch.id,
        hinge_gtin=hinge_gtin,
        hook_gtin=hook_gtin,
        po_id=po.id,
        ann_line=ann_order.lines[0].line_id,
        bob_hinge_line=bob_lines[hinge.id],
        bob_hook_line=bob_lines[hook.id],
    )


@pytest.fixture
def dock(store: Store, controller: Controller, clock: FakeClock) -> Iterator[Dock]:
    made = make_dock(store, controller, clock)
    yield made
    made.ctx.stop()


def open_station(qtbot: QtBot, ctx: DeskContext) -> ReceivingWindow:
    window = ReceivingWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    activate(qtbot, window.draft_prompt or window)
    return window


def scan(qtbot: QtBot, window: ReceivingWindow, text: str, end: Qt.Key = Qt.Key.Key_Return) -> None:
    """What a keyboard-wedge scanner does: type the code fast, then Enter (or Tab).

    The GS1 group separator is typed as the scanner does, Ctrl+] carrying the character.
    """
    for number, part in enumerate(text.split(GROUP_SEPARATOR)):
        if number:
            for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                QApplication.sendEvent(
                    window.scan,
                    QKeyEvent(
                        kind,
                        Qt.Key.Key_BracketRight,
                        Qt.KeyboardModifier.ControlModifier,
                        GROUP_SEPARATOR,
                    ),
                )
        qtbot.keyClicks(window.scan, part)
    qtbot.keyClick(window.scan, end)


def activate(qtbot: QtBot, widget: QWidget) -> None:
    """Make ``widget``'s window the active one (shortcuts and mnemonics need it)."""
    widget.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is widget.window())


def scan_has_focus(window: ReceivingWindow) -> bool:
    """The scan field is where the window's keys go (also while another window is active)."""
    return window.focusWidget() is window.scan


def choose_po(qtbot: QtBot, window: ReceivingWindow, po_id: int) -> None:
    """Pick the purchase order with the keyboard (Down in the closed picker)."""
    combo = window.po_combo
    combo.setFocus()
    target = combo.findData(po_id)
    assert target > 0
    while combo.currentIndex() < target:
        qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert window.po_id == po_id


def tally(window: ReceivingWindow) -> dict[str, tuple[int, int | None, str]]:
    """SKU -> (scanned, expected, difference words) as the table shows them."""
    model = window.tally
    return {
        line.sku: (line.scanned, line.expected, model.index(row, DIFFERENCE).data())
        for row, line in enumerate(model.lines)
    }


def stored_tally(dock: Dock, draft_id: int) -> dict[str, int]:
    return {row.sku: row.scanned for row in dock.controller.draft_tally(draft_id) if row.scanned}


def confirm_receive(qtbot: QtBot, window: ReceivingWindow) -> None:
    """Ctrl+Enter, then Enter on the question (its default button is Receive)."""
    qtbot.keyClick(window.scan, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    box = window.confirm_box
    assert box is not None
    activate(qtbot, box)
    qtbot.keyClick(box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.stack.currentIndex() == RESULT_PAGE)


# --------------------------------------------------------------------- scanning


def test_scans_ending_in_enter_or_tab_each_count_one_unit(qtbot: QtBot, dock: Dock) -> None:
    window = open_station(qtbot, dock.ctx)
    assert window.draft_prompt is None  # no unfinished receipt to offer
    assert QApplication.focusWidget() is window.scan

    scan(qtbot, window, dock.hinge_gtin)
    assert window.feedback_kind == OK
    assert window.feedback_text == "+1 Brass hinge 75 mm (HNG-001) — 1 scanned"
    scan(qtbot, window, dock.hinge_gtin, Qt.Key.Key_Tab)
    scan(qtbot, window, "SCR-40", Qt.Key.Key_Tab)  # the shop's own code: the SKU
    assert window.scan.text() == ""
    assert QApplication.focusWidget() is window.scan  # Tab ended the scan, focus stayed

    assert tally(window) == {"HNG-001": (2, None, ""), "SCR-40": (1, None, "")}
    assert window.draft_id is not None
    assert stored_tally(dock, window.draft_id) == {"HNG-001": 2, "SCR-40": 1}
    assert window.log.count() == 3
    assert window.totals.text().startswith("<b>3</b> units of <b>2</b> products")


def test_multiplier_and_case_labels_count_what_they_say(qtbot: QtBot, dock: Dock) -> None:
    window = open_station(qtbot, dock.ctx)
    gtin14 = "0" + dock.hook_gtin
    scan(qtbot, window, f"(01){gtin14}(37)12")  # printed form of a GS1-128 case label
    assert window.feedback_text == "+12 Coat hook, black (HOOK-10) — 12 scanned"
    # Raw, as the scanner sends it: batch (10) is variable length, so only the group
    # separator tells where it ends and the count (37) begins.
    scan(qtbot, window, f"01{gtin14}10LOT7\x1d3712")
    assert window.feedback_text == "+12 Coat hook, black (HOOK-10) — 24 scanned"
    scan(qtbot, window, f"3*{dock.hinge_gtin}")
    scan(qtbot, window, "2*SCR-40")
    assert tally(window) == {
        "HOOK-10": (24, None, ""),
        "HNG-001": (3, None, ""),
        "SCR-40": (2, None, ""),
    }
    assert window.draft_id is not None
    assert stored_tally(dock, window.draft_id) == {"HOOK-10": 24, "HNG-001": 3, "SCR-40": 2}


def test_garbage_and_a_wrong_check_digit_are_refused_in_red_and_not_counted(
    qtbot: QtBot, dock: Dock
) -> None:
    window = open_station(qtbot, dock.ctx)
    wrong = dock.hinge_gtin[:-1] + str((int(dock.hinge_gtin[-1]) + 1) % 10)
    scan(qtbot, window, wrong)
    assert window.feedback_kind == ERROR
    assert "wrong check digit" in window.feedback_text
    assert window.feedback_text.startswith("Not counted:")
    scan(qtbot, window, "#?@!%")
    assert window.feedback_kind == ERROR
    assert "not valid" in window.feedback_text
    scan(qtbot, window, "0*" + dock.hinge_gtin)
    assert window.feedback_kind == ERROR
    assert "multiplier" in window.feedback_text
    assert window.tally.units == 0
    assert window.draft_id is not None
    assert stored_tally(dock, window.draft_id) == {}
    # Each refusal stays readable in the log, newest first.
    assert window.log.count() == 3
    assert "wrong check digit" in window.log.item(2).text()
    # Then a good scan still counts.
    scan(qtbot, window, dock.hinge_gtin)
    assert window.feedback_kind == OK
    assert tally(window) == {"HNG-001": (1, None, "")}


def test_typing_into_the_table_goes_to_the_scan_field(qtbot: QtBot, dock: Dock) -> None:
    window = open_station(qtbot, dock.ctx)
    scan(qtbot, window, dock.hinge_gtin)
    window.table.setFocus()
    window.table.selectRow(0)
    # The scanner types wherever the focus is.
    qtbot.keyClicks(window.table, dock.hinge_gtin)
    focus = QApplication.focusWidget()
    assert focus is window.scan
    qtbot.keyClick(focus, Qt.Key.Key_Return)
    assert tally(window) == {"HNG-001": (2, None, "")}


# ---------------------------------------------------------------- unknown codes


def test_an_unknown_code_is_linked_through_the_dialog_then_counted(
    qtbot: QtBot, dock: Dock
) -> None:
    window = open_station(qtbot, dock.ctx)
    new_code = gtin13_with_check_digit("501234567899")
    scan(qtbot, window, f"4*{new_code}")
    dialog = window.unknown_dialog
    assert dialog is not None
    assert window.feedback_kind == WARN
    assert "not counted yet" in window.feedback_text
    assert window.tally.units == 0

    qtbot.keyClicks(dialog.search, "latch")
    qtbot.waitUntil(lambda: dialog.results.count() == 1)
    assert "LAT-2" in dialog.results.item(0).text()
    qtbot.keyClick(dialog.search, Qt.Key.Key_Return)

    assert window.unknown_dialog is None
    assert window.feedback_kind == OK
    assert window.feedback_text.startswith(f"Linked {new_code} → LAT-2.")
    assert "+4 Gate latch, galvanised (LAT-2) — 4 scanned" in window.feedback_text
    assert tally(window) == {"LAT-2": (4, None, "")}
    assert dock.controller.find_product(new_code).id == dock.latch
    # The next scan of that code is an ordinary one.
    scan(qtbot, window, new_code)
    assert tally(window) == {"LAT-2": (5, None, "")}
    assert scan_has_focus(window)


def test_an_unknown_code_becomes_a_new_product_or_is_cancelled_out_loud(
    qtbot: QtBot, dock: Dock
) -> None:
    window = open_station(qtbot, dock.ctx)
    code = gtin13_with_check_digit("400638133393")
    scan(qtbot, window, f"6*{code}")
    dialog = window.unknown_dialog
    assert dialog is not None
    activate(qtbot, dialog)
    qtbot.keyClick(dialog, Qt.Key.Key_N, Qt.KeyboardModifier.AltModifier)  # New product tab
    assert dialog.tabs.currentIndex() == 1
    qtbot.keyClicks(dialog.sku, "HNG-001")  # taken: said next to the SKU, nothing written
    qtbot.keyClicks(dialog.name, "Cabin hook 100 mm")
    dialog.price.selectAll()
    qtbot.keyClicks(dialog.price, "2.75")
    qtbot.keyClick(dialog.price, Qt.Key.Key_Return)
    assert window.unknown_dialog is dialog
    assert "already used" in dialog.field_messages["sku"].text()
    dialog.sku.clear()
    qtbot.keyClicks(dialog.sku, "CAB-100")
    qtbot.keyClick(dialog.sku, Qt.Key.Key_Return)

    assert window.unknown_dialog is None
    assert window.feedback_text.startswith(f"New product {code} → CAB-100.")
    assert tally(window) == {"CAB-100": (6, None, "")}
    product = Product.get(Product.sku == "CAB-100")
    assert (product.name, product.price_cents) == ("Cabin hook 100 mm", 275)
    assert [b.display for b in Barcode.select().where(Barcode.product == product.id)] == [code]

    # Cancel: nothing counted, and the message says so.
    other = gtin13_with_check_digit("400638133394")
    scan(qtbot, window, other)
    dialog = window.unknown_dialog
    assert dialog is not None
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert window.unknown_dialog is None
    assert window.feedback_kind == WARN
    assert window.feedback_text.startswith(f"Not counted: barcode {other} (1 unit) was not")
    assert tally(window) == {"CAB-100": (6, None, "")}
    assert scan_has_focus(window)


# ------------------------------------------------------------ fixing mistakes


def test_undo_correct_by_hand_and_discard(qtbot: QtBot, dock: Dock) -> None:
    window = open_station(qtbot, dock.ctx)
    scan(qtbot, window, dock.hinge_gtin)
    scan(qtbot, window, "5*SCR-40")
    qtbot.keyClick(window.scan, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.feedback_text == (
        "Undone: −5 Wood screws 4x40, box of 200 (SCR-40) — 0 left on this receipt."
    )
    assert tally(window) == {"HNG-001": (1, None, "")}

    # F2 corrects the selected product by hand; the scan field takes the focus back.
    window.table.setFocus()
    window.table.selectRow(0)
    qtbot.keyClick(window.table, Qt.Key.Key_F2)
    dialog = window.quantity_dialog
    assert dialog is not None
    spin = dialog.findChild(QSpinBox)
    assert spin is not None
    spin.selectAll()
    qtbot.keyClicks(spin, "7")
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert window.quantity_dialog is None
    assert window.feedback_text == "Corrected: Brass hinge 75 mm (HNG-001) set to 7 (was 1)."
    assert window.draft_id is not None
    draft_id = window.draft_id
    assert stored_tally(dock, draft_id) == {"HNG-001": 7}
    assert scan_has_focus(window)

    # Discard asks first; "Keep scanning" is the default.
    qtbot.keyClick(window.scan, Qt.Key.Key_Delete, _ctrl_shift())
    box = window.confirm_box
    assert box is not None
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert window.draft_id == draft_id
    qtbot.keyClick(window.scan, Qt.Key.Key_Delete, _ctrl_shift())
    box = window.confirm_box
    assert box is not None
    discard = next(b for b in box.buttons() if b.text() == "Discard")
    qtbot.mouseClick(discard, Qt.MouseButton.LeftButton)
    assert window.draft_id is None
    assert window.tally.units == 0
    assert Receipt.get_by_id(draft_id).status == "discarded"
    assert queries.stock_figures(dock.hinge).on_hand == 0
    assert "discarded" in window.feedback_text


def _ctrl_shift() -> Qt.KeyboardModifier:
    return Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def test_nothing_to_receive_is_said_not_swallowed(qtbot: QtBot, dock: Dock) -> None:
    window = open_station(qtbot, dock.ctx)
    qtbot.keyClick(window.scan, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert window.confirm_box is None
    assert window.feedback_kind == ERROR
    assert window.feedback_text == "Nothing to receive yet: scan the goods first."
    qtbot.keyClick(window.scan, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.feedback_text == "Nothing to undo: this receipt has no scans."


# ------------------------------------------------------------------- receiving


def test_receive_against_the_po_fills_the_queue_and_shows_the_result(
    qtbot: QtBot, dock: Dock, tmp_path: Path
) -> None:
    window = open_station(qtbot, dock.ctx)
    choose_po(qtbot, window, dock.po_id)
    assert tally(window) == {
        "HNG-001": (0, 10, "10 short"),
        "HOOK-10": (0, 24, "24 short"),
        "SCR-40": (0, 5, "5 short"),
    }
    window.scan.setFocus()
    scan(qtbot, window, f"12*{dock.hinge_gtin}")
    assert window.feedback_kind == WARN
    assert window.feedback_text == (
        "+12 Brass hinge 75 mm (HNG-001) — 12 scanned of 10 expected (2 over)"
    )
    scan(qtbot, window, f"(01)0{dock.hook_gtin}(37)12")
    assert window.feedback_text == "+12 Coat hook, black (HOOK-10) — 12 scanned of 24 expected"
    scan(qtbot, window, "LAT-2")
    assert window.feedback_text == (
        "+1 Gate latch, galvanised (LAT-2) — 1 scanned, none expected on this purchase order"
    )
    assert tally(window) == {
        "HNG-001": (12, 10, "2 over"),
        "HOOK-10": (12, 24, "12 short"),
        "LAT-2": (1, 0, "1 not ordered"),
        "SCR-40": (0, 5, "5 short"),
    }
    assert window.tally.newest_product_id == dock.latch
    assert "25</b> units of <b>3</b> products scanned · 39 expected" in window.totals.text()
    save_shot(window, tmp_path, "receiving-station", settle=1)

    qtbot.keyClick(window.scan, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    box = window.confirm_box
    assert box is not None
    assert "17 units fewer than expected" in box.informativeText()
    assert "3 units more than expected" in box.informativeText()
    activate(qtbot, box)
    qtbot.keyClick(box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.stack.currentIndex() == RESULT_PAGE)

    # The store: stock in, Ann's and Bob's lines ready, the PO updated and still open.
    hinge = queries.stock_figures(dock.hinge)
    assert (hinge.on_hand, hinge.reserved, hinge.waiting) == (12, 5, 0)
    hook = queries.stock_figures(dock.hook)
    assert (hook.on_hand, hook.reserved, hook.waiting) == (12, 4, 0)
    for line_id, ready in ((dock.ann_line, 3), (dock.bob_hinge_line, 2), (dock.bob_hook_line, 4)):
        line = OrderLine.get_by_id(line_id)
        assert (line.qty_waiting, line.qty_reserved) == (0, ready)
    po = purchase_order_detail(dock.po_id)
    assert po.status == "open"
    assert {line.sku: line.received for line in po.lines} == {
        "HNG-001": 12,
        "HOOK-10": 12,
        "SCR-40": 0,
    }
    assert CustomerMessage.select().where(CustomerMessage.event == "ready").count() == 2
    assert not run_checks()

    # The result screen says what happened.
    view = window.result_view
    assert view.headline.text() == "Received 25 units of 3 products"
    assert "3 backorder lines are ready to pick" in view.summary.text()
    assert "stays open" in view.summary.text()
    rows = [
        [view.pick_table.item(r, c).text() for c in range(view.pick_table.columnCount())]
        for r in range(view.pick_table.rowCount())
    ]
    assert rows[0][1:] == ["Ann Lee", "Brass hinge 75 mm (HNG-001)", "3", "3", "16 days", "ready"]
    assert {tuple(r[1:3]) for r in rows} == {
        ("Ann Lee", "Brass hinge 75 mm (HNG-001)"),
        ("Bob Marsh", "Brass hinge 75 mm (HNG-001)"),
        ("Bob Marsh", "Coat hook, black (HOOK-10)"),
    }
    shelf = {
        view.shelf_table.item(r, 0).text(): view.shelf_table.item(r, 4).text()
        for r in range(view.shelf_table.rowCount())
    }
    assert shelf == {"HNG-001": "7", "HOOK-10": "8", "LAT-2": "1"}
    assert view.complete_table.rowCount() == 2
    assert view.preview_action.isEnabled()
    save_shot(window, tmp_path, "receiving-result", settle=1)

    # PDF of the pick list and packing slips, through ui.documents.
    pdf = tmp_path / "picking.pdf"
    view.save_pdf(str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF")
    assert "Saved the pick list" in view.note.text()

    # Ctrl+P previews them (modal, as printing is); closing it comes back here.
    previews: list[str] = []

    def close_preview() -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QDialog) and widget.isVisible() and widget is not window:
                previews.append(widget.windowTitle())
                widget.reject()
                closer.stop()

    closer = QTimer()
    closer.setInterval(20)
    closer.timeout.connect(close_preview)
    closer.start()
    activate(qtbot, window)
    qtbot.keyClick(view.next_button, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert previews and "Pick list and packing slips" in previews[0]

    # Enter starts the next receipt; a scanner key does too.
    activate(qtbot, window)  # offscreen, closing the question does not reactivate it
    assert QApplication.focusWidget() is view.next_button
    qtbot.keyClick(view.next_button, Qt.Key.Key_Return)
    assert window.stack.currentIndex() == SCAN_PAGE
    assert window.draft_id is None and window.tally.units == 0
    assert QApplication.focusWidget() is window.scan


def test_receiving_the_whole_po_closes_it(qtbot: QtBot, dock: Dock) -> None:
    window = open_station(qtbot, dock.ctx)
    choose_po(qtbot, window, dock.po_id)
    scan(qtbot, window, f"10*{dock.hinge_gtin}")
    scan(qtbot, window, f"01{'0' + dock.hook_gtin}3724")
    scan(qtbot, window, "5*SCR-40")
    assert all(words == "complete" for _s, _e, words in tally(window).values())
    confirm_receive(qtbot, window)
    assert purchase_order_detail(dock.po_id).status == "closed"
    assert "Purchase order" in window.result_view.summary.text()
    assert "now closed" in window.result_view.summary.text()
    # The closed PO is no longer offered for the next receipt.
    qtbot.keyClick(window.result_view.next_button, Qt.Key.Key_Return)
    assert window.po_combo.findData(dock.po_id) == -1


def test_the_po_can_be_chosen_after_scanning_and_changed_when_it_closes_meanwhile(
    qtbot: QtBot, dock: Dock
) -> None:
    window = open_station(qtbot, dock.ctx)
    scan(qtbot, window, f"4*{dock.hinge_gtin}")
    assert tally(window) == {"HNG-001": (4, None, "")}
    choose_po(qtbot, window, dock.po_id)  # the receipt keeps its scans, now against the PO
    assert tally(window)["HNG-001"] == (4, 10, "6 short")
    assert "39 units expected" in window.feedback_text
    # Another station receives the whole PO while this one is still scanning.
    dock.controller.receive(
        [OrderItem(dock.hinge, 10), OrderItem(dock.hook, 24), OrderItem(dock.screws, 5)],
        purchase_order_id=dock.po_id,
    )
    window.scan.setFocus()
    qtbot.keyClick(window.scan, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    box = window.confirm_box
    assert box is not None
    activate(qtbot, box)
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert window.stack.currentIndex() == SCAN_PAGE
    assert window.feedback_kind == ERROR
    assert "Choose another purchase order or none (Ctrl+O)" in window.feedback_text
    # The picker says the PO is no longer open; "none" is the way out.
    activate(qtbot, window)
    dock.ctx.poll()  # the desk notices the other station's write (it polls every 2 s)
    assert "no longer open" in window.po_combo.currentText()
    window.po_combo.setFocus()
    qtbot.keyClick(window.po_combo, Qt.Key.Key_Home)
    assert window.po_id is None
    assert tally(window) == {"HNG-001": (4, None, "")}
    confirm_receive(qtbot, window)
    assert queries.stock_figures(dock.hinge).on_hand == 14


def test_a_scan_on_the_result_screen_starts_the_next_receipt(qtbot: QtBot, dock: Dock) -> None:
    window = open_station(qtbot, dock.ctx)
    scan(qtbot, window, "SCR-40")
    confirm_receive(qtbot, window)
    view = window.result_view
    assert "all of it is for the shelf" in view.summary.text()
    assert view.pick_table.rowCount() == 0
    assert not view.preview_action.isEnabled()  # nothing to pick or pack
    assert "nothing to pick" in view.preview_button.toolTip()
    activate(qtbot, window)
    assert QApplication.focusWidget() is window.result_view.next_button
    qtbot.keyClicks(window.result_view.next_button, dock.hinge_gtin)
    assert QApplication.focusWidget() is window.scan
    assert window.stack.currentIndex() == SCAN_PAGE
    qtbot.keyClick(window.scan, Qt.Key.Key_Return)
    assert tally(window) == {"HNG-001": (1, None, "")}


# ------------------------------------------------------------------ crash test


def test_an_unfinished_receipt_survives_closing_and_is_offered_back(
    qtbot: QtBot, dock: Dock, store: Store, store_location: str, clock: FakeClock
) -> None:
    window = open_station(qtbot, dock.ctx)
    choose_po(qtbot, window, dock.po_id)
    scan(qtbot, window, dock.hinge_gtin)
    scan(qtbot, window, dock.hinge_gtin)
    scan(qtbot, window, f"(01)0{dock.hook_gtin}(37)12")
    draft_id = window.draft_id
    window.close()  # no Receive
    dock.ctx.stop()
    store.close()

    reopened = open_store(store_location)
    try:
        controller = Controller(reopened, clock=clock)
        ctx = DeskContext(reopened, controller)
        again = open_station(qtbot, ctx)
        prompt = again.draft_prompt
        assert prompt is not None
        assert prompt.list.count() == 1
        assert "14 units of 2 products" in prompt.list.item(0).text()
        assert f"against PO {dock.po_id}" in prompt.list.item(0).text()
        qtbot.keyClick(prompt.list, Qt.Key.Key_Return)
        assert again.draft_prompt is None
        assert again.draft_id == draft_id
        assert again.po_id == dock.po_id
        assert tally(again)["HNG-001"] == (2, 10, "8 short")
        assert tally(again)["HOOK-10"] == (12, 24, "12 short")
        assert scan_has_focus(again)
        activate(qtbot, again)
        scan(qtbot, again, f"8*{dock.hinge_gtin}")
        assert tally(again)["HNG-001"] == (10, 10, "complete")
        confirm_receive(qtbot, again)
        assert queries.stock_figures(dock.hinge).on_hand == 10
        assert Receipt.get_by_id(draft_id).status == "committed"
        again.close()
        ctx.stop()
    finally:
        reopened.close()


def test_an_empty_receipt_is_not_left_behind_and_new_keeps_the_old(
    qtbot: QtBot, dock: Dock
) -> None:
    first = open_station(qtbot, dock.ctx)
    choose_po(qtbot, first, dock.po_id)  # opens a draft to show what is expected
    first.close()
    assert dock.controller.open_drafts() == []
    # An empty draft left by another station (or a crash) is nothing to go back to.
    elsewhere = dock.controller.open_draft_receipt(purchase_order_id=dock.po_id)
    quiet = open_station(qtbot, dock.ctx)
    assert quiet.draft_prompt is None
    quiet.close()
    dock.controller.discard_draft(elsewhere)

    second = open_station(qtbot, dock.ctx)
    scan(qtbot, second, "SCR-40")
    kept = second.draft_id
    second.close()
    third = open_station(qtbot, dock.ctx)
    prompt = third.draft_prompt
    assert prompt is not None
    qtbot.keyClick(prompt, Qt.Key.Key_Escape)  # start a new receipt instead
    assert third.draft_id is None
    assert "kept for later" in third.feedback_text
    scan(qtbot, third, dock.hinge_gtin)
    assert third.draft_id not in (None, kept)
    assert [d.receipt_id for d in dock.controller.open_drafts()] == [third.draft_id, kept]


# --------------------------------------------------------------------- pieces


def test_difference_words_and_waiting_time() -> None:
    assert difference_text(7, 10) == "3 short"
    assert difference_text(10, 10) == "complete"
    assert difference_text(12, 10) == "2 over"
    assert difference_text(3, 0) == "3 not ordered"
    assert difference_text(3, None) == ""
    from datetime import datetime

    now = datetime(2026, 11, 20, 9)
    assert waited_text(datetime(2026, 11, 20, 8), now) == "today"
    assert waited_text(datetime(2026, 11, 19, 8), now) == "1 day"
    assert waited_text(datetime(2026, 10, 1, 8), now) == "50 days"


def test_every_action_has_a_shortcut_named_in_its_tooltip(qtbot: QtBot, dock: Dock) -> None:
    window = open_station(qtbot, dock.ctx)
    for menu_action in window.menuBar().actions():
        menu = menu_action.menu()
        assert menu is not None
        for action in menu.actions():
            if action.isSeparator():
                continue
            keys = action.shortcut().toString()
            assert keys, action.text()
            assert keys in action.toolTip(), action.text()


def test_main_window_opens_the_station_with_ctrl_r(qtbot: QtBot, dock: Dock) -> None:
    from ui.application import first_window, parse_gui_args
    from ui.main_window import MainWindow

    main = MainWindow(dock.ctx)
    qtbot.addWidget(main)
    main.show()
    qtbot.waitExposed(main)
    activate(qtbot, main)
    qtbot.keyClick(main, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    station = main.findChild(ReceivingWindow)
    assert station is not None and station.isVisible()
    assert "Ctrl+R" in main.receiving_action.toolTip()
    station.close()

    options, _qt = parse_gui_args(["--receiving"])
    first = first_window(dock.ctx, options)
    qtbot.addWidget(first)
    assert isinstance(first, ReceivingWindow)
    options, _qt = parse_gui_args([])
    plain = first_window(dock.ctx, options)
    qtbot.addWidget(plain)
    assert isinstance(plain, MainWindow)


def test_unknown_code_dialog_picture(qtbot: QtBot, dock: Dock, tmp_path: Path) -> None:
    window = open_station(qtbot, dock.ctx)
    scan(qtbot, window, f"(01)0{gtin13_with_check_digit('501234567812')}(37)6")
    dialog = window.unknown_dialog
    assert dialog is not None
    assert "This scan stands for 6 units" in dialog.explain.text()
    qtbot.keyClicks(dialog.search, "h")
    dialog.search_now()
    assert dialog.results.count() == 3  # hinge, hook, latch
    dialog.resize(760, 520)
    save_shot(dialog, tmp_path, "receiving-unknown-code", settle=1)
    dialog.tabs.setCurrentIndex(1)
    save_shot(dialog, tmp_path, "receiving-new-product", settle=1)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
