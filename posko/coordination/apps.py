from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from posko.core import shell
from posko.core.schema import register_enum

REMINDERS = "coordination.reminders"
DAILY_REPORT_JOB = "coordination.daily_report"


class CoordinationConfig(AppConfig):
    name = "posko.coordination"
    label = "coordination"
    verbose_name = _("Coordination")

    def ready(self):
        register_enum("TaskStatusEnum", "posko.coordination.models.Task.Status")

        shell.register_urls("koordinasi/", "posko.coordination.urls", order=10)
        shell.register_api("posko.coordination.api")
        shell.register_api("posko.coordination.api_checklists")
        shell.register_nav("coordination.tasks", _("Tasks"), "coordination:task_list", order=10)
        shell.register_nav("coordination.meetings", _("Meetings"), "coordination:meeting_list",
                           order=20)
        shell.register_nav("coordination.report", _("Daily report"), "coordination:report",
                           order=90)
        shell.register_nav("coordination.checklists", _("Supervision"),
                           "coordination:checklist_list", order=10, more=True)
        shell.register_nav("coordination.calendar", _("Stages"), "coordination:calendar",
                           order=40, more=True)
        shell.register_nav("coordination.desk", _("Desk"), "coordination:desk", order=50,
                           more=True)
        shell.register_header("coordination.bell", "coordination/_bell.html", order=10)
        from posko.coordination import bell, reminders
        from posko.core import jobs, schedule

        shell.register_context("coordination.bell", bell.notifications)
        jobs.register_job(REMINDERS, reminders.reminders_job, retries=3)
        schedule.register_periodic(REMINDERS, timedelta(hours=1), REMINDERS, _("Task reminders"))

        from posko.coordination import report

        report.register()  # daily-report sections + the default letterhead provider
        jobs.register_job(DAILY_REPORT_JOB, report.report_job)

        from posko.coordination.cards import cards
        from posko.core.dashboard import register_card

        register_card("coordination", cards, order=10)

        from posko.coordination.task_provider import CoordinationTaskProvider
        from posko.core import tasks

        tasks.register_provider(CoordinationTaskProvider())

        from posko.coordination.notify import notify
        from posko.core import notify as core_notify

        def provide(user, kind, title, *, key, url="", body=""):
            return notify(user, kind, title, key=key, url=url, body=body) is not None

        core_notify.register_provider(provide)

        from posko.coordination import panels

        panels.register()  # its panel on the TPS page (core.tps_panels)

        from posko.coordination import readiness_component

        readiness_component.register()  # its readiness-index component (core.readiness)

        from posko.coordination import fieldforms

        fieldforms.register()  # its forms in the offline field app (core.field_forms)
