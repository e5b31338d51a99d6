"""Computing and storing the index (the consumer of ``posko.core.readiness``).

:func:`refresh` calls the components (all, or the ones named) for the TPS asked (all, or
some ids), merges their values into the stored ``TpsIndex.components``, recomputes the
index and the weakest component, and bulk-writes the rows (a few queries per 2,000 TPS).
It runs in a job: on a component's :func:`posko.core.readiness.changed`, on a derived
source a component watches, after the weights change, and periodically — never per page
view. :func:`take_snapshot` copies the stored rows into the day's :class:`Snapshot`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from posko.core import clock, derived, jobs, schedule
from posko.core import election as request_election
from posko.core import readiness as registry
from posko.elections.models import Tps
from posko.readiness.models import ReadinessSettings, Snapshot, TpsIndex
from posko.readiness.services.index import combine, values_of, weakest, weights_for

CHUNK = 2000
REFRESH_JOB = "readiness.refresh"
SNAPSHOT_JOB = "readiness.snapshot"
REEVALUATE_JOB = "readiness.reevaluate"


def chunks(ids: list[int]):
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


def _settings(election) -> ReadinessSettings:
    return ReadinessSettings.for_election(election)


def evaluate(components: dict, settings) -> tuple[float | None, str]:
    weights = weights_for(settings)
    values = values_of(components)
    index = combine(values, weights)
    missing = weakest(values, weights, float(settings.component_threshold), index,
                      float(settings.ready_threshold))
    return index, missing


@transaction.atomic
def refresh(election, keys: Iterable[str] | None = None, tps_ids=None) -> int:
    """Recompute components ``keys`` (None: all registered) at ``tps_ids`` (None: every TPS
    of the election); returns the number of rows written."""
    settings = _settings(election)
    registered = {c.key: c for c in registry.components()}
    keys = list(registered) if keys is None else [k for k in keys if k in registered]
    wanted = None if tps_ids is None else sorted(set(tps_ids))
    results = {key: registered[key].compute(election, wanted) for key in keys}
    places = Tps.objects.filter(election=election)
    if wanted is None:
        rows = list(places.values_list("pk", "kelurahan_id", "kecamatan_id", "kabkota_id"))
    else:
        rows = []
        for chunk in chunks(wanted):
            rows += places.filter(pk__in=chunk).values_list(
                "pk", "kelurahan_id", "kecamatan_id", "kabkota_id")
    ids = [r[0] for r in rows]
    existing: dict[int, dict] = {}
    for chunk in chunks(ids):
        existing.update(TpsIndex.objects.filter(tps_id__in=chunk).values_list("tps_id", "components"))
    now = clock.now()
    creates, updates = [], []
    full = keys == list(registered) and tps_ids is None
    for pk, kel, kec, kab in rows:
        components = {} if full else {k: v for k, v in (existing.get(pk) or {}).items()
                                      if k in registered}
        for key in keys:
            found = results[key].get(pk)
            if found is None:
                components.pop(key, None)
            else:
                value, reason = found
                components[key] = [round(registry.clamp(value), 4), str(reason)[:200]]
        index, missing = evaluate(components, settings)
        row = TpsIndex(tps_id=pk, election_id=election.pk, kelurahan_id=kel, kecamatan_id=kec,
                       kabkota_id=kab, components=components, index=index, missing=missing,
                       computed_at=now)
        (updates if pk in existing else creates).append(row)
    TpsIndex.objects.bulk_create(creates, batch_size=CHUNK)
    TpsIndex.objects.bulk_update(updates, ["components", "index", "missing", "computed_at"],
                                 batch_size=CHUNK)
    return len(creates) + len(updates)


def reevaluate(election) -> int:
    """After the weights or thresholds change: the index and weakest component of every
    stored row, from the stored component values (no component is called)."""
    settings = _settings(election)
    registered = {c.key for c in registry.components()}
    count = 0
    ids = list(TpsIndex.objects.filter(election=election).values_list("tps_id", flat=True))
    for chunk in chunks(sorted(ids)):
        rows = list(TpsIndex.objects.filter(tps_id__in=chunk).only("tps_id", "components"))
        for row in rows:
            row.components = {k: v for k, v in row.components.items() if k in registered}
            row.index, row.missing = evaluate(row.components, settings)
        TpsIndex.objects.bulk_update(rows, ["components", "index", "missing"], batch_size=CHUNK)
        count += len(rows)
    return count


@transaction.atomic
def take_snapshot(election, day=None) -> int:
    """Copy the stored rows into ``day``'s snapshot (replacing one taken earlier that day)."""
    day = day or clock.today()
    Snapshot.objects.filter(election=election, day=day).delete()
    count = 0
    base = TpsIndex.objects.filter(election=election).order_by("tps_id")
    last = 0
    while True:
        batch = list(base.filter(tps_id__gt=last).values_list(
            "tps_id", "kelurahan_id", "kecamatan_id", "kabkota_id", "index", "components")[:CHUNK])
        if not batch:
            break
        Snapshot.objects.bulk_create([
            Snapshot(election_id=election.pk, tps_id=t, kelurahan_id=kel, kecamatan_id=kec,
                     kabkota_id=kab, index=index, components=comps, day=day)
            for t, kel, kec, kab, index, comps in batch], batch_size=CHUNK)
        count += len(batch)
        last = batch[-1][0]
    return count


def refresh_job(ctx, *, election=None, keys=None, tps_ids=None) -> str:
    found = request_election.by_pk(election) if election else request_election.active()
    if found is None:
        return _("No active election: nothing to recompute.")
    count = refresh(found, keys=keys, tps_ids=tps_ids)
    return _("%(count)s TPS recomputed.") % {"count": count}


def reevaluate_job(ctx, *, election=None) -> str:
    found = request_election.by_pk(election) if election else request_election.active()
    if found is None:
        return _("No active election: nothing to recompute.")
    return _("%(count)s TPS recomputed.") % {"count": reevaluate(found)}


def snapshot_job(ctx, *, election=None) -> str:
    found = request_election.by_pk(election) if election else request_election.active()
    if found is None:
        return _("No active election: nothing to recompute.")
    refresh(found)
    count = take_snapshot(found)
    return _("%(count)s TPS recorded.") % {"count": count}


def on_component_changed(sender, election, tps_ids=None, **kwargs):
    if registry.component(sender) is None or getattr(election, "pk", None) is None:
        return
    refresh(election, keys=[sender], tps_ids=tps_ids)


def on_source_changed(sender, election, tps_ids=None, **kwargs):
    keys = [c.key for c in registry.watching(sender)]
    if keys and getattr(election, "pk", None) is not None:
        refresh(election, keys=keys, tps_ids=tps_ids)


def register() -> None:
    registry.component_changed.connect(on_component_changed, dispatch_uid="readiness.component",
                                       weak=False)
    derived.source_changed.connect(on_source_changed, dispatch_uid="readiness.derived", weak=False)
    jobs.register_job(REFRESH_JOB, refresh_job, retries=2)
    jobs.register_job(SNAPSHOT_JOB, snapshot_job, retries=2)
    jobs.register_job(REEVALUATE_JOB, reevaluate_job, retries=2)
    schedule.register_periodic(REFRESH_JOB, timedelta(minutes=15), REFRESH_JOB,
                               gettext_lazy("Recompute the readiness index"))
    schedule.register_periodic(SNAPSHOT_JOB, timedelta(hours=24), SNAPSHOT_JOB,
                               gettext_lazy("Record the day's readiness (forecast history)"))
