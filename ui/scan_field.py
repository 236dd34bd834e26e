"""A text field for barcode scanners (and people typing codes).

A USB scanner types the code and then Enter (some are set up to send Tab). ``ScanField``
treats either key as the end of one scan: it emits ``scanned(text)`` and clears itself,
ready for the next item. The key never reaches the dialog, so a scan cannot press the
dialog's default button by accident. Tab in an empty field still moves the focus on.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit, QWidget

_END_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class ScanField(QLineEdit):
    """A line edit where Enter or Tab ends a scan.

    Signals:
        scanned(str): the trimmed text of one scan (never empty).
    """

    scanned = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setClearButtonEnabled(True)

    def event(self, event: QEvent) -> bool:
        # Tab is turned into focus movement before keyPressEvent sees it, so catch it here.
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Tab
            and self.text().strip()
        ):
            self._finish()
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in _END_KEYS:
            self._finish()
            event.accept()  # not ignored: the dialog's default button must not fire
            return
        super().keyPressEvent(event)

    def _finish(self) -> None:
        text = self.text().strip()
        self.clear()
        if text:
            self.scanned.emit(text)
