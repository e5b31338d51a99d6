"""Querysets compiled to SQL once per process, then run with other values.

A field submission spends about a fifth of its CPU in Django compiling the same two
lookups to SQL again (the API token, the TPS in the caller's scope). :class:`Prepared`
compiles a queryset once per shape and database, with stand-in values, and afterwards
only puts the request's values into the compiled parameters, runs the SQL and builds the
model instances — ``select_related`` included — the way Django's own iterator does::

    TOKEN = Prepared(lambda prefix: ApiToken.objects.select_related("user")
                     .filter(token_key=prefix).order_by())
    rows = TOKEN.run("abc123")            # a list of ApiToken, each with .user

``build(*values)`` must return a queryset whose compiled parameters contain each value
as given (plain ``str``/``int`` lookups; not ``__in`` or ``__contains``). The stand-ins
are values no request sends; compiling fails loudly if one appears more than once among
the parameters (a value a shape does not use may be absent). Queries whose SQL depends on
more than the values (a user's kind of scope, the Pemda) pass that as ``shape`` (sorted
``(name, value)`` items given to ``build`` as keyword arguments): one compiled query per
shape. A shape that can match nothing (Django's ``EmptyResultSet``) runs no SQL and gives
``[]``. Integers must fit in 64 bits (the caller refuses larger ones first).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from contextlib import contextmanager

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models.query import get_related_populators

#: Stand-ins: an integer no id reaches and a string no code contains (a NUL).
INT_BASE = -2_000_000_000
STR_BASE = "\x00posko-prepared-"


def stand_in(index: int, like: type) -> int | str:
    return INT_BASE - index if like is int else f"{STR_BASE}{index}"


class Prepared:
    def __init__(self, build: Callable, types: tuple[type, ...]):
        """``build(*values, **shape)``; ``types``: each value's type (``int`` or ``str``)."""
        self.build, self.types = build, types
        self._compiled: dict = {}

    def _compile(self, alias: str, shape: dict):
        stand_ins = [stand_in(i, like) for i, like in enumerate(self.types)]
        queryset = self.build(*stand_ins, **shape).using(alias)
        compiler = queryset.query.get_compiler(using=alias)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            return None
        params = list(params)
        slots = []
        for index, value in enumerate(stand_ins):
            found = [i for i, param in enumerate(params) if param == value]
            if len(found) > 1:
                raise ValueError(f"value {index} appears {len(found)} times in {sql!r}")
            slots.append(found[0] if found else None)
        select, klass_info = compiler.select, compiler.klass_info
        fields = klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        return {
            "sql": sql, "params": params, "slots": slots, "model": klass_info["model"],
            "start": start, "end": end, "compiler": compiler,
            "init_list": [f[0].target.attname for f in select[start:end]],
            "populators": get_related_populators(klass_info, select, alias),
            "converters": compiler.get_converters([f[0] for f in select]),
        }

    def run(self, *values, shape: Hashable = (), using: str = DEFAULT_DB_ALIAS) -> list:
        """The queryset's model instances for ``values`` (``shape``: a dict of keyword
        arguments to ``build`` given as sorted items, or ``()``)."""
        connection = connections[using]
        key = (using, connection.vendor, shape)
        if key not in self._compiled:
            self._compiled[key] = self._compile(using, dict(shape))
        entry = self._compiled[key]
        if entry is None:
            return []
        params = list(entry["params"])
        for slot, value in zip(entry["slots"], values, strict=True):
            if slot is not None:
                params[slot] = value
        with bound_cursor(using) as cursor:
            cursor.execute(entry["sql"], params)
            rows = cursor.fetchall()
        if entry["converters"]:
            rows = entry["compiler"].apply_converters(rows, entry["converters"])
        model, start, end = entry["model"], entry["start"], entry["end"]
        objects = []
        for row in rows:
            obj = model.from_db(using, entry["init_list"], row[start:end])
            for populator in entry["populators"]:
                populator.populate(row, obj)
            objects.append(obj)
        return objects


@contextmanager
def bound_cursor(using: str = DEFAULT_DB_ALIAS):
    """A cursor whose statements PostgreSQL parses and plans once per connection.

    Django sends every statement with its values written into the text (client-side
    binding), so PostgreSQL parses and plans it again each time. On this cursor the values
    travel apart from the text and each statement is prepared on first use (psycopg keeps
    the last 100 per connection): for the hot path's few fixed shapes, about half of
    PostgreSQL's work per submission (measured: 1.3 → 0.7 ms of its CPU for a report). Strings go untyped, as the quoted literals of Django's
    own SQL do, so PostgreSQL types them from where they are used. Django's wrapper stays
    around the cursor: its errors, execute wrappers and logged queries (with the values
    written in). Other databases: Django's own cursor.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            yield cursor
        return
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:  # Django's default: prepare nothing
        raw.prepare_threshold = 0  # Django's own cursors bind on the client: never prepared
    connection.validate_thread_sharing()
    wrapper = _Logged if connection.queries_logged else CursorWrapper
    with wrapper(ServerBindingCursor(raw), connection) as wrapped:
        yield wrapped


class _Logged(CursorDebugWrapper):
    """Logs the statement with its values written in, as Django's own cursor does (the
    bound cursor has no such text to show)."""

    def execute(self, sql, params=None):
        with self.debug_sql(self.db.ops.compose_sql(sql, params) if params else sql):
            return CursorWrapper.execute(self, sql, params)
