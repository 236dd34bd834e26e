"""Customer message templates: every event in plain text and HTML, with the store's texts,
customer and product text escaped in the HTML, and the shop's own edited templates."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from app import messaging
from app.controller import Controller, Decision, OrderItem
from app.errors import UserError
from app.messaging import EVENTS, MessageLine
from app.models import CustomerMessage, Setting
from app.resources import resource_path
from app.store import Store

EVIL = "<script>alert('x')</script>"
LINES = [
    MessageLine(
        order_id=41,
        line_id=7,
        sku="W-1",
        name=f"Widget {EVIL}",
        qty=2,
        eta=date(2026, 12, 14),
        old_eta=date(2026, 12, 3),
    ),
    MessageLine(order_id=42, line_id=9, sku="G-2", name="Gadget & Co", qty=1),
]


@pytest.fixture
def shop_texts(store: Store) -> None:
    for key, value in (
        ("store_name", "Corner Hardware"),
        ("store_signature", "Kind regards,\nMaria at Corner Hardware"),
        ("store_address", "1 Main Street\nSpringfield"),
        ("store_phone", "555 0100"),
    ):
        Setting.create(key=key, value=value)


@pytest.fixture
def template_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the shipped templates that a test may edit, used instead of them."""
    folder = tmp_path / "resources"
    shutil.copytree(resource_path("messages"), folder / "messages")
    monkeypatch.setattr(messaging, "resource_path", lambda *parts: folder.joinpath(*parts))
    messaging.reload_templates()
    yield folder / "messages"
    monkeypatch.undo()
    messaging.reload_templates()


@pytest.mark.parametrize("event", EVENTS)
def test_each_event_renders_text_and_html_with_the_store_texts(
    shop_texts: None, event: str
) -> None:
    subject, text = messaging.render(
        event, customer_name="Ann <Smith>", lines=LINES, reason="Discontinued"
    )
    page = messaging.render_html(
        event, customer_name="Ann <Smith>", lines=LINES, reason="Discontinued"
    )

    assert "Corner Hardware" in subject and "\n" not in subject
    for part in ("Dear Ann <Smith>,", "Kind regards,\nMaria at Corner Hardware"):
        assert part in text
    assert "1 Main Street\nSpringfield\nPhone: 555 0100" in text
    assert f"  - 2 x Widget {EVIL} (W-1), order 41" in text
    assert "  - 1 x Gadget & Co (G-2), order 42" in text
    # The HTML escapes what customers, products and the shop typed.
    assert "<script>" not in page and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "Dear Ann &lt;Smith&gt;," in page
    assert "Gadget &amp; Co (G-2), order 42" in page
    assert "Kind regards,<br>\nMaria at Corner Hardware" in page
    assert "1 Main Street<br>\nSpringfield<br>\nPhone: 555 0100" in page
    assert page.count("<li>") == 2
    assert f"<title>{subject}</title>" in page


def test_each_event_says_what_it_is_about(shop_texts: None) -> None:
    rendered = {
        event: messaging.render(event, customer_name="Ann", lines=LINES[:1], reason="Out of print")
        for event in EVENTS
    }
    confirmed = rendered["backorder_confirmed"][1]
    assert "expected around 14 Dec 2026" in confirmed
    assert "If you would rather not wait" in confirmed  # how to cancel
    changed = rendered["eta_changed"][1]
    assert "now expected around 14 Dec 2026 (was around 03 Dec 2026)" in changed
    assert "ready for you" in rendered["ready"][1]
    assert "Reason: Out of print" in rendered["cancelled"][1]
    assert [subject for subject, _ in rendered.values()] == [
        "Your order is on backorder at Corner Hardware",
        "Your backordered items are ready at Corner Hardware",
        "Backorder cancelled at Corner Hardware",
        "New expected date for your backorder at Corner Hardware",
    ]


def test_without_store_settings_the_defaults_are_used(store: Store) -> None:
    subject, text = messaging.render("ready", customer_name="Ann", lines=LINES[:1])

    assert subject == "Your backordered items are ready at our shop"
    assert text.endswith("Kind regards,\nour shop\n")
    assert "Phone:" not in text


def test_the_subject_stays_one_line(store: Store) -> None:
    Setting.create(key="store_name", value="Corner\nHardware")

    subject, _ = messaging.render("ready", customer_name="Ann", lines=LINES[:1])

    assert subject == "Your backordered items are ready at Corner Hardware"


def test_a_queued_message_keeps_its_lines_for_the_html_part(
    shop_texts: None, controller: Controller
) -> None:
    customer = controller.add_customer(name="Ann & Bob", email="ann@example.com")
    product = controller.add_product(sku="W-1", name=f"Widget {EVIL}")
    placed = controller.place_order(
        customer.id, [OrderItem(product.id, 3)], decisions={product.id: Decision.WAIT}
    )
    message = CustomerMessage.get(CustomerMessage.customer == customer.id)
    payload = json.loads(message.payload)

    assert payload["order_ids"] == [placed.order_id]
    assert payload["line_ids"] == [placed.lines[0].line_id]
    page = messaging.message_html(event=message.event, body=message.body, payload=message.payload)
    assert page == messaging.render_html(
        "backorder_confirmed",
        customer_name="Ann & Bob",
        lines=[
            MessageLine(
                order_id=placed.order_id,
                line_id=placed.lines[0].line_id,
                sku="W-1",
                name=f"Widget {EVIL}",
                qty=3,
            )
        ],
    )
    assert "Dear Ann &amp; Bob," in page and "<script>" not in page


def test_a_message_without_lines_in_its_payload_gets_its_text_as_html(store: Store) -> None:
    page = messaging.message_html(
        event="ready",
        body=f"Dear Ann,\n\nYour {EVIL} is here.\nBye\n",
        payload='{"order_ids": [1]}',
    )

    assert "<p>Dear Ann,</p>" in page
    assert "<p>Your &lt;script&gt;" in page and "is here.<br>\nBye</p>" in page


def test_edited_templates_are_used_once_reloaded(store: Store, template_folder: Path) -> None:
    before, _ = messaging.render("ready", customer_name="Ann", lines=LINES[:1])
    (template_folder / "ready.txt").write_text(
        "Subject: It's here, $customer_name!\n\nCome by $store_name.\n", encoding="utf-8"
    )
    (template_folder / "ready.html").write_text("<p>Come by $store_name.</p>", encoding="utf-8")

    assert messaging.render("ready", customer_name="Ann", lines=LINES[:1])[0] == before
    messaging.reload_templates()

    assert messaging.render("ready", customer_name="Ann", lines=LINES[:1]) == (
        "It's here, Ann!",
        "Come by our shop.\n",
    )
    assert messaging.render_html("ready", customer_name="Ann", lines=[]) == (
        "<p>Come by our shop.</p>"
    )


def test_a_broken_or_missing_template_is_a_clear_error(store: Store, template_folder: Path) -> None:
    (template_folder / "ready.txt").write_text("Dear $customer_name\n\nHello\n", encoding="utf-8")
    (template_folder / "cancelled.html").unlink()

    with pytest.raises(UserError, match=r"ready\.txt must start with one 'Subject: \.\.\.' line"):
        messaging.render("ready", customer_name="Ann", lines=LINES)
    with pytest.raises(UserError, match=r"cancelled\.html is missing"):
        messaging.render_html("cancelled", customer_name="Ann", lines=LINES)
    with pytest.raises(UserError):
        messaging.check_templates()


def test_the_shipped_templates_are_all_there() -> None:
    messaging.check_templates()


def test_dollar_signs_in_shop_texts_names_and_templates_come_out_as_typed(
    store: Store, template_folder: Path
) -> None:
    # The shop's texts are filled in once per template and the rest per message: a "$"
    # in a shop setting, a customer's name or the template itself must not be taken for
    # a field, whatever the order of filling.
    (template_folder / "ready.txt").write_text(
        "Subject: $$5 off, $customer_name\n\n$store_name says: $lines\nCosts $$$store_phone\n",
        encoding="utf-8",
    )
    messaging.reload_templates()
    texts = messaging.StoreTexts(
        store_name="Buck$ $customer_name Shop", signature="-", phone="$lines 12"
    )

    subject, body = messaging.render(
        "ready", customer_name="Ann $store_name", lines=[], texts=texts
    )

    assert subject == "$5 off, Ann $store_name"
    assert body == "Buck$ $customer_name Shop says: \nCosts $$lines 12\n"


def _queue_one_in_child(path: str, product_id: int, customer_id: int) -> None:
    """Runs in a forked child: open the same store and place an order that waits."""
    from app.store import open_store

    child = open_store(path)
    try:
        Controller(child).place_order(
            customer_id, [OrderItem(product_id, 1)], decisions={product_id: Decision.WAIT}
        )
    finally:
        child.close()


def test_message_ids_stay_unique_across_a_forked_desk(sqlite_store: Store) -> None:
    """Each program numbers its Message-IDs after a random prefix of its own; a child
    forked after its parent queued a message must not repeat the parent's next id (a mail
    program would take two different messages for one)."""
    import multiprocessing

    desk = Controller(sqlite_store)
    widget = desk.add_product(sku="W-1", name="Widget").id
    ann = desk.add_customer(name="Ann", email="ann@example.com").id
    desk.place_order(ann, [OrderItem(widget, 1)], decisions={widget: Decision.WAIT})
    assert sqlite_store.path is not None
    sqlite_store.close()  # a forked child must not share the parent's open connection

    child = multiprocessing.get_context("fork").Process(
        target=_queue_one_in_child, args=(str(sqlite_store.path), widget, ann)
    )
    child.start()
    child.join(60)
    assert child.exitcode == 0

    sqlite_store.database.connect()
    desk.place_order(ann, [OrderItem(widget, 1)], decisions={widget: Decision.WAIT})
    ids = [m.message_id for m in CustomerMessage.select().order_by(CustomerMessage.id)]
    assert len(ids) == 3 and len(set(ids)) == 3
    assert all(i.startswith("<") and i.endswith("@backorder-desk>") for i in ids)
