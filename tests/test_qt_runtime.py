"""The Qt binding itself must be sound for a desk that runs all day.

PySide6 6.12.0 lost one reference to ``None`` on every call returning nothing; on
Python 3.11, where ``None`` is not immortal, the desk aborted ("none_dealloc") after a few
thousand such calls, e.g. about 400 scans at the receiving station.
"""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot


def test_a_day_of_label_updates_does_not_use_up_none(qtbot: QtBot) -> None:
    label = QLabel()
    qtbot.addWidget(label)
    before = sys.getrefcount(None)
    for number in range(2_000):
        label.setText(f"+1 Brass hinge 75 mm — {number} scanned")
    # A few references may come and go with the interpreter's own work; a leak per call
    # would show as ~2,000.
    assert before - sys.getrefcount(None) < 50
