"""The internal count of the C.Hasil per region for one contest."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from posko.core import audit, clock
from posko.core.reports import current_letterhead, render_pdf
from posko.core.views import ElectionRequiredMixin
from posko.elections.drilldown import DrillDownView
from posko.elections.models import Tps
from posko.voting import services, tally
from posko.voting.report import tally_report


class TallyView(DrillDownView):
    """The internal count per region for one contest (``?contest=``): TPS in, to verify,
    turnout, votes and shares per pair."""

    template_name = "voting/tally.html"
    url_name = "voting:tally"
    export_name = "rekap-hasil"

    def fill(self, context, election, level) -> None:
        contests = services.contests_of(election)
        chosen = self.request.GET.get("contest", "")
        contest = next((c for c in contests if str(c.pk) == chosen), contests[0] if contests
                       else None)
        if chosen and (contest is None or str(contest.pk) != chosen):
            raise Http404
        context.update(contests=contests, contest=contest)
        if contest is None:
            context.update(rows=[], export_header=[], export_rows=[])
            return
        pairs = services.ballot_numbers(contest)
        numbers = sorted(pairs)
        user = self.request.user
        data = tally.tally(election, contest, user, level, numbers)
        base = reverse(self.url_name)
        if level.name == "kelurahan":
            tps = {t.pk: t for t in level.narrow(Tps.objects.visible_to(user).filter(
                election=election))}
            rows = [{"code": f"TPS {t.number:03d}", "name": "", "entry": data["groups"].get(pk),
                     "url": reverse("voting:tps", args=[pk])}
                    for pk, t in sorted(tps.items(), key=lambda item: item[1].number)]
        else:
            # Only the places where the contest is voted (a mayor's: the city's kecamatan).
            area = f"{contest.kabkota_id or contest.provinsi_id}."
            rows = [{"code": code, "name": name, "entry": data["groups"].get(code),
                     "url": f"{base}?{link}&contest={contest.pk}"}
                    for code, name, link in level.children(user) if code.startswith(area)]
        for row in rows:
            row["entry"] = row["entry"] or tally.empty_entry(numbers)
            row["cells"] = [(row["entry"]["votes"][n], row["entry"]["shares"][n]) for n in numbers]
        total = data["total"]
        context.update(
            rows=rows, total=total, pairs=[(n, pairs[n]) for n in numbers],
            total_cells=[(total["votes"][n], total["shares"][n]) for n in numbers],
            pdf_url=f"{reverse('voting:tally_pdf')}?contest={contest.pk}",
            export_header=[_("Code"), _("Name"), "TPS", _("TPS in"), _("Verified"), _("To verify"), "DPT",
                           _("Voters"), _("Turnout (%)"), _("Valid votes"), _("Invalid votes"),
                           *[pairs[n] for n in numbers]],
            export_rows=[[r["code"], r["name"], r["entry"]["tps"], r["entry"]["reported"],
                          r["entry"]["verified"], r["entry"]["to_verify"], r["entry"]["dpt"], r["entry"]["voters"],
                          r["entry"]["turnout"], r["entry"]["valid"], r["entry"]["invalid"],
                          *[r["entry"]["votes"][n] for n in numbers]] for r in rows])


class TallyPdfView(LoginRequiredMixin, ElectionRequiredMixin, View):
    """The tally as a PDF with the letterhead (for the Wali Kota): every contest, or the one
    in ``?contest=``; limited to what the user may see."""

    def get(self, request, *args, **kwargs):
        contests = services.contests_of(self.election)
        chosen = request.GET.get("contest", "")
        if chosen:
            contests = [c for c in contests if str(c.pk) == chosen]
            if not contests:
                raise Http404
        report = tally_report(request.user, self.election, contests)
        audit.record("export", actor=request.user, object_repr="rekap-hasil",
                     message=f"pdf: {chosen or 'semua pemilihan'}")
        response = HttpResponse(render_pdf(report, current_letterhead()),
                                content_type="application/pdf")
        stamp = timezone.localtime(clock.now()).strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="rekap-hasil-{stamp}.pdf"'
        return response
