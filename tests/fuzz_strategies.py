"""Hypothesis strategies for bad input, and the checks every fuzz test shares.

The text strategies mix arbitrary Unicode with the inputs that break programs in practice:
SQL metacharacters and LIKE wildcards, control characters (NUL, CR, TAB, ESC, DEL), numbers
too big or not numbers at all (``1e309``, ``nan``, ``2**63``), right-to-left text and the
RLO override, emoji and combining marks, lone surrogates, 10,000-character strings,
surrounding whitespace, and CSV-like rows with quotes, commas and newlines.

Example counts are small so the suite stays quick; ``HYPOTHESIS_PROFILE=fuzz-long`` runs
many more (``fuzz`` is the default).
"""

from __future__ import annotations

import os
import unicodedata
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from app.errors import UserError
from app.models import ALL_MODELS

# The everyday run (and CI) draws the same examples every time, so a red build always
# means a change broke something; exploring is the long run's job (random, 2,000 examples
# a test), and what it finds is kept here as an @example.
settings.register_profile(
    "fuzz",
    max_examples=40,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile(
    "fuzz-long",
    max_examples=2_000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "fuzz")
if _PROFILE not in ("fuzz", "fuzz-long"):
    _PROFILE = "fuzz"


def fuzz_settings(scale: float = 1.0) -> settings:
    """The fuzz profile, with ``scale`` times its examples (DB-heavy tests use fewer).

    Every test here reuses one store across examples on purpose: state piles up and the
    checks are invariants (``check`` passes, refused input wrote nothing, what was accepted
    reads back the same), never exact counts.
    """
    parent = settings.get_profile(_PROFILE)
    return settings(parent, max_examples=max(5, int(parent.max_examples * scale)))


#: Written out so that every run meets them, whatever the random generator draws.
SQL = ["'; DROP TABLE product;--", "%", "_", "\\", "%_%", "' OR '1'='1", '"', "--", "/*", ";"]
CONTROL = ["\x00", "\r", "\n", "\t", "\x1b", "\x7f", "\x1b[31mred\x1b[0m", "a\x00b", "\r\n", "\x0b"]
NUMBERS = [
    str(10**30),
    "1e309",
    "-1e309",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "Infinity",
    "-0",
    "+0",
    "0",
    str(2**63),
    str(-(2**63)),
    str(2**31),
    "1e999999",
    "1e-999999999",
    "sNaN",
    "0x10",
    "1_000",
    "1,5",
    "1.5",
    "٣",
    "１２",
    "²",
    "①",
    "9" * 5_000,
]
WORLD = [
    "مرحبا بالعالم",
    "שלום עולם",
    "\u202eevil.exe",
    "abc\u202edef",
    "\u200f\u200e",
    "😀👍🏽👨‍👩‍👧",
    "e\u0301\u0301\u0301",
    "Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚o̙̔ͮ̇͐̇",
    "\ufeff",
    "\u200b",
    "\u2028\u2029",
    "İstanbul ΟΔΥΣΣΕΥΣ Straße",
    "\ud800",
    "a\udcffb",
]
CSV = ['a,"b",c', '"quoted ""twice"""', "one,two\nthree,four", '=HYPERLINK("x")', "x;y;z"]
SPACE = [" ", "  ", "\t", "\u00a0", "\u3000", "\n "]
NASTY = SQL + CONTROL + NUMBERS + WORLD + CSV + SPACE

#: Any character, lone surrogates included (Python allows them in ``str``).
any_char = st.characters(codec=None, exclude_categories=())


def long_text() -> st.SearchStrategy[str]:
    """5,000 to 10,000 characters: one repeated character or a repeated nasty piece."""
    return st.one_of(
        st.builds(lambda ch, n: ch * n, any_char, st.integers(5_000, 10_000)),
        st.builds(lambda piece, n: piece * n, st.sampled_from(NASTY), st.integers(300, 600)),
    )


def nasty_text(*, extra: list[str] | None = None) -> st.SearchStrategy[str]:
    """Text a person (or a scanner, or a pasted spreadsheet cell) might send."""
    pieces = st.sampled_from(NASTY + (extra or []))
    plain = st.text(any_char, max_size=30)
    joined = st.lists(st.one_of(pieces, plain), min_size=1, max_size=4).map("".join)
    padded = st.builds(
        lambda a, s, b: a + s + b, st.sampled_from(SPACE), joined, st.sampled_from(SPACE)
    )
    return st.one_of(pieces, plain, joined, padded, long_text())


def nasty_number(*, good: list[str] | None = None) -> st.SearchStrategy[str]:
    """Text meant as a number: valid ones, edge ones and junk."""
    return st.one_of(
        st.sampled_from(NUMBERS + (good or [])),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.integers(min_value=-5, max_value=20).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(str),
        st.decimals(allow_nan=True, allow_infinity=True).map(str),
        st.builds(
            lambda a, n, b: a + n + b,
            st.sampled_from(SPACE),
            st.integers(1, 9).map(str),
            st.sampled_from(SPACE),
        ),
        nasty_text(),
    )


def csv_row() -> st.SearchStrategy[str]:
    """A CSV-like row: fields with quotes, commas, semicolons and newlines."""
    cell = st.one_of(st.sampled_from(NASTY), st.text(any_char, max_size=10))
    return st.builds(
        lambda cells, sep: sep.join(cells),
        st.lists(cell, min_size=1, max_size=5),
        st.sampled_from([",", ";", "\t"]),
    )


# ------------------------------------------------------------------ checks


def snapshot() -> list[list[tuple[Any, ...]]]:
    """Every row of every table: equal before and after a refusal when nothing was written."""
    return [list(model.select().order_by(model._meta.primary_key).tuples()) for model in ALL_MODELS]


#: A message echoes at most a short piece of what was typed; one line of this size reads.
MAX_MESSAGE = 400


def assert_clear(error: UserError) -> None:
    """A refusal reads as one short line that says something."""
    text = str(error)
    assert text.strip(), "empty message"
    assert "\n" not in text and "\r" not in text, f"message spans lines: {text!r}"
    assert len(text) <= MAX_MESSAGE, f"message of {len(text)} characters: {text[:200]!r}..."
    assert "Traceback" not in text


#: Invisible characters that can make stored text display reversed: never stored.
BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")


def is_clean_line(text: str) -> bool:
    """Stored single-line text: no control characters, surrogates or bidi overrides, no
    surrounding or doubled spaces, and something visible."""
    return (
        text == text.strip()
        and "  " not in text
        and not any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text)
        and not any(ch in BIDI_CONTROLS or (ch.isspace() and ch != " ") for ch in text)
        and any(unicodedata.category(ch) != "Cf" for ch in text)
    )
