"""The look of the desk: Fusion style, a light or dark palette, and the colours that mean something.

``apply_theme(app)`` sets the Fusion style and a palette that follows the system's colour
scheme (``QStyleHints.colorScheme()``), and switches palette when the system does
(``colorSchemeChanged``). ``BACKORDER_DESK_THEME=light|dark`` overrides the system.

Colours with a meaning come from ``colors()``, which answers for the scheme in use, so a
model that calls it from ``data()`` is right after a switch too. Every meaning is also
said in words somewhere (a column, a legend or a tooltip); colour only helps the eye.

``colors()`` fields (``QColor``):

* ``age_7``, ``age_14``, ``age_30``: row backgrounds for a backorder waiting at least 7,
  14 and 30 days (yellow, orange, red tints); ``age_color(days)`` picks one or ``None``.
* ``waiting``: row background for a product or line that customers are waiting for
  (a blue tint).
* ``below_reorder``: text colour of the "below reorder point" mark (amber/brown).
* ``error``: text colour of validation messages next to a field ("error red").
* ``ok``: text colour of a good outcome ("3 lines are ready to pick").
* ``muted``: text colour of secondary information (hints, legends).

Backgrounds are tints with transparency, so they sit on either scheme's table base and the
palette's normal text stays readable on them. For a message label use
``error_style()`` / ``ok_style()`` (a style sheet fragment).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

THEME_ENV_VAR = "BACKORDER_DESK_THEME"


@dataclass(frozen=True)
class DeskColors:
    """The colours with a meaning, for one scheme (see the module docstring)."""

    age_7: QColor
    age_14: QColor
    age_30: QColor
    waiting: QColor
    below_reorder: QColor
    error: QColor
    ok: QColor
    muted: QColor


LIGHT = DeskColors(
    age_7=QColor(255, 213, 0, 70),
    age_14=QColor(255, 136, 0, 80),
    age_30=QColor(229, 57, 53, 75),
    waiting=QColor(33, 118, 255, 38),
    below_reorder=QColor("#9a5b00"),
    error=QColor("#c62828"),
    ok=QColor("#2e7d32"),
    muted=QColor("#5f6368"),
)

DARK = DeskColors(
    age_7=QColor(255, 213, 0, 55),
    age_14=QColor(255, 136, 0, 70),
    age_30=QColor(239, 83, 80, 80),
    waiting=QColor(80, 150, 255, 55),
    below_reorder=QColor("#ffb74d"),
    error=QColor("#ff7b72"),
    ok=QColor("#7ee787"),
    muted=QColor("#a0a4a8"),
)


def is_dark() -> bool:
    """Whether the application's palette is a dark one (text lighter than the window)."""
    palette = QApplication.palette()
    return (
        palette.color(QPalette.ColorRole.WindowText).lightness()
        > palette.color(QPalette.ColorRole.Window).lightness()
    )


def colors() -> DeskColors:
    """The meaningful colours for the scheme in use."""
    return DARK if is_dark() else LIGHT


def age_color(days: int) -> QColor | None:
    """Background for something waiting ``days`` days: 30+, 14+, 7+, or ``None``."""
    current = colors()
    if days >= 30:
        return current.age_30
    if days >= 14:
        return current.age_14
    if days >= 7:
        return current.age_7
    return None


def error_style() -> str:
    """Style sheet for a label that shows a validation message."""
    return f"color: {colors().error.name()};"


def ok_style() -> str:
    """Style sheet for a label that reports a good outcome."""
    return f"color: {colors().ok.name()};"


def muted_style() -> str:
    """Style sheet for a hint or legend."""
    return f"color: {colors().muted.name()};"


def dark_palette() -> QPalette:
    """Fusion's palette turned dark, with enough contrast for long days at the counter."""
    palette = QPalette()
    role = QPalette.ColorRole
    group = QPalette.ColorGroup
    window = QColor(45, 45, 48)
    base = QColor(30, 30, 32)
    text = QColor(230, 230, 230)
    disabled = QColor(130, 130, 130)
    highlight = QColor(42, 130, 218)
    palette.setColor(role.Window, window)
    palette.setColor(role.WindowText, text)
    palette.setColor(role.Base, base)
    palette.setColor(role.AlternateBase, QColor(38, 38, 41))
    palette.setColor(role.ToolTipBase, QColor(60, 60, 64))
    palette.setColor(role.ToolTipText, text)
    palette.setColor(role.PlaceholderText, QColor(150, 150, 150))
    palette.setColor(role.Text, text)
    palette.setColor(role.Button, QColor(53, 53, 57))
    palette.setColor(role.ButtonText, text)
    palette.setColor(role.BrightText, QColor(255, 80, 80))
    palette.setColor(role.Light, QColor(75, 75, 80))
    palette.setColor(role.Midlight, QColor(62, 62, 66))
    palette.setColor(role.Mid, QColor(40, 40, 43))
    palette.setColor(role.Dark, QColor(25, 25, 27))
    palette.setColor(role.Shadow, QColor(0, 0, 0))
    palette.setColor(role.Highlight, highlight)
    palette.setColor(role.HighlightedText, QColor(255, 255, 255))
    palette.setColor(role.Link, QColor(100, 170, 255))
    palette.setColor(role.LinkVisited, QColor(170, 140, 255))
    for disabled_role in (role.WindowText, role.Text, role.ButtonText):
        palette.setColor(group.Disabled, disabled_role, disabled)
    palette.setColor(group.Disabled, role.Highlight, QColor(80, 80, 80))
    palette.setColor(group.Disabled, role.Base, window)
    return palette


def light_palette() -> QPalette:
    """Fusion's own light palette."""
    style = QStyleFactory.create("Fusion")
    return style.standardPalette()


def wanted_scheme() -> Qt.ColorScheme:
    """The scheme to use: ``BACKORDER_DESK_THEME`` if set, else the system's."""
    forced = os.environ.get(THEME_ENV_VAR, "").strip().lower()
    if forced == "dark":
        return Qt.ColorScheme.Dark
    if forced == "light":
        return Qt.ColorScheme.Light
    return QGuiApplication.styleHints().colorScheme()


class _SchemeFollower(QObject):
    """Re-applies the palette when the system switches between light and dark."""

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self.app = app
        QGuiApplication.styleHints().colorSchemeChanged.connect(self.follow)

    def follow(self, _scheme: Qt.ColorScheme) -> None:
        set_scheme(self.app, wanted_scheme())


def set_scheme(app: QApplication, scheme: Qt.ColorScheme) -> None:
    """Use the dark palette for ``Dark``, else the light one."""
    app.setPalette(dark_palette() if scheme == Qt.ColorScheme.Dark else light_palette())


def apply_theme(app: QApplication, scheme: Qt.ColorScheme | None = None) -> None:
    """Fusion style and a palette for ``scheme`` (default: follow the system, live)."""
    app.setStyle("Fusion")
    if scheme is not None:
        set_scheme(app, scheme)
        return
    set_scheme(app, wanted_scheme())
    if app.findChild(_SchemeFollower) is None:
        _SchemeFollower(app)
