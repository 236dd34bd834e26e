"""Bad input thrown at the command line: every subcommand's arguments, generated.

In-process (``cli_run``) on both backends, and a few runs through a real ``python main.py``
process, where the shell hands over bytes that are not UTF-8 and arguments of 10,000
characters. The command line's promise (issue 2, section 4) is checked after every run:

* exit code 0, 2 for bad input, or 3 for a shortage refused without ``--on-short``;
* on 2, exactly one line on stderr (``backorder-desk: error: ...``), no traceback;
* a refusal writes nothing; ``--json`` output is one JSON document;
* ``check`` passes afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from app.check import run_checks
from app.controller import Controller, Decision, OrderItem
from app.models import database
from app.store import open_store
from tests.conftest import Ran
from tests.fuzz_strategies import (
    NASTY,
    csv_row,
    fuzz_settings,
    nasty_number,
    nasty_text,
    snapshot,
)

# Ten-thousand-character inputs make hypothesis warn that their repr is long: expected here.
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

ROOT = Path(__file__).resolve().parent.parent
GOOD_GTIN = "4006381333931"
Run = Callable[..., Ran]


@pytest.fixture
def shop(store_location: str) -> Iterator[str]:
    """A store with a product in stock, one out of stock, a customer, a waiting line and
    an open purchase order; yields its location for ``--db``."""
    store = open_store(store_location)
    controller = Controller(store)
    stocked = controller.add_product(sku="W-1", name="Widget", barcodes=[GOOD_GTIN])
    empty = controller.add_product(sku="W-2", name="Gadget")
    controller.adjust_stock(stocked.id, 5, reason="count")
    customer = controller.add_customer(name="Ann Smith", email="ann@example.com")
    controller.place_order(
        customer.id, [OrderItem(empty.id, 2)], decisions={empty.id: Decision.WAIT}
    )
    supplier = controller.supplier_named("Acme")
    controller.add_purchase_order(
        supplier_id=supplier.id, expected=date(2026, 12, 1), items=[OrderItem(empty.id, 3)]
    )
    store.close()
    yield store_location


def bound(location: str) -> Callable[[Callable[[], object]], object]:
    """Run a read against the store at ``location`` and close it again (no connection is
    left open between command-line runs)."""

    def read(work: Callable[[], object]) -> object:
        store = open_store(location)
        try:
            return work()
        finally:
            store.close()

    return read


def assert_promise(ran: Ran, *, json_wanted: bool) -> None:
    """What every run must look like, whatever it was given."""
    assert "Traceback" not in ran.err and "Traceback" not in ran.out
    assert ran.code in (0, 2, 3), f"exit {ran.code}: {ran.err[:300]!r}"
    if ran.code == 2:
        lines = ran.err.splitlines()
        assert len(lines) == 1, f"stderr has {len(lines)} lines: {ran.err[:300]!r}"
        assert lines[0].startswith("backorder-desk: error: ") and len(lines[0]) > 30
        assert len(lines[0]) <= 500, f"a {len(lines[0])}-character error line"
    if json_wanted and ran.code in (0, 2, 3) and ran.out.strip():
        json.loads(ran.out)  # exactly one document


def text_arg() -> st.SearchStrategy[str]:
    return st.one_of(nasty_text(extra=["W-1", "Ann Smith", GOOD_GTIN, "Acme"]), csv_row())


def line_arg() -> st.SearchStrategy[str]:
    """``SKU=QTY`` with either half (or the ``=``) bad."""
    return st.one_of(
        st.builds(
            lambda code, qty: f"{code}={qty}",
            st.one_of(st.sampled_from(["W-1", "W-2", GOOD_GTIN, "", "=", "NOPE"]), nasty_text()),
            nasty_number(good=["1", "2", "3"]),
        ),
        nasty_text(),
    )


def commands() -> st.SearchStrategy[list[str]]:
    """One command line for each subcommand, its arguments generated."""
    t, n, line = text_arg(), nasty_number(good=["1", "2", "5"]), line_arg()
    date_arg = nasty_text(extra=["2026-12-24", "9999-12-31", "0001-01-01", "2026-02-30"])
    return st.one_of(
        st.builds(
            lambda sku, name, codes, price, rp: [
                "product",
                "add",
                f"--sku={sku}",
                f"--name={name}",
                *[f"--barcode={c}" for c in codes],
                f"--price={price}",
                f"--reorder-point={rp}",
            ],
            t,
            t,
            st.lists(t, max_size=2),
            n,
            n,
        ),
        st.builds(lambda s: ["product", "list", f"--search={s}"], t),
        st.builds(
            lambda name, email, phone: [
                "customer",
                "add",
                f"--name={name}",
                f"--email={email}",
                f"--phone={phone}",
            ],
            t,
            t,
            t,
        ),
        st.builds(lambda s: ["customer", "list", f"--search={s}"], t),
        st.builds(
            lambda cust, lines, short, prio, note: [
                "order",
                "add",
                f"--customer={cust}",
                *[f"--line={x}" for x in lines],
                *short,
                f"--priority={prio}",
                f"--note={note}",
            ],
            t,
            st.lists(line, max_size=3),
            st.sampled_from([[], ["--on-short=wait"], ["--on-short=cancel"], ["--on-short=x"]]),
            n,
            t,
        ),
        st.builds(
            lambda lines, po, note: [
                "receive",
                *[f"--line={x}" for x in lines],
                f"--po={po}",
                f"--note={note}",
            ],
            st.lists(line, max_size=3),
            n,
            t,
        ),
        st.builds(
            lambda p, c, lim: ["backorders", f"--product={p}", f"--customer={c}", f"--limit={lim}"],
            t,
            t,
            n,
        ),
        st.builds(lambda i, r: ["backorder", "cancel", i, f"--reason={r}"], n, t),
        st.builds(lambda i, p: ["backorder", "priority", "--", i, p], n, n),
        st.builds(lambda i: ["ship", "--", i], n),
        st.builds(
            lambda s, d, lines, note: [
                "po",
                "add",
                f"--supplier={s}",
                f"--expected={d}",
                *[f"--line={x}" for x in lines],
                f"--note={note}",
            ],
            t,
            date_arg,
            st.lists(line, max_size=2),
            t,
        ),
        st.builds(lambda s: ["po", "list", f"--status={s}"], t),
        st.builds(lambda i, d: ["po", "delay", "--", i, d], n, date_arg),
        st.builds(lambda i: ["po", "confirm", "--", i], n),
        st.builds(lambda s: ["reorder", f"--create={s}"], t),
        st.builds(lambda sku, d, r: ["stock", "adjust", f"--reason={r}", "--", sku, d], t, n, t),
        st.builds(
            lambda s, days: ["export", "backorders", f"--search={s}", f"--min-days={days}"], t, n
        ),
        st.builds(
            lambda c, status, since, until: [
                "export",
                "orders",
                f"--customer={c}",
                f"--status={status}",
                f"--since={since}",
                f"--until={until}",
            ],
            t,
            t,
            date_arg,
            date_arg,
        ),
        st.builds(
            lambda p, since: ["export", "ledger", f"--product={p}", f"--since={since}"],
            t,
            date_arg,
        ),
    )


@fuzz_settings(scale=3)
@given(argv=commands(), as_json=st.booleans())
@example(argv=["product", "add", "--sku=X1", "--name=Y", "--price=1e999999"], as_json=False)
@example(argv=["backorder", "priority", "--", "1_0", "5"], as_json=False)
@example(argv=["ship", "--", "²"], as_json=True)
@example(argv=["customer", "list", "--search=\x00"], as_json=False)
@example(argv=["order", "add", "--customer=1" + "0" * 30, "--line=W-1=1"], as_json=False)
@example(argv=["product", "list", "--search=\ud800"], as_json=True)
@example(argv=["export", "backorders", "--min-days=739945"], as_json=False)  # before year 1
def test_every_subcommand_takes_bad_arguments_calmly(
    cli_run: Run, shop: str, tmp_path: Path, argv: list[str], as_json: bool
) -> None:
    read = bound(shop)
    before = read(snapshot)
    out_file = [f"--out={tmp_path / 'out.csv'}"] if argv[0] == "export" else []
    ran = cli_run(*argv, *out_file, "--db", shop, *(["--json"] if as_json else []))
    assert_promise(ran, json_wanted=as_json)
    if ran.code != 0:
        assert read(snapshot) == before, f"exit {ran.code} but something was written"
    assert read(run_checks) == []


@pytest.mark.parametrize("text", NASTY)
def test_each_listed_nasty_input_in_every_text_argument(cli_run: Run, shop: str, text: str) -> None:
    """The fixed list on its own, on both backends, in one argument of each kind."""
    for argv in (
        ["product", "add", "--sku=NASTY", f"--name={text}"],
        ["customer", "add", f"--name={text}", f"--phone={text}"],
        ["order", "add", f"--customer={text}", "--line=W-1=1"],
        ["order", "add", "--customer=Ann Smith", f"--line=W-1={text}", f"--note={text}"],
        ["stock", "adjust", "W-1", "1", f"--reason={text}"],
        ["product", "list", f"--search={text}"],
        ["backorders", f"--product={text}"],
    ):
        assert_promise(cli_run(*argv, "--db", shop), json_wanted=False)
    assert bound(shop)(run_checks) == []


@fuzz_settings(scale=0.5)
@given(rows=st.lists(csv_row(), min_size=1, max_size=6), header=st.booleans())
@example(rows=["X1,Name,,1e999999,1e999999"], header=True)  # was: decimal.Overflow, int() limit
@example(rows=["X2,Name,,1_0,1_0"], header=True)  # was: read as 10.00 and 10 units
@example(rows=["\r0"], header=False)  # was: csv.Error on a bare carriage return in line 1
@example(rows=["9" * 5000 + ";\x00"], header=True)  # was: a NUL SKU sent to PostgreSQL's look-up
def test_importing_csv_rows(
    cli_run: Run, shop: str, tmp_path: Path, rows: list[str], header: bool
) -> None:
    """Generated CSV rows under our own header (or none): a preview, then the import."""
    target = tmp_path / "products.csv"
    head = "sku,name,barcode,price,on_hand\n" if header else ""
    target.write_text(head + "\n".join(rows) + "\n", encoding="utf-8", errors="surrogatepass")
    for extra in (["--dry-run"], []):
        ran = cli_run("import", str(target), *extra, "--db", shop)
        assert "Traceback" not in ran.err
        # 1: some rows were refused, each listed with its problem; the good ones imported.
        assert ran.code in (0, 1, 2), f"exit {ran.code}: {ran.err[:300]!r}"
        if ran.code == 2:
            assert len(ran.err.splitlines()) == 1
    assert bound(shop)(run_checks) == []


# ------------------------------------------------------------ real processes


def run_main(args: list[str | bytes], location: str) -> subprocess.CompletedProcess[bytes]:
    """``python main.py ARGS --db LOCATION`` as a shell would start it (bytes argv)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args, "--db", location],
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    "args",
    [
        [b"customer", b"add", b"--name=\xff\xfe bad bytes", b"--note-is-not-an-option"],
        [b"customer", b"add", b"--name=\xff\xfe", b"--email=\xe9@example.com"],
        [b"order", b"add", b"--customer=Ann Smith", b"--line=W-1=1", b"--note=\xff\x1b[31m"],
        [b"product", b"list", b"--search=\xc3\x28", b"--json"],
        [b"backorders", b"--product=\x80\x81", b"--json"],
        [b"product", b"add", b"--sku=LONG", b"--name=" + b"x" * 10_000],
        [b"stock", b"adjust", b"W-1", b"1e309", "--reason=مرحبا".encode()],
        [b"receive", b"--line=W-1=" + str(2**63).encode()],
        [b"po", b"add", b"--supplier='; DROP TABLE product;--", b"--expected=2026-13-01"],
    ],
)
def test_real_processes_with_undecodable_and_huge_arguments(shop: str, args: list[bytes]) -> None:
    done = run_main(list(args), shop)
    err = done.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err, err[-2000:]
    assert done.returncode in (0, 2), err
    if done.returncode == 2:
        assert len(err.splitlines()) == 1 and err.startswith("backorder-desk: error: ")
    if b"--json" in args:
        json.loads(done.stdout)
    assert bound(shop)(run_checks) == []
    check = run_main([b"check"], shop)
    assert check.returncode == 0, check.stdout.decode("utf-8", "replace")
    database.close()
