"""Receiving benchmark: does the station keep up with a USB scanner? (offscreen)

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/benchmarks/bench_receiving.py \
        [--db PATH_OR_URL] [--scans 400] [--rate 20]

Builds a small shop (2,000 products with GTINs) in a new store (a temporary SQLite file
unless ``--db`` names an empty one, e.g. a PostgreSQL test database), opens the real
``ReceivingWindow`` and types scans into its scan field the way a keyboard-wedge scanner
does: key events posted to the event queue, the code's characters 2 ms apart, then Enter
(every fourth scan ends in Tab; every twentieth is a GS1-128 case label, every tenth has a
``3*`` multiplier), a new scan every ``1/rate`` seconds.

Prints one JSON line per figure:

* ``sustained``: ``scans`` at ``rate`` per second; ``feedback_ms`` p50/p95/max is the time
  from the scan's Enter (or Tab) being typed to its feedback line being shown, target
  <= 30 ms; ``lost`` and ``merged`` must be 0 (every scan is one counted row, its units
  as typed).
* ``burst``: 100 scans typed all at once, far faster than any scanner, to show that queued
  keystrokes are never lost or merged; ``per_scan_ms`` is the handling time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, QSettings, Qt, QTimer  # noqa: E402
from PySide6.QtGui import QKeyEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.barcodes import gtin13_with_check_digit  # noqa: E402
from app.controller import Controller  # noqa: E402
from app.models import ReceiptLine  # noqa: E402
from app.store import open_store  # noqa: E402
from ui.context import DeskContext  # noqa: E402
from ui.receiving.window import ReceivingWindow  # noqa: E402

PRODUCTS = 2000
CHAR_GAP_S = 0.002


def emit(figure: dict[str, Any]) -> None:
    print(json.dumps(figure), flush=True)


def build_shop(controller: Controller) -> list[str]:
    """Products with GTIN-13 barcodes; returns the codes."""
    codes = []
    for number in range(PRODUCTS):
        code = gtin13_with_check_digit(f"50{number:010d}")
        controller.add_product(sku=f"B-{number:05d}", name=f"Bench item {number}", barcodes=[code])
        codes.append(code)
    return codes


def scan_texts(codes: list[str], count: int) -> list[tuple[str, Qt.Key, int]]:
    """(text, end key, units it stands for) for ``count`` scans."""
    scans = []
    for n in range(count):
        code = codes[(n * 37) % len(codes)]
        end = Qt.Key.Key_Tab if n % 4 == 3 else Qt.Key.Key_Return
        if n % 20 == 19:
            scans.append((f"(01)0{code}(37)12", end, 12))
        elif n % 10 == 9:
            scans.append((f"3*{code}", end, 3))
        else:
            scans.append((code, end, 1))
    return scans


def key_events(text: str, end: Qt.Key) -> list[QKeyEvent]:
    events = []
    for char in text:
        key = Qt.Key(ord(char.upper())) if char.isalnum() else Qt.Key(ord(char))
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            events.append(QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, char))
    for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
        events.append(QKeyEvent(kind, end, Qt.KeyboardModifier.NoModifier))
    return events


class Feeder:
    """Posts key events to the scan field at their scheduled times (a 1 ms timer)."""

    def __init__(self, window: ReceivingWindow, schedule: list[tuple[float, QKeyEvent, int]]):
        self.window = window
        self.schedule = schedule  # (due, event, scan number or -1), sorted by due
        self.next = 0
        self.start = time.perf_counter()
        self.enter_posted: dict[int, float] = {}
        self.timer = QTimer()
        self.timer.setInterval(1)
        self.timer.timeout.connect(self.tick)

    def tick(self) -> None:
        now = time.perf_counter() - self.start
        while self.next < len(self.schedule) and self.schedule[self.next][0] <= now:
            _due, event, scan = self.schedule[self.next]
            if scan >= 0:
                self.enter_posted[scan] = time.perf_counter()
            QApplication.postEvent(self.window.scan, event)
            self.next += 1
        if self.next >= len(self.schedule):
            self.timer.stop()


def run(
    window: ReceivingWindow,
    scans: list[tuple[str, Qt.Key, int]],
    rate: float | None,
    app: QApplication,
) -> dict[str, Any]:
    """Type ``scans`` (at ``rate`` per second, or all at once) and measure."""
    schedule: list[tuple[float, QKeyEvent, int]] = []
    for n, (text, end, _units) in enumerate(scans):
        start = n / rate if rate else 0.0
        events = key_events(text, end)
        for i, event in enumerate(events):
            due = start + (i // 2) * CHAR_GAP_S if rate else 0.0
            is_end_press = i == len(events) - 2
            schedule.append((due, event, n if is_end_press else -1))
    done_at: list[float] = []
    original: Callable[[str], None] = window.handle_scan

    def timed_scan(text: str) -> None:
        original(text)
        window.feedback.repaint()  # painted before the clock stops (no nested event loop)
        done_at.append(time.perf_counter())

    window.scan.scanned.disconnect(window.handle_scan)
    window.scan.scanned.connect(timed_scan)
    feeder = Feeder(window, schedule)
    started = time.perf_counter()
    feeder.timer.start()
    deadline = started + (len(scans) / rate if rate else 0) + 60
    while len(done_at) < len(scans) and time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.0002)
    elapsed = time.perf_counter() - started
    window.scan.scanned.disconnect(timed_scan)
    window.scan.scanned.connect(window.handle_scan)
    latencies = [
        (done_at[n] - feeder.enter_posted[n]) * 1000
        for n in range(min(len(done_at), len(feeder.enter_posted)))
    ]
    return {"elapsed_s": elapsed, "latencies": latencies, "handled": len(done_at)}


def check_counts(window: ReceivingWindow, scans: list[tuple[str, Qt.Key, int]]) -> dict[str, int]:
    """Lost: scans without a row; merged: rows whose units are not one scan's units."""
    assert window.draft_id is not None
    rows = [
        int(qty)
        for (qty,) in ReceiptLine.select(ReceiptLine.qty)
        .where(ReceiptLine.receipt == window.draft_id)
        .order_by(ReceiptLine.id)
        .tuples()
    ]
    wanted = [units for _text, _end, units in scans]
    lost = max(len(wanted) - len(rows), 0)
    merged = sum(1 for got, want in zip(rows, wanted, strict=False) if got != want)
    return {"rows": len(rows), "lost": lost, "merged": merged}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * share), len(ordered) - 1)] if ordered else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", help="an empty store location (default: a temporary file)")
    parser.add_argument("--scans", type=int, default=400)
    parser.add_argument("--rate", type=float, default=20.0, help="scans per second")
    options = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="bench-receiving-")
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, folder)
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    store = open_store(options.db or str(Path(folder) / "store.db"))
    try:
        controller = Controller(store)
        codes = build_shop(controller)
        ctx = DeskContext(store, controller)
        window = ReceivingWindow(ctx)
        window.show()
        window.scan.setFocus()

        scans = scan_texts(codes, options.scans)
        result = run(window, scans, options.rate, app)
        latencies = result["latencies"]
        counts = check_counts(window, scans)
        emit(
            {
                "measure": "sustained",
                "backend": "sqlite" if store.is_sqlite else "postgresql",
                "scans": len(scans),
                "rate_per_s": options.rate,
                "achieved_per_s": round(result["handled"] / result["elapsed_s"], 1),
                "feedback_ms_p50": round(statistics.median(latencies), 2),
                "feedback_ms_p95": round(percentile(latencies, 0.95), 2),
                "feedback_ms_max": round(max(latencies), 2),
                "target_ms": 30,
                "met": percentile(latencies, 0.95) <= 30 and not counts["lost"],
                **counts,
            }
        )

        window.start_next()
        burst = scans[:100]
        result = run(window, burst, None, app)
        counts = check_counts(window, burst)
        emit(
            {
                "measure": "burst",
                "scans": len(burst),
                "per_scan_ms": round(result["elapsed_s"] * 1000 / max(result["handled"], 1), 2),
                **counts,
            }
        )
        window.close()
        ctx.stop()
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
