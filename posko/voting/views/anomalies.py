"""Anomali: per contest, the TPS whose counted entry failed a check or carries a flag (the
entry's own anomaly flags and the statistical ones), filterable by code and by kecamatan /
kelurahan, in the user's scope; the kecamatan's last-digit tests with their histograms; a
"recompute now" button for the Desk admin; CSV/XLSX export."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from posko.elections.drilldown import DrillDownView
from posko.voting import services
from posko.voting.models import AreaFlag, TpsResult
from posko.voting.services import anomalies

#: Where a finding comes from (the three lists of an entry).
KINDS = (("checks", gettext_lazy("Arithmetic")), ("flags", gettext_lazy("Flag")),
         ("stat_flags", gettext_lazy("Statistics")))
CODE_LABELS = {
    "pairs_valid": gettext_lazy("Pairs' sum ≠ valid votes"),
    "valid_invalid_used": gettext_lazy("Valid + invalid ≠ ballots used"),
    "used_voters": gettext_lazy("Ballots used ≠ voters"),
    "ballots_balance": gettext_lazy("Ballot balance"),
    "voters_dpt": gettext_lazy("Voters above the DPT"),
    "pair_over_valid": gettext_lazy("A pair above the valid votes"),
    "over_dpt": gettext_lazy("Pairs' sum > DPT × 1.02"),
    "one_pair": gettext_lazy("One pair ≥ 95%"),
    "before_close": gettext_lazy("Entered before closing"),
    "z_turnout": gettext_lazy("Turnout far from the median"),
    "z_share": gettext_lazy("Pair's share far from the median"),
    "same_result": gettext_lazy("Same result at several TPS"),
}
AREA_ORDER = {anomalies.DIGITS: 0, anomalies.DIGITS_OK: 1, anomalies.DIGITS_FEW: 2}


def findings(result) -> list[dict]:
    return [{"kind": label, "source": field, "code": item.get("code", ""),
             "message": item.get("message", "")}
            for field, label in KINDS for item in getattr(result, field) or []]


class AnomaliesView(DrillDownView):
    """``?contest=`` (default the first), ``?code=``, ``?kecamatan=`` / ``?kelurahan=``."""

    template_name = "voting/anomalies.html"
    url_name = "voting:anomalies"
    export_name = "anomali-hasil"

    def contest(self, election):
        contests = services.contests_of(election)
        chosen = self.request.GET.get("contest", "")
        contest = next((c for c in contests if str(c.pk) == chosen),
                       None if chosen else (contests[0] if contests else None))
        if chosen and contest is None:
            raise Http404
        return contests, contest

    def fill(self, context, election, level) -> None:
        contests, contest = self.contest(election)
        code = self.request.GET.get("code", "")
        context.update(contests=contests, contest=contest, code=code, rows=[], areas=[],
                       export_header=[], export_rows=[], codes=[],
                       may_recompute=self.request.user.is_desk_admin)
        if contest is None:
            return
        user = self.request.user
        entries = level.narrow(TpsResult.objects.visible_to(user).filter(
            election=election, contest=contest, is_counted=True)).exclude(
            checks=[], flags=[], stat_flags=[]).select_related(
            "tps", "kelurahan", "kecamatan").order_by("kecamatan_id", "kelurahan_id", "tps__number")
        rows, seen = [], {}
        for entry in entries:
            found = findings(entry)
            for item in found:
                seen[item["code"]] = CODE_LABELS.get(item["code"], item["code"])
            if code and not any(item["code"] == code for item in found):
                continue
            entry.tps.kelurahan = entry.kelurahan  # str(tps) names it without a query
            rows.append({"entry": entry, "tps": entry.tps, "findings": found})
        if code and code not in seen and code not in CODE_LABELS:
            raise Http404
        context.update(level_children=level.children(user) or [], rows=rows, codes=sorted(seen.items(), key=lambda item: str(item[1])),
                       code_label=CODE_LABELS.get(code, code))
        if not getattr(user, "scope_kelurahan_id", None):
            self.fill_areas(context, election, contest, level)
        context.update(
            export_header=[_("Kecamatan"), _("Kelurahan"), "TPS", _("Status"), _("Kind"),
                           _("Code"), _("Finding")],
            export_rows=[[r["entry"].kecamatan.name, r["entry"].kelurahan.name, str(r["tps"]),
                          r["entry"].get_status_display(), str(f["kind"]), f["code"],
                          f["message"]] for r in rows for f in r["findings"]
                         if not code or f["code"] == code])

    def fill_areas(self, context, election, contest, level) -> None:
        """The kecamatan's last-digit tests (a lurah, who sees one kelurahan, has none)."""
        areas = AreaFlag.objects.visible_to(self.request.user).filter(
            election=election, contest=contest)
        if level.kecamatan:
            areas = areas.filter(kecamatan_id=level.kecamatan.code)
        areas = sorted(areas.select_related("kecamatan"),
                       key=lambda a: (AREA_ORDER.get(a.code, 3), a.kecamatan.name))
        flagged = [a.kecamatan_id for a in areas if a.code == anomalies.DIGITS]
        histograms = anomalies.digit_histograms(contest, flagged) if flagged else {}
        for area in areas:
            counts = histograms.get(area.kecamatan_id)
            top = max(counts or [0]) or 1
            area.histogram = [(digit, n, round(100 * n / top)) for digit, n in
                              enumerate(counts)] if counts else None
        context.update(areas=areas, computed_at=max((a.computed_at for a in areas),
                                                    default=None))

    def post(self, request, *args, **kwargs):
        """The Desk admin's "recompute now": queues the job for the contest."""
        if not request.user.is_authenticated or not request.user.is_desk_admin:
            raise PermissionDenied
        if request.election is None:
            raise Http404
        _contests, contest = self.contest(request.election)
        if contest is None:
            raise Http404
        job = anomalies.request_recompute(contest, request.user)
        messages.info(request, _("The statistical flags of %(contest)s are being recomputed "
                                 "in the background (job %(id)s).") % {
            "contest": contest, "id": job.pk})
        return HttpResponseRedirect(f"{reverse(self.url_name)}?contest={contest.pk}")
