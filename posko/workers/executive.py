"""The workers section of the executive dashboard (``core.executive``): BPJS coverage,
the workers' incidents (sick, accident, death) and their BPJS claims by status with the
amount paid. Three grouped queries over the rows the user may see; no names."""

from __future__ import annotations

from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from posko.core import executive
from posko.core.dashboard import Card
from posko.core.reports import Table
from posko.workers import stats
from posko.workers.models import Claim, Incident


def _n(value) -> str:
    return number_format(value or 0, force_grouping=True)


def workers_section(user, election, today) -> executive.Section | None:
    coverage = stats.coverage_rollup(stats.visible_workers(user, election), None)
    incidents = Incident.objects.visible_to(user).filter(worker__election=election).order_by() \
        .aggregate(total=Count("pk"), sick=Count("pk", filter=Q(kind=Incident.Kind.SAKIT)),
                   accident=Count("pk", filter=Q(kind=Incident.Kind.KECELAKAAN)),
                   death=Count("pk", filter=Q(kind=Incident.Kind.MENINGGAL)))
    claims = dict((status, (n, paid)) for status, n, paid in Claim.objects.visible_to(user).filter(
        incident__worker__election=election).order_by().values("status").annotate(
        n=Count("pk"), paid=Sum("amount")).values_list("status", "n", "paid"))
    if not coverage["required"] and not incidents["total"] and not claims:
        return None
    missing = coverage["required"] - coverage["covered"]
    figures = [
        Card(_("Workers covered by BPJS"), f"{_n(coverage['covered'])} / {_n(coverage['required'])}",
             reverse("workers:coverage"),
             note=_("%(n)s without coverage") % {"n": _n(missing)} if missing else "",
             alert=bool(missing)),
        Card(_("Workers' incidents"), _n(incidents["total"]), reverse("workers:incident_list"),
             note=_("%(sick)s sick, %(accident)s accidents, %(death)s deaths") % {
                 "sick": _n(incidents["sick"]), "accident": _n(incidents["accident"]),
                 "death": _n(incidents["death"])},
             alert=bool(incidents["death"])),
    ]
    open_claims = sum(claims.get(s, (0, 0))[0] for s in (Claim.Status.DISIAPKAN,
                                                          Claim.Status.DIAJUKAN))
    paid_n, paid = claims.get(Claim.Status.DIBAYAR, (0, 0))
    figures.append(Card(_("BPJS claims in progress"), _n(open_claims),
                        reverse("workers:incident_list"),
                        note=_("%(n)s paid, Rp %(amount)s") % {"n": _n(paid_n), "amount": _n(paid)}))
    table = Table([_("Claim status"), _("Claims"), _("Amount (Rp)")],
                  [[str(label), _n(claims.get(status, (0, 0))[0]),
                    _n(claims.get(status, (0, 0))[1])] for status, label in Claim.Status.choices],
                  caption=_("BPJS claims"), widths=[50, 20, 30]) if claims else None
    return executive.Section(figures=figures, tables=[table] if table else [],
                             url=reverse("workers:incident_list"))


def register() -> None:
    executive.register_section("workers", gettext_lazy("Ad hoc workers"), workers_section,
                               order=50)
