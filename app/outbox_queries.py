"""Read-only views of the outbox: the paged message list, one message in full, and the
counts per status the Messages window shows above its list.

A message's ``status`` is the mailer's (``app.mailer``): *queued* (waiting to go),
*sending* (handed to the mail server right now), *sent*, *failed* (the server refused or
could not be reached; ``last_error`` says why; it goes again on the next send), *uncertain*
(a send was cut off between handing it over and recording it: it may have arrived, so a
person decides) and *told* (the customer was told by phone, in person or on paper).

Filters and sorting run in SQL; nothing here loads the whole outbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from peewee import JOIN, Expression, Tuple, fn

from app import messaging
from app.errors import NotFound
from app.models import Customer, CustomerMessage, Staff
from app.validation import search_key

#: Every stored status, in the order the Messages window lists them.
STATUSES = ("queued", "sending", "failed", "uncertain", "sent", "told")

#: A filter that is not a single stored status: failed or may have been sent.
NEEDS_ATTENTION = "attention"
#: A filter: still to go out (queued or being sent right now).
WAITING = "waiting"

FILTERS: dict[str, tuple[str, ...]] = {
    NEEDS_ATTENTION: ("failed", "uncertain"),
    WAITING: ("queued", "sending"),
    **{status: (status,) for status in STATUSES},
}

#: What each status means, in words for the window (the "Status" column and its tooltip).
STATUS_TEXT = {
    "queued": "Queued",
    "sending": "Sending…",
    "failed": "Failed",
    "uncertain": "May have been sent",
    "sent": "Sent",
    "told": "Told",
}
STATUS_MEANING = {
    "queued": "Waiting to be sent by e-mail",
    "sending": "Being handed to the mail server right now",
    "failed": "The mail server refused it or could not be reached; Retry sends it again",
    "uncertain": (
        "Sending was cut off after the message was handed to the mail server: it may have "
        "arrived. Check with the customer or resend it (it may arrive twice)"
    ),
    "sent": "Accepted by the mail server",
    "told": "The customer was told by phone, in person or on paper",
}


@dataclass(frozen=True)
class OutboxRow:
    """One message in the outbox list (without its body, which only the preview reads)."""

    message_id: int
    created_at: datetime
    customer_id: int
    customer: str
    email: str | None
    phone: str | None
    order_id: int | None
    event: str
    subject: str
    status: str
    attempts: int
    last_error: str | None
    sent_at: datetime | None
    told_via: str | None
    told_by: str | None

    @property
    def needs_attention(self) -> bool:
        return self.status in FILTERS[NEEDS_ATTENTION]


@dataclass(frozen=True)
class MessageDetail(OutboxRow):
    """One message in full: the list's fields plus the text, the HTML part as the mailer
    sends it, and the Message-ID header."""

    body: str = ""
    header_id: str = ""
    html: str | None = None


OUTBOX_SORTS: dict[str, Any] = {
    "created": CustomerMessage.created_at,
    "customer": Customer.name,
    "status": CustomerMessage.status,
    "event": CustomerMessage.event,
    "subject": CustomerMessage.subject,
    "sent": CustomerMessage.sent_at,
    "order": CustomerMessage.order,
}

_ROW_COLUMNS: tuple[Any, ...] = (
    CustomerMessage.id,
    CustomerMessage.created_at,
    Customer.id,
    Customer.name,
    Customer.email,
    Customer.phone,
    CustomerMessage.order,
    CustomerMessage.event,
    CustomerMessage.subject,
    CustomerMessage.status,
    CustomerMessage.attempts,
    CustomerMessage.last_error,
    CustomerMessage.sent_at,
    CustomerMessage.told_via,
    Staff.name,
)


#: Statuses most of the outbox is in: filtering on them walks the newest-first index
#: rather than the status index (which would sort tens of thousands of rows for one page).
BULK_STATUSES = ("sent",)

#: Sort keys that are never NULL, so a page can start after the last row shown.
_KEYSET_SORTS = ("created", "customer", "status", "event", "subject")


def _status_clause(status: str) -> Expression:
    wanted = FILTERS.get(status)
    if wanted is None:
        raise ValueError(f"unknown outbox filter {status!r}")
    if len(wanted) > 1:
        return CustomerMessage.status.in_(list(wanted))
    if wanted[0] in BULK_STATUSES:
        # An expression hides the column from the planner (SQLite and PostgreSQL alike),
        # so the newest-first index drives and the first page is found at once.
        return fn.LOWER(CustomerMessage.status) == wanted[0]
    return CustomerMessage.status == wanted[0]


def _search_clause(search: str | None) -> Expression | None:
    """The customer (name, e-mail or phone: looked up among the customers first, a small
    table) or the order number (``12`` or ``#12``)."""
    text = search_key(search)
    if not text:
        return None
    customers = Customer.select(Customer.id).where(
        fn.LOWER(Customer.name).contains(text)
        | fn.LOWER(Customer.email).contains(text)
        | Customer.phone.contains(text)
    )
    clause: Expression = CustomerMessage.customer.in_(customers)
    number = text.lstrip("#")
    if number.isdecimal() and len(number) < 12:
        clause = clause | (CustomerMessage.order == int(number))
    return clause


def _outbox_query(
    columns: Sequence[Any], *, status: str | None, search: str | None, join_staff: bool
) -> Any:
    query = CustomerMessage.select(*columns).join(
        Customer, on=(CustomerMessage.customer == Customer.id)
    )
    if join_staff:
        query = query.switch(CustomerMessage).join(
            Staff, JOIN.LEFT_OUTER, on=(CustomerMessage.told_by == Staff.id)
        )
    if status:
        query = query.where(_status_clause(status))
    clause = _search_clause(search)
    if clause is not None:
        query = query.where(clause)
    return query


def count_messages(*, status: str | None = None, search: str | None = None) -> int:
    """How many messages match the filter (same arguments as ``outbox``)."""
    query = CustomerMessage.select(CustomerMessage.id)
    if status:
        wanted = FILTERS.get(status)
        if wanted is None:
            raise ValueError(f"unknown outbox filter {status!r}")
        # Counting is best done off the status index, whatever the status.
        query = query.where(CustomerMessage.status.in_(list(wanted)))
    clause = _search_clause(search)
    if clause is not None:
        query = query.where(clause)
    return int(query.count())


def outbox(
    *,
    status: str | None = None,
    search: str | None = None,
    sort: str | None = None,
    descending: bool = False,
    offset: int = 0,
    limit: int | None = 200,
    after: OutboxRow | None = None,
) -> list[OutboxRow]:
    """A page of the outbox, newest first unless ``sort`` names a column.

    ``status`` is a stored status, ``"attention"`` (failed or may have been sent) or
    ``"waiting"`` (queued or sending); ``search`` matches the customer's name, e-mail or
    phone, or an order number (``12`` or ``#12``). ``after`` (the last row of the previous
    page, same filter and sort) replaces ``offset`` where the sort allows it: the page
    starts right after it, so a deep page costs what the first does.
    """
    query = _outbox_query(_ROW_COLUMNS, status=status, search=search, join_staff=True)
    key = OUTBOX_SORTS.get(sort or "")
    if key is None:
        sort, key, descending = "created", CustomerMessage.created_at, True
    tie = CustomerMessage.id.desc() if descending else CustomerMessage.id
    query = query.order_by(key.desc() if descending else key, tie)
    if after is not None and sort in _KEYSET_SORTS:
        mark = Tuple(key, CustomerMessage.id)
        last = Tuple(_sort_value(after, str(sort)), after.message_id)
        query = query.where(mark < last if descending else mark > last)
    else:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return [OutboxRow(*row) for row in query.tuples()]


def _sort_value(row: OutboxRow, sort: str) -> Any:
    return {
        "created": row.created_at,
        "customer": row.customer,
        "status": row.status,
        "event": row.event,
        "subject": row.subject,
    }[sort]


def status_counts() -> dict[str, int]:
    """How many messages are in each status (every status present, zero if none)."""
    counts = dict.fromkeys(STATUSES, 0)
    query = CustomerMessage.select(CustomerMessage.status, fn.COUNT(CustomerMessage.id)).group_by(
        CustomerMessage.status
    )
    for status, count in query.tuples():
        counts[status] = int(count)
    return counts


def message_detail(message_id: int) -> MessageDetail:
    """One message with its text.

    Raises:
        NotFound: there is no such message.
    """
    row = (
        _outbox_query(
            [
                *_ROW_COLUMNS,
                CustomerMessage.body,
                CustomerMessage.message_id,
                CustomerMessage.payload,
            ],
            status=None,
            search=None,
            join_staff=True,
        )
        .where(CustomerMessage.id == message_id)
        .tuples()
        .first()
    )
    if row is None:
        raise NotFound(f"There is no message {message_id} in the outbox.", field="message")
    *fields, body, header_id, payload = row
    base = OutboxRow(*fields)
    return MessageDetail(
        **vars(base),
        body=body,
        header_id=header_id,
        # Rendered as the mailer would send it: from the lines the payload keeps.
        html=messaging.message_html(event=base.event, body=body, payload=payload),
    )
