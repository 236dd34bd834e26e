"""Customer messages: rendering the templates and queueing them in the outbox.

One message per customer and event, listing every line concerned. Templates live in
``resources/messages/<event>.txt``: a ``Subject:`` line, a blank line, then the body, with
``$name`` placeholders (``string.Template``, so a stray brace in a shop's text is harmless).
Sending is a separate step; queueing happens inside the transaction that caused the event,
so a message exists exactly when its event does.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from string import Template
from typing import Any

from app.models import CustomerMessage, Setting, insert_row, insert_rows, run_cached
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


@dataclass(frozen=True)
class StoreTexts:
    """The shop's name and signature as the messages print them."""

    store_name: str
    signature: str


def store_texts() -> StoreTexts:
    """Both settings in one query (they are read for every message)."""
    found = dict(run_cached("messaging.store_texts", _texts_query, "store_name", "store_signature"))
    store_name = found.get("store_name", DEFAULT_STORE_NAME)
    return StoreTexts(
        store_name=store_name,
        signature=found.get("store_signature", f"Kind regards,\n{store_name}"),
    )


def _texts_query(*keys: str) -> Any:
    return Setting.select(Setting.key, Setting.value).where(Setting.key.in_(list(keys)))


@functools.cache
def _template(event: str) -> Template:
    # Templates ship with the program and do not change while it runs.
    return Template(resource_path("messages", f"{event}.txt").read_text(encoding="utf-8"))


def render(
    event: str,
    *,
    customer_name: str,
    lines: Sequence[MessageLine],
    reason: str = "",
    texts: StoreTexts | None = None,
) -> tuple[str, str]:
    """Subject and body of one message (``texts``: already read, when rendering many)."""
    texts = texts or store_texts()
    store_name, signature = texts.store_name, texts.signature
    filled = _template(event).safe_substitute(
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
    row = _outbox_row(
        customer_id=customer_id,
        customer_name=customer_name,
        event=event,
        lines=lines,
        now=now,
        reason=reason,
        texts=store_texts(),
    )
    # insert_row rather than create(): this runs for every order that waits.
    row["id"] = insert_row(CustomerMessage, **row)
    return CustomerMessage(**row)


@dataclass(frozen=True)
class Outgoing:
    """One message to queue with ``queue_messages``."""

    customer_id: int
    customer_name: str
    event: str
    lines: Sequence[MessageLine]
    reason: str = ""


def queue_messages(messages: Sequence[Outgoing], *, now: datetime) -> int:
    """Put many messages in the outbox at once (a receipt tells every customer it
    served); same rows as ``queue_message`` one by one. Returns how many."""
    if not messages:
        return 0
    texts = store_texts()
    rows = [
        _outbox_row(
            customer_id=m.customer_id,
            customer_name=m.customer_name,
            event=m.event,
            lines=m.lines,
            now=now,
            reason=m.reason,
            texts=texts,
        )
        for m in messages
    ]
    insert_rows(CustomerMessage, rows)
    return len(rows)


def _outbox_row(
    *,
    customer_id: int,
    customer_name: str,
    event: str,
    lines: Sequence[MessageLine],
    now: datetime,
    reason: str,
    texts: StoreTexts,
) -> dict[str, Any]:
    subject, body = render(
        event, customer_name=customer_name, lines=lines, reason=reason, texts=texts
    )
    payload = {
        "order_ids": sorted({line.order_id for line in lines}),
        "line_ids": [line.line_id for line in lines],
    }
    return {
        "customer": customer_id,
        "order": lines[0].order_id if lines else None,
        "event": event,
        "created_at": now,
        "subject": subject,
        "body": body,
        "payload": json.dumps(payload),
        "message_id": f"<{uuid.uuid4().hex}@backorder-desk>",
    }
