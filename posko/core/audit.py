"""Writing the audit log. Services call :func:`record` inside the same
transaction as the change, so a change and its audit row stand or fall together."""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Iterable, Sequence

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.db.models.fields.files import FieldFile

from posko.core import clock
from posko.core.bulk import insert_rows
from posko.core.context import client_ip_var, request_id_var
from posko.core.models import AuditEntry


def _json_value(value):
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, FieldFile):
        return value.name or ""
    return value


def snapshot(obj: models.Model) -> dict:
    """The object's concrete field values, JSON-ready (foreign keys as their pk)."""
    data = {}
    for field in obj._meta.concrete_fields:
        if isinstance(field, models.GeneratedField):
            continue
        value = getattr(obj, field.attname)
        data[field.attname.removesuffix("_id") if field.is_relation else field.name] = _json_value(value)
    secret = getattr(obj, "audit_exclude", ())
    for name in secret:
        data.pop(name, None)
    return data


def _scope_codes(obj) -> tuple[str, str]:
    if obj is None:
        return "", ""
    return (getattr(obj, "kecamatan_id", "") or "", getattr(obj, "kelurahan_id", "") or "")


def build(action: str, obj: models.Model | None = None, *, actor=None, before=None, after=None,
          message: str = "", object_repr: str | None = None) -> AuditEntry:
    kec, kel = _scope_codes(obj)
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return AuditEntry(
        user=user,
        username=(actor.get_username() if user else (getattr(actor, "username", "") or "")),
        action=action,
        content_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=(object_repr if object_repr is not None else (str(obj) if obj is not None else ""))[:200],
        before=before,
        after=after,
        message=message,
        request_id=request_id_var.get(),
        ip=client_ip_var.get(),
        kecamatan_code=kec,
        kelurahan_code=kel,
    )


AUDIT_FIELDS = ["timestamp", "user_id", "username", "action", "content_type_id", "object_id",
                "object_repr", "before", "after", "message", "request_id", "ip",
                "kecamatan_code", "kelurahan_code"]


def insert_many(model: type[models.Model], action: str, items: Iterable[tuple], *, actor,
                message: str = "") -> int:
    """Audit rows for many objects of one model at once (imports).

    ``items`` yields ``(object_id, object_repr, before, after, kecamatan_code, kelurahan_code)``.
    Written with :func:`posko.core.bulk.insert_rows` in the caller's transaction.
    """


    now = clock.now()
    user_id = actor.pk if actor is not None and getattr(actor, "is_authenticated", False) else None
    username = actor.get_username() if user_id else ""
    content_type_id = ContentType.objects.get_for_model(model).pk
    request_id, ip = request_id_var.get(), client_ip_var.get()
    rows = ((now, user_id, username, action, content_type_id, str(object_id), repr_[:200], before,
             after, message, request_id, ip, kec or "", kel or "")
            for object_id, repr_, before, after, kec, kel in items)
    return insert_rows(AuditEntry, AUDIT_FIELDS, rows)


def insert_select(model: type[models.Model], action: str, *, actor, message: str = "",
                  source: str, object_id: str, object_repr: str, after: str,
                  kecamatan: str, kelurahan: str, params: Sequence = ()) -> None:
    """Audit rows built by the database from rows it already holds (PostgreSQL): one
    ``INSERT … SELECT`` instead of a JSON document per row in Python, for imports of many
    thousand rows. ``source`` is ``FROM … WHERE …`` (with ``%s`` for ``params``); the other
    arguments are SQL expressions over it (``after`` a ``jsonb_build_object(...)``). The
    rows are the same as :func:`insert_many` would write."""

    user_id = actor.pk if actor is not None and getattr(actor, "is_authenticated", False) else None
    username = actor.get_username() if user_id else ""
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(AuditEntry._meta.get_field(name).column)
                        for name in AUDIT_FIELDS)
    sql = (f"INSERT INTO {table} ({columns}) "
           f"SELECT %s, %s, %s, %s, %s, {object_id}, left({object_repr}, 200), NULL, {after}, "
           f"%s, %s, %s, coalesce({kecamatan}, ''), coalesce({kelurahan}, '') {source}")
    with connection.cursor() as cursor:
        cursor.execute(sql, [clock.now(), user_id, username, action,
                             ContentType.objects.get_for_model(model).pk, message,
                             request_id_var.get(), client_ip_var.get(), *params])


def record(action: str, obj: models.Model | None = None, **kwargs) -> AuditEntry:
    entry = build(action, obj, **kwargs)
    entry.save()
    return entry


def history(obj: models.Model):
    """Audit entries about one object, newest first."""
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
    ).select_related("user")
