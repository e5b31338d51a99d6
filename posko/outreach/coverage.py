"""Coverage and participation arithmetic (exact, documented in docs/modules/outreach.md).

Kelurahan coverage counts only activities that are

* **held** (planned and cancelled ones reach nobody yet),
* **placed in that kelurahan**, and
* **not media/online** (their audience is not tied to a kelurahan: it is reported
  separately, once, and never added to any kelurahan).

For each kelurahan of the election:

* ``activities``: the number of such activities;
* ``reached``: the sum of their attendance (a person who came to two activities counts
  twice: attendance lists are not matched person by person);
* ``dpt``: the sum of ``Tps.dpt_total`` of the kelurahan's TPS in the election;
* ``reach_per_1000 = reached / dpt × 1000``, rounded half-up to one decimal (None when
  the kelurahan has no DPT);
* ``groups_reached``: the target groups named by at least one counted activity;
  ``groups_missing``: the active groups never reached;
* ``days_since``: whole days from the date (Asia/Jakarta) of the last counted activity
  to ``today``.

Kecamatan and Pemda roll-ups add ``reached`` and ``dpt`` first and divide once (never an
average of kelurahan ratios).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Max, Sum
from django.utils import timezone
from django.utils.formats import number_format

from posko.core import clock
from posko.core.scope import Scope, region_filter
from posko.elections.models import Tps
from posko.outreach.models import (
    Activity,
    TargetGroup,
)
from posko.regions.models import Kecamatan, Kelurahan

HELD = Activity.Status.HELD
MEDIA = Activity.Kind.MEDIA
THROUGH_SCOPE = Scope(kabkota="activity__kabkota_id", kecamatan="activity__kecamatan_id",
                      kelurahan="activity__kelurahan_id")


def _half_up(numerator: int, denominator: int, places: int) -> Decimal:
    """numerator / denominator rounded half-up to ``places`` decimals, in integers (exact)."""
    scale = 10 ** places
    quotient = (2 * numerator * scale + denominator) // (2 * denominator)
    return Decimal(quotient).scaleb(-places) if places else Decimal(quotient)


def per_1000(reached: int, dpt: int) -> Decimal | None:
    """reached / dpt × 1000, half-up to one decimal (reached, dpt ≥ 0)."""
    if not dpt:
        return None
    return _half_up(reached * 1000, dpt, 1)


def percent(part: int, whole: int) -> Decimal | None:
    """part / whole × 100, half-up to two decimals."""
    if not whole:
        return None
    return _half_up(part * 100, whole, 2)


def fmt(value) -> str:
    """A figure for a sentence (cards, task notes): grouped, its own decimals, "—" for none."""
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        return number_format(value, decimal_pos=-value.as_tuple().exponent, force_grouping=True)
    return number_format(value, force_grouping=True)


def counted_activities(election, queryset=None):
    """The activities that count in kelurahan coverage (see the module docstring)."""
    qs = queryset if queryset is not None else Activity.objects.all()
    return qs.filter(election=election, status=HELD, kelurahan__isnull=False).exclude(kind=MEDIA)


def media_activities(election, queryset=None):
    qs = queryset if queryset is not None else Activity.objects.all()
    return qs.filter(election=election, status=HELD, kind=MEDIA)


@dataclass
class Row:
    code: str
    name: str
    kecamatan_code: str = ""
    kecamatan_name: str = ""
    dpt: int = 0
    activities: int = 0
    reached: int = 0
    planned: int = 0
    last: datetime.datetime | None = None
    days_since: int | None = None
    groups_reached: list = field(default_factory=list)
    groups_missing: list = field(default_factory=list)
    kelurahan_count: int = 0

    @property
    def reach_per_1000(self) -> Decimal | None:
        return per_1000(self.reached, self.dpt)


def kelurahan_queryset(user, kecamatan_code=None, kelurahan_code=None):
    qs = Kelurahan.objects.visible_to(user)
    if kecamatan_code:
        qs = qs.filter(kecamatan_id=kecamatan_code)
    if kelurahan_code:
        qs = qs.filter(code=kelurahan_code)
    return qs


def kelurahan_coverage(election, user, *, kecamatan_code=None, kelurahan_code=None, today=None,
                       with_groups=True) -> list[Row]:
    """One row per kelurahan the user may see (optionally of one kecamatan), least
    covered first (no DPT last)."""
    today = today or clock.today()
    kelurahan = list(kelurahan_queryset(user, kecamatan_code, kelurahan_code)
                     .values_list("code", "name", "kecamatan_id", "kecamatan__name"))
    rows = {code: Row(code, name, kec, kec_name) for code, name, kec, kec_name in kelurahan}
    if not rows:
        return []
    place = {}
    if kelurahan_code:
        place = {"kelurahan_id": kelurahan_code}
    elif kecamatan_code:
        place = {"kecamatan_id": kecamatan_code}
    tps = Tps.objects.visible_to(user).filter(election=election, **place)
    for code, dpt in tps.values_list("kelurahan_id").annotate(d=Sum("dpt_total")).order_by():
        if code in rows:
            rows[code].dpt = dpt or 0
    acts = Activity.objects.visible_to(user).filter(election=election, **place)
    stats = (counted_activities(election, acts).values_list("kelurahan_id")
             .annotate(n=Count("pk"), reached=Sum("attendance"), last=Max("starts_at")).order_by())
    tz = timezone.get_current_timezone()
    for code, n, reached, last in stats:
        row = rows.get(code)
        if row is not None:
            row.activities, row.reached, row.last = n, reached or 0, last
            row.days_since = (today - last.astimezone(tz).date()).days if last else None
    planned = (acts.filter(status=Activity.Status.PLANNED, kelurahan__isnull=False)
               .exclude(kind=MEDIA).values_list("kelurahan_id").annotate(n=Count("pk")).order_by())
    for code, n in planned:
        if code in rows:
            rows[code].planned = n
    if with_groups:
        groups = list(TargetGroup.objects.filter(is_active=True))
        # One join of the link table with the counted activities (no IN-subquery), scoped
        # with the same rule as Activity.objects.visible_to.
        through = Activity.target_groups.through.objects.filter(
            region_filter(THROUGH_SCOPE, user), activity__election=election,
            activity__status=HELD, activity__kelurahan__isnull=False,
            **{f"activity__{key}": value for key, value in place.items()},
        ).exclude(activity__kind=MEDIA)
        reached: dict[str, set] = defaultdict(set)
        for code, group_id in through.values_list("activity__kelurahan_id",
                                                  "targetgroup_id").distinct().order_by():
            reached[code].add(group_id)
        keyed = [(g.pk, g) for g in groups]
        none_reached = [g for _pk, g in keyed]
        for code, row in rows.items():
            got = reached.get(code)
            if not got:
                row.groups_missing = none_reached
                continue
            row.groups_reached = [g for pk, g in keyed if pk in got]
            row.groups_missing = [g for pk, g in keyed if pk not in got]
    return sorted(rows.values(), key=sort_key)


def sort_key(row: Row):
    value = row.reach_per_1000
    return (value is None, value if value is not None else Decimal(0), row.activities,
            row.kecamatan_name, row.name)


def rollup(rows: list[Row], by: str = "kecamatan") -> list[Row]:
    """Kecamatan roll-up (``by="kecamatan"``) or the total (``by="total"``) of kelurahan rows."""
    result: dict[str, Row] = {}
    for row in rows:
        key = row.kecamatan_code if by == "kecamatan" else ""
        name = row.kecamatan_name if by == "kecamatan" else ""
        target = result.setdefault(key, Row(key, name, key, name))
        target.dpt += row.dpt
        target.activities += row.activities
        target.reached += row.reached
        target.planned += row.planned
        target.kelurahan_count += 1
        if row.last and (target.last is None or row.last > target.last):
            target.last = row.last
        if row.days_since is not None and (target.days_since is None
                                           or row.days_since < target.days_since):
            target.days_since = row.days_since
    return sorted(result.values(), key=sort_key)


@dataclass
class MediaSummary:
    activities: int
    reached: int


def media_summary(election, user) -> MediaSummary:
    data = media_activities(election, Activity.objects.visible_to(user)).aggregate(
        n=Count("pk"), reached=Sum("attendance"))
    return MediaSummary(data["n"] or 0, data["reached"] or 0)


def kecamatan_names(codes) -> dict[str, str]:
    return dict(Kecamatan.objects.filter(code__in=list(codes)).values_list("code", "name"))


def activities_on(day: datetime.date, election, user):
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)
    return (Activity.objects.visible_to(user).filter(
        election=election, starts_at__gte=start, starts_at__lt=start + datetime.timedelta(days=1))
        .exclude(status=Activity.Status.CANCELLED))
