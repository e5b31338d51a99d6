"""``posko escalate``: escalate reports past their response or resolution target.

``posko worker`` already runs the same work every minute as the periodic job
``incidents.escalate`` (no cron needed); the command is for running it by hand. Idempotent: a
report is escalated once per target; a second run finds nothing new and sends nothing."""

from django.core.management.base import BaseCommand

from posko.incidents.services import escalate


class Command(BaseCommand):
    help = "Escalate reports past their response or resolution target (idempotent)."

    def handle(self, *args, **options):
        counts = escalate()
        if options["verbosity"] >= 1:
            self.stdout.write(
                f"escalated: {counts['response']} response, {counts['resolution']} resolution; "
                f"notifications sent: {counts['notifications']}")
