"""The command line (``python main.py <command>``): results, exit codes and refusals.

Most tests call ``app.cli.run`` in-process; a few run ``main.py`` for real to prove the
entry point. A refusal must print one line, exit 2 (3 for an undecided shortage) and leave
the store exactly as it was: ``snapshot`` compares every row of every table.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from app import cli
from app.check import run_checks
from app.clock import to_local, utcnow
from app.controller import Controller, Decision, OrderItem
from app.models import ALL_MODELS, AuditEvent, Staff, Supplier
from app.store import ENV_VAR, open_store
from tests.conftest import FakeClock, Ran

ROOT = Path(__file__).resolve().parents[1]
WIDGET_GTIN = "4006381333931"
BAD_CHECK_DIGIT = "4006381333932"


def snapshot(location: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to prove that a refused command wrote nothing."""
    store = open_store(location)
    try:
        return {
            model._meta.table_name: list(model.select().order_by(model._meta.primary_key).tuples())
            for model in ALL_MODELS
        }
    finally:
        store.close()


@dataclass
class Shop:
    """A small seeded store: W-1 (3 in stock, barcode), G-2 (none), customer Ann."""

    location: str
    ann_id: int
    widget_id: int
    gadget_id: int


def seed(location: str, *, clock: FakeClock | None = None) -> Shop:
    store = open_store(location)
    try:
        controller = Controller(store, clock=clock or FakeClock(utcnow()))
        widget = controller.add_product(
            sku="W-1", name="Widget", price_cents=999, barcodes=[WIDGET_GTIN]
        )
        gadget = controller.add_product(sku="G-2", name="Gadget")
        ann = controller.add_customer(name="Ann Smith", email="ann@example.com")
        controller.adjust_stock(widget.id, 3, reason="opening count")
        return Shop(location, int(ann.id), int(widget.id), int(gadget.id))
    finally:
        store.close()


@pytest.fixture
def shop(store_location: str) -> Shop:
    """The seeded shop on SQLite and on PostgreSQL."""
    return seed(store_location)


@pytest.fixture
def sqlite_shop(tmp_path: Path) -> Shop:
    """The seeded shop on a SQLite file only (file-level behaviour)."""
    return seed(str(tmp_path / "shop.db"))


def with_store(location: str) -> Iterator[Controller]:
    store = open_store(location)
    try:
        yield Controller(store, clock=FakeClock(utcnow()))
    finally:
        store.close()


def assert_one_line_error(ran: Ran, *, code: int = 2) -> str:
    assert ran.code == code, (ran.code, ran.out, ran.err)
    lines = ran.err.strip().splitlines()
    assert len(lines) == 1, ran.err
    assert lines[0].startswith("backorder-desk: error: ")
    return lines[0]


# --------------------------------------------------------------- products


def test_product_add_then_list_as_json(cli_run: Any, store_location: str) -> None:
    added = cli_run(
        "product", "add", "--sku", "W-1", "--name", "Widget", "--barcode", WIDGET_GTIN,
        "--barcode", "SHELF-7", "--price", "9.99", "--reorder-point", "4",
        "--db", store_location, "--json",
    )  # fmt: skip
    assert added.code == 0, added.err
    assert added.doc["sku"] == "W-1"
    assert added.doc["barcodes"] == [WIDGET_GTIN, "SHELF-7"]
    assert added.doc["price"] == 9.99 and added.doc["reorder_point"] == 4
    cli_run("product", "add", "--sku", "G-2", "--name", "Gadget", "--db", store_location)

    listed = cli_run("--json", "--db", store_location, "product", "list")
    assert listed.code == 0
    products = listed.doc["products"]
    assert listed.doc["total"] == 2
    assert [p["sku"] for p in products] == ["G-2", "W-1"]
    for key in ("sku", "name", "barcodes", "on_hand", "reserved", "available", "waiting",
                "incoming"):  # fmt: skip
        assert key in products[0]

    searched = cli_run("product", "list", "--search", "shelf", "--json", "--db", store_location)
    assert [p["sku"] for p in searched.doc["products"]] == ["W-1"]


def test_product_list_is_an_aligned_table(cli_run: Any, shop: Shop) -> None:
    ran = cli_run("product", "list", "--db", shop.location)
    assert ran.code == 0
    lines = ran.out.splitlines()
    header, rule, first, second = lines[:4]
    assert header.split()[:3] == ["SKU", "Name", "Barcodes"]
    assert set(rule.replace(" ", "")) == {"-"}
    # Right-aligned numbers end in the same column as their heading.
    end = header.index("Available") + len("Available")
    widget_row = first if first.startswith("W-1") else second
    assert widget_row[:end].endswith(" 3")
    assert WIDGET_GTIN in widget_row
    assert "2 products." in ran.out


def test_product_list_pages_through_a_big_store(
    cli_run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    location = str(tmp_path / "big.db")
    for controller in with_store(location):
        for n in range(7):
            controller.add_product(sku=f"P-{n}", name=f"Product {n}")
    monkeypatch.setattr(cli, "PAGE", 3)
    as_json = cli_run("product", "list", "--json", "--db", location)
    assert [p["sku"] for p in as_json.doc["products"]] == [f"P-{n}" for n in range(7)]
    assert as_json.doc["total"] == 7
    as_text = cli_run("product", "list", "--db", location)
    assert [line.split()[0] for line in as_text.out.splitlines()[2:9]] == [
        f"P-{n}" for n in range(7)
    ]


def test_empty_product_list_says_so(cli_run: Any, tmp_path: Path) -> None:
    ran = cli_run("product", "list", "--db", str(tmp_path / "new.db"))
    assert ran.code == 0 and ran.out.strip() == "No products yet."
    as_json = cli_run("product", "list", "--json", "--db", str(tmp_path / "new.db"))
    assert as_json.doc == {"products": [], "total": 0}


# ------------------------------------------------------------- the options


@pytest.mark.parametrize(
    "args",
    [
        ["--json", "--db", "{db}", "product", "list"],
        ["product", "list", "--json", "--db", "{db}"],
        ["--db", "{db}", "product", "list", "--json"],
        ["--json", "product", "--db", "{db}", "list"],
    ],
)
def test_db_and_json_go_before_or_after_the_command(
    cli_run: Any, sqlite_shop: Shop, args: list[str]
) -> None:
    ran = cli_run(*[arg.replace("{db}", sqlite_shop.location) for arg in args])
    assert ran.code == 0, ran.err
    assert ran.doc["total"] == 2


def test_db_comes_from_the_environment(
    cli_run: Any, sqlite_shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_VAR, sqlite_shop.location)
    ran = cli_run("product", "list", "--json")
    assert ran.doc["total"] == 2


def test_staff_option_names_who_acted(cli_run: Any, sqlite_shop: Shop) -> None:
    for _controller in with_store(sqlite_shop.location):
        bea = Staff.create(name="Bea", role="clerk")
        bea_id = int(bea.id)
    ran = cli_run(
        "customer", "add", "--name", "Carl", "--staff", "bea", "--db", sqlite_shop.location
    )
    assert ran.code == 0, ran.err
    for _controller in with_store(sqlite_shop.location):
        last = AuditEvent.select().order_by(AuditEvent.id.desc()).get()
        assert (last.action, last.staff_id) == ("customer.add", bea_id)


def test_help_lists_every_command(cli_run: Any) -> None:
    ran = cli_run("--help")
    assert ran.code == 0
    for name in cli.COMMANDS:
        assert name in ran.out
    assert "exit codes" in ran.out


# ------------------------------------------------------------------ orders


def test_shortage_without_decision_exits_3_and_writes_nothing(cli_run: Any, shop: Shop) -> None:
    before = snapshot(shop.location)
    ran = cli_run(
        "order", "add", "--customer", "Ann Smith", "--line", "W-1=5", "--line", "G-2=1",
        "--db", shop.location,
    )  # fmt: skip
    assert ran.code == 3
    assert "W-1" in ran.err and "short by 2" in ran.err
    assert "3 can go with you today; the other 2 are not dated yet" in ran.err
    assert "None of the 1 are in stock today" in ran.err
    assert "--on-short" in ran.err
    assert snapshot(shop.location) == before

    as_json = cli_run(
        "order", "add", "--customer", "Ann Smith", "--line", "W-1=5", "--json",
        "--db", shop.location,
    )  # fmt: skip
    assert as_json.code == 3
    assert "error" in as_json.doc
    [shortage] = as_json.doc["shortages"]
    assert (shortage["sku"], shortage["available"], shortage["short_by"]) == ("W-1", 3, 2)
    assert shortage["sentence"].startswith("3 can go with you today")
    assert snapshot(shop.location) == before


def test_order_that_waits_json_shape(cli_run: Any, shop: Shop) -> None:
    ran = cli_run(
        "order", "add", "--customer", str(shop.ann_id), "--line", "W-1=5",
        "--line", f"{WIDGET_GTIN}=1", "--line", "G-2=2", "--on-short", "wait", "--json",
        "--db", shop.location,
    )  # fmt: skip
    assert ran.code == 0, ran.err
    doc = ran.doc
    assert isinstance(doc["order_id"], int)
    by_sku = {line["sku"]: line for line in doc["lines"]}
    # The SKU line and the barcode line name the same product, so they merge.
    assert set(by_sku) == {"W-1", "G-2"}
    widget = by_sku["W-1"]
    assert {k: widget[k] for k in ("ordered", "reserved", "waiting", "cancelled", "status")} == {
        "ordered": 6,
        "reserved": 3,
        "waiting": 3,
        "cancelled": 0,
        "status": "waiting",
    }
    assert isinstance(widget["line_id"], int)
    assert by_sku["G-2"]["status"] == "waiting"
    assert run_checks_on(shop.location) == []


def test_order_human_summary_names_the_expected_date(cli_run: Any, shop: Shop) -> None:
    expected = utcnow().date() + timedelta(days=10)
    booked = cli_run(
        "po", "add", "--supplier", "Acme", "--expected", expected.isoformat(),
        "--line", "W-1=10", "--db", shop.location,
    )  # fmt: skip
    assert booked.code == 0, booked.err
    ran = cli_run(
        "order", "add", "--customer", "ann smith", "--line", "W-1=5", "--on-short", "wait",
        "--db", shop.location,
    )  # fmt: skip
    assert ran.code == 0, ran.err
    first = ran.out.splitlines()[0]
    assert first.startswith("Order ") and "placed for Ann Smith: 3 reserved, 2 waiting" in first
    assert f"expected around {expected.day} {expected:%b}" in first
    assert expected.isoformat() in ran.out  # the per-line table shows the ISO date


def test_order_cancel_on_short_keeps_what_is_there(cli_run: Any, shop: Shop) -> None:
    ran = cli_run(
        "order", "add", "--customer", "Ann Smith", "--line", "W-1=2", "--line", "G-2=1",
        "--on-short", "cancel", "--json", "--db", shop.location,
    )  # fmt: skip
    assert ran.code == 0, ran.err
    statuses = {line["sku"]: line["status"] for line in ran.doc["lines"]}
    assert statuses == {"W-1": "ready", "G-2": "cancelled"}
    queue = cli_run("backorders", "--json", "--db", shop.location)
    assert queue.doc == {"backorders": [], "total": 0}


# ------------------------------------------------------ receiving, the queue


def place_waiting(location: str, *, clock: FakeClock, customer: str, qty: int) -> int:
    """Place an order for ``qty`` G-2 (none in stock) that waits; returns its line id."""
    for controller in with_store(location):
        controller.clock = clock
        cust_id = int(controller.find_customer(customer).id)
        gadget = int(controller.find_product("G-2").id)
        placed = controller.place_order(
            cust_id, [OrderItem(gadget, qty)], decisions={gadget: Decision.WAIT}
        )
        return placed.lines[0].line_id
    raise AssertionError("unreachable")


def test_receive_serves_the_queue_json(cli_run: Any, shop: Shop) -> None:
    clock = FakeClock(utcnow() - timedelta(days=3))
    for controller in with_store(shop.location):
        controller.add_customer(name="Bob Jones")
    first = place_waiting(shop.location, clock=clock, customer="Ann Smith", qty=2)
    clock.advance(hours=1)
    second = place_waiting(shop.location, clock=clock, customer="Bob Jones", qty=3)

    ran = cli_run("receive", "--line", "G-2=4", "--line", f"{WIDGET_GTIN}=1", "--json",
                  "--db", shop.location)  # fmt: skip
    assert ran.code == 0, ran.err
    doc = ran.doc
    [filled] = doc["fulfilled"]
    assert (filled["line_id"], filled["customer"], filled["sku"], filled["qty"]) == (
        first,
        "Ann Smith",
        "G-2",
        2,
    )
    assert isinstance(filled["order_id"], int)
    [partial] = doc["partial"]
    assert (partial["line_id"], partial["customer"], partial["qty"]) == (second, "Bob Jones", 2)
    assert doc["left_in_stock"] == {"G-2": 0, "W-1": 4}
    assert run_checks_on(shop.location) == []


def test_receive_human_report(cli_run: Any, shop: Shop) -> None:
    place_waiting(shop.location, clock=FakeClock(utcnow()), customer="Ann Smith", qty=2)
    ran = cli_run("receive", "--line", "G-2=5", "--db", shop.location)
    assert ran.code == 0, ran.err
    assert ran.out.startswith("Receipt ") and "booked: 5 units of 1 product." in ran.out
    assert "Ready to ship now (1 line):" in ran.out and "Ann Smith" in ran.out
    assert "Available on the shelf now: G-2 3." in ran.out


def test_receive_against_a_purchase_order_closes_it(cli_run: Any, shop: Shop) -> None:
    booked = cli_run(
        "po", "add", "--supplier", "Acme", "--expected", "2030-01-15", "--line", "G-2=4",
        "--json", "--db", shop.location,
    )  # fmt: skip
    po_id = booked.doc["purchase_order_id"]
    ran = cli_run("receive", "--line", "G-2=4", "--po", str(po_id), "--json", "--db", shop.location)
    assert ran.code == 0, ran.err
    assert ran.doc["purchase_order_closed"] is True
    listed = cli_run("po", "list", "--status", "all", "--json", "--db", shop.location)
    assert [(p["purchase_order_id"], p["status"], p["received"]) for p in listed.doc[
        "purchase_orders"]] == [(po_id, "closed", 4)]  # fmt: skip


def test_backorders_in_serving_order_json(cli_run: Any, shop: Shop) -> None:
    placed_at = utcnow() - timedelta(days=5)
    clock = FakeClock(placed_at)
    for controller in with_store(shop.location):
        controller.add_customer(name="Bob Jones")
    ann_line = place_waiting(shop.location, clock=clock, customer="Ann Smith", qty=2)
    clock.advance(days=2)
    bob_line = place_waiting(shop.location, clock=clock, customer="Bob Jones", qty=3)
    expected = utcnow().date() + timedelta(days=7)
    cli_run("po", "add", "--supplier", "Acme", "--expected", expected.isoformat(),
            "--line", "G-2=2", "--db", shop.location)  # fmt: skip

    ran = cli_run("backorders", "--json", "--db", shop.location)
    assert ran.code == 0, ran.err
    assert ran.doc["total"] == 2
    rows = ran.doc["backorders"]
    assert [r["line_id"] for r in rows] == [ann_line, bob_line]
    ann = rows[0]
    for key in ("order_id", "customer", "sku", "waiting", "priority", "placed_at"):
        assert key in ann
    assert (ann["customer"], ann["sku"], ann["waiting"], ann["days_waiting"]) == (
        "Ann Smith",
        "G-2",
        2,
        5,
    )
    # The PO covers Ann's 2 units only, so Bob has no date yet.
    assert ann["eta"] == expected.isoformat() and rows[1]["eta"] is None

    table = cli_run("backorders", "--db", shop.location)
    assert table.out.splitlines()[0].split() == [
        "Line", "Order", "Customer", "SKU", "Waiting", "Priority", "Placed", "Days", "ETA",
    ]  # fmt: skip
    assert "2 lines waiting for 5 units." in table.out
    ann_row, bob_row = table.out.splitlines()[2:4]
    assert ann_row.split()[:4] == [str(ann_line), str(rows[0]["order_id"]), "Ann", "Smith"]
    assert to_local(placed_at).date().isoformat() in ann_row
    assert ann_row.endswith(expected.isoformat()) and bob_row.endswith("not dated")

    raised = cli_run("backorder", "priority", str(bob_line), "5", "--db", shop.location)
    assert raised.code == 0 and "priority 5" in raised.out
    after = cli_run("backorders", "--json", "--db", shop.location).doc["backorders"]
    assert [r["line_id"] for r in after] == [bob_line, ann_line]

    limited = cli_run("backorders", "--limit", "1", "--json", "--db", shop.location)
    assert len(limited.doc["backorders"]) == 1 and limited.doc["total"] == 2
    only_bob = cli_run("backorders", "--customer", "Bob Jones", "--json", "--db", shop.location)
    assert [r["line_id"] for r in only_bob.doc["backorders"]] == [bob_line]
    by_product = cli_run("backorders", "--product", "W-1", "--json", "--db", shop.location)
    assert by_product.doc == {"backorders": [], "total": 0}


def test_priority_takes_a_negative_number(cli_run: Any, shop: Shop) -> None:
    line = place_waiting(shop.location, clock=FakeClock(utcnow()), customer="Ann Smith", qty=1)
    ran = cli_run("backorder", "priority", str(line), "-5", "--json", "--db", shop.location)
    assert ran.code == 0, ran.err
    assert ran.doc == {"line_id": line, "priority": -5}


def test_cancel_a_waiting_line_passes_units_on(cli_run: Any, shop: Shop) -> None:
    clock = FakeClock(utcnow())
    for controller in with_store(shop.location):
        controller.add_customer(name="Bob Jones")
        controller.clock = clock
        gadget = controller.find_product("G-2")
        controller.adjust_stock(int(gadget.id), 2, reason="found two")
    ann_line = place_waiting(shop.location, clock=clock, customer="Ann Smith", qty=4)
    clock.advance(minutes=5)
    bob_line = place_waiting(shop.location, clock=clock, customer="Bob Jones", qty=1)

    ran = cli_run("backorder", "cancel", str(ann_line), "--reason", "changed her mind", "--json",
                  "--db", shop.location)  # fmt: skip
    assert ran.code == 0, ran.err
    assert [f["line_id"] for f in ran.doc["fulfilled"]] == [bob_line]
    again = cli_run("backorder", "cancel", str(ann_line), "--db", shop.location)
    assert "nothing left to cancel" in assert_one_line_error(again)
    assert run_checks_on(shop.location) == []


def test_ship_an_order(cli_run: Any, shop: Shop) -> None:
    placed = cli_run("order", "add", "--customer", "Ann Smith", "--line", "W-1=2", "--json",
                     "--db", shop.location)  # fmt: skip
    order_id = placed.doc["order_id"]
    ran = cli_run("ship", str(order_id), "--db", shop.location)
    assert ran.code == 0, ran.err
    assert ran.out.startswith(f"Order {order_id} shipped: 2 units on 1 line.")
    again = cli_run("ship", str(order_id), "--json", "--db", shop.location)
    assert "nothing ready to ship" in assert_one_line_error(again)
    assert "error" in again.doc
    listed = cli_run("product", "list", "--search", "W-1", "--json", "--db", shop.location)
    assert listed.doc["products"][0]["on_hand"] == 1


# ---------------------------------------------------------- purchase orders


def test_po_add_creates_the_supplier_and_counts_as_incoming(cli_run: Any, shop: Shop) -> None:
    ran = cli_run(
        "po", "add", "--supplier", "Acme Wholesale", "--expected", "2030-03-01",
        "--line", "W-1=10", "--line", "G-2=5", "--line", "W-1=2", "--json", "--db", shop.location,
    )  # fmt: skip
    assert ran.code == 0, ran.err
    assert ran.doc["supplier"] == "Acme Wholesale" and ran.doc["expected"] == "2030-03-01"
    assert ran.doc["lines"] == [{"sku": "W-1", "qty": 12}, {"sku": "G-2", "qty": 5}]
    second = cli_run("po", "add", "--supplier", "acme wholesale", "--expected", "2030-04-01",
                     "--line", "G-2=1", "--db", shop.location)  # fmt: skip
    assert second.code == 0 and "booked with Acme Wholesale" in second.out
    for _controller in with_store(shop.location):
        assert Supplier.select().count() == 1
    incoming = cli_run("product", "list", "--json", "--db", shop.location).doc["products"]
    assert {p["sku"]: p["incoming"] for p in incoming} == {"W-1": 12, "G-2": 6}
    table = cli_run("po", "list", "--db", shop.location)
    assert "2 open purchase orders." in table.out and "2030-03-01" in table.out


# ------------------------------------------------------------------- stock


@pytest.mark.parametrize(("delta", "on_hand"), [("+5", 8), ("-2", 1), ("7", 10)])
def test_stock_adjust_takes_signed_deltas(
    cli_run: Any, sqlite_shop: Shop, delta: str, on_hand: int
) -> None:
    ran = cli_run("stock", "adjust", "W-1", delta, "--reason", "count", "--json",
                  "--db", sqlite_shop.location)  # fmt: skip
    assert ran.code == 0, ran.err
    assert ran.doc["on_hand"] == on_hand and ran.doc["delta"] == int(delta)


def test_stock_adjust_human_and_refusals(cli_run: Any, sqlite_shop: Shop) -> None:
    before = snapshot(sqlite_shop.location)
    too_many = cli_run(
        "stock", "adjust", "W-1", "-9", "--reason", "x", "--db", sqlite_shop.location
    )
    assert "Cannot take 9 off W-1" in assert_one_line_error(too_many)
    no_reason = cli_run("stock", "adjust", "W-1", "-1", "--db", sqlite_shop.location)
    assert "--reason" in assert_one_line_error(no_reason)
    assert snapshot(sqlite_shop.location) == before
    ran = cli_run("stock", "adjust", WIDGET_GTIN, "-1", "--reason", "broken", "--db",
                  sqlite_shop.location)  # fmt: skip
    assert ran.out.strip() == "Stock of W-1 changed by -1: now 2 on hand, 2 available."


# -------------------------------------------------------------- customers


def test_customer_add_and_list(cli_run: Any, store_location: str) -> None:
    added = cli_run("customer", "add", "--name", "Ann Smith", "--email", "Ann@Example.com",
                    "--phone", "555 0101", "--json", "--db", store_location)  # fmt: skip
    assert added.code == 0, added.err
    assert added.doc["name"] == "Ann Smith" and added.doc["email"] == "Ann@example.com"
    cli_run("customer", "add", "--name", "Bob Jones", "--db", store_location)
    listed = cli_run("customer", "list", "--json", "--db", store_location)
    assert [c["name"] for c in listed.doc["customers"]] == ["Ann Smith", "Bob Jones"]
    found = cli_run("customer", "list", "--search", "0101", "--db", store_location)
    assert "Ann Smith" in found.out and "Bob Jones" not in found.out


# ------------------------------------------------------------------- check


def test_check_reports_findings_with_exit_1(cli_run: Any, sqlite_shop: Shop) -> None:
    ok = cli_run("check", "--json", "--db", sqlite_shop.location)
    assert (ok.code, ok.doc) == (0, {"ok": True, "findings": []})
    conn = sqlite3.connect(sqlite_shop.location)
    with conn:
        conn.execute("UPDATE product SET on_hand = 99 WHERE sku = 'W-1'")
    conn.close()
    broken = cli_run("check", "--db", sqlite_shop.location)
    assert broken.code == 1
    assert "Product W-1: on hand is 99 but its stock movements add up to 3." in broken.out
    as_json = cli_run("check", "--json", "--db", sqlite_shop.location)
    assert as_json.code == 1 and as_json.doc["ok"] is False and as_json.doc["findings"]


def run_checks_on(location: str) -> list[str]:
    for _controller in with_store(location):
        return run_checks()
    raise AssertionError("unreachable")


# -------------------------------------------------------------- bad input


BAD_INPUT = {
    "unknown SKU": (["order", "add", "--customer", "Ann Smith", "--line", "NOPE=1"], "NOPE"),
    "unknown barcode": (
        ["order", "add", "--customer", "Ann Smith", "--line", "4006381333948=1"],
        "4006381333948",
    ),
    "wrong check digit in a line": (
        ["receive", "--line", f"{BAD_CHECK_DIGIT}=1"],
        "check digit",
    ),
    "wrong check digit on a new product": (
        ["product", "add", "--sku", "N-1", "--name", "New", "--barcode", BAD_CHECK_DIGIT],
        "check digit",
    ),
    "quantity 0": (["receive", "--line", "W-1=0"], "cannot be 0"),
    "negative quantity": (["receive", "--line", "W-1=-4"], "negative"),
    "fractional quantity": (["receive", "--line", "W-1=1.5"], "whole number"),
    "absurd quantity": (["receive", "--line", "W-1=99999999999"], "too large"),
    "quantity not a number": (["receive", "--line", "W-1=lots"], "whole number"),
    "line without =": (["receive", "--line", "W-1"], "SKU=QTY"),
    "line without a product": (["receive", "--line", "=3"], "names no product"),
    "no lines": (["receive"], "--line"),
    "duplicate SKU": (["product", "add", "--sku", "W-1", "--name", "Again"], "already used"),
    "duplicate barcode": (
        ["product", "add", "--sku", "N-1", "--name", "New", "--barcode", WIDGET_GTIN],
        "already belongs to product W-1",
    ),
    "malformed e-mail": (["customer", "add", "--name", "Eve", "--email", "eve@"], "E-mail"),
    "malformed date": (
        ["po", "add", "--supplier", "NewCo", "--expected", "2030-02-30", "--line", "W-1=1"],
        "YYYY-MM-DD",
    ),
    "bad price": (
        ["product", "add", "--sku", "N-1", "--name", "New", "--price", "9.999"],
        "two decimals",
    ),  # fmt: skip
    "unknown customer": (["order", "add", "--customer", "Zed", "--line", "W-1=1"], "Zed"),
    "unknown staff": (["product", "list", "--staff", "Nobody"], "Nobody"),
    "bad priority": (
        ["order", "add", "--customer", "Ann Smith", "--line", "W-1=1", "--priority", "500"],
        "Priority",
    ),
    "bad order id": (["ship", "twelve"], "not an id"),
    "unknown order": (["ship", "999"], "no order 999"),
    "unknown PO": (["receive", "--line", "W-1=1", "--po", "42"], "purchase order 42"),
    "missing option": (["product", "add", "--sku", "N-1"], "--name"),
    "unknown command": (["frobnicate"], "invalid choice"),
    "bad --on-short": (
        ["order", "add", "--customer", "Ann Smith", "--line", "W-1=9", "--on-short", "later"],
        "invalid choice",
    ),
    "demo on a store with products": (["demo"], "already has products"),
}


@pytest.mark.parametrize("case", list(BAD_INPUT), ids=list(BAD_INPUT))
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    cli_run: Any, sqlite_shop: Shop, case: str
) -> None:
    args, expected = BAD_INPUT[case]
    before = snapshot(sqlite_shop.location)
    ran = cli_run(*args, "--db", sqlite_shop.location)
    line = assert_one_line_error(ran)
    assert expected.lower() in line.lower(), line
    assert ran.out == ""
    assert snapshot(sqlite_shop.location) == before

    as_json = cli_run("--json", *args, "--db", sqlite_shop.location)
    assert as_json.code == 2
    assert as_json.doc["error"] == line.removeprefix("backorder-desk: error: ")
    assert snapshot(sqlite_shop.location) == before


def test_usage_errors_name_the_command_help(cli_run: Any) -> None:
    ran = cli_run("stock", "adjust", "W-1")
    line = assert_one_line_error(ran)
    assert line.endswith("(see stock adjust --help)")
    assert "--reason" in line or "DELTA" in line


def test_bad_input_does_not_create_a_store(cli_run: Any, tmp_path: Path) -> None:
    target = tmp_path / "never.db"
    ran = cli_run("order", "add", "--customer", "Ann", "--line", "W-1=0", "--db", str(target))
    assert_one_line_error(ran)
    assert not target.exists()


# --------------------------------------------------------- unusable stores


def make_read_only(folder: Path, request: pytest.FixtureRequest) -> None:
    """A folder nobody may write to; root ignores permission bits, so it also gets the
    immutable attribute (which binds root too)."""
    folder.chmod(0o555)
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(folder)], check=True)

    def undo() -> None:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        folder.chmod(0o755)

    request.addfinalizer(undo)


def test_store_in_a_read_only_folder_cannot_be_created(
    cli_run: Any, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    folder = tmp_path / "locked-away"
    folder.mkdir()
    make_read_only(folder, request)
    ran = cli_run("product", "add", "--sku", "A", "--name", "A", "--db", str(folder / "new.db"))
    line = assert_one_line_error(ran)
    assert "Cannot create the store" in line and "new.db" in line
    assert list(folder.iterdir()) == []


def test_existing_store_in_a_read_only_folder_is_refused_unchanged(
    cli_run: Any, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    location = str(folder / "shop.db")
    seed(location)
    for path in folder.glob("shop.db-*"):
        path.unlink()  # closed cleanly: the WAL is checkpointed, as after a normal exit
    data = Path(location).read_bytes()
    make_read_only(folder, request)
    ran = cli_run("product", "add", "--sku", "A", "--name", "A", "--db", location)
    line = assert_one_line_error(ran)
    assert location in line
    assert Path(location).read_bytes() == data


def test_locked_store_is_refused_and_left_as_it_was(
    cli_run: Any, sqlite_shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BACKORDER_DESK_BUSY_TIMEOUT_MS", "50")
    before = snapshot(sqlite_shop.location)
    holder = sqlite3.connect(sqlite_shop.location, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        ran = cli_run(
            "product", "add", "--sku", "L-1", "--name", "Lamp", "--db", sqlite_shop.location
        )
        line = assert_one_line_error(ran)
        assert "locked by another program" in line and "nothing was written" in line
        receive = cli_run("receive", "--line", "W-1=1", "--json", "--db", sqlite_shop.location)
        assert receive.code == 2 and "locked" in receive.doc["error"]
    finally:
        holder.rollback()
        holder.close()
    assert snapshot(sqlite_shop.location) == before


def test_a_file_that_is_not_a_database_is_refused_untouched(cli_run: Any, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("shopping list: milk, eggs\n")
    ran = cli_run("product", "list", "--db", str(notes))
    line = assert_one_line_error(ran)
    assert "not a Backorder Desk store" in line
    assert notes.read_text() == "shopping list: milk, eggs\n"


def test_a_sqlite_file_of_another_program_is_refused_untouched(
    cli_run: Any, tmp_path: Path
) -> None:
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    with conn:
        conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, path TEXT)")
    conn.close()
    data = other.read_bytes()
    ran = cli_run("customer", "add", "--name", "Ann", "--db", str(other))
    assert "not a Backorder Desk store" in assert_one_line_error(ran)
    assert other.read_bytes() == data


# -------------------------------------------------------------------- demo


def test_demo_refuses_a_store_with_products(cli_run: Any, sqlite_shop: Shop) -> None:
    before = snapshot(sqlite_shop.location)
    ran = cli_run("demo", "--db", sqlite_shop.location)
    assert "already has products" in assert_one_line_error(ran)
    assert snapshot(sqlite_shop.location) == before


def test_demo_fills_a_new_store(cli_run: Any, tmp_path: Path) -> None:
    location = str(tmp_path / "demo.db")
    ran = cli_run("demo", "--size", "small", "--json", "--db", location)
    assert ran.code == 0, ran.err
    assert isinstance(ran.doc, dict) and ran.doc
    listed = cli_run("product", "list", "--json", "--db", location)
    assert listed.doc["total"] > 0
    assert cli_run("check", "--db", location).code == 0
    human = cli_run("demo", "--db", str(tmp_path / "demo2.db"))
    assert human.code == 0 and human.out.startswith("Demo shop ready")


# --------------------------------------------------------- the real entry


def main_py(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python main.py ...`` for real, as a user would."""
    env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )


def test_main_py_runs_commands(tmp_path: Path) -> None:
    location = str(tmp_path / "real.db")
    added = main_py("--json", "product", "add", "--sku", "W-1", "--name", "Widget",
                    "--barcode", WIDGET_GTIN, "--db", location)  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["sku"] == "W-1"
    main_py("customer", "add", "--name", "Ann", "--db", location)

    short = main_py("order", "add", "--customer", "Ann", "--line", f"{WIDGET_GTIN}=2",
                    "--db", location)  # fmt: skip
    assert short.returncode == 3
    assert "None of the 2 are in stock today" in short.stderr

    bad = main_py("receive", "--line", "W-1=0", "--db", location)
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and "cannot be 0" in bad.stderr
    assert bad.stdout == ""

    usage = main_py("product", "add", "--db", location)
    assert usage.returncode == 2 and usage.stderr.count("\n") == 1
    assert snapshot(location)["customer_order"] == []


def test_dates_in_sentences_carry_the_year_only_when_it_differs() -> None:
    year = utcnow().year
    assert cli._expected(date(year, 12, 12)) == "expected around 12 Dec"
    assert cli._expected(date(year + 1, 1, 3)) == f"expected around 3 Jan {year + 1}"
    assert cli._expected(None) == "no delivery date yet"
