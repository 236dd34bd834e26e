"""A section's message bar: what its own last action did, or why it could not.

The rule the desk follows: the outcome of a section's own action (an export, a
cancellation, a priority change) shows in that section's bar, above its list, where the
person is looking, and stays until dismissed or replaced; it never blocks the desk. Message
boxes are kept for what concerns the whole application (a store that cannot be written, a
backup to restore). A result that wrote a file offers "Show folder".
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget

from ui.theme import error_style, ok_style


class MessageBar(QFrame):
    """A dismissable line of feedback above a section's list.

    Attributes:
        is_error: the text shown says something went wrong (shown in the error colour).
        folder: the folder "Show folder" opens, or ``None`` while the button is hidden.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("message_bar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.is_error = False
        self.folder: Path | None = None
        self.label = QLabel()
        self.label.setObjectName("message")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.folder_button = QPushButton("Show &folder")
        self.folder_button.setObjectName("show_folder")
        self.folder_button.setAutoDefault(False)
        self.folder_button.clicked.connect(self.open_folder)
        self.folder_button.hide()
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss this message")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.folder_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    def show_text(
        self, lines: Sequence[str], *, error: bool = False, folder: Path | None = None
    ) -> None:
        """Show ``lines`` (one per line); with ``folder``, offer to open it."""
        self.is_error = error
        self.folder = folder
        self.label.setStyleSheet(error_style() if error else ok_style())
        self.label.setText("\n".join(lines))
        self.folder_button.setVisible(folder is not None)
        if folder is not None:
            self.folder_button.setToolTip(f"Open {folder} in the file manager")
        self.show()

    def text(self) -> str:
        """The text shown ('' while the bar is hidden)."""
        return self.label.text() if self.isVisible() else ""

    def open_folder(self) -> None:
        if self.folder is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.folder)))
