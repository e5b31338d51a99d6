"""The unread-notification count for the bell in the header (``coordination/_bell.html``).

Lazy and cached per request: a page that never shows the bell pays nothing, a page that
shows it (even twice) pays one bounded query: counting stops at 100, shown as "99+"."""

from __future__ import annotations

from django.utils.functional import cached_property

from posko.coordination.models import Notification

BELL_CAP = 99  # more unread than this is shown as "99+"


class NotificationBell:
    def __init__(self, request):
        self._request = request

    @cached_property
    def count(self) -> int:
        user = getattr(self._request, "user", None)
        if user is None or not user.is_authenticated:
            return 0
        # COUNT over at most BELL_CAP + 1 rows of the (user, read_at) index.
        return Notification.objects.filter(user_id=user.pk, read_at__isnull=True)[
            :BELL_CAP + 1].count()

    @property
    def label(self) -> str:
        return f"{BELL_CAP}+" if self.count > BELL_CAP else str(self.count)


def notifications(request):
    return {"notification_bell": NotificationBell(request)}
