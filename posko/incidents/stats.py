"""Statistics of reports and neutrality cases: counts per category, kecamatan and day (the
situation page, the daily and period reports, the beranda card) and cases per agency and type,
per sanction (the case list, the reports). Grouped queries; names joined from small tables."""

from __future__ import annotations

from django.db.models import Count, Q
from django.db.models.functions import TruncDate

from posko.core import clock
from posko.incidents.models import ActSeverity, Category, NeutralityCase, Report, State
from posko.regions.models import Kecamatan


def visible_reports(user, election):
    return Report.objects.visible_to(user).filter(election=election, merged_into__isnull=True)


def counts(queryset) -> dict:
    """Per category, per kecamatan and per day (of receipt, Asia/Jakarta), with open and
    overdue numbers: one grouped scan, names joined in Python from the small tables."""
    now = clock.now()
    open_q = Q(state__in=[State.BARU, State.DIVERIFIKASI, State.DITERUSKAN, State.DITINDAKLANJUTI])
    overdue_q = (Q(state=State.BARU, response_due_at__lt=now)
                 | (open_q & Q(resolve_due_at__lt=now)))
    rows = (queryset.order_by().annotate(day=TruncDate("created_at"))
            .values_list("category_id", "kecamatan_id", "day")
            .annotate(n=Count("pk"), open=Count("pk", filter=open_q),
                      overdue=Count("pk", filter=overdue_q)))
    categories: dict = {}
    kecamatan: dict = {}
    days: dict = {}
    totals = {"n": 0, "open": 0, "overdue": 0}
    for category_id, kecamatan_id, day, n, n_open, n_overdue in rows:
        for bucket, key in ((categories, category_id), (kecamatan, kecamatan_id), (days, day)):
            entry = bucket.setdefault(key, {"n": 0, "open": 0, "overdue": 0})
            entry["n"] += n
            entry["open"] += n_open
            entry["overdue"] += n_overdue
        totals["n"] += n
        totals["open"] += n_open
        totals["overdue"] += n_overdue
    category_names = dict(Category.objects.filter(pk__in=list(categories)).values_list("pk", "name"))
    kecamatan_names = dict(Kecamatan.objects.filter(code__in=list(kecamatan)).values_list(
        "code", "name"))
    by_category = sorted(({"category_id": k, "category__name": category_names.get(k, ""), **v}
                          for k, v in categories.items()), key=lambda r: (-r["n"], r["category__name"]))
    by_kecamatan = sorted(({"kecamatan_id": k, "kecamatan__name": kecamatan_names.get(k, ""), **v}
                           for k, v in kecamatan.items()), key=lambda r: r["kecamatan__name"])
    by_day = sorted(({"day": k, **v} for k, v in days.items()), key=lambda r: r["day"],
                    reverse=True)[:31]
    return {"by_category": by_category, "by_kecamatan": by_kecamatan, "by_day": by_day,
            "totals": totals}


def cases_per_agency(cases) -> list[tuple[str, dict]]:
    """``[(agency name, {"kode_etik": n, "disiplin": n, "total": n})]`` by agency name."""
    per_agency: dict[str, dict] = {}
    for agency, kind, n in cases.order_by().values_list("agency__name", "breach_type").annotate(
            n=Count("pk")).values_list("agency__name", "breach_type", "n"):
        entry = per_agency.setdefault(agency, {"kode_etik": 0, "disiplin": 0, "total": 0})
        entry[kind] += n
        entry["total"] += n
    return sorted(per_agency.items())


def cases_per_sanction(cases) -> list[dict]:
    """``[{"sanction", "n", "label"}]`` ordered by sanction."""
    rows = list(cases.order_by().values("sanction").annotate(n=Count("pk")).order_by("sanction"))
    for row in rows:
        row["label"] = NeutralityCase.Sanction(row["sanction"]).label if row["sanction"] in \
            NeutralityCase.Sanction.values else row["sanction"]
    return rows


def cases_per_act(cases) -> list[dict]:
    """``[{"code", "description", "severity", "n"}]`` by act code; cases without an act (from
    before the catalogue) last, as "act not named" (``code`` empty)."""
    rows = list(cases.order_by().values("prohibited_act__code", "prohibited_act__description",
                                        "prohibited_act__severity").annotate(n=Count("pk")))
    labels = dict(ActSeverity.choices)
    out = [{"code": r["prohibited_act__code"] or "",
            "description": r["prohibited_act__description"] or "",
            "severity": labels.get(r["prohibited_act__severity"], ""), "n": r["n"]} for r in rows]
    return sorted(out, key=lambda r: (not r["code"], r["code"]))
