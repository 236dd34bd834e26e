"""A text field for barcode scanners (and people typing codes).

A USB scanner types the code and then Enter (some are set up to send Tab). ``ScanField``
treats either key as the end of one scan: it emits ``scanned(text)`` and clears itself,
ready for the next item. The key never reaches the dialog, so a scan cannot press the
dialog's default button by accident. Tab in an empty field still moves the focus on. The
group separator of a raw GS1-128 case label (a control character) is kept.

Ctrl+Z (and redo) are left to the window's shortcuts, such as the receiving station's
"Undo last scan": a scan field is cleared after every scan, so its own text undo has
nothing useful to undo. Without such a shortcut the key still undoes typing as usual.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import QLineEdit, QWidget

from app.barcodes import GROUP_SEPARATOR

_END_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
_REDO = QKeySequence.StandardKey.Redo


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
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and (event.matches(QKeySequence.StandardKey.Undo) or event.matches(_REDO))
        ):
            # Not accepted: a window shortcut on the key wins over the line edit's undo.
            event.ignore()
            return True
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
        if event.text() == GROUP_SEPARATOR:
            # A GS1-128 label's group separator (FNC1) arrives as a control character,
            # which QLineEdit drops; it separates the label's fields, so keep it.
            self.insert(GROUP_SEPARATOR)
            event.accept()
            return
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
