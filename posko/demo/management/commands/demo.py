"""``posko demo``: build the Kota Malang Pilkada 2024 demo and serve it on this machine."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from posko.core import clock
from posko.core.management.commands.clock import parse_as_of
from posko.demo.data import DEMO_PASSWORD, build_demo

DEFAULT_AS_OF = "2024-11-26T08:00"  # the morning of H-1 (timeline.DEFAULT_AS_OF)


def _url(addrport: str) -> str:
    host, _, port = addrport.rpartition(":")
    if not host:
        host = "127.0.0.1"
    elif host in ("0.0.0.0", "[::]", "::"):  # listening everywhere: print a local address
        host = "127.0.0.1"
    return f"http://{host}:{port}/"


def _n(value: int) -> str:
    """A count for people: 660.744 in Indonesian, 660,744 in English."""
    return number_format(value, force_grouping=True)


class Command(BaseCommand):
    help = (
        "Build the Kota Malang demo (Pilkada Serentak 2024: wilayah, Pemda, election and contests, "
        "agencies, one user per role, 1,188 TPS with DPT 660,744) in the configured database, then "
        "serve it with the development server. The demo runs on a simulated clock that starts "
        "at --as-of (default 2024-11-26T08:00, the morning of H-1) and moves forward in real "
        "time; its data is what exists by then. Safe to run again: the same data every time "
        "for the same --as-of; another --as-of rebuilds the time-dependent data for it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--addrport", default="127.0.0.1:8000",
                            help="address and port to serve on (default 127.0.0.1:8000)")
        parser.add_argument("--no-serve", action="store_true",
                            help="only build the demo data, do not start the server")
        parser.add_argument("--as-of", default=DEFAULT_AS_OF,
                            help="the demo's moment, e.g. 2024-11-27T20:00 (site time zone; "
                                 "default 2024-11-26T08:00, H-1 morning)")

    def handle(self, *args, addrport="127.0.0.1:8000", no_serve=False, as_of=DEFAULT_AS_OF,
               **options):
        verbosity = options.get("verbosity", 1)
        moment = parse_as_of(as_of)  # a bad value stops before anything is written
        call_command("migrate", interactive=False, verbosity=max(0, verbosity - 1),
                     stdout=self.stdout)
        clock.simulate(moment)  # first: what the build records happens at the demo's moment
        result = build_demo(stdout=self.stdout, as_of=moment)
        self.banner(result, addrport, serving=not no_serve)
        if not no_serve:
            self.serve(addrport)

    def banner(self, result, addrport: str, *, serving: bool) -> None:
        """The summary printed after the build, in the site's language (LANGUAGE_CODE)."""
        state = _("built") if result.changed else _("already up to date")
        if result.tps_kept_extra:
            state += "; " + _("%(count)s extra TPS kept because other records use them") % {
                "count": _n(result.tps_kept_extra)}
        lines = [
            "",
            _("Posko demo (%(state)s): Pemerintah Kota Malang, Pilkada Serentak 2024 "
              "(27 Nov 2024)") % {"state": state},
            "  " + _("%(kecamatan)s kecamatan, %(kelurahan)s kelurahan, %(tps)s TPS "
                     "(%(special)s lokasi khusus), DPT %(dpt)s (%(men)s men, %(women)s women)") % {
                "kecamatan": result.kecamatan, "kelurahan": result.kelurahan,
                "tps": _n(result.tps), "special": result.lokasi_khusus,
                "dpt": _n(result.dpt_total), "men": _n(result.dpt_men),
                "women": _n(result.dpt_women)},
        ]
        as_of = getattr(result, "as_of", None)
        if as_of is not None:
            lines.append("  " + _("Simulated time from %(time)s, moving on in real time "
                                  "(end it with posko clock --real)") % {
                "time": timezone.localtime(as_of).strftime("%Y-%m-%d %H:%M")})
        if serving:
            lines.append("  " + _("Open %(url)s") % {"url": _url(addrport)})
        lines.append("  " + _('Users (password "%(password)s"):') % {"password": DEMO_PASSWORD})
        for user in result.users:
            role = str(user.get_role_display())
            lines.append(f"    {user.username:<14} {role:<24} {user.scope_label}")
        lines.append("")
        self.stdout.write("\n".join(lines))

    def serve(self, addrport: str) -> None:
        """The development server, with a background worker beside it (imports, exports,
        reminders, escalation), stopped with it. No autoreloader: it would start this
        command (and the build) again in a child process."""
        worker = None
        if settings.POSKO_JOBS != "immediate":
            worker = subprocess.Popen([sys.executable, "-m", "posko", "worker"], env=os.environ.copy())
            self.stdout.write(_("Background worker started (pid %(pid)s).") % {"pid": worker.pid})
        try:
            call_command("runserver", addrport, use_reloader=False)
        finally:
            if worker is not None:
                worker.terminate()
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()
