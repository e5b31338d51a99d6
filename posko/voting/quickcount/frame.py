"""Reading what a quick count needs: the contest's TPS (the population, by stratum), the
sample, and the counted C.Hasil of the sampled TPS; and whether the estimate may be shown
(after the TPS close on voting day and once the configured share of the sample arrived).
A fixed number of queries at any size."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils import timezone

from posko.elections.models import Tps
from posko.regions.models import KabKota
from posko.voting.models import QuickCountTps, ResultStatus, Strata, TpsResult
from posko.voting.quickcount import design as qc_design
from posko.voting.quickcount.estimate import Estimate, Unit, estimate


def population(contest):
    """The contest's TPS: the city's for a mayor or regent, the province's for a governor
    (as far as this Pemda's registry holds them)."""
    tps = Tps.objects.filter(election_id=contest.election_id)
    if contest.kabkota_id:
        return tps.filter(kabkota_id=contest.kabkota_id)
    return tps.filter(kabkota_id__in=KabKota.objects.filter(provinsi_id=contest.provinsi_id)
                      .values("code"))


def stratum_field(strata: str) -> str:
    return "kelurahan_id" if strata == Strata.KELURAHAN else "kecamatan_id"


def frame(tps_queryset, strata: str) -> list[qc_design.FrameTps]:
    """Every TPS of the population as (pk, stratum, kelurahan code, number)."""
    key = stratum_field(strata)
    return [qc_design.FrameTps(pk, stratum, kelurahan, number) for pk, stratum, kelurahan, number
            in tps_queryset.order_by().values_list("pk", key, "kelurahan_id", "number")
            .iterator(chunk_size=10_000)]


def sizes(tps_queryset, strata: str) -> dict[str, int]:
    """N_h: TPS per stratum."""
    key = stratum_field(strata)
    return dict(tps_queryset.order_by().values(key).annotate(n=Count("pk"))
                .values_list(key, "n"))


def sample_rows(design) -> list[tuple]:
    """(tps pk, stratum, kelurahan code, TPS number, DPT) of the sample, in its order. Two
    queries by key (the sample, then its TPS by primary key): a join would let the planner
    scan every TPS of a national registry."""
    sample = list(QuickCountTps.objects.filter(design=design).order_by("order").values_list(
        "tps_id", "stratum"))
    tps = {pk: rest for pk, *rest in Tps.objects.filter(pk__in=[pk for pk, _s in sample])
           .order_by().values_list("pk", "kelurahan_id", "number", "dpt_total")}
    return [(pk, stratum, *tps.get(pk, ("", 0, 0))) for pk, stratum in sample]


def units(contest, rows) -> tuple[list[Unit], int]:
    """The sampled TPS (``rows`` from sample_rows) whose counted C.Hasil arrived, read by
    (TPS, contest) key, and how many were left out: an entry whose pairs' votes do not add
    up to its valid votes (a misread "17 → 817") would bias the ratio; it counts once it is
    corrected."""
    dpt = {pk: (stratum, total) for pk, stratum, _kel, _number, total in rows}
    found, left_out = [], 0
    for tps_id, valid, v_dpt, v_dptb, v_dpk, votes, status in TpsResult.objects.filter(
            tps_id__in=list(dpt), contest=contest, is_counted=True).order_by().values_list(
            "tps_id", "valid", "voters_dpt", "voters_dptb", "voters_dpk", "votes", "status"):
        votes = {int(k): int(v) for k, v in (votes or {}).items()}
        if sum(votes.values()) != valid:
            left_out += 1
            continue
        stratum, total = dpt[tps_id]
        found.append(Unit(stratum=stratum, valid=valid, votes=votes,
                          voters=v_dpt + v_dptb + v_dpk, dpt=total or 0,
                          to_verify=status == ResultStatus.PERLU_VERIFIKASI))
    return found, left_out


def closing_moment(election, conf) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(election.voting_date, conf.closing_time))


@dataclass
class QuickCount:
    """Everything the quick-count page shows about a drawn design."""

    strata: list[dict] = field(default_factory=list)
    planned: int = 0
    arrived: int = 0
    to_verify: int = 0
    left_out: int = 0
    after_close: bool = False
    enough: bool = False
    result: Estimate | None = None
    closing: datetime.datetime | None = None

    @property
    def arrived_percent(self) -> float:
        return round(100 * self.arrived / self.planned, 1) if self.planned else 0.0

    @property
    def shown(self) -> bool:
        return self.result is not None


def quick_count(design, contest, election, conf, numbers, now, population_qs=None) -> QuickCount:
    """The strata with their arrivals and, when it may be shown, the estimate."""
    population_qs = population(contest) if population_qs is None else population_qs
    rows = sample_rows(design)
    n_sizes = sizes(population_qs, design.strata)
    planned: dict[str, int] = {}
    for _pk, stratum, *_rest in rows:
        planned[stratum] = planned.get(stratum, 0) + 1
    state = QuickCount(planned=len(rows), closing=closing_moment(election, conf))
    state.after_close = now >= state.closing
    arrived, state.left_out = units(contest, rows) if rows and state.after_close else ([], 0)
    per = {}
    for unit in arrived:
        per[unit.stratum] = per.get(unit.stratum, 0) + 1
    state.arrived = len(arrived)
    state.to_verify = sum(unit.to_verify for unit in arrived)
    for code in sorted(set(n_sizes) | set(planned)):
        state.strata.append({
            "code": code, "population": n_sizes.get(code, 0), "planned": planned.get(code, 0),
            "arrived": per.get(code, 0),
            "percent": round(100 * per.get(code, 0) / planned[code], 1)
            if planned.get(code) else None})
    state.enough = bool(rows) and 100 * state.arrived >= design.show_after_percent * len(rows)
    if state.after_close and state.enough and state.arrived >= 2:
        state.result = estimate(n_sizes, arrived, numbers)
    return state
