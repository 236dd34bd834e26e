"""Customer messages: rendering the templates and queueing them in the outbox.

One message per customer and event, listing every line concerned. Each event has two
templates under ``resources/messages/``, both editable by the shop:

* ``<event>.txt``: a ``Subject:`` line, a blank line, then the plain-text body;
* ``<event>.html``: the same message as a simple HTML page (no subject line).

Placeholders are ``$name`` (``string.Template``, so a stray brace or ``$5`` in a shop's
text is harmless): ``$store_name``, ``$customer_name``, ``$lines``, ``$reason``,
``$signature``, ``$store_address``, ``$store_phone`` and ``$store_contact`` (address and
phone together, empty when neither is set). In the HTML template every value is escaped
before it goes in; ``$lines``, ``$signature`` and ``$store_contact`` arrive as ready-made,
escaped HTML. The store's texts come from the settings ``store_name``, ``store_address``,
``store_phone`` and ``store_signature``.

Queueing happens inside the transaction that caused the event, so a message exists exactly
when its event does. The text body is rendered then and stored (it is what the customer
was told); the lines themselves go into the message's payload, and the HTML part is
rendered from them when the message is sent or previewed (``message_html``), so the
outbox stays small on the hot path (every waiting order queues one message). Sending is a
separate step (``app.mailer``).
"""

from __future__ import annotations

import functools
import html
import itertools
import json
import os
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from string import Template
from typing import Any

from app.errors import UserError
from app.fast_sql import insert_row, insert_rows, run_cached
from app.models import CustomerMessage, Setting
from app.resources import resource_path

EVENTS = ("backorder_confirmed", "ready", "cancelled", "eta_changed")
DEFAULT_STORE_NAME = "our shop"
#: The settings the messages print, in the order ``store_texts`` reads them.
STORE_TEXT_KEYS = ("store_name", "store_signature", "store_address", "store_phone")


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

    def what(self) -> str:
        """``2 x Widget (W-1), order 7``: the line without its date."""
        return f"{self.qty} x {self.name} ({self.sku}), order {self.order_id}"

    def when(self, event: str) -> str:
        """The date part of the line for this event (empty where no date matters)."""
        if event == "backorder_confirmed":
            return f": expected {_when(self.eta)}"
        if event == "eta_changed":
            return f": now expected {_when(self.eta)} (was {_when(self.old_eta)})"
        return ""

    def render(self, event: str) -> str:
        """The line as the plain-text message lists it."""
        return f"  - {self.what()}{self.when(event)}"

    def render_html(self, event: str) -> str:
        """The line as the HTML message lists it (every text escaped)."""
        return f"<li>{html.escape(self.what())}{html.escape(self.when(event))}</li>"

    def packed(self) -> list[Any]:
        """The line as the payload stores it (a short list: thousands are queued at once)."""
        return [
            self.order_id,
            self.line_id,
            self.sku,
            self.name,
            self.qty,
            self.eta.isoformat() if self.eta else None,
            self.old_eta.isoformat() if self.old_eta else None,
        ]

    @classmethod
    def unpacked(cls, item: Sequence[Any]) -> MessageLine:
        """The inverse of ``packed``."""
        order_id, line_id, sku, name, qty, eta, old_eta = item
        return cls(
            order_id=int(order_id),
            line_id=int(line_id),
            sku=str(sku),
            name=str(name),
            qty=int(qty),
            eta=date.fromisoformat(eta) if eta else None,
            old_eta=date.fromisoformat(old_eta) if old_eta else None,
        )


def _when(day: date | None) -> str:
    return f"around {day:%d %b %Y}" if day else "as soon as we have a date"


def store_setting(key: str, default: str) -> str:
    """One setting's value, or ``default`` when it is not set."""
    row = Setting.get_or_none(Setting.key == key)
    return row.value if row is not None else default


@dataclass(frozen=True)
class StoreTexts:
    """The shop's name, signature and contact details as the messages print them."""

    store_name: str
    signature: str
    address: str = ""
    phone: str = ""

    @functools.cached_property
    def contact_lines(self) -> tuple[str, ...]:
        """The address (one line per line typed) and the phone, for the message's foot."""
        lines = [line.strip() for line in self.address.splitlines() if line.strip()]
        if self.phone.strip():
            lines.append(f"Phone: {self.phone.strip()}")
        return tuple(lines)


def store_texts() -> StoreTexts:
    """The store's texts in one query (they are read for every message)."""
    found = dict(run_cached("messaging.store_texts", _texts_query, *STORE_TEXT_KEYS))
    # One line: it goes into subjects and the From header.
    store_name = " ".join(found.get("store_name", "").split()) or DEFAULT_STORE_NAME
    return StoreTexts(
        store_name=store_name,
        signature=found.get("store_signature", "").strip() or f"Kind regards,\n{store_name}",
        address=found.get("store_address", ""),
        phone=found.get("store_phone", ""),
    )


def _texts_query(*keys: str) -> Any:
    return Setting.select(Setting.key, Setting.value).where(Setting.key.in_(list(keys)))


# Templates are read once per run of the program (rendering is on the hot path: every
# order that waits queues a message); ``reload_templates`` picks up edited files.


@functools.cache
def _template(event: str) -> Template:
    """The plain-text template of an event (its first line is the subject)."""
    path = resource_path("messages", f"{event}.txt")
    text = _read_template(path)
    head, blank, _ = text.partition("\n\n")
    if not head.startswith("Subject:") or "\n" in head or not blank:
        raise UserError(
            f"The message template {path} must start with one 'Subject: ...' line followed "
            "by a blank line; fix the file (or restore it from the program) and try again."
        )
    return Template(text)


@functools.cache
def _html_template(event: str) -> Template:
    """The HTML template of an event."""
    return Template(_read_template(resource_path("messages", f"{event}.html")))


def _read_template(path: Any) -> str:
    try:
        text: str = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(
            f"The message template {path} is missing; restore it from the program's files."
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(
            f"Cannot read the message template {path} ({error}); check the file, which "
            "must be UTF-8 text."
        ) from None
    return text.replace("\r\n", "\n")


def reload_templates() -> None:
    """Forget the templates read so far, so edited files are used from now on."""
    _template.cache_clear()
    _html_template.cache_clear()
    _with_store_texts.cache_clear()


def check_templates() -> None:
    """Read every event's templates now; raises ``UserError`` naming a broken one."""
    for event in EVENTS:
        _template(event)
        _html_template(event)


@functools.lru_cache(maxsize=64)
def _with_store_texts(event: str, texts: StoreTexts) -> Template:
    """The event's plain-text template with the shop's texts filled in and the
    per-message fields (customer name, reason, lines) still to fill.

    Exactly what one substitution of everything would give: the shop's texts are
    escaped (``$`` -> ``$$``) for the second pass, and the template's own ``$$`` is kept.
    """
    shop = {
        "store_name": texts.store_name,
        "store_address": texts.address.strip(),
        "store_phone": texts.phone.strip(),
        "signature": texts.signature,
        "store_contact": "\n".join(texts.contact_lines),
    }

    def fill(match: re.Match[str]) -> str:
        name = match.group("named") or match.group("braced")
        if name in shop:
            return shop[name].replace("$", "$$")
        return match.group(0)

    template = _template(event)
    return Template(template.pattern.sub(fill, template.template))


def render(
    event: str,
    *,
    customer_name: str,
    lines: Sequence[MessageLine],
    reason: str = "",
    texts: StoreTexts | None = None,
) -> tuple[str, str]:
    """Subject and plain-text body of one message (``texts``: already read, when
    rendering many)."""
    texts = texts or store_texts()
    # One substitution for subject and body (this runs for every order that waits, and
    # for every customer a big delivery serves); the shop's own texts are already in.
    # The values a subject line may hold (store name, customer name, reason) are one line.
    filled = _with_store_texts(event, texts).safe_substitute(
        customer_name=customer_name,
        reason=reason or "not given",
        lines="\n".join([line.render(event) for line in lines]),
    )
    head, _, body = filled.partition("\n\n")
    # A subject is one header line: a line break in a setting must not split it.
    subject = " ".join(head.removeprefix("Subject:").split())
    return subject, body.strip() + "\n"


def render_html(
    event: str,
    *,
    customer_name: str,
    lines: Sequence[MessageLine],
    reason: str = "",
    texts: StoreTexts | None = None,
) -> str:
    """The HTML part of one message; every customer, product and store text is escaped."""
    texts = texts or store_texts()
    subject, _ = render(event, customer_name=customer_name, lines=(), reason=reason, texts=texts)
    contact = texts.contact_lines
    escaped = {
        "store_name": html.escape(texts.store_name),
        "customer_name": html.escape(customer_name),
        "reason": html.escape(reason or "not given"),
        "store_address": _html_lines(texts.address),
        "store_phone": html.escape(texts.phone.strip()),
    }
    return _html_template(event).safe_substitute(
        escaped,
        subject=html.escape(subject),
        lines="<ul>\n" + "\n".join(line.render_html(event) for line in lines) + "\n</ul>",
        signature=_html_lines(texts.signature),
        store_contact=(
            f'<p style="color:#666;font-size:smaller">{_html_lines(chr(10).join(contact))}</p>'
            if contact
            else ""
        ),
    )


def _html_lines(text: str) -> str:
    """Escaped text whose line breaks stay line breaks."""
    return "<br>\n".join(html.escape(line.strip()) for line in text.strip().splitlines())


def message_html(*, event: str, body: str, payload: str, texts: StoreTexts | None = None) -> str:
    """The HTML part of a queued message, from the lines its payload keeps.

    A message queued before its payload kept the lines (or whose event has no HTML
    template) gets its plain text as HTML instead, escaped.
    """
    try:
        loaded = json.loads(payload or "{}")
    except ValueError:
        loaded = {}
    packed = loaded.get("lines") if isinstance(loaded, dict) else None
    if event not in EVENTS or not isinstance(packed, list):
        return plain_text_as_html(body)
    return render_html(
        event,
        customer_name=str(loaded.get("customer_name", "")),
        lines=[MessageLine.unpacked(item) for item in packed],
        reason=str(loaded.get("reason", "")),
        texts=texts,
    )


def plain_text_as_html(body: str) -> str:
    """Plain text as a minimal HTML page: paragraphs and line breaks kept, all escaped."""
    paragraphs = [p for p in body.strip().split("\n\n") if p.strip()]
    inner = "\n".join(f"<p>{_html_lines(p)}</p>" for p in paragraphs)
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>\n'
        f"{inner}\n</body></html>\n"
    )


def queue_message(
    *,
    customer_id: int,
    customer_name: str,
    event: str,
    lines: Sequence[MessageLine],
    now: datetime,
    reason: str = "",
) -> int:
    """Put one message in the outbox (call inside the event's transaction); its id."""
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
    return insert_row(CustomerMessage, **row)


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
    payload: dict[str, Any] = {
        "order_ids": sorted({line.order_id for line in lines}),
        "line_ids": [line.line_id for line in lines],
        "customer_name": customer_name,
        "lines": [line.packed() for line in lines],
    }
    if reason:
        payload["reason"] = reason
    return {
        "customer": customer_id,
        "order": lines[0].order_id if lines else None,
        "event": event,
        "created_at": now,
        "subject": subject[:300],
        "body": body,
        "payload": json.dumps(payload),
        "message_id": _new_message_id(),
    }


def _new_message_id() -> str:
    """A Message-ID no other message has: this program's own random 128 bits, then a
    count. Cheaper than a fresh uuid4 per message (a big delivery queues thousands); the
    store keeps no index on it, so its uniqueness rests on this."""
    global _ids
    # A forked child must not carry on its parent's count: it makes its own prefix.
    if _ids is None or _ids[0] != os.getpid():
        _ids = (os.getpid(), uuid.uuid4().hex, itertools.count(1))
    _pid, prefix, count = _ids
    return f"<{prefix}.{next(count)}@backorder-desk>"


#: The process, its Message-ID prefix and its counter; made at the first message.
_ids: tuple[int, str, itertools.count[int]] | None = None
