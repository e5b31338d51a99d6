"""The beranda: the counts that matter for the user's scope, H-n and the current stage."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Count, Sum
from django.utils import timezone
from django.views.generic import TemplateView


class HomeView(LoginRequiredMixin, TemplateView):
    template_name = "core/home.html"

    def get_context_data(self, **kwargs):
        # core stays free of domain imports at module level; the home page is the
        # one place that reads the base apps (regions, elections), which every module may use.
        from posko.elections.models import Election, Tps
        from posko.regions.models import Kecamatan, Kelurahan

        user = self.request.user
        context = super().get_context_data(**kwargs)
        election = Election.active()
        today = timezone.localdate()
        tps = Tps.objects.visible_to(user).filter(election=election).aggregate(
            count=Count("pk"), dpt=Sum("dpt_total"), men=Sum("dpt_men"), women=Sum("dpt_women"))
        context.update(
            election=election,
            kecamatan_count=Kecamatan.objects.visible_to(user).count(),
            kelurahan_count=Kelurahan.objects.visible_to(user).count(),
            tps=tps,
            today=today,
        )
        if election:
            days = (election.voting_date - today).days
            context["days_to_vote"] = days
            context["h_label"] = "H" if days == 0 else (f"H-{days}" if days > 0 else f"H+{-days}")
            stages = list(election.stages.all())
            context["current_stages"] = [s for s in stages if s.status(today) == "ongoing"]
            context["next_stage"] = next((s for s in stages if s.status(today) == "upcoming"), None)
        return context
