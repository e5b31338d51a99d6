"""The beranda and the region browser (kecamatan → kelurahan → TPS, each level with
its TPS count and DPT sums), scoped to what the user may see. They live here, not in
``regions``, because they count TPS and ``regions`` imports nothing but ``core``."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Count, Q, Sum
from django.http import Http404
from django.views.generic import TemplateView

from posko.core import clock
from posko.core.dashboard import cards_for
from posko.elections.models import Tps
from posko.regions.models import Kecamatan, Kelurahan


def _tps_sums(prefix: str, election):
    """Annotations counting the active election's TPS under a region."""
    only = Q(**{f"{prefix}__election": election})
    return {
        "tps_count": Count(prefix, filter=only),
        "dpt_total": Sum(f"{prefix}__dpt_total", filter=only),
        "dpt_men": Sum(f"{prefix}__dpt_men", filter=only),
        "dpt_women": Sum(f"{prefix}__dpt_women", filter=only),
    }


def _totals(rows):
    keys = ("tps_count", "dpt_total", "dpt_men", "dpt_women")
    return {k: sum((getattr(r, k) or 0) for r in rows) for k in keys}


class KecamatanListView(LoginRequiredMixin, TemplateView):
    template_name = "regions/kecamatan_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        election = self.request.election
        rows = list(
            Kecamatan.objects.visible_to(self.request.user)
            .annotate(kelurahan_count=Count("kelurahan", distinct=True))
            .order_by("name")
        )
        # Sums from the TPS table itself (one grouped query) to avoid join fan-out.
        sums = {
            row["kecamatan_id"]: row
            for row in Tps.objects.visible_to(self.request.user).filter(election=election)
            .values("kecamatan_id")
            .annotate(tps_count=Count("pk"), dpt_total=Sum("dpt_total"), dpt_men=Sum("dpt_men"),
                      dpt_women=Sum("dpt_women"))
        }
        for row in rows:
            for key in ("tps_count", "dpt_total", "dpt_men", "dpt_women"):
                setattr(row, key, sums.get(row.code, {}).get(key) or 0)
        context.update(rows=rows, totals=_totals(rows), election=election,
                       kelurahan_total=sum(r.kelurahan_count for r in rows))
        return context


class KecamatanDetailView(LoginRequiredMixin, TemplateView):
    template_name = "regions/kecamatan_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            kecamatan = Kecamatan.objects.visible_to(self.request.user).get(code=kwargs["code"])
        except Kecamatan.DoesNotExist:
            raise Http404 from None
        election = self.request.election
        rows = list(
            Kelurahan.objects.visible_to(self.request.user).filter(kecamatan=kecamatan)
            .annotate(**_tps_sums("tps", election)).order_by("name")
        )
        context.update(kecamatan=kecamatan, rows=rows, totals=_totals(rows), election=election)
        return context


class KelurahanDetailView(LoginRequiredMixin, TemplateView):
    template_name = "regions/kelurahan_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            kelurahan = Kelurahan.objects.visible_to(self.request.user).select_related(
                "kecamatan").get(code=kwargs["code"])
        except Kelurahan.DoesNotExist:
            raise Http404 from None
        election = self.request.election
        tps = list(Tps.objects.visible_to(self.request.user).filter(
            election=election, kelurahan=kelurahan).order_by("number"))
        context.update(kelurahan=kelurahan, tps_list=tps, election=election,
                       totals={"tps_count": len(tps), "dpt_total": sum(t.dpt_total for t in tps),
                               "dpt_men": sum(t.dpt_men for t in tps),
                               "dpt_women": sum(t.dpt_women for t in tps)},
                       can_edit=self.request.user.can_edit_registry)
        return context


def who_parts(user) -> list[str]:
    """Name, role and area for the beranda's subtitle, without saying a thing twice: the
    demo's admin is called "Admin Desk Pilkada", which is also the role's label."""
    parts: list[str] = []
    for part in (user.get_full_name() or user.get_username(), str(user.role_label),
                 str(user.scope_label)):
        if part and not any(part.casefold() in seen.casefold() for seen in parts):
            parts.append(part)
    return parts


class HomeView(LoginRequiredMixin, TemplateView):
    template_name = "core/home.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        context = super().get_context_data(**kwargs)
        election = self.request.election
        today = clock.today()
        tps = Tps.objects.visible_to(user).filter(election=election).aggregate(
            count=Count("pk"), dpt=Sum("dpt_total"), men=Sum("dpt_men"), women=Sum("dpt_women"))
        context.update(
            election=election,
            kecamatan_count=Kecamatan.objects.visible_to(user).count(),
            kelurahan_count=Kelurahan.objects.visible_to(user).count(),
            tps=tps,
            today=today,
            module_cards=cards_for(user, election),
            subtitle=" · ".join(who_parts(user)),
        )
        if election:
            days = (election.voting_date - today).days
            context["days_to_vote"] = days
            context["h_label"] = "H" if days == 0 else (f"H-{days}" if days > 0 else f"H+{-days}")
            stages = list(election.stages.all())
            context["current_stages"] = [s for s in stages if s.status(today) == "ongoing"]
            context["next_stage"] = next((s for s in stages if s.status(today) == "upcoming"), None)
        return context
