"""``po delay``, ``po confirm``, ``reorder`` and the ETA estimate on the command line:
JSON shapes, the human text, and bad input refused with exit 2 and one line on stderr.

Runs on SQLite and, with ``BACKORDER_DESK_TEST_PG`` set, on PostgreSQL. The commands use
the real clock, so dates here are relative to today.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest

from app.clock import to_local, utcnow
from app.controller import Controller, Decision, OrderItem
from app.models import CustomerMessage, PurchaseOrder
from app.store import open_store
from tests.conftest import FakeClock, Ran


def one_line_error(ran: Ran) -> str:
    assert ran.code == 2, (ran.code, ran.out, ran.err)
    (line,) = ran.err.strip().splitlines()
    assert line.startswith("backorder-desk: error: ")
    return line


def today() -> date:
    return to_local(utcnow()).date()


@dataclass
class Shop:
    """Acme (lead time 10 days) sells CUP (a PO of 4 in five days, Ann waits for 3) and
    LAMP (reorder point 2, none in stock, nothing booked; Bob waits for 1)."""

    location: str
    po_id: int
    acme_id: int


@pytest.fixture
def shop(store_location: str) -> Iterator[Shop]:
    store = open_store(store_location)
    try:
        clock = FakeClock(utcnow())
        desk = Controller(store, clock=clock)
        acme = desk.supplier_named("Acme", lead_time_days=10).id
        cup = desk.add_product(sku="CUP", name="Cup", supplier_id=acme).id
        lamp = desk.add_product(sku="LAMP", name="Lamp", reorder_point=2, supplier_id=acme).id
        ann = desk.add_customer(name="Ann Smith", email="ann@example.com").id
        bob = desk.add_customer(name="Bob Jones").id
        po = desk.add_purchase_order(
            supplier_id=acme, expected=today() + timedelta(days=5), items=[OrderItem(cup, 4)]
        )
        desk.place_order(ann, [OrderItem(cup, 3)], decisions={cup: Decision.WAIT})
        clock.advance(minutes=1)
        desk.place_order(bob, [OrderItem(lamp, 1)], decisions={lamp: Decision.WAIT})
        yield Shop(store_location, int(po.id), int(acme))
    finally:
        store.close()


def test_po_delay_tells_the_customers_and_reports_it(cli_run: Any, shop: Shop) -> None:
    later = today() + timedelta(days=12)
    ran = cli_run(
        "po", "delay", str(shop.po_id), later.isoformat(), "--json", "--db", shop.location
    )
    assert ran.code == 0, ran.err
    assert ran.doc == {
        "purchase_order_id": shop.po_id,
        "old_expected": (today() + timedelta(days=5)).isoformat(),
        "expected": later.isoformat(),
        "customers_told": 1,
        "lines_later": 1,
    }
    store = open_store(shop.location)
    try:
        (message,) = CustomerMessage.select().where(CustomerMessage.event == "eta_changed")
        assert "Cup" in message.body
    finally:
        store.close()

    text = cli_run("po", "delay", f"#{shop.po_id}", (later + timedelta(days=1)).isoformat(),
                   "--db", shop.location)  # fmt: skip
    assert text.code == 0, text.err
    assert f"Purchase order {shop.po_id} is now expected" in text.out
    assert "1 customer will be told of a later date (1 line)" in text.out


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["2026-13-01"], "is not valid: write it as YYYY-MM-DD"),
        (["TODAY"], "needs a later date"),
        (["2001-01-01"], "has already passed"),
    ],
)
def test_po_delay_refuses_bad_dates_and_writes_nothing(
    cli_run: Any, shop: Shop, args: list[str], says: str
) -> None:
    given = [today().isoformat() if arg == "TODAY" else arg for arg in args]
    before = cli_run("po", "list", "--json", "--db", shop.location).doc
    ran = cli_run("po", "delay", str(shop.po_id), *given, "--db", shop.location)
    line = one_line_error(ran)
    assert says in line
    if says == "needs a later date":  # the PO is due in five days, not today
        line = one_line_error(
            cli_run(
                "po",
                "delay",
                str(shop.po_id),
                (today() + timedelta(days=5)).isoformat(),
                "--db",
                shop.location,
            )  # fmt: skip
        )
        assert "needs a later date" in line
    assert cli_run("po", "list", "--json", "--db", shop.location).doc == before
    missing = cli_run("po", "delay", "999", "2030-01-01", "--json", "--db", shop.location)
    assert "There is no purchase order 999" in one_line_error(missing)
    assert missing.doc["field"] == "po"


def test_reorder_lists_groups_and_creates_a_draft_that_confirm_opens(
    cli_run: Any, shop: Shop
) -> None:
    listed = cli_run("reorder", "--json", "--db", shop.location)
    assert listed.code == 0, listed.err
    # CUP: 3 waiting - 4 incoming < 0, nothing; LAMP: 1 waiting + 2 reorder point = 3.
    assert listed.doc == {
        "groups": [
            {
                "supplier_id": shop.acme_id,
                "supplier": "Acme",
                "lead_time_days": 10,
                "products": 1,
                "units": 3,
                "lines": [
                    {
                        "product_id": listed.doc["groups"][0]["lines"][0]["product_id"],
                        "sku": "LAMP",
                        "name": "Lamp",
                        "waiting": 1,
                        "reorder_point": 2,
                        "available": 0,
                        "incoming": 0,
                        "drafted": 0,
                        "units": 3,
                    }
                ],
            }
        ],
        "total_units": 3,
    }
    table = cli_run("reorder", "--db", shop.location)
    assert "Acme, usual lead time 10 days: 3 units of 1 product" in table.out
    assert table.out.splitlines()[1].split() == [
        "SKU", "Product", "Waiting", "Reorder", "pt", "Available", "Incoming", "Drafted", "Buy",
    ]  # fmt: skip

    made = cli_run("reorder", "--create", "acme", "--json", "--db", shop.location)
    assert made.code == 0, made.err
    assert made.doc["status"] == "draft" and made.doc["supplier"] == "Acme"
    assert made.doc["lines"] == [{"sku": "LAMP", "qty": 3}]
    assert made.doc["expected"] == (today() + timedelta(days=10)).isoformat()
    po_id = made.doc["purchase_order_id"]
    drafts = cli_run("po", "list", "--status", "draft", "--json", "--db", shop.location)
    assert [p["purchase_order_id"] for p in drafts.doc["purchase_orders"]] == [po_id]
    nothing = cli_run("reorder", "--db", shop.location)
    assert "Nothing to reorder" in nothing.out

    again = cli_run("reorder", "--create", "Acme", "--db", shop.location)
    assert "Nothing needs ordering from Acme" in one_line_error(again)
    unknown = cli_run("reorder", "--create", "Nobody Ltd", "--db", shop.location)
    assert "No supplier is called 'Nobody Ltd'" in one_line_error(unknown)

    confirmed = cli_run("po", "confirm", str(po_id), "--json", "--db", shop.location)
    assert confirmed.code == 0, confirmed.err
    assert confirmed.doc["status"] == "open"
    twice = cli_run("po", "confirm", str(po_id), "--db", shop.location)
    assert "not a draft" in one_line_error(twice)
    store = open_store(shop.location)
    try:
        assert PurchaseOrder.get_by_id(po_id).status == "open"
    finally:
        store.close()


def test_backorders_show_the_lead_time_estimate_marked_as_such(cli_run: Any, shop: Shop) -> None:
    ran = cli_run("backorders", "--json", "--db", shop.location)
    assert ran.code == 0, ran.err
    by_sku = {row["sku"]: row for row in ran.doc["backorders"]}
    booked = (today() + timedelta(days=5)).isoformat()
    guess = (today() + timedelta(days=10)).isoformat()
    assert (by_sku["CUP"]["eta"], by_sku["CUP"]["eta_estimate"]) == (booked, None)
    assert (by_sku["LAMP"]["eta"], by_sku["LAMP"]["eta_estimate"]) == (None, guess)
    assert by_sku["CUP"]["eta_told"] == booked and by_sku["LAMP"]["eta_told"] is None

    text = cli_run("backorders", "--db", shop.location).out
    lamp_row = next(line for line in text.splitlines() if " LAMP " in line)
    assert lamp_row.endswith(f"~{guess} (estimate)")
