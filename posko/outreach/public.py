"""The outreach agenda on the public portal (core.public): upcoming activities (date, kind,
title, place) and how many were held; never who organised or recorded them."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from posko.core import clock
from posko.core.public import register_public_section
from posko.outreach.models import Activity

LIMIT = 20


def build(election, kelurahan):
    today = timezone.localtime(clock.now()).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = Activity.objects.filter(election=election)
    if kelurahan:
        rows = rows.filter(kelurahan_id=kelurahan)
    counts = rows.aggregate(
        upcoming=Count("id", filter=Q(status=Activity.Status.PLANNED, starts_at__gte=today)),
        held=Count("id", filter=Q(status=Activity.Status.HELD)))
    upcoming = (rows.filter(status=Activity.Status.PLANNED, starts_at__gte=today)
                .select_related("kecamatan", "kelurahan").order_by("starts_at", "pk")[:LIMIT])
    agenda = [{"starts_at": a.starts_at, "kind": a.get_kind_display(), "title": a.title,
               "kecamatan": a.kecamatan.name if a.kecamatan_id else "",
               "kelurahan": a.kelurahan.name if a.kelurahan_id else "", "venue": a.venue}
              for a in upcoming]
    return {"agenda": agenda, "upcoming": counts["upcoming"], "held": counts["held"],
            "more": max(counts["upcoming"] - len(agenda), 0)}


def register() -> None:
    register_public_section("agenda", _("Outreach agenda"), build, "outreach/_public.html",
                            order=40, ttl=300)
