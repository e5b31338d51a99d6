"""Field submissions written in **one statement**, their Idempotency-Key's answer included.

:func:`~posko.core.idempotency.idempotent` runs a view's work inside a transaction: BEGIN,
the key's claim, the work's statements, the answer, COMMIT. A submission whose answer is
known *before* anything is written — it records what was sent (the C.Hasil inbox), or it
changes one row read with an optimistic version (a TPS report) — needs none of that:
:func:`submit_once` sends the key's claim, its stored answer and the submission's rows as
one PostgreSQL statement in autocommit, all or nothing::

    return submit_once(request, lambda: Once(response, [row, audit_entry]), fallback=slow)

``prepare()`` validates the request and returns

* an error Response, or raises (validation, permission): nothing is written — but when
  the key is already stored (a replay of an accepted submission that would now be
  refused) the stored answer is replayed instead;
* ``None``: this request needs the general path: ``fallback()`` answers it;
* :class:`Once`: ``response`` (its status and body are stored with the key), ``writes``
  (unsaved model instances, inserted), and optionally ``guard``: an ``UPDATE … WHERE
  version = <read>`` as ``(sql, params)`` that must change exactly one row. When it
  changes none (the row moved on since it was read) the statement fails on purpose (a
  division by zero in its last part, so PostgreSQL rolls back the key's row with the rest)
  and ``fallback()`` answers instead, re-reading under a lock.

The rules of ``idempotent`` hold: the same key and request again get the stored answer,
another request under the key 422, a twin still being written 409 (a transaction-level
advisory lock tried, not awaited), no key 400 where ``required``. SQLite (one writer at a
time) gets one transaction with the same outcome; a ``guard`` there goes to ``fallback()``.
"""

from __future__ import annotations

import hashlib
import json
from contextlib import nullcontext
from dataclasses import dataclass, field

from django.db import DataError, connection, transaction
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from posko.core import clock
from posko.core.idempotency import (
    BUSY,
    LOCK_CLASS,
    TAKEN,
    _busy,
    _key,
    _replay,
    _stored,
    _write_sql,
    fingerprint,
)
from posko.core.models import IdempotencyKey
from posko.core.prepared import bound_cursor


@dataclass
class Once:
    response: Response
    writes: list = field(default_factory=list)
    guard: tuple[str, list] | None = None


class _Moved(Exception):
    """The guarded row changed since it was read: nothing was written."""


def submit_once(request, prepare, *, required: bool = True, fallback=None):
    """See the module's docstring."""
    user = getattr(request, "user", None)
    key = _key(request, required) if getattr(user, "is_authenticated", False) else None
    if isinstance(key, Response):
        return key
    print_ = fingerprint(request) if key is not None else ""
    try:
        prepared = prepare()
    except Exception:
        if key is None or (row := _stored(user, key)) is None:
            raise
        return _replay(row, print_)  # accepted before; refused only now
    if isinstance(prepared, Response):
        if key is not None and (row := _stored(user, key)) is not None:
            return _replay(row, print_)
        return prepared
    if prepared is None or (prepared.guard is not None and (
            key is None or connection.vendor != "postgresql")):
        return fallback()
    if key is None:
        with transaction.atomic():
            for obj in prepared.writes:
                obj.save()
        return prepared.response
    answer = (prepared.response.status_code,
              json.dumps(prepared.response.data, cls=JSONEncoder))
    endpoint = f"{request.method} {request.path}"[:200]
    try:
        claim = _write(user, key, endpoint, print_, answer, prepared)
    except _Moved:
        return fallback()
    if claim == BUSY:
        return _busy()
    if claim == TAKEN:
        row = _stored(user, key)
        return _replay(row, print_) if row is not None else _busy()
    return prepared.response


def _key_values(user, key, endpoint, print_, answer) -> list:
    return [user.pk, IdempotencyKey._meta.get_field("key").get_db_prep_value(key, connection),
            endpoint, print_, *answer,
            IdempotencyKey._meta.get_field("created_at").get_db_prep_value(clock.real_now(),
                                                                           connection)]


COLUMNS = '"user_id", "key", "endpoint", "fingerprint", "status_code", "response", "created_at"'


def _insert_from(obj, source: str) -> tuple[str, list]:
    """``obj``'s INSERT … VALUES (…) as INSERT … SELECT … FROM ``source``."""
    text, params = _write_sql(obj)
    head, _sep, tail = text.partition(" VALUES (")
    if not tail.endswith(")"):
        raise ValueError(f"cannot send {text!r} in one statement")
    return f"{head} SELECT {tail[:-1]} FROM {source}", params


def _write(user, key, endpoint, print_, answer, once: Once):
    values = _key_values(user, key, endpoint, print_, answer)
    table = connection.ops.quote_name(IdempotencyKey._meta.db_table)
    if connection.vendor != "postgresql":
        with transaction.atomic(savepoint=False), connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {table} ({COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, "
                           f"%s) ON CONFLICT (\"user_id\", \"key\") DO NOTHING RETURNING id",
                           values)
            row = cursor.fetchone()
            if row is None:
                return TAKEN
            for obj in once.writes:
                obj.save()
            return row[0]
    lock = int.from_bytes(hashlib.blake2b(f"{user.pk}:{key}".encode(), digest_size=4).digest(),
                          "big", signed=True)
    parts = [("lock AS (SELECT pg_try_advisory_xact_lock(%s, %s) AS got)", [LOCK_CLASS, lock]),
             (f"ins AS (INSERT INTO {table} ({COLUMNS}) SELECT %s, %s, %s, %s, %s, %s, %s FROM "
              f"lock WHERE got ON CONFLICT (\"user_id\", \"key\") DO NOTHING RETURNING id)",
              values)]
    source, check = "ins", "NULL"
    if once.guard is not None:
        text, params = once.guard
        parts.append((f"g AS ({text} AND EXISTS (SELECT 1 FROM ins) RETURNING 1)", params))
        source = "g"
        # The key was claimed but the row had moved on: fail, so the key's row goes too.
        # (Not a constant 1 / 0: PostgreSQL may fold that while planning, whatever the CASE.)
        check = "(SELECT CASE WHEN EXISTS (SELECT 1 FROM ins) THEN 1 / (SELECT count(*) FROM g) " \
                "END)"
    for index, obj in enumerate(once.writes):
        text, params = _insert_from(obj, source)
        parts.append((f"w{index} AS ({text})", params))
    statement = "WITH " + ", ".join(text for text, _params in parts) + \
        f" SELECT (SELECT got FROM lock), (SELECT id FROM ins), {check}"
    params = [p for _text, values in parts for p in values]
    try:
        # Inside a transaction (a test, a command) a failed statement would abort it.
        with transaction.atomic() if connection.in_atomic_block else nullcontext(), \
                bound_cursor() as cursor:
            cursor.execute(statement, params)
            got, row_id, _check = cursor.fetchone()
    except DataError as error:
        if once.guard is None or "division by zero" not in str(error):
            raise
        raise _Moved from None
    if not got:
        return BUSY
    return TAKEN if row_id is None else row_id

