"""Dashboard benchmark: each figure's query, and the Dashboard section opening, on a big store.

    .venv/bin/python tests/benchmarks/bench_dashboard.py [--db PATH] [--repeats N]

Uses the store built by ``bench_engine.py`` (default ``/tmp/backorder-bench.db``: 100,000
orders over 80 days; build it with ``.venv/bin/python tests/benchmarks/bench_engine.py``).
Opening a store from before schema 4 upgrades it first (timed as ``open_store``).

Prints one JSON line per figure:

* ``open_store``: opening the store (and upgrading it, if it was older), in seconds.
* ``figure``: one of ``app.dashboard.FIGURES``: ``first_ms`` (the first run, on a fresh
  connection) and ``median_ms`` over ``--repeats`` more, with a few of its numbers.
* ``figures_total``: every figure once, as the dashboard loads them (``app.dashboard.load``).
* ``section``: the Dashboard section offscreen at 1100x700, from ``show()`` until its
  figures are on show and painted: ``first_ms`` (its first open) and ``refresh_ms`` (a
  refresh afterwards), against the target ``ms <= 500`` for the first open.
* ``summary``: the store, the date and whether the target was met.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication  # noqa: E402

from app import dashboard  # noqa: E402
from app.clock import utcnow  # noqa: E402
from app.controller import Controller  # noqa: E402
from app.store import open_store  # noqa: E402

DEFAULT_DB = Path("/tmp/backorder-bench.db")
TARGET_MS = 500.0


def emit(line: dict[str, Any]) -> None:
    print(json.dumps(line, default=str), flush=True)


def brief(value: Any) -> dict[str, Any]:
    """A few of a figure's numbers, so the output shows the store is the one expected."""
    if isinstance(value, dashboard.OpenBackorders):
        return {"lines": value.lines, "units": value.units, "customers": value.customers}
    if isinstance(value, list) and value and isinstance(value[0], dashboard.AgeBucket):
        return {"lines": [bucket.lines for bucket in value]}
    if isinstance(value, list) and value and isinstance(value[0], dashboard.WeekFill):
        return {"ordered": sum(week.ordered for week in value)}
    if isinstance(value, list):
        return {"rows": len(value)}
    if isinstance(value, dashboard.LostDemand):
        return {"units": value.units, "products": value.products_count}
    if isinstance(value, dashboard.Waits):
        return {"lines": value.lines, "average_days": round(value.average_days or 0, 2)}
    if isinstance(value, dashboard.Overdue):
        return {"count": value.count, "outstanding": value.outstanding}
    return {}


def ms_since(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 1)


def time_section(app: QApplication, section: Any, *, first: bool) -> float:
    """From show (first) or refresh until the figures are on show and painted."""
    done: list[bool] = []
    section.loaded.connect(lambda: done.append(True))
    start = time.perf_counter()
    if first:
        section.show()
    else:
        section.refresh()
    while not done:
        app.processEvents()
        time.sleep(0.0005)
    section.grab()  # painted, charts and all
    return ms_since(start)


def run(db: Path, repeats: int) -> dict[str, Any]:
    start = time.perf_counter()
    store = open_store(db)
    emit({"phase": "open_store", "seconds": round(time.perf_counter() - start, 3)})
    now = utcnow()

    for name, figure in dashboard.FIGURES.items():
        store.database.close()  # a fresh connection, as the section's worker thread has
        store.database.connect()
        begin = time.perf_counter()
        value = figure(now)
        first = ms_since(begin)
        again = []
        for _ in range(repeats):
            begin = time.perf_counter()
            figure(now)
            again.append(ms_since(begin))
        emit(
            {
                "phase": "figure",
                "name": name,
                "first_ms": first,
                "median_ms": statistics.median(again) if again else first,
                **brief(value),
            }
        )

    begin = time.perf_counter()
    loaded = dashboard.load(now)
    emit({"phase": "figures_total", "ms": ms_since(begin), "per_figure_ms": loaded.timings})

    # Imported here: the figures above are measured without Qt in the process's way.
    from ui.context import DeskContext
    from ui.sections.dashboard import DashboardSection
    from ui.theme import apply_theme

    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    apply_theme(app)
    ctx = DeskContext(store, Controller(store))
    ctx.stop()
    section = DashboardSection(ctx)
    section.resize(1100, 700)
    first_ms = time_section(app, section, first=True)
    refresh_ms = time_section(app, section, first=False)
    met = first_ms <= TARGET_MS
    shown = section.cards["waiting"].value.text()
    emit(
        {
            "phase": "section",
            "first_ms": first_ms,
            "refresh_ms": refresh_ms,
            "lines_waiting_shown": shown,
            "target": f"ms <= {TARGET_MS:g}",
            "met": met,
        }
    )
    section.close()
    store.close()
    summary = {"phase": "summary", "db": str(db), "date": date.today().isoformat(), "met": met}
    emit(summary)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help="the store to read")
    parser.add_argument(
        "--repeats", type=int, default=5, help="runs of each figure after the first"
    )
    args = parser.parse_args(argv)
    if not args.db.exists():
        print(
            f"No store at {args.db}: build it with .venv/bin/python "
            "tests/benchmarks/bench_engine.py (or pass --db).",
            file=sys.stderr,
        )
        return 2
    run(args.db, max(args.repeats, 0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
