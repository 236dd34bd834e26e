"""The audit log as a manager reads it: newest first, paged, filtered by person, kind of
action, text and dates, each event said in words. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from app import audit_queries
from app.audit_queries import AuditFilter, AuditRow, count_events, events
from app.clock import to_local
from app.controller import Controller, Decision, OrderItem
from app.errors import UserError
from app.models import AuditEvent, Staff
from app.store import Store
from tests.conftest import FakeClock


def staff_member(controller: Controller, name: str, role: str) -> Controller:
    """A controller acting as a new staff member with ``role`` (added by the manager, who
    sets their own password first: with two accounts everyone signs in)."""
    if Staff.get_by_id(controller.staff_id).password_hash is None:
        controller.set_staff_password(controller.staff_id, "manager pass 1")
    staff = controller.add_staff(name, role, "correct horse 1")
    return Controller(controller.store, staff_id=staff.id, clock=controller.clock)


def shop(controller: Controller, clock: FakeClock) -> dict[str, int]:
    """Two days of work by a manager (Admin) and a clerk (Carla).

    Day 1: Admin adds two products and counts stock in; Carla adds a customer and places
    an order that waits. Day 3: Admin takes 2 units off as damaged.
    """
    carla = staff_member(controller, "Carla", "clerk")
    bolt = controller.add_product(sku="BOLT-10", name="Bolt 10 mm", price_cents=20).id
    nut = controller.add_product(sku="NUT_10", name="Nut 10 mm", price_cents=10).id
    clock.advance(minutes=5)
    controller.adjust_stock(bolt, 5, reason="Opening count")
    clock.advance(minutes=5)
    customer = carla.add_customer(name="Jürgen Müller", email="jm@example.com").id
    clock.advance(minutes=5)
    placed = carla.place_order(
        customer, [OrderItem(bolt, 8)], decisions={bolt: Decision.WAIT}
    ).order_id
    clock.advance(days=2)
    controller.adjust_stock(nut, 10, reason="Found on the shelf")
    clock.advance(minutes=1)
    controller.adjust_stock(bolt, 1, reason="Returned by a customer")
    return {
        "bolt": bolt,
        "nut": nut,
        "customer": customer,
        "order": placed,
        "carla": carla.staff_id,
        "admin": controller.staff_id,
    }


def actions(rows: list[AuditRow]) -> list[str]:
    return [row.action for row in rows]


def test_newest_first_with_count_and_pages_that_join_up(
    controller: Controller, clock: FakeClock
) -> None:
    shop(controller, clock)
    everything = events(AuditFilter(), limit=100)
    assert count_events() == len(everything) == AuditEvent.select().count()
    stamps = [(row.at, row.event_id) for row in everything]
    assert stamps == sorted(stamps, reverse=True)
    assert everything[0].action == "stock.adjust"
    assert everything[0].summary == "Added 1 unit; reason: Returned by a customer"
    # Page by page (keyset and offset) gives the same rows, none twice.
    first = events(AuditFilter(), limit=3)
    after = events(AuditFilter(), limit=100, after=first[-1])
    skipped = events(AuditFilter(), offset=3, limit=100)
    assert [r.event_id for r in first + after] == [r.event_id for r in everything]
    assert [r.event_id for r in skipped] == [r.event_id for r in after]
    oldest = events(AuditFilter(), limit=100, oldest_first=True)
    assert [r.event_id for r in oldest] == [r.event_id for r in reversed(everything)]


def test_filter_by_staff_member(controller: Controller, clock: FakeClock) -> None:
    ids = shop(controller, clock)
    carla = events(AuditFilter(staff_id=ids["carla"]))
    assert actions(carla) == ["order.place", "customer.add"]
    assert {row.staff for row in carla} == {"Carla"}
    assert count_events(AuditFilter(staff_id=ids["carla"])) == 2
    admin = events(AuditFilter(staff_id=ids["admin"]))
    assert "order.place" not in actions(admin)
    assert len(admin) + len(carla) == count_events()


def test_busy_and_rare_staff_members_give_the_same_page(
    controller: Controller, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = shop(controller, clock)
    rare = [r.event_id for r in events(AuditFilter(staff_id=ids["admin"]))]
    monkeypatch.setattr(audit_queries, "BUSY_STAFF", 2)  # Admin now walks the time index
    busy = [r.event_id for r in events(AuditFilter(staff_id=ids["admin"]))]
    assert busy == rare and len(rare) >= 5


def test_filter_by_kind_of_action(controller: Controller, clock: FakeClock) -> None:
    shop(controller, clock)
    stock = events(AuditFilter(kind="stock"))
    assert actions(stock) == ["stock.adjust"] * 3
    assert [row.summary for row in stock] == [
        "Added 1 unit; reason: Returned by a customer",
        "Added 10 units; reason: Found on the shelf",
        "Added 5 units; reason: Opening count",
    ]
    assert actions(events(AuditFilter(kind="order.place"))) == ["order.place"]
    assert count_events(AuditFilter(kind="product")) == 2
    assert events(AuditFilter(kind="po")) == []


def test_search_finds_skus_reasons_people_and_numbers(
    controller: Controller, clock: FakeClock
) -> None:
    ids = shop(controller, clock)
    damaged = events(AuditFilter(search="on the SHELF"))
    assert [row.summary for row in damaged] == ["Added 10 units; reason: Found on the shelf"]
    assert damaged[0].subject == "Product NUT_10"
    # A name with accents is stored JSON-escaped; it is found as typed.
    found = events(AuditFilter(search="Müller"))
    assert actions(found) == ["customer.add"]
    assert found[0].summary == "“Jürgen Müller”"
    # By who did it, or whom it was about.
    assert {(row.staff, row.action) for row in events(AuditFilter(search="carla"))} == {
        ("Carla", "order.place"),
        ("Carla", "customer.add"),
        ("Admin", "staff.add"),
    }
    # A number finds the order (and anything else with that id).
    by_number = events(AuditFilter(search=f"#{ids['order']}"))
    assert "order.place" in actions(by_number)
    placed = next(row for row in by_number if row.action == "order.place")
    assert placed.subject == f"Order {ids['order']}"
    assert placed.summary.startswith("For Jürgen Müller: 1 line, 8 units (5 reserved, 3 waiting)")
    assert "customer waits for BOLT-10" in placed.summary
    # An action by its label, as the log shows it.
    assert actions(events(AuditFilter(search="stock ADJUSTED"))) == ["stock.adjust"] * 3
    # LIKE wildcards are searched as characters, not as patterns.
    assert [row.subject for row in events(AuditFilter(search="T_1"))] == ["Product NUT_10"]
    assert events(AuditFilter(search="%")) == []
    assert events(AuditFilter(search="'; DROP TABLE audit_event; --")) == []
    assert count_events() > 0


def test_filter_by_local_dates(controller: Controller, clock: FakeClock) -> None:
    shop(controller, clock)
    days = sorted({to_local(row.at).date() for row in events(AuditFilter(), limit=100)})
    first, last = days[0], days[-1]
    assert (last - first).days >= 2
    early = events(AuditFilter(until=first))
    late = events(AuditFilter(since=last))
    assert {to_local(r.at).date() for r in early} == {first}
    assert {to_local(r.at).date() for r in late} == {last}
    assert len(early) + len(late) == count_events()
    middle = first + timedelta(days=1)
    assert count_events(AuditFilter(since=middle, until=middle)) == 0
    with pytest.raises(UserError, match="after the 'to' date") as refused:
        events(AuditFilter(since=last, until=first))
    assert refused.value.field == "until"


def test_a_huge_receipt_is_summarised_not_listed(controller: Controller, store: Store) -> None:
    products = [controller.add_product(sku=f"SKU-{n:03d}", name=f"Thing {n}").id for n in range(40)]
    controller.receive([OrderItem(pid, 3) for pid in products])
    row = events(AuditFilter(kind="receipt"))[0]
    assert row.action_label == "Goods received"
    assert row.summary == "120 units of 40 products"
    assert len(row.summary) <= audit_queries.MAX_SUMMARY


def test_unknown_actions_are_listed_in_words_without_secrets() -> None:
    summary = audit_queries.describe(
        "staff.something_new",
        "staff",
        1,
        {"password_hash": "scrypt$...", "role": ["clerk", "manager"], "active": False},
    )
    assert summary == "Role clerk → manager; not active"
    assert audit_queries.action_label("staff.something_new") == "Staff something new"
    assert json.dumps(summary).find("scrypt") == -1


def test_a_capped_count_stops_one_past_the_cap(controller: Controller, clock: FakeClock) -> None:
    for n in range(6):
        controller.add_product(sku=f"CAP-{n}", name=f"Cap {n}", price_cents=100)
    found = AuditFilter(search="CAP-")
    assert count_events(found) == 6
    assert count_events(found, cap=3) == 4  # "more than 3"
    assert count_events(found, cap=6) == 6  # all of them: the exact figure
