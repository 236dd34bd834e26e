"""Errors the engine raises.

``UserError`` is a problem a person can act on (bad input, a refused action, a store that
cannot be opened): its message says what is wrong and what to do, and the caller shows it
as it is. Anything else escaping the engine is a bug.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.controller import Shortage


class UserError(Exception):
    """A problem the user can fix; ``str(error)`` is the one-line message to show."""

    #: Which input field the problem is about (``"sku"``, ``"email"`` ...), so a form can
    #: show the message next to that field; ``None`` when it is not about one field.
    field: str | None

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFound(UserError):
    """A product, customer, order or line that the user named does not exist."""


class StoreError(UserError):
    """The store cannot be opened or written: not a database, damaged, newer, locked."""


class ShortageDecisionNeeded(UserError):
    """An order has lines short of stock and no wait-or-cancel decision for them.

    Attributes:
        shortages: one entry per short line, in the order's line order.
        changed: the stock changed since the customer was told; the new situation must
            be offered again.
    """

    shortages: list[Shortage]
    changed: bool

    def __init__(self, shortages: list[Shortage], *, changed: bool = False) -> None:
        names = ", ".join(f"{s.sku} (short by {s.short_by})" for s in shortages)
        if changed:
            text = (
                f"Stock changed while the customer was deciding; now short: {names}. "
                "Offer the new situation to the customer."
            )
        else:
            text = (
                f"Not enough stock for {names}: ask the customer to wait or cancel each short line."
            )
        super().__init__(text)
        self.shortages = shortages
        self.changed = changed
