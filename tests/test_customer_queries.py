"""Customer list, search and detail, and the product type-ahead (app.customer_queries)."""

from __future__ import annotations

from app.controller import Controller, Decision, OrderItem
from app.customer_queries import (
    count_customers,
    customer_detail,
    customers,
    suggest_customers,
    suggest_products,
)
from tests.conftest import FakeClock


def make_people(controller: Controller) -> dict[str, int]:
    people = {
        "Ann Lee": ("ann@example.com", "0161 496 0000"),
        "Annabel Fox": ("fox@example.org", None),
        "Bob Marsh": (None, "+44 20 7946 0018"),
        "Joanna Banner": ("jo@example.com", None),
    }
    return {
        name: controller.add_customer(name=name, email=email, phone=phone).id
        for name, (email, phone) in people.items()
    }


def test_search_matches_name_email_and_phone_in_any_case(controller: Controller) -> None:
    make_people(controller)

    def names(search: str) -> list[str]:
        return [row.name for row in customers(search=search)]

    assert names("ANN") == ["Ann Lee", "Annabel Fox", "Joanna Banner"]
    assert names("example.org") == ["Annabel Fox"]
    assert names("7946") == ["Bob Marsh"]
    # A phone typed with other spacing than stored still matches.
    assert names("01614960") == ["Ann Lee"]
    assert names("no such person") == []
    assert count_customers(search="ann") == 3
    assert count_customers() == 4


def test_pages_do_not_overlap_and_sort_in_sql(controller: Controller) -> None:
    for number in range(25):
        controller.add_customer(name=f"Customer {number:02d}")
    first = customers(limit=10)
    second = customers(offset=10, limit=10)
    assert [r.name for r in first + second] == [f"Customer {n:02d}" for n in range(20)]
    assert customers(sort="name", descending=True, limit=1)[0].name == "Customer 24"


def test_counts_what_the_shop_still_owes(controller: Controller, clock: FakeClock) -> None:
    ids = make_people(controller)
    cup = controller.add_product(sku="CUP", name="Cup").id
    plate = controller.add_product(sku="PLATE", name="Plate").id
    controller.adjust_stock(cup, 5, reason="count")
    ann = ids["Ann Lee"]
    # Order 1: cups ready, plates waiting. Order 2: cups, shipped. Order 3: plates cancelled.
    controller.place_order(
        ann,
        [OrderItem(cup, 2), OrderItem(plate, 3)],
        decisions={plate: Decision.WAIT},
    )
    shipped = controller.place_order(ann, [OrderItem(cup, 1)])
    controller.ship_order(shipped.order_id)
    controller.place_order(ann, [OrderItem(plate, 1)], decisions={plate: Decision.CANCEL})

    rows = {row.name: row for row in customers()}
    assert (rows["Ann Lee"].open_orders, rows["Ann Lee"].waiting_lines) == (1, 1)
    assert (rows["Bob Marsh"].open_orders, rows["Bob Marsh"].waiting_lines) == (0, 0)


def test_suggestions_rank_names_starting_with_the_text_first(controller: Controller) -> None:
    make_people(controller)
    assert [c.name for c in suggest_customers("ann")] == [
        "Ann Lee",
        "Annabel Fox",
        "Joanna Banner",
    ]
    assert [c.name for c in suggest_customers("ann", limit=1)] == ["Ann Lee"]
    assert suggest_customers("   ") == []
    assert suggest_customers("ann@")[0].label() == "Ann Lee — ann@example.com · 0161 496 0000"


def test_product_suggestions_by_sku_name_or_barcode(controller: Controller) -> None:
    controller.add_product(sku="TEA-6", name="Six-cup teapot", barcodes=["4006381333931"])
    controller.add_product(sku="MUG-TEA", name="Tea mug")
    controller.add_product(sku="STEAMER", name="Milk steamer")
    controller.add_product(sku="CUP", name="Cup")

    assert [p.sku for p in suggest_products("tea")] == ["TEA-6", "MUG-TEA", "STEAMER"]
    assert [p.sku for p in suggest_products("TEA-6")] == ["TEA-6"]
    assert [p.sku for p in suggest_products("6381333")] == ["TEA-6"]
    assert [p.sku for p in suggest_products("tea", limit=2)] == ["TEA-6", "MUG-TEA"]
    assert suggest_products("zzz") == []


def test_customer_detail(controller: Controller, clock: FakeClock) -> None:
    ann = controller.add_customer(name="Ann Lee", email="ann@example.com", notes="Prefers calls")
    detail = customer_detail(ann.id)
    assert detail is not None
    assert (detail.name, detail.email, detail.phone, detail.notes) == (
        "Ann Lee",
        "ann@example.com",
        None,
        "Prefers calls",
    )
    assert detail.created_at == clock.now
    assert customer_detail(ann.id + 1000) is None
