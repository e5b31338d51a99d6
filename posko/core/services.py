"""Generic write functions: validate, save and audit in one transaction.
Domain services call these; views, the API and imports call domain services."""

from __future__ import annotations

from django.db import transaction

from posko.core import audit


@transaction.atomic
def create(obj, *, actor, message: str = ""):
    obj.full_clean()
    obj.save()
    audit.record("create", obj, actor=actor, after=audit.snapshot(obj), message=message)
    return obj


@transaction.atomic
def update(obj, *, actor, before: dict | None = None, message: str = ""):
    """Save ``obj``; ``before`` is its snapshot taken before the changes were applied."""
    if before is None:
        before = audit.snapshot(type(obj)._default_manager.get(pk=obj.pk))
    obj.full_clean()
    obj.save()
    after = audit.snapshot(obj)
    if after != before:
        audit.record("update", obj, actor=actor, before=before, after=after, message=message)
    return obj


@transaction.atomic
def delete(obj, *, actor, message: str = ""):
    before = audit.snapshot(obj)
    entry = audit.build("delete", obj, actor=actor, before=before, message=message)
    obj.delete()
    entry.save()
