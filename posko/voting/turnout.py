"""Turnout per contest from the counted C.Hasil, provided to other modules through
``core.turnout`` (outreach's turnout pages read it: one truth). One query per call."""

from __future__ import annotations

from django.db.models import Count, F, Sum
from django.db.models.functions import Coalesce

from posko.core import turnout as core_turnout
from posko.voting.models import TpsResult

_SUMS = {"n": Count("pk"), "dpt": Sum("tps__dpt_total"),
         # An empty registered DPTb/DPK counts as those who voted from it.
         "r_dptb": Sum(Coalesce("registered_dptb", F("voters_dptb"))),
         "r_dpk": Sum(Coalesce("registered_dpk", F("voters_dpk"))),
         "v_dpt": Sum("voters_dpt"), "v_dptb": Sum("voters_dptb"), "v_dpk": Sum("voters_dpk")}
_NAMES = ("n", "dpt", "r_dptb", "r_dpk", "v_dpt", "v_dptb", "v_dpk")


def _counted(election, contest):
    return TpsResult.objects.filter(election=election, contest=contest, is_counted=True)


def _rows(queryset, key: str) -> dict:
    return {code: core_turnout.Turnout(*(value or 0 for value in values))
            for code, *values in queryset.values_list(key).annotate(**_SUMS)
            .values_list(key, *_NAMES).order_by()}


def by_kelurahan(election, contest, user, *, kecamatan_code=None) -> dict:
    qs = TpsResult.objects.visible_to(user).filter(election=election, contest=contest,
                                                   is_counted=True)
    if kecamatan_code:
        qs = qs.filter(kecamatan_id=kecamatan_code)
    return _rows(qs, "kelurahan_id")


def by_tps(election, contest, tps_ids) -> dict:
    return _rows(_counted(election, contest).filter(tps_id__in=list(tps_ids)), "tps_id")


def counted_tps(election, contest):
    return _counted(election, contest).values("tps_id")


PROVIDER = core_turnout.TurnoutProvider(by_kelurahan=by_kelurahan, by_tps=by_tps,
                                        counted_tps=counted_tps)
