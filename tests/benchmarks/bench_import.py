"""Import benchmark: a shop's 10,000-product file, read, checked and written.

    .venv/bin/python tests/benchmarks/bench_import.py [--rows 10000] [--db URL_OR_PATH]

Writes a Shopify product export of ``--rows`` variants (titles on the first row of each
product only, barcodes, prices, counts) and imports it into a fresh store (a temporary
SQLite file unless ``--db`` names one; a PostgreSQL database is emptied first). Then 500
(``--customers``) customers wait for 20 of the products and a stock count of the whole
catalogue (the product file again with new counts) is imported, serving them. Prints one
JSON line per phase with ``seconds`` and ``statements`` (SQL statements sent):

* ``read``: reading and checking the file alone (no store);
* ``preview``: the dry run the desk shows (read, check against the store, roll back);
* ``import``: the same file for real, one transaction;
* ``reimport``: the same file again (nothing changes);
* ``recount``: new counts for every product, 500 waiting lines served.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.barcodes import gtin13_with_check_digit  # noqa: E402
from app.controller import Controller, Decision, OrderItem  # noqa: E402
from app.importing import read_file, run_import  # noqa: E402
from app.models import Product  # noqa: E402
from app.store import open_store  # noqa: E402

HEADER = (
    "Handle,Title,Body (HTML),Vendor,Type,Tags,Published,Option1 Name,Option1 Value,"
    "Option2 Name,Option2 Value,Variant SKU,Variant Inventory Tracker,Variant Inventory Qty,"
    "Variant Price,Variant Barcode,Status\n"
)
SIZES = ("S", "M", "L", "XL")


def write_file(path: Path, rows: int, *, shift: int = 0) -> None:
    """A Shopify export: products of four sizes, counts moved by ``shift``."""
    lines = [HEADER]
    for i in range(rows):
        product, size = divmod(i, len(SIZES))
        first = size == 0
        title = f"Trail shirt {product}" if first else ""
        body = '"<p>Organic cotton, made to last.</p>"' if first else ""
        barcode = gtin13_with_check_digit(f"50{i:010d}")
        count = (i * 7 + shift) % 40
        lines.append(
            f"shirt-{product},{title},{body},{'Acme' if first else ''},{'Shirts' if first else ''},"
            f",{'TRUE' if first else ''},{'Size' if first else ''},{SIZES[size]},,,"
            f"SH-{i:06d},shopify,{count},{19 + i % 30}.95,{barcode},active\n"
        )
    path.write_text("".join(lines), encoding="utf-8")


def measure(phase: str, database: Any, work: Callable[[], Any], **extra: Any) -> Any:
    sent = [0]
    real = database.execute_sql

    def counting(*args: Any, **kwargs: Any) -> Any:
        sent[0] += 1
        return real(*args, **kwargs)

    database.execute_sql = counting
    start = time.perf_counter()
    try:
        result = work()
    finally:
        database.execute_sql = real
    seconds = time.perf_counter() - start
    print(
        json.dumps({"phase": phase, "seconds": round(seconds, 3), "statements": sent[0], **extra})
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--customers", type=int, default=500, help="waiting before the recount")
    parser.add_argument("--db", help="a SQLite path or postgresql:// URL (emptied first)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-import-"))
    location = args.db or str(folder / "store.db")
    if location.startswith("postgres"):
        from tests.conftest import reset_postgres

        reset_postgres(location)
    store = open_store(location)
    controller = Controller(store)
    catalogue = folder / "products_export.csv"
    write_file(catalogue, args.rows)
    backend = "postgresql" if location.startswith("postgres") else "sqlite"
    common = {"rows": args.rows, "backend": backend}
    parsed = measure("read", store.database, lambda: read_file(catalogue), **common)
    assert not any(row.problems for row in parsed.rows)
    measure(
        "preview", store.database, lambda: run_import(catalogue, controller, dry_run=True), **common
    )
    done = measure("import", store.database, lambda: run_import(catalogue, controller), **common)
    assert len(done.result.created) == args.rows, done.result.refused[:3]
    again = measure("reimport", store.database, lambda: run_import(catalogue, controller), **common)
    assert again.result.unchanged == args.rows

    ids = [p.id for p in Product.select(Product.id).order_by(Product.id).limit(20)]
    for n in range(args.customers):
        customer = controller.add_customer(name=f"Customer {n}")
        wanted = ids[n % len(ids)]
        controller.place_order(
            customer.id, [OrderItem(wanted, 50)], decisions={wanted: Decision.WAIT}
        )
    recount = folder / "recount.csv"
    write_file(recount, args.rows, shift=3)
    counted = measure("recount", store.database, lambda: run_import(recount, controller), **common)
    served = counted.result.allocation
    print(
        json.dumps(
            {
                "phase": "summary",
                "updated": len(counted.result.updated),
                "units_in": counted.result.units_in,
                "units_out": counted.result.units_out,
                "refused": len(counted.result.refused),
                "lines_served": len(served.fulfilled) + len(served.partial),
                **common,
            }
        )
    )
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
