"""CSV exports (app/export.py) on a real store: the backorder list, orders (one row per
line), products with stock figures and the stock ledger. What a spreadsheet program reads
back, each window's filters and sort, every page, formulas kept as text, and no
half-written file."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest

from app import queries
from app.backorder_view import BackorderFilter, placed_before, waiting_customers, waiting_products
from app.clock import to_local
from app.controller import Controller, Decision, OrderItem
from app.errors import UserError
from app.export import (
    HEADERS,
    LEDGER_HEADERS,
    ORDER_HEADERS,
    PRODUCT_HEADERS,
    LedgerFilter,
    OrderFilter,
    ProductFilter,
    check_target,
    export_backorders,
    export_ledger,
    export_orders,
    export_products,
    guard_cell,
)
from app.order_queries import OrderStatus
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
    # A leading "+" would make a spreadsheet run the phone number as a formula.
    assert record["Phone"] == "'+49 30 901820"


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


def records(path: Path) -> list[dict[str, str]]:
    header, *rows = read(path)
    return [dict(zip(header, row, strict=True)) for row in rows]


def local_day(clock: FakeClock) -> date:
    return to_local(clock()).date()


# ------------------------------------------------------------------ formulas


def test_text_that_a_spreadsheet_would_run_stays_text(
    controller: Controller, clock: FakeClock, tmp_path: Path
) -> None:
    sneaky = controller.add_product(sku="X-1", name='=HYPERLINK("http://evil.example","x")')
    controller.add_product(sku="X-2", name="@SUM(A1:A9)")
    controller.add_product(sku="X-3", name="-plain dash")
    controller.adjust_stock(sneaky.id, 5, reason="+count")
    controller.adjust_stock(sneaky.id, -2, reason="=1+1 damaged")
    cust = controller.add_customer(name="+Plus Person", phone="+44 20 7946 0000")
    wait_for(controller, cust.id, controller.add_product(sku="X-4", name="Thing").id, 1)

    products = tmp_path / "products.csv"
    export_products(products, ProductFilter())
    names = {r["SKU"]: r["Name"] for r in records(products)}
    assert names["X-1"] == '\'=HYPERLINK("http://evil.example","x")'
    assert names["X-2"] == "'@SUM(A1:A9)"
    assert names["X-3"] == "'-plain dash"

    ledger = tmp_path / "ledger.csv"
    export_ledger(ledger, LedgerFilter(product_id=sneaky.id))
    moves = records(ledger)
    # Negative numbers stay numbers: no apostrophe, no quotes in the file.
    assert [(m["Quantity"], m["Reason"]) for m in moves] == [
        ("5", "'+count"),
        ("-2", "'=1+1 damaged"),
    ]
    assert b",-2," in ledger.read_bytes()

    backorders = tmp_path / "backorders.csv"
    export_backorders(backorders, BackorderFilter(), today=clock().date())
    (line,) = records(backorders)
    assert (line["Customer"], line["Phone"]) == ("'+Plus Person", "'+44 20 7946 0000")


def test_guard_leaves_numbers_alone() -> None:
    assert guard_cell(-3) == -3
    assert guard_cell("-2.50") == "-2.50"
    assert guard_cell("+7") == "+7"
    assert guard_cell(None) == ""
    assert guard_cell("\tcmd") == "'\tcmd"
    assert guard_cell("a=b") == "a=b"


# -------------------------------------------------------------------- orders


def test_orders_export_one_row_per_line_with_the_order_repeated(
    controller: Controller, clock: FakeClock, tmp_path: Path
) -> None:
    hinge = controller.add_product(sku="HNG-1", name="Brass hinge", price_cents=250)
    knob = controller.add_product(sku="KNB-1", name="Oak knob", price_cents=1999)
    controller.adjust_stock(knob.id, 10, reason="count")
    ann = controller.add_customer(name="Ann Smith", email="ann@example.com", phone="0161 496 0000")
    placed = controller.place_order(
        ann.id,
        [OrderItem(hinge.id, 3), OrderItem(knob.id, 2)],
        decisions={hinge.id: Decision.WAIT},
    )

    target = tmp_path / "orders.csv"
    assert export_orders(target, OrderFilter()) == 2

    header = read(target)[0]
    assert tuple(header) == ORDER_HEADERS
    first, second = records(target)
    for row in (first, second):
        assert row["Order"] == str(placed.order_id)
        assert (row["Customer"], row["E-mail"], row["Phone"]) == (
            "Ann Smith",
            "ann@example.com",
            "0161 496 0000",
        )
        assert row["Order status"] == "partly waiting"
        assert row["Placed"] == f"{to_local(clock()):%Y-%m-%d %H:%M}"
    assert (first["SKU"], first["Unit price"], first["Waiting"], first["Line status"]) == (
        "HNG-1",
        "2.50",
        "3",
        "waiting",
    )
    assert first["Customer decided"] == "wait"
    assert (second["SKU"], second["Unit price"], second["Reserved"], second["Line status"]) == (
        "KNB-1",
        "19.99",
        "2",
        "reserved",
    )


def test_orders_export_follows_status_search_and_days(
    controller: Controller, clock: FakeClock, tmp_path: Path
) -> None:
    hinge = controller.add_product(sku="HNG-1", name="Brass hinge")
    controller.adjust_stock(hinge.id, 2, reason="count")
    ann = controller.add_customer(name="Ann Smith")
    bob = controller.add_customer(name="Bob Jones")
    first_day = local_day(clock)
    ready = controller.place_order(ann.id, [OrderItem(hinge.id, 1)]).order_id
    clock.advance(days=2)
    waits = wait_for(controller, bob.id, hinge.id, 4)  # 1 left to reserve: partly waiting
    clock.advance(days=2)
    later = wait_for(controller, ann.id, hinge.id, 1)
    last_day = local_day(clock)
    target = tmp_path / "orders.csv"

    def exported(view: OrderFilter) -> list[str]:
        export_orders(target, view, page_size=2)
        return [row["Order"] for row in records(target)]

    assert exported(OrderFilter()) == [str(later), str(waits), str(ready)]  # newest first
    assert exported(OrderFilter(descending=False, sort="order")) == [
        str(ready),
        str(waits),
        str(later),
    ]
    assert exported(OrderFilter(status=OrderStatus.READY)) == [str(ready)]
    assert exported(OrderFilter(status=OrderStatus.PARTLY_WAITING)) == [str(waits)]
    assert exported(OrderFilter(search="ann")) == [str(later), str(ready)]
    assert exported(OrderFilter(since=first_day, until=first_day)) == [str(ready)]
    assert exported(OrderFilter(since=first_day + timedelta(days=1))) == [str(later), str(waits)]
    assert exported(OrderFilter(until=last_day - timedelta(days=1))) == [str(waits), str(ready)]
    assert exported(OrderFilter(since=last_day + timedelta(days=1))) == []
    with pytest.raises(UserError, match="after the last day"):
        export_orders(target, OrderFilter(since=last_day, until=first_day))


def test_orders_export_pages_through_every_order_once(
    controller: Controller, clock: FakeClock, tmp_path: Path
) -> None:
    hinge = controller.add_product(sku="HNG-1", name="Brass hinge")
    people = [controller.add_customer(name=f"Customer {n % 3}") for n in range(3)]
    placed = []
    for number in range(7):
        placed.append(wait_for(controller, people[number % 3].id, hinge.id, 1))
        if number % 2:
            clock.advance(minutes=5)  # some orders share a time: the id breaks the tie
    progress: list[tuple[int, int]] = []
    target = tmp_path / "orders.csv"

    count = export_orders(
        target,
        OrderFilter(sort="customer"),
        progress=lambda d, t: progress.append((d, t)),
        page_size=2,
    )

    assert count == 7
    rows = [(r["Customer"], int(r["Order"])) for r in records(target)]
    assert rows == sorted(rows, reverse=True)
    assert sorted(order for _name, order in rows) == sorted(placed)
    assert progress[0] == (0, 7) and progress[-1] == (7, 7) and len(progress) == 5


# ------------------------------------------------------------------ products


def test_products_export_has_the_stock_figures(
    controller: Controller, clock: FakeClock, tmp_path: Path
) -> None:
    supplier = controller.supplier_named("Hafele")
    hinge = controller.add_product(
        sku="HNG-1",
        name="Brass hinge",
        price_cents=1250,
        reorder_point=10,
        barcodes=["4006381333931", "0012345678905"],
    )
    knob = controller.add_product(sku="KNB-1", name="Oak knob")
    controller.adjust_stock(hinge.id, 5, reason="count")
    ann = controller.add_customer(name="Ann")
    controller.place_order(ann.id, [OrderItem(hinge.id, 2)])
    wait_for(controller, ann.id, knob.id, 3)
    controller.add_purchase_order(
        supplier_id=supplier.id,
        expected=clock().date() + timedelta(days=5),
        items=[OrderItem(hinge.id, 7)],
    )

    target = tmp_path / "products.csv"
    assert export_products(target, ProductFilter()) == 2
    assert tuple(read(target)[0]) == PRODUCT_HEADERS
    by_sku = {row["SKU"]: row for row in records(target)}
    assert by_sku["HNG-1"] == {
        "SKU": "HNG-1",
        "Name": "Brass hinge",
        "Barcodes": "4006381333931; 0012345678905",
        "Price": "12.50",
        "On hand": "5",
        "Reserved": "2",
        "Available": "3",
        "Waiting": "0",
        "Incoming": "7",
        "Reorder point": "10",
        "Below reorder point": "",
    }
    assert (by_sku["KNB-1"]["Waiting"], by_sku["KNB-1"]["Below reorder point"]) == ("3", "yes")

    assert export_products(target, ProductFilter(only_waiting=True)) == 1
    assert [row["SKU"] for row in records(target)] == ["KNB-1"]
    assert export_products(target, ProductFilter(search="333931")) == 1  # by barcode
    assert [row["SKU"] for row in records(target)] == ["HNG-1"]
    export_products(target, ProductFilter(sort="on_hand", descending=True), page_size=1)
    assert [row["SKU"] for row in records(target)] == ["HNG-1", "KNB-1"]


# -------------------------------------------------------------------- ledger


def test_ledger_export_lists_every_movement_with_its_references(
    controller: Controller, clock: FakeClock, tmp_path: Path
) -> None:
    supplier = controller.supplier_named("Hafele")
    hinge = controller.add_product(sku="HNG-1", name="Brass hinge")
    knob = controller.add_product(sku="KNB-1", name="Oak knob")
    ann = controller.add_customer(name="Ann")
    order = wait_for(controller, ann.id, hinge.id, 2)
    po = controller.add_purchase_order(
        supplier_id=supplier.id,
        expected=clock().date() + timedelta(days=3),
        items=[OrderItem(hinge.id, 5)],
    )
    clock.advance(days=1)
    receipt = controller.receive([OrderItem(hinge.id, 5)], purchase_order_id=po.id)
    clock.advance(days=1)
    controller.ship_order(order)
    controller.adjust_stock(knob.id, 4, reason="found in the back")
    clock.advance(days=1)
    controller.adjust_stock(hinge.id, -1, reason="damaged")

    target = tmp_path / "ledger.csv"
    assert export_ledger(target, LedgerFilter(), page_size=2) == 4
    assert tuple(read(target)[0]) == LEDGER_HEADERS
    rows = records(target)
    assert [(r["SKU"], r["Kind"], r["Quantity"], r["On hand after"]) for r in rows] == [
        ("HNG-1", "receipt", "5", "5"),
        ("HNG-1", "shipment", "-2", "3"),
        ("KNB-1", "adjustment", "4", "4"),
        ("HNG-1", "adjustment", "-1", "2"),
    ]
    assert (rows[0]["Receipt"], rows[0]["Purchase order"], rows[0]["Order"]) == (
        str(receipt.receipt_id),
        str(po.id),
        "",
    )
    assert (rows[1]["Order"], rows[1]["Receipt"]) == (str(order), "")
    assert rows[2]["Reason"] == "found in the back"
    assert rows[0]["Date"] == f"{to_local(clock.now - timedelta(days=2)):%Y-%m-%d %H:%M}"
    assert rows[0]["Staff"]

    # One product, from the second day on: the running stock starts from what was there.
    export_ledger(target, LedgerFilter(product_id=hinge.id, since=local_day(clock) - timedelta(1)))
    assert [(r["Quantity"], r["On hand after"]) for r in records(target)] == [
        ("-2", "3"),
        ("-1", "2"),
    ]
    last_day = local_day(clock)
    export_ledger(target, LedgerFilter(until=last_day - timedelta(days=1)))
    assert [r["Quantity"] for r in records(target)] == ["5", "-2", "4"]
    assert export_ledger(target, LedgerFilter(since=last_day + timedelta(days=1))) == 0
    assert read(target) == [list(LEDGER_HEADERS)]


# -------------------------------------------------- nothing half-written


@pytest.mark.parametrize("kind", ["orders", "products", "ledger"])
def test_every_export_replaces_the_file_only_when_complete(
    controller: Controller, clock: FakeClock, tmp_path: Path, kind: str
) -> None:
    hinge = controller.add_product(sku="HNG-1", name="Brass hinge")
    knob = controller.add_product(sku="KNB-1", name="Oak knob")
    controller.adjust_stock(hinge.id, 3, reason="count")
    controller.adjust_stock(knob.id, 1, reason="count")
    for name in ("Ann", "Bob", "Cy"):
        wait_for(controller, controller.add_customer(name=name).id, hinge.id, 2)
    target = tmp_path / "out.csv"
    target.write_text("old contents", encoding="utf-8")

    def run(progress: Callable[[int, int], None] | None = None) -> int:
        if kind == "orders":
            return export_orders(target, OrderFilter(), progress=progress, page_size=1)
        if kind == "products":
            return export_products(target, ProductFilter(), progress=progress, page_size=1)
        return export_ledger(target, LedgerFilter(), progress=progress, page_size=1)

    def stop_half_way(done: int, total: int) -> None:
        if done:
            raise RuntimeError("disk pulled")

    with pytest.raises(RuntimeError):
        run(stop_half_way)
    assert target.read_text(encoding="utf-8") == "old contents"
    assert not list(tmp_path.glob("*.part"))
    assert run() >= 2
    assert read(target)[0][0] in ("Order", "SKU", "Date")


def test_target_is_checked_before_any_work(tmp_path: Path) -> None:
    (tmp_path / "a file").write_text("x", encoding="utf-8")
    with pytest.raises(UserError, match="does not exist"):
        check_target(tmp_path / "missing" / "out.csv")
    with pytest.raises(UserError, match="is not a folder"):
        check_target(tmp_path / "a file" / "out.csv")
    with pytest.raises(UserError, match="is a folder: name a file in it"):
        check_target(tmp_path)
    with pytest.raises(UserError, match="No file given"):
        check_target("  ")
    assert check_target(tmp_path / "out.csv") == tmp_path / "out.csv"
