"""UI benchmark: how fast each section opens, filters and scrolls on a big store (offscreen).

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/benchmarks/bench_ui.py [--db PATH]

Uses the store built by ``bench_engine.py`` (default ``/tmp/backorder-bench.db``; build it
with ``.venv/bin/python tests/benchmarks/bench_engine.py --scale 1``). Reads only.

Prints one JSON line per figure: ``section``, ``measure``, ``ms`` and, where the issue sets
one, ``target_ms`` and ``met``:

* ``open``: construct the section and show its first page (painted), <= 200 ms.
* ``filter``: type a search and get the filtered first page (the debounce timer is fired at
  once, so this is the query and the repaint, not the wait), <= 100 ms; the slowest of a
  few searches (a common fragment, a rare one, one matching nothing).
* ``fetch_max``: scrolling to the end, the longest single ``fetchMore`` (the longest
  freeze of the window), <= 100 ms; ``scroll_total`` is the whole scroll, with ``rows``.
* ``main_window``: the whole window with all its sections, for reference.

Sections are found generically: the search field is whatever has the focus after
``focus_search()``, the list is the section's visible item view with the most rows.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QModelIndex, QSettings, QThreadPool, QTimer  # noqa: E402
from PySide6.QtWidgets import QAbstractItemView, QApplication, QLineEdit  # noqa: E402

from app.controller import Controller  # noqa: E402
from app.models import Customer, Product  # noqa: E402
from app.store import open_store  # noqa: E402
from ui.context import DeskContext  # noqa: E402
from ui.section import Section  # noqa: E402
from ui.theme import apply_theme  # noqa: E402

DEFAULT_DB = Path("/tmp/backorder-bench.db")
OPEN_TARGET_MS = 200.0
FILTER_TARGET_MS = 100.0
#: A single fetch longer than this is a visible freeze while scrolling.
FETCH_TARGET_MS = 100.0
#: Stop scrolling after this many rows (the store's biggest list is 100k orders).
MAX_ROWS = 150_000


def emit(section: str, measure: str, ms: float, target: float | None = None, **extra: Any) -> None:
    row: dict[str, Any] = {"section": section, "measure": measure, "ms": round(ms, 1)}
    if target is not None:
        row["target_ms"] = target
        row["met"] = ms <= target
    row.update(extra)
    print(json.dumps(row), flush=True)


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = work()
    return (time.perf_counter() - start) * 1000, result


def settle(app: QApplication) -> None:
    app.processEvents()


def flush_debounce(section: Section) -> None:
    """Fire the section's pending single-shot timers now (the typing debounce)."""
    for timer in section.findChildren(QTimer):
        if timer.isActive() and timer.isSingleShot():
            timer.stop()
            timer.timeout.emit()


def main_view(section: Section) -> QAbstractItemView | None:
    """The section's list: of its visible item views, the one with the most rows."""
    views = [
        view
        for view in section.findChildren(QAbstractItemView)
        if view.model() is not None and view.isVisible()
    ]
    if not views:
        return None
    return max(views, key=lambda view: view.model().rowCount(QModelIndex()))


def search_terms() -> list[str]:
    """A common fragment, a rare one (a real SKU and a customer's surname), and a miss."""
    terms = ["an"]
    sku = Product.select(Product.sku).order_by(Product.id.desc()).scalar()
    if sku:
        terms.append(str(sku))
    name = Customer.select(Customer.name).order_by(Customer.id.desc()).scalar()
    if name:
        terms.append(str(name).split()[-1])
    terms.append("zzqx-nothing")
    return terms


def bench_section(app: QApplication, ctx: DeskContext, cls: type[Section]) -> None:
    name = cls.title

    def build() -> Section:
        made = cls(ctx)
        made.resize(1100, 650)
        made.show()
        settle(app)
        made.repaint()
        return made

    ms, section = timed(build)
    emit(name, "open", ms, OPEN_TARGET_MS)

    view = main_view(section)
    model = view.model() if view is not None else None
    if model is None or view is None:
        emit(name, "fetch_max", 0.0, note="no list found")
    else:
        longest = 0.0
        fetches = 0
        start = time.perf_counter()
        root = QModelIndex()
        while model.canFetchMore(root) and model.rowCount(root) < MAX_ROWS:
            before = model.rowCount(root)

            def fetch() -> None:
                model.fetchMore(root)
                settle(app)

            ms, _ = timed(fetch)
            longest = max(longest, ms)
            fetches += 1
            if model.rowCount(root) == before:
                break
        total = (time.perf_counter() - start) * 1000
        view.scrollToBottom()
        emit(
            name, "fetch_max", longest, FETCH_TARGET_MS, fetches=fetches, rows=model.rowCount(root)
        )
        emit(name, "scroll_total", total, rows=model.rowCount(root))

    section.focus_search()
    settle(app)
    field = QApplication.focusWidget()
    if isinstance(field, QLineEdit) and section.isAncestorOf(field):
        worst = 0.0
        worst_term = ""
        for term in search_terms():

            def search(text: str = term) -> None:
                field.setText(text)
                flush_debounce(section)
                settle(app)
                section.repaint()

            ms, _ = timed(search)
            if ms > worst:
                worst, worst_term = ms, term
        emit(name, "filter", worst, FILTER_TARGET_MS, slowest_term=worst_term)
        field.clear()
        flush_debounce(section)
        settle(app)
    else:
        emit(name, "filter", 0.0, note="no search field took the focus on focus_search()")

    section.close()
    section.deleteLater()
    settle(app)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=str(DEFAULT_DB), help="the benchmark store")
    args = parser.parse_args(argv)
    if not Path(args.db).exists():
        print(
            f"No benchmark store at {args.db}: build it with "
            ".venv/bin/python tests/benchmarks/bench_engine.py --scale 1",
            file=sys.stderr,
        )
        return 2
    settings = Path(os.environ.get("TMPDIR", "/tmp")) / "bench-ui-settings"
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(settings))
    app = QApplication(sys.argv[:1])
    apply_theme(app)
    store = open_store(args.db)
    ctx = DeskContext(store, Controller(store))
    ctx.stop()  # nothing changes during the run; no polling in the figures
    emit(
        "store",
        "size",
        0.0,
        products=Product.select().count(),
        customers=Customer.select().count(),
    )

    from ui.main_window import SECTION_CLASSES, MainWindow

    for cls in SECTION_CLASSES:
        bench_section(app, ctx, cls)

    def build_window() -> MainWindow:
        window = MainWindow(ctx)
        window.show()
        settle(app)
        window.repaint()
        return window

    ms, window = timed(build_window)
    emit("Main window", "open", ms, note="all sections built")
    window.close()
    # Background loads (the dashboard's) finish before the store closes, as in the desk.
    QThreadPool.globalInstance().waitForDone()
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
