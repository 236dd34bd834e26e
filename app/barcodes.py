"""Barcodes: GTIN check-digit validation and GS1-128 case labels, via ``biip``.

biip is a maintained GS1 parser (GTIN-8/12/13/14 with check digits, GS1 element strings
with and without parentheses and the FNC1 group separator), so we do not hand-write
check-digit or application-identifier code. Codes that are not GTINs are the store's own
internal codes and are matched against SKUs.
"""

from __future__ import annotations

from dataclasses import dataclass

import biip
from biip.gs1_messages import GS1Message
from biip.gtin import Gtin

from app.errors import UserError
from app.validation import MAX_QTY, shown

GTIN_LENGTHS = (8, 12, 13, 14)
GROUP_SEPARATOR = "\x1d"
#: The largest ``N*`` multiplier typed before a scan.
MAX_MULTIPLIER = 10_000


@dataclass(frozen=True)
class GtinCode:
    """A validated GTIN: ``key`` (14 digits, for look-ups) and ``display`` (as printed)."""

    key: str
    display: str


def is_gtin_shaped(text: str) -> bool:
    """Digits only, of a GTIN length: meant as a GTIN, so its check digit must hold."""
    return text.isascii() and text.isdigit() and len(text) in GTIN_LENGTHS


def parse_gtin(text: str) -> GtinCode:
    """Validate a GTIN by its check digit.

    Raises:
        UserError: not 8, 12, 13 or 14 digits, or a wrong check digit.
    """
    code = text.strip()
    if not is_gtin_shaped(code):
        raise UserError(
            f"Barcode {shown(code)} is not a GTIN: a GTIN has 8, 12, 13 or 14 digits. "
            "Check the number on the label.",
            field="barcode",
        )
    try:
        gtin = Gtin.parse(code)
    except biip.ParseError as error:
        raise UserError(
            f"Barcode {code} has a wrong check digit ({_reason(error)}). "
            "Scan it again or type it from the label.",
            field="barcode",
        ) from error
    return GtinCode(key=gtin.as_gtin_14(), display=code)


def normalize_barcode(text: str) -> GtinCode:
    """A barcode a product may carry: a valid GTIN, or an internal code of letters,
    digits and ``-_.`` that does not look like a GTIN."""
    code = text.strip()
    if not code:
        raise UserError("The barcode is empty. Scan or type the code.", field="barcode")
    if is_gtin_shaped(code):
        return parse_gtin(code)
    if len(code) > 64 or not all(ch.isalnum() or ch in "-_." for ch in code) or not code.isascii():
        raise UserError(
            f"Barcode {shown(code)} is not valid: use a GTIN (8, 12, 13 or 14 digits) or an "
            "internal code of up to 64 letters, digits, '-', '_' or '.'.",
            field="barcode",
        )
    return GtinCode(key=code, display=code)


@dataclass(frozen=True)
class Scan:
    """What one scan means: a code to look up and how many units it stands for.

    ``gtin`` is set when the code is a GTIN (look up by barcode); otherwise ``code`` is an
    internal code (look up by barcode, then by SKU).
    """

    code: str
    count: int
    gtin: GtinCode | None


def split_multiplier(text: str) -> tuple[int, str]:
    """``"12*CODE"`` -> ``(12, "CODE")``; no ``*`` -> ``(1, text)`` (trimmed, and without
    the group separators a scanner may send around a GS1 code).

    Raises:
        UserError: the part before ``*`` is not a whole number from 1 to 10000.
    """
    raw = text.strip().strip(GROUP_SEPARATOR).strip()
    if "*" not in raw:
        return 1, raw
    head, _, rest = raw.partition("*")
    head = head.strip()
    digits = head.isascii() and head.isdigit() and len(head) <= 6  # int() of 5,000 digits fails
    if not digits or not 0 < int(head) <= MAX_MULTIPLIER:
        raise UserError(
            f"{shown(head)}* is not a multiplier: type a whole number from 1 to "
            f"{MAX_MULTIPLIER} followed by * before the scan.",
            field="scan",
        )
    return int(head), rest.strip().strip(GROUP_SEPARATOR)


def parse_scan(text: str) -> Scan:
    """Interpret scanned text: ``12*CODE`` multiplier, GS1-128 (01)+(37), GTIN, or SKU.

    Raises:
        UserError: unreadable content, a wrong check digit, or more units than one scan
            may count (``MAX_QTY``).
    """
    multiplier, raw = split_multiplier(text)
    if not raw:
        if "*" not in text:
            raise UserError("The scan is empty: scan the item's barcode again.", field="scan")
        raise UserError(
            f"Nothing was scanned after {multiplier}*: scan the item right after typing it.",
            field="scan",
        )
    if raw.startswith("(") or (len(raw) > 14 and raw[:2] in ("01", "02") and raw.isascii()):
        gtin, count = _parse_gs1(raw)
        return Scan(code=gtin.key, count=_checked_count(count * multiplier, raw), gtin=gtin)
    if is_gtin_shaped(raw):
        gtin = parse_gtin(raw)
        return Scan(code=gtin.key, count=multiplier, gtin=gtin)
    code = normalize_barcode(raw)
    return Scan(code=code.key, count=multiplier, gtin=None)


def _checked_count(count: int, raw: str) -> int:
    if count > MAX_QTY:
        raise UserError(
            f"The scan {shown(raw)} stands for {count:,} units, more than one scan may count "
            f"({MAX_QTY:,}): check the multiplier and the case label.",
            field="scan",
        )
    return count


def _parse_gs1(raw: str) -> tuple[GtinCode, int]:
    try:
        message = GS1Message.parse_hri(raw) if raw.startswith("(") else GS1Message.parse(raw)
    except biip.ParseError as error:
        raise UserError(
            f"Cannot read the case label {shown(raw)} ({_reason(error)}). Scan it again.",
            field="scan",
        ) from error
    elements = message.element_strings
    gtin_element = elements.get(ai="01") or elements.get(ai="02")
    if gtin_element is not None and gtin_element.gtin is None:
        reason = str(gtin_element.gtin_error).rstrip(".")
        raise UserError(
            f"The case label {shown(raw)} has a product number that is not a valid GTIN "
            f"({reason}). Scan it again or scan the item itself.",
            field="scan",
        )
    if gtin_element is None or gtin_element.gtin is None:
        raise UserError(
            f"The case label {shown(raw)} carries no product number (GTIN). Scan the item instead.",
            field="scan",
        )
    count_element = elements.get(ai="37")
    count = int(count_element.value) if count_element is not None else 1
    if count <= 0:
        raise UserError(f"The case label {shown(raw)} says it holds {count} items.", field="scan")
    gtin = gtin_element.gtin
    return GtinCode(key=gtin.as_gtin_14(), display=gtin.value), count


def gtin13_with_check_digit(payload12: str) -> str:
    """Complete a 12-digit payload to a GTIN-13 (used by the demo shop)."""
    from biip.checksums import gs1_standard_check_digit

    return payload12 + str(gs1_standard_check_digit(payload12))


def _reason(error: Exception) -> str:
    # biip's messages quote the input: a long scan would make a screenful of a message.
    text = " ".join(str(error).split()).rstrip(".")
    return text if len(text) <= 120 else text[:119] + "…"
