"""Importing products and stock from shop files, as a shop owner bringing their data in.

The real Shopify samples (``tests/fixtures/imports/shopify_*``, copied from public
repositories) and small files written from each platform's documented columns are read
as they are; problem files are written per test. Every test that takes ``controller``
runs on a SQLite file and, with ``BACKORDER_DESK_TEST_PG`` set, on PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from app import queries
from app.check import run_checks
from app.controller import Controller, Decision, OrderItem
from app.errors import UserError
from app.importing import ImportPreview, preview, read_file, run_import
from app.models import AuditEvent, Barcode, CustomerMessage, OrderLine, Product, StockMovement

FIXTURES = Path(__file__).parent / "fixtures" / "imports"
PLAIN_HEADER = "sku,name,barcode,price,on_hand\n"


def write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def stock(sku: str) -> int:
    return int(Product.get(Product.sku == sku).on_hand)


def problems_by_line(done: ImportPreview) -> dict[int, str]:
    return {row.line: " | ".join(row.problems) for row in done.result.refused}


def counts() -> tuple[int, int, int, int]:
    return (
        Product.select().count(),
        Barcode.select().count(),
        StockMovement.select().count(),
        AuditEvent.select().count(),
    )


# ------------------------------------------------------------ the formats


@pytest.mark.parametrize(
    ("name", "key", "rows", "skipped"),
    [
        ("shopify_product_template.csv", "shopify-products", 16, 1),
        ("shopify_products_new_headers.csv", "shopify-products", 4, 1),
        ("shopify_inventory_export.csv", "shopify-inventory", 67, 0),
        ("woocommerce_products.csv", "woocommerce", 4, 3),
        ("square_item_library.csv", "square", 4, 0),
        ("plain.csv", "plain", 3, 0),
    ],
)
def test_each_sample_is_recognised_from_its_header(
    name: str, key: str, rows: int, skipped: int
) -> None:
    parsed = read_file(FIXTURES / name)
    assert parsed.format_key == key
    assert len(parsed.rows) == rows
    assert len(parsed.skipped) == skipped


def test_real_shopify_template_is_refused_row_by_row_for_its_mangled_barcodes(
    controller: Controller,
) -> None:
    done = run_import(FIXTURES / "shopify_product_template.csv", controller)
    assert done.file.format_label == "Shopify product CSV"
    # Variant rows leave the title blank: it is carried down from the handle's first row.
    names = {row.sku: row.name for row in done.file.rows}
    assert names["SRT_COT_122"] == "Example T-Shirt - Green / M"
    assert names["PNT_DEN_405"] == "Example Jeans - 40"
    assert names["HAT_GRY_275"] == "Example Beanie"  # "Default Title" adds nothing
    assert [(s.line, s.why) for s in done.file.skipped] == [
        (17, "another image of the product above")
    ]
    refused = problems_by_line(done)
    assert len(refused) == 16 and done.result.good == 0
    assert refused[3] == (
        "barcode 4.6347E+11 was turned into a number by a spreadsheet - re-export the file "
        "with the barcode column formatted as text"
    )
    assert Product.select().count() == 0


def test_real_shopify_template_imports_once_the_barcodes_are_exported_as_text(
    controller: Controller, tmp_path: Path
) -> None:
    with (FIXTURES / "shopify_product_template.csv").open(encoding="utf-8", newline="") as f:
        table = list(csv.reader(f))
    column = table[0].index("Variant Barcode")
    for row in table[1:]:
        row[column] = ""  # what a re-export with the column as text gives for these
    buffer = io.StringIO()
    csv.writer(buffer).writerows(table)
    done = run_import(write(tmp_path, "products_export.csv", buffer.getvalue()), controller)
    assert done.result.refused == []
    assert len(done.result.created) == 16
    jeans = Product.get(Product.sku == "PNT_DEN_285")
    assert (jeans.name, jeans.price_cents, jeans.on_hand) == ("Example Jeans - 28", 9500, 20)
    # Not tracked in Shopify: its quantity is not a count.
    assert stock("SRT_COT_111") == 0
    assert stock("HAT_GRY_275") == 50


def test_real_shopify_inventory_export_sums_locations_and_makes_skus_from_handles(
    controller: Controller, tmp_path: Path
) -> None:
    done = run_import(FIXTURES / "shopify_inventory_export.csv", controller)
    assert len(done.result.created) == 67 and done.result.refused == []
    sandal = Product.get(Product.sku == "louise-slide-sandal.buttermilk.35")
    assert (sandal.name, sandal.on_hand) == ("Louise Slide Sandal - Buttermilk / 35", 103)
    assert stock("small-naomi.lizard-effect-brown") == 100

    two_locations = write(
        tmp_path,
        "inventory_export_2.csv",
        "Handle,Title,Option1 Name,Option1 Value,Option2 Name,Option2 Value,Option3 Name,"
        "Option3 Value,SKU,HS Code,COO,Location,Incoming,Unavailable,Committed,Available,"
        "On hand\n"
        'puff-large,Puff Large,Color,Latte,,,,,"",,,Shop location,0,0,2,40,42\n'
        'puff-large,Puff Large,Color,Latte,,,,,"",,,Warehouse,5,0,0,60,60\n',
    )
    again = run_import(two_locations, controller)
    assert again.file.notes == [
        "Stock is the sum of 'On hand' over 2 locations: Shop location, Warehouse."
    ]
    assert again.result.actions == {2: "update stock -1"}
    assert stock("puff-large.latte") == 102


def test_shopify_product_file_and_inventory_file_meet_on_the_same_products(
    controller: Controller, tmp_path: Path
) -> None:
    products = write(
        tmp_path,
        "products_export.csv",
        "Handle,Title,Option1 Name,Option1 Value,Variant SKU,Variant Inventory Tracker,"
        "Variant Inventory Qty,Variant Price,Variant Barcode\n"
        "puff-large,Puff Large,Color,Latte,,shopify,1,89.00,\n"
        "puff-large,,,Chocolate,,shopify,1,89.00,\n",
    )
    run_import(products, controller)
    done = run_import(FIXTURES / "shopify_inventory_export.csv", controller)
    assert done.result.actions[2] == "update stock +102"
    assert Product.get(Product.sku == "puff-large.chocolate").price_cents == 8900
    assert stock("puff-large.chocolate") == 200
    assert len(done.result.created) == 65


def test_shopify_newer_headers(controller: Controller) -> None:
    done = run_import(FIXTURES / "shopify_products_new_headers.csv", controller)
    assert done.file.format_label == "Shopify product CSV (newer headers)"
    assert done.result.refused == []
    mug = Product.get(Product.sku == "MUG-TRL-BLU")
    assert (mug.name, mug.price_cents, mug.on_hand) == ("Trail Mug - Blue", 1250, 7)
    stool = Product.get(Product.sku == "STL-CMP")
    assert stool.price_cents == 104900  # "1,049.00"
    assert controller.find_product("5012345678917").sku == "MUG-TRL-BLU"
    assert controller.find_product("012345678905").sku == "STL-CMP"


def test_woocommerce_export(controller: Controller) -> None:
    done = run_import(FIXTURES / "woocommerce_products.csv", controller)
    assert done.file.encoding == "UTF-8 with BOM"
    assert [row.sku for row in done.file.rows] == [
        "WB-750",
        "HOODIE-BLU",
        "HOODIE-GRN",
        "SVC-REPAIR",
    ]
    whys = {s.line: s.why for s in done.file.skipped}
    assert whys[3].startswith("a variable product")
    # A variation without a name is named after its parent and its attribute.
    assert Product.get(Product.sku == "HOODIE-GRN").name == "Hoodie - Green"
    assert (stock("WB-750"), stock("HOODIE-BLU"), stock("SVC-REPAIR")) == (18, 5, 0)
    assert controller.find_product("5012345678924").sku == "WB-750"


def test_square_library_sums_location_columns(controller: Controller) -> None:
    controller.add_product(sku="SVC-WRAP", name="Gift wrap", price_cents=300)
    done = run_import(FIXTURES / "square_item_library.csv", controller)
    assert done.file.notes == ["Stock is the sum over 2 locations: Main St, Riverside."]
    whole = Product.get(Product.sku == "COF-HB-WB")
    assert (whole.name, whole.on_hand, whole.price_cents) == (
        "House Blend Coffee 1 lb - Whole Bean",
        16,
        1600,
    )
    assert Product.get(Product.sku == "POUR-CER").name == "Ceramic Pour-Over"  # "Regular"
    # A variable price is no price: the shop's own stays; nor does Square track its stock.
    wrap = Product.get(Product.sku == "SVC-WRAP")
    assert (wrap.name, wrap.price_cents, wrap.on_hand) == ("Gift Wrapping", 300, 0)


def test_plain_file_with_several_barcodes(controller: Controller) -> None:
    run_import(FIXTURES / "plain.csv", controller)
    assert controller.find_product("5012345678993").sku == "W-2"
    assert controller.find_product("5012345678986").sku == "W-2"
    assert stock("W-3") == 40


@pytest.mark.parametrize(
    ("encoding", "delimiter", "label"),
    [
        ("cp1252", ";", "Windows-1252"),
        ("utf-8-sig", "\t", "UTF-8 with BOM"),
        ("utf-16", "\t", "UTF-16"),
        ("utf-8", ",", "UTF-8"),
    ],
)
def test_encodings_and_delimiters_spreadsheets_write(
    controller: Controller, tmp_path: Path, encoding: str, delimiter: str, label: str
) -> None:
    price = "12,50" if delimiter != "," else '"12,50"'
    text = delimiter.join(["sku", "name", "price", "on_hand"]) + "\r\n"
    text += delimiter.join(["CAF-1", "Café crème", price, "3"]) + "\r\n"
    done = run_import(write(tmp_path, "list.csv", text, encoding), controller)
    assert done.file.encoding == label
    made = Product.get(Product.sku == "CAF-1")
    assert (made.name, made.price_cents, made.on_hand) == ("Café crème", 1250, 3)


# ------------------------------------------------------- files refused whole


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"PK\x03\x04rest-of-a-zip", "is a spreadsheet workbook"),
        (b"Order,Customer,Total\n1,Ann,3\n", "has a header Backorder Desk does not know"),
    ],
)
def test_a_file_that_cannot_be_read_says_why(
    controller: Controller, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "products.csv"
    path.write_bytes(content)
    with pytest.raises(UserError, match=message):
        preview(path, controller)
    with pytest.raises(UserError, match="There is no file"):
        read_file(tmp_path / "missing.csv")


# ---------------------------------------------------------- row problems


def test_every_problem_kind_is_reported_on_its_line_and_the_good_rows_go_in(
    controller: Controller, tmp_path: Path
) -> None:
    taken = controller.add_product(sku="OLD-1", name="Old", barcodes=["4006381333931"])
    rows = [
        "GOOD-1,Good one,5012345678900,1.00,3",  # 2
        ",No SKU,,1.00,1",  # 3
        "MANGLED,Mangled,3.65275E+11,1.00,1",  # 4
        "CHECK,Bad check digit,5012345678901,1.00,1",  # 5
        "NEG,Negative,,1.00,-2",  # 6
        "HALF,Fraction,,1.00,2.5",  # 7
        "PRICE,Bad price,,abc,1",  # 8
        "DUP,Twice,,1.00,1",  # 9
        "DUP,Twice again,,1.00,2",  # 10
        "BC-A,Shares a barcode,5012345678917,1.00,1",  # 11
        "BC-B,Shares a barcode too,5012345678917,1.00,1",  # 12
        "TAKEN,Barcode of another product,4006381333931,1.00,1",  # 13
        "NONAME,,,1.00,1",  # 14
        f"LONG,{'x' * 201},,1.00,1",  # 15
        f"{'S' * 65},Long SKU,,1.00,1",  # 16
        "HAS SPACE,Space in SKU,,1.00,1",  # 17
        "GOOD-2,Good two,,2.00,",  # 18
    ]
    path = write(tmp_path, "list.csv", PLAIN_HEADER + "\n".join(rows) + "\n")
    done = run_import(path, controller)
    refused = problems_by_line(done)
    expected = {
        3: "no SKU - fill in the SKU column",
        4: "was turned into a number by a spreadsheet - re-export",
        5: "barcode 5012345678901 has a wrong check digit - correct it from the label",
        6: "stock -2 is negative - count the shelf",
        7: "stock 2.5 is not a whole number",
        8: "price 'abc' is not a number - write it like 9.99",
        9: "SKU DUP is also on line 10 - keep one row per SKU",
        10: "SKU DUP is also on line 9",
        11: "barcode 5012345678917 is also on line 12",
        12: "barcode 5012345678917 is also on line 11",
        13: "barcode 4006381333931 belongs to OLD-1 in the store",
        14: "a new product without a name - fill in the name",
        15: "name is 201 characters long - shorten it to at most 200",
        16: "SKU is 65 characters long",
        17: "contains spaces",
    }
    assert sorted(refused) == sorted(expected)
    for line, text in expected.items():
        assert text in refused[line], (line, refused[line])
    assert sorted(done.result.created) == ["GOOD-1", "GOOD-2"]
    assert Product.select().count() == 3
    assert [b.code for b in Barcode.select().where(Barcode.product == taken.id)] == [
        "04006381333931"
    ]
    assert run_checks() == []


def test_a_count_below_what_is_reserved_is_refused(controller: Controller, tmp_path: Path) -> None:
    made = controller.add_product(sku="MUG", name="Mug")
    controller.adjust_stock(made.id, 5, reason="count")
    ann = controller.add_customer(name="Ann")
    controller.place_order(ann.id, [OrderItem(made.id, 4)])
    done = run_import(write(tmp_path, "l.csv", PLAIN_HEADER + "MUG,Mug,,,3\n"), controller)
    assert problems_by_line(done)[2] == (
        "4 units of MUG are reserved for orders, more than the 3 counted - ship or cancel "
        "those lines first, or count again"
    )
    assert stock("MUG") == 5


def test_a_spreadsheet_dropped_leading_zero_is_put_back(
    controller: Controller, tmp_path: Path
) -> None:
    run_import(write(tmp_path, "l.csv", PLAIN_HEADER + "UPC-1,Can,12345678905,,\n"), controller)
    assert controller.find_product("012345678905").sku == "UPC-1"
    assert Barcode.get().display == "012345678905"


# ------------------------------------------- dry run, re-import, updates


def test_dry_run_writes_nothing_and_reports_what_the_import_does(
    controller: Controller, tmp_path: Path
) -> None:
    controller.add_product(sku="W-1", name="Widget old", price_cents=100)
    before = counts()
    dry = run_import(FIXTURES / "plain.csv", controller, dry_run=True)
    assert counts() == before
    assert Product.get(Product.sku == "W-1").name == "Widget old"
    real = run_import(FIXTURES / "plain.csv", controller)
    assert dry.result.dry_run and not real.result.dry_run
    assert {**dry.as_dict(), "dry_run": False} == real.as_dict()
    assert real.result.actions == {
        2: "update name, price, barcode, stock +12",
        3: "new product",
        4: "new product, 40 in stock",
    }


def test_importing_the_same_file_again_changes_nothing(
    controller: Controller, tmp_path: Path
) -> None:
    first = run_import(FIXTURES / "woocommerce_products.csv", controller)
    assert len(first.result.created) == 4
    before = counts()
    again = run_import(FIXTURES / "woocommerce_products.csv", controller)
    assert again.result.unchanged == 4
    assert (again.result.created, again.result.updated, again.result.units_in) == ([], [], 0)
    # Only the import's own audit event is new.
    assert counts() == (before[0], before[1], before[2], before[3] + 1)


def test_an_existing_product_is_updated_and_its_stock_set_by_ledger_movements(
    controller: Controller, clock: object, tmp_path: Path
) -> None:
    made = controller.add_product(sku="W-1", name="Widget", price_cents=500)
    controller.adjust_stock(made.id, 20, reason="count")
    done = run_import(
        write(tmp_path, "count.csv", PLAIN_HEADER + "W-1,Widget blue,,5.50,14\nW-9,New,,,6\n"),
        controller,
    )
    widget = Product.get_by_id(made.id)
    assert (widget.name, widget.price_cents, widget.on_hand) == ("Widget blue", 550, 14)
    assert (done.result.units_in, done.result.units_out) == (6, 6)
    ledger = [
        (m.product.sku, m.qty, m.kind, m.reason)
        for m in StockMovement.select().where(StockMovement.kind == "import")
    ]
    assert sorted(ledger) == [
        ("W-1", -6, "import", "Stock count from count.csv"),
        ("W-9", 6, "import", "Opening stock from count.csv"),
    ]
    events = {e.action: json.loads(e.detail) for e in AuditEvent.select()}
    assert events["import.products"]["created"] == 1
    assert events["import.products"]["file"] == "count.csv"
    updated = AuditEvent.get(AuditEvent.action == "product.import", AuditEvent.entity_id == made.id)
    assert json.loads(updated.detail)["delta"] == -6
    assert run_checks() == []


def test_stock_coming_in_serves_waiting_backorders(
    controller: Controller, clock: object, tmp_path: Path
) -> None:
    made = controller.add_product(sku="W-1", name="Widget")
    ann = controller.add_customer(name="Ann", email="ann@example.com")
    placed = controller.place_order(
        ann.id, [OrderItem(made.id, 5)], decisions={made.id: Decision.WAIT}
    )
    line_id = placed.lines[0].line_id
    assert OrderLine.get_by_id(line_id).qty_waiting == 5
    done = run_import(FIXTURES / "plain.csv", controller)
    assert [f.line_id for f in done.result.allocation.fulfilled] == [line_id]
    line = OrderLine.get_by_id(line_id)
    assert (line.qty_waiting, line.qty_reserved) == (0, 5)
    assert queries.stock_figures(made.id).available == 7
    assert CustomerMessage.select().where(CustomerMessage.event == "ready").count() == 1
    assert run_checks() == []


def test_a_big_file_is_not_written_one_statement_per_row(
    controller: Controller, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [f"B-{i:05d},Bulk item {i},,{i % 50}.25,{i % 7}" for i in range(1500)]
    path = write(tmp_path, "bulk.csv", PLAIN_HEADER + "\n".join(rows) + "\n")
    database = controller.store.database
    executed: list[str] = []
    real = database.execute_sql

    def counting(sql: str, params: object = None, *args: object, **kwargs: object) -> object:
        executed.append(sql)
        return real(sql, params, *args, **kwargs)

    monkeypatch.setattr(database, "execute_sql", counting)
    done = run_import(path, controller)
    assert len(done.result.created) == 1500
    assert len(executed) < 60, len(executed)
    monkeypatch.undo()
    assert Product.select().count() == 1500
    assert run_checks() == []
