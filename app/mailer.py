"""Sending the outbox over SMTP, never twice.

``send_queued`` sends the messages waiting in the outbox (``queued``, and ``failed`` ones
again) with ``smtplib``, each as a ``multipart/alternative`` e-mail (plain text and HTML)
whose ``Message-ID`` is the message's stored, stable id. Every change of a message's
status is its own committed statement, made in this order:

1. ``sending``, committed *before* the message is handed to the server;
2. ``sent`` (``sent_at``, ``told_via = "email"``) once the server accepted it, or
   ``failed`` with the server's words in ``last_error`` when it refused or could not be
   reached (``attempts`` counts the tries; the next run tries again).

So a message found in ``sending`` when a run starts was handed over by a program that
stopped before it learnt the answer: it may have arrived. It becomes ``uncertain`` ("may
have been sent") and is left for a person, who can tell the customer another way or send
it again (``Controller.resend_message``: same Message-ID, so the customer's mail program
can recognise a copy). The same holds for a connection that breaks while the message's
content is going over (after the DATA command): the server may have kept it.

Customers without an e-mail address: their messages are marked ``failed`` with a
``last_error`` that says so (they show under "needs attention", to be told by phone, in
person or on paper and marked as told); they are not tried again until the customer has
an address, and then go with the next run.

Runs in a worker thread: Peewee gives each thread its own connection, and runs in one
program take turns (a lock), so two cannot claim the same message; across desks the
claim itself is conditional (``WHERE status IN ('queued', 'failed')``). One known limit:
a run that starts on one desk while another desk is handing a message over marks that
message ``uncertain`` for the moment; the other desk's answer then replaces the mark.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from peewee import fn

from app import mail_settings
from app.clock import Clock, utcnow
from app.errors import UserError
from app.mail_settings import MailSettings
from app.messaging import StoreTexts, message_html, plain_text_as_html, store_texts
from app.models import Customer, CustomerMessage, database
from app.validation import parse_email

#: ``last_error`` of a message found in "sending" when a run starts.
INTERRUPTED = (
    "Sending was cut off: the program stopped after handing this message to the mail "
    "server and before it recorded the server's answer, so it may have been sent. Ask the "
    "customer, then send it again or mark it as told."
)
#: ``last_error`` of a message for a customer without an e-mail address.
NO_EMAIL = (
    "The customer has no e-mail address: tell them by phone, in person or on paper and "
    "mark the message as told, or add an address to the customer and it goes with the "
    "next send."
)

Progress = Callable[[int, int], None]

# Runs in one program take turns: a second run waits for the first, so it never finds
# the first run's message in "sending" and takes it for an interrupted one.
_RUN_LOCK = threading.Lock()


class MailError(UserError):
    """The mail server could not be reached, refused the login, or refused a message."""


@dataclass
class SendReport:
    """What one ``send_queued`` run did (counts, and the messages' ids).

    Attributes:
        sent: accepted by the server.
        failed: refused by the server, or not sent because it could not be reached.
        uncertain: may have been sent (interrupted earlier, or cut off in this run).
        no_email: for customers without an e-mail address (marked failed, for a person).
        not_tried: left waiting because the run stopped early (the connection broke).
        last_error: the last error met, in words (connection or refusal).
    """

    sent: int = 0
    failed: int = 0
    uncertain: int = 0
    no_email: int = 0
    not_tried: int = 0
    last_error: str | None = None
    sent_ids: list[int] = field(default_factory=list)
    failed_ids: list[int] = field(default_factory=list)
    uncertain_ids: list[int] = field(default_factory=list)

    def text(self) -> str:
        """One or two sentences for the window's status line."""
        parts = [
            f"{count} {words}"
            for count, words in (
                (self.sent, "sent"),
                (self.failed, "failed"),
                (self.uncertain, "may have been sent"),
                (self.no_email, "for customers without e-mail"),
                (self.not_tried, "not tried"),
            )
            if count
        ]
        text = (", ".join(parts) + ".") if parts else "Nothing was waiting to send."
        if self.last_error:
            text += f" {self.last_error}"
        return text


@dataclass(frozen=True)
class _Outgoing:
    """A message picked for sending, with its customer's address."""

    id: int
    header_id: str
    event: str
    subject: str
    body: str
    payload: str
    status: str
    customer: str
    email: str | None


def send_queued(
    *,
    limit: int | None = None,
    clock: Clock = utcnow,
    settings: MailSettings | None = None,
    progress: Progress | None = None,
) -> SendReport:
    """Send the waiting messages, oldest first (at most ``limit``); see the module's text.

    ``settings``: the saved ones (with their password) unless given. Must not run inside
    a transaction: each status change has to be committed before the next step.

    Raises:
        UserError: no mail server is set up, or its settings are incomplete; nothing
            was changed. (A server that cannot be reached is not raised: the messages
            are marked failed with the error, and the report carries it.)
    """
    if database.transaction_depth() > 0:
        raise RuntimeError("send_queued must run outside a transaction")
    with _RUN_LOCK:
        chosen = (settings or mail_settings.load(with_password=True)).checked()
        report = SendReport()
        report.uncertain_ids = _mark_interrupted()
        report.uncertain = len(report.uncertain_ids)
        picked = _pick(limit)
        sendable = [m for m in picked if m.email]
        no_email = [m.id for m in picked if not m.email]
        if no_email:
            _set_status(no_email, "failed", last_error=NO_EMAIL, only_from=("queued",))
            report.no_email = len(no_email)
        if not sendable:
            return report
        if progress is not None:
            progress(0, len(sendable))
        try:
            smtp = _connect(chosen)
        except MailError as error:
            _set_status(
                [m.id for m in sendable],
                "failed",
                last_error=str(error),
                only_from=("queued", "failed"),
                count_attempt=True,
            )
            report.failed, report.failed_ids = len(sendable), [m.id for m in sendable]
            report.last_error = str(error)
            return report
        try:
            _send_all(smtp, chosen, sendable, report, clock=clock, progress=progress)
        finally:
            _close(smtp)
        return report


def _send_all(
    smtp: _Tracking,
    settings: MailSettings,
    messages: list[_Outgoing],
    report: SendReport,
    *,
    clock: Clock,
    progress: Progress | None,
) -> None:
    texts = store_texts()
    for done, message in enumerate(messages):
        try:
            email = _build(message, settings, texts, now=clock())
        except (ValueError, TypeError, UserError) as error:
            text = f"This message cannot be written as an e-mail: {error}"
            _set_status(
                [message.id],
                "failed",
                last_error=text,
                only_from=("queued", "failed"),
                count_attempt=True,
            )
            report.failed += 1
            report.failed_ids.append(message.id)
            report.last_error = text
            continue
        if not _claim(message.id):
            continue  # another desk took it meanwhile
        smtp.handing_over = False
        try:
            smtp.send_message(email, from_addr=settings.sender, to_addrs=[str(message.email)])
        except smtplib.SMTPSenderRefused as error:
            # Every message would be refused the same way: stop here.
            text = (
                f"The mail server refused the sender address {settings.sender} "
                f"({_reply(error)}): check the sender in Settings › E-mail."
            )
            _fail(message.id, text, report)
            report.not_tried = len(messages) - done - 1
            return
        except smtplib.SMTPRecipientsRefused as error:
            reasons = "; ".join(_reply_of(*reply) for reply in error.recipients.values())
            _fail(
                message.id,
                f"The mail server refused the address {message.email}: {reasons}",
                report,
            )
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            # The connection is gone: whether the server kept a message whose content was
            # already going over cannot be known.
            if smtp.handing_over:
                text = (
                    f"The connection to the mail server broke while this message was being "
                    f"handed over ({_words(error)}), so it may have been sent. Ask the "
                    "customer, then send it again or mark it as told."
                )
                _set_status([message.id], "uncertain", last_error=text, only_from=("sending",))
                report.uncertain += 1
                report.uncertain_ids.append(message.id)
                report.last_error = text
            else:
                _fail(
                    message.id, f"The connection to the mail server broke: {_words(error)}", report
                )
            report.not_tried = len(messages) - done - 1
            return
        except smtplib.SMTPException as error:
            _fail(
                message.id, f"The mail server did not accept the message: {_words(error)}", report
            )
        else:
            _mark_sent(message.id, clock())
            report.sent += 1
            report.sent_ids.append(message.id)
        if progress is not None:
            progress(done + 1, len(messages))


def send_test_message(settings: MailSettings, to: str, *, clock: Clock = utcnow) -> str:
    """Send a short test e-mail with these (perhaps unsaved) settings; returns its
    Message-ID.

    Raises:
        UserError: a bad setting or address, or what went wrong with the server, in words.
    """
    chosen = settings.checked()
    recipient = parse_email(to)
    if not recipient:
        raise UserError("Type the address the test message should go to.", field="to")
    texts = store_texts()
    email = EmailMessage()
    email["Subject"] = f"Test message from {texts.store_name}"
    email["From"] = Address(display_name=texts.store_name, addr_spec=chosen.sender)
    email["To"] = recipient
    email["Date"] = format_datetime(clock().replace(tzinfo=UTC))
    header_id = make_msgid(domain="backorder-desk")
    email["Message-ID"] = header_id
    text = (
        f"This is a test message from Backorder Desk at {texts.store_name}.\n\n"
        f"It went through {chosen.host}:{chosen.port} ({chosen.security}), so customers' "
        "messages can be sent the same way.\n"
    )
    email.set_content(text)
    email.add_alternative(plain_text_as_html(text), subtype="html")
    smtp = _connect(chosen)
    try:
        smtp.send_message(email, from_addr=chosen.sender, to_addrs=[recipient])
    except smtplib.SMTPRecipientsRefused as error:
        reasons = "; ".join(_reply_of(*reply) for reply in error.recipients.values())
        raise MailError(f"The mail server refused the address {recipient}: {reasons}") from error
    except smtplib.SMTPSenderRefused as error:
        raise MailError(
            f"The mail server refused the sender address {chosen.sender} ({_reply(error)}): "
            "use an address this server may send for.",
            field="sender",
        ) from error
    except (smtplib.SMTPException, OSError) as error:
        raise MailError(
            f"The test message was not sent: {_words(error)}. Check the settings and try again."
        ) from error
    finally:
        _close(smtp)
    return header_id


# ---------------------------------------------------------------- the outbox's rows


def _mark_interrupted() -> list[int]:
    """Messages a stopped program left in "sending" become "uncertain"."""
    ids = [
        int(mid)
        for (mid,) in CustomerMessage.select(CustomerMessage.id)
        .where(CustomerMessage.status == "sending")
        .tuples()
    ]
    if ids:
        _set_status(ids, "uncertain", last_error=INTERRUPTED, only_from=("sending",))
    return ids


def _pick(limit: int | None) -> list[_Outgoing]:
    # A failed message goes again only when its customer has an address (those without
    # one were told about once and wait for a person).
    has_email = Customer.email.is_null(False) & (fn.TRIM(Customer.email) != "")
    query = (
        CustomerMessage.select(
            CustomerMessage.id,
            CustomerMessage.message_id,
            CustomerMessage.event,
            CustomerMessage.subject,
            CustomerMessage.body,
            CustomerMessage.payload,
            CustomerMessage.status,
            Customer.name,
            Customer.email,
        )
        .join(Customer, on=(CustomerMessage.customer == Customer.id))
        .where(
            (CustomerMessage.status == "queued")
            | ((CustomerMessage.status == "failed") & has_email)
        )
        .order_by(CustomerMessage.created_at, CustomerMessage.id)
    )
    if limit is not None:
        query = query.limit(max(limit, 0))
    return [
        _Outgoing(
            id=int(mid),
            header_id=header_id,
            event=event,
            subject=subject,
            body=body,
            payload=payload,
            status=status,
            customer=customer,
            email=(email or "").strip() or None,
        )
        for mid, header_id, event, subject, body, payload, status, customer, email in query.tuples()
    ]


def _claim(message_id: int) -> bool:
    """Mark the message "sending" (committed) before handing it over; False when another
    desk claimed it first."""
    changed = (
        CustomerMessage.update(
            status="sending", attempts=CustomerMessage.attempts + 1, last_error=None
        )
        .where(
            CustomerMessage.id == message_id,
            CustomerMessage.status.in_(["queued", "failed"]),
        )
        .execute()
    )
    return bool(changed)


def _mark_sent(message_id: int, now: datetime) -> None:
    # "uncertain" too: a run on another desk may have marked it while it was going over.
    CustomerMessage.update(
        status="sent", sent_at=now, told_via="email", told_by=None, last_error=None
    ).where(
        CustomerMessage.id == message_id,
        CustomerMessage.status.in_(["sending", "uncertain"]),
    ).execute()


def _fail(message_id: int, text: str, report: SendReport) -> None:
    _set_status([message_id], "failed", last_error=text, only_from=("sending", "uncertain"))
    report.failed += 1
    report.failed_ids.append(message_id)
    report.last_error = text


def _set_status(
    ids: list[int],
    status: str,
    *,
    last_error: str | None,
    only_from: tuple[str, ...] | None = None,
    count_attempt: bool = False,
) -> None:
    changes: dict[Any, Any] = {
        CustomerMessage.status: status,
        CustomerMessage.last_error: last_error,
    }
    if count_attempt:
        changes[CustomerMessage.attempts] = CustomerMessage.attempts + 1
    for start in range(0, len(ids), 500):
        query = CustomerMessage.update(changes).where(
            CustomerMessage.id.in_(ids[start : start + 500])
        )
        if only_from is not None:
            query = query.where(CustomerMessage.status.in_(list(only_from)))
        query.execute()


# ---------------------------------------------------------------- e-mails and SMTP


def _build(
    message: _Outgoing, settings: MailSettings, texts: StoreTexts, *, now: datetime
) -> EmailMessage:
    email = EmailMessage()
    email["Subject"] = message.subject
    email["From"] = Address(display_name=texts.store_name, addr_spec=settings.sender)
    email["To"] = Address(display_name=message.customer, addr_spec=str(message.email))
    email["Date"] = format_datetime(now.replace(tzinfo=UTC))
    email["Message-ID"] = message.header_id
    email.set_content(message.body)
    email.add_alternative(
        message_html(event=message.event, body=message.body, payload=message.payload, texts=texts),
        subtype="html",
    )
    return email


class _Tracking(smtplib.SMTP):
    """``smtplib.SMTP`` that notes when a message's content starts going to the server
    (the DATA command): a connection lost after that may have delivered it."""

    handing_over = False

    def data(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        self.handing_over = True
        return super().data(*args, **kwargs)


class _TrackingSSL(smtplib.SMTP_SSL, _Tracking):
    """The same over SSL from the first byte."""


def _connect(settings: MailSettings) -> _Tracking:
    """An open, logged-in connection to the server.

    Raises:
        MailError: why it could not be made, in words a shop can act on.
    """
    if settings.user and not settings.password:
        raise MailError(
            f"No mail password is saved for {settings.user} on this computer: type it in "
            "Settings › E-mail.",
            field="password",
        )
    # The name the desk gives itself in EHLO; socket.getfqdn() may wait on a slow DNS.
    local = socket.gethostname() or "localhost"
    smtp: _Tracking | None = None
    try:
        if settings.security == "ssl":
            smtp = _TrackingSSL(
                settings.host,
                settings.port,
                local_hostname=local,
                timeout=settings.timeout,
                context=ssl.create_default_context(),
            )
        else:
            smtp = _Tracking(
                settings.host, settings.port, local_hostname=local, timeout=settings.timeout
            )
        smtp.ehlo()
        if settings.security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if settings.user:
            smtp.login(settings.user, settings.password)
    except (smtplib.SMTPException, OSError) as error:
        if smtp is not None:
            _close(smtp)
        raise MailError(_connect_error(error, settings)) from error
    return smtp


def _connect_error(error: BaseException, settings: MailSettings) -> str:
    where = f"{settings.host}:{settings.port}"
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return (
            f"The mail server {where} refused the user name or password for "
            f"{settings.user} ({_reply(error)}): check them in Settings › E-mail."
        )
    if isinstance(error, smtplib.SMTPNotSupportedError):
        if settings.security == "starttls" and "STARTTLS" in str(error).upper():
            return (
                f"The mail server {where} does not offer STARTTLS: choose SSL (usually port "
                "465), or check the port and the server's name with your e-mail provider."
            )
        return (
            f"The mail server {where} does not accept a login here ({_words(error)}): "
            "choose STARTTLS or SSL, or leave the user name empty if it needs none."
        )
    if isinstance(error, ssl.SSLCertVerificationError):
        return (
            f"The mail server {where} showed a certificate that cannot be trusted "
            f"({error.verify_message or _words(error)}): check the server's name; it must "
            "match its certificate."
        )
    if isinstance(error, ssl.SSLError):
        hint = (
            "the server may not use SSL on this port: try STARTTLS (usually port 587) or "
            "check the port"
            if settings.security == "ssl"
            else "check the port and the security setting"
        )
        return f"A secure connection with {where} could not be made ({_words(error)}): {hint}."
    if isinstance(error, socket.gaierror):
        return (
            f"The mail server {settings.host!r} was not found ({_words(error)}): check its "
            "name in Settings › E-mail, and that this computer is online."
        )
    if isinstance(error, ConnectionRefusedError):
        return (
            f"The mail server {where} refused the connection: check the port (587 for "
            "STARTTLS, 465 for SSL, 25 for none) and that the server is running."
        )
    # smtplib reports a reply that never came as a lost connection "timed out".
    if isinstance(error, TimeoutError) or (
        isinstance(error, smtplib.SMTPServerDisconnected) and "timed out" in str(error)
    ):
        return (
            f"The mail server {where} did not answer within {settings.timeout:g} seconds: "
            "check the server's name, the port and the security setting (SSL on a "
            "STARTTLS port, or the other way round, waits like this)."
        )
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return (
            f"The mail server {where} closed the connection ({_words(error)}): check the "
            "port and the security setting."
        )
    if isinstance(error, smtplib.SMTPResponseException):
        return f"The mail server {where} answered with an error: {_reply(error)}."
    return f"Cannot reach the mail server {where}: {_words(error)}."


def _close(smtp: smtplib.SMTP) -> None:
    """Say goodbye politely, or just drop the connection if it is already broken."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _reply(error: smtplib.SMTPResponseException) -> str:
    return _reply_of(error.smtp_code, error.smtp_error)


def _reply_of(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(words.split())}".strip()


def _words(error: BaseException) -> str:
    """An exception as a short phrase (the server's reply where there is one)."""
    if isinstance(error, smtplib.SMTPResponseException):
        return _reply(error)
    text = " ".join(str(error).split())
    return text or type(error).__name__
