"""Backorder Desk: ``python main.py`` opens the desk; with a subcommand it is the command line.

python main.py                      # the windows, on the default store
python main.py --db shop.db         # the windows, on another store
python main.py order add ...        # the command line (see --help)
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import date
    from pathlib import Path

    from app.backorder_view import BackorderFilter
    from app.export import PdfWritten, Progress


def main(argv: list[str] | None = None) -> int:
    """Dispatch to the command line when a subcommand is given, else start the GUI."""
    args = list(sys.argv[1:] if argv is None else argv)
    from app.cli import COMMANDS, run

    if any(arg in COMMANDS for arg in args) or any(arg in ("-h", "--help") for arg in args):
        return run(args, pdf_renderer=backorder_pdf)
    from ui.application import run_gui

    return run_gui(args)


def backorder_pdf(
    path: Path, view: BackorderFilter, *, today: date, progress: Progress | None = None
) -> PdfWritten:
    """Save the backorder list as PDF with the desktop part, imported only when a PDF is
    asked for: the command line starts without Qt, and says so when it is missing."""
    try:
        from ui.backorder_pdf import save_backorder_pdf_headless
    except ImportError as error:
        from app.errors import UserError

        raise UserError(
            f"Saving the backorder list as PDF needs the desktop part ({error.name or 'Qt'} "
            "is missing): install backorder-desk with its windows, or export as CSV.",
            field="format",
        ) from error
    return save_backorder_pdf_headless(path, view, today=today, progress=progress)


if __name__ == "__main__":
    sys.exit(main())
