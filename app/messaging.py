"""Customer messages: rendering the templates and queueing them in the outbox.

One message per customer and event, listing every line concerned. Templates live in
``resources/messages/<event>.txt``: a ``Subject:`` line, a blank line, then the body, with
``$name`` placeholders (``string.Template``, so a stray brace in a shop's text is harmless).
Sending is a separate step; queueing happens inside the transaction that caused the event,
so a message exists exactly when its event does.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from string import Template

from app.models import CustomerMessage, Setting
from app.resources import resource_path

EVENTS = ("backorder_confirmed", "ready", "cancelled", "eta_changed")
DEFAULT_STORE_NAME = "our shop"


@dataclass(frozen=True)
class MessageLine:
    """One line of a message: what, how many, and the date that matters (ETA)."""

    order_id: int
    line_id: int
    sku: str
    name: str
    qty: int
    eta: date | None = None
    old_eta: date | None = None

    def render(self, event: str) -> str:
        text = f"  - {self.qty} x {self.name} ({self.sku}), order {self.order_id}"
        if event == "backorder_confirmed":
            text += f": expected {_when(self.eta)}"
        elif event == "eta_changed":
            text += f": now expected {_when(self.eta)} (was {_when(self.old_eta)})"
        return text


def _when(day: date | None) -> str:
    return f"around {day:%d %b %Y}" if day else "as soon as we have a date"


def store_setting(key: str, default: str) -> str:
    row = Setting.get_or_none(Setting.key == key)
    return row.value if row is not None else default


def render(
    event: str, *, customer_name: str, lines: Sequence[MessageLine], reason: str = ""
) -> tuple[str, str]:
    """Subject and body of one message."""
    text = resource_path("messages", f"{event}.txt").read_text(encoding="utf-8")
    store_name = store_setting("store_name", DEFAULT_STORE_NAME)
    signature = store_setting("store_signature", f"Kind regards,\n{store_name}")
    filled = Template(text).safe_substitute(
        store_name=store_name,
        customer_name=customer_name,
        lines="\n".join(line.render(event) for line in lines),
        reason=reason or "not given",
        signature=signature,
    )
    head, _, body = filled.partition("\n\n")
    subject = head.removeprefix("Subject:").strip()
    return subject, body.strip() + "\n"


def queue_message(
    *,
    customer_id: int,
    customer_name: str,
    event: str,
    lines: Sequence[MessageLine],
    now: datetime,
    reason: str = "",
) -> CustomerMessage:
    """Put one message in the outbox (call inside the event's transaction)."""
    subject, body = render(event, customer_name=customer_name, lines=lines, reason=reason)
    payload = {
        "order_ids": sorted({line.order_id for line in lines}),
        "line_ids": [line.line_id for line in lines],
    }
    return CustomerMessage.create(
        customer=customer_id,
        order=lines[0].order_id if lines else None,
        event=event,
        created_at=now,
        subject=subject,
        body=body,
        payload=json.dumps(payload),
        message_id=f"<{uuid.uuid4().hex}@backorder-desk>",
    )
