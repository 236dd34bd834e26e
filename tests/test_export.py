"""CSV export of the backorder list (app/export.py) on a real store: what a spreadsheet
program reads back, the filter and sort of the view, every page, and no half-written file."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

import pytest

from app import queries
from app.backorder_view import BackorderFilter, placed_before, waiting_customers, waiting_products
from app.controller import Controller, Decision, OrderItem
from app.errors import UserError
from app.export import HEADERS, export_backorders
from tests.conftest import FakeClock


def wait_for(controller: Controller, customer_id: int, product_id: int, qty: int) -> int:
    placed = controller.place_order(
        customer_id, [OrderItem(product_id, qty)], decisions={product_id: Decision.WAIT}
    )
    return placed.order_id


def read(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle, dialect="excel"))


def test_file_opens_in_a_spreadsheet_with_names_intact(
    controller: Controller, clock: FakeClock, tmp_path: Path
) -> None:
    rail = controller.add_product(sku="RAL-900", name='Curtain rail, white, 2 m "slim"')
    dieter = controller.add_customer(
        name="Dieter Müller", email="dieter@example.de", phone="+49 30 901820"
    )
    order = wait_for(controller, dieter.id, rail.id, 2)
    supplier = controller.supplier_named("Hafele")
    today = clock().date()
    controller.add_purchase_order(
        supplier_id=supplier.id, expected=today + timedelta(days=3), items=[OrderItem(rail.id, 2)]
    )
    clock.advance(days=9)  # the PO date has passed

    target = tmp_path / "backorders.csv"
    assert export_backorders(target, BackorderFilter(), today=clock().date()) == 1

    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM spreadsheet programs look for
    assert b"\r\n" in raw  # excel dialect line ends
    header, row = read(target)
    assert tuple(header) == HEADERS
    record = dict(zip(header, row, strict=True))
    assert record["Order"] == str(order)
    assert record["Customer"] == "Dieter Müller"
    assert record["Product"] == 'Curtain rail, white, 2 m "slim"'  # comma and quotes survive
    assert (record["Waiting"], record["Reserved"], record["Days waiting"]) == ("2", "0", "9")
    assert record["ETA"] == (today + timedelta(days=3)).isoformat()
    assert record["ETA overdue"] == "yes"
    assert record["Phone"] == "+49 30 901820"


def test_every_page_in_the_view_s_filter_and_sort(
    controller: Controller, clock: FakeClock, tmp_path: Path
) -> None:
    hinge = controller.add_product(sku="HNG-1", name="Brass hinge")
    knob = controller.add_product(sku="KNB-1", name="Oak knob")
    for number in range(11):
        customer = controller.add_customer(name=f"Customer {number:02d}")
        wait_for(controller, customer.id, knob.id if number % 4 == 0 else hinge.id, 1)
        clock.advance(days=1)
    view = BackorderFilter(product_id=hinge.id, sort="customer", descending=True)
    pages: list[tuple[int, int]] = []

    target = tmp_path / "hinges.csv"
    written = export_backorders(
        target, view, today=clock().date(), progress=lambda d, t: pages.append((d, t)), page_size=3
    )

    assert written == 8
    rows = read(target)[1:]
    assert [r[1] for r in rows] == [f"Customer {n:02d}" for n in reversed(range(11)) if n % 4 != 0]
    assert {r[4] for r in rows} == {"HNG-1"}
    assert pages[0] == (0, 8) and pages[-1] == (8, 8)  # progress from start to end
    assert len(pages) >= 3  # paged, not loaded in one go

    # Age filter: only lines waiting at least 7 days (same count as the list shows).
    old = export_backorders(target, BackorderFilter(min_days=7), today=clock().date())
    ages = [int(r[9]) for r in read(target)[1:]]
    assert old == len(ages) == 5 and min(ages) == 7


def test_a_failed_export_leaves_no_file(
    controller: Controller, clock: FakeClock, tmp_path: Path
) -> None:
    hinge = controller.add_product(sku="HNG-1", name="Brass hinge")
    wait_for(controller, controller.add_customer(name="Ann").id, hinge.id, 1)
    missing = tmp_path / "not here" / "out.csv"
    with pytest.raises(UserError, match="Could not write .*Choose another folder"):
        export_backorders(missing, BackorderFilter(), today=clock().date())
    assert not missing.parent.exists()
    assert not list(tmp_path.glob("*.part"))

    # An existing file is replaced only by a complete export.
    target = tmp_path / "out.csv"
    target.write_text("old contents", encoding="utf-8")

    def stop_half_way(done: int, total: int) -> None:
        if done:
            raise RuntimeError("disk pulled")

    with pytest.raises(RuntimeError):
        export_backorders(target, BackorderFilter(), today=clock().date(), progress=stop_half_way)
    assert target.read_text(encoding="utf-8") == "old contents"
    assert not list(tmp_path.glob("out.csv*.part"))


def test_filter_look_ups_offer_only_what_is_waiting(controller: Controller) -> None:
    hinge = controller.add_product(sku="HNG-1", name="Brass hinge")
    controller.add_product(sku="HNG-2", name="Steel hinge")  # nobody waits for it
    ann = controller.add_customer(name="Ann Smith", email="ann@example.com")
    controller.add_customer(name="Anna Idle", email="anna@example.com")
    wait_for(controller, ann.id, hinge.id, 1)

    assert [c.label for c in waiting_products("hinge")] == ["HNG-1 — Brass hinge"]
    assert [c.label for c in waiting_customers("ANN")] == ["Ann Smith (ann@example.com)"]
    assert waiting_customers("nobody") == []


def test_age_cut_off_matches_days_waiting(controller: Controller, clock: FakeClock) -> None:
    hinge = controller.add_product(sku="HNG-1", name="Brass hinge")
    ann = controller.add_customer(name="Ann")
    clock.now = clock.now.replace(hour=23, minute=59, second=59, microsecond=500_000)
    wait_for(controller, ann.id, hinge.id, 1)
    clock.advance(days=7, hours=-23)  # 7 calendar days later, early in the morning
    today = clock().date()
    (row,) = queries.backorders(placed_before=placed_before(today, 7))
    assert row.days_waiting(today) == 7
    assert queries.backorders(placed_before=placed_before(today, 8)) == []
