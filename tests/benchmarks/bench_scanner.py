"""Scanner benchmark: does the receiving station keep up with a USB barcode scanner?

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/benchmarks/bench_scanner.py \\
        [--products 3000] [--scans 400] [--rate 20] [--char-ms 2] [--db PATH]

Issue 4 asks for 20 scans a second sustained with no lost or merged scans, and feedback
for each scan within 30 ms. This builds a store of ``--products`` products with GTIN-13
barcodes (in one transaction, through the controller), opens the real receiving window
(``ui.receiving.window.ReceivingWindow``) offscreen, and types scans into it the way a
scanner does: key press and release events posted to the focused widget a few
milliseconds apart (``--char-ms``), then Enter (or Tab), one scan every ``1/--rate``
seconds. A precise timer posts each key when it is due; when the window is busy, the
keys due meanwhile wait in the event queue as they would in the operating system's, and
are posted together. Everything runs in the event loop as in real life: the scan field,
the window's event filter, the engine's write per scan, the tally, the feedback line and
its repaint.

Most scans are GTIN-13s of random products (some repeated, as on a real delivery); one in
ten is a SKU typed by the scanner of an internal label, one in twenty carries a ``6*``
multiplier. Every one is valid, so every one must count.

Prints one JSON line per phase:

* ``store``: products made, seconds.
* ``engine``: ``Controller.draft_scan`` alone, called directly (the write transaction per
  scan that the window waits for): p50/p95/max in ms, for reference.
* ``scanner`` (``suffix`` ``enter`` then ``tab``): ``sent``, ``received`` (scans the
  window got, in order), ``lost`` and ``merged`` (scans missing, or arriving run together
  or split), ``units_expected`` / ``units_counted`` (the draft in the store afterwards),
  ``rate_target`` / ``rate_sustained`` (scans per second from the first scan's first key
  to the last scan's feedback), ``latency_ms`` (from the moment the scanner sent Enter to
  the window having counted the scan: tally row and feedback line updated) and
  ``painted_ms`` (to the feedback line's next repaint), each p50/p95/max, with
  ``target_ms`` 30 and ``met`` (no scan lost or merged, the rate kept, and p95 and max of
  ``latency_ms`` within the target); ``slowest``: the three slowest scans, with how late
  their Enter was posted (the window was busy), the engine's share (its write, which waits
  for the disk) and the garbage collector's.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, QEventLoop, QObject, Qt, QTimer  # noqa: E402
from PySide6.QtGui import QKeyEvent  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from app.barcodes import gtin13_with_check_digit  # noqa: E402
from app.controller import Controller  # noqa: E402
from app.store import Store, open_store  # noqa: E402
from ui.context import DeskContext  # noqa: E402
from ui.receiving.window import ReceivingWindow  # noqa: E402
from ui.theme import apply_theme  # noqa: E402

TARGET_MS = 30.0
TARGET_RATE = 20.0
#: How long to wait for the window to catch up after the last scan was sent.
GRACE_SECONDS = 30.0
#: Barcodes of the made-up products: GS1 prefix 29 (restricted circulation, in-store use).
PREFIX = "29"


def emit(phase: str, **figures: Any) -> None:
    print(json.dumps({"phase": phase, **figures}), flush=True)


def percentiles(values: list[float]) -> dict[str, float]:
    """p50, p95 and max of ``values`` in ms (rounded), or zeros when there are none."""
    if not values:
        return {"p50": 0.0, "p95": 0.0, "max": 0.0}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "p50": round(statistics.median(ordered), 2),
        "p95": round(p95, 2),
        "max": round(ordered[-1], 2),
    }


# ---------------------------------------------------------------------- the store


@dataclass(frozen=True)
class Item:
    """A product as the scanner knows it."""

    product_id: int
    sku: str
    gtin: str


def build_store(controller: Controller, products: int) -> list[Item]:
    """``products`` products, each with a GTIN-13, in one transaction."""
    items: list[Item] = []
    with controller.store.write():
        for n in range(products):
            sku = f"BX-{n:05d}"
            gtin = gtin13_with_check_digit(f"{PREFIX}{n + 1:010d}")
            made = controller.add_product(
                sku=sku, name=f"Benchmark product {n:05d}", barcodes=[gtin]
            )
            items.append(Item(int(made.id), sku, gtin))
    return items


def scan_plan(items: list[Item], scans: int, rng: random.Random) -> list[tuple[str, int, int]]:
    """What to scan: (text as typed, product id, units it stands for).

    A delivery has a few dozen products, scanned one unit at a time with repeats.
    """
    delivery = rng.sample(items, min(len(items), 60))
    plan = []
    for n in range(scans):
        item = rng.choice(delivery)
        if n % 20 == 7:
            plan.append((f"6*{item.gtin}", item.product_id, 6))
        elif n % 10 == 3:
            plan.append((item.sku, item.product_id, 1))
        else:
            plan.append((item.gtin, item.product_id, 1))
    return plan


def engine_figures(controller: Controller, plan: list[tuple[str, int, int]]) -> dict[str, Any]:
    """``draft_scan`` alone: what each scan costs before any window is involved."""
    draft = controller.open_draft_receipt()
    times = []
    for text, _pid, _units in plan:
        start = time.perf_counter()
        controller.draft_scan(draft, text)
        times.append((time.perf_counter() - start) * 1000)
    controller.discard_draft(draft)
    return {"scans": len(plan), "draft_scan_ms": percentiles(times)}


# ---------------------------------------------------------------------- the scanner


@dataclass
class Key:
    """One key event the scanner sends, and when (seconds from the start)."""

    due: float
    press: bool
    key: int
    text: str
    scan: int  # which scan it belongs to
    last: bool = False  # the scan's Enter/Tab press


def key_schedule(texts: list[str], *, rate: float, char_ms: float, suffix: str) -> list[Key]:
    """Press and release of every character, then the suffix, scan after scan."""
    keys: list[Key] = []
    period = 1.0 / rate
    gap = char_ms / 1000
    end_key, end_text = (
        (int(Qt.Key.Key_Return), "\r") if suffix == "enter" else (int(Qt.Key.Key_Tab), "\t")
    )
    for number, text in enumerate(texts):
        at = number * period
        for ch in text:
            # Qt's key codes for printable ASCII are the upper-case character codes.
            keys.append(Key(at, True, ord(ch.upper()), ch, number))
            keys.append(Key(at + gap / 2, False, ord(ch.upper()), ch, number))
            at += gap
        keys.append(Key(at, True, end_key, end_text, number, last=True))
        keys.append(Key(at + gap / 2, False, end_key, end_text, number))
    return keys


class Scanner(QObject):
    """Posts the scheduled key events when they are due, like a keyboard-wedge scanner.

    The events go to whichever widget has the focus (a scanner types wherever it is);
    ``enter_at[n]`` is when scan ``n``'s Enter (or Tab) was due.
    """

    def __init__(self, keys: list[Key], fallback: QWidget) -> None:
        super().__init__()
        self.keys = keys
        self.fallback = fallback
        self.next = 0
        self.start = 0.0
        self.enter_at: dict[int, float] = {}
        self.enter_posted: dict[int, float] = {}
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._tick)

    @property
    def done(self) -> bool:
        return self.next >= len(self.keys)

    def begin(self) -> None:
        self.start = time.perf_counter()
        self._tick()

    def _tick(self) -> None:
        now = time.perf_counter() - self.start
        while not self.done and self.keys[self.next].due <= now:
            key = self.keys[self.next]
            kind = QEvent.Type.KeyPress if key.press else QEvent.Type.KeyRelease
            event = QKeyEvent(kind, key.key, Qt.KeyboardModifier.NoModifier, key.text)
            target = QApplication.focusWidget() or self.fallback
            QApplication.postEvent(target, event)
            if key.last:
                self.enter_at[key.scan] = self.start + key.due
                self.enter_posted[key.scan] = time.perf_counter()
            self.next += 1
        if not self.done:
            wait_ms = (self.keys[self.next].due - (time.perf_counter() - self.start)) * 1000
            # Whole milliseconds, rounded up: a key is posted at most 1 ms late (latency
            # counts from when it was due), and the feeder never spins on 0 ms timers.
            self.timer.start(max(1, math.ceil(wait_ms)))


@dataclass
class Watch:
    """What the window did with the scans: when each was counted and repainted."""

    received: list[str] = field(default_factory=list)
    counted_at: list[float] = field(default_factory=list)
    painted_at: dict[int, float] = field(default_factory=dict)


class PaintWatcher(QObject):
    """Notes when the feedback line repaints after scans were counted."""

    def __init__(self, watch: Watch) -> None:
        super().__init__()
        self.watch = watch

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            now = time.perf_counter()
            for number in range(len(self.watch.counted_at)):
                self.watch.painted_at.setdefault(number, now)
        return False


def run_scanner(
    app: QApplication,
    ctx: DeskContext,
    plan: list[tuple[str, int, int]],
    *,
    rate: float,
    char_ms: float,
    suffix: str,
) -> dict[str, Any]:
    """Scan ``plan`` into a fresh receiving window and measure it."""
    window = ReceivingWindow(ctx)
    window.show()
    window.activateWindow()
    window.scan.setFocus()
    app.processEvents()

    watch = Watch()

    def counted(text: str) -> None:
        # Connected after the window's own slot, so this runs once the scan is counted:
        # the engine has saved it and the tally and feedback line are updated.
        watch.counted_at.append(time.perf_counter())
        watch.received.append(text)

    window.scan.scanned.connect(counted)
    painter = PaintWatcher(watch)
    window.feedback.installEventFilter(painter)

    # For the slowest scans: how long the engine took, and Python's garbage collector.
    engine_ms: list[float] = []
    real_scan = ctx.controller.draft_scan

    def timed_scan(draft_id: int, text: str) -> Any:
        start = time.perf_counter()
        try:
            return real_scan(draft_id, text)
        finally:
            engine_ms.append((time.perf_counter() - start) * 1000)

    ctx.controller.draft_scan = timed_scan  # type: ignore[method-assign]
    collections: list[tuple[float, float]] = []
    gc_started = [0.0]

    def gc_watch(phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            gc_started[0] = time.perf_counter()
        else:
            collections.append((gc_started[0], time.perf_counter()))

    gc.callbacks.append(gc_watch)

    texts = [text for text, _pid, _units in plan]
    scanner = Scanner(key_schedule(texts, rate=rate, char_ms=char_ms, suffix=suffix), window.scan)
    # The application's own event loop, as in real life; it ends once every scan is
    # counted (and the last repaint had time to happen) or when the window fell too far
    # behind to wait for.
    loop = QEventLoop()
    window.scan.scanned.connect(
        lambda _text: len(watch.received) >= len(texts) and QTimer.singleShot(200, loop.quit)
    )
    QTimer.singleShot(int((len(texts) / rate + GRACE_SECONDS) * 1000), loop.quit)
    QTimer.singleShot(0, scanner.begin)
    loop.exec()
    gc.callbacks.remove(gc_watch)
    del ctx.controller.draft_scan

    latency = [
        (watch.counted_at[n] - scanner.enter_at[n]) * 1000
        for n in range(min(len(watch.counted_at), len(texts)))
        if n in scanner.enter_at
    ]
    painted = [
        (watch.painted_at[n] - scanner.enter_at[n]) * 1000
        for n in watch.painted_at
        if n in scanner.enter_at and n < len(texts)
    ]
    lost = max(0, len(texts) - len(watch.received))
    merged = sum(1 for sent, got in zip(texts, watch.received, strict=False) if sent != got) + max(
        0, len(watch.received) - len(texts)
    )
    expected = Counter[int]()
    for _text, pid, units in plan:
        expected[pid] += units
    counted_units = Counter[int]()
    if window.draft_id is not None:
        for row in ctx.controller.draft_tally(window.draft_id):
            counted_units[row.product_id] += row.scanned
    elapsed = (watch.counted_at[-1] - scanner.start) if watch.counted_at else 0.0
    rate_sustained = len(watch.received) / elapsed if elapsed else 0.0
    figures = percentiles(latency)
    slowest = []
    for n in sorted(range(len(latency)), key=lambda n: latency[n], reverse=True)[:3]:
        enter, done = scanner.enter_at[n], watch.counted_at[n]
        gc_ms = sum(max(0.0, min(end, done) - max(start, enter)) for start, end in collections)
        slowest.append(
            {
                "scan": n,
                "latency_ms": round(latency[n], 2),
                "enter_posted_late_ms": round((scanner.enter_posted[n] - enter) * 1000, 2),
                "engine_ms": round(engine_ms[n], 2) if n < len(engine_ms) else None,
                "gc_ms": round(gc_ms * 1000, 2),
            }
        )
    ok = (
        lost == 0
        and merged == 0
        and counted_units == expected
        and rate_sustained >= rate * 0.98
        and figures["p95"] <= TARGET_MS
        and figures["max"] <= TARGET_MS
    )
    result = {
        "suffix": suffix,
        "sent": len(texts),
        "received": len(watch.received),
        "lost": lost,
        "merged": merged,
        "units_expected": sum(expected.values()),
        "units_counted": sum(counted_units.values()),
        "counts_match": counted_units == expected,
        "rate_target": rate,
        "rate_sustained": round(rate_sustained, 2),
        "char_ms": char_ms,
        "latency_ms": figures,
        "painted_ms": percentiles(painted),
        "slowest": slowest,
        "target_ms": TARGET_MS,
        "met": ok,
    }
    if window.draft_id is not None:
        ctx.controller.discard_draft(window.draft_id)
    window.scan.scanned.disconnect(counted)
    window.close()
    window.deleteLater()
    app.processEvents()
    return result


# ---------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=3000, help="products in the store")
    parser.add_argument("--scans", type=int, default=400, help="scans per run")
    parser.add_argument("--rate", type=float, default=TARGET_RATE, help="scans per second")
    parser.add_argument(
        "--char-ms", type=float, default=2.0, help="milliseconds between a scan's characters"
    )
    parser.add_argument("--db", type=Path, help="SQLite file to build (replaced; default: temp)")
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args(argv)

    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    apply_theme(app)
    with tempfile.TemporaryDirectory() as folder:
        db = args.db or Path(folder) / "scanner-bench.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        store: Store = open_store(db)
        try:
            controller = Controller(store)
            start = time.perf_counter()
            items = build_store(controller, args.products)
            emit("store", products=len(items), seconds=round(time.perf_counter() - start, 2))
            rng = random.Random(args.seed)
            plan = scan_plan(items, args.scans, rng)
            emit("engine", **engine_figures(controller, plan))
            ctx = DeskContext(store, controller)
            for suffix in ("enter", "tab"):
                emit(
                    "scanner",
                    **run_scanner(
                        app, ctx, plan, rate=args.rate, char_ms=args.char_ms, suffix=suffix
                    ),
                )
            ctx.stop()
        finally:
            store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
