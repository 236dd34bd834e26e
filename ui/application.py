"""Start the desk: ``run_gui(args)`` is what ``python main.py`` runs without a subcommand.

It reads ``--db`` (and ``--receiving``, which opens the receiving station instead of the
main window), opens the store, applies the theme and shows the window; a brand-new store
is offered the demo shop. A store that cannot be opened is explained in a message box and
the program exits with status 2, never with a traceback. Everything else lives in
``MainWindow`` and ``ReceivingWindow`` so tests can build them directly.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from types import TracebackType

from PySide6.QtCore import QCoreApplication, QThreadPool
from PySide6.QtWidgets import QApplication, QMainWindow, QMessageBox

from app import queries
from app.controller import Controller
from app.errors import DamagedStore, UserError
from app.store import open_store
from ui.backups import BackupScheduler, offer_restore
from ui.context import DeskContext
from ui.dialogs.sign_in import sign_in_at_start
from ui.main_window import APP_TITLE, APPLICATION, ORGANISATION, MainWindow
from ui.receiving.window import ReceivingWindow
from ui.theme import apply_theme

EXIT_STORE_PROBLEM = 2


def parse_gui_args(args: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    """The desk's own options, and whatever is left for Qt (``-style``, ``-platform``...)."""
    parser = argparse.ArgumentParser(
        prog="backorder-desk", description="Backorder Desk: the counter windows."
    )
    parser.add_argument(
        "--db", metavar="STORE", help="store file or postgresql:// URL (default: your data folder)"
    )
    parser.add_argument(
        "--receiving", action="store_true", help="open straight at receiving (goods in)"
    )
    return parser.parse_known_args(list(args))


def _application(qt_args: list[str]) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    QCoreApplication.setOrganizationName(ORGANISATION)
    QCoreApplication.setApplicationName(APPLICATION)
    app = QApplication([sys.argv[0] if sys.argv else APPLICATION, *qt_args])
    app.setApplicationDisplayName(APP_TITLE)
    return app


def _show_unexpected(
    kind: type[BaseException], error: BaseException, trace: TracebackType | None
) -> None:
    """Last resort for an error escaping a window: say it, keep the desk running."""
    if isinstance(error, UserError):
        QMessageBox.warning(None, APP_TITLE, str(error))
        return
    details = "".join(traceback.format_exception(kind, error, trace, limit=8))
    sys.stderr.write(details)
    box = QMessageBox(QMessageBox.Icon.Critical, APP_TITLE, "Something went wrong: " + str(error))
    box.setInformativeText("Nothing half-done was saved. Please report this with the details.")
    box.setDetailedText(details)
    box.exec()


def first_window(ctx: DeskContext, options: argparse.Namespace) -> QMainWindow:
    """The window the desk opens with: the receiving station for ``--receiving``."""
    if options.receiving:
        return ReceivingWindow(ctx)
    return MainWindow(ctx)


def run_gui(args: list[str]) -> int:
    """Open the desk; returns the exit status."""
    options, qt_args = parse_gui_args(args)
    app = _application(qt_args)
    apply_theme(app)
    try:
        store = open_store(options.db)
    except DamagedStore as damaged:  # left untouched; offer its latest good backup
        restored = offer_restore(damaged, options.db)
        if restored is None:
            return EXIT_STORE_PROBLEM
        store = restored
    except UserError as error:  # StoreError and its kin: say it in words
        QMessageBox.critical(None, f"{APP_TITLE}: cannot open the store", str(error))
        return EXIT_STORE_PROBLEM
    go_on, staff_id = sign_in_at_start(store)
    if not go_on:  # Esc or Quit at the sign-in: nobody is at the desk
        store.close()
        return 0
    try:
        controller = Controller(store, staff_id=staff_id)
    except UserError as error:
        QMessageBox.critical(None, f"{APP_TITLE}: cannot open the store", str(error))
        store.close()
        return EXIT_STORE_PROBLEM
    ctx = DeskContext(store, controller)
    window = first_window(ctx, options)
    window.show()
    sys.excepthook = _show_unexpected
    # On start (unless the newest backup is under an hour old), then daily.
    scheduler = BackupScheduler(ctx, window)
    scheduler.start()
    demo_loader = None
    if queries.count_products() == 0:
        from ui.dialogs.first_run import offer_demo

        demo_loader = offer_demo(ctx, window)
    try:
        return app.exec()
    finally:
        if demo_loader is not None:
            demo_loader.progress.close()
        ctx.stop()
        scheduler.stop()
        # Let background work (a send, an export) finish before the store closes under it;
        # a send cut off here would leave its message "may have been sent".
        QThreadPool.globalInstance().waitForDone(30_000)
        store.close()
