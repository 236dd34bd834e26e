"""The import benchmark still runs: a tiny file, checking its output, never its speed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).with_name("bench_import.py")


def test_import_benchmark_prints_one_json_line_per_phase(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH),
            "--rows",
            "40",
            "--customers",
            "10",
            "--db",
            str(tmp_path / "b.db"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["phase"] for line in lines] == [
        "read",
        "preview",
        "import",
        "reimport",
        "recount",
        "summary",
    ]
    by_phase = {line["phase"]: line for line in lines}
    assert by_phase["read"]["statements"] == 0
    assert by_phase["import"]["statements"] == by_phase["preview"]["statements"]
    assert by_phase["summary"]["updated"] > 0
