"""Staff accounts and roles: passwords, who may do what, the last manager, sign-in, the
command line's ``--staff``, and the store file being private to its owner.

Store tests run on a SQLite file and, with ``BACKORDER_DESK_TEST_PG`` set, on PostgreSQL.
A refused action must name the role it needs and leave every table exactly as it was.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from app import staff as accounts
from app.controller import Controller, Decision, OrderItem
from app.errors import NotAllowed, UserError
from app.models import ALL_MODELS, AuditEvent, Staff
from app.store import Store, backup_sqlite, open_store
from tests.conftest import FakeClock, Ran

PASSWORD = "correct horse battery"


# ------------------------------------------------------------------ helpers


def everything() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to prove that a refused action wrote nothing."""
    return {
        model._meta.table_name: list(model.select().order_by(model._meta.primary_key).tuples())
        for model in ALL_MODELS
    }


def admin(store: Store, clock: FakeClock) -> Controller:
    """The new store's Admin, with a password so that they may add others."""
    boss = Controller(store, clock=clock)
    boss.set_staff_password(boss.staff_id, PASSWORD)
    return boss


def member(store: Store, clock: FakeClock, name: str, role: str) -> Controller:
    """A controller acting as a new account with this role (added by the Admin)."""
    boss = Controller(store, clock=clock)
    added = boss.add_staff(name, role, PASSWORD)
    return Controller(store, staff_id=int(added.id), clock=clock)


@pytest.fixture
def boss(store: Store, clock: FakeClock) -> Controller:
    return admin(store, clock)


@pytest.fixture
def shop(boss: Controller) -> dict[str, int]:
    """A cup with 2 in stock and 1 waiting for Ann, a kettle with none, an open PO."""
    cup = int(boss.add_product(sku="CUP", name="Cup", barcodes=["4006381333931"]).id)
    kettle = int(boss.add_product(sku="KETTLE", name="Kettle").id)
    boss.adjust_stock(cup, 2, reason="opening count")
    ann = int(boss.add_customer(name="Ann", email="ann@example.com").id)
    placed = boss.place_order(ann, [OrderItem(cup, 3)], decisions={cup: Decision.WAIT})
    supplier = int(boss.supplier_named("Cups Ltd").id)
    po = boss.add_purchase_order(
        supplier_id=supplier, expected=date(2026, 12, 1), items=[OrderItem(cup, 5)]
    )
    waiting = next(line.line_id for line in placed.lines if line.waiting)
    return {
        "cup": cup,
        "kettle": kettle,
        "ann": ann,
        "order": placed.order_id,
        "line": waiting,
        "po": int(po.id),
    }


#: action name -> what it does, given the acting controller and the shop's ids.
ACTIONS: dict[str, Callable[[Controller, dict[str, int]], object]] = {
    "place_order": lambda c, s: c.place_order(
        s["ann"], [OrderItem(s["kettle"], 1)], decisions={s["kettle"]: Decision.WAIT}
    ),
    "preview_order": lambda c, s: c.preview_order([OrderItem(s["cup"], 1)]),
    "add_customer": lambda c, s: c.add_customer(name="Bob"),
    "ship_order": lambda c, s: c.ship_order(s["order"]),
    "receive": lambda c, s: c.receive([OrderItem(s["kettle"], 4)]),
    "open_draft_receipt": lambda c, s: c.open_draft_receipt(),
    "add_product": lambda c, s: c.add_product(sku="MUG", name="Mug"),
    "add_barcode": lambda c, s: c.add_barcode(s["kettle"], "4006381333948"),
    "delay_purchase_order": lambda c, s: c.delay_purchase_order(s["po"], date(2026, 12, 20)),
    "adjust_stock": lambda c, s: c.adjust_stock(s["kettle"], 5, reason="found a box"),
    "set_priority": lambda c, s: c.set_priority(s["line"], 10),
    "cancel_others_line": lambda c, s: c.cancel_line(s["line"]),
    "add_staff": lambda c, s: c.add_staff("Zoe", "clerk", PASSWORD),
}

#: (role, action) -> the refusal's message, or None where the role may do it.
REFUSED = {
    "Taking orders needs the clerk or manager role; ask someone with that role to sign in.": [
        ("warehouse", "place_order"),
        ("warehouse", "preview_order"),
    ],
    "Adding customers needs the clerk or manager role; ask someone with that role to sign in.": [
        ("warehouse", "add_customer")
    ],
    "Receiving goods needs the warehouse or manager role; ask someone with that role to sign in.": [
        ("clerk", "receive"),
        ("clerk", "open_draft_receipt"),
    ],
    "Adding products needs the warehouse or manager role; ask someone with that role to sign in.": [
        ("clerk", "add_product")
    ],
    "Purchase orders need the warehouse or manager role; ask someone with that role to sign in.": [
        ("clerk", "delay_purchase_order")
    ],
    "Stock adjustments need the manager role; ask a manager to sign in.": [
        ("clerk", "adjust_stock"),
        ("warehouse", "adjust_stock"),
    ],
    "Changing queue priorities needs the manager role; ask a manager to sign in.": [
        ("clerk", "set_priority"),
        ("warehouse", "set_priority"),
    ],
    "Cancelling lines of orders someone else placed needs the manager role; ask a manager "
    "to sign in.": [("clerk", "cancel_others_line")],
    "Cancelling order lines needs the clerk or manager role; ask someone with that role to "
    "sign in.": [("warehouse", "cancel_others_line")],
    "Managing staff accounts needs the manager role; ask a manager to sign in.": [
        ("clerk", "add_staff"),
        ("warehouse", "add_staff"),
    ],
}
REFUSALS = {case: message for message, cases in REFUSED.items() for case in cases}
ALLOWED = [
    ("clerk", "place_order"),
    ("clerk", "preview_order"),
    ("clerk", "add_customer"),
    ("clerk", "ship_order"),
    ("warehouse", "ship_order"),
    ("warehouse", "receive"),
    ("warehouse", "open_draft_receipt"),
    ("warehouse", "add_product"),
    ("warehouse", "add_barcode"),
    ("warehouse", "delay_purchase_order"),
    *[("manager", action) for action in ACTIONS],
]


# ---------------------------------------------------------------- passwords


def test_a_password_hash_round_trips_and_holds_no_clear_text() -> None:
    encoded = accounts.hash_password(PASSWORD)

    assert encoded.startswith("scrypt$32768$8$1$")
    assert PASSWORD not in encoded and "horse" not in encoded
    assert accounts.verify_password(PASSWORD, encoded)
    assert not accounts.verify_password(PASSWORD + " ", encoded)
    assert not accounts.verify_password("", encoded)
    # A random salt: the same password never gives the same hash twice.
    assert accounts.hash_password(PASSWORD) != encoded
    # The same word typed with a decomposed accent (another keyboard) still matches.
    assert accounts.verify_password("cafe\u0301 au lait", accounts.hash_password("café au lait"))


@pytest.mark.parametrize(
    "stored",
    [
        None,
        "",
        "plain text",
        "scrypt$16384$8$1$not base64!$AAAA",
        "scrypt$1073741824$8$1$AA==$AA==",
    ],
    ids=["none", "empty", "clear text", "damaged", "absurd cost"],
)
def test_a_missing_damaged_or_absurd_hash_never_matches(stored: str | None) -> None:
    assert not accounts.verify_password("plain text", stored)


@pytest.mark.parametrize(
    ("password", "expected"),
    [("short", "at least 8"), ("x" * 201, "at most 200"), ("tab\there!", "control characters")],
)
def test_a_weak_or_odd_new_password_is_refused_and_nothing_is_written(
    boss: Controller, password: str, expected: str
) -> None:
    before = everything()
    with pytest.raises(UserError, match=expected):
        boss.add_staff("Bea", "clerk", password)
    with pytest.raises(UserError, match=expected):
        boss.set_staff_password(boss.staff_id, password)
    assert everything() == before


def test_the_store_keeps_only_a_hash_and_the_audit_log_no_password(boss: Controller) -> None:
    bea = boss.add_staff("Bea", "clerk", PASSWORD)
    boss.set_staff_password(int(bea.id), "another secret")

    stored = Staff.get_by_id(bea.id).password_hash
    assert stored.startswith("scrypt$") and "secret" not in stored
    assert accounts.verify_password("another secret", stored)
    events = list(AuditEvent.select().where(AuditEvent.entity == "staff"))
    assert [e.action for e in events] == ["staff.password", "staff.add", "staff.password"]
    assert {e.staff_id for e in events} == {boss.staff_id}
    for event in events:
        assert "secret" not in event.detail and "horse" not in event.detail
        assert "scrypt" not in event.detail


# ------------------------------------------------------------------- roles


@pytest.mark.parametrize(("role", "action"), list(REFUSALS), ids=[f"{r}-{a}" for r, a in REFUSALS])
def test_a_refused_action_names_the_role_and_writes_nothing(
    store: Store, clock: FakeClock, shop: dict[str, int], role: str, action: str
) -> None:
    desk = member(store, clock, f"A {role}", role)
    before = everything()

    with pytest.raises(NotAllowed) as refused:
        ACTIONS[action](desk, shop)

    assert str(refused.value) == REFUSALS[(role, action)]
    assert everything() == before


@pytest.mark.parametrize(("role", "action"), ALLOWED, ids=[f"{r}-{a}" for r, a in ALLOWED])
def test_an_allowed_action_goes_through(
    store: Store, clock: FakeClock, shop: dict[str, int], role: str, action: str
) -> None:
    desk = member(store, clock, f"A {role}", role) if role != "manager" else admin(store, clock)
    before = everything()

    ACTIONS[action](desk, shop)

    if action != "preview_order":
        assert everything() != before


@pytest.mark.parametrize("role", accounts.ROLES)
def test_can_answers_as_the_actions_do(
    store: Store, clock: FakeClock, boss: Controller, role: str
) -> None:
    desk = member(store, clock, "Someone", role) if role != "manager" else boss
    expected = {
        "clerk": {"place_order", "add_customer", "ship_order", "cancel_line", "resend_message"},
        "warehouse": {"receive", "add_product", "purchase_orders", "ship_order"},
        "manager": set(accounts.PERMISSIONS),
    }[role]
    assert {a for a in accounts.PERMISSIONS if desk.can(a)} >= expected
    assert desk.can("adjust_stock") == (role == "manager")
    assert desk.can("settings") == (role == "manager")
    assert desk.can("manage_staff") == (role == "manager")
    with pytest.raises(ValueError, match="unknown action"):
        desk.can("adjust_stok")


def test_a_clerk_cancels_lines_of_their_own_orders_only(
    store: Store, clock: FakeClock, boss: Controller
) -> None:
    cup = int(boss.add_product(sku="CUP", name="Cup").id)
    ann = int(boss.add_customer(name="Ann").id)
    bea = member(store, clock, "Bea", "clerk")
    cal = member(store, clock, "Cal", "clerk")
    beas = bea.place_order(ann, [OrderItem(cup, 2)], decisions={cup: Decision.WAIT})
    line_id = beas.lines[0].line_id
    assert (bea.may_cancel_line(line_id), cal.may_cancel_line(line_id)) == (True, False)
    assert boss.may_cancel_line(line_id)

    before = everything()
    with pytest.raises(NotAllowed, match="someone else placed needs the manager role"):
        cal.cancel_line(line_id)
    assert everything() == before

    bea.cancel_line(line_id, reason="changed her mind")
    assert Staff.get_by_id(bea.staff_id).name == "Bea"
    event = AuditEvent.get(AuditEvent.action == "line.cancel")
    assert (event.staff_id, event.entity_id) == (bea.staff_id, line_id)


# ---------------------------------------------------------- managing staff


def test_the_last_active_manager_cannot_be_demoted_or_disabled(
    store: Store, clock: FakeClock, boss: Controller
) -> None:
    before = everything()
    with pytest.raises(UserError, match="only active manager"):
        boss.set_staff_role(boss.staff_id, "clerk")
    with pytest.raises(UserError, match="cannot disable your own account"):
        boss.set_staff_active(boss.staff_id, False)
    assert everything() == before

    mia = member(store, clock, "Mia", "manager")
    mia.set_staff_active(boss.staff_id, False)  # two managers: one may go
    with pytest.raises(UserError, match="Mia is the only active manager"):
        mia.set_staff_role(mia.staff_id, "warehouse")
    with pytest.raises(UserError, match="Admin's account is disabled"):
        Controller(store, staff_id=boss.staff_id, clock=clock)
    with pytest.raises(UserError, match="Name or password is wrong"):
        accounts.sign_in("Admin", PASSWORD)

    mia.set_staff_active(boss.staff_id, True)
    mia.set_staff_role(mia.staff_id, "warehouse")  # Admin is a manager again
    assert mia.role == "warehouse" and not mia.can("manage_staff")
    assert [(r.name, r.role, r.active) for r in accounts.list_staff()] == [
        ("Admin", "manager", True),
        ("Mia", "warehouse", True),
    ]
    actions = [e.action for e in AuditEvent.select().order_by(AuditEvent.id)]
    assert actions[-3:] == ["staff.disable", "staff.enable", "staff.role"]


def test_names_are_unique_whatever_their_case(boss: Controller) -> None:
    boss.add_staff("Bea", "clerk", PASSWORD)
    before = everything()
    with pytest.raises(UserError, match="already a staff account called Bea"):
        boss.add_staff("  bEA ", "warehouse", PASSWORD)
    with pytest.raises(UserError, match="not a role"):
        boss.add_staff("Cal", "boss", PASSWORD)
    assert everything() == before


def test_a_manager_without_a_password_sets_one_before_adding_others(
    store: Store, clock: FakeClock
) -> None:
    first = Controller(store, clock=clock)
    before = everything()
    with pytest.raises(UserError, match=r"Give Admin \(you\) a password first"):
        first.add_staff("Bea", "clerk", PASSWORD)
    assert everything() == before


def test_anyone_changes_their_own_password_but_only_a_manager_anothers(
    store: Store, clock: FakeClock, boss: Controller
) -> None:
    bea = member(store, clock, "Bea", "clerk")
    bea.set_staff_password(bea.staff_id, "a new secret")
    assert accounts.sign_in("bea", "a new secret").id == bea.staff_id

    before = everything()
    with pytest.raises(NotAllowed, match="Managing staff accounts needs the manager role"):
        bea.set_staff_password(boss.staff_id, "taken over!")
    with pytest.raises(NotAllowed):
        bea.set_staff_role(bea.staff_id, "manager")
    assert everything() == before


# ----------------------------------------------------------------- sign-in


@pytest.mark.parametrize("name", ["ΟΔΥΣΣΕΑΣ", "İLKAY"])
def test_names_python_and_the_database_lower_differently_still_sign_in_and_stay_unique(
    store: Store, clock: FakeClock, boss: Controller, name: str
) -> None:
    # A final capital sigma and a dotted capital I: Python's lower() and SQL's LOWER()
    # disagree on them unless both sides fold one character at a time.
    member_ = member(store, clock, name, "clerk")

    assert accounts.sign_in(name, PASSWORD).id == member_.staff_id
    with pytest.raises(UserError, match="already"):
        boss.add_staff(name, "clerk", PASSWORD)


def test_signing_in_says_the_same_for_a_wrong_name_and_a_wrong_password(
    store: Store, clock: FakeClock, boss: Controller
) -> None:
    bea = member(store, clock, "Bea", "clerk")

    assert accounts.sign_in(" BEA ", PASSWORD).id == bea.staff_id
    messages = set()
    for name, password in [("Bea", "wrong password"), ("Nobody", PASSWORD), ("Bea", "")]:
        with pytest.raises(UserError) as refused:
            accounts.sign_in(name, password)
        messages.add(str(refused.value))
    boss.set_staff_active(bea.staff_id, False)
    with pytest.raises(UserError) as refused:
        accounts.sign_in("Bea", PASSWORD)
    messages.add(str(refused.value))
    assert messages == {"Name or password is wrong."}
    assert accounts.staff_count_active() == 1


def test_an_account_without_a_password_signs_in_only_while_it_is_alone(
    store: Store, clock: FakeClock
) -> None:
    assert accounts.sign_in("admin", "").name == "Admin"
    Staff.create(name="Old Hand", role="clerk")  # from before passwords were asked for

    with pytest.raises(UserError, match="Admin has no password yet.*staff password Admin"):
        accounts.sign_in("Admin", "")
    with pytest.raises(UserError, match="Name or password is wrong"):
        accounts.sign_in("Admin", "guess")


# ------------------------------------------------------------ command line


@pytest.fixture
def team(store_location: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A store with Admin (manager) and Bea (clerk), both with passwords; no password in
    the environment to begin with."""
    monkeypatch.delenv("BACKORDER_DESK_PASSWORD", raising=False)
    monkeypatch.delenv("BACKORDER_DESK_NEW_PASSWORD", raising=False)
    store = open_store(store_location)
    try:
        boss = admin(store, FakeClock())
        boss.add_staff("Bea", "clerk", PASSWORD)
        boss.add_product(sku="W-1", name="Widget")
    finally:
        store.close()
    yield store_location


def table_rows(location: str) -> dict[str, list[tuple[Any, ...]]]:
    store = open_store(location)
    try:
        return everything()
    finally:
        store.close()


def one_line_error(ran: Ran) -> str:
    assert ran.code == 2, (ran.out, ran.err)
    lines = ran.err.strip().splitlines()
    assert len(lines) == 1, ran.err
    return lines[0]


def test_cli_staff_acts_with_the_password_from_the_environment(
    cli_run: Callable[..., Ran], team: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BACKORDER_DESK_PASSWORD", PASSWORD)
    ran = cli_run("customer", "add", "--name", "Carl", "--staff", "bea", "--db", team, "--json")
    assert ran.code == 0, ran.err

    store = open_store(team)
    try:
        last = AuditEvent.select().order_by(AuditEvent.id.desc()).get()
        assert (last.action, last.staff.name) == ("customer.add", "Bea")
    finally:
        store.close()


@pytest.mark.parametrize(
    ("password", "expected"),
    [("wrong password", "Name or password is wrong."), (None, "BACKORDER_DESK_PASSWORD")],
    ids=["wrong", "missing"],
)
def test_cli_refuses_a_wrong_or_missing_password_and_writes_nothing(
    cli_run: Callable[..., Ran],
    team: str,
    monkeypatch: pytest.MonkeyPatch,
    password: str | None,
    expected: str,
) -> None:
    if password is not None:
        monkeypatch.setenv("BACKORDER_DESK_PASSWORD", password)
    before = table_rows(team)

    ran = cli_run("customer", "add", "--name", "Carl", "--staff", "Bea", "--db", team)

    assert expected in one_line_error(ran)
    assert table_rows(team) == before


def test_cli_asks_for_the_password_on_a_terminal(
    cli_run: Callable[..., Ran], team: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app import cli

    asked: list[str] = []

    def typed(prompt: str) -> str:
        asked.append(prompt)
        return PASSWORD

    monkeypatch.setattr(cli.sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(cli.getpass, "getpass", typed)
    ran = cli_run("customer", "add", "--name", "Carl", "--staff", "Bea", "--db", team)
    assert ran.code == 0, ran.err
    assert asked == ["Password for Bea: "]


def test_cli_applies_the_roles_rules(
    cli_run: Callable[..., Ran], team: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BACKORDER_DESK_PASSWORD", PASSWORD)
    before = table_rows(team)

    ran = cli_run(
        "stock", "adjust", "W-1", "+5", "--reason", "found", "--staff", "Bea", "--db", team
    )
    line = one_line_error(ran)
    assert line.endswith("Stock adjustments need the manager role; ask a manager to sign in.")
    as_json = cli_run("--json", "receive", "--line", "W-1=1", "--staff", "Bea", "--db", team)
    assert as_json.code == 2
    assert "warehouse or manager role" in as_json.doc["error"]
    assert table_rows(team) == before


def test_cli_needs_staff_for_changes_once_a_store_has_several_accounts(
    cli_run: Callable[..., Ran], team: str
) -> None:
    before = table_rows(team)
    ran = cli_run("customer", "add", "--name", "Carl", "--db", team)
    assert "--staff NAME" in one_line_error(ran)
    assert table_rows(team) == before

    listed = cli_run("product", "list", "--json", "--db", team)  # reading needs no one
    assert listed.code == 0 and listed.doc["total"] == 1


def test_cli_staff_commands_manage_accounts(
    cli_run: Callable[..., Ran], team: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BACKORDER_DESK_PASSWORD", PASSWORD)
    as_admin = ("--staff", "Admin", "--db", team, "--json")

    monkeypatch.setenv("BACKORDER_DESK_NEW_PASSWORD", "short")
    assert "at least 8" in one_line_error(cli_run("staff", "add", "Cal", "--role", "warehouse"))

    monkeypatch.setenv("BACKORDER_DESK_NEW_PASSWORD", "cal's own secret")
    added = cli_run("staff", "add", "Cal", "--role", "warehouse", *as_admin)
    assert added.code == 0, added.err
    assert added.doc["role"] == "warehouse"

    assert cli_run("staff", "role", "cal", "manager", *as_admin).doc["role"] == "manager"
    monkeypatch.setenv("BACKORDER_DESK_NEW_PASSWORD", "bea's new secret")
    assert cli_run("staff", "password", "Bea", *as_admin).doc["password_set"]
    assert cli_run("staff", "disable", "Bea", *as_admin).doc["active"] is False

    listed = cli_run("staff", "list", "--db", team, "--json").doc
    assert [(s["name"], s["role"], s["active"], s["has_password"]) for s in listed["staff"]] == [
        ("Admin", "manager", True, True),
        ("Bea", "clerk", False, True),
        ("Cal", "manager", True, True),
    ]
    text = cli_run("staff", "list", "--db", team)
    assert "Bea" in text.out and "3 accounts, 2 active." in text.out
    assert "scrypt" not in text.out

    monkeypatch.setenv("BACKORDER_DESK_PASSWORD", "cal's own secret")
    refused = cli_run("staff", "disable", "Cal", "--staff", "Cal", "--db", team)
    assert "cannot disable your own account" in one_line_error(refused)


# --------------------------------------------------------------- the file


@pytest.mark.parametrize("umask", [0o022, 0o000, 0o277], ids=["usual", "open", "strict"])
def test_a_new_store_its_side_files_and_backups_are_owner_only(tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        store = open_store(tmp_path / "shop.db")
        try:
            Controller(store).add_customer(name="Ann")  # makes the -wal and -shm files
            backup_sqlite(store.database, tmp_path / "copy.db")
            made = sorted(p.name for p in tmp_path.iterdir())
            modes = {name: stat.S_IMODE((tmp_path / name).stat().st_mode) for name in made}
        finally:
            store.close()
    finally:
        os.umask(old)
    assert made == ["copy.db", "shop.db", "shop.db-shm", "shop.db-wal"]
    assert modes == dict.fromkeys(made, 0o600)
    copy = open_store(tmp_path / "copy.db")
    try:
        assert json.loads(json.dumps([c.name for c in accounts.list_staff()])) == ["Admin"]
    finally:
        copy.close()
