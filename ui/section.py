"""The common shape of a main-window section (Orders, Backorders, Inventory, ...)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QLineEdit, QWidget

from ui.context import DeskContext

#: Typing pauses this long before a list is filtered (the query itself is measured).
SEARCH_DELAY_MS = 150


def search_field(placeholder: str) -> QLineEdit:
    """A section's search field (object name ``search``, which ``focus_search`` and the
    tests find), with a clear button."""
    field = QLineEdit()
    field.setObjectName("search")
    field.setPlaceholderText(placeholder)
    field.setClearButtonEnabled(True)
    return field


def status_filter(choices: Iterable[tuple[str, Any, str]]) -> QComboBox:
    """A section's status filter (object name ``status``): ``(label, value, tooltip)`` per
    choice, the tooltip shown when the choice is hovered in the list."""
    box = QComboBox()
    box.setObjectName("status")
    box.setAccessibleName("Status filter")
    for label, value, tip in choices:
        box.addItem(label, value)
        box.setItemData(box.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
    return box


def debounce_search(
    field: QLineEdit, apply: Callable[[], None], *, parent: QObject, filter_on_enter: bool = True
) -> QTimer:
    """Run ``apply`` once typing in ``field`` pauses (and at once on Enter).

    Returns the single-shot timer, so a section can stop it when it filters by other means.
    """
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(SEARCH_DELAY_MS)
    timer.timeout.connect(apply)
    field.textChanged.connect(lambda _text: timer.start())
    if filter_on_enter:
        field.returnPressed.connect(apply)
    return timer


class Section(QWidget):
    """A page of the main window.

    Attributes:
        title: shown in the navigation and the window title.
        ctx: the shared store, controller and signals.
    """

    title = "Section"

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        ctx.changed.connect(self.refresh)

    def focus_search(self) -> None:
        """Ctrl+F: put the cursor in this section's search field (``self.search``)."""
        search = getattr(self, "search", None)
        if isinstance(search, QLineEdit):
            search.setFocus(Qt.FocusReason.ShortcutFocusReason)
            search.selectAll()

    def refresh(self) -> None:
        """Re-read what is shown (the store changed); keep selection and scroll if possible."""

    def section_actions(self) -> list[QAction]:
        """Actions for this section's menu (each with a shortcut and tooltip)."""
        return []
