"""The mail server the outbox is sent through, and where its password is kept.

Settings live in the store as explicit ``Setting`` keys (``smtp_host``, ``smtp_port``,
``smtp_security``, ``smtp_user``, ``smtp_sender``), so every desk that opens the store
sends the same way. The password is kept in the system keyring (``keyring``: Secret
Service, macOS Keychain, Windows Credential Locker) where this computer has a real one.
Where it has none there is no honest way to hide a password the program must be able to
read back without asking, so it goes into the store (``smtp_password``) and
``password_storage_description`` says so in the settings dialog. ``smtp_password_in``
records which of the two holds it.

``load()`` never touches the keyring (the window asks it on every refresh, and a keyring
can be slow or ask to be unlocked); ``load(with_password=True)`` does, when sending.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import keyring
from keyring.backends import chainer, fail, null
from peewee import SqliteDatabase

from app.errors import UserError
from app.models import Setting, database
from app.validation import parse_email

SECURITY_CHOICES = ("none", "starttls", "ssl")
#: The usual port for each kind of security, for the settings dialog to propose.
DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}
#: Seconds to wait for the mail server at any step before giving up (never hang).
DEFAULT_TIMEOUT = 20.0
#: The keyring's "service" under which the password is saved; the account is user@host.
KEYRING_SERVICE = "backorder-desk smtp"

HOST, PORT, SECURITY, USER, SENDER = (
    "smtp_host",
    "smtp_port",
    "smtp_security",
    "smtp_user",
    "smtp_sender",
)
PASSWORD = "smtp_password"  # only where no keyring exists
PASSWORD_IN = "smtp_password_in"  # "keyring" | "store"
KEYS = (HOST, PORT, SECURITY, USER, SENDER, PASSWORD, PASSWORD_IN)


@dataclass(frozen=True)
class MailSettings:
    """How to reach the mail server.

    ``password`` is filled only by ``load(with_password=True)`` or by a dialog testing
    settings it has not saved yet; ``password_saved`` tells whether one is saved.
    """

    host: str = ""
    port: int = DEFAULT_PORTS["starttls"]
    security: str = "starttls"
    user: str = ""
    sender: str = ""
    password: str = dataclasses.field(default="", repr=False)
    password_saved: bool = False
    timeout: float = DEFAULT_TIMEOUT

    @property
    def configured(self) -> bool:
        """A server and a sender are set, so sending can be tried."""
        return bool(self.host and self.sender)

    @property
    def account(self) -> str:
        """The keyring's account name for this password."""
        return f"{self.user}@{self.host}"

    def checked(self) -> MailSettings:
        """These settings, validated for sending.

        Raises:
            UserError: no server, a bad port or security, or a bad sender address.
        """
        if not self.host:
            raise UserError(
                "No mail server is set up: type the SMTP server's name (such as "
                "smtp.example.com, from your e-mail provider) in Settings › E-mail.",
                field="host",
            )
        return parse(
            host=self.host,
            port=str(self.port),
            security=self.security,
            user=self.user,
            sender=self.sender,
            password=self.password,
            timeout=self.timeout,
            password_saved=self.password_saved,
        )


def parse(
    *,
    host: str,
    port: str | int,
    security: str,
    user: str = "",
    sender: str,
    password: str = "",
    timeout: float = DEFAULT_TIMEOUT,
    password_saved: bool = False,
) -> MailSettings:
    """Settings as typed in the dialog, checked; a blank host means "no mail server".

    Raises:
        UserError: naming the field (``host``, ``port``, ``security``, ``user``,
            ``sender``) that is wrong and saying what to type.
    """
    clean_host = host.strip()
    if not clean_host:
        return MailSettings(password_saved=password_saved)
    if "://" in clean_host or "/" in clean_host:
        raise UserError(
            f"Mail server {clean_host!r}: type only the server's name, such as "
            "smtp.example.com (no smtp:// and no slashes).",
            field="host",
        )
    if any(ch.isspace() for ch in clean_host) or len(clean_host) > 253:
        raise UserError(
            f"Mail server {clean_host!r} is not a server name: type one such as "
            "smtp.example.com, without spaces.",
            field="host",
        )
    choice = security.strip().lower()
    if choice not in SECURITY_CHOICES:
        raise UserError(
            f"Security {security!r} is not known: choose STARTTLS (usually port 587), "
            "SSL (usually port 465) or none (usually port 25).",
            field="security",
        )
    text = str(port).strip()
    if not text.isdecimal() or len(text) > 5 or not 1 <= int(text) <= 65535:
        raise UserError(
            f"Port {text!r} is not a port number (1 to 65535): usually 587 for STARTTLS, "
            "465 for SSL, 25 for none.",
            field="port",
        )
    clean_user = user.strip()
    if len(clean_user) > 254 or any(ch in clean_user for ch in "\r\n"):
        raise UserError("The user name is too long or has line breaks.", field="user")
    if not sender.strip():
        raise UserError(
            "The sender address is missing: type the shop's e-mail address, such as "
            "shop@example.com (customers see it and can reply to it).",
            field="sender",
        )
    try:
        clean_sender = parse_email(sender)
    except UserError as error:
        raise UserError(
            f"Sender address {sender.strip()!r} is not valid ({error}): type the shop's "
            "e-mail address, such as shop@example.com.",
            field="sender",
        ) from None
    if timeout <= 0:
        raise UserError("The time-out must be more than 0 seconds.", field="timeout")
    return MailSettings(
        host=clean_host,
        port=int(text),
        security=choice,
        user=clean_user,
        sender=clean_sender or "",
        password=password,
        password_saved=password_saved,
        timeout=timeout,
    )


def load(*, with_password: bool = False) -> MailSettings:
    """The saved settings (all blank when no mail server is set up).

    ``with_password`` reads the password too (from the keyring or the store).

    Raises:
        UserError: the keyring holds the password but cannot be read.
    """
    found = dict(
        Setting.select(Setting.key, Setting.value).where(Setting.key.in_(list(KEYS))).tuples()
    )
    port = found.get(PORT, "")
    security = found.get(SECURITY, "starttls")
    settings = MailSettings(
        host=found.get(HOST, ""),
        port=int(port) if port.isdecimal() and len(port) <= 5 else DEFAULT_PORTS.get(security, 587),
        security=security,
        user=found.get(USER, ""),
        sender=found.get(SENDER, ""),
        password_saved=found.get(PASSWORD_IN) in ("keyring", "store"),
    )
    if not with_password:
        return settings
    password = ""
    if found.get(PASSWORD_IN) == "store":
        password = found.get(PASSWORD, "")
    elif found.get(PASSWORD_IN) == "keyring" and keyring_backend() is not None:
        try:
            password = keyring.get_password(KEYRING_SERVICE, settings.account) or ""
        except Exception as error:  # backends raise their own kinds (D-Bus, OS errors)
            raise UserError(
                f"Cannot read the mail password from the system keyring ({error}). Unlock "
                "the keyring, or type the password again in Settings › E-mail."
            ) from error
    return dataclasses.replace(settings, password=password)


def save(settings: MailSettings, *, password: str | None = None) -> str:
    """Save the settings (already ``parse``d); returns where the password went, in words.

    ``password``: ``None`` keeps the saved one (moving it along if the user or server
    changed), ``""`` forgets it, anything else replaces it.

    This writes without asking who is acting: the windows and the command line save
    through ``Controller.save_mail_settings``, which checks the role and audits the change.
    """
    write = prepare_save(settings, password=password)
    with database.atomic():
        write()
    return password_storage_description()


def prepare_save(settings: MailSettings, *, password: str | None = None) -> Callable[[], None]:
    """``save`` in two steps: this one puts the password in the keyring (or not) and
    returns the step that writes the settings, to run inside the caller's transaction.

    The keyring is asked here, before any transaction: it can be slow or ask to be
    unlocked, and a store must not stay locked meanwhile.
    """
    old = load()
    if password is None and old.password_saved and old.account != settings.account:
        password = load(with_password=True).password  # moves with the user or server
    place: str | None
    if password is None:
        place = _saved_place() if old.password_saved else None
    else:
        if old.password_saved:
            _forget_in_keyring(old.account)
        place = _keep_password(settings.account, password) if password else None
    values = {
        HOST: settings.host,
        PORT: str(settings.port),
        SECURITY: settings.security,
        USER: settings.user,
        SENDER: settings.sender,
    }

    def write() -> None:
        for key, value in values.items():
            _put(key, value)
        if place is None:
            Setting.delete().where(Setting.key.in_([PASSWORD, PASSWORD_IN])).execute()
        else:
            _put(PASSWORD_IN, place)
            if place == "store" and password is not None:
                _put(PASSWORD, password)
            elif place == "keyring":
                Setting.delete().where(Setting.key == PASSWORD).execute()

    return write


def _put(key: str, value: str) -> None:
    Setting.insert(key=key, value=value).on_conflict(
        conflict_target=[Setting.key], update={Setting.value: value}
    ).execute()


def _saved_place() -> str | None:
    row = Setting.get_or_none(Setting.key == PASSWORD_IN)
    return str(row.value) if row is not None else None


def _keep_password(account: str, password: str) -> str:
    """Put the password in the keyring if there is one; returns "keyring" or "store"."""
    if keyring_backend() is None:
        return "store"
    try:
        keyring.set_password(KEYRING_SERVICE, account, password)
    except Exception:  # a keyring that cannot be written (locked, no D-Bus): the store
        return "store"
    return "keyring"


def _forget_in_keyring(account: str) -> None:
    if keyring_backend() is None:
        return
    # Not there, or a keyring that cannot be written: a stale entry is harmless.
    with contextlib.suppress(Exception):
        keyring.delete_password(KEYRING_SERVICE, account)


def keyring_backend() -> Any | None:
    """This computer's system keyring, or ``None`` where there is no real one.

    ``keyring`` answers with a "fail" or "null" backend where none is usable (a server
    without a desktop session, say). The file-based backends of ``keyrings.alt`` are not
    counted either: one keeps passwords in plain text and one asks for its own password
    on the terminal, which a window program cannot answer.
    """
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring | null.Keyring):
        return None
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return None
    if type(backend).__module__.startswith("keyrings.alt"):
        return None
    return backend


def keyring_name() -> str | None:
    """The system keyring's name as the settings dialog shows it (``SecretService``)."""
    backend = keyring_backend()
    if backend is None:
        return None
    parts = backend.backends if isinstance(backend, chainer.ChainerBackend) else [backend]
    return ", ".join(_backend_name(part) for part in parts)


def _backend_name(backend: Any) -> str:
    # "keyring.backends.SecretService.Keyring" -> "SecretService"
    module = type(backend).__module__.rsplit(".", 1)[-1]
    name = type(backend).__name__
    return module if name == "Keyring" else name


def password_storage_description() -> str:
    """Where the mail password is (or would be) kept, in words for the settings dialog."""
    name = keyring_name()
    place = _saved_place()
    where = (
        "the store file, readable by anyone who can read that file"
        if isinstance(database.obj, SqliteDatabase)
        else "the store's database, readable by anyone who can read that database"
    )
    if place == "keyring":
        if name is None:
            return (
                "Saved in the system keyring of the computer where it was typed; this "
                "computer has none, so type it again here to send from this computer "
                f"(it will then be saved in {where})."
            )
        return f"Saved in the system keyring ({name})"
    if place == "store":
        if name is not None:
            return (
                f"Saved in {where}; save the settings again with the password to move it "
                f"to the system keyring ({name})."
            )
        return f"No system keyring found: saved in {where}"
    if name is not None:
        return f"No password saved; one typed here is saved in the system keyring ({name})"
    return f"No system keyring found: a password typed here is saved in {where}"
