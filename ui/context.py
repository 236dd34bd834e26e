"""What every window shares: the open store, the controller, and change notification.

``DeskContext.changed`` fires after any write made from this app (``notify_changed``) and,
through a light poll of ``app.queries.last_change``, after writes made by another process
or workstation on the same store, so every open list refreshes itself without a manual F5.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from app import queries
from app.controller import Controller
from app.models import Staff
from app.store import Store

POLL_MS = 2000


class DeskContext(QObject):
    """The store, the controller acting for the signed-in staff member, and signals.

    Signals:
        changed: the store changed (here or elsewhere); lists should refresh.
        staff_changed: another staff member signed in.
        open_order(int): show this order's detail (asked by any section).
        open_customer(int): show this customer's detail.
        new_order(int): start a new order, for this customer id (0: none chosen yet).
    """

    changed = Signal()
    staff_changed = Signal()
    open_order = Signal(int)
    open_customer = Signal(int)
    new_order = Signal(int)

    def __init__(self, store: Store, controller: Controller, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.controller = controller
        self._seen = queries.last_change()
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self.poll)
        self._timer.start()

    @property
    def staff_name(self) -> str:
        staff = Staff.get_or_none(Staff.id == self.controller.staff_id)
        return staff.name if staff is not None else "?"

    def switch_staff(self, staff_id: int) -> None:
        """Act as another staff member from now on (Switch user): a new controller with
        their role; windows holding the old one pick the new one up on ``staff_changed``."""
        self.controller = Controller(self.store, staff_id=staff_id, clock=self.controller.clock)
        self.staff_changed.emit()

    def notify_changed(self) -> None:
        """Call after a write made from this app: every list refreshes at once."""
        self._seen = queries.last_change()
        self.changed.emit()

    def poll(self) -> None:
        """Pick up writes made by another process on the same store."""
        try:
            latest = queries.last_change()
        except Exception:  # a store briefly locked or a server hiccup: try next tick
            return
        if latest != self._seen:
            self._seen = latest
            self.changed.emit()

    def stop(self) -> None:
        self._timer.stop()
