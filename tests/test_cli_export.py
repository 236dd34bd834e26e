"""``export backorders|orders|products|ledger`` on the command line: the file written, the
filters, ``--json``, refusals (exit 2, one line, nothing written) and the PDF that the
desktop part draws when ``main.py`` hands the command line its renderer."""

from __future__ import annotations

import csv
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from app.clock import to_local, utcnow
from app.controller import Controller, Decision, OrderItem
from app.store import open_store
from tests.conftest import FakeClock, Ran

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Shop:
    """Hinges: Ann waits for 2 (placed 10 days ago), Bob for 3 (today); knobs in stock."""

    location: str
    ann_order: int
    bob_order: int


def seed(location: str) -> Shop:
    clock = FakeClock(utcnow() - timedelta(days=10))
    store = open_store(location)
    try:
        controller = Controller(store, clock=clock)
        hinge = controller.add_product(sku="HNG-1", name="Brass hinge", price_cents=250)
        knob = controller.add_product(sku="KNB-1", name="Oak knob", barcodes=["4006381333931"])
        controller.adjust_stock(knob.id, 6, reason="opening count")
        ann = controller.add_customer(name="Ann Smith", email="ann@example.com")
        bob = controller.add_customer(name="Bob Jones", phone="0161 496 0000")
        ann_order = controller.place_order(
            ann.id,
            [OrderItem(hinge.id, 2), OrderItem(knob.id, 1)],
            decisions={hinge.id: Decision.WAIT},
        ).order_id
        clock.advance(days=10)
        bob_order = controller.place_order(
            bob.id, [OrderItem(hinge.id, 3)], decisions={hinge.id: Decision.WAIT}
        ).order_id
        controller.adjust_stock(knob.id, -1, reason="damaged")
        return Shop(location, ann_order, bob_order)
    finally:
        store.close()


@pytest.fixture
def shop(store_location: str) -> Shop:
    return seed(store_location)


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, dialect="excel"))


def test_each_list_exports_with_json_naming_the_file(
    shop: Shop, cli_run: Callable[..., Ran], tmp_path: Path
) -> None:
    out = tmp_path / "backorders.csv"
    ran = cli_run("export", "backorders", "--db", shop.location, "--out", str(out), "--json")
    assert ran.code == 0, ran.err
    assert ran.doc == {"path": str(out.resolve()), "rows": 2, "format": "csv"}
    assert [(r["Order"], r["Customer"], r["Waiting"]) for r in rows(out)] == [
        (str(shop.ann_order), "Ann Smith", "2"),
        (str(shop.bob_order), "Bob Jones", "3"),
    ]

    ran = cli_run("export", "orders", "--db", shop.location, "--out", str(tmp_path / "o.csv"))
    assert ran.code == 0, ran.err
    assert ran.out.strip() == f"Exported 3 order lines to {(tmp_path / 'o.csv').resolve()}."

    ran = cli_run("export", "products", "--db", shop.location, "--out", str(tmp_path / "p.csv"))
    assert ran.code == 0, ran.err
    stock = {
        r["SKU"]: (r["On hand"], r["Reserved"], r["Waiting"]) for r in rows(tmp_path / "p.csv")
    }
    assert stock == {"HNG-1": ("0", "0", "5"), "KNB-1": ("5", "1", "0")}

    ran = cli_run(
        "export", "ledger", "--db", shop.location, "--out", str(tmp_path / "l.csv"), "--json"
    )
    assert ran.code == 0, ran.err
    assert ran.doc["rows"] == 2
    assert [(r["SKU"], r["Quantity"], r["On hand after"]) for r in rows(tmp_path / "l.csv")] == [
        ("KNB-1", "6", "6"),
        ("KNB-1", "-1", "5"),
    ]


def test_filters_as_options(shop: Shop, cli_run: Callable[..., Ran], tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    today = to_local(utcnow()).date()

    def export(*args: str) -> list[dict[str, str]]:
        ran = cli_run("export", *args, "--db", shop.location, "--out", str(out))
        assert ran.code == 0, ran.err
        return rows(out)

    assert [r["Customer"] for r in export("backorders", "--min-days", "7")] == ["Ann Smith"]
    assert [r["Customer"] for r in export("backorders", "--customer", "Bob Jones")] == ["Bob Jones"]
    assert export("backorders", "--product", "KNB-1") == []
    waiting = export("orders", "--status", "partly-waiting")
    assert {r["Order"] for r in waiting} == {str(shop.ann_order)}
    assert [r["Order"] for r in export("orders", "--status", "open")] == [str(shop.bob_order)]
    since = (today - timedelta(days=2)).isoformat()
    assert [r["Order"] for r in export("orders", "--since", since)] == [str(shop.bob_order)]
    assert [r["SKU"] for r in export("products", "--only-waiting")] == ["HNG-1"]
    assert [r["SKU"] for r in export("products", "--search", "333931")] == ["KNB-1"]
    ledger = export("ledger", "--product", "4006381333931", "--since", since)
    assert [(r["Quantity"], r["On hand after"]) for r in ledger] == [("-1", "5")]
    assert export("ledger", "--product", "HNG-1") == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["backorders", "--out", "{tmp}/no such folder/b.csv"], "does not exist"),
        (["orders", "--out", "{tmp}"], "is a folder: name a file in it"),
        (["products", "--out", "{tmp}/p.pdf"], "Only the backorder list can be saved as PDF"),
        (["ledger", "--out", "{tmp}/l.csv", "--format", "pdf"], "Only the backorder list"),
        (["orders", "--out", "{tmp}/o.csv", "--status", "lost"], "not an order status"),
        (
            ["ledger", "--out", "{tmp}/l.csv", "--since", "2026-12-24", "--until", "2026-12-01"],
            "after the last day",
        ),
        (["ledger", "--out", "{tmp}/l.csv", "--since", "24/12/2026"], "YYYY-MM-DD"),
        (["backorders", "--out", "{tmp}/b.pdf"], "needs the desktop part"),
        (["backorders", "--out", "{tmp}/b.csv", "--product", "NOPE"], "No product has"),
        (["orders", "--out", "{tmp}/o.csv", "--min-days", "3"], "unrecognized arguments"),
    ],
)
def test_refusals_are_one_line_exit_2_and_write_nothing(
    cli_run: Callable[..., Ran], tmp_path: Path, args: list[str], message: str
) -> None:
    store = tmp_path / "store" / "shop.db"
    store.parent.mkdir()
    seed(str(store))
    before = sorted(p.name for p in tmp_path.iterdir())
    filled = [arg.replace("{tmp}", str(tmp_path)) for arg in args]

    ran = cli_run("export", *filled, "--db", str(store))

    assert ran.code == 2
    assert message in ran.err
    assert len(ran.err.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no file, no .part


def test_a_bad_path_is_refused_before_a_store_is_made(
    cli_run: Callable[..., Ran], tmp_path: Path
) -> None:
    new_store = tmp_path / "typo.db"
    ran = cli_run(
        "export", "products", "--db", str(new_store), "--out", str(tmp_path / "x" / "p.csv")
    )
    assert ran.code == 2
    assert not new_store.exists()


def test_pdf_through_main_uses_the_desktop_renderer(
    qapp: object, shop: Shop, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import main

    out = tmp_path / "backorders.pdf"
    code = main.main(["export", "backorders", "--db", shop.location, "--out", str(out), "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert '"format": "pdf"' in captured.out and '"pages": 1' in captured.out
    reader = PdfReader(out)
    assert len(reader.pages) == 1
    text = " ".join(reader.pages[0].extract_text().split())
    assert "Backorder list" in text and "Ann Smith" in text and "Bob Jones" in text
    assert "2 lines waiting for 5 units" in text
    assert "Page 1 of 1" in text


def test_main_py_draws_the_pdf_in_a_process_of_its_own(tmp_path: Path) -> None:
    # A real process: the command line starts without Qt and makes a screenless one.
    location = str(tmp_path / "shop.db")
    seed(location)
    out = tmp_path / "list.pdf"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "main.py"),
            "export",
            "backorders",
            "--db",
            location,
            "--out",
            str(out),
            "--min-days",
            "7",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"Exported 1 line to {out} (1 page)."
    assert out.read_bytes().startswith(b"%PDF")
    text = " ".join(PdfReader(out).pages[0].extract_text().split())
    assert "Ann Smith" in text and "Bob Jones" not in text
    assert "waiting 7 days or more" in text
