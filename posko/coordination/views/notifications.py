"""The notification centre: the signed-in user's notifications, newest first; opening
one marks it read and follows its link; "mark all read". Only the owner ever sees or
changes a notification: another user's id is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from posko.coordination.bell import NotificationBell
from posko.coordination.models import Notification
from posko.core import clock


class NotificationListView(LoginRequiredMixin, TemplateView):
    template_name = "coordination/notification_list.html"
    paginate_by = 30

    def get_context_data(self, **kwargs):
        notes = Notification.objects.visible_to(self.request.user).only(
            "id", "kind", "title", "body", "url", "created_at", "read_at")
        page = Paginator(notes, self.paginate_by).get_page(self.request.GET.get("page"))
        # The same lazy counter the header's bell uses (the view's context wins over the
        # context processor's), so the page and the bell share one count query.
        return super().get_context_data(page=page, object_list=page.object_list,
                                        notification_bell=NotificationBell(self.request), **kwargs)


def _safe_target(request, url: str) -> str:
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return url
    return reverse("coordination:notifications")


class NotificationReadView(LoginRequiredMixin, View):
    """POST: mark one of the user's notifications read and go to what it is about."""

    def post(self, request, pk):
        note = Notification.objects.visible_to(request.user).filter(pk=pk).only("id", "url").first()
        if note is None:
            raise Http404
        Notification.objects.filter(pk=note.pk, read_at__isnull=True).update(read_at=clock.now())
        return HttpResponseRedirect(_safe_target(request, note.url))


class NotificationsReadAllView(LoginRequiredMixin, View):
    """POST: mark every unread notification of the user read."""

    def post(self, request):
        count = Notification.objects.visible_to(request.user).unread().update(read_at=clock.now())
        if count:
            messages.success(request, _("All notifications are marked as read."))
        return HttpResponseRedirect(reverse("coordination:notifications"))
