"""The outbox reads (``app.outbox_queries``) and the shop's texts (``app.shop_settings``) on
a real store (SQLite, and PostgreSQL when set).

Messages are queued the way the shop queues them (orders whose lines wait); their statuses
are then moved the way the mailer and the controller move them.
"""

from __future__ import annotations

import pytest

from app import messaging, outbox_queries, shop_settings
from app.controller import Controller, Decision, OrderItem
from app.errors import NotFound, UserError
from app.models import CustomerMessage
from app.outbox_queries import (
    NEEDS_ATTENTION,
    WAITING,
    count_messages,
    message_detail,
    outbox,
    status_counts,
)
from tests.conftest import FakeClock


@pytest.fixture
def shop(controller: Controller, clock: FakeClock) -> dict[str, int]:
    """Five customers with one waiting order each, then one status of each kind."""
    product = int(controller.add_product(sku="DRL-18", name="Cordless drill").id)
    people = {
        "Ann Archer": "ann@example.com",
        "Bob Baker": "bob@example.com",
        "Carl Cole": None,
        "Dora Dean": "dora@example.org",
        "Evan Ellis": "evan@example.net",
    }
    ids: dict[str, int] = {}
    for name, email in people.items():
        clock.advance(minutes=10)
        customer = int(controller.add_customer(name=name, email=email, phone="555 0100").id)
        placed = controller.place_order(
            customer, [OrderItem(product, 1)], decisions={product: Decision.WAIT}
        )
        ids[name] = placed.order_id
    message = {o: CustomerMessage.get(CustomerMessage.order == o).id for o in ids.values()}
    moves = {
        "Bob Baker": {"status": "sent", "sent_at": clock.now, "told_via": "email"},
        "Dora Dean": {"status": "failed", "attempts": 2, "last_error": "550 no such user"},
        "Evan Ellis": {"status": "uncertain"},
    }
    for name, change in moves.items():
        CustomerMessage.update(**change).where(CustomerMessage.id == message[ids[name]]).execute()
    controller.mark_message_told(message[ids["Carl Cole"]], via="in person")
    return ids


def names(rows: list[outbox_queries.OutboxRow]) -> list[str]:
    return [row.customer for row in rows]


def test_newest_first_paged_and_counted(shop: dict[str, int]) -> None:
    everyone = ["Evan Ellis", "Dora Dean", "Carl Cole", "Bob Baker", "Ann Archer"]
    assert names(outbox()) == everyone
    assert names(outbox(offset=1, limit=2)) == everyone[1:3]
    assert names(outbox(offset=4, limit=2)) == everyone[4:]
    assert count_messages() == 5


def test_filters_by_status_and_the_groups(shop: dict[str, int]) -> None:
    assert names(outbox(status="queued")) == ["Ann Archer"]
    assert names(outbox(status=WAITING)) == ["Ann Archer"]
    assert names(outbox(status=NEEDS_ATTENTION)) == ["Evan Ellis", "Dora Dean"]
    assert names(outbox(status="told")) == ["Carl Cole"]
    assert count_messages(status=NEEDS_ATTENTION) == 2
    assert status_counts() == {
        "queued": 1,
        "sending": 0,
        "failed": 1,
        "uncertain": 1,
        "sent": 1,
        "told": 1,
    }
    with pytest.raises(ValueError):
        outbox(status="lost")


def test_search_matches_name_email_subject_and_order_number(shop: dict[str, int]) -> None:
    assert names(outbox(search="DORA")) == ["Dora Dean"]
    assert names(outbox(search="example.net")) == ["Evan Ellis"]
    assert count_messages(search="555 0100") == 5  # the phone: for customers without e-mail
    assert names(outbox(search=f"#{shop['Bob Baker']}")) == ["Bob Baker"]
    assert names(outbox(search="nobody at all")) == []
    assert count_messages(search="ann", status="sent") == 0


def test_pages_continue_after_the_last_row_shown(shop: dict[str, int]) -> None:
    for sort, descending in ((None, False), ("customer", True), ("status", False)):
        whole = outbox(sort=sort, descending=descending)
        pages = outbox(sort=sort, descending=descending, limit=2)
        while len(pages) < len(whole):
            pages += outbox(sort=sort, descending=descending, limit=2, after=pages[-1])
        assert names(pages) == names(whole)
    sent = outbox(status="sent")
    assert names(sent) == ["Bob Baker"] and count_messages(status="sent") == 1


def test_sorts_by_a_column_either_way(shop: dict[str, int]) -> None:
    assert names(outbox(sort="customer"))[:2] == ["Ann Archer", "Bob Baker"]
    assert names(outbox(sort="customer", descending=True))[:2] == ["Evan Ellis", "Dora Dean"]
    assert [row.status for row in outbox(sort="status")] == [
        "failed",
        "queued",
        "sent",
        "told",
        "uncertain",
    ]


def test_rows_say_who_told_and_why_a_send_failed(
    shop: dict[str, int], controller: Controller, clock: FakeClock
) -> None:
    rows = {row.customer: row for row in outbox()}
    carl = rows["Carl Cole"]
    assert (carl.status, carl.told_via, carl.told_by, carl.email) == (
        "told",
        "in person",
        "Admin",
        None,
    )
    assert carl.sent_at == clock.now  # when the customer was told
    dora = rows["Dora Dean"]
    assert (dora.attempts, dora.last_error, dora.needs_attention) == (2, "550 no such user", True)
    assert rows["Ann Archer"].order_id == shop["Ann Archer"]


def test_message_detail_has_the_text_the_html_part_and_the_message_id(
    shop: dict[str, int],
) -> None:
    row = outbox(status="queued")[0]
    detail = message_detail(row.message_id)
    stored = CustomerMessage.get_by_id(row.message_id)
    assert detail.body == stored.body
    assert detail.header_id == stored.message_id
    assert "Cordless drill" in detail.body
    assert detail.html is not None and "<li>1 x Cordless drill (DRL-18)" in detail.html
    assert detail.customer == "Ann Archer"
    with pytest.raises(NotFound, match="There is no message 999999 in the outbox."):
        message_detail(999_999)


# ------------------------------------------------------------------ the shop's texts


def test_shop_texts_are_checked_saved_and_printed_in_messages(
    controller: Controller, store: object
) -> None:
    assert shop_settings.load_shop() == shop_settings.ShopTexts()
    texts = shop_settings.parse_shop(
        name="  Corner   Hardware ",
        address="1 Main Street\n\n  Springfield  \n",
        phone=" 555 0100 ",
        signature="Kind regards,\nMaria",
    )
    assert texts == shop_settings.ShopTexts(
        name="Corner Hardware",
        address="1 Main Street\nSpringfield",
        phone="555 0100",
        signature="Kind regards,\nMaria",
    )
    shop_settings.save_shop(texts)
    assert shop_settings.load_shop() == texts
    shown = messaging.store_texts()
    assert (shown.store_name, shown.signature, shown.address, shown.phone) == (
        "Corner Hardware",
        "Kind regards,\nMaria",
        "1 Main Street\nSpringfield",
        "555 0100",
    )

    # A blank signature is removed: the messages fall back to their default.
    shop_settings.save_shop(
        shop_settings.parse_shop(name="Corner Hardware", address="", phone="", signature="")
    )
    assert messaging.store_texts().signature == "Kind regards,\nCorner Hardware"
    assert shop_settings.load_shop().address == ""


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"name": "  "}, "store_name", "The shop's name is required"),
        ({"name": "x" * 101}, "store_name", "Shop name is too long (101 characters; at most 100)"),
        ({"phone": "call us"}, "store_phone", "Phone 'call us' has no digits"),
        ({"address": "a\nb\nc\nd\ne\nf\ng"}, "store_address", "The address has 7 lines"),
        ({"signature": "y" * 101}, "store_signature", "A line of the signature is too long"),
    ],
)
def test_bad_shop_texts_name_their_field(
    store: object, fields: dict[str, str], field: str, words: str
) -> None:
    typed = {"name": "Corner Hardware", "address": "", "phone": "", "signature": ""} | fields
    with pytest.raises(UserError) as raised:
        shop_settings.parse_shop(**typed)
    assert raised.value.field == field
    assert str(raised.value).startswith(words)
