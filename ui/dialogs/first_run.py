"""A brand-new store: offer the demo shop or an empty start, and load the demo off the GUI thread.

``FirstRunDialog`` asks; ``DemoLoader`` runs ``app.demo.build_demo`` through
``ui.worker.run_in_background`` behind a progress dialog, then tells every list to refresh.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.context import DeskContext
from ui.worker import Job, Progress, run_in_background

DEMO = "demo"
EMPTY = "empty"


class FirstRunDialog(QDialog):
    """Ask what a new, empty store should start with.

    Attributes:
        choice: ``"demo"`` or ``"empty"`` once answered (Esc means empty).
    """

    def __init__(self, store_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("A new store")
        self.choice = EMPTY
        text = QLabel(
            "<h3>This store is new and empty</h3>"
            f"<p>Store: {store_name}</p>"
            "<p>Load the <b>demo shop</b> to look around: a small hardware shop with "
            "products, customers, orders, waiting lines and purchase orders on their way. "
            "Nothing is sent to anyone.</p>"
            "<p>Or <b>start empty</b> and add your own products and customers. "
            "Use a separate store for the demo if you want to keep your own data clean "
            "(<code>--db demo.db</code>).</p>"
        )
        text.setWordWrap(True)
        text.setTextFormat(Qt.TextFormat.RichText)
        buttons = QDialogButtonBox()
        self.demo_button = QPushButton("Load the &demo shop")
        self.demo_button.setToolTip("Fill this store with the demo shop (Enter)")
        self.empty_button = QPushButton("&Start empty")
        self.empty_button.setToolTip("Keep the store empty (Esc)")
        buttons.addButton(self.demo_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.empty_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.demo_button.setDefault(True)
        self.demo_button.clicked.connect(self._choose_demo)
        self.empty_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(buttons)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 70)

    def _choose_demo(self) -> None:
        self.choice = DEMO
        self.accept()


class DemoLoader(QObject):
    """Builds the demo shop in the background with a progress bar.

    Signals:
        finished(str): '' when the shop is loaded, else the message shown to the user.
    """

    finished = Signal(str)

    def __init__(
        self,
        ctx: DeskContext,
        parent: QWidget | None = None,
        *,
        size: str = "small",
        build: Callable[..., Any] | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.size = size
        self._build = build
        self.job: Job | None = None
        self.progress = QProgressDialog("Loading the demo shop…", "", 0, 0, parent)
        self.progress.setWindowTitle("Demo shop")
        self.progress.setCancelButton(None)  # one transaction: it finishes or leaves nothing
        self.progress.setWindowModality(Qt.WindowModality.ApplicationModal)
        self.progress.setMinimumDuration(0)
        self.progress.setAutoClose(False)
        self.progress.setAutoReset(False)

    def start(self) -> None:
        build = self._build
        if build is None:
            from app.demo import build_demo

            build = build_demo
        controller = self.ctx.controller
        size = self.size

        def work(progress: Progress) -> Any:
            return build(controller, size=size, progress=progress)

        self.progress.show()
        self.job = run_in_background(
            work, on_done=self._done, on_error=self._failed, on_progress=self._step
        )

    def _step(self, done: int, total: int) -> None:
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(min(done, total))

    def _done(self, _summary: object) -> None:
        self.progress.close()
        self.ctx.notify_changed()
        self.finished.emit("")

    def _failed(self, message: str) -> None:
        self.progress.close()
        parent = self.parent()
        QMessageBox.warning(
            parent if isinstance(parent, QWidget) else None,
            "The demo shop was not loaded",
            f"{message}\n\nThe store was left empty.",
        )
        self.finished.emit(message)


def offer_demo(ctx: DeskContext, parent: QWidget | None = None) -> DemoLoader | None:
    """Ask a new store's user; start loading the demo if they want it."""
    dialog = FirstRunDialog(ctx.store.describe(), parent)
    dialog.exec()
    if dialog.choice != DEMO:
        return None
    loader = DemoLoader(ctx, parent)
    loader.start()
    return loader
