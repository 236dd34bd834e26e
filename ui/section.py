"""The common shape of a main-window section (Orders, Backorders, Inventory, ...)."""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from ui.context import DeskContext


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
        """Ctrl+F: put the cursor in this section's search field."""

    def refresh(self) -> None:
        """Re-read what is shown (the store changed); keep selection and scroll if possible."""

    def section_actions(self) -> list[QAction]:
        """Actions for this section's menu (each with a shortcut and tooltip)."""
        return []
