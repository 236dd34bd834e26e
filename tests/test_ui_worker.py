"""Background work (ui.worker) when the window that asked for it is gone."""

from __future__ import annotations

import threading

from PySide6.QtCore import QThreadPool
from pytestqt.qtbot import QtBot
from shiboken6 import Shiboken

from app.store import Store
from ui.worker import Progress, run_in_background


def test_work_that_ends_after_its_window_closed_ends_quietly(
    qtbot: QtBot, sqlite_store: Store
) -> None:
    release = threading.Event()
    heard: list[object] = []

    def work(progress: Progress) -> str:
        release.wait(5)
        progress(1, 1)
        return "done"

    job = run_in_background(work, on_done=heard.append, on_error=heard.append)
    # The desk closed mid-export: Qt deleted the object the job reports through.
    Shiboken.delete(job.signals)
    release.set()
    assert QThreadPool.globalInstance().waitForDone(5000)

    # No error escaped the pool thread (pytest-qt fails the test if one did), and
    # nobody was called back.
    assert heard == []
