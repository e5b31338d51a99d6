"""The voting-day board: per child region (or per TPS at a kelurahan) how many TPS are in
each state, late to open, silent, done; a fixed number of queries at any size."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict

from django.db.models import Count, Max, Sum
from django.utils import timezone

from posko.elections.models import Tps
from posko.voting.models import ORDER, State, TpsDay


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
    tps = level.narrow(Tps.objects.visible_to(user).filter(election=election))
    days = level.narrow(TpsDay.objects.visible_to(user).filter(election=election))
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
