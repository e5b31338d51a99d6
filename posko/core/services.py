"""Generic write functions: validate, save and audit in one transaction.
Domain services call these; views, the API and imports call domain services."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from posko.core import audit


class ConflictError(ValidationError):
    """Someone else saved the object after this edit began (a 409 on pages and in the API).

    ``current_version`` is the version now stored, when known: the API returns it so that a
    client can reload and apply its change again."""

    def __init__(self, message, code=None, params=None, *, current_version: int | None = None):
        super().__init__(message, code=code, params=params)
        self.current_version = current_version


def raise_problems(problems) -> None:
    """Raise one ValidationError for a rule function's problems, or do nothing if none.

    ``problems`` is a list of ``(field, message)`` pairs (``field`` None or "" for the
    whole object) or a dict ``field -> [messages]``."""
    if not problems:
        return
    if isinstance(problems, dict):
        raise ValidationError({field or "__all__": list(messages) if isinstance(messages, (list, tuple))
                               else [messages] for field, messages in problems.items()})
    errors: dict[str, list] = {}
    for field, message in problems:
        errors.setdefault(field or "__all__", []).append(message)
    raise ValidationError(errors)


def _field_label(obj, name: str) -> str | None:
    """The field's name for people; None for what nobody edits (the version, timestamps)."""
    try:
        field = type(obj)._meta.get_field(name)
    except FieldDoesNotExist:  # a snapshot key that is not a field
        return name
    if name == "version" or getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return None
    return str(getattr(field, "verbose_name", name))


def last_change(obj) -> str:
    """"Budi Santoso at 14.05 (changed: status, due)": the latest saved change of ``obj``,
    read from the audit log, for the message that refuses a stale save."""
    entry = audit.history(obj).order_by("-timestamp", "-pk").first()
    if entry is None:
        return ""
    who = ((entry.user.get_full_name() or entry.user.get_username()) if entry.user
           else entry.username or _("the system"))
    when = timezone.localtime(entry.timestamp).strftime("%d-%m-%Y %H.%M")
    before, after = entry.before or {}, entry.after or {}
    labels = [_field_label(obj, key) for key in sorted(set(before) | set(after))
              if before.get(key) != after.get(key)]
    fields = [label for label in labels if label]
    if fields:
        return _("%(who)s at %(when)s (changed: %(fields)s)") % {
            "who": who, "when": when, "fields": ", ".join(fields)}
    return _("%(who)s at %(when)s") % {"who": who, "when": when}


def retry_on_collision(write: Callable, collided: Callable[[], bool], attempts: int = 3):
    """Run ``write()`` in one transaction. A row with a random unique key (a tracking code)
    is inserted without asking first whether the key is taken, which would cost a query on
    every insert: the database's unique constraint refuses the rare collision, the
    transaction rolls back and, when ``collided()`` confirms it was the key, ``write()`` runs
    again (drawing a new key). Any other integrity error is raised as it is."""
    for attempt in range(attempts):
        try:
            with transaction.atomic():
                return write()
        except IntegrityError:
            if attempt == attempts - 1 or not collided():
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def bump_version(obj, expected_version: int | None, *, locked: bool = False) -> None:
    """Optimistic lock for models with a ``version`` field: claim the next version, or
    raise ConflictError when the row moved on since ``expected_version`` was read."""
    if expected_version is None:
        expected_version = obj.version
    if locked:  # the caller read ``obj`` with select_for_update(): its version is current
        updated = obj.version == expected_version
    else:
        updated = type(obj)._default_manager.filter(pk=obj.pk, version=expected_version).update(
            version=F("version") + 1)
    if not updated:
        current = obj.version if locked else type(obj)._default_manager.filter(
            pk=obj.pk).values_list("version", flat=True).first()
        change = last_change(obj)
        if change:
            message = _(
                "Someone else saved this %(object)s while you were editing it: %(change)s. Your "
                "changes were not saved: reload the page to see theirs, then apply yours again."
            ) % {"object": type(obj)._meta.verbose_name, "change": change}
        else:
            message = _(
                "Someone else saved this %(object)s while you were editing it. Your changes were "
                "not saved: reload the page to see theirs, then apply yours again."
            ) % {"object": type(obj)._meta.verbose_name}
        raise ConflictError(message, current_version=current)
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
