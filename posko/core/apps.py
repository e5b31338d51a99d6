from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "posko.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from posko.core import election, lookups

        election.install()  # request.election
        lookups.register()  # out-of-range integers in lookups: an empty result, not a 500

        from datetime import timedelta

        from posko.core import cards, export_jobs, fanout, import_jobs, jobs, schedule, shell
        from posko.core.dashboard import register_card

        register_card("core.worker", cards.worker_card, order=1)
        jobs.register_job("core.purge_files", jobs.purge_job)
        jobs.register_job("core.import", import_jobs.run_import)
        jobs.register_job("core.export", export_jobs.run_export)
        jobs.register_job(fanout.JOB_KEY, fanout.run, retries=2)
        schedule.register_periodic("core.purge_files", timedelta(hours=1), "core.purge_files",
                                   _("Delete expired job files"))
        shell.register_nav("jobs", _("Background jobs"), "job_list", order=75, more=True)
