"""Pick list and packing slips on paper: the PDF, the print preview and the pages as images.

A real store (SQLite, and PostgreSQL when configured) takes orders that wait, then a
delivery fulfils lines of three orders; the documents for that receipt are checked as the
warehouse worker would: one sorted pick list, one page per order for the slips, every
customer and product named where it belongs, nothing cut across a page end, and black on
white whatever the desk's theme. The rendered pages are saved as PNG (under tmp_path and
/tmp/shots) to be looked at.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage, QPalette, QTextTable
from PySide6.QtPrintSupport import QPrintPreviewWidget
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.controller import Controller, Decision, OrderItem
from app.errors import UserError
from app.messaging import StoreTexts
from app.models import Setting
from app.picking import picking
from tests.conftest import FakeClock
from ui.documents import (
    ReceiptDocuments,
    documents_for_receipt,
    print_preview_dialog,
    render_documents,
    render_page,
    save_pdf,
)

SHOTS = Path("/tmp/shots")


def pdf_pages(path: Path) -> int:
    """Pages in a PDF: its page objects (Qt writes their dictionaries uncompressed)."""
    return len(re.findall(rb"/Type\s*/Page\b", path.read_bytes()))


def ink(image: QImage, *, below_mm: float = 0.0) -> int:
    """Dark pixels in an A4 page image (every 4th pixel), from ``below_mm`` down to the
    footer (which every page has)."""
    per_mm = image.width() / 210
    top, bottom = int(below_mm * per_mm), int((297 - 16) * per_mm)
    return sum(
        1
        for y in range(top, bottom, 4)
        for x in range(0, image.width(), 4)
        if QColor(image.pixel(x, y)).lightness() < 128
    )


def save_shot(image: QImage, tmp_path: Path, name: str) -> None:
    assert image.save(str(tmp_path / name))
    SHOTS.mkdir(parents=True, exist_ok=True)
    image.save(str(SHOTS / name))


class Shop:
    """A shop where three customers wait for goods that then arrive together."""

    def __init__(self, controller: Controller, clock: FakeClock) -> None:
        self.controller = controller
        self.clock = clock
        for key, value in (("store_name", "Harbour Hardware"), ("store_phone", "023 9200 0000")):
            Setting.delete().where(Setting.key == key).execute()
            Setting.create(key=key, value=value)
        self.hammer = self.product("HAM-200", "Claw hammer 20 oz")
        self.nails = self.product("NAIL-50", "Galvanised nails 50 mm, box of 500")
        self.saw = self.product("SAW-HND", "Hand saw 550 mm")
        self.glue = self.product("GLUE-W", "Wood glue 250 ml")
        # Anna waits for hammers and glue; glue does not come with this delivery.
        self.anna = self.order(
            "Anna Schmidt", "anna@example.com", None, {self.hammer: 2, self.glue: 1}
        )
        self.bob = self.order("Bob O'Neil & Sons", None, "+44 20 7946 0000", {self.nails: 3})
        self.chloe = self.order(
            "Chloé Dupont", "chloe@example.com", None, {self.hammer: 1, self.saw: 1}
        )

    def product(self, sku: str, name: str) -> int:
        return int(self.controller.add_product(sku=sku, name=name).id)

    def order(self, name: str, email: str | None, phone: str | None, items: dict[int, int]) -> int:
        self.clock.advance(hours=1)
        customer = int(self.controller.add_customer(name=name, email=email, phone=phone).id)
        placed = self.controller.place_order(
            customer,
            [OrderItem(pid, qty) for pid, qty in items.items()],
            decisions=dict.fromkeys(items, Decision.WAIT),
        )
        return placed.order_id

    def deliver(self) -> int:
        """Hammers, nails and a saw arrive (no glue): three orders' lines are filled."""
        self.clock.advance(days=3)
        result = self.controller.receive(
            [OrderItem(self.hammer, 3), OrderItem(self.nails, 3), OrderItem(self.saw, 1)]
        )
        return result.receipt_id


@pytest.fixture
def shop(controller: Controller, clock: FakeClock) -> Shop:
    return Shop(controller, clock)


def test_pdf_has_the_pick_list_and_one_slip_page_per_order(
    qtbot: QtBot, shop: Shop, tmp_path: Path
) -> None:
    receipt = shop.deliver()
    path = tmp_path / "receipt.pdf"

    pages = save_pdf(path, receipt)

    assert path.read_bytes().startswith(b"%PDF")
    plan = picking(receipt)
    assert [slip.customer for slip in plan.slips] == [
        "Anna Schmidt",
        "Bob O'Neil & Sons",
        "Chloé Dupont",
    ]
    assert pages == 1 + 3  # one pick list page, one slip per order
    assert pdf_pages(path) == pages


def test_pick_list_is_one_sorted_list_naming_each_order_it_serves(
    qtbot: QtBot, shop: Shop, tmp_path: Path
) -> None:
    docs = documents_for_receipt(shop.deliver())
    text = docs.pick_list.toPlainText()

    assert "Harbour Hardware" in text and "Pick list" in text
    skus = ["HAM-200", "NAIL-50", "SAW-HND"]
    positions = [text.index(sku) for sku in skus]
    assert positions == sorted(positions), "the pick list walks the shelves by SKU"
    assert "GLUE-W" not in text, "glue did not arrive: nothing to pick"
    # Hammers: 3 in all, 2 for Anna's order and 1 for Chloé's.
    hammer_row = text[text.index("HAM-200") : text.index("NAIL-50")]
    assert re.search(r"\b3\b", hammer_row)
    assert f"2 × order {shop.anna} – Anna Schmidt" in hammer_row
    assert f"1 × order {shop.chloe} – Chloé Dupont" in hammer_row
    assert "3 products, 7 units, for 3 orders" in text

    save_shot(render_page(docs, 1), tmp_path, "picklist.png")


def test_each_slip_names_its_customer_the_parcel_and_what_follows(
    qtbot: QtBot, shop: Shop, tmp_path: Path
) -> None:
    docs = documents_for_receipt(shop.deliver())

    slips = {order_id: doc.toPlainText() for order_id, doc in docs.slips}
    assert list(slips) == sorted([shop.anna, shop.bob, shop.chloe])
    assert all(doc.pageCount() == 1 for _, doc in docs.slips)

    anna = slips[shop.anna]
    assert "Anna Schmidt" in anna and "anna@example.com" in anna
    assert "Packing slip" in anna and f"Order {shop.anna}" in anna
    assert "HAM-200" in anna and "Claw hammer 20 oz" in anna
    assert "023 9200 0000" in anna, "the shop's phone, for the customer's questions"
    # Glue is still to come, and the customer is told so on the slip.
    follows = anna[anna.index("Still to come") :]
    assert "GLUE-W" in follows and "date not known yet" in follows
    assert "NAIL-50" not in anna and "Bob" not in anna

    bob = slips[shop.bob]
    assert "Bob O'Neil & Sons" in bob and "+44 20 7946 0000" in bob
    assert "NAIL-50" in bob and "Still to come" not in bob
    assert "HAM-200" not in bob

    chloe = slips[shop.chloe]
    assert "Chloé Dupont" in chloe and "HAM-200" in chloe and "SAW-HND" in chloe

    first_slip = 1 + docs.pick_list.pageCount()
    save_shot(render_page(docs, first_slip), tmp_path, "slip-1.png")


def test_long_lists_never_cut_a_row_across_pages_nor_leave_a_blank_page(
    qtbot: QtBot, shop: Shop, tmp_path: Path
) -> None:
    # Make the plan long: 80 products for Anna's order, some with long names.
    plan = picking(shop.deliver())
    anna = plan.slips[0]
    rows = [
        type(plan.pick_list[0])(
            sku=f"BIN-{n:03d}",
            name=("Stainless steel wood screws, countersunk, " * (1 + n % 3)).strip(" ,"),
            qty=1 + n % 9,
            order_id=anna.order_id,
            line_id=10_000 + n,
            customer=anna.customer,
        )
        for n in range(80)
    ]
    long_plan = type(plan)(
        receipt_id=plan.receipt_id,
        committed_at=plan.committed_at,
        pick_list=plan.pick_list + tuple(rows),
        slips=plan.slips,
    )

    docs = render_documents(long_plan, shop=StoreTexts("Harbour Hardware", ""))

    assert docs.pick_list.pageCount() >= 3
    text = docs.pick_list.toPlainText()
    assert all(f"BIN-{n:03d}" in text for n in range(80))
    for number in range(1, docs.page_count() + 1):
        # Every page has something on it below where a page's first table starts.
        assert ink(render_page(docs, number, dpi=60), below_mm=35) > 0, number
    # Every table piece ends on its own page: rows are whole (the layout's own check).
    for index in range(docs.pick_list.pageCount()):
        assert _page_has_closed_table(docs, index)
    save_shot(render_page(docs, 2), tmp_path, "picklist-page-2.png")


def _page_has_closed_table(docs: ReceiptDocuments, index: int) -> bool:
    """The page's table ends with a rule on the page (a piece per page, none run over)."""
    doc = docs.pick_list
    height = doc.pageSize().height()
    layout = doc.documentLayout()
    for frame in doc.rootFrame().childFrames():
        if isinstance(frame, QTextTable) and frame.format().border() > 0:
            box = layout.frameBoundingRect(frame)
            if int(box.top() // height) == index:
                return int(box.bottom() // height) == index
    return False


def test_pages_are_black_on_white_whatever_the_desks_theme(qtbot: QtBot, shop: Shop) -> None:
    docs = documents_for_receipt(shop.deliver())
    light = render_page(docs, 2, dpi=60)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = app.palette()
    # A dark desk: white text on a dark window.
    app.setPalette(QPalette(QColor(40, 40, 44)))
    try:
        dark = render_page(docs, 2, dpi=60)
    finally:
        app.setPalette(before)
    assert dark == light


def test_a_receipt_that_filled_no_order_prints_a_pick_list_saying_so(
    qtbot: QtBot, controller: Controller, tmp_path: Path
) -> None:
    pid = int(controller.add_product(sku="SHELF-1", name="Shelf bracket").id)
    receipt = controller.receive([OrderItem(pid, 10)]).receipt_id

    docs = documents_for_receipt(receipt)

    assert docs.page_count() == 1 and docs.slips == []
    assert "Nothing to pick" in docs.pick_list.toPlainText()
    assert save_pdf(tmp_path / "empty.pdf", receipt) == 1


def test_documents_for_a_draft_or_to_an_unwritable_place_are_refused_clearly(
    qtbot: QtBot, shop: Shop, tmp_path: Path
) -> None:
    draft = shop.controller.open_draft_receipt()
    with pytest.raises(UserError, match="draft"):
        save_pdf(tmp_path / "draft.pdf", draft)
    assert not (tmp_path / "draft.pdf").exists()

    receipt = shop.deliver()
    with pytest.raises(UserError, match="Could not write"):
        save_pdf(tmp_path / "no-such-folder" / "receipt.pdf", receipt)


def test_print_preview_shows_every_page(qtbot: QtBot, shop: Shop) -> None:
    receipt = shop.deliver()
    dialog = print_preview_dialog(None, receipt)
    qtbot.addWidget(dialog)
    dialog.resize(900, 700)

    with qtbot.waitSignal(dialog.paintRequested):
        dialog.show()

    preview = dialog.findChild(QPrintPreviewWidget)
    assert preview is not None
    qtbot.waitUntil(lambda: preview.pageCount() == 4)
    assert f"receipt {receipt}" in dialog.windowTitle()
