"""Parsing what people type: quantities, prices, e-mail addresses, dates, names.

Each parser returns a clean value or raises ``UserError`` naming the field, saying what is
wrong and what to do. Forms and the command line share them, so a rule is stated once.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation

from email_validator import EmailNotValidError, validate_email

from app.errors import UserError

#: No single line or scan counts more units than this; bigger is a typo.
MAX_QTY = 1_000_000
MAX_PRICE_CENTS = 100_000_000  # 1,000,000.00
MAX_PRIORITY = 100
#: Longer than any searched name, SKU or e-mail (at most 254 characters): a search text
#: cut to this length cannot match such a field any more than the whole could.
MAX_SEARCH = 256
#: How much of what was typed a message repeats: enough to recognise it, never a screenful.
SHOWN_LENGTH = 40
#: A whole number as people type it: digits (of any script) with an optional sign; Python's
#: ``int()`` alone would also take ``1_000`` and read ``1_0`` as 10.
_WHOLE = re.compile(r"[+-]?\d+")
#: Bidirectional embeddings, overrides and isolates: invisible, and able to make stored text
#: display reversed ("txt.exe" shown as "exe.txt"). Other format characters stay: the
#: zero-width joiner builds emoji, the non-joiner spells Persian words, LRM/RLM mark direction.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")


def shown(text: object) -> str:
    """What was typed, quoted for a message: control characters escaped, long text cut."""
    value = str(text)
    cut = value[:SHOWN_LENGTH]
    # An escaped character takes up to ten (\\U0010ffff): cut by what the message shows.
    while len(repr(cut)) > SHOWN_LENGTH + 20:
        cut = cut[:-1]
    return repr(value) if cut == value else repr(cut + "…")


def _storable(ch: str, *, keep: str = "") -> bool:
    """False for characters no text field keeps: control characters (NUL, ESC, DEL ...),
    lone surrogates (they cannot be encoded for the database) and bidi controls."""
    if ch in keep:
        return True
    return unicodedata.category(ch) not in ("Cc", "Cs") and ch not in _BIDI_CONTROLS


def storable(text: str) -> bool:
    """True when ``text`` has no character a cleaned field drops, so it may equal a stored
    SKU or name (and may be sent to the database: lone surrogates cannot be encoded, and
    PostgreSQL refuses NUL)."""
    return all(_storable(ch) for ch in text)


def fold(text: str) -> str:
    """Lower case the way the database's ``LOWER()`` does it: one character at a time.

    ``str.lower`` looks at context (a final capital sigma becomes "ς", but SQL's lower()
    gives "σ") and turns "İ" into two characters, where PostgreSQL gives "i". SQLite's
    own lower() only knows ASCII, so ``app.store`` gives SQLite this function instead:
    both sides of every case-insensitive comparison then agree, on both backends.
    """
    if "\u03a3" not in text and "\u0130" not in text:
        return text.lower()  # the common case, at C speed
    return "".join("i" if ch == "\u0130" else ch.lower() for ch in text)


def search_text(text: str | None) -> str:
    """A search box's text as it is looked for: trimmed, single spaces, without characters
    no stored text holds (a NUL pasted into the box would make PostgreSQL fail), and cut
    to ``MAX_SEARCH`` characters (SQLite refuses a LIKE pattern over 50,000 bytes)."""
    kept = "".join(ch for ch in (text or "") if _storable(ch) or ch.isspace())
    return " ".join(kept.split())[:MAX_SEARCH]


def search_key(text: str | None) -> str:
    """``search_text`` folded for ``fn.LOWER(column).contains(...)``."""
    return fold(search_text(text))


def _as_typed(number: int, text: str) -> str:
    """A parsed number for a message: as a number when short, else cut like ``shown``."""
    plain = str(number)
    return plain if len(plain) <= SHOWN_LENGTH else shown(text)


def _whole_number(text: str) -> int:
    if not _WHOLE.fullmatch(text):
        raise ValueError(text)
    return int(text)


def parse_quantity(value: object, *, what: str = "Quantity", allow_negative: bool = False) -> int:
    """A whole number of units, 1..MAX_QTY (or its negative when ``allow_negative``)."""
    text = str(value).strip()
    try:
        number = _whole_number(text)
    except ValueError:
        raise UserError(
            f"{what} {shown(text)} is not a whole number: type the number of units, such as 3.",
            field="qty",
        ) from None
    if number == 0:
        raise UserError(f"{what} cannot be 0: type at least 1 unit.", field="qty")
    if number < 0 and not allow_negative:
        raise UserError(
            f"{what} {_as_typed(number, text)} is negative: type a number of units above 0.",
            field="qty",
        )
    if abs(number) > MAX_QTY:
        raise UserError(
            f"{what} {_as_typed(number, text)} is too large (at most {MAX_QTY:,} units at a time): "
            "check for a typing mistake.",
            field="qty",
        )
    return number


def parse_price(value: object) -> int:
    """A price such as ``9.99`` as integer cents; at most two decimals, not negative."""
    text = str(value).strip().replace(",", ".") if value is not None else ""
    try:
        if "_" in text:  # Decimal() reads "1_0" as 10
            raise InvalidOperation(text)
        amount = Decimal(text)
    except InvalidOperation:
        raise UserError(
            f"Price {shown(text)} is not a number: type it like 9.99.", field="price"
        ) from None
    if not amount.is_finite() or amount < 0:
        raise UserError(f"Price {shown(text)} must be 0 or more, like 9.99.", field="price")
    # Compared before any arithmetic: 1e999999 * 100 overflows the decimal context.
    if amount > Decimal(MAX_PRICE_CENTS) / 100:
        raise UserError(f"Price {shown(text)} is too large (at most 1,000,000.00).", field="price")
    # quantize, not a multiplication: 1e-999999999 * 100 underflows to 0.
    if amount != amount.quantize(Decimal("0.01")):
        raise UserError(f"Price {shown(text)} has more than two decimals.", field="price")
    return int(amount.quantize(Decimal("0.01")) * 100)


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
        raise UserError(f"E-mail {shown(text)} is not valid: {error}", field="email") from None


def parse_date(value: str) -> date:
    """A date written YYYY-MM-DD."""
    text = str(value).strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UserError(
            f"Date {shown(text)} is not valid: write it as YYYY-MM-DD, such as 2026-12-24.",
            field="date",
        ) from None


def clean_text(value: str | None, *, what: str, max_length: int, required: bool = True) -> str:
    """Trimmed single-line text without control characters, within ``max_length``.

    Control characters go first, so "a \\x00 b" becomes "a b", not "a  b".
    """
    text = "".join(ch for ch in (value or "") if _storable(ch) or ch.isspace())
    text = " ".join(text.split())
    if not any(unicodedata.category(ch) != "Cf" for ch in text):
        text = ""  # only invisible marks (zero-width space, LRM ...): nothing was typed
    if required and not text:
        raise UserError(f"{what} is required.", field=what.lower())
    if len(text) > max_length:
        raise UserError(
            f"{what} is too long ({len(text)} characters; at most {max_length}).",
            field=what.lower(),
        )
    return text


def clean_notes(value: str | None, *, what: str = "Notes", max_length: int = 4000) -> str:
    """Free text over several lines: line breaks and tabs kept (CR LF made LF), control
    characters, lone surrogates and bidi controls dropped, trimmed, within ``max_length``."""
    text = (value or "").replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch for ch in text if _storable(ch, keep="\n\t")).strip()
    if len(text) > max_length:
        raise UserError(
            f"The {what.lower()} text is too long ({len(text):,} characters; at most "
            f"{max_length:,}): shorten it.",
            field=what.lower(),
        )
    return text


def parse_priority(value: object) -> int:
    """A queue priority: a whole number from -100 to 100, higher served first."""
    text = str(value).strip()
    try:
        number = _whole_number(text)
    except ValueError:
        raise UserError(
            f"Priority {shown(text)} is not a whole number: use -100 to 100 "
            "(higher is served first).",
            field="priority",
        ) from None
    if abs(number) > MAX_PRIORITY:
        raise UserError(
            f"Priority {_as_typed(number, text)} is out of range: use -100 to 100.",
            field="priority",
        )
    return number


def parse_phone(value: str | None) -> str | None:
    """A phone number as typed (spaces tidied), or ``None`` when blank; it needs digits."""
    text = clean_text(value, what="Phone", max_length=50, required=False)
    if not text:
        return None
    if not any(ch.isdigit() for ch in text):
        raise UserError(f"Phone {shown(text)} has no digits: type the number.", field="phone")
    return text
