"""``posko clock``: show, simulate or end a simulated time (demo and training instances)."""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from posko.core import clock


def parse_as_of(value: str) -> datetime.datetime:
    """``2024-11-26T08:00`` (site time zone) or with an offset; a date alone means 08:00."""
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(_("--as-of: %(value)s is not a date and time like 2024-11-26T08:00.")
                           % {"value": value}) from None
    if len(value) == 10:
        moment = moment.replace(hour=8)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class Command(BaseCommand):
    help = ("Show the clock Posko runs on; --as-of TIME makes TIME the current moment from now on "
            "(a demo or training instance; it moves forward in real time); --real ends the "
            "simulation. Never set it on a production instance.")

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--as-of", help="simulated time, e.g. 2024-11-26T08:00 (site time zone)")
        group.add_argument("--real", action="store_true", help="back to the real time")

    def handle(self, *args, as_of=None, real=False, **options):
        if real:
            clock.simulate(None)
        elif as_of:
            clock.simulate(parse_as_of(as_of))
        now = timezone.localtime(clock.now())
        if clock.is_simulated():
            self.stdout.write(_("Simulated time: %(time)s") % {"time": now.strftime("%Y-%m-%d %H:%M")})
        else:
            self.stdout.write(_("Real time: %(time)s") % {"time": now.strftime("%Y-%m-%d %H:%M")})
