"""The duty log: hours on duty of a worker, the day's list with those over the limit."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from posko.workers import services
from posko.workers.forms import DutyForm
from posko.workers.models import DutyLog, Worker, WorkerSettings
from posko.workers.views.common import WorkerRecordFormView


class DutyLogAddView(WorkerRecordFormView):
    form_class = DutyForm

    @property
    def title(self):
        return _("Hours on duty")

    def allowed(self, user, worker):
        return Worker.objects.editable_by(user).filter(pk=worker.pk).exists()

    def make_form(self, worker, data=None):
        return DutyForm(data=data, initial={"date": worker.election.voting_date})

    def save(self, worker, form):
        _row, over = services.log_duty(worker, day=form.cleaned_data["date"],
                                       hours=form.cleaned_data["hours"],
                                       note=form.cleaned_data["note"], actor=self.request.user)
        if over:
            messages.warning(self.request, _("%(name)s is over the duty-hours limit: arrange a "
                                             "rest or a replacement.") % {"name": worker.full_name})
        else:
            messages.success(self.request, _("Hours recorded."))


class DutyLogListView(LoginRequiredMixin, TemplateView):
    template_name = "workers/duty_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        election = self.request.election
        if election is None:
            return context
        try:
            day = datetime.date.fromisoformat(self.request.GET.get("date", "")) \
                if self.request.GET.get("date") else election.voting_date
        except ValueError:
            day = election.voting_date
        threshold = WorkerSettings.for_election(election).duty_hours_threshold
        qs = (DutyLog.objects.visible_to(user).filter(worker__election=election, date=day)
              .select_related("worker", "worker__tps", "worker__kelurahan", "worker__kecamatan")
              .order_by("-hours", "worker__full_name"))
        only_over = self.request.GET.get("over") == "1"
        if only_over:
            qs = qs.filter(hours__gt=threshold)
        page = Paginator(qs, 50).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(election=election, day=day, threshold=threshold, page=page,
                       querystring=query.urlencode(), only_over=only_over,
                       over_count=DutyLog.objects.visible_to(user).filter(
                           worker__election=election, date=day, hours__gt=threshold).count())
        return context
