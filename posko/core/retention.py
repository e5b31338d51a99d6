"""Retention of personal data: the registry of what each module anonymises when an
election's retention date has passed (issue 16, UU PDP 27/2022).

A module holding personal data registers one entry in ``AppConfig.ready()``::

    retention.register("workers", _("Ad hoc workers"), count_fn, purge_fn, order=10)

``count_fn(election_id) -> int`` counts the rows that still hold personal data (the dry-run:
it changes nothing); ``purge_fn(election_id, batch) -> int`` anonymises at most ``batch`` of
them in place and returns how many it did. Rows already anonymised are never counted or
touched again, so a purge can be repeated (idempotent) and resumed. A source that names
``model``/``rows``/``audit_fields`` also has the audit log's snapshots of those rows
scrubbed (``scrub_audit``): the audit log would otherwise keep the names it recorded. Aggregates stay: rows
are kept (counts per TPS, statuses, amounts), only the fields that name or describe a
person are blanked or replaced. The module decides which fields; the page and the job that
run the purge live in ``posko.elections.retention`` (core imports no app), and the audit is
written there: one row per module with its count, never one per person.

A source counts in one of three units (``unit``, shown on the dry-run): ``rows`` anonymised,
``files`` deleted from storage (:func:`file_source`: uploads that hold personal data, such
as the originals of incident evidence with their GPS position and device; the row, the
served copy without metadata and the SHA-256 stay; a file is deleted only once the purge's
transaction has committed) and ``texts``, free-text field values replaced by
``REMOVED_TEXT`` (:func:`text_source`: descriptions and notes that may name a person).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType

from posko.core.evidence_files import delete_after_commit
from posko.core.models import AuditEntry

BATCH = 1000  # rows per UPDATE batch
REMOVED_TEXT = "[dihapus: retensi]"  # stored text that replaces a free text (data, not interface)
UNITS = ("rows", "files", "texts")


@dataclass(frozen=True)
class Source:
    key: str
    label: object
    count: Callable[[int], int]
    purge: Callable[[int, int], int]
    order: int = 50
    fields: object = ""  # what is anonymised, in words (shown on the page)
    # The audit log's copies: the model whose audit rows name the election's rows
    # (``rows(election_id)`` → queryset), and the snapshot keys to drop from them.
    model: object = None
    rows: Callable | None = None
    audit_fields: tuple = ()
    unit: str = "rows"  # rows anonymised, files deleted or text fields replaced (UNITS)


_sources: dict[str, Source] = {}


def register(key: str, label, count: Callable[[int], int], purge: Callable[[int, int], int], *,
             order: int = 50, fields="", model=None, rows=None, audit_fields=(),
             unit: str = "rows") -> None:
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {UNITS}")
    _sources[key] = Source(key, label, count, purge, order, fields, model, rows,
                           tuple(audit_fields), unit)


def sources() -> list[Source]:
    return sorted(_sources.values(), key=lambda s: (s.order, s.key))


def dry_run(election_id: int) -> list[tuple[Source, int]]:
    """Rows per module that a purge would anonymise now; nothing is changed."""
    return [(source, source.count(election_id)) for source in sources()]


def purge_source(source: Source, election_id: int, *, batch: int = BATCH, progress=None) -> int:
    """Anonymise every row of one source, ``batch`` at a time; the number done."""
    done = 0
    while True:
        step = source.purge(election_id, batch)
        done += step
        if progress is not None:
            progress(source, done)
        if step < batch:
            return done


def scrub_audit(source: Source, election_id: int, *, batch: int = BATCH) -> int:
    """The audit log keeps snapshots of what was saved: once the rows are anonymised, their
    audit rows lose the personal keys (``audit_fields``) from before/after and show the
    anonymised name. Returns the audit rows changed (0 when run again)."""
    if source.model is None or source.rows is None:
        return 0
    content_type = ContentType.objects.get_for_model(source.model)
    rows = source.rows(election_id).order_by("pk")
    changed, last = 0, 0
    while True:
        objects = {str(obj.pk): str(obj) for obj in rows.filter(pk__gt=last)[:batch]}
        if not objects:
            return changed
        last = max(int(pk) for pk in objects)
        entries = []
        for entry in AuditEntry.objects.filter(content_type=content_type, object_id__in=list(objects)):
            dirty = False
            for side in (entry.before, entry.after):
                if isinstance(side, dict):
                    for name in source.audit_fields:
                        if name in side:
                            del side[name]
                            dirty = True
            name = objects[entry.object_id][:200]
            if entry.object_repr != name:
                entry.object_repr, dirty = name, True
            if dirty:
                entries.append(entry)
        AuditEntry.objects.bulk_update(entries, ["before", "after", "object_repr"], batch_size=batch)
        changed += len(entries)


def batch_pks(queryset, batch: int) -> list[int]:
    """The pks of the next batch of ``queryset`` (a helper for purge functions)."""
    return list(queryset.order_by("pk").values_list("pk", flat=True)[:batch])


def file_source(model, rows: Callable, field: str):
    """``(count, purge)`` for a source of unit ``files``: the ``field`` files of
    ``rows(election_id)`` are deleted from storage (after commit) and the field emptied."""
    def pending(election_id):
        return rows(election_id).exclude(**{field: ""}).exclude(**{f"{field}__isnull": True})

    def count(election_id) -> int:
        return pending(election_id).count()

    def purge(election_id, batch) -> int:
        found = list(pending(election_id).order_by("pk").values_list("pk", field)[:batch])
        storage = model._meta.get_field(field).storage
        model.objects.filter(pk__in=[pk for pk, _name in found]).update(**{field: ""})
        delete_after_commit((storage, name) for _pk, name in found)
        return len(found)

    return count, purge


def text_source(model, rows: Callable, fields: tuple[str, ...], replacement: str = REMOVED_TEXT):
    """``(count, purge)`` for a source of unit ``texts``: every non-empty value of ``fields``
    in ``rows(election_id)`` is replaced by ``replacement``; counted per field value."""
    def pending(election_id, field):
        return rows(election_id).exclude(**{field: ""}).exclude(**{field: replacement})

    def count(election_id) -> int:
        return sum(pending(election_id, field).count() for field in fields)

    def purge(election_id, batch) -> int:
        done = 0
        for field in fields:
            if done >= batch:
                break
            pks = batch_pks(pending(election_id, field), batch - done)
            model.objects.filter(pk__in=pks).update(**{field: replacement})
            done += len(pks)
        return done

    return count, purge
