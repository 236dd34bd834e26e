"""Several stations at once: worker processes hammer one store, then the totals must add up.

Each worker is a separate process (multiprocessing, spawn) with its own connection and its
own random seed. It places orders (with and without wait-or-cancel decisions, some refused
by the customer, some refused because stock changed while the customer was deciding),
receives goods, ships, cancels lines, adjusts stock and changes priorities, choosing the
orders and lines it works on from the whole store, so the workers fight over the same
products, orders and lines. Each reports what it did.

Afterwards the store must pass ``check``, every product's stock must reconcile with the
workers' reports (opening + received + adjusted - shipped), every reported order, receipt
and cancellation must be in the store and nothing else (no lost write, no phantom), and the
queue must have been served in order: every operation that hands units to the queue
(receipt, increase, cancellation) is watched inside its own transaction, and the lines it
served must be the head of the queue, with nothing left on the shelf while a line waits.

Size: ``BACKORDER_DESK_STRESS_WORKERS`` (default 4) processes of
``BACKORDER_DESK_STRESS_OPS`` (default 250) operations each; raise them for a soak run
(``tests/benchmarks/stress_soak.py`` prints the figures).
"""

from __future__ import annotations

import multiprocessing
import os
import random
import re
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Barrier
from typing import Any, TypeVar

import pytest
from peewee import fn

from app import store as store_module
from app.check import run_checks
from app.controller import Controller, Decision, OrderItem, Shortage
from app.errors import ShortageDecisionNeeded, StoreError, UserError
from app.models import (
    AuditEvent,
    Order,
    OrderLine,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReceiptLine,
    Staff,
    StockMovement,
)
from app.store import Store, open_store
from tests.conftest import PG_ENV, reset_postgres

WORKERS_ENV = "BACKORDER_DESK_STRESS_WORKERS"
OPS_ENV = "BACKORDER_DESK_STRESS_OPS"
#: Few products, so that the workers collide on them all the time.
PRODUCTS = 6
CUSTOMERS = 5
#: Guard against a deadlocked worker hanging the suite: far above any healthy run.
RESULT_TIMEOUT_S = 900

#: Why a worker's operation may be refused because another worker got there first; any
#: other refusal is a failure.
RACED = re.compile(
    r"has nothing left to cancel|is not waiting|has nothing ready to ship|Cannot take \d+ off"
    r"|is closed; receive without it"
)

T = TypeVar("T")
#: Per product, its waiting lines in serving order as (line id, units waiting).
Queues = dict[int, list[tuple[int, int]]]


def env_size(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else default


@dataclass(frozen=True)
class Seeded:
    """What the workers share: the products (id, SKU), customers and a supplier."""

    products: list[tuple[int, str]]
    customers: list[int]
    supplier_id: int


@dataclass
class Report:
    """What one worker did (sent back to the test through a queue)."""

    worker: int
    ops: int = 0
    seconds: float = 0.0
    received: Counter[int] = field(default_factory=Counter)
    shipped: Counter[int] = field(default_factory=Counter)
    adjusted: Counter[int] = field(default_factory=Counter)
    #: order id -> the note it was placed with
    orders: dict[int, str] = field(default_factory=dict)
    orders_refused: int = 0
    prompts: int = 0
    changed_while_deciding: int = 0
    cancelled_at_placement: int = 0
    receipts: dict[int, dict[int, int]] = field(default_factory=dict)
    #: receipt id -> the purchase order it was received against
    receipt_po: dict[int, int | None] = field(default_factory=dict)
    purchase_orders: list[int] = field(default_factory=list)
    cancelled_lines: list[int] = field(default_factory=list)
    priority_changes: int = 0
    raced: Counter[str] = field(default_factory=Counter)
    queue_checks: int = 0
    queue_violations: list[str] = field(default_factory=list)
    retries: int = 0


# ------------------------------------------------------------------ the worker


def stress_worker(
    location: str,
    worker: int,
    seed: int,
    ops: int,
    seeded: Seeded,
    start: Barrier,
    out: Connection,
) -> None:
    """One station: ``ops`` random operations; sends ("ok", Report) or ("error", text)."""
    try:
        retries = count_retries()
        store = open_store(location)
        try:
            controller = Controller(store)
            start.wait(timeout=120)
            began = time.perf_counter()
            report = Station(controller, worker, random.Random(seed), seeded).run(ops)
            report.seconds = time.perf_counter() - began
            report.retries = retries[0]
        finally:
            store.close()
        out.send(("ok", report))
    except BaseException:
        out.send(("error", f"worker {worker} (seed {seed}):\n{traceback.format_exc()}"))


def count_retries() -> list[int]:
    """Count, in this process, the errors ``Store.run_write`` retries (for the figures)."""
    seen = [0]
    original = store_module._is_retryable

    def counting(error: Exception) -> bool:
        retryable = original(error)
        seen[0] += retryable
        return retryable

    store_module._is_retryable = counting
    return seen


@dataclass
class Deciding:
    """An order being taken at the counter, and what its customer was told so far."""

    customer: int
    items: list[OrderItem]
    priority: int
    note: str
    decisions: dict[int, Decision]
    seen: list[Shortage] | None = None
    prompts: int = 0


class Station:
    """A worker's random operations and its report."""

    def __init__(
        self,
        controller: Controller,
        worker: int,
        rng: random.Random,
        seeded: Seeded,
    ) -> None:
        self.controller = controller
        self.store: Store = controller.store
        self.rng = rng
        self.product_ids = [pid for pid, _sku in seeded.products]
        self.by_sku = {sku: pid for pid, sku in seeded.products}
        self.customers = seeded.customers
        self.supplier_id = seeded.supplier_id
        self.report = Report(worker=worker)
        #: Orders whose customer is deciding on a shortage they were told about.
        self.deciding: list[Deciding] = []

    def run(self, ops: int) -> Report:
        actions: list[tuple[Callable[[], None], int]] = [
            (self.place, 32),
            (self.place_decided, 10),
            (self.receive, 12),
            (self.ship, 16),
            (self.cancel, 12),
            (self.adjust, 9),
            (self.change_priority, 9),
            (self.book_purchase_order, 5),
        ]
        chosen = self.rng.choices(
            [action for action, _ in actions], [weight for _, weight in actions], k=ops
        )
        for action in chosen:
            try:
                action()
            except StoreError:
                raise  # a busy store that was not retried is a failure, not a race
            except UserError as error:
                raced = RACED.search(str(error))
                if raced is None:
                    raise
                self.report.raced[raced.group(0)] += 1
            self.report.ops += 1
        self.report.orders_refused += len(self.deciding)  # closing time: they left
        return self.report

    # -------------------------------------------------------------- operations

    def items(self) -> list[OrderItem]:
        chosen = self.rng.sample(self.product_ids, self.rng.randint(1, 3))
        return [OrderItem(pid, self.rng.randint(1, 6)) for pid in chosen]

    def place(self) -> None:
        """At the counter: a new order, or one whose customer has now decided."""
        if self.deciding and self.rng.random() < 0.6:
            self.attempt(self.deciding.pop(self.rng.randrange(len(self.deciding))))
            return
        self.attempt(self.new_order(decisions={}))

    def place_decided(self) -> None:
        """An order whose customer said up front: wait (or cancel) for whatever is short."""
        order = self.new_order(decisions={})
        order.decisions = {
            item.product_id: self.rng.choice([Decision.WAIT, Decision.CANCEL])
            for item in order.items
        }
        self.attempt(order)

    def new_order(self, *, decisions: dict[int, Decision]) -> Deciding:
        return Deciding(
            customer=self.rng.choice(self.customers),
            items=self.items(),
            priority=self.rng.choice([0, 0, 0, 0, 1, 2]),
            note=f"stress w{self.report.worker} n{self.report.ops}",
            decisions=decisions,
        )

    def attempt(self, order: Deciding) -> None:
        """Try to place the order. When prompted, the customer walks away, or thinks it
        over while the clerk (and the other stations) carry on, and comes back later with
        decisions for what they were told, which may be out of date by then."""
        try:
            placed = self.controller.place_order(
                order.customer,
                order.items,
                decisions=order.decisions,
                priority=order.priority,
                note=order.note,
                seen=order.seen,
            )
        except ShortageDecisionNeeded as need:
            self.report.prompts += 1
            self.report.changed_while_deciding += need.changed
            order.prompts += 1
            if order.prompts >= 4 or self.rng.random() < 0.2:
                self.report.orders_refused += 1  # the customer leaves without ordering
                return
            order.decisions = {
                **order.decisions,
                **{
                    s.product_id: self.rng.choice([Decision.WAIT, Decision.WAIT, Decision.CANCEL])
                    for s in need.shortages
                },
            }
            order.seen = list(need.shortages)
            self.deciding.append(order)
            return
        self.report.orders[placed.order_id] = order.note
        self.report.cancelled_at_placement += sum(line.cancelled for line in placed.lines)

    def receive(self) -> None:
        """Goods in: half the time the rest (or part) of an open purchase order, which
        other stations may be receiving at the same moment."""
        po_id, items = self.delivery() if self.rng.random() < 0.5 else (None, [])
        if not items:
            po_id = None
            items = [OrderItem(item.product_id, self.rng.randint(1, 8)) for item in self.items()]
        note = f"stress w{self.report.worker} n{self.report.ops}"
        result = self.watched(
            [item.product_id for item in items],
            (),
            lambda: self.controller.receive(items, purchase_order_id=po_id, note=note),
        )
        self.report.receipts[result.receipt_id] = {item.product_id: item.qty for item in items}
        self.report.receipt_po[result.receipt_id] = po_id
        for item in items:
            self.report.received[item.product_id] += item.qty

    def delivery(self) -> tuple[int | None, list[OrderItem]]:
        """An open purchase order and some of its products' outstanding units."""
        po_id = (
            PurchaseOrder.select(PurchaseOrder.id)
            .where(PurchaseOrder.status == "open")
            # Mostly the oldest open one, the one every station is working through.
            .order_by(PurchaseOrder.id if self.rng.random() < 0.7 else fn.RANDOM())
            .limit(1)
            .scalar()
        )
        if po_id is None:
            return None, []
        outstanding = (
            PurchaseOrderLine.select(
                PurchaseOrderLine.product,
                fn.SUM(PurchaseOrderLine.qty_ordered - PurchaseOrderLine.qty_received),
            )
            .where(PurchaseOrderLine.purchase_order == po_id)
            .group_by(PurchaseOrderLine.product)
            .tuples()
        )
        items = [OrderItem(int(pid), int(units)) for pid, units in outstanding if units > 0]
        # Often carton by carton: one product of the PO, while another station takes the
        # next carton of the same PO.
        if items and self.rng.random() < 0.7:
            items = [self.rng.choice(items)]
        return int(po_id), items

    def book_purchase_order(self) -> None:
        chosen = self.rng.sample(self.product_ids, self.rng.randint(2, 4))
        items = [OrderItem(pid, self.rng.randint(2, 8)) for pid in chosen]
        po = self.controller.add_purchase_order(
            supplier_id=self.supplier_id,
            expected=date.today() + timedelta(days=self.rng.randint(3, 30)),
            items=items,
        )
        self.report.purchase_orders.append(int(po.id))

    def adjust(self) -> None:
        pid = self.rng.choice(self.product_ids)
        delta = self.rng.choice([-3, -2, -1, 1, 2, 3, 5])
        reason = f"stress w{self.report.worker} n{self.report.ops}"
        self.watched([pid], (), lambda: self.controller.adjust_stock(pid, delta, reason=reason))
        self.report.adjusted[pid] += delta

    def ship(self) -> None:
        order_id = (
            OrderLine.select(OrderLine.order)
            .where(OrderLine.qty_reserved > 0)
            .order_by(fn.RANDOM())
            .limit(1)
            .scalar()
        )
        if order_id is None:
            self.report.raced["nothing reserved anywhere"] += 1
            return
        for shipped in self.controller.ship_order(int(order_id)):
            self.report.shipped[self.by_sku[shipped.sku]] += shipped.qty

    def cancel(self) -> None:
        row = self.random_line((OrderLine.qty_waiting > 0) | (OrderLine.qty_reserved > 0))
        if row is None:
            self.report.raced["no line to cancel"] += 1
            return
        line_id, pid = row
        reason = f"stress w{self.report.worker} n{self.report.ops}"
        self.watched([pid], (line_id,), lambda: self.controller.cancel_line(line_id, reason=reason))
        self.report.cancelled_lines.append(line_id)

    def change_priority(self) -> None:
        row = self.random_line(OrderLine.qty_waiting > 0)
        if row is None:
            self.report.raced["no line waiting"] += 1
            return
        self.controller.set_priority(row[0], self.rng.randint(0, 3))
        self.report.priority_changes += 1

    def random_line(self, where: Any) -> tuple[int, int] | None:
        found = (
            OrderLine.select(OrderLine.id, OrderLine.product)
            .where(where)
            .order_by(fn.RANDOM())
            .limit(1)
            .tuples()
            .first()
        )
        return (int(found[0]), int(found[1])) if found else None

    # ------------------------------------------------------- watching the queue

    def watched(self, pids: list[int], leaving: Sequence[int], work: Callable[[], T]) -> T:
        """Run ``work`` (a controller call, nested as a savepoint) between two readings of
        the products' queues, all in one locked transaction, and check that the lines it
        served were the head of each queue. ``leaving`` is a line the work cancels."""

        def transaction() -> tuple[T, Queues, tuple[Queues, dict[int, int]]]:
            self.store.lock_products(pids)
            before = queues(pids)
            result = work()
            return result, before, after_state(pids)

        result, before, (after, available) = self.store.run_write(transaction)
        self.report.queue_checks += 1
        for pid in pids:
            problem = queue_problem(
                before.get(pid, []), after.get(pid, []), available[pid], leaving
            )
            if problem:
                self.report.queue_violations.append(f"product {pid}: {problem}")
        return result


def queues(pids: Sequence[int]) -> Queues:
    """Per product, its waiting lines in serving order as (line id, units waiting)."""
    rows = (
        OrderLine.select(OrderLine.product, OrderLine.id, OrderLine.qty_waiting)
        .where(OrderLine.product.in_(list(pids)), OrderLine.qty_waiting > 0)
        .order_by(OrderLine.product, OrderLine.priority.desc(), OrderLine.queued_at, OrderLine.id)
        .tuples()
    )
    found: dict[int, list[tuple[int, int]]] = {}
    for pid, line_id, waiting in rows:
        found.setdefault(int(pid), []).append((int(line_id), int(waiting)))
    return found


def after_state(pids: Sequence[int]) -> tuple[Queues, dict[int, int]]:
    available = {
        int(pid): int(on_hand) - int(reserved)
        for pid, on_hand, reserved in Product.select(Product.id, Product.on_hand, Product.reserved)
        .where(Product.id.in_(list(pids)))
        .tuples()
    }
    return queues(pids), available


def queue_problem(
    before: list[tuple[int, int]],
    after: list[tuple[int, int]],
    available: int,
    leaving: Sequence[int],
) -> str | None:
    """Why a queue was not served in order, or ``None``.

    The lines that got units must be the first ones of the queue as it stood, each served
    in full except the last; and if any line still waits, no unit may be left available.
    """
    queue = [(line_id, waiting) for line_id, waiting in before if line_id not in leaving]
    left = dict(after)
    if set(left) - {line_id for line_id, _ in queue}:
        return f"lines joined the queue during the operation: {sorted(left)}"
    served = [i for i, (line_id, waiting) in enumerate(queue) if left.get(line_id, 0) < waiting]
    if served != list(range(len(served))):
        return f"served positions {served} of {queue} are not the head of the queue"
    if any(queue[i][0] in left for i in served[:-1]):
        return f"a line before the last one served still waits: {queue} -> {after}"
    if left and available > 0:
        return f"{available} units left available while {sum(left.values())} wait"
    return None


# ------------------------------------------------------------------ the test


def seed_store(location: str, rng: random.Random) -> Seeded:
    """A few products (some in stock), customers and a supplier, as the workers find them."""
    store = open_store(location)
    try:
        controller = Controller(store)
        supplier = controller.supplier_named("Stress supplier", lead_time_days=10)
        products: list[tuple[int, str]] = []
        for n in range(PRODUCTS):
            made = controller.add_product(sku=f"ST-{n}", name=f"Stress product {n}")
            stock = rng.choice([0, 0, 3, 8, 20])
            if stock:
                controller.adjust_stock(made.id, stock, reason="opening count")
            products.append((int(made.id), str(made.sku)))
        customers = [
            int(controller.add_customer(name=f"Stress customer {n}").id) for n in range(CUSTOMERS)
        ]
    finally:
        store.close()
    return Seeded(products=products, customers=customers, supplier_id=int(supplier.id))


def run_workers(
    location: str,
    *,
    workers: int,
    ops: int,
    seed: int,
    seeded: Seeded,
) -> list[Report]:
    """Start the workers together, wait for all their reports, join them."""
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(workers)
    pipes = [context.Pipe(duplex=False) for _ in range(workers)]
    processes = [
        context.Process(
            target=stress_worker,
            args=(location, n, seed * 1000 + n, ops, seeded, start, writer),
            name=f"stress-worker-{n}",
        )
        for n, (_reader, writer) in enumerate(pipes)
    ]
    for process in processes:
        process.start()
    for _reader, writer in pipes:
        writer.close()  # each worker holds the only writing end: its death reads as EOF
    outcomes = [
        outcome(reader, process)
        for (reader, _writer), process in zip(pipes, processes, strict=True)
    ]
    for process in processes:
        process.join()
    errors = [text for kind, text in outcomes if kind == "error"]
    assert not errors, "\n".join(errors)
    assert all(process.exitcode == 0 for process in processes)
    return [report for _kind, report in outcomes]


def outcome(reader: Connection, process: BaseProcess) -> tuple[str, Any]:
    """A worker's report, or why there is none (it hung, or died without a word)."""
    if not reader.poll(RESULT_TIMEOUT_S):
        return "error", f"{process.name} sent nothing in {RESULT_TIMEOUT_S} s (deadlocked?)"
    try:
        result: tuple[str, Any] = reader.recv()
        return result
    except EOFError:
        process.join()
        return "error", f"{process.name} died (exit code {process.exitcode})"


def opening_stock() -> dict[int, int]:
    return {int(pid): int(n) for pid, n in Product.select(Product.id, Product.on_hand).tuples()}


def verify(reports: list[Report], opening: dict[int, int]) -> None:
    """Everything the workers say they did is in the store, and nothing else."""
    assert run_checks() == []
    assert [v for r in reports for v in r.queue_violations] == []

    received: Counter[int] = sum((r.received for r in reports), Counter())
    shipped: Counter[int] = sum((r.shipped for r in reports), Counter())
    adjusted: Counter[int] = Counter()
    for report in reports:
        adjusted.update(report.adjusted)  # update() keeps negative sums, + would drop them
    for pid, on_hand, reserved in Product.select(
        Product.id, Product.on_hand, Product.reserved
    ).tuples():
        expected = opening[pid] + received[pid] + adjusted[pid] - shipped[pid]
        assert on_hand == expected, f"product {pid}: on hand {on_hand}, reports say {expected}"
        assert 0 <= reserved <= on_hand, f"product {pid} oversold: {reserved} of {on_hand}"

    # The ledger, kind by kind, matches the reports (a lost or doubled write shows here).
    ledger = {
        (int(pid), kind): int(total)
        for pid, kind, total in StockMovement.select(
            StockMovement.product, StockMovement.kind, fn.SUM(StockMovement.qty)
        )
        .where(StockMovement.reason.startswith("stress") | (StockMovement.kind != "adjustment"))
        .group_by(StockMovement.product, StockMovement.kind)
        .tuples()
    }
    for pid in opening:
        assert ledger.get((pid, "receipt"), 0) == received[pid]
        assert ledger.get((pid, "shipment"), 0) == -shipped[pid]
        assert ledger.get((pid, "adjustment"), 0) == adjusted[pid]

    orders = {oid: note for r in reports for oid, note in r.orders.items()}
    stored = {int(oid): note for oid, note in Order.select(Order.id, Order.note).tuples()}
    assert stored == orders, "orders in the store differ from the orders the workers placed"
    placed_events = AuditEvent.select().where(AuditEvent.action == "order.place").count()
    assert placed_events == len(orders)

    receipts = {rid: lines for r in reports for rid, lines in r.receipts.items()}
    stored_receipts: dict[int, dict[int, int]] = {}
    for rid, pid, qty in ReceiptLine.select(
        ReceiptLine.receipt, ReceiptLine.product, ReceiptLine.qty
    ).tuples():
        stored_receipts.setdefault(int(rid), {})[int(pid)] = int(qty)
    assert stored_receipts == receipts
    receipt_po = {rid: po for r in reports for rid, po in r.receipt_po.items()}
    stored_po = {
        int(rid): po for rid, po in Receipt.select(Receipt.id, Receipt.purchase_order).tuples()
    }
    assert stored_po == receipt_po

    # Purchase orders: what was received against each adds up, and a PO is closed exactly
    # when every line of it is in (two stations receiving its last lines at once included).
    booked = sorted(po for r in reports for po in r.purchase_orders)
    assert sorted(int(po) for (po,) in PurchaseOrder.select(PurchaseOrder.id).tuples()) == booked
    against: Counter[tuple[int, int]] = Counter()
    for rid, po in receipt_po.items():
        if po is not None:
            against.update({(po, pid): qty for pid, qty in receipts[rid].items()})
    received_on_po: Counter[tuple[int, int]] = Counter()
    for po, pid, got in PurchaseOrderLine.select(
        PurchaseOrderLine.purchase_order, PurchaseOrderLine.product, PurchaseOrderLine.qty_received
    ).tuples():
        received_on_po[(int(po), int(pid))] += int(got)
    assert +received_on_po == against
    for po_id, status in PurchaseOrder.select(PurchaseOrder.id, PurchaseOrder.status).tuples():
        complete = not (
            PurchaseOrderLine.select()
            .where(
                PurchaseOrderLine.purchase_order == po_id,
                PurchaseOrderLine.qty_received < PurchaseOrderLine.qty_ordered,
            )
            .exists()
        )
        assert status == ("closed" if complete else "open"), (
            f"purchase order {po_id} is {status} but {'all' if complete else 'not all'} "
            "of its lines are received"
        )
    assert Receipt.select().where(Receipt.status != "committed").count() == 0

    cancelled = sorted(line for r in reports for line in r.cancelled_lines)
    stored_cancelled = sorted(
        int(line_id)
        for (line_id,) in OrderLine.select(OrderLine.id)
        .where(OrderLine.cancel_reason.startswith("stress"))
        .tuples()
    )
    assert stored_cancelled == cancelled, "a line was cancelled twice, or a cancel was lost"
    for line_id in cancelled:
        line = OrderLine.get_by_id(line_id)
        assert line.qty_waiting == 0 and line.qty_reserved == 0

    # Lines no one cancelled later hold exactly the units cancelled at the counter.
    at_counter = (
        OrderLine.select(fn.COALESCE(fn.SUM(OrderLine.qty_cancelled), 0))
        .where(OrderLine.cancel_reason.is_null())
        .scalar()
    )
    assert at_counter == sum(r.cancelled_at_placement for r in reports)


@pytest.mark.slow
def test_stations_working_at_once_never_oversell_or_lose_a_write(store_location: str) -> None:
    workers = env_size(WORKERS_ENV, 4)
    ops = env_size(OPS_ENV, 250)
    seed = random.randrange(1_000_000)
    seeded = seed_store(store_location, random.Random(seed))
    store = open_store(store_location)
    opening = opening_stock()
    store.close()  # the workers open their own connections

    reports = run_workers(
        store_location,
        workers=workers,
        ops=ops,
        seed=seed,
        seeded=seeded,
    )

    store = open_store(store_location)
    try:
        verify(reports, opening)
    finally:
        store.close()
    # The run did what it is for: every kind of operation happened, on shared data.
    assert sum(r.ops for r in reports) == workers * ops
    assert all(r.orders and r.receipts for r in reports), f"seed {seed}"
    assert sum(len(r.cancelled_lines) for r in reports) > 0, f"seed {seed}"
    assert sum(r.prompts for r in reports) > 0, f"seed {seed}"
    assert sum(r.queue_checks for r in reports) > 0, f"seed {seed}"


# --------------------------------------------- regressions found by the stress run


@pytest.fixture
def pg_location() -> str:
    """The test PostgreSQL database, emptied; these races need row locks to happen."""
    url = os.environ.get(PG_ENV, "")
    if not url:
        pytest.skip(
            f"PostgreSQL only (SQLite takes the write lock at BEGIN, so two receipts never "
            f"overlap there): set {PG_ENV} to a test database URL"
        )
    reset_postgres(url)
    return url


def overlapping_receipts(
    controller: Controller, first: list[OrderItem], second: list[OrderItem], po_id: int
) -> tuple[Any, Any]:
    """Two stations receive against one purchase order at once: the first one's
    transaction is still open when the second one runs. Returns each one's result (a
    ReceiptResult, or the UserError it got)."""
    store = controller.store
    inside = threading.Event()
    finish = threading.Event()
    outcome: dict[str, Any] = {}

    def station(name: str, items: list[OrderItem], hold: bool) -> None:
        def work() -> Any:
            result = controller.receive(items, purchase_order_id=po_id)
            if hold:
                inside.set()
                finish.wait()
            return result

        try:
            outcome[name] = store.run_write(work)
        except BaseException as error:  # handed to the test, which raises all but refusals
            outcome[name] = error
        finally:
            inside.set()
            store.database.close()  # each thread has its own connection

    first_station = threading.Thread(target=station, args=("first", first, True))
    first_station.start()
    inside.wait()
    second_pid: list[int] = []

    def second_one() -> None:
        second_pid.append(int(store.database.execute_sql("SELECT pg_backend_pid()").fetchone()[0]))
        station("second", second, False)

    second_station = threading.Thread(target=second_one)
    second_station.start()
    # The second station either finishes (it does not wait for the first) or waits for a
    # lock the first one holds; only then may the first one commit.
    while second_station.is_alive():
        if second_pid and waits_for_a_lock(second_pid[0]):
            break
        time.sleep(0.01)
    finish.set()
    first_station.join()
    second_station.join()
    for result in outcome.values():
        if isinstance(result, BaseException) and not isinstance(result, UserError):
            raise result
    return outcome["first"], outcome["second"]


def waits_for_a_lock(backend_pid: int) -> bool:
    row = Product._meta.database.execute_sql(
        "SELECT cardinality(pg_blocking_pids(%s)) > 0", (backend_pid,)
    ).fetchone()
    return bool(row[0])


def purchase_order(controller: Controller, lines: dict[int, int]) -> int:
    supplier = controller.supplier_named("Overlap supplier")
    po = controller.add_purchase_order(
        supplier_id=supplier.id,
        expected=date.today() + timedelta(days=7),
        items=[OrderItem(pid, qty) for pid, qty in lines.items()],
    )
    return int(po.id)


def test_two_stations_receiving_the_last_cartons_of_a_po_close_it(pg_location: str) -> None:
    store = open_store(pg_location)
    try:
        controller = Controller(store)
        a = int(controller.add_product(sku="CARTON-A", name="Carton A").id)
        b = int(controller.add_product(sku="CARTON-B", name="Carton B").id)
        po_id = purchase_order(controller, {a: 2, b: 3})

        first, second = overlapping_receipts(
            controller, [OrderItem(a, 2)], [OrderItem(b, 3)], po_id
        )

        assert PurchaseOrder.get_by_id(po_id).status == "closed"
        assert [first.purchase_order_closed, second.purchase_order_closed] == [False, True]
        assert run_checks() == []
    finally:
        store.close()


def test_a_po_closed_by_one_station_is_not_received_against_by_another(
    pg_location: str,
) -> None:
    store = open_store(pg_location)
    try:
        controller = Controller(store)
        a = int(controller.add_product(sku="CARTON-A", name="Carton A").id)
        b = int(controller.add_product(sku="CARTON-B", name="Carton B").id)
        po_id = purchase_order(controller, {a: 2, b: 3})

        first, second = overlapping_receipts(
            controller, [OrderItem(a, 2), OrderItem(b, 3)], [OrderItem(b, 1)], po_id
        )

        assert first.purchase_order_closed
        assert isinstance(second, UserError)
        assert str(second) == f"Purchase order {po_id} is closed; receive without it."
        # Nothing of the refused receipt was written.
        assert Receipt.select().count() == 1
        assert Product.get_by_id(b).on_hand == 3
        assert run_checks() == []
    finally:
        store.close()


def open_new_store(location: str, start: Barrier, results: Any) -> None:
    """A station started at the same moment as the others, on a store nobody built yet."""
    try:
        start.wait(timeout=120)
        store = open_store(location)
        store.close()
        results.put("opened")
    except BaseException as error:
        results.put(f"{type(error).__name__}: {error}")


def test_stations_opening_a_new_store_at_the_same_moment_all_get_in(
    store_location: str,
) -> None:
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(4)
    results = context.Queue()
    stations = [
        context.Process(target=open_new_store, args=(store_location, start, results))
        for _ in range(4)
    ]
    for station in stations:
        station.start()
    outcomes = [results.get(timeout=RESULT_TIMEOUT_S) for _ in stations]
    for station in stations:
        station.join()

    # Before: "Cannot create the store ...: File exists" or a UNIQUE/duplicate-key error
    # for all but the first station.
    assert outcomes == ["opened"] * 4
    store = open_store(store_location)
    try:
        assert Staff.select().count() == 1  # the store was built once
        assert run_checks() == []
    finally:
        store.close()
