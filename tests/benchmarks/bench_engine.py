"""Engine benchmark: build a big store through the controller and time each phase.

    .venv/bin/python tests/benchmarks/bench_engine.py [--scale 0.1] [--db PATH]
                                                      [--orders-per-commit N]

Every phase prints one JSON line: ``phase``, ``seconds``, ``rows``, ``rate`` (rows per
second), ``peak_rss_mb`` (the process's peak resident memory so far) and, where a target
applies, ``target`` and ``met``. A last ``summary`` line names the store file, which is
kept (the UI benchmark reuses it) and overwritten by the next run.

Phases at ``--scale 1``: the commit floor (how many durable commits per second the disk
allows with the store's WAL + ``synchronous=FULL``; it caps orders/s, one commit each);
5,000 products (one GTIN each); 20,000 customers; opening stock; 40 open purchase orders
(so shortages get ETAs); 100,000 orders
of 1-4 lines of which about 30 % are short (the customer mostly waits, sometimes cancels),
so tens of thousands of lines wait; one receipt of 2,000 lines that serves most of their
queues; the first page of the backorder list; ``check``.

Every write goes through ``Controller`` in its own transaction, exactly as at the counter,
so the figures include validation, ETAs, audit events, outbox messages and commits.
``--orders-per-commit N`` groups N orders per transaction to show the engine's own speed
without the disk's fsync per order.
Not a test: pytest does not collect ``bench_*.py`` files (test_bench_smoke.py runs this
script at a tiny scale and only checks its output).
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import resource
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

# Runnable as a plain script from a checkout: make ``app`` importable.
ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from peewee import SqliteDatabase  # noqa: E402

from app import queries  # noqa: E402
from app.barcodes import gtin13_with_check_digit  # noqa: E402
from app.check import run_checks  # noqa: E402
from app.clock import utcnow  # noqa: E402
from app.controller import Controller, Decision, OrderItem  # noqa: E402
from app.store import open_store  # noqa: E402

DEFAULT_DB = Path("/tmp/backorder-bench.db")
#: As app.store opens a SQLite store (the commit floor is measured with the same).
SQLITE_PRAGMAS = {"journal_mode": "wal", "foreign_keys": 1, "synchronous": "full"}

PRODUCTS = 5_000
CUSTOMERS = 20_000
ORDERS = 100_000
RECEIPT_LINES = 2_000
OPEN_POS = 40
PO_LINES = 25
SHORT_SHARE = 0.30  # of the lines
CANCEL_SHARE = 0.10  # of the short lines' decisions

#: phase -> (what is compared, comparison, limit); a rate is "at least", the rest "at most".
TARGETS: dict[str, tuple[str, str, float]] = {
    "orders": ("rate", ">=", 2_000.0),
    "receipt": ("seconds", "<=", 1.0),
    "backorder_page": ("seconds", "<=", 0.050),
    "check": ("seconds", "<=", 2.0),
}
PEAK_RSS_TARGET_MB = 300.0


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class SimClock:
    """A clock the benchmark moves forward, so the store spans weeks like a real one."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


class Report:
    """Prints the JSON lines and keeps them for the summary."""

    def __init__(self) -> None:
        self.lines: list[dict[str, Any]] = []

    def phase(self, name: str, seconds: float, rows: int, **extra: Any) -> None:
        line: dict[str, Any] = {
            "phase": name,
            "seconds": round(seconds, 4),
            "rows": rows,
            "rate": round(rows / seconds, 1) if seconds > 0 else None,
            "peak_rss_mb": round(peak_rss_mb(), 1),
        }
        line.update(extra)
        target = TARGETS.get(name)
        if target is not None:
            key, op, limit = target
            value = line[key]
            line["target"] = f"{key} {op} {limit:g}"
            line["met"] = value is not None and (value >= limit if op == ">=" else value <= limit)
        self.lines.append(line)
        print(json.dumps(line), flush=True)


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def fresh_store_path(path: Path) -> None:
    """Delete the previous run's store (and its WAL files): the benchmark overwrites it."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def commit_floor(beside: Path, commits: int) -> tuple[float, int]:
    """Time empty-ish write transactions on a scratch SQLite file with the store's own
    pragmas (WAL, synchronous=FULL): what the disk alone allows per commit."""
    scratch = beside.with_name(beside.name + ".floor")
    fresh_store_path(scratch)
    db = SqliteDatabase(str(scratch), pragmas=SQLITE_PRAGMAS)
    db.connect()
    db.execute_sql("CREATE TABLE probe (id INTEGER PRIMARY KEY, note TEXT)")
    start = time.perf_counter()
    for n in range(commits):
        with db.atomic("IMMEDIATE"):
            db.execute_sql("INSERT INTO probe (note) VALUES (?)", (f"commit {n}",))
    seconds = time.perf_counter() - start
    db.close()
    fresh_store_path(scratch)
    return seconds, commits


def plan_orders(
    rng: random.Random, n_orders: int, product_ids: list[int], customer_ids: list[int]
) -> list[tuple[int, list[tuple[int, int]]]]:
    """Every order up front (customer, [(product, qty)]), so stock can be sized to it."""
    orders = []
    for _ in range(n_orders):
        n_lines = rng.choice((1, 1, 2, 2, 2, 3, 3, 4))
        picked = rng.sample(product_ids, min(n_lines, len(product_ids)))
        lines = [(pid, rng.choice((1, 1, 1, 2, 2, 3, 5))) for pid in picked]
        orders.append((rng.choice(customer_ids), lines))
    return orders


def run(scale: float, db: Path, seed: int, per_commit: int = 1) -> dict[str, Any]:
    rng = random.Random(seed)
    n_products = max(int(PRODUCTS * scale), 10)
    n_customers = max(int(CUSTOMERS * scale), 10)
    n_orders = max(int(ORDERS * scale), 20)
    n_receipt = max(min(int(RECEIPT_LINES * scale), n_products), 1)
    n_pos = max(int(OPEN_POS * scale), 1)

    fresh_store_path(db)
    store = open_store(db)
    today = utcnow().replace(microsecond=0)
    clock = SimClock(today - timedelta(days=90))
    controller = Controller(store, clock=clock)
    report = Report()
    overall = time.perf_counter()

    # Every order is its own durable commit, so the disk's fsync rate caps orders/s.
    seconds, commits = commit_floor(db, max(int(2_000 * min(scale, 1)), 50))
    report.phase("commit_floor", seconds, commits)

    # ---------------------------------------------------------------- products
    suppliers = [
        controller.supplier_named(name, lead_time_days=days).id
        for name, days in (
            ("Northfield Fixings Ltd", 7),
            ("Oakridge Homewares", 14),
            ("Paperline Stationery Co.", 10),
            ("Harbour Tools & Paint", 21),
        )
    ]

    def add_products() -> list[int]:
        ids = []
        for i in range(n_products):
            ids.append(
                controller.add_product(
                    sku=f"BN-{i:05d}",
                    name=f"Bench item {i:05d}",
                    price_cents=rng.randrange(99, 25_000),
                    reorder_point=rng.randrange(0, 20),
                    barcodes=[gtin13_with_check_digit(f"20{9_000_000_000 + i:010d}")],
                    supplier_id=suppliers[i % len(suppliers)],
                ).id
            )
        return ids

    seconds, product_ids = timed(add_products)
    report.phase("products", seconds, len(product_ids))

    # --------------------------------------------------------------- customers
    def add_customers() -> list[int]:
        ids = []
        for i in range(n_customers):
            clock.now += timedelta(seconds=20)
            ids.append(
                controller.add_customer(
                    name=f"Customer {i:05d}",
                    email=f"customer{i:05d}@example.com" if i % 5 else None,
                    phone=f"07700 900{i % 1000:03d}",
                ).id
            )
        return ids

    seconds, customer_ids = timed(add_customers)
    report.phase("customers", seconds, len(customer_ids))

    # -------------------------------------------- opening stock and open POs
    orders = plan_orders(rng, n_orders, product_ids, customer_ids)
    demand: dict[int, int] = dict.fromkeys(product_ids, 0)
    for _customer, lines in orders:
        for pid, qty in lines:
            demand[pid] += qty
    # The plan (100,000 orders, ~600,000 objects) is this script's own data, which a desk
    # never holds: frozen out of the garbage collector, so its collections, which would scan
    # the plan again and again (~70 ms in the receipt alone), measure the engine's objects.
    gc.collect()
    gc.freeze()

    def opening_stock() -> int:
        done = 0
        for pid in product_ids:
            # About 70 % of each product's demand is in stock, so the later ~30 % of its
            # lines find it short.
            units = int(demand[pid] * (1 - SHORT_SHARE))
            if units > 0:
                controller.adjust_stock(pid, units, reason="opening stock")
                done += 1
        return done

    seconds, adjusted = timed(opening_stock)
    report.phase("opening_stock", seconds, adjusted)

    def purchase_orders() -> int:
        lines = 0
        for n in range(n_pos):
            picked = rng.sample(product_ids, min(PO_LINES, len(product_ids)))
            controller.add_purchase_order(
                supplier_id=suppliers[n % len(suppliers)],
                expected=(today + timedelta(days=rng.randrange(3, 40))).date(),
                items=[OrderItem(pid, rng.randrange(5, 40)) for pid in picked],
            )
            lines += len(picked)
        return lines

    seconds, po_lines = timed(purchase_orders)
    report.phase("purchase_orders", seconds, po_lines, purchase_orders=n_pos)

    # ------------------------------------------------------------------ orders
    step = timedelta(days=80) / max(n_orders, 1)

    def place_orders() -> dict[str, int]:
        counts = {"lines": 0, "waited": 0, "cancelled": 0}
        for start in range(0, len(orders), per_commit):
            if per_commit == 1:
                place(orders[start], counts)
                continue
            # Several orders per commit: the engine's own speed, without the disk's
            # fsync per order (each order is still a savepoint of its own).
            with store.write():
                for order in orders[start : start + per_commit]:
                    place(order, counts)
        return counts

    def place(order: tuple[int, list[tuple[int, int]]], counts: dict[str, int]) -> None:
        customer_id, lines = order
        clock.now += step
        decisions = {
            pid: Decision.CANCEL if rng.random() < CANCEL_SHARE else Decision.WAIT
            for pid, _qty in lines
        }
        placed = controller.place_order(
            customer_id, [OrderItem(pid, qty) for pid, qty in lines], decisions=decisions
        )
        counts["lines"] += len(placed.lines)
        counts["waited"] += sum(1 for line in placed.lines if line.waiting)
        counts["cancelled"] += sum(1 for line in placed.lines if line.cancelled)

    seconds, counts = timed(place_orders)
    waiting_now = queries.count_backorders()
    report.phase(
        "orders",
        seconds,
        len(orders),
        lines=counts["lines"],
        short_lines_waited=counts["waited"],
        short_lines_cancelled=counts["cancelled"],
        waiting_lines=waiting_now,
        orders_per_commit=per_commit,
    )

    # ----------------------------------------------------------------- receipt
    clock.now = today - timedelta(hours=2)
    waiting_units = sorted(
        ((row.waiting, row.product_id) for row in queries.product_figures(only_waiting=True)),
        reverse=True,
    )
    chosen = waiting_units[:n_receipt]
    if len(chosen) < n_receipt:  # a tiny run may have few waiting products: top it up
        others = [pid for pid in product_ids if pid not in {pid for _w, pid in chosen}]
        chosen += [(10, pid) for pid in others[: n_receipt - len(chosen)]]
    # Most products get their whole queue's worth, the rest about half of it.
    items = [
        OrderItem(pid, units if n % 5 else max(units // 2, 1))
        for n, (units, pid) in enumerate(chosen)
    ]
    seconds, received = timed(lambda: controller.receive(items, note="benchmark delivery"))
    report.phase(
        "receipt",
        seconds,
        len(items),
        fulfilled=len(received.fulfilled),
        partial=len(received.partial),
        completed_orders=len(received.completed_orders),
        waiting_lines=queries.count_backorders(),
    )

    # ---------------------------------------------------------- backorder page
    first, page = timed(lambda: queries.backorders(limit=100))
    repeats = [timed(lambda: queries.backorders(limit=100))[0] for _ in range(5)]
    report.phase(
        "backorder_page",
        first,
        len(page),
        repeat_median_s=round(statistics.median(repeats), 4),
        with_eta=sum(1 for row in page if row.eta is not None),
    )

    # ------------------------------------------------------------------- check
    seconds, findings = timed(run_checks)
    report.phase("check", seconds, 1, findings=len(findings))
    if findings:
        print(json.dumps({"phase": "check_findings", "findings": findings[:20]}), flush=True)

    store.close()
    peak = peak_rss_mb()
    summary = {
        "phase": "summary",
        "scale": scale,
        "seconds": round(time.perf_counter() - overall, 2),
        "peak_rss_mb": round(peak, 1),
        "peak_rss_met": peak <= PEAK_RSS_TARGET_MB,
        "targets_missed": [line["phase"] for line in report.lines if line.get("met") is False]
        + ([] if peak <= PEAK_RSS_TARGET_MB else ["peak_rss"]),
        "db": str(db),
        "date": date.today().isoformat(),
    }
    print(json.dumps(summary), flush=True)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="shrink (or grow) every phase")
    parser.add_argument(
        "--db",
        type=Path,
        default=DEFAULT_DB,
        help=f"store file, overwritten (default {DEFAULT_DB})",
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--orders-per-commit",
        type=int,
        default=1,
        help="place this many orders per transaction (default 1, as at the counter)",
    )
    args = parser.parse_args(argv)
    if args.scale <= 0:
        parser.error("--scale must be above 0")
    if args.orders_per_commit < 1:
        parser.error("--orders-per-commit must be 1 or more")
    run(args.scale, args.db.expanduser().resolve(), args.seed, args.orders_per_commit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
