"""Greying out what the signed-in person's role may not do, and saying who may.

Which role may do what is decided in one place, ``app.staff.PERMISSIONS``, and asked here
only through ``Controller.can`` and ``Controller.may_cancel_line``: the windows hold no
rule of their own. ``permit`` combines that answer with a button's or an action's own
enabling logic (a row selected, nothing running) and, while the role may not, adds the
refusal sentence (``app.staff.refusal``: "Stock adjustments need the manager role; ask a
manager to sign in.") to its tooltip and status tip, so a greyed action says why. Callers
re-apply it when ``DeskContext.staff_changed`` fires. A dialog also says the refusal in
words where its messages go (``explain_in``), since a greyed Save alone leaves people
wondering.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QWidget

from app import staff
from ui import theme
from ui.context import DeskContext

#: Dynamic property holding the sentence ``permit`` added, so it can be taken out again
#: even after someone appended to the tooltip (the main window adds the shortcut).
_NOTE = "permission_note"
_TIP_GAP = "\n"
_STATUS_GAP = " — "


def _without(text: str, gap: str, note: str) -> str:
    return text.replace(gap + note, "") if note else text


def show_permission(
    target: QAction | QWidget, allowed: bool, action: str, *, enabled: bool = True
) -> bool:
    """Enable ``target`` when ``enabled`` and ``allowed``; while not ``allowed``, its
    tooltip and status tip end with the refusal of ``action`` (a key of
    ``app.staff.PERMISSIONS``). Returns ``allowed``."""
    old = target.property(_NOTE)
    old_note = old if isinstance(old, str) else ""
    tip = _without(target.toolTip(), _TIP_GAP, old_note)
    status = _without(target.statusTip(), _STATUS_GAP, old_note)
    note = "" if allowed else staff.refusal(action)
    target.setProperty(_NOTE, note)
    if note:
        tip = f"{tip}{_TIP_GAP}{note}" if tip else note
        status = f"{status}{_STATUS_GAP}{note}" if status else note
    target.setToolTip(tip)
    target.setStatusTip(status)
    target.setEnabled(enabled and allowed)
    return allowed


def permit(
    target: QAction | QWidget, ctx: DeskContext, action: str, *, enabled: bool = True
) -> bool:
    """``show_permission`` with the answer of ``ctx.controller.can(action)``."""
    return show_permission(target, ctx.controller.can(action), action, enabled=enabled)


def cancel_permission(ctx: DeskContext, line_ids: Iterable[int]) -> tuple[bool, str]:
    """Whether the signed-in person may cancel every one of these order lines, and the
    action whose refusal explains it when not (``cancel_line`` for a role that cancels
    nothing, ``cancel_any_line`` for a clerk looking at someone else's order)."""
    controller = ctx.controller
    if not controller.can("cancel_line"):
        return False, "cancel_line"
    return all(controller.may_cancel_line(line_id) for line_id in line_ids), "cancel_any_line"


def explain_in(label: QLabel, allowed: bool, action: str) -> None:
    """While not ``allowed``, show the refusal of ``action`` in ``label`` (a dialog's
    message line, in the error colour); once allowed again, take it away (and only it:
    another message shown there meanwhile stays)."""
    note = staff.refusal(action)
    if not allowed:
        label.setStyleSheet(theme.error_style())
        label.setText(note)
        label.setVisible(True)
    elif label.text() == note:
        label.clear()
        label.setVisible(False)
