"""The receiving station's engine: drafts that grow scan by scan, then commit as a receipt.

What a warehouse worker sees at the scanner: each scan counts units of the right product,
bad scans are refused without counting anything, an unknown code can be linked and then
counted, the tally compares against the purchase order, and "Receive" serves the queue.
Every test takes ``controller``, so it runs on SQLite and (when configured) PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from app.barcodes import gtin13_with_check_digit
from app.check import run_checks
from app.controller import Controller, Decision, OrderItem, ScanOutcome, TallyRow
from app.errors import NotFound, UnknownCode, UserError
from app.models import (
    AuditEvent,
    CustomerMessage,
    OrderLine,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReceiptLine,
    StockMovement,
)
from app.store import Store, open_store
from tests.conftest import FakeClock

EAN13 = gtin13_with_check_digit("400638133393")  # 4006381333931
UPC_A = "036000291452"
EAN8 = "96385074"
UNKNOWN_EAN = gtin13_with_check_digit("978030640615")
GS = "\x1d"


def product(controller: Controller, sku: str, *barcodes: str) -> int:
    return int(controller.add_product(sku=sku, name=f"Product {sku}", barcodes=barcodes).id)


def customer(controller: Controller, name: str) -> int:
    return int(controller.add_customer(name=name, email=f"{name.lower()}@example.com").id)


def waiting_line(controller: Controller, clock: FakeClock, cust: int, pid: int, qty: int) -> int:
    """A one-line order for a product with no stock: all of it waits."""
    clock.advance(minutes=1)
    placed = controller.place_order(cust, [OrderItem(pid, qty)], decisions={pid: Decision.WAIT})
    return placed.lines[0].line_id


def rows(draft_id: int) -> list[tuple[str, int]]:
    """The draft's rows in scan order as (sku, units)."""
    return [
        (sku, qty)
        for sku, qty in ReceiptLine.select(Product.sku, ReceiptLine.qty)
        .join(Product)
        .where(ReceiptLine.receipt == draft_id)
        .order_by(ReceiptLine.id)
        .tuples()
    ]


def tally(controller: Controller, draft_id: int) -> list[tuple[str, int, int | None, int | None]]:
    return [
        (row.sku, row.scanned, row.expected, row.difference)
        for row in controller.draft_tally(draft_id)
    ]


def audits(action: str) -> list[dict[str, object]]:
    return [
        {"staff": staff, "entity_id": entity_id, **json.loads(detail)}
        for staff, entity_id, detail in AuditEvent.select(
            AuditEvent.staff, AuditEvent.entity_id, AuditEvent.detail
        )
        .where(AuditEvent.action == action)
        .order_by(AuditEvent.id)
        .tuples()
    ]


def outcome(result: ScanOutcome | None) -> tuple[str, int, int, int | None]:
    assert result is not None
    return (result.sku, result.added, result.total, result.expected)


def purchase_order(controller: Controller, items: dict[int, int]) -> int:
    supplier = controller.supplier_named("Acme")
    po = controller.add_purchase_order(
        supplier_id=supplier.id,
        expected=date(2026, 12, 1),
        items=[OrderItem(pid, qty) for pid, qty in items.items()],
    )
    return int(po.id)


# ------------------------------------------------------------------ scanning


def test_a_stream_of_scans_counts_gtins_skus_multipliers_and_case_labels(
    controller: Controller,
) -> None:
    soap = product(controller, "SOAP", EAN13)
    cola = product(controller, "COLA", UPC_A)
    gum = product(controller, "GUM", EAN8)
    product(controller, "TAPE-5")
    draft = controller.open_draft_receipt()

    stream = [
        EAN13,  # EAN-13
        f"0{EAN13}",  # the same item read as GTIN-14
        UPC_A,  # UPC-A, stored as its 14-digit key
        f"0{UPC_A}",  # the same cola as EAN-13
        EAN8,
        "TAPE-5",  # the shop's own code: by SKU
        "3*TAPE-5",  # multiplier before a scan
        f"(01)0{EAN13}(37)12",  # GS1-128 case label, human-readable form
        f"{GS}010{EAN13}3706{GS}",  # the same label raw, with group separators
        f"0100{UPC_A}10LOT7{GS}3704",  # raw with a variable-length lot before the count
        f"5*(01)0{EAN13}(37)12",  # five cases of twelve
    ]
    outcomes = [outcome(controller.draft_scan(draft, text)) for text in stream]

    assert outcomes == [
        ("SOAP", 1, 1, None),
        ("SOAP", 1, 2, None),
        ("COLA", 1, 1, None),
        ("COLA", 1, 2, None),
        ("GUM", 1, 1, None),
        ("TAPE-5", 1, 1, None),
        ("TAPE-5", 3, 4, None),
        ("SOAP", 12, 14, None),
        ("SOAP", 6, 20, None),
        ("COLA", 4, 6, None),
        ("SOAP", 60, 80, None),
    ]
    assert len(rows(draft)) == len(stream)  # one row per scan: nothing merged or lost
    assert tally(controller, draft) == [
        ("SOAP", 80, None, None),
        ("COLA", 6, None, None),
        ("GUM", 1, None, None),
        ("TAPE-5", 4, None, None),
    ]
    assert [r.product_id for r in controller.draft_tally(draft)] == [
        soap,
        cola,
        gum,
        Product.get(Product.sku == "TAPE-5").id,
    ]
    # Scans are rows of the draft, not audit events of their own.
    assert audits("receipt.undo") == [] and len(audits("receipt.draft_open")) == 1


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (EAN13[:-1] + str((int(EAN13[-1]) + 1) % 10), "wrong check digit"),
        (f"(01)0{EAN13[:-1]}{(int(EAN13[-1]) + 1) % 10}(37)12", "not a valid GTIN"),
        (f"010{EAN13[:-1]}{(int(EAN13[-1]) + 1) % 10}{GS}3712", "not a valid GTIN"),
        ("(01)123(37)4", "Cannot read the case label"),
        ("(37)12", "no product number"),
        ("x*SOAP", "not a multiplier"),
        ("12*", "Nothing was scanned"),
        ("#$%!", "not valid"),
        ("", "empty"),
    ],
)
def test_a_bad_scan_is_refused_with_a_clear_message_and_counts_nothing(
    controller: Controller, text: str, words: str
) -> None:
    product(controller, "SOAP", EAN13)
    draft = controller.open_draft_receipt()
    controller.draft_scan(draft, EAN13)

    with pytest.raises(UserError) as refused:
        controller.draft_scan(draft, text)

    assert not isinstance(refused.value, NotFound)
    assert words in str(refused.value)
    assert "\n" not in str(refused.value)
    assert rows(draft) == [("SOAP", 1)]


def test_an_unknown_code_is_refused_with_its_count_then_linked_and_counted(
    controller: Controller,
) -> None:
    soap = product(controller, "SOAP", EAN13)
    draft = controller.open_draft_receipt()

    with pytest.raises(UnknownCode) as unknown:
        controller.draft_scan(draft, f"4*{UNKNOWN_EAN}")

    error = unknown.value
    assert (error.code, error.display, error.count) == (f"0{UNKNOWN_EAN}", UNKNOWN_EAN, 4)
    assert UNKNOWN_EAN in str(error)
    assert rows(draft) == []  # nothing counted until the worker says what it is

    controller.add_barcode(soap, error.display)
    assert outcome(controller.draft_add(draft, soap, error.count)) == ("SOAP", 4, 4, None)
    # From now on the code is known.
    assert outcome(controller.draft_scan(draft, UNKNOWN_EAN)) == ("SOAP", 1, 5, None)


def test_an_unknown_case_label_reports_the_gtin_and_the_units_of_the_cases(
    controller: Controller,
) -> None:
    draft = controller.open_draft_receipt()

    with pytest.raises(UnknownCode) as unknown:
        controller.draft_scan(draft, f"2*(01)0{UNKNOWN_EAN}(37)24")

    assert (unknown.value.display, unknown.value.count) == (f"0{UNKNOWN_EAN}", 48)
    new = controller.add_product(sku="NEW", name="New thing", barcodes=[unknown.value.display])
    assert outcome(controller.draft_add(draft, int(new.id), unknown.value.count)) == (
        "NEW",
        48,
        48,
        None,
    )


def test_a_numeric_sku_that_is_not_a_valid_gtin_still_scans_by_sku(
    controller: Controller,
) -> None:
    product(controller, "12345678")  # eight digits, but its check digit is not a GTIN's
    draft = controller.open_draft_receipt()

    assert outcome(controller.draft_scan(draft, "2*12345678")) == ("12345678", 2, 2, None)


def test_more_units_than_one_product_may_count_are_refused(controller: Controller) -> None:
    soap = product(controller, "SOAP", EAN13)
    draft = controller.open_draft_receipt()
    controller.draft_add(draft, soap, 999_999)

    with pytest.raises(UserError, match="1,000,000"):
        controller.draft_scan(draft, "2*SOAP")
    assert rows(draft) == [("SOAP", 999_999)]


def test_adding_to_a_missing_product_or_draft_is_refused(controller: Controller) -> None:
    soap = product(controller, "SOAP")
    draft = controller.open_draft_receipt()

    with pytest.raises(NotFound, match="no product"):
        controller.draft_add(draft, soap + 99, 1)
    with pytest.raises(NotFound, match="no draft receipt"):
        controller.draft_scan(draft + 99, "SOAP")
    with pytest.raises(UserError, match="cannot be 0"):
        controller.draft_add(draft, soap, 0)
    assert rows(draft) == []


# ------------------------------------------------------ undo and corrections


def test_undo_takes_back_the_newest_scan_first_and_is_audited(controller: Controller) -> None:
    product(controller, "SOAP", EAN13)
    product(controller, "TAPE")
    draft = controller.open_draft_receipt()
    for text in (EAN13, "TAPE", f"(01)0{EAN13}(37)6"):
        controller.draft_scan(draft, text)

    assert outcome(controller.draft_undo_last(draft)) == ("SOAP", 6, 1, None)
    assert outcome(controller.draft_undo_last(draft)) == ("TAPE", 1, 0, None)
    assert rows(draft) == [("SOAP", 1)]
    assert outcome(controller.draft_undo_last(draft)) == ("SOAP", 1, 0, None)
    assert controller.draft_undo_last(draft) is None  # empty: nothing to undo

    assert [(a["entity_id"], a["sku"], a["qty"], a["left"]) for a in audits("receipt.undo")] == [
        (draft, "SOAP", 6, 1),
        (draft, "TAPE", 1, 0),
        (draft, "SOAP", 1, 0),
    ]
    assert {a["staff"] for a in audits("receipt.undo")} == {controller.staff_id}


def test_setting_a_quantity_by_hand_replaces_the_count_and_keeps_the_place(
    controller: Controller,
) -> None:
    soap = product(controller, "SOAP", EAN13)
    tape = product(controller, "TAPE")
    glue = product(controller, "GLUE")
    draft = controller.open_draft_receipt()
    for text in (EAN13, "TAPE", EAN13, "3*TAPE"):
        controller.draft_scan(draft, text)

    controller.draft_set_quantity(draft, soap, 10)
    controller.draft_set_quantity(draft, glue, 2)  # not scanned yet: added at the end
    assert tally(controller, draft) == [
        ("SOAP", 10, None, None),
        ("TAPE", 4, None, None),
        ("GLUE", 2, None, None),
    ]
    controller.draft_set_quantity(draft, tape, 0)  # 0 takes it out
    controller.draft_set_quantity(draft, glue, 2)  # no change: nothing to audit
    assert rows(draft) == [("SOAP", 10), ("GLUE", 2)]

    assert [(a["sku"], a["old"], a["new"]) for a in audits("receipt.set_quantity")] == [
        ("SOAP", 2, 10),
        ("GLUE", 0, 2),
        ("TAPE", 4, 0),
    ]
    with pytest.raises(UserError, match="negative"):
        controller.draft_set_quantity(draft, soap, -1)
    with pytest.raises(NotFound):
        controller.draft_set_quantity(draft, glue + 99, 1)
    assert rows(draft) == [("SOAP", 10), ("GLUE", 2)]


# ------------------------------------------------------ purchase orders


def test_tally_against_a_po_shows_expected_and_over_under(controller: Controller) -> None:
    soap = product(controller, "SOAP", EAN13)
    tape = product(controller, "TAPE")
    glue = product(controller, "GLUE")
    product(controller, "EXTRA")
    po = purchase_order(controller, {soap: 10, tape: 5, glue: 4})
    controller.receive([OrderItem(tape, 1)], purchase_order_id=po)  # 4 tape still to come
    draft = controller.open_draft_receipt(purchase_order_id=po)

    assert outcome(controller.draft_scan(draft, f"(01)0{EAN13}(37)12")) == ("SOAP", 12, 12, 10)
    assert outcome(controller.draft_scan(draft, "3*TAPE")) == ("TAPE", 3, 3, 4)
    assert outcome(controller.draft_scan(draft, "EXTRA")) == ("EXTRA", 1, 1, 0)

    assert tally(controller, draft) == [
        ("SOAP", 12, 10, 2),  # two over
        ("TAPE", 3, 4, -1),  # one under
        ("EXTRA", 1, 0, 1),  # not on the PO at all
        ("GLUE", 0, 4, -4),  # expected, not scanned yet
    ]
    assert all(isinstance(row, TallyRow) for row in controller.draft_tally(draft))


def test_a_draft_needs_an_open_po(controller: Controller) -> None:
    soap = product(controller, "SOAP")
    po = purchase_order(controller, {soap: 2})
    controller.receive([OrderItem(soap, 2)], purchase_order_id=po)  # closes it

    with pytest.raises(UserError, match="closed"):
        controller.open_draft_receipt(purchase_order_id=po)
    with pytest.raises(NotFound):
        controller.open_draft_receipt(purchase_order_id=po + 99)
    assert controller.open_drafts() == []


def test_a_draft_whose_po_closed_meanwhile_can_be_received_without_it(
    controller: Controller,
) -> None:
    soap = product(controller, "SOAP")
    po = purchase_order(controller, {soap: 2})
    draft = controller.open_draft_receipt(purchase_order_id=po)
    controller.draft_scan(draft, "SOAP")
    controller.receive([OrderItem(soap, 2)], purchase_order_id=po)  # another delivery

    with pytest.raises(UserError, match="closed"):
        controller.commit_draft(draft)
    controller.draft_set_purchase_order(draft, None)
    result = controller.commit_draft(draft)

    assert Receipt.get_by_id(result.receipt_id).purchase_order_id is None
    assert Product.get_by_id(soap).on_hand == 3
    assert [(a["old"], a["new"]) for a in audits("receipt.set_po")] == [(po, None)]


# ------------------------------------------------------ discard and commit


def test_discarding_keeps_the_draft_for_the_record_and_stocks_nothing(
    controller: Controller,
) -> None:
    soap = product(controller, "SOAP", EAN13)
    draft = controller.open_draft_receipt()
    controller.draft_scan(draft, "5*SOAP")

    controller.discard_draft(draft)

    assert Receipt.get_by_id(draft).status == "discarded"
    assert rows(draft) == [("SOAP", 5)]
    assert controller.open_drafts() == []
    assert Product.get_by_id(soap).on_hand == 0
    assert [(a["entity_id"], a["lines"]) for a in audits("receipt.discard")] == [
        (draft, {"SOAP": 5})
    ]
    for refused in (
        lambda: controller.draft_scan(draft, "SOAP"),
        lambda: controller.draft_undo_last(draft),
        lambda: controller.commit_draft(draft),
        lambda: controller.discard_draft(draft),
    ):
        with pytest.raises(UserError, match="discarded"):
            refused()
    assert rows(draft) == [("SOAP", 5)]


def test_commit_serves_the_queue_in_order_and_closes_the_po(
    controller: Controller, clock: FakeClock
) -> None:
    soap = product(controller, "SOAP", EAN13)
    tape = product(controller, "TAPE")
    ann, bob, cat = (
        customer(controller, "Ann"),
        customer(controller, "Bob"),
        customer(controller, "Cat"),
    )
    ann_line = waiting_line(controller, clock, ann, soap, 3)
    bob_line = waiting_line(controller, clock, bob, soap, 4)
    cat_line = waiting_line(controller, clock, cat, tape, 1)
    po = purchase_order(controller, {soap: 5, tape: 1})
    draft = controller.open_draft_receipt(purchase_order_id=po)
    clock.advance(days=3)
    for text in (EAN13, "TAPE", f"(01)0{EAN13}(37)4", "TAPE"):
        controller.draft_scan(draft, text)
    controller.draft_undo_last(draft)  # the second tape was scanned twice by mistake

    result = controller.commit_draft(draft)

    assert result.receipt_id == draft
    assert [(f.line_id, f.customer, f.qty, f.ready_qty) for f in result.fulfilled] == [
        (ann_line, "Ann", 3, 3),
        (cat_line, "Cat", 1, 1),
    ]
    assert [(f.line_id, f.qty, f.still_waiting) for f in result.partial] == [(bob_line, 2, 2)]
    assert sorted(result.completed_orders) == sorted(
        OrderLine.get_by_id(i).order_id for i in (ann_line, cat_line)
    )
    assert result.left_in_stock == {"SOAP": 0, "TAPE": 0}
    assert result.purchase_order_closed
    assert PurchaseOrder.get_by_id(po).status == "closed"
    assert sorted(
        PurchaseOrderLine.select(PurchaseOrderLine.qty_ordered, PurchaseOrderLine.qty_received)
        .where(PurchaseOrderLine.purchase_order == po)
        .tuples()
    ) == [(1, 1), (5, 5)]
    receipt = Receipt.get_by_id(draft)
    assert (receipt.status, receipt.committed_at) == ("committed", clock.now)
    assert sorted(rows(draft)) == [("SOAP", 5), ("TAPE", 1)]  # the draft's rows, merged
    assert sorted(
        StockMovement.select(StockMovement.product, StockMovement.qty)
        .where(StockMovement.receipt == draft)
        .tuples()
    ) == [(soap, 5), (tape, 1)]
    ready = CustomerMessage.select(CustomerMessage.customer).where(CustomerMessage.event == "ready")
    assert sorted(m.customer_id for m in ready) == [ann, cat]  # one per customer served
    assert [a["entity_id"] for a in audits("receipt.commit")] == [draft]
    assert controller.open_drafts() == []
    assert run_checks() == []


def test_a_po_partly_delivered_stays_open(controller: Controller) -> None:
    soap = product(controller, "SOAP")
    po = purchase_order(controller, {soap: 10})
    draft = controller.open_draft_receipt(purchase_order_id=po)
    controller.draft_scan(draft, "4*SOAP")

    result = controller.commit_draft(draft)

    assert not result.purchase_order_closed
    assert PurchaseOrder.get_by_id(po).status == "open"
    next_draft = controller.open_draft_receipt(purchase_order_id=po)
    assert tally(controller, next_draft) == [("SOAP", 0, 6, -6)]


def test_an_empty_draft_is_refused_and_stays_open(controller: Controller) -> None:
    product(controller, "SOAP")
    draft = controller.open_draft_receipt()
    controller.draft_scan(draft, "SOAP")
    controller.draft_undo_last(draft)

    with pytest.raises(UserError, match="empty"):
        controller.commit_draft(draft)

    assert Receipt.get_by_id(draft).status == "draft"
    assert [d.receipt_id for d in controller.open_drafts()] == [draft]
    assert StockMovement.select().count() == 0


def test_a_draft_is_committed_once(controller: Controller) -> None:
    soap = product(controller, "SOAP")
    draft = controller.open_draft_receipt()
    controller.draft_scan(draft, "2*SOAP")
    controller.commit_draft(draft)

    with pytest.raises(UserError, match="already received"):
        controller.commit_draft(draft)
    with pytest.raises(UserError, match="already received"):
        controller.draft_scan(draft, "SOAP")

    assert Product.get_by_id(soap).on_hand == 2
    assert StockMovement.select().where(StockMovement.receipt == draft).count() == 1


# ------------------------------------------------------ surviving a crash


def test_a_draft_survives_closing_and_reopening_the_store(
    store: Store, controller: Controller, clock: FakeClock
) -> None:
    product(controller, "SOAP", EAN13)
    product(controller, "TAPE")
    po_draft_product = product(controller, "GLUE")
    po = purchase_order(controller, {po_draft_product: 3})
    old = controller.open_draft_receipt()
    clock.advance(minutes=5)
    draft = controller.open_draft_receipt(purchase_order_id=po)
    for text in (EAN13, "2*TAPE", f"(01)0{EAN13}(37)10"):
        controller.draft_scan(draft, text)
    store.close()  # the PC dies: nothing was committed

    reopened = open_store(store.location)
    try:
        desk = Controller(reopened, clock=clock)
        drafts = desk.open_drafts()
        assert [
            (d.receipt_id, d.created_at, d.staff, d.purchase_order_id, d.lines, d.units)
            for d in drafts
        ] == [
            (draft, clock.now, "Admin", po, 2, 13),  # newest first
            (old, clock.now - timedelta(minutes=5), "Admin", None, 0, 0),
        ]
        # Carry on where it stopped.
        assert outcome(desk.draft_scan(draft, "GLUE")) == ("GLUE", 1, 1, 3)
        assert tally(desk, draft) == [
            ("SOAP", 11, 0, 11),
            ("TAPE", 2, 0, 2),
            ("GLUE", 1, 3, -2),
        ]
    finally:
        reopened.close()
