"""Lean writes for the step's hot path.

Each step writes the same few rows; Django's ORM spends more time compiling those
statements than the database spends running them (see docs/performance.md). These
helpers build plain UPDATE/INSERT statements from the models' own metadata and adapt
every value with the field's own `get_db_prep_save`, so types, JSON and time zones are
handled exactly as the ORM would, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from types import TracebackType
from typing import Any, TypeVar

from django.db import connection, models

M = TypeVar("M", bound=models.Model)
# (attname, column, converters) for each selected column; column None for a non-field.
ConverterPlan = list[tuple[str, Any, list[Any]]]


@lru_cache(maxsize=64)
def _columns(model: type[models.Model], names: tuple[str, ...]) -> tuple[list[Any], str]:
    fields: list[Any] = [model._meta.get_field(name) for name in names]
    quoted = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    return fields, quoted


def update_row(instance: models.Model, names: Sequence[str]) -> None:
    """UPDATE one row's columns from the instance's current attribute values."""
    model = type(instance)
    fields, _ = _columns(model, tuple(names))
    sets = ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in fields)
    params = [f.get_db_prep_save(getattr(instance, f.attname), connection) for f in fields]
    params.append(instance.pk)
    table = connection.ops.quote_name(model._meta.db_table)
    pk_field = model._meta.pk
    assert pk_field is not None and pk_field.column is not None  # every model has a pk column
    pk = connection.ops.quote_name(pk_field.column)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {sets} WHERE {pk} = %s", params)  # noqa: S608


def insert_rows(model: type[models.Model], objs: Iterable[models.Model], names: Sequence[str]) -> None:
    """INSERT many rows in one statement. Primary keys are not read back."""
    objs = list(objs)
    if not objs:
        return
    fields, quoted = _columns(model, tuple(names))
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    params: list[Any] = []
    for obj in objs:
        params.extend(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    sql = f"INSERT INTO {table} ({quoted}) VALUES " + ", ".join([row] * len(objs))  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


class pipeline:
    """Send the enclosed writes to PostgreSQL in one round trip (psycopg 3 pipeline mode).

    Only for statements whose results are not read inside the block. Elsewhere (SQLite,
    which has no round trips) it does nothing. Errors surface when the block ends, as
    Django's database exceptions.
    """

    _pipeline: Any
    _errors: Any

    def __enter__(self) -> pipeline:
        self._pipeline = None
        if connection.vendor == "postgresql":
            connection.ensure_connection()
            self._errors = connection.wrap_database_errors
            self._errors.__enter__()
            self._pipeline = connection.connection.pipeline()
            self._pipeline.__enter__()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> bool:
        if self._pipeline is None:
            return False
        try:
            self._pipeline.__exit__(exc_type, exc, tb)
        except BaseException as error:
            return bool(self._errors.__exit__(type(error), error, error.__traceback__))
        return bool(self._errors.__exit__(exc_type, exc, tb))


def _row_converters(model: type[models.Model], columns: tuple[str, ...]) -> ConverterPlan:
    """(attname, col, converters) per selected column, exactly as the ORM's compiler
    builds them; cached on the connection (converters are bound to it)."""
    cache: dict[tuple[type[models.Model], tuple[str, ...]], ConverterPlan] = (
        connection.__dict__.setdefault("_engine_converters", {}))
    key = (model, columns)
    if key not in cache:
        by_column = {f.column: f for f in model._meta.concrete_fields}
        table = model._meta.db_table
        plan: ConverterPlan = []
        for name in columns:
            field = by_column.get(name)
            if field is None:
                plan.append((name, None, []))
                continue
            col = field.get_col(table)
            plan.append((field.attname, col,
                         connection.ops.get_db_converters(col) + col.get_db_converters(connection)))
        cache[key] = plan
    return cache[key]


def rows_to_models(model: type[M], cursor: Any) -> list[M]:
    """Build model instances from a cursor's rows; columns that are not fields of the
    model (e.g. joined values) are set as plain attributes."""
    rows = cursor.fetchall()  # first: in pipeline mode this is what receives the result
    if not rows:
        return []
    columns = tuple(d[0] for d in cursor.description)
    plan = _row_converters(model, columns)
    # from_db() expects values in the model's field order, whatever the table's order.
    field_names = [f.attname for f in model._meta.concrete_fields]
    result = []
    for row in rows:
        by_name: dict[str, Any] = {}
        extras: dict[str, Any] = {}
        for (attname, col, converters), value in zip(plan, row, strict=True):
            if col is None:
                extras[attname] = value
                continue
            for converter in converters:
                value = converter(value, col, connection)
            by_name[attname] = value
        obj = model.from_db(connection.alias, field_names, [by_name[n] for n in field_names])
        obj.__dict__.update(extras)
        result.append(obj)
    return result
