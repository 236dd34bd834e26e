"""The shop's own texts that every customer message prints: name, address, phone and
signature (``app.messaging`` reads them as the settings ``store_name``, ``store_address``,
``store_phone`` and ``store_signature``).

``load_shop()`` returns them as typed (blank when not set; the messages then use their
defaults); ``parse_shop(...)`` checks what the settings dialog holds and ``save_shop``
writes all four in one transaction, so a refused form changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.errors import UserError
from app.messaging import STORE_TEXT_KEYS
from app.models import Setting, database
from app.validation import clean_text, parse_phone

NAME, SIGNATURE, ADDRESS, PHONE = STORE_TEXT_KEYS
MAX_NAME = 100
MAX_LINE = 100
MAX_ADDRESS_LINES = 6
MAX_SIGNATURE_LINES = 8


@dataclass(frozen=True)
class ShopTexts:
    """The shop's texts as the settings dialog edits them (``""`` when not set)."""

    name: str = ""
    address: str = ""
    phone: str = ""
    signature: str = ""


def load_shop() -> ShopTexts:
    """The saved texts, blank where none is set."""
    found = dict(
        Setting.select(Setting.key, Setting.value)
        .where(Setting.key.in_(list(STORE_TEXT_KEYS)))
        .tuples()
    )
    return ShopTexts(
        name=found.get(NAME, ""),
        address=found.get(ADDRESS, ""),
        phone=found.get(PHONE, ""),
        signature=found.get(SIGNATURE, ""),
    )


def _lines(text: str, *, what: str, field: str, most: int) -> str:
    """Several lines of text: each tidied, empty ones dropped, within limits."""
    kept = []
    for raw in (text or "").splitlines():
        try:
            line = clean_text(raw, what=what, max_length=MAX_LINE, required=False)
        except UserError:
            raise UserError(
                f"A line of the {what.lower()} is too long (at most {MAX_LINE} characters): "
                "break it into shorter lines.",
                field=field,
            ) from None
        if line:
            kept.append(line)
    if len(kept) > most:
        raise UserError(
            f"The {what.lower()} has {len(kept)} lines; keep it to {most} lines.", field=field
        )
    return "\n".join(kept)


def parse_shop(*, name: str, address: str, phone: str, signature: str) -> ShopTexts:
    """The texts as typed, checked.

    Raises:
        UserError: naming the field (``store_name``, ``store_address``, ``store_phone``,
            ``store_signature``) that is wrong and what to type instead.
    """
    try:
        clean_name = clean_text(name, what="Shop name", max_length=MAX_NAME)
    except UserError as error:
        text = str(error)
        if not " ".join((name or "").split()):
            text = (
                "The shop's name is required: customers see it in every message's subject "
                "and as the sender's name."
            )
        raise UserError(text, field=NAME) from None
    try:
        clean_phone = parse_phone(phone) or ""
    except UserError as error:
        raise UserError(str(error), field=PHONE) from None
    return ShopTexts(
        name=clean_name,
        address=_lines(address, what="Address", field=ADDRESS, most=MAX_ADDRESS_LINES),
        phone=clean_phone,
        signature=_lines(signature, what="Signature", field=SIGNATURE, most=MAX_SIGNATURE_LINES),
    )


def save_shop(texts: ShopTexts) -> None:
    """Save the (``parse_shop``-checked) texts; an empty one is removed, so the messages
    fall back to their default (a signature of "Kind regards" and the shop's name).

    This writes without asking who is acting: the windows save through
    ``Controller.save_shop_settings``, which checks the role and audits the change.
    """
    values = {
        NAME: texts.name,
        ADDRESS: texts.address,
        PHONE: texts.phone,
        SIGNATURE: texts.signature,
    }
    with database.atomic():
        for key, value in values.items():
            if value:
                Setting.insert(key=key, value=value).on_conflict(
                    conflict_target=[Setting.key], update={Setting.value: value}
                ).execute()
            else:
                Setting.delete().where(Setting.key == key).execute()
