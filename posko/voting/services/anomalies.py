"""The statistical anomaly flags (robust z-scores, same results, last digits; formulas in
:mod:`posko.voting.anomalies`) recomputed for a contest over its counted entries.

Not per submission: a background job (``voting.anomalies``) runs every 5 minutes around
voting day for each contest of the active election, and when an admin presses "recompute
now" (with the contest's id). At national scale a contest is read **per kab/kota**, its
rows streamed (``values_list().iterator()``) and kept as small tuples, so memory is bounded
by the largest kab/kota, not by the country. Each kab/kota is written in one transaction:
``TpsResult.stat_flags`` of the rows whose flags changed (``bulk_update``), the flags of
current entries no longer counted cleared (older versions keep theirs), and the contest's ``AreaFlag`` rows of its kecamatan
replaced. Running it twice gives the same rows (idempotent)."""

from __future__ import annotations

import datetime
import gc
from collections import defaultdict

from django.db import transaction
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from posko.core import audit, clock, jobs
from posko.core.models import Job
from posko.elections.models import Contest, Election, Tps
from posko.regions.models import KabKota, Kecamatan
from posko.voting import anomalies as stats
from posko.voting.models import AreaFlag, TpsResult
from posko.voting.services.status import settings_for

JOB = "voting.anomalies"
EVERY = datetime.timedelta(minutes=5)
#: The periodic job works from voting day until this many days after (the night count, the
#: recapitulation); outside it, it does nothing.
DAYS_AFTER = 3
LEVELS = {"kelurahan": gettext_lazy("kelurahan"), "kecamatan": gettext_lazy("kecamatan"),
          "kabkota": gettext_lazy("kab/kota")}
Z_CODES = ("z_turnout", "z_share")
SAME = "same_result"
DIGITS, DIGITS_OK, DIGITS_FEW = "last_digit", "last_digit_ok", "last_digit_few"
FIELDS = ("pk", "tps_id", "kecamatan_id", "kelurahan_id", "tps__dpt_total", "voters_dpt",
          "voters_dptb", "voters_dpk", "valid", "invalid", "votes", "stat_flags")


def _num(value: float, places: int = 1) -> str:
    return number_format(round(value, places), places)


def _p(value: float) -> str:
    return _num(value, 4) if value >= 0.0001 else "< " + _num(0.0001, 4)


def counted(contest):
    return TpsResult.objects.filter(election_id=contest.election_id, contest=contest,
                                    is_counted=True)


def kabkota_of(contest) -> list[str]:
    if contest.kabkota_id:
        return [contest.kabkota_id]
    return list(KabKota.objects.filter(provinsi_id=contest.provinsi_id)
                .order_by("code").values_list("code", flat=True))


def recompute(contest, *, now=None, progress=None) -> dict:
    """Recompute the contest's statistical flags, kab/kota by kab/kota. Returns the counts
    ``{"entries", "tps_flagged", "changed", "kecamatan_flagged"}``."""
    now = now or clock.now()
    threshold = float(settings_for(Election.objects.get(pk=contest.election_id)).z_threshold)
    totals = {"entries": 0, "tps_flagged": 0, "changed": 0, "kecamatan_flagged": 0}
    places = kabkota_of(contest)
    for done, kabkota in enumerate(places):
        counts = _recompute_kabkota(contest, kabkota, threshold, now)
        for key, value in counts.items():
            totals[key] += value
        if progress:
            progress(done + 1, len(places))
    return totals


def _recompute_kabkota(contest, kabkota: str, threshold: float, now) -> dict:
    # Only tuples, lists and dicts without cycles are made here: the cyclic collector would
    # walk every object of the process again and again (half the time at 4,000 TPS).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _recompute_rows(contest, kabkota, threshold, now)
    finally:
        if collecting:
            gc.enable()


def _recompute_rows(contest, kabkota: str, threshold: float, now) -> dict:
    kecamatan = list(Kecamatan.objects.filter(kabkota_id=kabkota).values_list("code", flat=True))
    rows = []
    for (pk, tps, kec, kel, dpt, v_dpt, v_dptb, v_dpk, valid, invalid, votes,
         old) in counted(contest).filter(kecamatan_id__in=kecamatan).values_list(
            *FIELDS).iterator(chunk_size=2000):
        rows.append((pk, tps, kec, kel, dpt, v_dpt + v_dptb + v_dpk, valid, invalid,
                     votes or {}, old or []))
    flags = {row[0]: [] for row in rows}
    _z_flags(rows, kabkota, threshold, flags)
    _same_flags(rows, flags)
    areas = _digit_flags(contest, rows, now)
    changed = [TpsResult(pk=row[0], stat_flags=flags[row[0]]) for row in rows
               if row[9] != flags[row[0]]]
    with transaction.atomic():
        TpsResult.objects.bulk_update(changed, ["stat_flags"], batch_size=1000)
        # A current entry no longer counted (a verifier counted another source) loses its
        # flags; older versions keep theirs, as they were when counted (the history).
        TpsResult.objects.filter(election_id=contest.election_id, contest=contest,
                                 kecamatan_id__in=kecamatan, is_current=True,
                                 is_counted=False).exclude(stat_flags=[]).update(stat_flags=[])
        AreaFlag.objects.filter(election_id=contest.election_id, contest=contest,
                                kecamatan_id__in=kecamatan).delete()
        AreaFlag.objects.bulk_create(areas)
    return {"entries": len(rows), "tps_flagged": sum(1 for f in flags.values() if f),
            "changed": len(changed), "kecamatan_flagged": sum(a.code == DIGITS for a in areas)}


def _metrics(row) -> list[tuple[str, object, float]]:
    """(code, pair number or None, value as a share) of one entry."""
    _pk, _tps, _kec, _kel, dpt, voters, valid, _invalid, votes, _old = row
    found = []
    if dpt:
        found.append(("z_turnout", None, voters / dpt))
    if valid:
        found.extend(("z_share", int(n), c / valid) for n, c in sorted(
            votes.items(), key=lambda item: int(item[0])))
    return found


def _z_flags(rows, kabkota: str, threshold: float, flags: dict) -> None:
    values = defaultdict(list)  # (code, pair, region code) → values
    metrics = []
    for row in rows:
        found = _metrics(row)
        metrics.append(found)
        for code, pair, value in found:
            for region in (row[3], row[2], kabkota):
                values[(code, pair, region)].append(value)
    sizes = {key: len(v) for key, v in values.items()}
    spread = {key: stats.robust_spread(v) for key, v in values.items()}
    compare = {}  # (code, pair, kelurahan) → [(level, center, spread)], once per kelurahan
    for row, found in zip(rows, metrics, strict=True):
        for code, pair, value in found:
            key = (code, pair, row[3])
            groups = compare.get(key)
            if groups is None:
                groups = compare[key] = _groups(sizes, code, pair, row, kabkota, spread)
            if not groups:
                continue
            # Far from the kelurahan's median AND from the kecamatan's: one small group's
            # noisy MAD alone does not flag a TPS. The closest comparison is named.
            if all(scale is not None and abs(value - center) >= threshold * scale
                   for _level, center, scale in groups):
                level, center, scale = groups[0]
                flags[row[0]].append(_z_message(code, pair, value, (value - center) / scale,
                                                level, center))


def _groups(sizes, code, pair, row, kabkota, spread) -> list[tuple[str, float, float | None]]:
    """The distinct groups a TPS's metric is compared with (kelurahan level, kecamatan
    level, each moved up when too small), as (level, median, spread)."""
    counts = {region: sizes.get((code, pair, region), 0) for region in (row[3], row[2], kabkota)}
    groups, seen = [], set()
    for level in ("kelurahan", "kecamatan"):
        group = stats.group_for(counts, row[3], row[2], kabkota, level)
        if group is None or group[1] in seen:
            continue
        seen.add(group[1])
        groups.append((group[0], *spread[(code, pair, group[1])]))
    return groups


def _z_message(code, pair, value, z, level, center) -> dict:
    numbers = {"value": _num(100 * value), "median": _num(100 * center), "z": _num(z),
               "level": LEVELS[level]}
    if code == "z_turnout":
        message = _("Turnout %(value)s%% — far from the %(level)s median %(median)s%% "
                    "(z = %(z)s).") % numbers
    else:
        message = _("Pair %(number)s: %(value)s%% of the valid votes — far from the %(level)s "
                    "median %(median)s%% (z = %(z)s).") % {**numbers, "number": pair}
    return {"code": code, "message": message, "z": round(z, 2)}


def _same_flags(rows, flags: dict) -> None:
    groups = defaultdict(list)
    for row in rows:
        key = stats.same_result_key(row[8], row[6], row[7])
        if key is not None:
            groups[(row[2], key)].append(row)
    repeated = [group for group in groups.values() if len(group) >= 2]
    if not repeated:
        return
    names = {t.pk: str(t) for t in Tps.objects.filter(
        pk__in=[row[1] for group in repeated for row in group]).select_related("kelurahan")}
    for group in repeated:
        votes = ", ".join(f"{n}: {c}" for n, c in sorted(
            (int(n), c) for n, c in group[0][8].items()))
        for row in group:
            others = sorted(names[other[1]] for other in group if other is not row)
            flags[row[0]].append({"code": SAME, "message": _(
                "The same result (pairs %(votes)s; valid %(valid)s, invalid %(invalid)s) as "
                "%(others)s in the same kecamatan.") % {
                "votes": votes, "valid": row[6], "invalid": row[7],
                "others": ", ".join(others)}})


def _digit_flags(contest, rows, now) -> list[AreaFlag]:
    per_kecamatan = defaultdict(list)
    for row in rows:
        per_kecamatan[row[2]].extend(row[8].values())
    areas = []
    for kecamatan, counts in sorted(per_kecamatan.items()):
        histogram = stats.last_digits(counts)
        n = sum(histogram)
        test = stats.digit_test(histogram)
        if test is None:
            areas.append(AreaFlag(
                election_id=contest.election_id, contest=contest, kecamatan_id=kecamatan,
                code=DIGITS_FEW, computed_at=now, message=_(
                    "Last digits not tested: %(n)s counts of 10 or more, at least %(min)s "
                    "needed.") % {"n": n, "min": stats.MIN_DIGITS}))
            continue
        chi2, p = test
        numbers = {"chi2": _num(chi2, 2), "p": _p(p), "n": n}
        flagged = p < stats.DIGIT_P
        message = (_("Last digits of the pairs' votes far from uniform: χ² = %(chi2)s (9 "
                     "degrees of freedom), p = %(p)s, from %(n)s counts of 10 or more.")
                   if flagged else
                   _("Last digits of the pairs' votes consistent with uniform: χ² = %(chi2)s "
                     "(9 degrees of freedom), p = %(p)s, from %(n)s counts of 10 or more."))
        areas.append(AreaFlag(election_id=contest.election_id, contest=contest,
                              kecamatan_id=kecamatan, code=DIGITS if flagged else DIGITS_OK,
                              message=message % numbers, statistic=chi2, p_value=p,
                              computed_at=now))
    return areas


def digit_histograms(contest, kecamatan_codes) -> dict[str, list[int]]:
    """The last-digit histogram of each kecamatan (read again for the page: only the few
    flagged kecamatan are asked for)."""
    counts = defaultdict(list)
    for kecamatan, votes in counted(contest).filter(kecamatan_id__in=list(
            kecamatan_codes)).values_list("kecamatan_id", "votes").iterator(chunk_size=2000):
        counts[kecamatan].extend((votes or {}).values())
    return {code: stats.last_digits(values) for code, values in counts.items()}


# --- the job ---------------------------------------------------------------------------------

def contests_due(today=None) -> list[Contest]:
    """The active election's contests from voting day to DAYS_AFTER days after."""
    election = Election.objects.filter(is_active=True).first()
    today = today or clock.today()
    if election is None or not (
            election.voting_date <= today <= election.voting_date
            + datetime.timedelta(days=DAYS_AFTER)):
        return []
    return list(Contest.objects.filter(election=election).order_by("level", "name"))


def anomalies_job(ctx, contest: int | None = None) -> str:
    """The job: one contest (its id, the admin's button) or every contest due (the schedule)."""
    contests = list(Contest.objects.filter(pk=contest)) if contest else contests_due()
    parts = []
    for item in contests:
        counts = recompute(item, progress=lambda done, total, name=str(item): ctx.progress(
            name, done=done, total=total))
        if counts["changed"] or counts["kecamatan_flagged"]:
            audit.record("update", item, message=_(
                "Statistical flags recomputed: %(tps)s TPS flagged (%(changed)s changed), "
                "%(kec)s kecamatan with last digits far from uniform.") % {
                "tps": counts["tps_flagged"], "changed": counts["changed"],
                "kec": counts["kecamatan_flagged"]})
        parts.append(_("%(contest)s: %(tps)s of %(entries)s TPS flagged, %(kec)s kecamatan "
                       "flagged.") % {"contest": item, "tps": counts["tps_flagged"],
                                      "entries": counts["entries"],
                                      "kec": counts["kecamatan_flagged"]})
    return " ".join(parts) or _("No contest to recompute (not around voting day).")


def request_recompute(contest, user) -> Job:
    """Queue the job for ``contest`` unless one for it is already waiting (debounced)."""
    waiting = Job.objects.filter(kind=JOB, status=Job.Status.QUEUED,
                                 params={"contest": contest.pk}).first()
    if waiting is not None:
        return waiting
    return jobs.enqueue(JOB, label=_("Statistical flags of %(contest)s") % {"contest": contest},
                        user=user, params={"contest": contest.pk})


def last_computed(contest, kecamatan_codes=None):
    flags = AreaFlag.objects.filter(election_id=contest.election_id, contest=contest)
    if kecamatan_codes is not None:
        flags = flags.filter(kecamatan_id__in=list(kecamatan_codes))
    return flags.order_by("-computed_at").values_list("computed_at", flat=True).first()
