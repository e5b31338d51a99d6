"""The voting-day board: per child region (or per TPS at a kelurahan) how many TPS are in
each state, late to open, silent, done; a fixed number of queries at any size."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict

from django.db.models import Count, FloatField, Max, Q, Sum
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from posko.elections.models import Tps
from posko.voting.models import ORDER, State, TpsDay

#: Up to this many kecamatan, a Pemda-level query names them, so the (election, kecamatan, …)
#: indexes of the TPS rows apply (a city's board reads its own rows, not the table).
NAMED_KECAMATAN = 1000


def narrow(level, queryset):
    """``level.narrow(queryset)``; at the Pemda level also by the visible kecamatan."""
    queryset = level.narrow(queryset)
    codes = level.kecamatan_list
    if level.name == "pemda" and codes is not None and len(codes) <= NAMED_KECAMATAN:
        queryset = queryset.filter(kecamatan_id__in=[k.code for k in codes])
    return queryset


def opening_deadline(election, conf) -> datetime.datetime:
    """After this moment an opening is late (local time of the Pemda)."""
    start = datetime.datetime.combine(election.voting_date, conf.opening_time)
    return timezone.make_aware(start) + datetime.timedelta(minutes=conf.open_tolerance_minutes)


def is_voting_day(election, now) -> bool:
    return timezone.localtime(now).date() == election.voting_date


def silent_since(conf, now) -> datetime.datetime:
    return now - datetime.timedelta(minutes=conf.silent_minutes)


def version(days) -> tuple:
    """What the board shows changes only when a report arrives: every report adds a TPS
    day or raises its version, so (count, sum of versions) moves with each one."""
    latest = days.aggregate(n=Count("pk"), versions=Sum("version"), last=Max("last_report_at"))
    return latest["n"], latest["versions"], latest["last"]


def rollup(election, user, level, conf, now) -> dict:
    """``{"groups": {key: {...}}, "total": {...}}`` with, per group: tps, per state,
    not_reported, late, not_open (past the deadline), silent, done."""
    key = level.key
    tps = narrow(level, Tps.objects.visible_to(user).filter(election=election))
    days = narrow(level, TpsDay.objects.visible_to(user).filter(election=election))
    deadline = opening_deadline(election, conf)
    live = is_voting_day(election, now)
    groups: dict = defaultdict(lambda: {"tps": 0, "states": Counter(), "late": 0, "opened": 0,
                                        "silent": 0, "reported": 0})
    tps_key = "pk" if key == "tps_id" else key  # at a kelurahan: one group per TPS
    for code, n in tps.order_by().values(tps_key).annotate(n=Count("pk")).values_list(tps_key, "n"):
        groups[code]["tps"] = n
    for code, state, n in days.order_by().values(key, "state").annotate(n=Count("pk")) \
            .values_list(key, "state", "n"):
        groups[code]["states"][state] += n
        groups[code]["reported"] += n
    for code, n in days.filter(opened_at__gt=deadline).order_by().values(key) \
            .annotate(n=Count("pk")).values_list(key, "n"):
        groups[code]["late"] = n
    for code, n in days.filter(opened_at__isnull=False).order_by().values(key) \
            .annotate(n=Count("pk")).values_list(key, "n"):
        groups[code]["opened"] = n
    if live and now >= timezone.make_aware(datetime.datetime.combine(
            election.voting_date, conf.opening_time)):
        for code, n in days.exclude(state=State.SELESAI).filter(
                last_report_at__lt=silent_since(conf, now)).order_by().values(key) \
                .annotate(n=Count("pk")).values_list(key, "n"):
            groups[code]["silent"] = n
    total = {"tps": 0, "states": Counter(), "late": 0, "opened": 0, "silent": 0, "reported": 0}
    for entry in groups.values():
        entry["not_reported"] = max(0, entry["tps"] - entry["reported"])
        entry["not_open"] = entry["tps"] - entry["opened"] if now > deadline else 0
        if live:  # a TPS that never reported is silent too once the day started
            entry["silent"] += entry["not_reported"] if now > deadline else 0
        entry["done"] = entry["states"][State.SELESAI]
        entry["done_percent"] = round(100 * entry["done"] / entry["tps"], 1) if entry["tps"] else None
        entry["cells"] = [entry["states"][state] for state in ORDER]
        for field in ("tps", "late", "opened", "silent", "reported", "not_reported", "not_open",
                      "done"):
            total[field] = total.get(field, 0) + entry[field]
        total["states"].update(entry["states"])
    total.setdefault("not_reported", 0)
    total.setdefault("not_open", 0)
    total.setdefault("done", 0)
    total["done_percent"] = round(100 * total["done"] / total["tps"], 1) if total["tps"] else None
    total["cells"] = [total["states"][state] for state in ORDER]
    return {"groups": groups, "total": total, "deadline": deadline, "live": live}


# --- the map -------------------------------------------------------------------------------------

#: The map's classes: "not reported" first, then the states in order (a point's class index).
MAP_COLOURS = {"": "#9ca3af", State.SIAP: "#6366f1", State.DIBUKA: "#0ea5e9",
               State.PEMUNGUTAN: "#f59e0b", State.DITUTUP: "#a855f7",
               State.PENGHITUNGAN: "#ea580c", State.SELESAI: "#16a34a"}
MAP_STATES = ["", *ORDER]


def map_classes() -> list[dict]:
    return [{"code": code or "none", "label": str(State(code).label) if code else
             _("Not reported"), "colour": MAP_COLOURS[code]} for code in MAP_STATES]


def map_tps(election, user, level):
    return narrow(level, Tps.objects.visible_to(user).filter(election=election))


def without_coordinates(election, user, level) -> int:
    return map_tps(election, user, level).filter(
        Q(latitude__isnull=True) | Q(longitude__isnull=True)).count()


def map_stamp(election, user, level) -> tuple:
    """What the map's data depends on: the reports (``version``) and the TPS rows (moved,
    added), plus how many TPS have no coordinates (two aggregate queries)."""
    days = narrow(level, TpsDay.objects.visible_to(user).filter(election=election))
    tps = map_tps(election, user, level).aggregate(
        n=Count("pk"), moved=Max("updated_at"),
        missing=Count("pk", filter=Q(latitude__isnull=True) | Q(longitude__isnull=True)))
    return version(days), (tps["n"], tps["moved"], tps["missing"])


def map_points(election, user, level) -> list[list]:
    """[[tps_id, lat, lon, class index, TPS number]] of the TPS with coordinates (one
    query: the TPS with their day joined)."""
    index = {code: i for i, code in enumerate(MAP_STATES)}
    rows = map_tps(election, user, level).filter(
        latitude__isnull=False, longitude__isnull=False).order_by("pk").values_list(
        "pk", Cast("latitude", FloatField()), Cast("longitude", FloatField()), "day__state",
        "number")
    return [[pk, round(lat, 6), round(lon, 6), index.get(state or "", 0), number]
            for pk, lat, lon, state, number in rows.iterator(chunk_size=5000)]
