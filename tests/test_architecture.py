"""The architecture rules, checked: the engine never loads Qt, importing it does no work,
and the linters and the type checker are clean.

Each check runs in a subprocess so that what this test session has already imported (Qt,
through pytest-qt) cannot hide or fake a result.
"""

from __future__ import annotations

import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import app

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
FORBIDDEN = ("PySide6", "shiboken6", "ui")


def engine_modules() -> list[str]:
    return sorted(f"app.{info.name}" for info in pkgutil.iter_modules(app.__path__))


def run_python(code: str, *, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def run_tool(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / command[0]), *command[1:]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_import_contract_is_kept() -> None:
    result = run_tool("lint-imports", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 1 kept, 0 broken." in result.stdout


def test_importing_every_engine_module_loads_no_qt_and_no_ui() -> None:
    modules = engine_modules()
    assert {"app.models", "app.store", "app.controller", "app.migrations"} <= set(modules)
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"loaded = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "print(json.dumps(loaded))\n"
    )
    assert json.loads(run_python(code)) == []


def test_importing_the_engine_touches_no_files_and_binds_no_database(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "BACKORDER_DESK_DB": str(home / "named-by-env.db"),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    code = (
        "import app.models, app.store, app.controller\n"
        "import app.migrations, app.queries, app.check\n"
        "print(app.models.database.obj is None)\n"
    )
    assert run_python(code, env=env).strip() == "True"
    assert sorted(p.relative_to(home).as_posix() for p in home.rglob("*")) == []


def test_ruff_finds_nothing() -> None:
    result = run_tool("ruff", "check", "--no-cache", "app", "ui", "tests", "main.py")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_is_clean_on_the_engine() -> None:
    result = run_tool("mypy")  # files and strictness come from pyproject.toml
    assert result.returncode == 0, result.stdout + result.stderr
