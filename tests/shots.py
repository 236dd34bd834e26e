"""Rendering widgets to PNG in tests, so a person can look at what the desk shows.

Pictures go under the test's own folder; set ``BACKORDER_DESK_SHOTS`` to a folder to get a
copy of each there as well (that is how the engineers look at them).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from PySide6.QtWidgets import QApplication, QWidget


def save_shot(widget: QWidget, folder: Path, name: str, *, settle: int = 0) -> Path:
    """Render ``widget`` to ``folder/name.png`` (and a copy in $BACKORDER_DESK_SHOTS).

    ``settle`` rounds of event processing first let a layout finish (word-wrapped labels
    taking their height, a dialog growing to fit them).
    """
    for _ in range(settle):
        QApplication.processEvents()
    path = folder / f"{name}.png"
    assert widget.grab().save(str(path))
    extra = os.environ.get("BACKORDER_DESK_SHOTS")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(extra) / path.name)
    return path
