"""The coordination cards on the beranda: my open tasks, and what is late in my scope."""

from django.urls import reverse
from django.utils.translation import gettext as _

from posko.coordination.models import Notification, Task
from posko.core import clock
from posko.core.dashboard import Card


def cards(user, election):
    if not user.is_authenticated:
        return None
    now = clock.now()
    mine = Task.objects.filter(election__is_active=True, assignees=user).exclude(
        status=Task.Status.SELESAI)
    overdue_mine = mine.filter(due_at__lt=now).count()
    visible_overdue = Task.objects.visible_to(user).filter(election__is_active=True).overdue(now).count()
    tasks_url = reverse("coordination:task_list")
    result = [
        Card(_("my open tasks"), mine.count(), reverse("coordination:my_tasks"),
             note=_("%(n)s overdue") % {"n": overdue_mine} if overdue_mine else "",
             alert=bool(overdue_mine)),
        Card(_("overdue tasks in my scope"), visible_overdue, f"{tasks_url}?overdue=on",
             alert=bool(visible_overdue)),
    ]
    unread = Notification.objects.filter(user=user, read_at__isnull=True).count()
    if unread:
        result.append(Card(_("unread notifications"), unread, reverse("coordination:notifications")))
    return result
