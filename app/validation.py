"""Parsing what people type: quantities, prices, e-mail addresses, dates, names.

Each parser returns a clean value or raises ``UserError`` naming the field, saying what is
wrong and what to do. Forms and the command line share them, so a rule is stated once.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from email_validator import EmailNotValidError, validate_email

from app.errors import UserError

#: No single line or scan counts more units than this; bigger is a typo.
MAX_QTY = 1_000_000
MAX_PRICE_CENTS = 100_000_000  # 1,000,000.00
MAX_PRIORITY = 100


def parse_quantity(value: object, *, what: str = "Quantity", allow_negative: bool = False) -> int:
    """A whole number of units, 1..MAX_QTY (or its negative when ``allow_negative``)."""
    text = str(value).strip()
    try:
        number = int(text)
    except ValueError:
        raise UserError(
            f"{what} {text!r} is not a whole number: type the number of units, such as 3.",
            field="qty",
        ) from None
    if number == 0:
        raise UserError(f"{what} cannot be 0: type at least 1 unit.", field="qty")
    if number < 0 and not allow_negative:
        raise UserError(
            f"{what} {number} is negative: type a number of units above 0.", field="qty"
        )
    if abs(number) > MAX_QTY:
        raise UserError(
            f"{what} {number} is too large (at most {MAX_QTY:,} units at a time): "
            "check for a typing mistake.",
            field="qty",
        )
    return number


def parse_price(value: object) -> int:
    """A price such as ``9.99`` as integer cents; at most two decimals, not negative."""
    text = str(value).strip().replace(",", ".") if value is not None else ""
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise UserError(
            f"Price {text!r} is not a number: type it like 9.99.", field="price"
        ) from None
    if not amount.is_finite() or amount < 0:
        raise UserError(f"Price {text!r} must be 0 or more, like 9.99.", field="price")
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise UserError(f"Price {text!r} has more than two decimals.", field="price")
    if cents > MAX_PRICE_CENTS:
        raise UserError(f"Price {text!r} is too large (at most 1,000,000.00).", field="price")
    return int(cents)


def format_cents(cents: int) -> str:
    """Cents as a plain amount, ``1234`` -> ``12.34``."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def parse_email(value: str | None) -> str | None:
    """A syntactically valid e-mail address (normalised), or ``None`` when blank.

    email-validator knows the RFCs and internationalised addresses; no DNS look-up is made,
    since the counter PC may be offline.
    """
    text = (value or "").strip()
    if not text:
        return None
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise UserError(f"E-mail {text!r} is not valid: {error}", field="email") from None


def parse_date(value: str) -> date:
    """A date written YYYY-MM-DD."""
    text = str(value).strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UserError(
            f"Date {text!r} is not valid: write it as YYYY-MM-DD, such as 2026-12-24.",
            field="date",
        ) from None


def clean_text(value: str | None, *, what: str, max_length: int, required: bool = True) -> str:
    """Trimmed single-line text without control characters, within ``max_length``."""
    text = " ".join((value or "").split())
    text = "".join(ch for ch in text if ch.isprintable())
    if required and not text:
        raise UserError(f"{what} is required.", field=what.lower())
    if len(text) > max_length:
        raise UserError(
            f"{what} is too long ({len(text)} characters; at most {max_length}).",
            field=what.lower(),
        )
    return text


def parse_priority(value: object) -> int:
    """A queue priority: a whole number from -100 to 100, higher served first."""
    text = str(value).strip()
    try:
        number = int(text)
    except ValueError:
        raise UserError(
            f"Priority {text!r} is not a whole number: use -100 to 100 (higher is served first).",
            field="priority",
        ) from None
    if abs(number) > MAX_PRIORITY:
        raise UserError(f"Priority {number} is out of range: use -100 to 100.", field="priority")
    return number


def parse_phone(value: str | None) -> str | None:
    """A phone number as typed (spaces tidied), or ``None`` when blank; it needs digits."""
    text = clean_text(value, what="Phone", max_length=50, required=False)
    if not text:
        return None
    if not any(ch.isdigit() for ch in text):
        raise UserError(f"Phone {text!r} has no digits: type the number.", field="phone")
    return text
