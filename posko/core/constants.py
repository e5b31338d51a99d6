"""Rows that almost never change yet are read on nearly every request, kept per process.

The active election, an election's stages, the incident categories, the per-election
settings of a module, the Pemda: asking the database for them on every API write costs a
round trip each, which election night cannot afford. A module caches such a value with::

    from posko.core import constants

    constants.watch(Category)                       # once, in AppConfig.ready()
    categories = constants.get(("incidents.categories",), load_categories)

``get(key, load)`` returns what ``load()`` returned the first time in this process (model
instances are handed out as copies, so a caller may change its copy freely).

Invalidation, correct across processes and machines:

* Saving or deleting a row of a watched model (also through ``QuerySet.update()``,
  ``bulk_create()``, ``bulk_update()`` and cascades) bumps a shared counter in the same
  transaction (``core.CacheGeneration``) and empties this process's cache when the
  transaction commits. Until then, the writing thread reads past the cache (it sees its own
  uncommitted rows, which must not be cached: the transaction may still roll back).
* Every process compares its counter with the shared one at most every
  ``POSKO_CONSTANTS_CHECK_SECONDS`` (default 2 s): one cheap query per process and interval,
  instead of one per request and constant. Another web or worker process therefore sees a
  change within that interval; the process that made it sees it at once.
* A value loaded while the cache was being emptied is not stored (an epoch counter), so a
  slow reader cannot put an old value back.

``POSKO_CONSTANTS_CHECK_SECONDS = 0`` checks the counter on every ``get`` (still one query
instead of several). Tests empty the cache before each test (``forget()``).
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Hashable

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.models import F
from django.db.models.signals import post_delete, post_save

_lock = threading.Lock()
_values: dict[Hashable, object] = {}
_state = {"epoch": 0, "generation": None, "checked": 0.0}
_local = threading.local()  # .dirty: this thread changed a watched row in an open transaction
_watched: set[type[models.Model]] = set()


def _check_seconds() -> float:
    return float(getattr(settings, "POSKO_CONSTANTS_CHECK_SECONDS", 2))


def _shared_generation() -> int:
    from posko.core.models import CacheGeneration

    return CacheGeneration.objects.filter(pk=1).values_list("value", flat=True).first() or 0


def reset(*, recheck: bool = False) -> None:
    """Empty this process's cache (after a change here). The shared counter is compared
    again at the usual time (this process's own bump then empties the cache once more,
    which is harmless), or on the next read with ``recheck`` (as in a new process)."""
    with _lock:
        _values.clear()
        _state["epoch"] += 1
        if recheck:
            _state["generation"] = None
            _state["checked"] = 0.0


_TRUSTED = object()  # forget(): whatever the counter says now, the empty cache is current


def forget() -> None:
    """Tests: empty the cache and forget this thread's open change (the test's transaction
    was rolled back). The empty cache counts as just compared with the shared counter."""
    _local.dirty = False
    reset()
    with _lock:
        _state["generation"] = _TRUSTED
        _state["checked"] = time.monotonic()


def _fresh(value):
    if isinstance(value, models.Model):
        return copy.copy(value)
    if isinstance(value, list | tuple):
        return type(value)(_fresh(item) for item in value)
    if isinstance(value, dict):
        return {key: _fresh(item) for key, item in value.items()}
    return value


def _in_transaction() -> bool:
    """Inside a transaction that may still roll back. The atomic blocks a Django TestCase
    wraps each test in do not count: to the test, its rows are committed (Django's durable
    check makes the same exception)."""
    return any(not block._from_testcase for block in connections[DEFAULT_DB_ALIAS].atomic_blocks)


def _bypass() -> bool:
    """The writing thread, inside the transaction that changed a watched row."""
    if not getattr(_local, "dirty", False):
        return False
    if _in_transaction():
        return True
    _local.dirty = False  # the transaction ended (committed: already reset; rolled back: reset)
    reset()
    return False


def _revalidate() -> None:
    now = time.monotonic()
    if _state["generation"] is not None and now - _state["checked"] < _check_seconds():
        return
    generation = _shared_generation()
    with _lock:
        if generation != _state["generation"]:
            _values.clear()
            _state["epoch"] += 1
            _state["generation"] = generation
        _state["checked"] = now


def _cached(key: Hashable, load: Callable[[], object]):
    if _bypass():
        return load()
    _revalidate()
    try:
        return _values[key]
    except KeyError:
        pass
    epoch = _state["epoch"]
    value = load()
    with _lock:
        if _state["epoch"] == epoch:
            _values[key] = value
    return value


def get(key: Hashable, load: Callable[[], object]):
    """The value cached under ``key``, loaded with ``load()`` on first use (see module doc)."""
    return _fresh(_cached(key, load))


def prime(key: Hashable, value) -> None:
    """Put a value in this process's cache as if it had been loaded (tests)."""
    with _lock:
        _values[key] = value


def get_item(key: Hashable, item: Hashable, load: Callable[[], dict], default=None):
    """One entry of a cached mapping (``load()`` returns a dict): only that entry is copied."""
    value = _cached(key, load).get(item, default)
    return _fresh(value)


def changed(*_args, **_kwargs) -> None:
    """A watched row changed: bump the shared counter inside the current transaction, read
    past the cache until it ends, empty this process's cache when it commits."""
    from posko.core.models import CacheGeneration

    if not CacheGeneration.objects.filter(pk=1).update(value=F("value") + 1):
        CacheGeneration.objects.get_or_create(pk=1, defaults={"value": 1})
    if _in_transaction():
        _local.dirty = True
        transaction.on_commit(_committed)
    reset()


def _committed() -> None:
    _local.dirty = False
    reset()


class WatchedQuerySet(models.QuerySet):
    """Bulk writes that send no signal still invalidate the cache when the model is watched.
    Mix it in first: ``class ElectionQuerySet(WatchedQuerySet, PemdaWideQuerySet)``."""

    def _watched_change(self, count):
        if count and self.model in _watched:
            changed()
        return count

    def update(self, **kwargs):
        if self.model not in _watched:
            return super().update(**kwargs)
        with transaction.atomic(using=self.db):
            return self._watched_change(super().update(**kwargs))

    def bulk_create(self, objs, *args, **kwargs):
        if self.model not in _watched:
            return super().bulk_create(objs, *args, **kwargs)
        with transaction.atomic(using=self.db):
            created = super().bulk_create(objs, *args, **kwargs)
            self._watched_change(len(created))
        return created

    def bulk_update(self, objs, fields, batch_size=None):
        if self.model not in _watched:
            return super().bulk_update(objs, fields, batch_size=batch_size)
        with transaction.atomic(using=self.db):
            return self._watched_change(super().bulk_update(objs, fields, batch_size=batch_size))

    def _raw_delete(self, using):
        return self._watched_change(super()._raw_delete(using))


WatchedManager = models.Manager.from_queryset(WatchedQuerySet)


def watch(*watched: type[models.Model]) -> None:
    """Any change to a row of these models invalidates every cached constant. Give the model
    ``objects = constants.WatchedManager()`` (or a manager built on ``WatchedQuerySet``) so
    that ``update()`` and ``bulk_create()`` count too; ``manage.py check`` warns otherwise."""
    for model in watched:
        if model in _watched:
            continue
        _watched.add(model)
        post_save.connect(changed, sender=model, weak=False,
                          dispatch_uid=f"posko.constants.save.{model._meta.label}")
        post_delete.connect(changed, sender=model, weak=False,
                            dispatch_uid=f"posko.constants.delete.{model._meta.label}")


def is_watched(model: type[models.Model]) -> bool:
    return model in _watched


def unwatched_bulk_writes() -> list[str]:
    """Watched models whose default manager would let update()/bulk_create() slip past."""
    return sorted(model._meta.label for model in _watched
                  if not isinstance(model._default_manager.get_queryset(), WatchedQuerySet))
