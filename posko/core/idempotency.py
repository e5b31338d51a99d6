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
* the same key while the first is still being written gets 409 (PostgreSQL: the key's
  row is locked by the first transaction; SQLite runs one write at a time, so the second
  waits and then gets the stored answer);
* a request that failed (4xx, an error) stores nothing: a retry runs again;
* no header: 400 where the endpoint requires one, else it runs without the guarantee.

Keys are kept ``POSKO_IDEMPOTENCY_KEEP_DAYS`` (the hourly purge job deletes older ones), long
enough for an offline phone's outbox. Anonymous requests (the public report form) have no
user to scope a key to; it is ignored there.

Use it on a viewset's write method::

    @idempotent_submission(required=True)
    def create(self, request, *args, **kwargs): ...
"""

from __future__ import annotations

import functools
import hashlib
import json
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from posko.core.models import IdempotencyKey

HEADER = "HTTP_IDEMPOTENCY_KEY"
REPLAYED = "Idempotent-Replayed"
LOCK_NOT_AVAILABLE = "55P03"


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


def _lock_timeout() -> None:
    """PostgreSQL: do not wait for another transaction holding the same key (it is the
    first request, still being written): fail at once with 55P03, answered 409."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '200ms'")


def idempotent(request, respond, *, required: bool = True):
    """Run ``respond()`` (the view's work, returning a DRF Response) at most once per user
    and Idempotency-Key (see the module's docstring)."""
    raw = request.META.get(HEADER)
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return respond()
    if raw is None or not raw.strip():
        if required:
            return _problem(400, _(
                "Send an Idempotency-Key header with a new UUID for each submission (and the "
                "same one again when you retry it)."))
        return respond()
    try:
        key = uuid.UUID(raw.strip())
    except ValueError:
        return _problem(400, _("The Idempotency-Key header must be a UUID, for example "
                               "3f2b8c1e-5d4a-4c9b-9e7f-2a6d8b0c1e4f."))
    print_ = fingerprint(request)
    row = _stored(user, key)
    if row is not None:
        return _replay(row, print_)
    try:
        with transaction.atomic():
            response = respond()
            if 200 <= response.status_code < 300:
                _lock_timeout()
                IdempotencyKey.objects.create(
                    user=user, key=key, endpoint=f"{request.method} {request.path}"[:200],
                    fingerprint=print_, status_code=response.status_code,
                    response=json.dumps(response.data, cls=JSONEncoder))
    except IntegrityError:
        row = _stored(user, key)
        if row is None:
            raise  # not the key: the view's own error
        return _replay(row, print_)  # a twin finished first: its answer, nothing written here
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise
        return _problem(409, _("A submission with this Idempotency-Key is still being "
                               "processed. Try again in a moment."))
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
