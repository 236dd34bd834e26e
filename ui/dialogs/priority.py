"""Set the queue priority of one or more waiting lines to a chosen number.

Higher is served first; 0 is normal. The number is checked with the engine's own rule
(``app.validation.parse_priority``); a refusal shows under the field.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserError
from app.validation import MAX_PRIORITY, parse_priority
from ui.theme import error_style, muted_style


class PriorityDialog(QDialog):
    """Asks for a priority; after ``accept()``, ``priority`` holds it."""

    def __init__(self, current: int, count: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.priority = current
        self.setWindowTitle("Set priority")
        what = "this line" if count == 1 else f"these {count} lines"
        label = QLabel(f"&Priority for {what}:")
        self.spin = QSpinBox()
        self.spin.setObjectName("priority")
        self.spin.setRange(-MAX_PRIORITY, MAX_PRIORITY)
        self.spin.setValue(current)
        self.spin.selectAll()
        label.setBuddy(self.spin)
        hint = QLabel(
            "Higher is served first; 0 is normal. Lines with the same priority are served "
            "in the order they were placed."
        )
        hint.setWordWrap(True)
        hint.setStyleSheet(muted_style())
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setVisible(False)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.confirm)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.spin)
        layout.addWidget(hint)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        self.setMinimumWidth(360)

    def confirm(self) -> None:
        try:
            self.priority = parse_priority(self.spin.value())
        except UserError as error:
            self.error_label.setText(str(error))
            self.error_label.setStyleSheet(error_style())
            self.error_label.setVisible(True)
            return
        self.accept()
