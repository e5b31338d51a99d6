"""URLs of the coordination module; each area keeps its own list."""

from posko.coordination import (
    urls_checklists,
    urls_desk,
    urls_meetings,
    urls_notifications,
    urls_tasks,
)

app_name = "coordination"

urlpatterns = [
    *urls_tasks.urlpatterns,
    *urls_meetings.urlpatterns,
    *urls_desk.urlpatterns,
    *urls_checklists.urlpatterns,
    *urls_notifications.urlpatterns,
]
