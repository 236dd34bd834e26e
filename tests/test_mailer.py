"""Sending the outbox to a real SMTP server (aiosmtpd on 127.0.0.1, started by the tests).

Each test runs on SQLite and on PostgreSQL (the ``store`` fixture). The system keyring is
replaced for every test (a "no keyring" backend, or an in-memory one where a test needs
a keyring), so a developer's own keyring is never touched.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import keyring
import pytest
from aiosmtpd.controller import Controller as SmtpController
from aiosmtpd.smtp import AuthResult, LoginPassword
from keyring.backend import KeyringBackend
from keyring.backends import fail

from app import mail_settings, mailer
from app.controller import Controller, Decision, OrderItem
from app.errors import UserError
from app.mail_settings import MailSettings
from app.models import AuditEvent, CustomerMessage, Setting, database
from app.order_queries import order_detail
from app.store import Store
from tests.conftest import FakeClock

ROOT = Path(__file__).resolve().parents[1]
SENDER = "shop@example.com"


# ------------------------------------------------------------------ keyrings


class MemoryKeyring(KeyringBackend):
    """A real keyring backend that keeps passwords in memory (a stand-in for the
    system's Secret Service / Keychain)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.saved: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.saved.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.saved[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.saved.pop((service, username), None)


@pytest.fixture(autouse=True)
def no_system_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring() -> MemoryKeyring:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    return backend


# ------------------------------------------------------------------ the server


@dataclass
class Received:
    """One message as the server got it."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content())

    @property
    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        assert part is not None
        return str(part.get_content())


@dataclass
class Collector:
    """The aiosmtpd handler: keeps what arrives; can refuse addresses or act on DATA."""

    received: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    on_data: Callable[[Any], str | None] | None = None

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        if self.on_data is not None:
            answer = self.on_data(server)
            if answer is not None:
                return answer
        return "250 2.0.0 Accepted"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class MailServer:
    """An aiosmtpd server on 127.0.0.1 that can be stopped and started on its port."""

    def __init__(self, port: int, **options: Any) -> None:
        self.port = port
        self.handler = Collector()
        self.options = options
        self.controller: SmtpController | None = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def start(self) -> MailServer:
        self.controller = SmtpController(
            self.handler, hostname="127.0.0.1", port=self.port, **self.options
        )
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def server() -> Iterator[MailServer]:
    running = MailServer(free_port()).start()
    yield running
    running.stop()


def use_server(port: int, *, security: str = "none", user: str = "", password: str = "") -> None:
    """Save settings pointing at 127.0.0.1:port."""
    settings = mail_settings.parse(
        host="127.0.0.1", port=port, security=security, user=user, sender=SENDER
    )
    mail_settings.save(settings, password=password or None)


# ------------------------------------------------------------------ the shop


@dataclass
class Shop:
    controller: Controller
    clock: FakeClock
    product: int
    other: int

    def customer(self, name: str, email: str | None) -> int:
        return int(self.controller.add_customer(name=name, email=email).id)

    def waiting_order(self, customer_id: int, *products: int) -> int:
        ids = products or (self.product,)
        placed = self.controller.place_order(
            customer_id,
            [OrderItem(pid, 2) for pid in ids],
            decisions={pid: Decision.WAIT for pid in ids},
        )
        return placed.order_id


@pytest.fixture
def shop(controller: Controller, clock: FakeClock) -> Shop:
    for key, value in (
        ("store_name", "Corner Hardware"),
        ("store_signature", "Kind regards,\nMaria at Corner Hardware"),
        ("store_address", "1 Main Street\nSpringfield"),
        ("store_phone", "555 0100"),
    ):
        Setting.create(key=key, value=value)
    product = controller.add_product(sku="W-1", name="Widget <script>x</script>").id
    other = controller.add_product(sku="G-2", name="Gadget").id
    return Shop(controller, clock, int(product), int(other))


def message_of(customer_id: int) -> CustomerMessage:
    return CustomerMessage.get(CustomerMessage.customer == customer_id)


# ------------------------------------------------------------------ sending


def test_messages_arrive_with_recipient_subject_text_html_and_message_id(
    store: Store, shop: Shop, server: MailServer
) -> None:
    ann = shop.customer("Ann Smith", "ann@example.com")
    order = shop.waiting_order(ann, shop.product, shop.other)
    use_server(server.port)
    shop.clock.advance(minutes=5)

    report = mailer.send_queued(clock=shop.clock)

    assert (report.sent, report.failed, report.sent_ids) == (1, 0, [message_of(ann).id])
    [got] = server.received
    stored = message_of(ann)
    assert got.rcpt_tos == ["ann@example.com"]
    assert got.mail_from == SENDER
    assert got.message["To"].addresses[0].addr_spec == "ann@example.com"
    assert got.message["To"].addresses[0].display_name == "Ann Smith"
    assert got.message["From"].addresses[0].display_name == "Corner Hardware"
    assert (
        got.message["Subject"] == stored.subject == "Your order is on backorder at Corner Hardware"
    )
    assert got.message["Message-ID"] == stored.message_id
    assert got.message.get_content_type() == "multipart/alternative"
    assert got.message["Date"].datetime == shop.clock.now.replace(tzinfo=dt.UTC)
    # One message for the order's two waiting lines, in both parts.
    assert got.text.replace("\r\n", "\n") == stored.body
    for text in (got.text, got.html):
        assert "W-1" in text and "Gadget" in text and f"order {order}" in text
        assert "Maria at Corner Hardware" in text and "555 0100" in text
    assert "Widget &lt;script&gt;x&lt;/script&gt;" in got.html
    assert "<script>" not in got.html
    assert (stored.status, stored.sent_at, stored.told_via, stored.attempts) == (
        "sent",
        shop.clock.now,
        "email",
        1,
    )


def test_nothing_is_sent_twice_across_runs(store: Store, shop: Shop, server: MailServer) -> None:
    ann = shop.customer("Ann", "ann@example.com")
    shop.waiting_order(ann)
    use_server(server.port)

    assert mailer.send_queued(clock=shop.clock).sent == 1
    again = mailer.send_queued(clock=shop.clock)

    assert (again.sent, again.failed, again.uncertain) == (0, 0, 0)
    assert again.text() == "Nothing was waiting to send."
    assert len(server.received) == 1


def test_with_the_server_down_messages_fail_stay_queued_and_go_when_it_is_back(
    store: Store, shop: Shop
) -> None:
    ann = shop.customer("Ann", "ann@example.com")
    bob = shop.customer("Bob", "bob@example.com")
    shop.waiting_order(ann)
    shop.waiting_order(bob)
    port = free_port()  # nothing listens here yet
    use_server(port)

    down = mailer.send_queued(clock=shop.clock)

    assert (down.sent, down.failed) == (0, 2)
    assert down.last_error is not None and "refused the connection" in down.last_error
    for customer in (ann, bob):
        message = message_of(customer)
        assert (message.status, message.attempts) == ("failed", 1)
        assert f"127.0.0.1:{port} refused the connection" in message.last_error

    server = MailServer(port).start()
    try:
        back = mailer.send_queued(clock=shop.clock)
        assert (back.sent, back.failed) == (2, 0)
        assert sorted(r.rcpt_tos[0] for r in server.received) == [
            "ann@example.com",
            "bob@example.com",
        ]
        assert [(message_of(c).status, message_of(c).attempts) for c in (ann, bob)] == [
            ("sent", 2),
            ("sent", 2),
        ]
        assert message_of(ann).last_error is None
        assert mailer.send_queued(clock=shop.clock).sent == 0
        assert len(server.received) == 2
    finally:
        server.stop()


def test_a_send_killed_mid_hand_over_becomes_uncertain_and_is_resent_only_on_request(
    store: Store, shop: Shop, server: MailServer
) -> None:
    ann = shop.customer("Ann", "ann@example.com")
    order = shop.waiting_order(ann)
    use_server(server.port)
    # A real crash: another process sends; the server kills it once it has the message
    # and before it answers, so the sender never learns that it was accepted.
    child: dict[str, subprocess.Popen[bytes]] = {}

    def kill_sender(_server: Any) -> None:
        child["process"].kill()
        child["process"].wait(timeout=30)

    server.handler.on_data = kill_sender
    script = (
        "import sys; from app.store import open_store; from app import mailer; "
        "open_store(sys.argv[1]); mailer.send_queued()"
    )
    child["process"] = subprocess.Popen(
        [sys.executable, "-c", script, store.location], cwd=ROOT, env=_child_env()
    )
    assert child["process"].wait(timeout=60) != 0  # it was killed
    server.handler.on_data = None
    assert len(server.received) == 1
    assert message_of(ann).status == "sending"  # as the dead process left it

    report = mailer.send_queued(clock=shop.clock)

    assert (report.uncertain, report.sent, report.uncertain_ids) == (1, 0, [message_of(ann).id])
    message = message_of(ann)
    assert message.status == "uncertain" and message.last_error == mailer.INTERRUPTED
    assert mailer.send_queued(clock=shop.clock).sent == 0
    assert len(server.received) == 1  # not resent blindly

    shop.controller.resend_message(message.id)
    assert mailer.send_queued(clock=shop.clock).sent == 1
    assert mailer.send_queued(clock=shop.clock).sent == 0

    first, second = server.received
    assert first.message["Message-ID"] == second.message["Message-ID"] == message.message_id
    assert message_of(ann).status == "sent"
    resend = AuditEvent.get(AuditEvent.action == "message.resend")
    assert (resend.entity, resend.entity_id) == ("order", order)
    assert json.loads(resend.detail)["was"] == "uncertain"


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    return env


def test_a_connection_cut_while_handing_over_is_uncertain_not_failed(
    store: Store, shop: Shop, server: MailServer
) -> None:
    ann = shop.customer("Ann", "ann@example.com")
    bob = shop.customer("Bob", "bob@example.com")
    shop.waiting_order(ann)
    shop.waiting_order(bob)
    use_server(server.port)

    def hang_up(smtp: Any) -> str:
        smtp.transport.close()
        return "250 2.0.0 Accepted"  # never reaches the desk

    server.handler.on_data = hang_up
    report = mailer.send_queued(clock=shop.clock)

    assert (report.sent, report.uncertain, report.not_tried) == (0, 1, 1)
    assert message_of(ann).status == "uncertain"
    assert "may have been sent" in message_of(ann).last_error
    assert message_of(bob).status == "queued"  # the run stopped before Bob's

    server.handler.on_data = None
    assert mailer.send_queued(clock=shop.clock).sent == 1  # Bob's only
    assert [r.rcpt_tos for r in server.received] == [["ann@example.com"], ["bob@example.com"]]
    assert message_of(ann).status == "uncertain"


def test_a_refused_address_fails_that_message_and_the_others_go(
    store: Store, shop: Shop, server: MailServer
) -> None:
    ann = shop.customer("Ann", "ann@example.com")
    bob = shop.customer("Bob", "gone@example.com")
    shop.waiting_order(bob)
    shop.waiting_order(ann)
    server.handler.refuse.add("gone@example.com")
    use_server(server.port)

    report = mailer.send_queued(clock=shop.clock)

    assert (report.sent, report.failed) == (1, 1)
    failed = message_of(bob)
    assert failed.status == "failed"
    assert "refused the address gone@example.com: 550 5.1.1 No such mailbox here" in (
        failed.last_error
    )
    assert [r.rcpt_tos for r in server.received] == [["ann@example.com"]]


def test_customers_without_email_are_left_for_a_person_until_they_have_one(
    store: Store, shop: Shop, server: MailServer
) -> None:
    carl = shop.customer("Carl", None)
    shop.waiting_order(carl)
    use_server(server.port)

    report = mailer.send_queued(clock=shop.clock)

    assert (report.no_email, report.sent, report.failed) == (1, 0, 0)
    message = message_of(carl)
    assert (message.status, message.attempts, message.last_error) == ("failed", 0, mailer.NO_EMAIL)
    assert mailer.send_queued(clock=shop.clock).no_email == 0  # told once, not again
    assert server.received == []

    shop.controller.update_customer(carl, name="Carl", email="carl@example.com", phone=None)
    assert mailer.send_queued(clock=shop.clock).sent == 1
    assert server.received[0].rcpt_tos == ["carl@example.com"]


def test_limit_sends_the_oldest_first(store: Store, shop: Shop, server: MailServer) -> None:
    ann = shop.customer("Ann", "ann@example.com")
    bob = shop.customer("Bob", "bob@example.com")
    shop.waiting_order(ann)
    shop.clock.advance(minutes=1)
    shop.waiting_order(bob)
    use_server(server.port)

    assert mailer.send_queued(limit=1, clock=shop.clock).sent_ids == [message_of(ann).id]
    assert message_of(bob).status == "queued"


def test_sending_from_a_worker_thread(store: Store, shop: Shop, server: MailServer) -> None:
    ann = shop.customer("Ann", "ann@example.com")
    shop.waiting_order(ann)
    use_server(server.port)
    outcome: list[Any] = []

    def work() -> None:
        try:
            outcome.append(mailer.send_queued(clock=shop.clock))
        except Exception as error:  # reported to the test below
            outcome.append(error)
        finally:
            database.close()  # this thread's own connection

    worker = threading.Thread(target=work)
    worker.start()
    worker.join(timeout=60)

    assert isinstance(outcome[0], mailer.SendReport) and outcome[0].sent == 1
    assert message_of(ann).status == "sent"  # seen from this thread's connection


# ------------------------------------------------------------------ settings and errors


def test_login_with_the_password_from_the_keyring(
    store: Store, shop: Shop, memory_keyring: MemoryKeyring
) -> None:
    logins: list[tuple[str, str]] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        assert isinstance(data, LoginPassword)
        logins.append((data.login.decode(), data.password.decode()))
        return AuthResult(success=data.password == b"s3cret", handled=False)

    server = MailServer(free_port(), authenticator=authenticator, auth_require_tls=False).start()
    try:
        ann = shop.customer("Ann", "ann@example.com")
        shop.waiting_order(ann)
        use_server(server.port, user="shop", password="s3cret")
        assert Setting.get_or_none(Setting.key == mail_settings.PASSWORD) is None
        assert memory_keyring.saved == {(mail_settings.KEYRING_SERVICE, "shop@127.0.0.1"): "s3cret"}

        assert mailer.send_queued(clock=shop.clock).sent == 1
        assert logins == [("shop", "s3cret")]

        mail_settings.save(mail_settings.load(), password="wrong")
        shop.waiting_order(ann)
        report = mailer.send_queued(clock=shop.clock)
        assert report.failed == 1
        assert report.last_error is not None
        assert "refused the user name or password for shop (535" in report.last_error
    finally:
        server.stop()


def test_password_is_kept_in_the_keyring_where_there_is_one(
    store: Store, memory_keyring: MemoryKeyring
) -> None:
    settings = mail_settings.parse(
        host="smtp.example.com", port="587", security="starttls", user="shop", sender=SENDER
    )
    assert (
        mail_settings.save(settings, password="pw1")
        == "Saved in the system keyring (MemoryKeyring)"
    )
    assert mail_settings.password_storage_description() == (
        "Saved in the system keyring (MemoryKeyring)"
    )
    stored = {row.key: row.value for row in Setting.select()}
    assert "pw1" not in stored.values()
    assert mail_settings.load().password == ""  # not read unless asked
    assert mail_settings.load().password_saved
    assert mail_settings.load(with_password=True).password == "pw1"

    # Another user name: the password moves along; an empty one forgets it.
    moved = mail_settings.parse(
        host="smtp.example.com", port=587, security="starttls", user="desk", sender=SENDER
    )
    mail_settings.save(moved)
    assert memory_keyring.saved == {(mail_settings.KEYRING_SERVICE, "desk@smtp.example.com"): "pw1"}
    mail_settings.save(moved, password="")
    assert memory_keyring.saved == {}
    assert not mail_settings.load().password_saved


def test_without_a_keyring_the_password_is_in_the_store_and_the_dialog_says_so(
    store: Store,
) -> None:
    settings = mail_settings.parse(
        host="smtp.example.com", port=465, security="ssl", user="shop", sender=SENDER
    )
    said = mail_settings.save(settings, password="pw1")

    where = "store file" if store.is_sqlite else "store's database"
    assert said == mail_settings.password_storage_description()
    assert said.startswith(f"No system keyring found: saved in the {where}, readable by anyone")
    assert Setting.get(Setting.key == mail_settings.PASSWORD).value == "pw1"
    assert mail_settings.load(with_password=True).password == "pw1"
    assert mail_settings.load() == MailSettings(
        host="smtp.example.com",
        port=465,
        security="ssl",
        user="shop",
        sender=SENDER,
        password_saved=True,
    )


@pytest.mark.parametrize(
    ("changes", "field_name", "words"),
    [
        ({"port": "abc"}, "port", "Port 'abc' is not a port number"),
        ({"port": "70000"}, "port", "Port '70000' is not a port number"),
        ({"sender": "not an address"}, "sender", "Sender address 'not an address' is not valid"),
        ({"sender": ""}, "sender", "The sender address is missing"),
        ({"security": "tls"}, "security", "Security 'tls' is not known"),
        ({"host": "smtp://mail.example.com"}, "host", "type only the server's name"),
    ],
)
def test_bad_settings_are_refused_with_a_clear_message(
    store: Store, changes: dict[str, str], field_name: str, words: str
) -> None:
    typed = {"host": "mail.example.com", "port": "587", "security": "starttls", "sender": SENDER}
    typed.update(changes)
    with pytest.raises(UserError, match=words) as caught:
        mail_settings.parse(**typed)
    assert caught.value.field == field_name


def test_sending_without_a_mail_server_is_a_clear_error(store: Store, shop: Shop) -> None:
    ann = shop.customer("Ann", "ann@example.com")
    shop.waiting_order(ann)

    with pytest.raises(UserError, match="No mail server is set up") as caught:
        mailer.send_queued(clock=shop.clock)

    assert caught.value.field == "host"
    assert not mail_settings.load().configured
    assert message_of(ann).status == "queued"  # nothing changed
    with pytest.raises(UserError, match="No mail server is set up"):
        mailer.send_test_message(MailSettings(), "ann@example.com")


def test_starttls_and_ssl_against_a_plain_server_fail_clearly(
    store: Store, shop: Shop, server: MailServer
) -> None:
    ann = shop.customer("Ann", "ann@example.com")
    shop.waiting_order(ann)
    for security, words in (
        ("starttls", f"127.0.0.1:{server.port} does not offer STARTTLS"),
        ("ssl", f"A secure connection with 127.0.0.1:{server.port} could not be made"),
    ):
        settings = mail_settings.parse(
            host="127.0.0.1", port=server.port, security=security, sender=SENDER, timeout=5
        )
        report = mailer.send_queued(clock=shop.clock, settings=settings)
        assert report.failed == 1 and report.last_error is not None
        assert words in report.last_error
        assert words in message_of(ann).last_error
        with pytest.raises(mailer.MailError, match=words):
            mailer.send_test_message(settings, "ann@example.com")
    assert server.received == []


def test_a_server_that_never_answers_times_out_with_a_clear_error(store: Store) -> None:
    with socket.socket() as silent:  # accepts connections, never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(5)
        port = silent.getsockname()[1]
        settings = mail_settings.parse(
            host="127.0.0.1", port=port, security="none", sender=SENDER, timeout=0.5
        )
        with pytest.raises(mailer.MailError, match="did not answer within 0.5 seconds"):
            mailer.send_test_message(settings, "ann@example.com")


def test_send_test_message_arrives(store: Store, server: MailServer) -> None:
    settings = mail_settings.parse(
        host="127.0.0.1", port=server.port, security="none", sender=SENDER
    )
    header_id = mailer.send_test_message(settings, "owner@example.com")

    [got] = server.received
    assert got.rcpt_tos == ["owner@example.com"]
    assert got.message["Message-ID"] == header_id
    assert "test message" in got.message["Subject"].lower()
    assert f"127.0.0.1:{server.port}" in got.text
    with pytest.raises(UserError, match="is not valid"):
        mailer.send_test_message(settings, "nobody")


def test_starttls_and_ssl_with_a_trusted_certificate(
    store: Store, shop: Shop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca_file, server_context = _certificates(tmp_path)
    # The desk trusts the system's certificates; here the system's list is the test CA.
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    ann = shop.customer("Ann", "ann@example.com")
    starttls = MailServer(free_port(), tls_context=server_context, require_starttls=True)
    implicit = MailServer(free_port(), ssl_context=server_context)
    starttls.start()
    implicit.start()
    try:
        for running, security in ((starttls, "starttls"), (implicit, "ssl")):
            shop.waiting_order(ann)
            use_server(running.port, security=security)
            report = mailer.send_queued(clock=shop.clock)
            assert (report.sent, report.failed) == (1, 0), report.last_error
            assert running.received[0].rcpt_tos == ["ann@example.com"]
    finally:
        starttls.stop()
        implicit.stop()


def _certificates(folder: Path) -> tuple[Path, ssl.SSLContext]:
    """A test CA and a server certificate for 127.0.0.1 signed by it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Backorder Desk test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    import ipaddress

    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_file = folder / "ca.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file = folder / "server.pem"
    cert_file.write_bytes(
        leaf.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file)
    return ca_file, context


# ------------------------------------------------------------------ telling by hand


def test_marking_a_message_told_records_who_and_shows_on_the_order_timeline(
    store: Store, shop: Shop
) -> None:
    carl = shop.customer("Carl", None)
    order = shop.waiting_order(carl)
    message = message_of(carl)
    shop.clock.advance(hours=2)

    shop.controller.mark_message_told(message.id, via="phone")

    told = message_of(carl)
    assert (told.status, told.told_via, told.told_by_id, told.sent_at) == (
        "told",
        "phone",
        shop.controller.staff_id,
        shop.clock.now,
    )
    history = order_detail(order).history
    entry = next(e for e in history if e.at == shop.clock.now)
    assert entry.who == "Admin"
    audit = AuditEvent.get(AuditEvent.action == "message.told")
    detail = json.loads(audit.detail)
    assert (audit.entity, audit.entity_id) == ("order", order)
    assert (detail["via"], detail["subject"], detail["message"]) == (
        "phone",
        message.subject,
        message.id,
    )
    with pytest.raises(UserError, match="already marked as told"):
        shop.controller.mark_message_told(message.id, via="in person")


def test_telling_and_resending_refuse_what_makes_no_sense(
    store: Store, shop: Shop, server: MailServer
) -> None:
    ann = shop.customer("Ann", "ann@example.com")
    carl = shop.customer("Carl", None)
    shop.waiting_order(ann)
    shop.waiting_order(carl)
    to_ann, to_carl = message_of(ann).id, message_of(carl).id

    with pytest.raises(UserError, match="not one of: phone, in person, printed") as caught:
        shop.controller.mark_message_told(to_ann, via="pigeon")
    assert caught.value.field == "via"
    with pytest.raises(UserError, match="already waiting to be sent"):
        shop.controller.resend_message(to_ann)
    shop.controller.mark_message_told(to_carl, via="printed")
    with pytest.raises(UserError, match="Carl has no e-mail address"):
        shop.controller.resend_message(to_carl)
    with pytest.raises(UserError, match="There is no message 999"):
        shop.controller.resend_message(999)

    use_server(server.port)
    mailer.send_queued(clock=shop.clock)
    with pytest.raises(UserError, match="already sent by e-mail"):
        shop.controller.mark_message_told(to_ann, via="phone")
    # A person may send a sent message once more (the customer lost it): same Message-ID.
    shop.controller.resend_message(to_ann)
    assert mailer.send_queued(clock=shop.clock).sent == 1
    assert [r.message["Message-ID"] for r in server.received] == [message_of(ann).message_id] * 2
    assert AuditEvent.select().where(AuditEvent.action.startswith("message.")).count() == 2
