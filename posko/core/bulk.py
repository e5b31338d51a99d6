"""Fast inserts of many rows for imports: COPY on PostgreSQL, executemany elsewhere.

Django's ``bulk_create`` builds one model instance and prepares every value
field by field; for 100,000 rows that costs more than parsing and validating
the file. Imports validate first (rules, scope) and then hand plain tuples to
:func:`insert_rows`, which prepares only the columns that need it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from django.db import connection, models
from psycopg.copy import QueuedLibpqWriter


def _preparer(field: models.Field):
    if isinstance(field, models.JSONField):
        return lambda value: None if value is None else json.dumps(value, ensure_ascii=False)
    if connection.vendor == "postgresql":
        return None  # psycopg adapts Decimal, bool, datetime and the rest itself
    if isinstance(field, models.DateTimeField | models.DateField):
        # An import stamps every row with the same time: prepare each distinct value once.
        cache: dict = {}

        def prepare(value):
            if value not in cache:
                cache[value] = field.get_db_prep_save(value, connection)
            return cache[value]

        return prepare
    return None  # Django's SQLite backend adapts Decimal itself


def insert_rows(model: type[models.Model], fields: Sequence[str],
                rows: Iterable[Sequence], *, batch_size: int = 5000) -> int:
    """Insert ``rows`` (value tuples in the order of ``fields``, attnames) into the model's table.

    Runs inside the caller's transaction; returns the number of rows.
    """
    meta = model._meta
    by_attname = {f.attname: f for f in meta.concrete_fields}
    columns = [by_attname[name] for name in fields]
    prepare = [(i, p) for i, f in enumerate(columns) if (p := _preparer(f))]
    quoted = ", ".join(connection.ops.quote_name(f.column) for f in columns)
    table = connection.ops.quote_name(meta.db_table)
    count = 0

    def prepared():
        nonlocal count
        for row in rows:
            if prepare:
                row = list(row)
                for i, fn in prepare:
                    row[i] = fn(row[i])
            count += 1
            yield row

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The queued writer sends from a thread, so PostgreSQL works while Python prepares rows.
            raw = cursor.cursor
            with raw.copy(f"COPY {table} ({quoted}) FROM STDIN",
                          writer=QueuedLibpqWriter(raw)) as copy:
                for row in prepared():
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {table} ({quoted}) VALUES ({placeholders})"
            batch = []
            for row in prepared():
                batch.append(row)
                if len(batch) >= batch_size:
                    cursor.executemany(sql, batch)
                    batch.clear()
            if batch:
                cursor.executemany(sql, batch)
    return count



def update_rows(model: type[models.Model], fields: Sequence[str],
                rows: Sequence[Sequence]) -> None:
    """PostgreSQL: set ``fields`` (attnames) of many rows, each ``(pk, *values)``, in one
    ``UPDATE … FROM (VALUES …)`` (Django's ``bulk_update`` builds a CASE per row and field,
    costly to compile for a few hundred rows). Each value is cast to its column's type."""
    if rows:
        with connection.cursor() as cursor:
            cursor.execute(*update_rows_sql(model, fields, rows))


def update_rows_sql(model: type[models.Model], fields: Sequence[str],
                    rows: Sequence[Sequence]) -> tuple[str, list]:
    """:func:`update_rows`'s statement (``rows`` not empty), e.g. to send it with others."""
    meta = model._meta
    by_attname = {f.attname: f for f in meta.concrete_fields}
    columns = [meta.pk] + [by_attname[name] for name in fields]
    prepare = [(i, p) for i, f in enumerate(columns) if (p := _preparer(f))]
    casts = ", ".join(f"%s::{_cast_type(f)}" for f in columns)
    names = [f"c{i}" for i in range(len(columns))]
    quote = connection.ops.quote_name
    sets = ", ".join(f"{quote(f.column)} = v.{name}" for f, name in zip(columns[1:], names[1:],
                                                                          strict=True))
    params = []
    for row in rows:
        row = list(row)
        for i, fn in prepare:
            row[i] = fn(row[i])
        params += row
    return (f"UPDATE {quote(meta.db_table)} AS t SET {sets} FROM (VALUES "
            + ", ".join([f"({casts})"] * len(rows))
            + f") AS v({', '.join(names)}) WHERE t.{quote(meta.pk.column)} = v.c0", params)


def _cast_type(field: models.Field) -> str:
    """The column's type for a cast, without a varchar's length: an explicit cast to
    ``varchar(n)`` would cut a longer value silently, where the column refuses it."""
    db_type = field.db_type(connection)
    return "varchar" if db_type.startswith("varchar(") else db_type
