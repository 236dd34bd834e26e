"""The scanner benchmark still runs: a tiny store and a few scans, checking its output's
shape and that every scan counted, never its timings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).with_name("bench_scanner.py")


def test_scanner_benchmark_prints_its_figures_and_loses_no_scan(tmp_path: Path) -> None:
    db = tmp_path / "scanner.db"
    done = subprocess.run(
        [sys.executable, str(BENCH), "--products", "30", "--scans", "12", "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["phase"] for line in lines] == ["store", "engine", "scanner", "scanner"]
    store, engine, *runs = lines
    assert store["products"] == 30
    assert engine["scans"] == 12 and set(engine["draft_scan_ms"]) == {"p50", "p95", "max"}
    assert [run["suffix"] for run in runs] == ["enter", "tab"]
    for run in runs:
        assert run["sent"] == run["received"] == 12, run
        assert run["lost"] == 0 and run["merged"] == 0, run
        assert run["counts_match"] and run["units_counted"] == run["units_expected"] > 12, run
        for figure in ("latency_ms", "painted_ms"):
            assert set(run[figure]) == {"p50", "p95", "max"}, run
            assert 0 <= run[figure]["p50"] <= run[figure]["p95"] <= run[figure]["max"], run
        assert run["rate_sustained"] > 0 and run["target_ms"] == 30.0
        assert isinstance(run["met"], bool) and len(run["slowest"]) == 3
