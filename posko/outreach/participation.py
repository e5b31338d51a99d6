"""Participation arithmetic: turnout targets, historical turnout, turnout per kelurahan and
the early warning (low coverage and low historical turnout). Coverage itself: coverage.py.

Turnout (KPU's definition): ``voted = voted_dpt + voted_dptb + voted_dpk`` over
``registered = DPT + DPTb + DPK registered``, × 100, rounded half-up to two decimals,
summed per kelurahan/kecamatan before dividing. Historical turnout: ``voted /
registered`` of the imported rows of one label, summed per kelurahan.

Source, per contest (one truth): a TPS with a counted C.Hasil for the contest counts with the
C.Hasil's numbers (``core.turnout``, provided by the voting module), so the Pilwali and the
Pilgub may differ; a TPS without one counts with outreach's own entry (``TpsTurnout``, one
number for every contest: an estimate before the results are in). Without the voting module
only the own entries count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Sum

from posko.core import constants
from posko.core import turnout as results_turnout
from posko.elections.models import Contest, Tps
from posko.outreach.coverage import Row, kelurahan_coverage, kelurahan_queryset, percent
from posko.outreach.models import HistoricalTurnout, OutreachSettings, TpsTurnout, TurnoutTarget
from posko.regions.models import Pemda


def targets(election) -> tuple[Decimal, dict[str, Decimal], dict[str, Decimal]]:
    """(election default, {kecamatan: %}, {kelurahan: %})."""
    default = OutreachSettings.for_election(election).target_percent
    kec, kel = {}, {}
    for kec_id, kel_id, value in TurnoutTarget.objects.filter(election=election).values_list(
            "kecamatan_id", "kelurahan_id", "percent"):
        if kel_id:
            kel[kel_id] = value
        else:
            kec[kec_id] = value
    return default, kec, kel


def target_for(default, kec_targets, kel_targets, kecamatan_code, kelurahan_code=None) -> Decimal:
    if kelurahan_code and kelurahan_code in kel_targets:
        return kel_targets[kelurahan_code]
    return kec_targets.get(kecamatan_code, default)


def history_labels() -> list[tuple[str, int]]:
    return list(HistoricalTurnout.objects.values_list("label", "year").distinct()
                .order_by("-year", "label"))


def chosen_history_label(election) -> str:
    label = OutreachSettings.for_election(election).history_label
    if label:
        return label
    labels = history_labels()
    return labels[0][0] if labels else ""


def history_by_kelurahan(label: str, user, codes=None) -> dict[str, tuple[int, int]]:
    """{kelurahan: (voted, registered)} of one historical election."""
    if not label:
        return {}
    qs = HistoricalTurnout.objects.visible_to(user).filter(label=label)
    if codes is not None and len(codes) < 2000:
        qs = qs.filter(kelurahan_id__in=list(codes))
    return {code: (v or 0, r or 0) for code, v, r in qs.values_list("kelurahan_id").annotate(
        v=Sum("voted"), r=Sum("registered")).order_by()}


def turnout_contests(election) -> list[Contest]:
    """The contests whose turnout can be read from the C.Hasil (voting module present): the
    ones voted in the Pemda, its own first (a per-process constant)."""
    if not results_turnout.available():
        return []

    def load():
        pemda = Pemda.current()
        contests = Contest.objects.filter(election=election).order_by("level", "name")
        if pemda is None:
            return list(contests)
        province = pemda.provinsi_id or pemda.kabkota_id.split(".")[0]
        contests = contests.filter(provinsi_id=province)
        if pemda.kabkota_id:
            contests = [c for c in contests if c.kabkota_id in (None, pemda.kabkota_id)]
        return sorted(contests, key=lambda c: c.kabkota_id != pemda.kabkota_id)

    return constants.get(("outreach.turnout_contests", election.pk), load)


def chosen_contest(election, value) -> Contest | None:
    """The contest named by ``?contest=`` (its id), else the first; None without results."""
    contests = turnout_contests(election)
    return next((c for c in contests if str(c.pk) == str(value or "")),
                contests[0] if contests else None)


@dataclass
class TurnoutRow:
    code: str
    name: str
    kecamatan_code: str = ""
    kecamatan_name: str = ""
    tps: int = 0
    tps_reported: int = 0
    tps_results: int = 0  # of which from the C.Hasil (the rest: outreach's own entries)
    dpt: int = 0  # DPT of the TPS that reported
    registered: int = 0
    voted_dpt: int = 0
    voted_dptb: int = 0
    voted_dpk: int = 0
    target: Decimal | None = None
    history_voted: int = 0
    history_registered: int = 0
    reach_per_1000: Decimal | None = None

    @property
    def voted(self) -> int:
        return self.voted_dpt + self.voted_dptb + self.voted_dpk

    @property
    def tps_own(self) -> int:
        """TPS counted with outreach's own entry (no C.Hasil for the contest)."""
        return self.tps_reported - self.tps_results

    @property
    def turnout(self) -> Decimal | None:
        return percent(self.voted, self.registered)

    @property
    def history(self) -> Decimal | None:
        return percent(self.history_voted, self.history_registered)

    @property
    def gap(self) -> Decimal | None:
        """Turnout minus target (percentage points)."""
        if self.turnout is None or self.target is None:
            return None
        return self.turnout - self.target

    @property
    def change(self) -> Decimal | None:
        if self.turnout is None or self.history is None:
            return None
        return self.turnout - self.history

    @property
    def below_target(self) -> bool:
        return self.gap is not None and self.gap < 0


def turnout_by_kelurahan(election, user, *, kecamatan_code=None,
                         contest=None) -> list[TurnoutRow]:
    """Per kelurahan in the user's scope; ``contest``: read the C.Hasil of that contest where
    a TPS has one (see the module doc), else outreach's own entries only."""
    kel_qs = kelurahan_queryset(user, kecamatan_code)
    rows = {code: TurnoutRow(code, name, kec, kec_name) for code, name, kec, kec_name in
            kel_qs.values_list("code", "name", "kecamatan_id", "kecamatan__name")}
    if not rows:
        return []
    place = {"kecamatan_id": kecamatan_code} if kecamatan_code else {}
    for code, n in (Tps.objects.visible_to(user).filter(election=election, **place)
                    .values_list("kelurahan_id").annotate(n=Count("pk")).order_by()):
        if code in rows:
            rows[code].tps = n
    own = TpsTurnout.objects.visible_to(user).filter(election=election, **place)
    counted = results_turnout.counted_tps(election, contest)
    if counted is not None:  # the C.Hasil wins where there is one
        own = own.exclude(tps_id__in=counted)
    agg = (own.values_list("kelurahan_id").annotate(
               n=Count("pk"), dpt=Sum("tps__dpt_total"), dptb=Sum("registered_dptb"),
               dpk=Sum("registered_dpk"), v1=Sum("voted_dpt"), v2=Sum("voted_dptb"),
               v3=Sum("voted_dpk")).order_by())
    for code, n, dpt, dptb, dpk, v1, v2, v3 in agg:
        row = rows.get(code)
        if row is None:
            continue
        row.tps_reported, row.dpt = n, dpt or 0
        row.registered = (dpt or 0) + (dptb or 0) + (dpk or 0)
        row.voted_dpt, row.voted_dptb, row.voted_dpk = v1 or 0, v2 or 0, v3 or 0
    for code, t in results_turnout.by_kelurahan(election, contest, user,
                                                kecamatan_code=kecamatan_code).items():
        row = rows.get(code)
        if row is None:
            continue
        row.tps_reported += t.tps
        row.tps_results = t.tps
        row.dpt += t.dpt
        row.registered += t.registered
        row.voted_dpt += t.voted_dpt
        row.voted_dptb += t.voted_dptb
        row.voted_dpk += t.voted_dpk
    default, kec_t, kel_t = targets(election)
    label = chosen_history_label(election)
    history = history_by_kelurahan(label, user, rows.keys())
    coverage = {r.code: r.reach_per_1000 for r in kelurahan_coverage(
        election, user, kecamatan_code=kecamatan_code, with_groups=False)}
    for code, row in rows.items():
        row.target = target_for(default, kec_t, kel_t, row.kecamatan_code, code)
        row.history_voted, row.history_registered = history.get(code, (0, 0))
        row.reach_per_1000 = coverage.get(code)
    return sorted(rows.values(), key=lambda r: (r.turnout is None, r.turnout or 0,
                                                r.kecamatan_name, r.name))


def turnout_rollup(rows: list[TurnoutRow], election, by: str = "kecamatan") -> list[TurnoutRow]:
    default, kec_t, _kel = targets(election)
    result: dict[str, TurnoutRow] = {}
    for row in rows:
        key = row.kecamatan_code if by == "kecamatan" else ""
        name = row.kecamatan_name if by == "kecamatan" else ""
        t = result.setdefault(key, TurnoutRow(key, name, key, name))
        for attr in ("tps", "tps_reported", "tps_results", "dpt", "registered", "voted_dpt",
                     "voted_dptb", "voted_dpk", "history_voted", "history_registered"):
            setattr(t, attr, getattr(t, attr) + getattr(row, attr))
    for key, t in result.items():
        t.target = kec_t.get(key, default) if by == "kecamatan" else default
    return sorted(result.values(), key=lambda r: (r.turnout is None, r.turnout or 0, r.name))


# --- early warning ------------------------------------------------------------------------

@dataclass
class Warning:
    row: Row
    history: Decimal | None
    target: Decimal
    tasks: list = field(default_factory=list)


def early_warning(election, user, *, today=None, rows=None) -> tuple[list[Warning], dict]:
    """Kelurahan with low coverage (reach per 1,000 below the setting; kelurahan without
    DPT are left out) AND historical turnout below their target (or no history: unknown
    counts as low, so a kelurahan is never dropped for lack of data). Least covered first.
    ``rows``: the user's kelurahan coverage when the caller has it already."""
    settings = OutreachSettings.for_election(election)
    threshold = Decimal(settings.low_reach_per_1000)
    if rows is None:
        rows = kelurahan_coverage(election, user, today=today)
    rows = [r for r in rows if r.dpt and (r.reach_per_1000 or 0) < threshold]
    label = chosen_history_label(election)
    history = history_by_kelurahan(label, user, [r.code for r in rows])
    default, kec_t, kel_t = targets(election)
    warnings = []
    for row in rows:
        target = target_for(default, kec_t, kel_t, row.kecamatan_code, row.code)
        voted, registered = history.get(row.code, (0, 0))
        hist = percent(voted, registered)
        if hist is None or hist < target:
            warnings.append(Warning(row, hist, target))
    info = {"threshold": threshold, "label": label}
    return warnings, info
