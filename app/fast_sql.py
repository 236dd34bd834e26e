"""Hot-path SQL: statements whose text is built once and run many times.

Peewee builds a statement's text anew on every call, which costs several times more than
running it. Placing an order or committing a big receipt runs the same few statements
thousands of times, so these helpers build each text once (per table, columns and kind of
database) and keep the model's own defaults and value conversion, so the rows written are
exactly the ones ``insert``/``insert_many``/the peewee query would write.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from peewee import (
    AutoField,
    CharField,
    Field,
    ForeignKeyField,
    IntegerField,
    TextField,
    __exception_wrapper__,
)

from app.models import BaseModel, database


def insert_row(model: type[BaseModel], **values: Any) -> int:
    """``model.insert(**values).execute()`` for the busiest paths; returns the new id.

    Peewee builds a statement's text anew on every call, which costs several times more
    than running it; this builds it once per model and set of columns. Defaults and value
    conversion are the model's own, so the row is exactly the one ``insert`` would write.
    """
    db = database.obj
    key = (model, tuple(values), type(db))
    plan = _INSERT_PLANS.get(key)
    if plan is None:
        plan = _INSERT_PLANS[key] = _insert_plan(model, tuple(values), db)
    sql, fields, defaults, returning = plan
    params = [
        value if value is None or type(value) is natural else field.db_value(value)
        for value, (field, natural) in zip(values.values(), fields, strict=True)
    ]
    for field, default in defaults:
        params.append(field.db_value(default() if callable(default) else default))
    cursor = execute(sql, params)
    return int(cursor.fetchone()[0] if returning else cursor.lastrowid)


def _insert_plan(model: type[BaseModel], names: tuple[str, ...], db: Any) -> _InsertPlan:
    """The statement and per-column conversions of ``insert_row`` for these columns."""
    meta = model._meta
    given = [meta.fields[name] for name in names]
    defaults = [
        (field, default) for field, default in meta.defaults.items() if field.name not in names
    ]
    columns = ", ".join(f'"{field.column_name}"' for field in given + [f for f, _ in defaults])
    marks = ", ".join([db.param] * (len(given) + len(defaults)))
    sql = f'INSERT INTO "{meta.table_name}" ({columns}) VALUES ({marks})'
    returning = bool(db.returning_clause)
    if returning:
        sql += f' RETURNING "{meta.primary_key.column_name}"'
    # A value already of the column's natural type (an int for an integer or key column, a
    # str for a text column) goes to the driver as it is: db_value() would return it as is.
    # (None where there is none: no value's type is None, so the value is converted.)
    fields = [(field, _NATURAL.get(type(field))) for field in given]
    return sql, fields, defaults, returning


#: Statement, (field, natural type) per given column, (field, default) per defaulted
#: column, and whether the id comes back by RETURNING.
_InsertPlan = tuple[str, list[tuple[Field, type | None]], list[tuple[Field, Any]], bool]
_INSERT_PLANS: dict[tuple[type[BaseModel], tuple[str, ...], type], _InsertPlan] = {}


def execute(sql: str, params: Sequence[Any]) -> Any:
    """``database.execute_sql(sql, params)`` without Peewee's per-statement logging and
    query-hook checks (the hot paths run a dozen statements per order). Driver errors
    become Peewee's, exactly as there, so callers catch the same exceptions."""
    db = database.obj
    with __exception_wrapper__:
        cursor = db.cursor()
        cursor.execute(sql, params)
    return cursor


def insert_rows(model: type[BaseModel], rows: Sequence[dict[str, Any]]) -> None:
    """``model.insert_many(rows).execute()`` for big batches (a receipt's messages).

    Every row must name the same fields. Multi-row INSERTs of a fixed size, their text
    built once; the rows are exactly the ones ``insert_many`` would write.
    """
    if not rows:
        return
    meta = model._meta
    defaults = {f.name: default for f, default in meta.defaults.items() if f.name not in rows[0]}
    names = tuple(rows[0]) + tuple(defaults)
    fields = [meta.fields[name] for name in names]
    per_statement = max(_MAX_PARAMS // len(names), 1)
    db = meta.database
    # Per column, the conversion to run, or None where values already are what the driver
    # takes: a receipt converts a hundred thousand values.
    natural = [_NATURAL.get(type(field)) for field in fields]
    for start in range(0, len(rows), per_statement):
        batch = rows[start : start + per_statement]
        params: list[Any] = []
        for row in batch:
            full = {**row}
            for name, default in defaults.items():
                full[name] = default() if callable(default) else default
            for name, field, kind in zip(names, fields, natural, strict=True):
                value = full[name]
                params.append(
                    value if value is None or type(value) is kind else field.db_value(value)
                )
        key = (meta.table_name, names, db.param, len(batch))
        sql = _INSERT_MANY_SQL.get(key)
        if sql is None:
            columns = ", ".join(f'"{field.column_name}"' for field in fields)
            one = "(" + ", ".join([db.param] * len(names)) + ")"
            sql = f'INSERT INTO "{meta.table_name}" ({columns}) VALUES ' + ", ".join(
                [one] * len(batch)
            )
            _INSERT_MANY_SQL[key] = sql
        execute(sql, params)


_NATURAL: dict[type[Field], type] = {
    AutoField: int,
    IntegerField: int,
    ForeignKeyField: int,
    CharField: str,
    TextField: str,
}

#: Parameters per statement: within SQLite's oldest limit (999).
_MAX_PARAMS = 990
_INSERT_MANY_SQL: dict[tuple[str, tuple[str, ...], str, int], str] = {}


def run_cached(key: str, build: Callable[..., Any], *args: Any) -> Any:
    """Run the peewee query ``build(*args)`` but build its SQL text only once.

    For the look-ups and updates done for every order: peewee builds a statement's text
    anew on every call, which costs several times more than running it. ``build`` must use
    exactly ``args`` as the statement's parameters, in order; that is checked when the text
    is built, per ``key``, kind of database and number of arguments. Returns the cursor,
    whose rows are plain tuples (values as the driver returns them).
    """
    db = database.obj
    cache_key = (key, type(db), len(args))
    sql = _CACHED_SQL.get(cache_key)
    if sql is None:
        sql, params = build(*args).sql()
        if list(params) != list(args):
            raise AssertionError(f"run_cached({key!r}): parameters {params} are not {args}")
        _CACHED_SQL[cache_key] = sql
    return execute(sql, args)


_CACHED_SQL: dict[tuple[str, type, int], str] = {}
