"""Fast writes of many rows: COPY on PostgreSQL, executemany elsewhere (imports); new model
instances in one JSON document; many rows' fields in one UPDATE.

Django's ``bulk_create`` builds one model instance and prepares every value
field by field; for 100,000 rows that costs more than parsing and validating
the file. Imports validate first (rules, scope) and then hand plain tuples to
:func:`insert_rows`, which prepares only the columns that need it. A batch of model
instances that needs its ids back goes through :func:`create`.
"""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
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


#: Column types :func:`create` sends through ``jsonb_to_recordset`` (what JSON carries and
#: PostgreSQL reads back exactly); a model with another falls back to ``bulk_create``.
_RECORDSET_TYPES = {"AutoField", "BigAutoField", "SmallAutoField", "BigIntegerField",
                    "IntegerField", "SmallIntegerField", "PositiveBigIntegerField",
                    "PositiveIntegerField", "PositiveSmallIntegerField", "BooleanField",
                    "CharField", "TextField", "SlugField", "EmailField", "URLField",
                    "DateTimeField", "DateField", "DecimalField", "FloatField", "UUIDField",
                    "GenericIPAddressField", "ForeignKey", "OneToOneField", "JSONField"}
_PLAIN = (str, int, float, bool, type(None))


def _json_default(value):
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()  # full precision and the offset, read back exactly
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not sent by bulk.create")


def _recordset_fields(model: type[models.Model]):
    """The concrete fields :func:`create` inserts, or None when it does not cover the model."""
    from posko.core import constants

    meta = model._meta
    if constants.is_watched(model) or not meta.pk.get_internal_type().endswith("AutoField"):
        return None
    fields = [f for f in meta.concrete_fields if f is not meta.pk]
    for field in fields:
        if (field.get_internal_type() not in _RECORDSET_TYPES or field.generated
                or hasattr(field, "get_placeholder")
                or (isinstance(field, models.JSONField) and field.encoder is not None)):
            return None
    return fields


def create(objs: Sequence[models.Model]) -> None:
    """Insert new instances of one model and give each its id, like ``bulk_create`` (no
    signals, ``auto_now``/``auto_now_add`` applied). PostgreSQL: the rows travel as one JSON
    document (encoded in C) that ``jsonb_to_recordset`` unpacks into typed columns, one
    statement. ``bulk_create`` prepares every value field by field and psycopg escapes each
    element of its UNNEST arrays in Python: about a third of the C.Hasil inbox job, whose
    audit snapshots are JSON full of quotes (0.44–0.67 → 0.19–0.31 ms per row here). Values inside a JSONField pass the same encoder
    (a datetime becomes ISO text). Elsewhere, for an object that has an id already, or a
    model whose fields this does not cover, ``bulk_create``."""
    if not objs:
        return
    model = type(objs[0])
    fields = _recordset_fields(model) if connection.vendor == "postgresql" else None
    if fields is None or any(obj.pk is not None for obj in objs):
        model._default_manager.bulk_create(objs)
        return
    rows = []
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
        row = {}
        for field in fields:
            value = field.pre_save(obj, True)  # sets auto_now(_add) on the object too
            if hasattr(value, "as_sql"):  # an expression (db_default…): Django compiles it
                model._default_manager.bulk_create(objs)
                return
            if not isinstance(value, _PLAIN) and not isinstance(field, models.JSONField):
                value = field.get_db_prep_save(value, connection)
            row[field.column] = value
        rows.append(row)
    quote = connection.ops.quote_name
    names = ", ".join(quote(f.column) for f in fields)
    types = ", ".join(f"{quote(f.column)} {_recordset_type(f)}" for f in fields)
    document = json.dumps(rows, default=_json_default, ensure_ascii=False,
                          separators=(",", ":"))
    with connection.cursor() as cursor:
        # RETURNING gives the ids in the rows' order, as Django's bulk_create relies on.
        cursor.execute(f"INSERT INTO {quote(model._meta.db_table)} ({names}) SELECT {names} "
                       f"FROM jsonb_to_recordset(%s::jsonb) AS r({types}) "
                       f"RETURNING {quote(model._meta.pk.column)}", [document])
        ids = cursor.fetchall()
    for obj, (pk,) in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias


def _recordset_type(field: models.Field) -> str:
    """The column's type without a length or precision (the column checks those: an
    over-long value is refused, as with any INSERT)."""
    if field.is_relation:
        field = field.target_field
    return field.rel_db_type(connection) if field.get_internal_type().endswith("AutoField") \
        else field.db_type(connection).split("(")[0]


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
