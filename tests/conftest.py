"""Shared fixtures: a fresh store per test on a real SQLite file, and on a real
PostgreSQL server when ``BACKORDER_DESK_TEST_PG`` names one (``.ci/run`` starts one).

Every test that takes ``store`` runs once per backend; the PostgreSQL run is skipped, with
the reason shown, where no server is configured.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.controller import Controller
from app.store import Store, open_store

PG_ENV = "BACKORDER_DESK_TEST_PG"


class FakeClock:
    """A clock the test moves by hand (naive UTC, like the store)."""

    def __init__(self, start: datetime = datetime(2026, 11, 2, 9, 0)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def reset_postgres(url: str) -> None:
    """Empty the test database so each test starts from a new store."""
    import psycopg2

    conn = psycopg2.connect(url.replace("postgresql+psycopg2", "postgresql"))
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    conn.close()


@pytest.fixture(autouse=True)
def private_backups(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Automatic backups (the command line makes one a day) go to this test's own folder,
    never into the user's data folder."""
    folder = tmp_path_factory.mktemp("backups")
    monkeypatch.setenv("BACKORDER_DESK_BACKUPS", str(folder))
    return folder


@pytest.fixture(params=["sqlite", "postgresql"])
def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a fresh store for this test lives: a SQLite file, or the test PG database."""
    if request.param == "sqlite":
        return str(tmp_path / "store.db")
    url = os.environ.get(PG_ENV, "")
    if not url:
        pytest.skip(f"PostgreSQL half skipped: set {PG_ENV} to a test database URL (.ci/run does)")
    reset_postgres(url)
    return url


@pytest.fixture
def store(store_location: str) -> Iterator[Store]:
    opened = open_store(store_location)
    yield opened
    opened.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def controller(store: Store, clock: FakeClock) -> Controller:
    return Controller(store, clock=clock)


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    """A store on a SQLite file only (file-level behaviour: WAL, backups, damage)."""
    opened = open_store(tmp_path / "store.db")
    yield opened
    opened.close()


MakeProduct = Callable[..., int]


@dataclass
class Ran:
    """What one command-line run did: exit code, stdout, stderr."""

    code: int
    out: str
    err: str

    @property
    def doc(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def cli_run(capsys: pytest.CaptureFixture[str]) -> Callable[..., Ran]:
    """Run ``app.cli.run`` in-process with these arguments and capture what it printed."""
    from app import cli

    def invoke(*args: str) -> Ran:
        capsys.readouterr()
        code = cli.run(list(args))
        captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    return invoke
