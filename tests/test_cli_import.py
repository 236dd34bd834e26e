"""``import FILE [--dry-run] [--json]`` on the command line: what it prints and exits with.

Exit 0 when every row went in, 1 when some rows were refused (they are listed, the good
ones are imported), 2 when the file cannot be read at all (nothing is written, and an
unreadable file never opens, let alone creates, a store).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from app.check import run_checks
from app.models import Product, StockMovement
from app.store import open_store
from tests.conftest import Ran

FIXTURES = Path(__file__).parent / "fixtures" / "imports"
Run = Callable[..., Ran]


def products(location: str) -> dict[str, tuple[str, int, int]]:
    store = open_store(location)
    try:
        return {p.sku: (p.name, p.price_cents, p.on_hand) for p in Product.select()}
    finally:
        store.close()


def test_import_prints_the_format_and_counts_and_exits_0(cli_run: Run, store_location: str) -> None:
    ran = cli_run("import", str(FIXTURES / "square_item_library.csv"), "--db", store_location)
    assert ran.code == 0, ran.err
    assert ran.out.splitlines() == [
        "square_item_library.csv: Square item library (UTF-8, comma), 4 products.",
        "Stock is the sum over 2 locations: Main St, Riverside.",
        "line 5: variable price in Square: the price is left as it is",
        "Imported 4 rows: 4 new, 0 updated, 0 unchanged; 29 units in, 0 out; 3 barcodes linked.",
    ]
    assert products(store_location)["COF-HB-WB"] == (
        "House Blend Coffee 1 lb - Whole Bean",
        1600,
        16,
    )


def test_refused_rows_are_listed_one_per_line_and_exit_1(cli_run: Run, store_location: str) -> None:
    ran = cli_run("import", str(FIXTURES / "shopify_product_template.csv"), "--db", store_location)
    assert ran.code == 1
    problems = [line for line in ran.out.splitlines() if " was turned into a number " in line]
    assert len(problems) == 16
    assert problems[0] == (
        "line 2: barcode 3.65275E+11 was turned into a number by a spreadsheet - re-export "
        "the file with the barcode column formatted as text"
    )
    assert (
        "Imported 0 rows: 0 new, 0 updated, 0 unchanged; 0 units in, 0 out. 16 rows refused."
        in (ran.out)
    )


def test_a_partly_bad_file_imports_its_good_rows(
    cli_run: Run, store_location: str, tmp_path: Path
) -> None:
    path = tmp_path / "stock.csv"
    path.write_text("sku,name,on_hand\nA-1,Apple,4\nB-1,Banana,-1\n", encoding="utf-8")
    ran = cli_run("import", str(path), "--db", store_location)
    assert ran.code == 1
    assert "line 3: stock -1 is negative - count the shelf and put 0 or more" in ran.out
    assert products(store_location) == {"A-1": ("Apple", 0, 4)}


def test_dry_run_reports_the_same_and_writes_nothing(cli_run: Run, store_location: str) -> None:
    dry = cli_run(
        "import", str(FIXTURES / "plain.csv"), "--dry-run", "--json", "--db", store_location
    )
    assert dry.code == 0
    assert products(store_location) == {}
    real = cli_run("import", str(FIXTURES / "plain.csv"), "--json", "--db", store_location)
    assert dry.doc["dry_run"] is True and real.doc["dry_run"] is False
    for key in ("created", "updated", "unchanged", "units_in", "barcodes_added", "rows"):
        assert dry.doc[key] == real.doc[key]
    assert real.doc["format"] == "plain"
    assert real.doc["rows"][2] == {
        "line": 4,
        "sku": "W-3",
        "name": "Widget spare part",
        "barcodes": [],
        "price": "2.25",
        "on_hand": 40,
        "note": "",
        "problems": [],
        "action": "new product, 40 in stock",
    }
    text = cli_run("import", str(FIXTURES / "plain.csv"), "--dry-run", "--db", store_location)
    assert "Would import 3 rows: 0 new, 0 updated, 3 unchanged; 0 units in, 0 out. Dry run: " in (
        text.out
    )


def test_reimporting_the_same_file_changes_nothing(cli_run: Run, store_location: str) -> None:
    first = cli_run(
        "import", str(FIXTURES / "shopify_inventory_export.csv"), "--db", store_location
    )
    assert first.code == 0
    again = cli_run(
        "import", str(FIXTURES / "shopify_inventory_export.csv"), "--json", "--db", store_location
    )
    assert (again.doc["created"], again.doc["updated"], again.doc["unchanged"]) == (0, 0, 67)
    store = open_store(store_location)
    try:
        assert StockMovement.select().count() == 67
        assert run_checks() == []
    finally:
        store.close()


def test_a_file_that_cannot_be_read_exits_2_and_creates_no_store(
    cli_run: Run, tmp_path: Path
) -> None:
    location = tmp_path / "never.db"
    missing = cli_run("import", str(tmp_path / "nope.csv"), "--db", str(location))
    assert missing.code == 2
    assert missing.err.strip() == (
        f"backorder-desk: error: There is no file {tmp_path / 'nope.csv'}: check the name and "
        "folder."
    )
    unknown = tmp_path / "orders.csv"
    unknown.write_text("Order,Customer,Total\n1,Ann,3\n", encoding="utf-8")
    ran = cli_run("import", str(unknown), "--json", "--db", str(location))
    assert ran.code == 2
    assert ran.doc["error"].startswith(
        "orders.csv has a header Backorder Desk does not know (Order, Customer, Total)"
    )
    assert not location.exists()
