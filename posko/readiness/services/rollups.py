"""Roll-ups of the stored index (per kelurahan, kecamatan, Pemda), the least-ready list and
the forecasts, always over the rows the user may see. One grouped query per roll-up."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Avg, Count, FloatField, Q
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from posko.core import clock
from posko.readiness.models import ReadinessSettings, Snapshot
from posko.readiness.services import forecast as fc
from posko.readiness.services.index import values_of, weights_for
from posko.regions.models import Kecamatan, Kelurahan

LEVELS = {"kecamatan": ("kecamatan_id", Kecamatan), "kelurahan": ("kelurahan_id", Kelurahan)}


@dataclass
class Group:
    code: str
    name: str
    tps: int
    with_index: int
    ready: int
    average: float | None

    @property
    def not_ready(self) -> int:
        return self.with_index - self.ready


def rollup(qs, threshold: float, level: str | None) -> list[Group]:
    """``level`` None: one group for everything in ``qs`` (the Pemda / the user's scope).
    Grouped on the code alone (no join: 83,762 kelurahan nationally), then the names of
    the codes found in one more query; sorted by name."""
    measures = {"tps": Count("tps_id"), "with_index": Count("index"),
                "ready": Count("tps_id", filter=Q(index__gte=threshold)), "average": Avg("index")}
    if level is None:
        row = qs.aggregate(**measures)
        return [Group("", "", row["tps"], row["with_index"], row["ready"], row["average"])]
    code, model = LEVELS[level]
    rows = list(qs.values(code).annotate(**measures).order_by())
    names = dict(model.objects.filter(code__in=[r[code] for r in rows]).values_list("code", "name")
                 ) if len(rows) < 2000 else dict(model.objects.values_list("code", "name"))
    groups = [Group(r[code], names.get(r[code], r[code]), r["tps"], r["with_index"], r["ready"],
                    r["average"]) for r in rows]
    return sorted(groups, key=lambda g: (g.name, g.code))


def component_averages(qs, keys: list[str]) -> dict[str, float | None]:
    """Average of each component over ``qs`` (one aggregate query, read from the JSON)."""
    if not keys:
        return {}
    measures = {f"c{n}": Avg(Cast(KT(f"components__{key}__0"), FloatField()))
                for n, key in enumerate(keys)}
    row = qs.aggregate(**measures)
    return {key: row[f"c{n}"] for n, key in enumerate(keys)}


def least_ready(qs, limit: int = 50):
    return list(qs.filter(index__isnull=False).select_related("tps", "kelurahan", "kecamatan")
                .order_by("index", "tps_id")[:limit])


# --- forecast ---------------------------------------------------------------------------------

@dataclass
class ForecastView:
    today: datetime.date
    target: datetime.date
    forecasts: list = field(default_factory=list)  # fc.Forecast, not ready first
    has_history: bool = False


def target_day(election) -> datetime.date:
    return election.voting_date - datetime.timedelta(days=1)  # H-1


def forecast_day(election) -> datetime.date:
    return election.voting_date - datetime.timedelta(days=3)  # H-3


def forecasts(qs, election, today: datetime.date) -> ForecastView:
    """Forecast per TPS of ``qs`` from the snapshots up to ``today`` (``today``'s snapshot,
    or the stored rows when there is none yet)."""
    settings = ReadinessSettings.for_election(election)
    weights = weights_for(settings)
    window = settings.forecast_window
    target = target_day(election)
    ids = qs.values("tps_id")
    history: dict[int, dict] = defaultdict(dict)
    snaps = Snapshot.objects.filter(election=election, tps_id__in=ids,
                                    day__gte=today - datetime.timedelta(days=window), day__lte=today)
    for tps_id, day, comps in snaps.values_list("tps_id", "day", "components").iterator(
            chunk_size=2000):
        history[tps_id][day] = values_of(comps)
    if today >= clock.today():
        for tps_id, comps in qs.values_list("tps_id", "components").iterator(chunk_size=2000):
            history[tps_id][today] = values_of(comps)
    result = [fc.forecast(tps_id, days, today, target, window, weights, settings.ready_threshold)
              for tps_id, days in history.items() if today in days]
    result.sort(key=lambda f: (f.ready, f.projected if f.projected is not None else -1, f.tps_id))
    return ForecastView(today, target, result, has_history=any(len(d) > 1 for d in history.values()))


@dataclass
class Comparison:
    made_on: datetime.date
    actual_on: datetime.date
    counts: dict  # (forecast ready, actually ready) -> TPS
    wrong: list  # (Forecast, actual index) where forecast and outcome differ

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    ready_ready = property(lambda self: self.counts[(True, True)])
    ready_not = property(lambda self: self.counts[(True, False)])
    not_ready = property(lambda self: self.counts[(False, True)])
    not_not = property(lambda self: self.counts[(False, False)])

    @property
    def correct(self) -> int:
        return self.counts[(True, True)] + self.counts[(False, False)]


def comparison(qs, election) -> Comparison | None:
    """The forecast made at H-3 against the snapshot of H-1 (None until both exist)."""
    made_on, actual_on = forecast_day(election), target_day(election)
    if not Snapshot.objects.filter(election=election, day=actual_on).exists():
        return None
    view = forecasts(qs, election, made_on)
    if not view.forecasts:
        return None
    threshold = float(ReadinessSettings.for_election(election).ready_threshold)
    actual = dict(Snapshot.objects.filter(election=election, day=actual_on,
                                          tps_id__in=qs.values("tps_id"))
                  .values_list("tps_id", "index"))
    counts = {(a, b): 0 for a in (True, False) for b in (True, False)}
    wrong = []
    for f in view.forecasts:
        if f.tps_id not in actual:
            continue
        index = actual[f.tps_id]
        real = index is not None and index >= threshold
        counts[(f.ready, real)] += 1
        if f.ready != real:
            wrong.append((f, index))
    return Comparison(made_on, actual_on, counts, wrong)
