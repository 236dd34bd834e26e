"""The store's invariants under random sequences of operations, and ``check`` failing.

``ControllerMachine`` drives the real ``Controller`` on a real SQLite file (a fresh one per
example) with random orders, receipts, cancellations, shipments, stock adjustments,
priority changes and purchase orders. Beside it runs a small pure-Python model of the
queue: after every step every line's reserved/waiting/shipped/cancelled units, every
product's totals, every waiting line's ETA, every purchase order's received units and the
number of customer messages must equal the model's, and ``run_checks()`` must find nothing.
Since the model serves each product's queue strictly in order (priority, order time, line
id), equality proves the queue order and that no unit is reserved for two lines.

The ``test_check_reports_*`` tests corrupt a store with direct SQL, one invariant each, and
see ``run_checks`` report it, so the machine's ``run_checks() == []`` can fail.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from peewee import IntegrityError

from app import eta
from app.check import run_checks
from app.controller import Controller, Decision, OrderItem, Shortage
from app.errors import ShortageDecisionNeeded, UserError
from app.models import (
    AuditEvent,
    CustomerMessage,
    Order,
    OrderLine,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    StockMovement,
)
from app.store import Store, open_store

PRODUCTS = 2
CUSTOMERS = 2
START = datetime(2026, 11, 2, 9, 0)
FIRST_PO_DATE = date(2026, 12, 1)


# --------------------------------------------------------------- the model


@dataclass
class MLine:
    """The model of one order line."""

    id: int
    order_id: int
    customer: int
    product: int
    ordered: int
    reserved: int
    waiting: int
    cancelled: int
    priority: int
    queued_at: datetime
    shipped: int = 0
    told: date | None = None  # the ETA its customer was last told

    def queue_key(self) -> tuple[int, datetime, int]:
        return (-self.priority, self.queued_at, self.id)


@dataclass
class MPO:
    """The model of a purchase order: product -> [ordered, received]."""

    id: int
    expected: date
    lines: dict[int, list[int]]
    open: bool = True


@dataclass
class Model:
    """What the store should hold, computed the simple way."""

    on_hand: dict[int, int]
    lines: dict[int, MLine] = field(default_factory=dict)
    pos: dict[int, MPO] = field(default_factory=dict)
    messages: Counter[str] = field(default_factory=Counter)

    def reserved(self, pid: int) -> int:
        return sum(line.reserved for line in self.lines.values() if line.product == pid)

    def waiting(self, pid: int) -> int:
        return sum(line.waiting for line in self.lines.values() if line.product == pid)

    def available(self, pid: int) -> int:
        return self.on_hand[pid] - self.reserved(pid)

    def queue(self, pid: int) -> list[MLine]:
        waiting = [line for line in self.lines.values() if line.product == pid and line.waiting]
        return sorted(waiting, key=MLine.queue_key)

    def schedule(self, pid: int) -> list[tuple[date, int]]:
        """Open POs' outstanding units for the product: (date, cumulative), by date."""
        per_day: Counter[date] = Counter()
        for po in self.pos.values():
            ordered, received = po.lines.get(pid, (0, 0))
            if po.open and ordered > received:
                per_day[po.expected] += ordered - received
        total, result = 0, []
        for day in sorted(per_day):
            total += per_day[day]
            result.append((day, total))
        return result

    def eta_for(self, pid: int, units: int) -> date | None:
        return next((day for day, total in self.schedule(pid) if total >= units), None)

    def line_etas(self) -> dict[int, date | None]:
        result: dict[int, date | None] = {}
        for pid in self.on_hand:
            cumulative = 0
            for line in self.queue(pid):
                cumulative += line.waiting
                result[line.id] = self.eta_for(pid, cumulative)
        return result

    def shortages(self, merged: dict[int, int], priority: int) -> list[tuple[Any, ...]]:
        """(product, asked, available, short by, eta) for each short product."""
        result = []
        for pid, qty in merged.items():
            available = self.available(pid)
            if qty > available:
                ahead = sum(
                    line.waiting
                    for line in self.lines.values()
                    if line.product == pid and line.waiting and line.priority >= priority
                )
                short = qty - available
                result.append((pid, qty, available, short, self.eta_for(pid, ahead + short)))
        return result

    def retell(self, pids: list[int]) -> None:
        """Customers whose waiting lines of these products now come later than they were
        told (a date, now a later one or none) hear it: one message per customer."""
        etas = self.line_etas()
        customers = set()
        for line in self.lines.values():
            if line.product in pids and line.waiting and line.told is not None:
                now = etas[line.id]
                if now is None or now > line.told:
                    line.told = now
                    customers.add(line.customer)
        self.messages["eta_changed"] += len(customers)
        if customers:
            event("an ETA moved later: customers told")

    def allocate(self, pids: list[int]) -> tuple[set[int], set[int], dict[int, int]]:
        """Serve the queues in order; (fulfilled lines, partly filled lines, left per pid)."""
        fulfilled: set[int] = set()
        partial: set[int] = set()
        for pid in pids:
            free = self.available(pid)
            for line in self.queue(pid):
                if free == 0:
                    break
                granted = min(free, line.waiting)
                line.waiting -= granted
                line.reserved += granted
                free -= granted
                (partial if line.waiting else fulfilled).add(line.id)
        customers = {self.lines[i].customer for i in fulfilled}
        self.messages["ready"] += len(customers)
        return fulfilled, partial, {pid: self.available(pid) for pid in pids}


class Clock:
    """A clock the machine moves; orders in the same minute share a queue time."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def writes() -> tuple[int, ...]:
    """Row counts of the tables every write touches, to prove a refusal wrote nothing."""
    tables = (Order, OrderLine, StockMovement, CustomerMessage, AuditEvent, Receipt)
    return tuple(table.select().count() for table in tables) + tuple(
        Product.select(Product.on_hand, Product.reserved, Product.waiting).tuples()
    )


quantities = st.integers(min_value=1, max_value=5)
product_index = st.integers(min_value=0, max_value=PRODUCTS - 1)
pick = st.integers(min_value=0, max_value=10_000)


# -------------------------------------------------------------- the machine


class ControllerMachine(RuleBasedStateMachine):
    """Random desk work on a fresh SQLite store, checked against ``Model`` at every step."""

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="backorder-prop-"))
        self.store: Store = open_store(self.folder / "store.db")
        self.clock = Clock()
        self.desk = Controller(self.store, clock=self.clock)
        self.pids: list[int] = []
        self.skus: dict[int, str] = {}
        self.customers: list[int] = []
        self.supplier = 0
        self.model = Model(on_hand={})

    def teardown(self) -> None:
        self.store.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    @initialize(
        stock=st.lists(st.integers(0, 4), min_size=PRODUCTS, max_size=PRODUCTS),
        first_orders=st.lists(st.tuples(product_index, quantities), min_size=1, max_size=3),
    )
    def master_data(self, stock: list[int], first_orders: list[tuple[int, int]]) -> None:
        for index, units in enumerate(stock):
            made = self.desk.add_product(sku=f"P{index}", name=f"Product {index}")
            self.pids.append(made.id)
            self.skus[made.id] = made.sku
            self.model.on_hand[made.id] = 0
            if units:
                self.desk.adjust_stock(made.id, units, reason="opening count")
                self.model.on_hand[made.id] = units
        for index in range(CUSTOMERS):
            self.customers.append(self.desk.add_customer(name=f"Customer {index}").id)
        self.supplier = self.desk.supplier_named("Supplier").id
        # Every run starts with some lines, so cancelling, shipping and priorities have
        # something to work on from the first step.
        for index, item in enumerate(first_orders):
            self.place_order(index % CUSTOMERS, [item], [Decision.WAIT] * PRODUCTS, 0, 1, "fresh")

    # ------------------------------------------------------------- rules

    def _refused(
        self, what: str, action: Callable[[], Any], error: type[Exception] = UserError
    ) -> Any:
        """Run an action that must be refused, and prove it wrote nothing."""
        event(f"{what}: refused")
        before = writes()
        with pytest.raises(error) as refused:
            action()
        assert writes() == before
        return refused.value

    def _line(self, which: int, usually: Callable[[MLine], bool]) -> MLine | None:
        """A line to act on: mostly one for which ``usually`` holds (so most attempts do
        something), sometimes any line (so refusals are tried too)."""
        if not self.model.lines:
            event("no order line yet")
            return None
        ids = sorted(self.model.lines)
        fitting = [i for i in ids if usually(self.model.lines[i])]
        if fitting and which % 4 != 3:
            ids = fitting
        return self.model.lines[ids[which % len(ids)]]

    @rule(
        customer=st.integers(0, CUSTOMERS - 1),
        items=st.lists(st.tuples(product_index, quantities), min_size=1, max_size=3),
        choices=st.lists(
            st.sampled_from([Decision.WAIT, Decision.WAIT, Decision.CANCEL, None]),
            min_size=PRODUCTS,
            max_size=PRODUCTS,
        ),
        priority=st.sampled_from([0, 1, 0, 3]),
        minutes=st.sampled_from([0, 0, 1, 30]),
        seen=st.sampled_from(["none", "none", "fresh", "fresh", "stale"]),
    )
    def place_order(
        self,
        customer: int,
        items: list[tuple[int, int]],
        choices: list[Decision | None],
        priority: int,
        minutes: int,
        seen: str,
    ) -> None:
        self.clock.now += timedelta(minutes=minutes)
        order_items = [OrderItem(self.pids[p], qty) for p, qty in items]
        merged: dict[int, int] = {}
        for item in order_items:
            merged[item.product_id] = merged.get(item.product_id, 0) + item.qty
        decisions = {
            pid: choice
            for pid, choice in zip(self.pids, choices, strict=True)
            if choice is not None
        }
        expected = self.model.shortages(merged, priority)

        preview = self.desk.preview_order(order_items, priority=priority)
        assert [_shortage_tuple(s) for s in preview] == expected
        told: list[Shortage] | None = None
        if seen == "fresh":
            told = preview
        elif seen == "stale" and not preview:
            # The customer was told a line was short, but stock came in since: better
            # news needs no new decision, so the order goes ahead below.
            told = [
                Shortage(
                    product_id=order_items[0].product_id,
                    sku="?",
                    name="?",
                    asked=1,
                    available=0,
                    short_by=1,
                    eta=None,
                )
            ]
        elif seen == "stale":
            # What the customer was told no longer holds (one unit more was free then).
            first = preview[0]
            told = [
                Shortage(
                    product_id=first.product_id,
                    sku="?",
                    name="?",
                    asked=1,
                    available=first.available + 1,
                    short_by=1,
                    eta=None,
                )
            ]
            refused = self._refused(
                "place order, stale",
                lambda: self.desk.place_order(
                    self.customers[customer],
                    order_items,
                    decisions=decisions,
                    priority=priority,
                    seen=told,
                ),
                ShortageDecisionNeeded,
            )
            assert refused.changed
            assert [_shortage_tuple(s) for s in refused.shortages] == expected
            return

        undecided = [s for s in expected if s[0] not in decisions]
        if undecided:
            refused = self._refused(
                "place order, undecided",
                lambda: self.desk.place_order(
                    self.customers[customer],
                    order_items,
                    decisions=decisions,
                    priority=priority,
                    seen=told,
                ),
                ShortageDecisionNeeded,
            )
            assert [_shortage_tuple(s) for s in refused.shortages] == undecided
            return

        placed = self.desk.place_order(
            self.customers[customer], order_items, decisions=decisions, priority=priority, seen=told
        )
        short = {s[0]: s for s in expected}
        assert [pl.product_id for pl in placed.lines] == list(merged)
        any_waiting = False
        for placed_line in placed.lines:
            pid, qty = placed_line.product_id, merged[placed_line.product_id]
            reserved, waiting, cancelled = qty, 0, 0
            if pid in short:
                if decisions[pid] is Decision.WAIT:
                    reserved, waiting = short[pid][2], short[pid][3]
                else:
                    reserved, cancelled = 0, qty
            any_waiting = any_waiting or waiting > 0
            self.model.lines[placed_line.line_id] = MLine(
                id=placed_line.line_id,
                order_id=placed.order_id,
                customer=customer,
                product=pid,
                ordered=qty,
                reserved=reserved,
                waiting=waiting,
                cancelled=cancelled,
                priority=priority,
                queued_at=self.clock.now,
                told=short[pid][4] if waiting else None,
            )
            notified = OrderLine.get_by_id(placed_line.line_id).eta_notified
            assert notified == (short[pid][4] if waiting else None)
        if any_waiting:
            self.model.messages["backorder_confirmed"] += 1
            if priority > 0:  # it overtook lower-priority lines
                self.model.retell([pl.product_id for pl in placed.lines if pl.waiting])
        event("place order: placed, some waiting" if any_waiting else "place order: placed")

    @rule(
        items=st.lists(st.tuples(product_index, st.integers(1, 6)), min_size=1, max_size=3),
        po=st.one_of(st.none(), pick),
    )
    def receive(self, items: list[tuple[int, int]], po: int | None) -> None:
        order_items = [OrderItem(self.pids[p], qty) for p, qty in items]
        merged: dict[int, int] = {}
        for item in order_items:
            merged[item.product_id] = merged.get(item.product_id, 0) + item.qty
        target = None
        if po is not None and self.model.pos:
            target = self.model.pos[sorted(self.model.pos)[po % len(self.model.pos)]]
        if target is not None and not target.open:
            self._refused(
                "receive", lambda: self.desk.receive(order_items, purchase_order_id=target.id)
            )
            return
        event("receive: against a PO" if target else "receive: no PO")
        self._receive(order_items, merged, target)

    @rule(which=pick)
    def receive_rest_of_po(self, which: int) -> None:
        """The usual delivery: exactly what an open purchase order still expects."""
        open_pos = [po for _, po in sorted(self.model.pos.items()) if po.open]
        if not open_pos:
            self.add_purchase_order([(which % PRODUCTS, 1 + which % 5)], 7 * (which % 3))
            open_pos = [po for _, po in sorted(self.model.pos.items()) if po.open]
        target = open_pos[which % len(open_pos)]
        rest = {pid: ordered - got for pid, (ordered, got) in target.lines.items() if got < ordered}
        event("receive: rest of a PO")
        self._receive([OrderItem(pid, qty) for pid, qty in rest.items()], rest, target)

    @rule()
    def receive_what_the_queues_wait_for(self) -> None:
        """A delivery that fills every queue at once (customers with several lines get
        all of them ready together)."""
        short = {pid: self.model.waiting(pid) for pid in self.pids if self.model.waiting(pid)}
        if not short:
            event("nothing waiting")
            return
        event("receive: all that waits")
        self._receive([OrderItem(pid, qty) for pid, qty in short.items()], short, None)

    def _receive(
        self, order_items: list[OrderItem], merged: dict[int, int], target: MPO | None
    ) -> None:
        result = self.desk.receive(order_items, purchase_order_id=target.id if target else None)

        for pid, qty in merged.items():
            self.model.on_hand[pid] += qty
            if target is not None and pid in target.lines:
                target.lines[pid][1] += qty
        if target is not None:
            target.open = any(received < ordered for ordered, received in target.lines.values())
            assert result.purchase_order_closed == (not target.open)
        self._check_allocation(result, self.model.allocate(list(merged)))
        if target is not None and target.open:
            self.model.retell(list(merged))

    @rule(which=pick, reason=st.sampled_from(["", "changed mind"]))
    def cancel_line(self, which: int, reason: str) -> None:
        line = self._line(which, lambda candidate: bool(candidate.waiting or candidate.reserved))
        if line is None:
            return
        if not line.waiting and not line.reserved:
            self._refused("cancel line", lambda: self.desk.cancel_line(line.id, reason=reason))
            return
        event("cancel line: done")
        result = self.desk.cancel_line(line.id, reason=reason)
        line.cancelled += line.waiting + line.reserved
        line.waiting = line.reserved = 0
        self.model.messages["cancelled"] += 1
        self._check_allocation(result, self.model.allocate([line.product]))
        self.model.retell([line.product])

    @rule(which=pick)
    def ship_order(self, which: int) -> None:
        picked = self._line(which, lambda candidate: candidate.reserved > 0)
        if picked is None:
            return
        order_id = picked.order_id
        lines = [line for line in self.model.lines.values() if line.order_id == order_id]
        if not any(line.reserved for line in lines):
            self._refused("ship order", lambda: self.desk.ship_order(order_id))
            return
        event("ship order: done")
        shipped = self.desk.ship_order(order_id)
        expected = {line.id: line.reserved for line in lines if line.reserved}
        assert {s.line_id: s.qty for s in shipped} == expected
        for line in lines:
            self.model.on_hand[line.product] -= line.reserved
            line.shipped += line.reserved
            line.reserved = 0

    @rule(product=product_index, delta=st.sampled_from([-6, -3, -2, -1, 1, 2, 3, 6]))
    def adjust_stock(self, product: int, delta: int) -> None:
        pid = self.pids[product]
        if self.model.on_hand[pid] + delta < self.model.reserved(pid):
            refused = self._refused(
                "adjust stock", lambda: self.desk.adjust_stock(pid, delta, reason="count")
            )
            assert "reserved" in str(refused)
            return
        event("adjust stock: done")
        result = self.desk.adjust_stock(pid, delta, reason="count")
        self.model.on_hand[pid] += delta
        if delta > 0:
            self._check_allocation(result, self.model.allocate([pid]))
        else:
            assert result.left_in_stock == {self.skus[pid]: self.model.available(pid)}
            assert not result.fulfilled and not result.partial

    @rule(which=pick, priority=st.integers(-2, 5))
    def set_priority(self, which: int, priority: int) -> None:
        line = self._line(which, lambda candidate: candidate.waiting > 0)
        if line is None:
            return
        if not line.waiting:
            self._refused("set priority", lambda: self.desk.set_priority(line.id, priority))
            return
        event("set priority: done")
        self.desk.set_priority(line.id, priority)
        line.priority = priority
        self.model.retell([line.product])

    @rule(
        items=st.lists(st.tuples(product_index, st.integers(1, 8)), min_size=1, max_size=2),
        days=st.integers(0, 4).map(lambda n: n * 7),
    )
    def add_purchase_order(self, items: list[tuple[int, int]], days: int) -> None:
        order_items = [OrderItem(self.pids[p], qty) for p, qty in items]
        expected = FIRST_PO_DATE + timedelta(days=days)
        po = self.desk.add_purchase_order(
            supplier_id=self.supplier, expected=expected, items=order_items
        )
        lines: dict[int, list[int]] = {}
        for item in order_items:
            lines.setdefault(item.product_id, [0, 0])[0] += item.qty
        self.model.pos[po.id] = MPO(id=po.id, expected=expected, lines=lines)
        self.model.retell(list(lines))

    @rule(extra=st.integers(3, 10), days=st.integers(0, 4).map(lambda n: n * 7))
    def order_what_the_queues_wait_for(self, extra: int, days: int) -> None:
        """A purchase order for every queue and a few units more, so that lines placed
        next are told dates (which delays and priorities can then break)."""
        wanted = [
            (index, self.model.waiting(pid) + extra)
            for index, pid in enumerate(self.pids)
            if self.model.waiting(pid) + extra
        ]
        if wanted:
            self.add_purchase_order(wanted, days)

    @rule(which=pick, weeks=st.integers(1, 2))
    def delay_purchase_order(self, which: int, weeks: int) -> None:
        """The supplier is late: customers whose lines now come later are told."""
        open_pos = [po for _, po in sorted(self.model.pos.items()) if po.open]
        if not open_pos:
            event("nothing to delay")
            return
        target = open_pos[which % len(open_pos)]
        later = target.expected + timedelta(days=7 * weeks)
        event("delay purchase order")
        self.desk.delay_purchase_order(target.id, later)
        target.expected = later
        self.model.retell(list(target.lines))

    # -------------------------------------------------------- invariants

    def _check_allocation(
        self, result: Any, model: tuple[set[int], set[int], dict[int, int]]
    ) -> None:
        fulfilled, partial, left = model
        assert {f.line_id for f in result.fulfilled} == fulfilled
        assert {f.line_id for f in result.partial} == partial
        assert result.left_in_stock == {self.skus[pid]: units for pid, units in left.items()}

    @invariant()
    def store_matches_model(self) -> None:
        if not self.pids:
            return
        stored = {
            row[0]: row[1:]
            for row in OrderLine.select(
                OrderLine.id,
                OrderLine.qty_reserved,
                OrderLine.qty_waiting,
                OrderLine.qty_shipped,
                OrderLine.qty_cancelled,
                OrderLine.priority,
            ).tuples()
        }
        modelled = {
            line.id: (line.reserved, line.waiting, line.shipped, line.cancelled, line.priority)
            for line in self.model.lines.values()
        }
        assert stored == modelled
        totals = {
            pid: (on_hand, reserved, waiting)
            for pid, on_hand, reserved, waiting in Product.select(
                Product.id, Product.on_hand, Product.reserved, Product.waiting
            ).tuples()
        }
        assert totals == {
            pid: (self.model.on_hand[pid], self.model.reserved(pid), self.model.waiting(pid))
            for pid in self.pids
        }
        assert eta.line_etas(list(self.model.lines)) == self.model.line_etas()
        notified = dict(OrderLine.select(OrderLine.id, OrderLine.eta_notified).tuples())
        assert notified == {line.id: line.told for line in self.model.lines.values()}
        statuses = dict(PurchaseOrder.select(PurchaseOrder.id, PurchaseOrder.status).tuples())
        assert statuses == {
            po.id: "open" if po.open else "closed" for po in self.model.pos.values()
        }
        received = {
            (po_id, pid): qty
            for po_id, pid, qty in PurchaseOrderLine.select(
                PurchaseOrderLine.purchase_order,
                PurchaseOrderLine.product,
                PurchaseOrderLine.qty_received,
            ).tuples()
        }
        assert received == {
            (po.id, pid): got
            for po in self.model.pos.values()
            for pid, (_, got) in po.lines.items()
        }
        events = Counter(
            event for (event,) in CustomerMessage.select(CustomerMessage.event).tuples()
        )
        assert events == +self.model.messages

    @invariant()
    def checks_find_nothing(self) -> None:
        assert run_checks() == []


def _shortage_tuple(shortage: Shortage) -> tuple[Any, ...]:
    return (
        shortage.product_id,
        shortage.asked,
        shortage.available,
        shortage.short_by,
        shortage.eta,
    )


ControllerMachine.TestCase.settings = settings(
    max_examples=80,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
# About 10-15 s on the reference machine: marked slow, still part of the default run.
TestControllerMachine = pytest.mark.slow(ControllerMachine.TestCase)


# ------------------------------------------------- check() can fail, each way


@pytest.fixture
def busy_store(controller: Controller, clock: Any) -> Iterator[dict[str, int]]:
    """A store with ready, waiting and shipped lines that passes every check."""
    cup = controller.add_product(sku="CUP", name="Cup").id
    mug = controller.add_product(sku="MUG", name="Mug").id
    ann = controller.add_customer(name="Ann").id
    controller.adjust_stock(cup, 5, reason="count")
    shipped = controller.place_order(ann, [OrderItem(cup, 2)])
    controller.ship_order(shipped.order_id)
    clock.advance(minutes=1)
    waiting = controller.place_order(ann, [OrderItem(cup, 4)], decisions={cup: Decision.WAIT})
    assert run_checks() == []
    yield {
        "cup": cup,
        "mug": mug,
        "shipped_line": shipped.lines[0].line_id,
        "waiting_line": waiting.lines[0].line_id,
    }


def corrupt(store: Store, sql: str, *params: int) -> None:
    """Change the store behind the controller's back, as a bug or a hand edit would."""
    store.database.execute_sql(sql.replace("?", store.database.param), params)


def test_check_reports_on_hand_differing_from_movements(
    store: Store, busy_store: dict[str, int]
) -> None:
    corrupt(store, "UPDATE product SET on_hand = on_hand + 1 WHERE id = ?", busy_store["mug"])
    assert run_checks() == ["Product MUG: on hand is 1 but its stock movements add up to 0."]


def test_check_reports_negative_on_hand(store: Store, busy_store: dict[str, int]) -> None:
    corrupt(
        store,
        "INSERT INTO stock_movement (product_id, qty, kind, reason, staff_id, created_at) "
        "VALUES (?, -2, 'adjustment', 'bad', 1, '2026-11-02 09:00:00')",
        busy_store["mug"],
    )
    corrupt(store, "UPDATE product SET on_hand = -2 WHERE id = ?", busy_store["mug"])
    assert run_checks() == [
        "Product MUG: on hand is negative (-2).",
        "Product MUG: reserved 0 is outside 0..on hand (-2).",
    ]


def test_check_reports_reserved_differing_from_lines(
    store: Store, busy_store: dict[str, int]
) -> None:
    corrupt(store, "UPDATE product SET reserved = reserved - 1 WHERE id = ?", busy_store["cup"])
    # The unit no longer counted as reserved looks available to the waiting line too.
    assert run_checks() == [
        "Product CUP: reserved is 2 but its lines reserve 3.",
        "Product CUP: 1 available while 1 units wait: the queue was not served.",
    ]


def test_check_reports_reserved_above_on_hand(store: Store, busy_store: dict[str, int]) -> None:
    # The line and the product agree on 5 reserved, but only 3 cups are on hand.
    corrupt(
        store,
        "UPDATE order_line SET qty_reserved = qty_reserved + 2, qty_ordered = qty_ordered + 2 "
        "WHERE id = ?",
        busy_store["waiting_line"],
    )
    corrupt(
        store,
        "UPDATE product SET reserved = reserved + 2 WHERE id = ?",
        busy_store["cup"],
    )
    assert run_checks() == ["Product CUP: reserved 5 is outside 0..on hand (3)."]


def test_check_reports_waiting_differing_from_lines(
    store: Store, busy_store: dict[str, int]
) -> None:
    corrupt(store, "UPDATE product SET waiting = 0 WHERE id = ?", busy_store["cup"])
    assert run_checks() == ["Product CUP: waiting is 0 but its lines wait for 1."]


def test_check_reports_available_stock_while_a_line_waits(
    store: Store, busy_store: dict[str, int]
) -> None:
    # Stock came in without the queue being served.
    corrupt(
        store,
        "INSERT INTO stock_movement (product_id, qty, kind, reason, staff_id, created_at) "
        "VALUES (?, 2, 'receipt', 'unserved', 1, '2026-11-02 09:00:00')",
        busy_store["cup"],
    )
    corrupt(store, "UPDATE product SET on_hand = on_hand + 2 WHERE id = ?", busy_store["cup"])
    assert run_checks() == [
        "Product CUP: 2 available while 1 units wait: the queue was not served."
    ]


def test_check_reports_a_line_whose_units_do_not_add_up(
    store: Store, busy_store: dict[str, int]
) -> None:
    corrupt(
        store,
        "UPDATE order_line SET qty_ordered = qty_ordered + 1 WHERE id = ?",
        busy_store["waiting_line"],
    )
    (finding,) = run_checks()
    assert finding.startswith(f"Order line {busy_store['waiting_line']}: ordered 5 != reserved 3")


def test_check_reports_a_unit_that_left_twice(store: Store, busy_store: dict[str, int]) -> None:
    # A second shipment movement for the shipped line, balanced so the ledger still adds up.
    corrupt(
        store,
        "INSERT INTO stock_movement (product_id, qty, kind, reason, order_line_id, staff_id, "
        "created_at) VALUES (?, -1, 'shipment', 'again', ?, 1, '2026-11-02 09:00:00')",
        busy_store["cup"],
        busy_store["shipped_line"],
    )
    corrupt(
        store,
        "INSERT INTO stock_movement (product_id, qty, kind, reason, staff_id, created_at) "
        "VALUES (?, 1, 'adjustment', 'balance', 1, '2026-11-02 09:00:00')",
        busy_store["cup"],
    )
    assert run_checks() == [
        f"Order line {busy_store['shipped_line']}: 2 shipped but its shipment movements take 3."
    ]


def test_the_store_itself_refuses_a_negative_bucket(
    store: Store, busy_store: dict[str, int]
) -> None:
    # check() also reports negative buckets, but the table's CHECK constraint comes first.
    with pytest.raises(IntegrityError, match="(?i)check|constraint"), store.database.atomic():
        corrupt(
            store,
            "UPDATE order_line SET qty_cancelled = -1, qty_ordered = qty_ordered - 1 WHERE id = ?",
            busy_store["waiting_line"],
        )
    assert run_checks() == []
