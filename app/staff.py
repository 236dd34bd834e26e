"""Staff accounts: roles, who may do what, passwords and signing in.

The permission table (``PERMISSIONS``) is the one place that says which role may do which
controller action; the controller checks it before every write (``Controller._require``)
and the windows ask ``Controller.can`` to grey out what the signed-in person may not do.

Roles:

* ``clerk`` - the counter: orders (preview, place, ship), customers, cancelling lines of
  orders they placed themselves, customer messages (resend, mark as told).
* ``warehouse`` - the stock room: receiving (drafts, scans, commits), products and their
  barcodes (linking an unknown code met while receiving), purchase orders and suppliers,
  and shipping (packing a parcel is stock-room work too).
* ``manager`` - everything, and alone: stock adjustments (they change the count without
  goods moving), cancelling other people's orders, queue priorities, settings (how many
  backups are kept among them), restoring a backup, and staff.

Anyone may back the store up.

Passwords are hashed with scrypt (memory-hard) into a self-describing string
``scrypt$n$r$p$salt$hash`` (base64), so the cost can be raised later without breaking the
hashes already stored. Clear text is never stored, logged or put into a message.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import secrets
import shlex
import unicodedata
from dataclasses import dataclass
from typing import Any, NamedTuple

from peewee import fn

from app.errors import UserError
from app.models import Staff
from app.validation import clean_text, fold

CLERK = "clerk"
WAREHOUSE = "warehouse"
MANAGER = "manager"

#: Every role, from the narrowest to the widest.
ROLES: tuple[str, ...] = (CLERK, WAREHOUSE, MANAGER)

#: New passwords have at least this many characters.
MIN_PASSWORD_LENGTH = 8
#: And at most this many: scrypt reads all of it, and nobody types more.
MAX_PASSWORD_LENGTH = 200

#: scrypt cost for new hashes: n = 2**15 and r = 8 take 32 MiB and about 0.1 s per try,
#: which is nothing at a sign-in and a lot for someone guessing a stolen store's hashes.
SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
_SALT_BYTES = 16
_HASH_BYTES = 32
#: A stored hash asking for more than this is refused rather than computed: a tampered
#: store must not be able to make a sign-in eat the machine's memory.
_MAX_SCRYPT_MEMORY = 256 * 1024 * 1024


class Permission(NamedTuple):
    """Who may do one action, and how a refusal names it (``"Stock adjustments need"``)."""

    what: str
    roles: frozenset[str]


def _rule(what: str, *roles: str) -> Permission:
    return Permission(what, frozenset(roles))


_ANYONE = (CLERK, WAREHOUSE, MANAGER)
_COUNTER = (CLERK, MANAGER)
_STOCK_ROOM = (WAREHOUSE, MANAGER)

#: Controller action -> who may do it. Keys are the controller's method names, plus a few
#: actions that are not one method: ``cancel_any_line`` (a line of an order someone else
#: placed), ``settings`` (shop texts, mail server, backups kept), ``backup``, ``restore``,
#: ``manage_staff``.
PERMISSIONS: dict[str, Permission] = {
    # The counter.
    "preview_order": _rule("Taking orders needs", *_COUNTER),
    "place_order": _rule("Taking orders needs", *_COUNTER),
    "add_customer": _rule("Adding customers needs", *_COUNTER),
    "update_customer": _rule("Changing customers needs", *_COUNTER),
    "cancel_line": _rule("Cancelling order lines needs", *_COUNTER),
    "mark_message_told": _rule("Recording that a customer was told needs", *_COUNTER),
    "resend_message": _rule("Resending customer messages needs", *_COUNTER),
    "ship_order": _rule("Shipping orders needs", *_ANYONE),
    # A copy changes nothing and protects everyone's work.
    "backup": _rule("Backing up the store needs", *_ANYONE),
    # The stock room.
    "receive": _rule("Receiving goods needs", *_STOCK_ROOM),
    "add_product": _rule("Adding products needs", *_STOCK_ROOM),
    "update_product": _rule("Changing products needs", *_STOCK_ROOM),
    "add_barcode": _rule("Linking barcodes to products needs", *_STOCK_ROOM),
    "supplier_named": _rule("Adding suppliers needs", *_STOCK_ROOM),
    "purchase_orders": _rule("Purchase orders need", *_STOCK_ROOM),
    # Managers only.
    "adjust_stock": _rule("Stock adjustments need", MANAGER),
    "cancel_any_line": _rule("Cancelling lines of orders someone else placed needs", MANAGER),
    "set_priority": _rule("Changing queue priorities needs", MANAGER),
    "settings": _rule("Changing the settings needs", MANAGER),
    # Replaces everything in the store, other stations' work since the backup included.
    "restore": _rule("Restoring the store from a backup needs", MANAGER),
    "manage_staff": _rule("Managing staff accounts needs", MANAGER),
}


def _permission(action: str) -> Permission:
    try:
        return PERMISSIONS[action]
    except KeyError:
        # A typo in a caller must fail loudly, not quietly allow or refuse.
        raise ValueError(f"unknown action {action!r}; see app.staff.PERMISSIONS") from None


def allowed(role: str, action: str) -> bool:
    """Whether someone with ``role`` may do ``action`` (a key of ``PERMISSIONS``)."""
    return role in _permission(action).roles


def role_needed(action: str) -> str:
    """The roles that may do ``action``, as a message says it: ``"the manager role"``,
    ``"the warehouse or manager role"``."""
    roles = [role for role in ROLES if role in _permission(action).roles]
    if len(roles) == len(ROLES):
        return "any role"
    names = roles[0] if len(roles) == 1 else ", ".join(roles[:-1]) + " or " + roles[-1]
    return f"the {names} role"


def refusal(action: str) -> str:
    """The one-line message for someone whose role may not do ``action``."""
    permission = _permission(action)
    if permission.roles == {MANAGER}:
        ask = "ask a manager to sign in"
    else:
        ask = "ask someone with that role to sign in"
    return f"{permission.what} {role_needed(action)}; {ask}."


def parse_role(text: str) -> str:
    """A role name as typed (any case).

    Raises:
        UserError: not one of ``ROLES``.
    """
    role = (text or "").strip().lower()
    if role not in ROLES:
        raise UserError(
            f"{text!r} is not a role: use {', '.join(ROLES[:-1])} or {ROLES[-1]}.", field="role"
        )
    return role


def parse_staff_name(text: str) -> str:
    """A staff member's name, cleaned (one line, at most 100 characters)."""
    return clean_text(text, what="Name", max_length=100)


# ---------------------------------------------------------------- passwords


def _normalized(password: str) -> bytes:
    # The same password typed on another keyboard or system (composed or decomposed
    # accents, full-width digits) must still match: RFC 8265 prepares passwords with NFC;
    # NFKC also folds compatibility forms.
    return unicodedata.normalize("NFKC", password).encode("utf-8")


def check_new_password(password: str) -> str:
    """A new password as given, if it is acceptable.

    Raises:
        UserError: shorter than ``MIN_PASSWORD_LENGTH``, longer than
            ``MAX_PASSWORD_LENGTH``, or containing control characters.
    """
    text = password or ""
    if len(text) < MIN_PASSWORD_LENGTH:
        raise UserError(
            f"The password is too short: use at least {MIN_PASSWORD_LENGTH} characters.",
            field="password",
        )
    if len(text) > MAX_PASSWORD_LENGTH:
        raise UserError(
            f"The password is too long: use at most {MAX_PASSWORD_LENGTH} characters.",
            field="password",
        )
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        raise UserError(
            "The password contains control characters (a tab or a line break?): "
            "type it again with letters, digits, spaces and punctuation only.",
            field="password",
        )
    return text


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(
        _normalized(password),
        salt=salt,
        n=n,
        r=r,
        p=p,
        dklen=length,
        maxmem=_MAX_SCRYPT_MEMORY + 1024 * 1024,
    )


def hash_password(password: str) -> str:
    """The password hashed with scrypt and a random salt: ``scrypt$n$r$p$salt$hash``."""
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, _HASH_BYTES)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, encoded: str | None) -> bool:
    """Whether ``password`` is the one ``encoded`` was made from (``hash_password``).

    A missing, damaged or unknown-format hash never matches.
    """
    if not encoded:
        return False
    parts = encoded.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        return False
    try:
        n, r, p = (int(value) for value in parts[1:4])
        salt = base64.b64decode(parts[4], validate=True)
        expected = base64.b64decode(parts[5], validate=True)
    except (ValueError, binascii.Error):
        return False
    if n < 2 or n & (n - 1) or r < 1 or p < 1 or not expected:
        return False
    if 128 * r * (n + p + 2) > _MAX_SCRYPT_MEMORY:
        return False
    actual = _scrypt(password, salt, n, r, p, len(expected))
    return hmac.compare_digest(actual, expected)


@functools.cache
def _dummy_hash() -> str:
    """Checked against when the name is unknown, so that a wrong name takes as long as a
    wrong password and the time taken does not tell which names exist. Made on first use:
    every command-line run imports this module, few sign in."""
    return hash_password(secrets.token_hex(16))


# ------------------------------------------------------------------ reads


@dataclass(frozen=True)
class StaffRow:
    """A staff account as the staff list shows it (never the password hash)."""

    staff_id: int
    name: str
    role: str
    active: bool
    has_password: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "staff_id": self.staff_id,
            "name": self.name,
            "role": self.role,
            "active": self.active,
            "has_password": self.has_password,
        }


def list_staff(*, include_inactive: bool = True) -> list[StaffRow]:
    """Every staff account by name (a shop has a handful)."""
    query = Staff.select(
        Staff.id, Staff.name, Staff.role, Staff.active, Staff.password_hash.is_null(False)
    )
    if not include_inactive:
        query = query.where(Staff.active == True)  # noqa: E712
    return [
        StaffRow(
            staff_id=int(sid),
            name=str(name),
            role=str(role),
            active=bool(active),
            has_password=bool(has_password),
        )
        for sid, name, role, active, has_password in query.order_by(
            fn.LOWER(Staff.name), Staff.id
        ).tuples()
    ]


def staff_count_active() -> int:
    """How many accounts may sign in; the windows ask who you are once it is above 1."""
    return int(Staff.select().where(Staff.active == True).count())  # noqa: E712


def find_staff(name: str, *, active_only: bool = True) -> Staff | None:
    """The account with this name (any case), or ``None``."""
    query = Staff.select().where(fn.LOWER(Staff.name) == fold(name.strip()))
    if active_only:
        query = query.where(Staff.active == True)  # noqa: E712
    found: Staff | None = query.order_by(Staff.id).first()
    return found


WRONG = "Name or password is wrong."


def sign_in(name: str, password: str) -> Staff:
    """The active account with this name and password.

    An account without a password signs in with an empty one only while it is the only
    active account (a new store's Admin): once there are others, it needs a password.

    Raises:
        UserError: "Name or password is wrong." for an unknown or disabled name and for a
            wrong password alike, so that the message does not tell which names exist;
            a passwordless account among several is told how to get a password.
    """
    staff = find_staff(name or "")
    if staff is None:
        verify_password(password or "", _dummy_hash())
        raise UserError(WRONG, field="password")
    if staff.password_hash is None:
        if not password and staff_count_active() == 1:
            return staff
        if not password:
            who = shlex.quote(staff.name)
            raise UserError(
                f"{staff.name} has no password yet and this store has other accounts: ask a "
                f"manager to set one, or run: backorder-desk staff password {who} --staff {who}",
                field="password",
            )
        verify_password(password, _dummy_hash())
        raise UserError(WRONG, field="password")
    if not verify_password(password or "", staff.password_hash):
        raise UserError(WRONG, field="password")
    return staff
