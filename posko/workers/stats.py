"""Roll-ups shared by the pages, the daily report, the beranda card and the API:
staffing against the norms, screening and BPJS coverage. Each is one grouped query per
level over the worker table (no per-row work), so they hold at national scale."""

from __future__ import annotations

from django.db.models import Count, Q, Sum

from posko.core.scope import Scope
from posko.elections.models import Tps
from posko.regions.models import KabKota, Kelurahan, Pemda
from posko.workers.models import Worker, WorkerSettings

R = Worker.Role
KPPS = Q(role__in=Worker.KPPS_ROLES)
PEMDA_BOUNDARY = Scope(kabkota="kabkota_id")


def visible_workers(user, election):
    """The user's workers of ``election``. For a province's Pemda, the kab/kota codes are named
    too: the scope's boundary (a join to the province) then comes with a condition the
    ``worker_rollup`` index serves, instead of a scan of the whole country's workers."""
    qs = Worker.objects.visible_to(user).filter(election=election)
    pemda = Pemda.current()
    if pemda is not None and pemda.provinsi_id and not pemda.kabkota_id:
        qs = qs.filter(kabkota_id__in=list(KabKota.objects.filter(
            provinsi_id=pemda.provinsi_id).values_list("code", flat=True)))
    return qs


def percent(part, whole) -> float | None:
    return round(100 * (part or 0) / whole, 1) if whole else None


def coverage_rollup(queryset, key: str | None):
    """Active workers: required (all active), covered (BPJS aktif), screened, unfit, cost
    months. Grouped by ``key`` (a column name) or one total row."""
    active = queryset.filter(status=Worker.Status.AKTIF)
    aggregates = dict(
        required=Count("status"),
        covered=Count("status", filter=Q(bpjs_status=Worker.Bpjs.AKTIF)),
        submitted=Count("status", filter=Q(bpjs_status=Worker.Bpjs.DIAJUKAN)),
        screened=Count("status", filter=~Q(screening_result="")),
        unfit=Count("status", filter=Q(screening_result=Worker.Screening.TIDAK_LAYAK)),
        months=Sum("bpjs_months", filter=Q(bpjs_status=Worker.Bpjs.AKTIF)),
    )
    if key is None:
        row = active.aggregate(**aggregates)
        row["months"] = row["months"] or 0
        return row
    rows = {}
    for row in active.order_by().values(key).annotate(**aggregates):
        row["months"] = row["months"] or 0
        rows[row[key]] = row
    return rows


def coverage_by(queryset, key: str | None):
    """(total, per role, per ``key`` group) from ONE grouped query (by ``key`` and role):
    the coverage dashboard reads the worker table once, whatever the level."""
    keys = ["role"] if key is None else [key, "role"]
    total, roles, groups = dict(EMPTY), {}, {}
    for row in coverage_rollup_rows(queryset, keys):
        role = roles.setdefault(row["role"], dict(EMPTY))
        group = groups.setdefault(row[key], dict(EMPTY)) if key else None
        for name in EMPTY:
            value = row[name] or 0
            total[name] += value
            role[name] += value
            if group is not None:
                group[name] += value
    return total, roles, groups


def coverage_rollup_rows(queryset, keys: list[str]):
    # COUNT(status) (never null), not COUNT(id): every column read is in the worker_rollup index, so PostgreSQL
    # answers with a (parallel) index-only scan instead of reading the table (id is not in it).
    active = queryset.filter(status=Worker.Status.AKTIF)
    return active.order_by().values(*keys).annotate(
        required=Count("status"),
        covered=Count("status", filter=Q(bpjs_status=Worker.Bpjs.AKTIF)),
        submitted=Count("status", filter=Q(bpjs_status=Worker.Bpjs.DIAJUKAN)),
        screened=Count("status", filter=~Q(screening_result="")),
        unfit=Count("status", filter=Q(screening_result=Worker.Screening.TIDAK_LAYAK)),
        months=Sum("bpjs_months", filter=Q(bpjs_status=Worker.Bpjs.AKTIF)),
    )


EMPTY = {"required": 0, "covered": 0, "submitted": 0, "screened": 0, "unfit": 0,
         "months": 0}


def staffing(election, tps_qs, worker_qs, key: str) -> dict:
    """Expected and actual active workers per group (``key``: kecamatan_id, kelurahan_id or
    tps_id). Returns {group: {"kpps": (actual, expected), "ketua": …, "linmas": …, "ptps": …,
    "pps": …, "ppk": …}} (PPS only for kelurahan and above, PPK for kecamatan and above)."""
    norms = WorkerSettings.for_election(election)
    tps_key = "pk" if key == "tps_id" else key
    tps_counts = dict(tps_qs.order_by().values(tps_key).annotate(n=Count("pk")).values_list(tps_key, "n"))
    actual = {}
    for row in worker_qs.filter(status=Worker.Status.AKTIF).order_by().values(key).annotate(
            kpps=Count("status", filter=KPPS), ketua=Count("status", filter=Q(role=R.KPPS_KETUA)),
            linmas=Count("status", filter=Q(role=R.LINMAS)), ptps=Count("status", filter=Q(role=R.PTPS)),
            pps=Count("status", filter=Q(role=R.PPS)), ppk=Count("status", filter=Q(role=R.PPK))):
        actual[row[key]] = row
    kel_counts: dict = {}
    if key in ("kecamatan_id", "kabkota_id"):
        kel_qs = Kelurahan.objects.filter(code__in=tps_qs.order_by().values("kelurahan_id"))
        group = "kecamatan_id" if key == "kecamatan_id" else "kecamatan__kabkota_id"
        kel_counts = dict(kel_qs.order_by().values(group).annotate(n=Count("pk")).values_list(group, "n"))
    result = {}
    for group in set(tps_counts) | set(actual):
        if group is None:
            continue
        n_tps = tps_counts.get(group, 0)
        got = actual.get(group, {})
        entry = {
            "tps": n_tps,
            "kpps": (got.get("kpps", 0), n_tps * norms.kpps_per_tps),
            "ketua": (got.get("ketua", 0), n_tps),
            "linmas": (got.get("linmas", 0), n_tps * norms.linmas_per_tps),
            "ptps": (got.get("ptps", 0), n_tps * norms.ptps_per_tps),
        }
        if key == "kelurahan_id":
            entry["pps"] = (got.get("pps", 0), norms.pps_per_kelurahan)
        elif key in ("kecamatan_id", "kabkota_id"):
            entry["pps"] = (got.get("pps", 0), kel_counts.get(group, 0) * norms.pps_per_kelurahan)
            entry["ppk"] = (got.get("ppk", 0),
                            norms.ppk_per_kecamatan if key == "kecamatan_id" else 0)
        # The chair is one of the KPPS: a missing chair is not counted twice.
        entry["gap"] = sum(max(0, exp - act) for name, value in entry.items()
                           if isinstance(value, tuple) and name != "ketua" for act, exp in [value])
        result[group] = entry
    return result


def kpps_over_norm(worker_qs, key: str, norms: WorkerSettings) -> dict:
    """Per ``key`` group: the TPS with more active KPPS than the norm (one grouped query; the
    rows returned are the over-norm TPS only)."""
    over: dict = {}
    for group, _tps in (worker_qs.filter(KPPS, status=Worker.Status.AKTIF, tps__isnull=False)
                        .order_by().values(key, "tps_id").annotate(n=Count("status"))
                        .filter(n__gt=norms.kpps_per_tps).values_list(key, "tps_id")):
        over[group] = over.get(group, 0) + 1
    return over


def tps_for(user, election):
    return Tps.objects.visible_to(user).filter(election=election)
