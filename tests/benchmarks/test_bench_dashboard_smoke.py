"""The dashboard benchmark still runs: on the small hand-computed shop, checking its
output's shape and that it read the shop's figures, never its timings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from app import dashboard
from app.controller import Controller
from app.store import open_store
from tests.conftest import FakeClock
from tests.test_dashboard import build_history

BENCH = Path(__file__).with_name("bench_dashboard.py")


def test_dashboard_benchmark_prints_each_figure_and_the_section(tmp_path: Path) -> None:
    db = tmp_path / "shop.db"
    store = open_store(db)
    clock = FakeClock()
    build_history(Controller(store, clock=clock), clock)
    store.close()

    done = subprocess.run(
        [sys.executable, str(BENCH), "--db", str(db), "--repeats", "1"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    phases = [line["phase"] for line in lines]
    assert phases == ["open_store"] + ["figure"] * len(dashboard.FIGURES) + [
        "figures_total",
        "section",
        "summary",
    ]
    figures = {line["name"]: line for line in lines if line["phase"] == "figure"}
    assert list(figures) == list(dashboard.FIGURES)
    for line in figures.values():
        assert line["first_ms"] >= 0 and line["median_ms"] >= 0, line
    # What waits does not depend on the day the benchmark runs: the shop's 8 lines.
    assert (figures["open"]["lines"], figures["open"]["units"]) == (8, 11)
    section = lines[-2]
    assert section["lines_waiting_shown"] == "8"
    assert section["first_ms"] > 0 and section["refresh_ms"] > 0
    assert isinstance(section["met"], bool) and section["target"] == "ms <= 500"
    assert lines[-1]["db"] == str(db)


def test_without_a_store_it_says_how_to_build_one(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--db", str(tmp_path / "none.db")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "bench_engine.py" in done.stderr and done.stdout == ""
