"""Stress soak: the concurrency stress test at a larger size, with figures.

    .venv/bin/python tests/benchmarks/stress_soak.py [--workers 4] [--ops 2000]
        [--db PATH | --db postgresql://user:pw@host/db] [--seed N]

Runs the same worker processes as ``tests/test_stress.py`` (orders with and without
wait-or-cancel decisions, refusals, receipts against purchase orders, shipments,
cancellations, adjustments, priority changes) on a fresh store, then the same checks
(``check``, stock reconciled with the workers' reports, no lost or phantom write, queue
served in order, purchase orders closed exactly when received in full). Prints one JSON
line per backend run: operations, seconds, operations per second, retries the store saw
(busy / serialisation / deadlock), refusals because another station got there first, and
the counts of what was done. Exits non-zero if a check fails.

Without ``--db`` it runs on a SQLite file in a temporary folder, and also on PostgreSQL
when ``BACKORDER_DESK_TEST_PG`` names a test database, which is EMPTIED first.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

# Runnable as a plain script from a checkout: make ``app`` and ``tests`` importable.
ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.store import open_store  # noqa: E402
from tests.conftest import PG_ENV, reset_postgres  # noqa: E402
from tests.test_stress import Report, opening_stock, run_workers, seed_store, verify  # noqa: E402


def soak(location: str, *, workers: int, ops: int, seed: int) -> dict[str, object]:
    """One run on a fresh store at ``location``; raises AssertionError on a failed check."""
    seeded = seed_store(location, random.Random(seed))
    store = open_store(location)
    opening = opening_stock()
    store.close()
    began = time.perf_counter()
    reports = run_workers(location, workers=workers, ops=ops, seed=seed, seeded=seeded)
    seconds = time.perf_counter() - began
    store = open_store(location)
    try:
        verify(reports, opening)
    finally:
        store.close()
    return figures(reports, seconds, backend="sqlite" if "://" not in location else "postgresql")


def figures(reports: list[Report], seconds: float, *, backend: str) -> dict[str, object]:
    raced: Counter[str] = Counter()
    for report in reports:
        raced.update(report.raced)
    done = sum(r.ops for r in reports)
    return {
        "backend": backend,
        "workers": len(reports),
        "operations": done,
        "seconds": round(seconds, 2),
        "ops_per_s": round(done / seconds, 1),
        "slowest_worker_s": round(max(r.seconds for r in reports), 2),
        "retries": sum(r.retries for r in reports),
        "orders_placed": sum(len(r.orders) for r in reports),
        "orders_refused": sum(r.orders_refused for r in reports),
        "shortage_prompts": sum(r.prompts for r in reports),
        "changed_while_deciding": sum(r.changed_while_deciding for r in reports),
        "receipts": sum(len(r.receipts) for r in reports),
        "receipts_against_po": sum(
            1 for r in reports for po in r.receipt_po.values() if po is not None
        ),
        "units_received": sum(sum(r.received.values()) for r in reports),
        "units_shipped": sum(sum(r.shipped.values()) for r in reports),
        "units_adjusted": sum(sum(r.adjusted.values()) for r in reports),
        "lines_cancelled": sum(len(r.cancelled_lines) for r in reports),
        "priority_changes": sum(r.priority_changes for r in reports),
        "queue_checks": sum(r.queue_checks for r in reports),
        "raced": dict(raced),
        "checks": "passed",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--ops", type=int, default=2000, help="operations per worker")
    parser.add_argument("--db", help="a SQLite path or a PostgreSQL URL (emptied first)")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(1_000_000)
    if args.db:
        locations = [args.db]
    else:
        locations = [str(Path(tempfile.mkdtemp(prefix="stress-soak-")) / "store.db")]
        if os.environ.get(PG_ENV):
            locations.append(os.environ[PG_ENV])
    failed = False
    for location in locations:
        if "://" in location and not location.startswith("sqlite"):
            reset_postgres(location)
        try:
            line = soak(location, workers=args.workers, ops=args.ops, seed=seed)
        except AssertionError as error:
            failed = True
            line = {"location": location, "seed": seed, "checks": f"FAILED: {error}"}
        print(json.dumps({"seed": seed, **line}), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
