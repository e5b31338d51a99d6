"""``posko send_reminders [--now ISO] [--digest]``: due-soon and overdue reminders for the
open tasks of the active election, and the daily digest. Safe to run again (from cron,
e.g. hourly, and once each morning with --digest): nothing is sent twice."""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from posko.coordination.reminders import send_reminders
from posko.core import clock
from posko.elections.models import Election


def parse_now(value: str) -> datetime.datetime:
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"--now {value!r}: give an ISO date-time, e.g. 2024-11-26T07:00:00+07:00") from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)  # in TIME_ZONE
    return moment


class Command(BaseCommand):
    help = ("Notify assignees of open tasks due within 24 hours or overdue (once per task, "
            "overdue once a day); --digest adds one daily digest per user. Idempotent.")

    def add_arguments(self, parser):
        parser.add_argument("--now", help="act as if it were this time (ISO 8601; without an "
                                          "offset, in TIME_ZONE)")
        parser.add_argument("--digest", action="store_true",
                            help="also send each user's daily digest (once per day)")

    def handle(self, *args, now=None, digest=False, **options):
        moment = parse_now(now) if now else clock.now()
        result = send_reminders(Election.active(), moment, digest=digest)
        if not result.election:
            self.stdout.write("No active election: no reminders sent.")
            return
        self.stdout.write(
            f"{result.election}, {timezone.localtime(moment):%Y-%m-%d %H:%M %Z}: "
            f"{result.tasks} open tasks looked at; due within 24 h: {result.due_soon} sent; "
            f"overdue: {result.overdue} sent; already sent before: {result.already_sent}"
            + (f"; digests: {result.digests} sent" if digest else "")
            + f"; e-mails: {result.emails}.")
