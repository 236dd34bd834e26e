"""Errors the engine raises.

``UserError`` is a problem a person can act on (bad input, a refused action, a store that
cannot be opened): its message says what is wrong and what to do, and the caller shows it
as it is. Anything else escaping the engine is a bug.
"""

from __future__ import annotations

from pathlib import Path
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


class NotAllowed(UserError):
    """The signed-in staff member's role may not do this; the message names the role
    that may ("Stock adjustments need the manager role; ask a manager to sign in.").

    Attributes:
        action: the refused action, a key of ``app.staff.PERMISSIONS``.
    """

    action: str

    def __init__(self, message: str, *, action: str) -> None:
        super().__init__(message)
        self.action = action


class StoreError(UserError):
    """The store cannot be opened or written: not a database, damaged, newer, locked."""


class DamagedStore(StoreError):
    """A SQLite file fails its integrity check; it was left untouched.

    Attributes:
        path: the damaged file.
        reason: SQLite's own words for the damage, for a dialog to quote.
    """

    path: Path
    reason: str

    def __init__(self, message: str, *, path: Path, reason: str) -> None:
        super().__init__(message)
        self.path = path
        self.reason = reason


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


class UnknownCode(NotFound):
    """A valid scanned code that no product has (yet).

    The receiving station offers to link it to a product or to add a new product, then
    counts the units the scan stood for.

    Attributes:
        code: the canonical look-up key (a GTIN as 14 digits, or the internal code).
        display: the code as scanned/printed, to pass to ``add_barcode`` or ``add_product``.
        count: how many units the scan stood for (multiplier and case count applied).
    """

    code: str
    display: str
    count: int

    def __init__(self, code: str, display: str, count: int) -> None:
        units = "1 unit" if count == 1 else f"{count} units"
        super().__init__(
            f"No product has the barcode {display} ({units} scanned): link it to a product "
            "or add a new product, then the units are counted.",
            field="scan",
        )
        self.code = code
        self.display = display
        self.count = count
