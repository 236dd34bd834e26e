"""Outbox benchmark: the Messages section and its queries on a store with a big outbox.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/benchmarks/bench_outbox.py \
        [--db /tmp/backorder-outbox-bench.db] [--messages 100000]

Builds the store when it does not exist: ``--messages`` customer messages (about what a
year of a busy shop queues: one per waiting order, arrival and cancellation), spread over
20,000 customers and their orders, mostly sent, some told, queued, failed and "may have
been sent". Then prints one JSON line per figure (as ``bench_ui.py`` does):

* the section's ``open``, ``fetch_max``, ``scroll_total`` and ``filter`` (the slowest of
  a few searches), from ``bench_ui.bench_section``;
* ``status_filter``: switching the Show box to "Needs attention" and to "Sent";
* ``query:<name>``: the reads alone (first page, count, counts per status, one message).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app import outbox_queries  # noqa: E402
from app.controller import Controller  # noqa: E402
from app.fast_sql import insert_rows  # noqa: E402
from app.models import Customer, CustomerMessage, Order, Staff, database  # noqa: E402
from app.store import open_store  # noqa: E402
from tests.benchmarks.bench_ui import (  # noqa: E402
    FILTER_TARGET_MS,
    bench_section,
    emit,
    settle,
    timed,
)
from ui.context import DeskContext  # noqa: E402
from ui.sections.messages import MessagesSection  # noqa: E402
from ui.theme import apply_theme  # noqa: E402

DEFAULT_DB = Path("/tmp/backorder-outbox-bench.db")
CUSTOMERS = 20_000
FIRST = ["Ann", "Bob", "Carla", "Dev", "Emma", "Farid", "Grace", "Hugo", "Ines", "Jon"]
LAST = ["Archer", "Baker", "Cole", "Dean", "Ellis", "Fischer", "Garcia", "Hughes", "Ito"]
STATUSES = [("sent", 0.88), ("told", 0.05), ("queued", 0.03), ("failed", 0.02), ("uncertain", 0.02)]
BODY = (
    "Dear {name},\n\nThank you for your order. Some items are not in stock today, and you "
    "chose to wait for them:\n\n  - 2 x Cordless drill 18V (DRL-18), order {order}: expected "
    "around 12 Dec 2026\n\nWe will tell you as soon as they arrive. If you would rather not "
    "wait, reply to this message or call us and we will cancel them.\n\nKind regards,\n"
    "Corner Hardware\n"
)


def build(path: Path, messages: int) -> None:
    store = open_store(path)
    Controller(store)  # makes the first staff member
    staff = Staff.select(Staff.id).scalar()
    rng = random.Random(7)
    start = datetime(2025, 11, 1, 8, 0)
    with database.atomic():
        insert_rows(
            Customer,
            [
                {
                    "name": f"{rng.choice(FIRST)} {rng.choice(LAST)} {number}",
                    "email": None if number % 9 == 0 else f"customer{number}@example.com",
                    "phone": f"555 {number:05d}",
                    "notes": "",
                    "created_at": start,
                }
                for number in range(1, CUSTOMERS + 1)
            ],
        )
        insert_rows(
            Order,
            [
                {
                    "customer": 1 + number % CUSTOMERS,
                    "placed_at": start + timedelta(minutes=5 * number),
                    "priority": 0,
                    "staff": staff,
                    "note": "",
                }
                for number in range(messages)
            ],
        )
    names = dict(Customer.select(Customer.id, Customer.name).tuples())
    weights = [weight for _, weight in STATUSES]
    for first in range(0, messages, 20_000):
        rows = []
        for number in range(first, min(first + 20_000, messages)):
            customer = 1 + number % CUSTOMERS
            status = rng.choices([s for s, _ in STATUSES], weights)[0]
            created = start + timedelta(minutes=5 * number)
            rows.append(
                {
                    "customer": customer,
                    "order": number + 1,
                    "event": "backorder_confirmed",
                    "created_at": created,
                    "subject": "Your order is on backorder at Corner Hardware",
                    "body": BODY.format(name=names[customer], order=number + 1),
                    "payload": "{}",
                    "status": status,
                    "attempts": 1 if status != "queued" else 0,
                    "last_error": "550 5.1.1 No such mailbox" if status == "failed" else None,
                    "sent_at": created + timedelta(minutes=1)
                    if status in ("sent", "told")
                    else None,
                    "told_via": {"sent": "email", "told": "phone"}.get(status),
                    "told_by": staff if status == "told" else None,
                    "message_id": f"<bench-{number}@backorder-desk>",
                }
            )
        with database.atomic():
            insert_rows(CustomerMessage, rows)
    store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=str(DEFAULT_DB), help="the benchmark store")
    parser.add_argument("--messages", type=int, default=100_000, help="outbox size to build")
    args = parser.parse_args(argv)
    path = Path(args.db)
    if not path.exists():
        ms, _ = timed(lambda: build(path, args.messages))
        emit("store", "build", ms, messages=args.messages)
    settings = Path(os.environ.get("TMPDIR", "/tmp")) / "bench-outbox-settings"
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(settings))
    app = QApplication(sys.argv[:1])
    apply_theme(app)
    store = open_store(path)
    ctx = DeskContext(store, Controller(store))
    ctx.stop()
    emit("store", "size", 0.0, messages=CustomerMessage.select().count())

    for name, work in (
        ("first_page", lambda: outbox_queries.outbox(limit=200)),
        ("count", outbox_queries.count_messages),
        ("status_counts", outbox_queries.status_counts),
        ("attention_page", lambda: outbox_queries.outbox(status="attention", limit=200)),
        ("attention_count", lambda: outbox_queries.count_messages(status="attention")),
        ("search_rare", lambda: outbox_queries.outbox(search="customer19999@", limit=200)),
        ("search_none", lambda: outbox_queries.outbox(search="zzqx-nothing", limit=200)),
        ("detail", lambda: outbox_queries.message_detail(50_000)),
    ):
        outbox_queries.outbox(limit=1)  # warm the connection and the page cache
        ms, _ = timed(work)
        emit("Messages", f"query:{name}", ms)

    bench_section(app, ctx, MessagesSection)

    section = MessagesSection(ctx)
    section.auto_timer.stop()
    section.resize(1100, 650)
    section.show()
    settle(app)
    for label in ("Needs attention", "Sent", "Told without e-mail"):

        def choose(text: str = label) -> None:
            section.status_box.setCurrentIndex(section.status_box.findText(text))
            settle(app)
            section.repaint()

        ms, _ = timed(choose)
        emit("Messages", "status_filter", ms, FILTER_TARGET_MS, show=label)
    section.close()
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
