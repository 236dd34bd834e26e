"""The engine benchmark still runs: a tiny scale, checking its output, never its speed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).with_name("bench_engine.py")
PHASES = [
    "commit_floor",
    "products",
    "customers",
    "opening_stock",
    "purchase_orders",
    "orders",
    "receipt",
    "backorder_page",
    "check",
    "summary",
]


def test_engine_benchmark_prints_one_json_line_per_phase(tmp_path: Path) -> None:
    db = tmp_path / "bench.db"
    done = subprocess.run(
        [sys.executable, str(BENCH), "--scale", "0.01", "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["phase"] for line in lines] == PHASES
    for line in lines[:-1]:
        assert line["rows"] > 0, line
        assert line["seconds"] >= 0 and line["peak_rss_mb"] > 0, line
    by_phase = {line["phase"]: line for line in lines}
    assert by_phase["orders"]["waiting_lines"] > 0
    assert by_phase["receipt"]["fulfilled"] > 0
    assert by_phase["backorder_page"]["rows"] == 100
    assert by_phase["check"]["findings"] == 0
    assert by_phase["summary"]["db"] == str(db) and db.exists()
