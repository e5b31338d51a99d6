"""Generic write functions: validate, save and audit in one transaction.
Domain services call these; views, the API and imports call domain services."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from posko.core import audit


class ConflictError(ValidationError):
    """Someone else saved the object after this edit began."""


def bump_version(obj, expected_version: int | None) -> None:
    """Optimistic lock for models with a ``version`` field: claim the next version, or
    raise ConflictError when the row moved on since ``expected_version`` was read."""
    if expected_version is None:
        expected_version = obj.version
    updated = type(obj)._default_manager.filter(pk=obj.pk, version=expected_version).update(
        version=F("version") + 1)
    if not updated:
        raise ConflictError(_(
            "Someone else saved this %(object)s while you were editing it. Your changes were "
            "not saved: reload the page to see theirs, then apply yours again."
        ) % {"object": type(obj)._meta.verbose_name})
    obj.version = expected_version + 1


@transaction.atomic
def create(obj, *, actor, message: str = ""):
    obj.full_clean()
    obj.save()
    audit.record("create", obj, actor=actor, after=audit.snapshot(obj), message=message)
    return obj


@transaction.atomic
def update(obj, *, actor, before: dict | None = None, message: str = "",
           expected_version: int | None = None):
    """Save ``obj``; ``before`` is its snapshot taken before the changes were applied.
    Models with a ``version`` field are saved only if nobody saved them in between."""
    if before is None:
        before = audit.snapshot(type(obj)._default_manager.get(pk=obj.pk))
    if hasattr(obj, "version"):
        bump_version(obj, expected_version if expected_version is not None else before.get("version"))
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
