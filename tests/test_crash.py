"""Pulling the plug: a process killed (SIGKILL) in the middle of a write loses all of it or
none of it, and the store it leaves behind opens and passes ``check``.

A child process commits a big receipt (2,000 lines, several thousand units that serve a
queue of thousands of waiting lines) and is killed at a random moment of it, many times
over: the delays are spread over one and a half times the receipt's own duration,
measured first with a receipt that is let through, so some kills land before the commit
and some after it. One kill lands in the middle of the receipt and one right after the
child reports the commit, so both outcomes are always among the kills. After each kill
the store is opened afresh (SQLite recovers its WAL; PostgreSQL has rolled back the dead
connection's transaction) and must pass ``check`` and hold either the whole receipt or
nothing of it. The same for a child placing
hundreds of orders one after another: every order is there with all its lines, or not at
all, and the orders that are there are the first ones the child placed.

On SQLite (WAL, ``synchronous=FULL``) and on PostgreSQL. ``BACKORDER_DESK_CRASH_KILLS``
(default 25, at least 2) sets the number of kills per receipt test; the order test uses a
third of it.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event
from typing import Any

import pytest
from peewee import fn

from app.check import run_checks
from app.controller import Controller, Decision, OrderItem
from app.models import (
    AuditEvent,
    CustomerMessage,
    Order,
    OrderLine,
    Product,
    Receipt,
    ReceiptLine,
    StockMovement,
)
from app.store import Store, open_store

KILLS_ENV = "BACKORDER_DESK_CRASH_KILLS"
PRODUCTS = 2_000
#: Customers whose orders wait for every product, so that a receipt fills a long queue.
WAITING_CUSTOMERS = 3
ORDERS_PER_CHILD = 300
#: Guards against a hung child or server: far above any healthy run.
GUARD_S = 300
#: Kill moments are spread over this many times the measured duration of the work.
SPREAD = 1.5
#: ``run_child``'s kill moment for "as soon as the child reports that it committed".
AFTER_COMMIT = -1.0


def kills() -> int:
    text = os.environ.get(KILLS_ENV, "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else 25


# ------------------------------------------------------------------ the children


def receive_in_child(
    location: str, items: list[tuple[int, int]], note: str, go: Event, out: Connection
) -> None:
    """Open the store, say ready, and on ``go`` commit one receipt of ``items``."""
    store = open_store(location)
    controller = Controller(store)
    out.send(("ready", backend_pid(store)))
    go.wait()
    began = time.perf_counter()
    controller.receive([OrderItem(pid, qty) for pid, qty in items], note=note)
    out.send(("done", time.perf_counter() - began))
    store.close()


def place_in_child(location: str, orders: list[Planned], go: Event, out: Connection) -> None:
    """Open the store, say ready, and on ``go`` place ``orders`` one by one (each its own
    transaction, as at the counter)."""
    store = open_store(location)
    controller = Controller(store)
    out.send(("ready", backend_pid(store)))
    go.wait()
    began = time.perf_counter()
    for planned in orders:
        controller.place_order(
            planned.customer_id,
            [OrderItem(pid, qty) for pid, qty in planned.lines],
            decisions={pid: Decision.WAIT for pid, _qty in planned.lines},
            note=planned.note,
        )
    out.send(("done", time.perf_counter() - began))
    store.close()


def backend_pid(store: Store) -> int | None:
    """The server process serving this connection (PostgreSQL), to see it go."""
    if store.is_sqlite:
        return None
    return int(store.database.execute_sql("SELECT pg_backend_pid()").fetchone()[0])


@dataclass(frozen=True)
class Planned:
    """An order the child will place: customer, (product, qty) lines, a note naming it."""

    customer_id: int
    lines: list[tuple[int, int]]
    note: str


@dataclass
class Run:
    """One child run: whether it finished before the kill, and how long its work took
    (``None`` when it was killed first)."""

    finished: bool
    seconds: float | None


def run_child(location: str, target: Any, args: tuple[Any, ...], kill_after: float | None) -> Run:
    """Start a child, let it open the store, then let it work and kill it (SIGKILL)
    ``kill_after`` seconds later; ``None`` lets it finish, ``AFTER_COMMIT`` kills it as soon
    as it reports its work committed. Returns once the child is gone and, on PostgreSQL,
    the server has ended its session (so its transaction is settled)."""
    # Forked from a server that has imported the program already: a child starts in
    # milliseconds instead of a fresh interpreter's half second, and no connection of
    # this process is inherited (the server never opened one).
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    go = context.Event()
    reader, writer = context.Pipe(duplex=False)
    child = context.Process(target=target, args=(location, *args, go, writer))
    child.start()
    writer.close()  # the child holds the only writing end: its death reads as EOF
    kind, server_pid = message(reader, child)
    assert kind == "ready"
    go.set()
    if kill_after is None:
        kind, seconds = message(reader, child)
        child.join()
        assert kind == "done" and child.exitcode == 0
        return Run(finished=True, seconds=seconds)
    if kill_after == AFTER_COMMIT:
        kind, seconds = message(reader, child)
        assert kind == "done"
        child.kill()  # before it closes the store: the commit alone must have made it last
        child.join()
        reader.close()
        if server_pid is not None:
            session_gone(location, server_pid)
        return Run(finished=True, seconds=seconds)
    time.sleep(kill_after)  # the moment of the crash, not a wait for a result
    child.kill()
    child.join()
    try:
        kind, seconds = reader.recv()  # the child finished before the kill
    except EOFError:
        kind, seconds = "killed", None
    reader.close()
    if server_pid is not None:
        session_gone(location, server_pid)
    return Run(finished=kind == "done", seconds=seconds)


def message(reader: Connection, child: BaseProcess) -> Any:
    """The child's next message; fails if it dies or hangs first."""
    multiprocessing.connection.wait([reader], timeout=GUARD_S)
    try:
        return reader.recv()
    except EOFError:
        child.join()
        raise AssertionError(f"the child died (exit code {child.exitcode})") from None


def session_gone(location: str, server_pid: int) -> None:
    """Wait until the killed child's PostgreSQL session has ended: a COMMIT it sent just
    before dying may still be in flight, and would otherwise land after the snapshot."""
    import psycopg2

    deadline = time.monotonic() + GUARD_S
    conn = psycopg2.connect(location.replace("postgresql+psycopg2", "postgresql"))
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            while True:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (server_pid,)
                )
                if cursor.fetchone()[0] == 0:
                    return
                assert time.monotonic() < deadline, f"session {server_pid} never ended"
                time.sleep(0.01)
    finally:
        conn.close()


# ------------------------------------------------------------------ the store


@contextmanager
def opened(location: str) -> Iterator[Store]:
    """The store opened afresh, as the program opens it after a crash."""
    store = open_store(location)
    try:
        yield store
    finally:
        store.close()


@dataclass(frozen=True)
class Snapshot:
    """Row counts and every product's running totals: what a write would change."""

    counts: dict[str, int]
    #: product id -> (on hand, reserved, waiting)
    products: dict[int, tuple[int, int, int]]
    #: sums over the order lines: (reserved, waiting, shipped, cancelled)
    lines: tuple[int, int, int, int]


def snapshot() -> Snapshot:
    counts = {
        model.__name__: model.select().count()
        for model in (
            Receipt,
            ReceiptLine,
            StockMovement,
            Order,
            OrderLine,
            CustomerMessage,
            AuditEvent,
        )
    }
    products = {
        int(pid): (int(on_hand), int(reserved), int(waiting))
        for pid, on_hand, reserved, waiting in Product.select(
            Product.id, Product.on_hand, Product.reserved, Product.waiting
        ).tuples()
    }
    sums = OrderLine.select(
        *(
            fn.COALESCE(fn.SUM(column), 0)
            for column in (
                OrderLine.qty_reserved,
                OrderLine.qty_waiting,
                OrderLine.qty_shipped,
                OrderLine.qty_cancelled,
            )
        )
    ).tuples()
    reserved, waiting, shipped, cancelled = (int(v) for v in sums.first())
    return Snapshot(counts, products, (reserved, waiting, shipped, cancelled))


def fill_queue(
    controller: Controller, products: list[int], customer_id: int, at_least: int
) -> None:
    """Make every product's queue hold at least ``at_least`` units (one big order that
    waits for all of them), so that every receipt serves a long queue."""
    short = [
        OrderItem(int(pid), at_least - int(waiting) + 2)
        for pid, waiting in Product.select(Product.id, Product.waiting)
        .where(Product.id.in_(products), Product.waiting < at_least)
        .tuples()
    ]
    if short:
        controller.place_order(
            customer_id,
            short,
            decisions={item.product_id: Decision.WAIT for item in short},
            note="the queue",
        )


def prepare(location: str) -> tuple[list[int], list[int]]:
    """2,000 products with nothing in stock and customers waiting for every one of them."""
    with opened(location) as store:
        controller = Controller(store)

        def catalogue() -> tuple[list[int], list[int]]:
            products = [
                int(controller.add_product(sku=f"CR-{n:04d}", name=f"Crash product {n}").id)
                for n in range(PRODUCTS)
            ]
            customers = [
                int(controller.add_customer(name=f"Waiting customer {n}").id)
                for n in range(WAITING_CUSTOMERS)
            ]
            return products, customers

        # One transaction (the adds nest as savepoints): 2,000 commits would only cost time.
        products, customers = store.run_write(catalogue)
        for n, customer_id in enumerate(customers):
            fill_queue(controller, products, customer_id, at_least=4 * (n + 1))
        if store.is_sqlite:
            # What the test is about: WAL, and a commit is on disk before it is reported.
            assert store.database.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert store.database.execute_sql("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    return products, customers


# ------------------------------------------------------------------ the tests


@pytest.mark.slow
def test_a_receipt_killed_at_any_moment_is_all_there_or_not_at_all(store_location: str) -> None:
    rng = random.Random()
    products, customers = prepare(store_location)
    outcomes: list[str] = []
    duration = 0.0
    last = max(kills(), 2)
    for attempt in range(last + 1):
        items = [(pid, rng.randint(1, 3)) for pid in products]
        units = sum(qty for _pid, qty in items)
        note = f"crash receipt {attempt}"
        with opened(store_location) as store:
            fill_queue(Controller(store), products, customers[0], at_least=3)
            before = snapshot()
        kill_after: float | None
        if attempt == 0:
            kill_after = None  # the first receipt goes through: how long a receipt takes
        elif attempt == 1:
            kill_after = duration / 2  # the middle of the receipt
        elif attempt == last:
            kill_after = AFTER_COMMIT
        else:
            kill_after = rng.uniform(0, SPREAD * duration)
        run = run_child(store_location, receive_in_child, (items, note), kill_after)
        if run.seconds is not None:
            duration = run.seconds

        with opened(store_location):
            assert run_checks() == [], f"after kill {attempt} at {kill_after}s"
            after = snapshot()
            receipt = Receipt.get_or_none(Receipt.note == note)
            if receipt is None:
                assert not run.finished, "the child reported a receipt that is not there"
                assert after == before, f"kill {attempt} at {kill_after}s left part of a receipt"
                outcomes.append("none")
                continue
            outcomes.append("whole")
            assert receipt.status == "committed"
            lines = dict(
                ReceiptLine.select(ReceiptLine.product, ReceiptLine.qty)
                .where(ReceiptLine.receipt == receipt.id)
                .tuples()
            )
            assert lines == dict(items)
            moved = (
                StockMovement.select(fn.COUNT(StockMovement.id), fn.SUM(StockMovement.qty))
                .where(StockMovement.receipt == receipt.id)
                .tuples()
                .first()
            )
            assert moved == (PRODUCTS, units)
            assert after.counts["Receipt"] == before.counts["Receipt"] + 1
            assert after.counts["StockMovement"] == before.counts["StockMovement"] + PRODUCTS
            for pid, qty in items:
                on_hand, reserved, waiting = before.products[pid]
                served = min(qty, waiting)  # nothing was available: the queue gets first pick
                assert after.products[pid] == (on_hand + qty, reserved + served, waiting - served)

    spread = outcomes[2:-1]
    print(
        f"\n{len(outcomes) - 1} kills across a {duration:.2f} s receipt of {PRODUCTS} lines: "
        f"{outcomes[1:].count('none')} left nothing, {outcomes[1:].count('whole')} the whole "
        f"receipt (of the {len(spread)} at random moments: {spread.count('none')} nothing, "
        f"{spread.count('whole')} whole)"
    )
    # The kills landed inside the receipt and after its commit: both outcomes were seen.
    assert outcomes[1:].count("none") >= 1
    assert outcomes[1:].count("whole") >= 1


@pytest.mark.slow
def test_orders_killed_mid_stream_are_each_all_there_or_not_at_all(store_location: str) -> None:
    rng = random.Random()
    products, customers = prepare(store_location)
    outcomes: list[int] = []
    duration = 0.0
    for attempt in range(max(kills() // 3, 3) + 1):
        planned = [
            Planned(
                customer_id=rng.choice(customers),
                lines=[(pid, rng.randint(1, 3)) for pid in rng.sample(products, rng.randint(1, 4))],
                note=f"crash orders {attempt} #{n:03d}",
            )
            for n in range(ORDERS_PER_CHILD)
        ]
        with opened(store_location):
            before = snapshot()
        kill_after = None if attempt == 0 else rng.uniform(0, duration)
        run = run_child(store_location, place_in_child, (planned,), kill_after)
        if run.seconds is not None:
            duration = run.seconds

        with opened(store_location):
            assert run_checks() == [], f"after kill {attempt} at {kill_after}s"
            after = snapshot()
            stored = {
                str(note): int(order_id)
                for order_id, note in Order.select(Order.id, Order.note)
                .where(Order.note.startswith(f"crash orders {attempt} #"))
                .tuples()
            }
            present = [n for n, order in enumerate(planned) if order.note in stored]
            # The orders there are the first ones placed: none lost before a later one.
            assert present == list(range(len(present)))
            if run.finished:
                assert len(present) == ORDERS_PER_CHILD
            for order in planned[: len(present)]:
                order_id = stored[order.note]
                lines = sorted(
                    OrderLine.select(OrderLine.product, OrderLine.qty_ordered)
                    .where(OrderLine.order == order_id)
                    .tuples()
                )
                assert lines == sorted(order.lines), f"order {order.note} is incomplete"
                assert (
                    AuditEvent.select()
                    .where(AuditEvent.action == "order.place", AuditEvent.entity_id == order_id)
                    .count()
                    == 1
                )
            placed_lines = sum(len(order.lines) for order in planned[: len(present)])
            assert after.counts["Order"] == before.counts["Order"] + len(present)
            assert after.counts["OrderLine"] == before.counts["OrderLine"] + placed_lines
            outcomes.append(len(present))

    print(
        f"\n{len(outcomes) - 1} kills across {ORDERS_PER_CHILD} orders taking {duration:.2f} s: "
        f"orders kept per kill {outcomes[1:]}"
    )
    assert any(kept < ORDERS_PER_CHILD for kept in outcomes[1:])
