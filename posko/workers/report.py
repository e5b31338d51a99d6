"""The workers' sections of the daily Desk Pilkada report (staffing, screening, BPJS
coverage) and the beranda card, both limited to what the user may see."""

from __future__ import annotations

import datetime

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from posko.core.reports import Section, Table, register_section
from posko.regions.models import Kecamatan
from posko.workers import stats
from posko.workers.models import Worker, WorkerSettings

SECTION_ORDER = 70


def _n(value) -> str:
    return number_format(value or 0, force_grouping=True)


def _kecamatan_names(codes) -> dict:
    return dict(Kecamatan.objects.filter(code__in=list(codes)).values_list("code", "name"))


def _active_with_workers(election):
    return election is not None and Worker.objects.filter(election=election).exists()


def staffing_section(day: datetime.date, user, election) -> Section | None:
    if not _active_with_workers(election):
        return None
    rows_by = stats.staffing(election, stats.tps_for(user, election),
                             stats.visible_workers(user, election), "kecamatan_id")
    names = _kecamatan_names(rows_by)
    rows = []
    for code in sorted(rows_by, key=lambda c: names.get(c, c)):
        e = rows_by[code]
        rows.append([names.get(code, code), e["tps"], f"{e['kpps'][0]}/{e['kpps'][1]}",
                     f"{e['linmas'][0]}/{e['linmas'][1]}", f"{e['ptps'][0]}/{e['ptps'][1]}",
                     f"{e['pps'][0]}/{e['pps'][1]}", f"{e['ppk'][0]}/{e['ppk'][1]}", e["gap"]])
    gap = sum(e["gap"] for e in rows_by.values())
    return Section("", [_("Active workers against the norms (registered/expected); %(gap)s posts "
                          "are still empty.") % {"gap": _n(gap)}],
                   [Table([_("Kecamatan"), "TPS", "KPPS", "Linmas", "PTPS", "PPS", "PPK", _("Gap")],
                          rows, empty=_("No TPS in your area."))])


def screening_section(day: datetime.date, user, election) -> Section | None:
    if not _active_with_workers(election):
        return None
    qs = stats.visible_workers(user, election).filter(role__in=Worker.KPPS_ROLES)
    total, _roles, per_kec = stats.coverage_by(qs, "kecamatan_id")
    names = _kecamatan_names(per_kec)
    rows = [[names.get(c, c), r["required"], r["screened"], r["required"] - r["screened"], r["unfit"],
             stats.percent(r["screened"], r["required"])]
            for c, r in sorted(per_kec.items(), key=lambda i: names.get(i[0], i[0]))]
    return Section("", [_("KPPS health screening by Dinas Kesehatan: %(s)s of %(n)s screened, "
                          "%(u)s unfit.") % {"s": _n(total["screened"]), "n": _n(total["required"]),
                                             "u": _n(total["unfit"])}],
                   [Table([_("Kecamatan"), "KPPS", _("Screened"), _("Not screened"), _("Unfit"),
                           _("Screened (%)")], rows, empty=_("No KPPS in your area."))])


def coverage_section(day: datetime.date, user, election) -> Section | None:
    if not _active_with_workers(election):
        return None
    settings = WorkerSettings.for_election(election)
    qs = stats.visible_workers(user, election)
    total, per_role, _groups = stats.coverage_by(qs, None)
    rows = [[str(Worker.Role(role).label), r["required"], r["covered"], r["required"] - r["covered"],
             stats.percent(r["covered"], r["required"])]
            for role, r in sorted(per_role.items(), key=lambda i: list(Worker.Role.values).index(i[0]))]
    cost = int(total["months"] * settings.monthly_contribution)
    return Section("", [_("BPJS Ketenagakerjaan (JKK, JKM): %(c)s of %(n)s active workers covered; "
                          "%(u)s without active coverage. Contribution cost: Rp%(cost)s.") % {
        "c": _n(total["covered"]), "n": _n(total["required"]),
        "u": _n(total["required"] - total["covered"]), "cost": _n(cost)}],
        [Table([_("Role"), _("Required"), _("Covered"), _("Not covered"), _("Covered (%)")], rows,
               empty=_("No workers in your area."))])


def register() -> None:
    register_section("workers.staffing", gettext_lazy("Ad hoc workers: staffing"), staffing_section,
                     SECTION_ORDER)
    register_section("workers.screening", gettext_lazy("Ad hoc workers: health screening"),
                     screening_section, SECTION_ORDER + 1)
    register_section("workers.coverage", gettext_lazy("Ad hoc workers: BPJS coverage"),
                     coverage_section, SECTION_ORDER + 2)
