"""One way to run long work off the GUI thread (demo load, export, a big refresh).

``run_in_background(work, on_done=..., on_error=..., on_progress=...)`` runs
``work(progress)`` on Qt's thread pool; ``progress(done, total)`` may be called from the
work, and every callback runs back on the GUI thread through signals. Work receives plain
data and returns plain data, never widgets. Known problems (``UserError``) arrive at
``on_error`` as their message; anything else arrives as a bug report text.
"""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from app.errors import UserError
from app.models import database

Progress = Callable[[int, int], None]

# Jobs stay referenced until they finish, so Python never collects one mid-run.
_running: set[Job] = set()


class _Signals(QObject):
    """Signals: progress(done, total), done(result), failed(message)."""

    progress = Signal(int, int)
    done = Signal(object)
    failed = Signal(str)


class Job(QRunnable):
    """A unit of background work; see ``run_in_background``."""

    def __init__(self, work: Callable[[Progress], Any]) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.work = work
        self.signals = _Signals()

    def run(self) -> None:
        try:
            result = self.work(self._progress)
        except UserError as error:
            self._tell(self.signals.failed, str(error))
        except Exception:
            self._tell(
                self.signals.failed, "Something went wrong:\n" + traceback.format_exc(limit=5)
            )
        else:
            self._tell(self.signals.done, result)
        finally:
            # Peewee keeps one connection per thread; release this pool thread's.
            if not database.is_closed():
                database.close()

    def _progress(self, done: int, total: int) -> None:
        self._tell(self.signals.progress, done, total)

    @staticmethod
    def _tell(signal: Any, *args: Any) -> None:
        # The window that asked may be gone (the desk closed mid-export): then nobody
        # is left to tell, and Qt says so by raising here.
        with contextlib.suppress(RuntimeError):
            signal.emit(*args)


def run_in_background(
    work: Callable[[Progress], Any],
    *,
    on_done: Callable[[Any], None],
    on_error: Callable[[str], None],
    on_progress: Callable[[int, int], None] | None = None,
) -> Job:
    """Start ``work`` on the thread pool; callbacks come back on the GUI thread."""
    job = Job(work)
    _running.add(job)

    def finish_ok(result: Any) -> None:
        _running.discard(job)
        on_done(result)

    def finish_error(message: str) -> None:
        _running.discard(job)
        on_error(message)

    job.signals.done.connect(finish_ok)
    job.signals.failed.connect(finish_error)
    if on_progress is not None:
        job.signals.progress.connect(on_progress)
    QThreadPool.globalInstance().start(job)
    return job
