"""Follow-ups from the reviews of the workstations and import/dashboard work: what a store
that cannot be opened or is locked says, settings and backups under the roles and in the
audit log, labels for every audited action, more invariants in ``check``, and the ETAs of a
page of the backorder list.
"""

from __future__ import annotations

import ast
import importlib
import json
import os
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backends import fail
from peewee import SqliteDatabase

import app
from app import audit_queries, backups, eta, mail_settings, shop_settings
from app.audit_queries import AuditFilter
from app.check import run_checks
from app.controller import Controller, Decision, OrderItem
from app.errors import NotAllowed, StoreError
from app.importing.rows import ImportRow
from app.models import AuditEvent, Customer, OrderLine
from app.store import Store, _bind, open_store
from tests.conftest import PG_ENV, FakeClock, reset_postgres

# ------------------------------------------------------------------ opening and locks


def test_a_server_store_that_cannot_be_opened_does_not_mention_sqlite_files() -> None:
    url = os.environ.get(PG_ENV, "")
    if not url:
        pytest.skip(f"PostgreSQL only: set {PG_ENV} to a test database URL")
    reset_postgres(url)
    import psycopg2

    # A table called "setting" that is not ours: reading the schema version fails.
    conn = psycopg2.connect(url.replace("postgresql+psycopg2", "postgresql"))
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute('CREATE TABLE setting ("key" TEXT)')
    conn.close()

    with pytest.raises(StoreError) as refused:
        open_store(url)

    message = str(refused.value)
    assert message.startswith("Cannot open the store postgresql://")
    assert "-wal" not in message and "SQLite" not in message
    assert "server is running" in message and "--db" in message
    assert "\n" not in message


def test_a_sqlite_store_that_cannot_be_opened_names_its_working_files(tmp_path: Path) -> None:
    # A file SQLite cannot open (its folder is gone): the hint is about the folder and the
    # -wal and -shm files SQLite keeps beside the store.
    missing = tmp_path / "gone" / "shop.db"
    store = Store(database=SqliteDatabase(str(missing)), location=str(missing), path=missing)

    with pytest.raises(StoreError) as refused:
        _bind(store)

    message = str(refused.value)
    assert message.startswith(f"Cannot open the store {missing}")
    assert "(-wal, -shm)" in message and "--db" in message


@pytest.fixture
def locked_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A SQLite store open here, another program holding its lock, and the statements this
    store sends (SQLite's trace of its connection)."""
    monkeypatch.setenv("BACKORDER_DESK_BUSY_TIMEOUT_MS", "100")
    store = open_store(tmp_path / "shop.db")
    sent: list[str] = []
    store.database.connection().set_trace_callback(sent.append)
    holder = sqlite3.connect(str(tmp_path / "shop.db"), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    yield store, holder, sent
    if holder.in_transaction:
        holder.execute("ROLLBACK")
    holder.close()
    store.close()


def test_a_locked_sqlite_store_is_tried_once_and_said_to_be_locked(locked_sqlite: Any) -> None:
    store, holder, sent = locked_sqlite
    holder.execute("ROLLBACK")
    desk = Controller(store)
    holder.execute("BEGIN EXCLUSIVE")
    sent.clear()

    with pytest.raises(StoreError) as refused:
        desk.add_product(sku="L-1", name="Lamp")

    # SQLite waited the busy timeout inside that one BEGIN; trying again would only make
    # the desk wait that long again, five times over.
    assert sent.count("BEGIN IMMEDIATE") == 1
    message = str(refused.value)
    assert "locked by another program; nothing was written" in message
    assert "Close the other program (or wait for it) and try again" in message
    holder.execute("ROLLBACK")
    desk.add_product(sku="L-1", name="Lamp")
    assert run_checks() == []


def test_a_postgresql_serialisation_failure_is_still_retried(store: Store) -> None:
    if store.is_sqlite:
        pytest.skip("PostgreSQL only: SQLite writes take the lock at BEGIN")
    import psycopg2.errors

    tries: list[int] = []

    def work() -> str:
        tries.append(1)
        if len(tries) < 3:
            raise psycopg2.errors.SerializationFailure("could not serialize access")
        return "done"

    assert store.run_write(work) == "done"
    assert len(tries) == 3


# ------------------------------------------------------------------ ETAs of a page


def test_a_page_of_lines_gets_queue_aware_etas_whatever_else_is_on_it(
    controller: Controller, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One line per positions query, so the lines of one product are split across queries.
    monkeypatch.setattr(eta, "_POSITION_CHUNK", 1)
    lamp = controller.add_product(sku="LAMP", name="Lamp").id
    vase = controller.add_product(sku="VASE", name="Vase").id  # nothing incoming
    people = {n: controller.add_customer(name=n).id for n in ("Ann", "Bob", "Cat", "Dan")}

    def wait(who: str, pid: int, qty: int, priority: int = 0) -> int:
        clock.advance(minutes=5)
        placed = controller.place_order(
            people[who], [OrderItem(pid, qty)], decisions={pid: Decision.WAIT}, priority=priority
        )
        return placed.lines[0].line_id

    ann = wait("Ann", lamp, 2)
    bob = wait("Bob", lamp, 2)
    cat = wait("Cat", lamp, 5, priority=1)  # placed last, served first
    dan = wait("Dan", vase, 1)
    supplier = controller.supplier_named("Lights Ltd").id
    first, second = date(2026, 12, 1), date(2026, 12, 15)
    controller.add_purchase_order(supplier_id=supplier, expected=first, items=[OrderItem(lamp, 5)])
    controller.add_purchase_order(supplier_id=supplier, expected=second, items=[OrderItem(lamp, 3)])

    # Serving order Cat (5), Ann (2), Bob (2): 5 come on the 1st, 3 more on the 15th.
    assert eta.line_etas([ann, bob, cat, dan]) == {cat: first, ann: second, bob: None, dan: None}
    # A page without the lines ahead still counts them.
    assert eta.line_etas([bob, ann]) == {ann: second, bob: None}
    assert eta.line_etas([dan]) == {dan: None}
    # Cat's line is cancelled: Ann and Bob (4 units) are covered by the first delivery.
    controller.cancel_line(cat)
    assert eta.line_etas([ann, bob, cat]) == {ann: first, bob: first}
    assert eta.line_etas([]) == {}


# ------------------------------------------------------------------ check


def test_check_reports_a_line_history_that_contradicts_its_quantities_in_words(
    controller: Controller, store: Store, cli_run: Any
) -> None:
    lamp = controller.add_product(sku="LAMP", name="Lamp").id
    controller.adjust_stock(lamp, 2, reason="count")
    ann = controller.add_customer(name="Ann").id
    ready = controller.place_order(ann, [OrderItem(lamp, 2)]).lines[0].line_id
    waits = (
        controller.place_order(ann, [OrderItem(lamp, 3)], decisions={lamp: Decision.WAIT})
        .lines[0]
        .line_id
    )
    cancelled = (
        controller.place_order(ann, [OrderItem(lamp, 4)], decisions={lamp: Decision.CANCEL})
        .lines[0]
        .line_id
    )
    assert run_checks() == []

    OrderLine.update(fulfilled_at=controller.clock()).where(OrderLine.id == ready).execute()
    OrderLine.update(fulfilled_at=controller.clock(), qty_reserved_at_order=4).where(
        OrderLine.id == waits
    ).execute()
    OrderLine.update(qty_lost=5, decision=None).where(OrderLine.id == cancelled).execute()

    findings = run_checks()
    assert f"Order line {ready}: marked fulfilled but it never waited." in findings
    assert f"Order line {waits}: marked fulfilled but 3 units still wait." in findings
    assert (
        f"Order line {waits}: 4 units reserved when ordered is outside 0..ordered (3)." in findings
    )
    assert (
        f"Order line {cancelled}: 5 units lost to a shortage is outside 0..cancelled (4)."
        in findings
    )
    assert len(findings) == 4

    OrderLine.update(decision=None).where(OrderLine.id == waits).execute()
    assert (
        f"Order line {waits}: 3 units wait but the customer never chose to wait for them."
        in run_checks()
    )
    ran = cli_run("check", "--db", store.location)
    assert ran.code == 1
    assert f"Order line {waits}: 3 units wait but the customer never chose" in ran.out


# ------------------------------------------------------------------ settings under roles

PASSWORD = "long enough pw"


@pytest.fixture
def no_keyring() -> Iterator[None]:
    """No system keyring: a mail password goes into the store (never the developer's)."""
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def staffed(store: Store, clock: FakeClock) -> tuple[Controller, Controller]:
    """The Admin (a manager, with a password) and a clerk, each at their own desk."""
    boss = Controller(store, clock=clock)
    boss.set_staff_password(boss.staff_id, PASSWORD)
    clerk = boss.add_staff("Cleo", "clerk", PASSWORD)
    return boss, Controller(store, staff_id=int(clerk.id), clock=clock)


def audited(action: str) -> list[dict[str, Any]]:
    return [
        json.loads(detail)
        for (detail,) in AuditEvent.select(AuditEvent.detail)
        .where(AuditEvent.action == action)
        .order_by(AuditEvent.id)
        .tuples()
    ]


def test_only_a_manager_changes_the_shop_texts_and_the_change_is_audited(
    store: Store, clock: FakeClock
) -> None:
    boss, clerk = staffed(store, clock)
    texts = shop_settings.parse_shop(
        name="Corner Shop", address="1 High St", phone="", signature="Thanks"
    )

    with pytest.raises(NotAllowed, match="Changing the settings needs the manager role"):
        clerk.save_shop_settings(texts)
    assert shop_settings.load_shop() == shop_settings.ShopTexts()
    assert audited("settings.shop") == []

    boss.save_shop_settings(texts)

    assert shop_settings.load_shop() == texts
    (detail,) = audited("settings.shop")
    assert detail == {
        "name": ["", "Corner Shop"],
        "address": ["", "1 High St"],
        "signature": ["", "Thanks"],
    }
    (row,) = audit_queries.events(AuditFilter(kind="settings"))
    assert row.action_label == "Shop details changed" and row.staff == "Admin"
    assert "Corner Shop" in row.summary


def test_only_a_manager_changes_the_mail_server_and_no_password_is_audited(
    store: Store, clock: FakeClock, no_keyring: None
) -> None:
    boss, clerk = staffed(store, clock)
    typed = mail_settings.parse(
        host="smtp.example.com", port="587", security="starttls", sender="shop@example.com"
    )

    with pytest.raises(NotAllowed, match="manager role"):
        clerk.save_mail_settings(typed, password="s3cret-mail")
    assert mail_settings.load() == mail_settings.MailSettings()

    said = boss.save_mail_settings(typed, password="s3cret-mail")

    assert "saved in the store" in said
    assert mail_settings.load(with_password=True).password == "s3cret-mail"
    boss.save_mail_settings(typed, password="")  # forget it
    first, second = audited("settings.mail")
    assert first["host"] == ["", "smtp.example.com"] and first["new_password"] is True
    assert second == {"password_forgotten": True}
    every_detail = " ".join(d for (d,) in AuditEvent.select(AuditEvent.detail).tuples())
    assert "s3cret" not in every_detail
    shown = [row.summary for row in audit_queries.events(AuditFilter(kind="settings"))]
    assert "s3cret" not in " ".join(shown)
    assert any("smtp.example.com" in text for text in shown)


# ------------------------------------------------------------------ backups under roles


def test_a_manual_backup_is_audited_and_anyone_may_make_one(
    sqlite_store: Store, clock: FakeClock
) -> None:
    boss, clerk = staffed(sqlite_store, clock)

    made = clerk.back_up()

    (detail,) = audited("backup.make")
    assert detail == {"path": str(made.path), "size": made.size}
    (row,) = audit_queries.events(AuditFilter(kind="backup"))
    assert row.staff == "Cleo" and row.action_label == "Backup made"


def test_only_a_manager_restores_and_the_restore_is_audited_in_the_restored_store(
    sqlite_store: Store, clock: FakeClock
) -> None:
    boss, clerk = staffed(sqlite_store, clock)
    saved = boss.back_up()
    boss.add_customer(name="Bob")  # work done after the backup
    late = boss.add_staff("Max", "manager", PASSWORD)  # an account the backup does not know
    with_max = boss.back_up()

    with pytest.raises(NotAllowed, match="Restoring the store from a backup needs the manager"):
        clerk.restore_backup(saved.path)
    assert Customer.select().count() == 1

    done = boss.restore_backup(saved.path)

    assert Customer.select().count() == 0
    assert done.safety is not None
    (detail,) = audited("backup.restore")  # in the restored store, whose log had none
    assert detail["source"] == str(saved.path) and detail["by"] == "Admin"
    assert detail["safety"] == str(done.safety.path)
    assert run_checks() == []
    (row,) = audit_queries.events(AuditFilter(kind="backup.restore"))
    assert row.staff == "Admin" and row.action_label == "Store restored"
    assert row.summary.startswith(f"From {saved.path} (taken ")

    # Max restores a backup from before his account: he acts as its first manager.
    boss.restore_backup(with_max.path)
    maxi = Controller(sqlite_store, staff_id=int(late.id), clock=clock)
    maxi.restore_backup(saved.path)
    assert maxi.staff_id == boss.staff_id and maxi.role == "manager"
    assert audited("backup.restore")[-1]["by"] == "Max"
    maxi.add_customer(name="Zoe")  # and can go on working
    assert run_checks() == []


def test_backups_kept_is_a_manager_setting_from_the_command_line_and_the_controller(
    sqlite_store: Store, clock: FakeClock, cli_run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    boss, clerk = staffed(sqlite_store, clock)
    db = str(sqlite_store.path)

    with pytest.raises(NotAllowed, match="manager role"):
        clerk.set_backup_keep(3)
    assert boss.set_backup_keep("3") == 3
    assert backups.keep_count() == 3
    assert audited("settings.backup_keep") == [{"old": 10, "new": 3}]

    monkeypatch.setenv("BACKORDER_DESK_PASSWORD", PASSWORD)
    refused = cli_run("backups", "--keep", "5", "--db", db, "--staff", "Cleo")
    assert refused.code == 2 and "manager role" in refused.err
    needs_who = cli_run("backups", "--keep", "5", "--db", db)
    assert needs_who.code == 2 and "--staff" in needs_who.err
    listed = cli_run("backups", "--db", db)  # only looking needs nobody
    assert listed.code == 0, listed.err
    ran = cli_run("backups", "--keep", "5", "--db", db, "--staff", "Admin")
    assert ran.code == 0, ran.err
    bound = open_store(db)
    try:
        assert backups.keep_count() == 5
        assert audited("settings.backup_keep")[-1] == {"old": 3, "new": 5}
    finally:
        bound.close()


def test_restore_from_the_command_line_is_for_managers_and_audited(
    sqlite_store: Store, clock: FakeClock, cli_run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    boss, _clerk = staffed(sqlite_store, clock)
    db = str(sqlite_store.path)
    saved = boss.back_up()
    boss.add_customer(name="Bob")
    monkeypatch.setenv("BACKORDER_DESK_PASSWORD", PASSWORD)

    refused = cli_run("restore", str(saved.path), "--db", db, "--staff", "Cleo")
    assert refused.code == 2 and "needs the manager role" in refused.err
    made = cli_run("backup", "--db", db, "--staff", "Cleo")
    assert made.code == 0, made.err
    ran = cli_run("restore", str(saved.path), "--db", db, "--staff", "Admin")
    assert ran.code == 0, ran.err

    bound = open_store(db)
    try:
        assert Customer.select().count() == 0
        assert audited("backup.restore")[-1]["by"] == "Admin"
    finally:
        bound.close()


# ------------------------------------------------------------------ audit labels


def _action_values(node: ast.expr, unresolved: set[str]) -> set[str]:
    """The action strings an expression can be: literals, both arms of ``a if c else b``,
    and module constants (``eta.ETA_LATER``); a bare name is noted as unresolved."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _action_values(node.body, unresolved) | _action_values(node.orelse, unresolved)
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        module = importlib.import_module(f"app.{node.value.id}")
        return {getattr(module, node.attr)}
    if isinstance(node, ast.Name):
        unresolved.add(node.id)
        return set()
    raise AssertionError(f"an audit action written as {ast.dump(node)}: teach this test")


def written_actions() -> tuple[set[str], set[str]]:
    """Every audit action the engine writes, read from its source: the first argument of
    ``_audit``/``_audit_message``, an ``"action"`` key of the rows inserted into the audit
    table, and an ``action=`` given to ``AuditEvent`` itself."""
    found: set[str] = set()
    unresolved: set[str] = set()
    for path in sorted(Path(app.__file__).parent.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "attr", getattr(node.func, "id", ""))
                if name in ("_audit", "_audit_message") and node.args:
                    found |= _action_values(node.args[0], unresolved)
                audit_table = any(
                    isinstance(arg, ast.Name) and arg.id == "AuditEvent" for arg in node.args
                ) or (
                    isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "AuditEvent"
                )
                for keyword in node.keywords:
                    if audit_table and keyword.arg == "action":
                        found |= _action_values(keyword.value, unresolved)
            if isinstance(node, ast.Dict):
                row = {
                    key.value: value
                    for key, value in zip(node.keys, node.values, strict=True)
                    if isinstance(key, ast.Constant)
                }
                if "action" in row and "entity" in row:  # a row of the audit table
                    found |= _action_values(row["action"], unresolved)
    return found, unresolved


def test_every_audit_action_the_engine_writes_has_a_label_and_a_kind() -> None:
    found, unresolved = written_actions()

    # The scan sees them all (a few of every way they are written), so it can fail.
    assert {
        "order.place",
        "staff.enable",
        "staff.disable",
        "line.eta_later",
        "product.import",
        "import.products",
        "message.told",
        "settings.mail",
        "backup.restore",
    } <= found
    assert len(found) >= 35
    # Passed through by the helpers that take the action as a parameter.
    assert unresolved <= {"action"}
    unlabelled = sorted(a for a in found if a not in audit_queries.ACTION_LABELS)
    assert unlabelled == []
    kindless = sorted(
        a
        for a in found
        if a.split(".")[0] not in audit_queries.ACTION_KINDS
        and not any(a in extra for extra in audit_queries.KIND_EXTRA_ACTIONS.values())
    )
    assert kindless == []
    for action in found:  # every one is said in words, even with an empty detail
        assert audit_queries.describe(action, "store", None, {}) is not None


def test_an_import_is_listed_under_imports_in_words(controller: Controller) -> None:
    controller.add_product(sku="MUG", name="Mug")
    rows = [
        ImportRow(line=2, sku="MUG", name="Big mug", on_hand=4),
        ImportRow(line=3, sku="JUG", name="Jug", price_cents=1250, on_hand=2),
    ]
    controller.import_products(rows, source="stock.csv")

    listed = audit_queries.events(AuditFilter(kind="import"), oldest_first=True)

    assert [row.action_label for row in listed] == [
        "Product imported",
        "Product imported",
        "Products imported",
    ]
    summaries = {row.subject: row.summary for row in listed}
    assert summaries["Product JUG"] == "New “Jug” from stock.csv, 2 units in stock"
    assert summaries["Product MUG"] == "Updated from stock.csv: name “Big mug”, stock +4"
    assert summaries["Import"] == "From stock.csv: 1 new, 1 updated; stock 6 units in"
    products = audit_queries.events(AuditFilter(kind="product"))
    assert {row.action for row in products} == {"product.add", "product.import"}
