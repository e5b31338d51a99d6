"""Field submissions carry an ``Idempotency-Key``: a phone on a weak signal that sends a
report again, because it never saw the answer, must not create a second one.

The client sends ``Idempotency-Key: <a new UUID>`` with each submission and the same key
again when it retries that submission. Per user and key (:class:`~posko.core.models.IdempotencyKey`):

* the first request runs; when it succeeds (2xx) its answer is stored **in the same
  transaction** as what it wrote — a server killed after the commit has both, one killed
  before it has neither;
* the same key with the same request again gets the stored answer (same status and body,
  header ``Idempotent-Replayed: true``) and writes nothing;
* the same key with another request (other body, files or URL) is refused with 422;
* the same key while the first is still being written gets 409 (PostgreSQL: the first
  transaction holds an advisory lock on the user and key, taken without waiting in the same
  statement that inserts the key's row before the work; SQLite runs one write at a time, so
  the second waits and then gets the stored answer);
* a request that failed (4xx, an error) stores nothing: a retry runs again;
* no header: 400 where the endpoint requires one, else it runs without the guarantee.

Keys are kept ``POSKO_IDEMPOTENCY_KEEP_DAYS`` (the hourly purge job deletes older ones), long
enough for an offline phone's outbox. Anonymous requests (the public report form) have no
user to scope a key to; it is ignored there.

Use it on a viewset's write method::

    @idempotent_submission(required=True)
    def create(self, request, *args, **kwargs): ...

A service called by such a view may open its transaction with :func:`atomic` instead of
``transaction.atomic()``: inside the submission it adds no savepoint (the submission's own
transaction rolls back everything on any error), elsewhere it is Django's usual ``atomic()``.
It may save a row nothing reads before the commit (an audit entry) with
:func:`save_with_answer`: on PostgreSQL that write travels in the answer's statement.
"""

from __future__ import annotations

import functools
import hashlib
import json
import uuid
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections, transaction
from django.db.models import Q, sql
from django.db.models.signals import post_save, pre_save
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from posko.core.models import IdempotencyKey

HEADER = "HTTP_IDEMPOTENCY_KEY"
REPLAYED = "Idempotent-Replayed"


def fingerprint(request) -> str:
    """SHA-256 of what makes a submission this submission: method, path, query, the
    parsed body (key order does not matter) and the bytes of every uploaded file."""
    digest = hashlib.sha256(f"{request.method} {request.get_full_path()}\n".encode())
    data = request.data
    if hasattr(data, "lists"):  # a form or multipart body: the fields, not the files
        payload = sorted((key, str(value)) for key, values in data.lists() for value in values
                         if not hasattr(value, "read"))
    else:
        payload = data
    digest.update(json.dumps(payload, sort_keys=True, default=str, separators=(",", ":")).encode())
    for name, files in sorted(request.FILES.lists()):
        for upload in files:
            digest.update(f"\n{name}:{upload.name}:{upload.size}\n".encode())
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)
    return digest.hexdigest()


def _problem(status: int, message: str) -> Response:
    return Response({"detail": message}, status=status)


def _replay(row: IdempotencyKey, print_: str) -> Response:
    if row.fingerprint != print_:
        return _problem(422, _(
            "This Idempotency-Key was already used for another submission. Use a new key for a "
            "new submission, and the same key only to send the same submission again."))
    response = Response(json.loads(row.response), status=row.status_code)
    response[REPLAYED] = "true"
    return response


def _stored(user, key):
    return IdempotencyKey.objects.filter(user=user, key=key).first()


class _Refused(Exception):
    """The view answered with an error: the transaction (and the claimed key) is rolled back."""

    def __init__(self, response):
        super().__init__(response.status_code)
        self.response = response


BUSY, TAKEN = "busy", "taken"
#: The first number of the PostgreSQL advisory lock per user and key (a namespace of its own).
LOCK_CLASS = 0x1D3


def _claim(user, key, endpoint: str, print_: str):
    """Claim the key in the current transaction with one statement, before the work: the
    key's row is inserted (its answer is filled in by :func:`_store`), and on PostgreSQL a
    transaction-level advisory lock on (user, key) is taken without waiting. Returns the new
    row's id; ``BUSY`` when another transaction holds the key (it is being written: 409);
    ``TAKEN`` when the key is already stored (replay). SQLite writes one transaction at a
    time: a twin waits for the first and then finds the key ``TAKEN``."""
    field = IdempotencyKey._meta.get_field("key")
    values = [user.pk, field.get_db_prep_value(key, connection), endpoint, print_, 0, "",
              IdempotencyKey._meta.get_field("created_at").get_db_prep_value(
                  timezone.now(), connection)]
    table = connection.ops.quote_name(IdempotencyKey._meta.db_table)
    columns = '"user_id", "key", "endpoint", "fingerprint", "status_code", "response", "created_at"'
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            lock = int.from_bytes(hashlib.blake2b(f"{user.pk}:{key}".encode(), digest_size=4)
                                  .digest(), "big", signed=True)
            cursor.execute(
                f"WITH lock AS (SELECT pg_try_advisory_xact_lock(%s, %s) AS got), "
                f"ins AS (INSERT INTO {table} ({columns}) SELECT %s, %s, %s, %s, %s, %s, %s "
                f"FROM lock WHERE got ON CONFLICT (\"user_id\", \"key\") DO NOTHING RETURNING id) "
                f"SELECT (SELECT got FROM lock), (SELECT id FROM ins)", [LOCK_CLASS, lock, *values])
            got, row_id = cursor.fetchone()
            if not got:
                return BUSY
        else:
            cursor.execute(f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s) "
                           f"ON CONFLICT (\"user_id\", \"key\") DO NOTHING RETURNING id", values)
            row = cursor.fetchone()
            row_id = row[0] if row else None
    return TAKEN if row_id is None else row_id


def atomic():
    """A service's transaction. Inside an idempotent submission's work it opens no savepoint
    of its own (2 round trips fewer): nothing there catches an error and goes on — any
    exception leaves :func:`idempotent`'s transaction, which rolls back everything, the
    key's row included. Elsewhere (a page, a test, a command) it is Django's ``atomic()``,
    a savepoint when nested, so a caller may catch the error and carry on. A block inside
    the service that catches an error (e.g. ``IntegrityError`` of a twin) keeps its own
    ``transaction.atomic()``."""
    return transaction.atomic(savepoint=not getattr(connection, "_posko_submission", False))


def _work(respond):
    """``respond()`` with the connection marked as inside a submission (see :func:`atomic`
    and :func:`save_with_answer`)."""
    connection._posko_submission, connection._posko_with_answer = True, []
    try:
        return respond()
    finally:
        connection._posko_submission = False


@contextmanager
def writes_together():
    """For work outside a request that writes like a field submission (the job processing
    the C.Hasil inbox): inside, :func:`save_with_answer` and :func:`send_with_answer` queue
    their writes and they go as **one** statement at the end (PostgreSQL; elsewhere they run
    at once), and :func:`atomic` adds no savepoint (the caller's own savepoint, if any,
    rolls back everything on an error — the queue is then dropped)."""
    if connection.vendor != "postgresql":
        yield
        return
    connection._posko_submission, connection._posko_with_answer = True, []
    try:
        yield
        queued, connection._posko_with_answer = connection._posko_with_answer, []
        if queued:
            ctes = ", ".join(f"w{i} AS ({text})" for i, (text, _params) in enumerate(queued))
            with connection.cursor() as cursor:
                cursor.execute(f"WITH {ctes} SELECT 1",
                               [p for _text, params in queued for p in params])
    finally:
        connection._posko_submission, connection._posko_with_answer = False, []


def save_with_answer(obj) -> None:
    """Save ``obj`` (insert it when it has no primary key, else update every field), or —
    inside a submission on PostgreSQL — queue its statement and send it **with the
    answer's UPDATE, in that one statement** (``WITH w0 AS (INSERT …) UPDATE …``): one
    round trip fewer per object, still before the commit and in the same transaction (a
    failure there rolls back everything). Only for a write that nothing reads before the
    commit and whose new id nobody needs (an inserted ``obj`` gets no ``pk``): an audit
    entry, a history row, a recomputed summary. A model with save signals is saved at once."""
    model = type(obj)
    if not _queuing() or pre_save.has_listeners(model) or post_save.has_listeners(model):
        obj.save()
        return
    send_with_answer(*_write_sql(obj))


def _queuing() -> bool:
    """Inside a submission on PostgreSQL: writes may travel with the answer."""
    return (getattr(connection, "_posko_submission", False) and connection.vendor == "postgresql"
            and getattr(connection, "_posko_with_answer", None) is not None)


def send_with_answer(text: str, params) -> bool:
    """Queue one write statement (SQL ``text`` with its ``params``) to travel with the
    answer's UPDATE, as :func:`save_with_answer` does for a model instance; the same rule:
    a write nothing reads before the commit. Returns False, queuing nothing, outside a
    submission on PostgreSQL: the caller then runs the statement itself."""
    if not _queuing():
        return False
    connection._posko_with_answer.append((text, list(params)))
    return True


#: An INSERT's SQL per model and database vendor: its text depends on the model only, as
#: long as no value is an expression (Django's compilation is ~0.1 ms per insert).
_INSERTS: dict[tuple, str] = {}


def _write_sql(obj) -> tuple[str, list]:
    """The INSERT (no pk yet) or UPDATE (every field) that ``obj.save()`` would send."""
    meta = obj._meta
    fields = [f for f in meta.local_concrete_fields if not f.generated]
    if obj.pk is None:
        fields = [f for f in fields if f is not meta.auto_field]
        # As SQLInsertCompiler prepares each value: pre_save (adding), then for saving.
        values = [f.pre_save(obj, True) for f in fields]
        key = (type(obj), connection.vendor)
        text = _INSERTS.get(key)
        plain = not any(hasattr(value, "resolve_expression") for value in values)
        if text is None or not plain:
            query = sql.InsertQuery(type(obj))
            query.insert_values(fields, [obj])
            [(text, params)] = query.get_compiler(connection.alias).as_sql()
            if plain:
                _INSERTS[key] = text
            return text, list(params)
        db = connections[DEFAULT_DB_ALIAS]  # not the proxy: one lookup, not one per field
        return text, [f.get_db_prep_save(value, connection=db)
                      for f, value in zip(fields, values, strict=True)]
    return update_sql(obj)


#: An UPDATE's SQL per model, condition, database vendor and which values are NULL (Django
#: writes ``= NULL`` into the text).
_UPDATES: dict[tuple, str] = {}


def update_sql(obj, **where) -> tuple[str, list]:
    """The UPDATE of every field of ``obj`` (saved) where its pk and ``where`` (exact
    values of fields) still hold: the SQL ``obj.save()`` would send, its text compiled
    once per shape."""
    meta, db = obj._meta, connections[DEFAULT_DB_ALIAS]  # not the proxy: one lookup
    fields = [f for f in meta.local_concrete_fields if not f.generated and not f.primary_key]
    saved = [f.pre_save(obj, False) for f in fields]
    values = saved
    plain = not any(hasattr(v, "resolve_expression") or hasattr(v, "prepare_database_save")
                    for v in saved)
    if plain:  # as SQLUpdateCompiler prepares each value
        values = [f.get_db_prep_save(v, connection=db) for f, v in zip(fields, saved, strict=True)]
        plain = not any(hasattr(v, "as_sql") for v in values)
    conditions = sorted({"pk": obj.pk, **where}.items())  # as Q orders its keyword arguments
    plain = plain and all(value is not None for _name, value in conditions)  # IS NULL
    key = (type(obj), tuple(name for name, _v in conditions), db.vendor,
           tuple(v is None for v in values))
    text = _UPDATES.get(key) if plain else None
    if text is None:
        query = sql.UpdateQuery(type(obj))
        query.add_update_fields([(f, None, v) for f, v in zip(fields, saved, strict=True)])
        query.add_q(Q(**dict(conditions)))
        text, params = query.get_compiler(db.alias).as_sql()
        if plain:
            _UPDATES[key] = text
        return text, list(params)
    where_values = [(meta.pk if name == "pk" else meta.get_field(name)).get_db_prep_value(
        value, db, prepared=False) for name, value in conditions]
    return text, [v for v in values if v is not None] + where_values


def _store(row_id: int, response) -> None:
    """The answer, in the same transaction as what the view wrote, with the writes queued
    by :func:`save_with_answer` in the same statement."""
    queued, connection._posko_with_answer = getattr(connection, "_posko_with_answer", []), []
    answer = [response.status_code, json.dumps(response.data, cls=JSONEncoder), row_id]
    if not queued:
        IdempotencyKey.objects.filter(pk=row_id).update(status_code=answer[0],
                                                        response=answer[1])
        return
    table = connection.ops.quote_name(IdempotencyKey._meta.db_table)
    ctes = ", ".join(f"w{i} AS ({text})" for i, (text, _params) in enumerate(queued))
    with connection.cursor() as cursor:
        cursor.execute(f'WITH {ctes} UPDATE {table} SET "status_code" = %s, "response" = %s '
                       f'WHERE "id" = %s', [p for _text, params in queued for p in params] + answer)


def _busy() -> Response:
    return _problem(409, _("A submission with this Idempotency-Key is still being "
                           "processed. Try again in a moment."))


def _key(request, required: bool):
    """The request's Idempotency-Key as a UUID; None when it sent none and none is
    ``required``; a 400 Response when it is missing or not a UUID."""
    raw = request.META.get(HEADER)
    if raw is None or not raw.strip():
        if required:
            return _problem(400, _(
                "Send an Idempotency-Key header with a new UUID for each submission (and the "
                "same one again when you retry it)."))
        return None
    try:
        return uuid.UUID(raw.strip())
    except ValueError:
        return _problem(400, _("The Idempotency-Key header must be a UUID, for example "
                               "3f2b8c1e-5d4a-4c9b-9e7f-2a6d8b0c1e4f."))


def idempotent(request, respond, *, required: bool = True):
    """Run ``respond()`` (the view's work, returning a DRF Response) at most once per user
    and Idempotency-Key (see the module's docstring). Round trips on the way to a 201:
    BEGIN, the claim (lock + key row, one statement), the view's own, the answer's UPDATE,
    COMMIT; no lookup before, no savepoint around the view (nor in the services that use
    :func:`atomic`)."""
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return respond()
    key = _key(request, required)
    if key is None:
        return respond()
    if isinstance(key, Response):
        return key
    print_ = fingerprint(request)
    try:
        with transaction.atomic():
            claim = _claim(user, key, f"{request.method} {request.path}"[:200], print_)
            if claim in (BUSY, TAKEN):
                response = None
            else:
                response = _work(respond)
                if not 200 <= response.status_code < 300:
                    raise _Refused(response)  # nothing kept, the key neither: a retry runs again
                _store(claim, response)
    except _Refused as refused:
        return refused.response
    except OperationalError as error:
        # SQLite: the twin held the database past the busy timeout (PostgreSQL never waits
        # for the key: the advisory lock is tried, not awaited).
        if connection.vendor != "sqlite" or "locked" not in str(error):
            raise
        return _busy()
    if claim == BUSY:
        return _busy()
    if claim == TAKEN:
        row = _stored(user, key)
        return _replay(row, print_) if row is not None else _busy()
    return response


def header_parameter(*, required: bool = True) -> OpenApiParameter:
    """The header in the OpenAPI schema."""
    return OpenApiParameter("Idempotency-Key", OpenApiTypes.UUID, OpenApiParameter.HEADER,
                            required=required,
                            description="A new UUID per submission; the same one when retrying it.")


def idempotent_submission(*, required: bool = True):
    """Decorator for a viewset's write method (``create`` or an action). A method that must
    answer 404 for an object outside the caller's scope before anything else calls
    :func:`idempotent` itself after that check."""

    def decorate(method):
        @extend_schema(parameters=[header_parameter(required=required)])
        @functools.wraps(method)
        def wrapper(self, request, *args, **kwargs):
            return idempotent(request, lambda: method(self, request, *args, **kwargs),
                              required=required)
        return wrapper

    return decorate


def purge_old_keys(now=None) -> int:
    """Delete keys older than ``POSKO_IDEMPOTENCY_KEEP_DAYS``; returns how many."""
    limit = (now or timezone.now()) - timedelta(days=settings.POSKO_IDEMPOTENCY_KEEP_DAYS)
    return IdempotencyKey.objects.filter(created_at__lt=limit).delete()[0]
