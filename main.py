"""Backorder Desk: ``python main.py`` opens the desk; with a subcommand it is the command line.

    python main.py                      # the windows, on the default store
    python main.py --db shop.db         # the windows, on another store
    python main.py order add ...        # the command line (see --help)
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Dispatch to the command line when a subcommand is given, else start the GUI."""
    args = list(sys.argv[1:] if argv is None else argv)
    from app.cli import COMMANDS, run

    if any(arg in COMMANDS for arg in args) or any(arg in ("-h", "--help") for arg in args):
        return run(args)
    from ui.application import run_gui

    return run_gui(args)


if __name__ == "__main__":
    sys.exit(main())
