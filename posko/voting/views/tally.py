"""The internal count of the C.Hasil per region for one contest."""

from __future__ import annotations

from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from posko.elections.drilldown import DrillDownView
from posko.elections.models import Tps
from posko.voting import services, tally


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
            rows = [{"code": code, "name": name, "entry": data["groups"].get(code),
                     "url": f"{base}?{link}&contest={contest.pk}"}
                    for code, name, link in level.children(user)]
        for row in rows:
            row["entry"] = row["entry"] or tally.empty_entry(numbers)
            row["cells"] = [(row["entry"]["votes"][n], row["entry"]["shares"][n]) for n in numbers]
        total = data["total"]
        context.update(
            rows=rows, total=total, pairs=[(n, pairs[n]) for n in numbers],
            total_cells=[(total["votes"][n], total["shares"][n]) for n in numbers],
            export_header=[_("Code"), _("Name"), "TPS", _("TPS in"), _("To verify"), "DPT",
                           _("Voters"), _("Turnout (%)"), _("Valid votes"), _("Invalid votes"),
                           *[pairs[n] for n in numbers]],
            export_rows=[[r["code"], r["name"], r["entry"]["tps"], r["entry"]["reported"],
                          r["entry"]["to_verify"], r["entry"]["dpt"], r["entry"]["voters"],
                          r["entry"]["turnout"], r["entry"]["valid"], r["entry"]["invalid"],
                          *[r["entry"]["votes"][n] for n in numbers]] for r in rows])
