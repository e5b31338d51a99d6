"""Pages of background jobs: the user's own jobs (all jobs for Desk admins), one job with its
progress (refreshed by HTMX while it runs), its result file for the one who asked, and a
retry button for admins."""

from __future__ import annotations

from pathlib import Path

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from posko.core import jobs, schedule
from posko.core.models import Job


def visible_jobs(user):
    qs = Job.objects.select_related("requested_by")
    return qs if user.is_desk_admin else qs.filter(requested_by=user)


def job_or_404(user, pk) -> Job:
    try:
        return visible_jobs(user).get(pk=pk)
    except (Job.DoesNotExist, ValueError, OverflowError):
        raise Http404 from None


class JobListView(LoginRequiredMixin, TemplateView):
    template_name = "core/job_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        status = self.request.GET.get("status", "")
        qs = visible_jobs(self.request.user)
        if status in Job.Status.values:
            qs = qs.filter(status=status)
        context.update(page=Paginator(qs, 50).get_page(self.request.GET.get("page")),
                       status=status, statuses=Job.Status.choices,
                       worker_seen=schedule.last_seen() if self.request.user.is_desk_admin else None)
        return context


class JobDetailView(LoginRequiredMixin, TemplateView):
    template_name = "core/job_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        job = job_or_404(self.request.user, kwargs["pk"])
        context.update(job=job, can_download=self.can_download(job),
                       expired=bool(job.expires_at and job.expires_at < timezone.now()))
        return context

    def can_download(self, job: Job) -> bool:
        return (job.status == Job.Status.DONE and bool(job.file_path)
                and job.requested_by_id == self.request.user.pk
                and not (job.expires_at and job.expires_at < timezone.now()))


class JobDownloadView(LoginRequiredMixin, View):
    """The result file, for the user who asked for it only (others: 404), until it expires;
    never kept by a browser or proxy cache."""

    def get(self, request, pk):
        job = job_or_404(request.user, pk)
        if job.requested_by_id != request.user.pk or job.status != Job.Status.DONE or not job.file_path:
            raise Http404
        if job.expires_at and job.expires_at < timezone.now():
            return HttpResponse(_("This file has expired and was deleted. Ask for it again."),
                                status=410, content_type="text/plain; charset=utf-8")
        path = Path(job.file_path)
        if not path.is_file():
            raise Http404
        response = FileResponse(path.open("rb"), as_attachment=True, filename=job.file_name,
                                content_type=job.content_type or "application/octet-stream")
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "no-store"  # one person's file (personal data in some)
        return response


class JobRetryView(LoginRequiredMixin, View):
    def post(self, request, pk):
        job = job_or_404(request.user, pk)
        if not request.user.is_desk_admin:
            raise PermissionDenied
        if jobs.retry(job):
            messages.success(request, _("The job was queued again."))
        else:
            messages.error(request, _("Only a failed job can be run again."))
        return HttpResponseRedirect(job_url(job))


def job_url(job: Job) -> str:
    return reverse("job_detail", args=[job.pk])
