"""The dashboard's figures against a small shop whose every number was worked out by hand.

``build_history`` runs six weeks of a shop through the controller (orders that wait,
cancel at the counter, get served, get cancelled while waiting; receipts; purchase orders
late, due today, closed) and ends on Monday 14 December 2026, 09:00. The expected figures
below are counted from that story, not from the code. Waiting lines sit on both sides of
every aging edge (7/8, 14/15, 30/31 days) and of a week's start (Sunday 23:30, Monday
00:00). The shop's clock is pinned to UTC so local calendar days are the story's days;
one test moves it to New York to show that weeks and ages follow the local calendar.

Every test runs on SQLite and on PostgreSQL (``store`` fixture).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import date, datetime

import pytest

from app import dashboard, migrations
from app.controller import Controller, Decision, OrderItem
from app.models import OrderLine
from app.store import Store, open_store
from tests.conftest import FakeClock

NOW = datetime(2026, 12, 14, 9, 0)  # a Monday
PERIOD_START = date(2026, 9, 28)  # the Monday 11 weeks before this week's


@pytest.fixture
def utc_zone() -> Iterator[None]:
    """The shop's local time is UTC for the test (restored afterwards)."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


def at(clock: FakeClock, month: int, day: int, hour: int = 9, minute: int = 0) -> None:
    clock.now = datetime(2026, month, day, hour, minute)


def build_history(controller: Controller, clock: FakeClock) -> dict[str, int]:
    """The story (see the module docstring); returns ids by name."""
    at(clock, 11, 2, 8)
    supplier = controller.supplier_named("Acme Wholesale", lead_time_days=10).id
    ids: dict[str, int] = {}
    for sku, price in (("A", 1000), ("B", 250), ("C", 400), ("D", 300), ("E", 500)):
        ids[sku] = controller.add_product(sku=sku, name=f"Item {sku}", price_cents=price).id
    ids["F"] = controller.add_product(sku="F", name="Item F", price_cents=700).id
    ids["G"] = controller.add_product(sku="G", name="Item G", price_cents=1200).id
    for name in ("Ann", "Bob", "Cat", "Dan"):
        ids[name] = controller.add_customer(name=name).id
    controller.adjust_stock(ids["A"], 5, reason="opening count")
    controller.adjust_stock(ids["C"], 10, reason="opening count")
    # Purchase orders: PO4 due 30 Nov, PO1 due 10 Dec, PO2 due today, PO3 received in full.
    ids["PO1"] = controller.add_purchase_order(
        supplier_id=supplier,
        expected=date(2026, 12, 10),
        items=[OrderItem(ids["F"], 10), OrderItem(ids["D"], 5)],
    ).id
    ids["PO2"] = controller.add_purchase_order(
        supplier_id=supplier, expected=date(2026, 12, 14), items=[OrderItem(ids["F"], 4)]
    ).id
    ids["PO3"] = controller.add_purchase_order(
        supplier_id=supplier, expected=date(2026, 12, 1), items=[OrderItem(ids["F"], 1)]
    ).id
    ids["PO4"] = controller.add_purchase_order(
        supplier_id=supplier, expected=date(2026, 11, 30), items=[OrderItem(ids["F"], 2)]
    ).id

    def order(customer: str, *items: tuple[str, int], decide: Decision = Decision.WAIT) -> int:
        placed = controller.place_order(
            ids[customer],
            [OrderItem(ids[sku], qty) for sku, qty in items],
            decisions={ids[sku]: decide for sku, _qty in items},
        )
        for line in placed.lines:
            ids[f"{customer}:{line.sku}:{placed.order_id}"] = line.line_id
        return placed.order_id

    # Week of 2 Nov: 13 units ordered, 6 reserved at order time.
    at(clock, 11, 2)
    ids["O1"] = order("Ann", ("A", 3), ("B", 2))  # A reserved 3; B waits 2
    ids["O2"] = order("Bob", ("A", 4), ("C", 1))  # A: 2 reserved, 2 wait; C reserved 1
    ids["O3"] = order("Cat", ("B", 3), decide=Decision.CANCEL)  # 3 B lost at the counter
    at(clock, 11, 4)
    controller.receive([OrderItem(ids["B"], 2)])  # Ann's B served after 2 days

    # Week of 9 Nov: 9 units ordered, 4 reserved at order time.
    at(clock, 11, 9)
    ids["O4"] = order("Dan", ("A", 2))  # nothing available: waits 2
    ids["O5"] = order("Ann", ("C", 4))  # reserved 4
    controller.receive([OrderItem(ids["A"], 3)])  # Bob's A served after 7 days; Dan gets 1
    at(clock, 11, 10)
    controller.cancel_line(ids[f"Dan:A:{ids['O4']}"])  # 1 waiting unit lost, 1 released
    controller.cancel_line(ids[f"Ann:C:{ids['O5']}"])  # reserved only: nothing lost
    at(clock, 11, 13, 12)
    ids["O6"] = order("Bob", ("E", 2))  # 31 days old on 14 Dec
    at(clock, 11, 14, 12)
    ids["O7"] = order("Cat", ("E", 1))  # 30 days
    # Week of 16 Nov: no orders. Week of 23 Nov: 1 unit.
    at(clock, 11, 29, 12)
    ids["O8"] = order("Dan", ("E", 1))  # Sunday; 15 days
    # Week of 30 Nov: 2 units.
    at(clock, 11, 30, 12)
    ids["O9"] = order("Ann", ("E", 1))  # 14 days
    at(clock, 12, 1)
    controller.receive(
        [OrderItem(ids["F"], 3), OrderItem(ids["D"], 6)], purchase_order_id=ids["PO1"]
    )
    controller.receive([OrderItem(ids["F"], 1)], purchase_order_id=ids["PO3"])
    at(clock, 12, 6, 23, 30)
    ids["O10"] = order("Bob", ("E", 1))  # Sunday night: 8 calendar days, 7.4 days elapsed
    # Week of 7 Dec: 1 unit.
    at(clock, 12, 7, 0, 0)
    ids["O11"] = order("Cat", ("E", 1))  # Monday midnight: 7 days
    # This week: 4 units.
    at(clock, 12, 14, 8)
    ids["O12"] = order("Dan", ("E", 3), ("G", 1))  # today
    clock.now = NOW
    return ids


@pytest.fixture
def shop(controller: Controller, clock: FakeClock, utc_zone: None) -> dict[str, int]:
    return build_history(controller, clock)


def test_open_backorders_count_lines_units_value_and_customers(shop: dict[str, int]) -> None:
    # E: 2+1+1+1+1+1+3 units at 5.00; G: 1 at 12.00; every customer has a line waiting.
    assert dashboard.open_backorders(NOW) == dashboard.OpenBackorders(
        lines=8, units=11, value_cents=10 * 500 + 1200, customers=4
    )


def test_aging_buckets_follow_calendar_days_at_every_edge(shop: dict[str, int]) -> None:
    shown = [(b.label, b.lines, b.units) for b in dashboard.aging(NOW)]
    assert shown == [
        ("0-7", 3, 5),  # 7 days (Mon 00:00), today's E x3 and G x1
        ("8-14", 2, 2),  # 8 days (Sun 23:30, only 7.4 days elapsed), 14 days
        ("15-30", 2, 2),  # 15 days, 30 days
        ("31+", 1, 2),  # 31 days
    ]


def test_aging_moves_a_line_to_the_next_bucket_the_day_after_an_edge(
    shop: dict[str, int],
) -> None:
    # One day later every line is a day older: 7 -> 8, 14 -> 15, 30 -> 31.
    later = datetime(2026, 12, 15, 9, 0)
    shown = [(b.label, b.lines, b.units) for b in dashboard.aging(later)]
    assert shown == [("0-7", 2, 4), ("8-14", 2, 2), ("15-30", 2, 2), ("31+", 2, 3)]


def test_top_waiting_products_most_units_first(shop: dict[str, int]) -> None:
    top = dashboard.top_waiting(NOW)
    assert [(p.sku, p.units, p.value_cents) for p in top] == [("E", 10, 5000), ("G", 1, 1200)]
    assert dashboard.top_waiting(NOW, limit=1)[0].sku == "E"


def test_lost_demand_counts_counter_cancels_and_waiting_units_cancelled(
    shop: dict[str, int],
) -> None:
    lost = dashboard.lost_demand(NOW)
    # B: the 3 cancelled at the counter. A: Dan's 1 waiting unit (his reserved unit went
    # back to stock, not lost). C: Ann's cancelled line was all reserved: nothing lost.
    assert [(p.sku, p.units, p.value_cents) for p in lost.products] == [
        ("B", 3, 750),
        ("A", 1, 1000),
    ]
    assert (lost.units, lost.value_cents, lost.products_count, lost.since) == (
        4,
        1750,
        2,
        PERIOD_START,
    )
    assert [p.sku for p in dashboard.lost_demand(NOW, limit=1).products] == ["B"]
    # Orders before the period are left out: with a 3-week period only December's count.
    assert dashboard.lost_demand(NOW, weeks=3).units == 0


def test_fill_rate_per_week_is_units_reserved_at_order_over_units_ordered(
    shop: dict[str, int],
) -> None:
    weeks = dashboard.fill_rate(NOW)
    assert [w.week_start for w in weeks][0] == PERIOD_START
    assert len(weeks) == 12 and weeks[-1].week_start == date(2026, 12, 14)
    by_week = {w.week_start: (w.ordered, w.reserved) for w in weeks if w.ordered}
    assert by_week == {
        date(2026, 11, 2): (13, 6),
        date(2026, 11, 9): (9, 4),
        date(2026, 11, 23): (1, 0),  # Sunday 29 Nov belongs to the week of the 23rd
        date(2026, 11, 30): (2, 0),  # ... and Sunday 6 Dec 23:30 to the week of the 30th
        date(2026, 12, 7): (1, 0),  # Monday 00:00 starts the new week
        date(2026, 12, 14): (4, 0),
    }
    rates = {w.week_start: w.rate for w in weeks}
    assert rates[date(2026, 11, 2)] == pytest.approx(6 / 13)
    assert rates[date(2026, 11, 16)] is None  # no orders that week
    whole = dashboard.load(NOW)
    assert whole.period_fill_rate == pytest.approx(10 / 30)


def test_waits_from_order_to_fulfilment(shop: dict[str, int]) -> None:
    # Ann's B waited 2 days, Bob's A 7; Dan's A was served in part, then cancelled.
    waits = dashboard.waits(NOW)
    assert (waits.lines, waits.since) == (2, PERIOD_START)
    assert waits.average_days == pytest.approx(4.5)
    assert waits.longest_days == pytest.approx(7.0)


def test_overdue_purchase_orders_most_overdue_first(shop: dict[str, int]) -> None:
    overdue = dashboard.overdue_purchase_orders(NOW)
    # PO4: 2 F to come, 14 days late. PO1: 7 F to come (its D came 6 for 5: none owed).
    # PO2 is due today, PO3 is received in full.
    assert [(o.po_id, o.expected_date, o.days_late, o.outstanding) for o in overdue.orders] == [
        (shop["PO4"], date(2026, 11, 30), 14, 2),
        (shop["PO1"], date(2026, 12, 10), 4, 7),
    ]
    assert (overdue.count, overdue.outstanding) == (2, 9)
    assert overdue.orders[0].supplier == "Acme Wholesale"
    limited = dashboard.overdue_purchase_orders(NOW, limit=1)
    assert (limited.count, len(limited.orders)) == (2, 1)


def test_an_empty_store_has_zeros_and_no_rates(store: Store, utc_zone: None) -> None:
    board = dashboard.load(NOW)
    assert board.open == dashboard.OpenBackorders(0, 0, 0, 0)
    assert [b.lines for b in board.aging] == [0, 0, 0, 0]
    assert board.top_waiting == [] and board.lost.products == [] and board.lost.units == 0
    assert all(w.rate is None for w in board.fill) and board.period_fill_rate is None
    assert (board.waits.lines, board.waits.average_days, board.waits.longest_days) == (
        0,
        None,
        None,
    )
    assert (board.overdue.count, board.overdue.orders) == (0, [])
    assert set(board.timings) == set(dashboard.FIGURES)


def test_weeks_and_ages_follow_the_shops_local_calendar(
    controller: Controller, clock: FakeClock
) -> None:
    before = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    try:
        customer = controller.add_customer(name="Eve").id
        product = controller.add_product(sku="Z", name="Item Z", price_cents=100).id
        # Monday 7 Dec 03:00 UTC is Sunday 6 Dec 22:00 in New York: last week's order.
        clock.now = datetime(2026, 12, 7, 3, 0)
        controller.place_order(
            customer, [OrderItem(product, 1)], decisions={product: Decision.WAIT}
        )
        # Monday 14 Dec 04:00 UTC is still Sunday 13 Dec in New York: 7 days, not 8.
        now = datetime(2026, 12, 14, 4, 0)
        weeks = {w.week_start: w.ordered for w in dashboard.fill_rate(now) if w.ordered}
        assert weeks == {date(2026, 11, 30): 1}
        assert [b.lines for b in dashboard.aging(now)] == [1, 0, 0, 0]
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


# ------------------------------------------------------------ the upgrade to v4

HISTORY = ("qty_reserved_at_order", "qty_lost", "fulfilled_at")


def line_history() -> dict[int, tuple[object, ...]]:
    query = OrderLine.select(
        OrderLine.id, OrderLine.qty_reserved_at_order, OrderLine.qty_lost, OrderLine.fulfilled_at
    ).tuples()
    return {line_id: rest for line_id, *rest in query}


def test_upgrading_an_older_store_fills_in_the_history_the_controller_records(
    store: Store, controller: Controller, clock: FakeClock, utc_zone: None
) -> None:
    """A store from before version 4 is rebuilt from its audit log and messages: the
    backfilled columns equal what the controller writes as things happen."""
    build_history(controller, clock)
    recorded = line_history()
    before = dashboard.load(NOW)
    assert any(fulfilled for _r, _l, fulfilled in recorded.values())

    # Make it a version-3 store: no history columns, no lost-demand index.
    db = store.database
    db.execute_sql('DROP INDEX "order_line_lost"')
    for column in HISTORY:
        db.execute_sql(f'ALTER TABLE "order_line" DROP COLUMN "{column}"')
    db.execute_sql(f"UPDATE setting SET value = {db.param} WHERE key = 'schema_version'", ("3",))
    location = store.location
    store.close()

    upgraded = open_store(location)
    try:
        assert migrations.CURRENT_VERSION >= 4
        assert line_history() == recorded
        after = dashboard.load(NOW)
        for figure in dashboard.FIGURES:
            assert getattr(after, figure) == getattr(before, figure), figure
    finally:
        upgraded.close()
