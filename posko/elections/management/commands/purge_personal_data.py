"""``posko purge_personal_data --election ID [--dry-run]``: anonymise an election's personal
data once its retention date has passed (see ``posko.elections.retention``)."""

from __future__ import annotations

from types import SimpleNamespace

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from posko.elections import retention
from posko.elections.models import Election


class Command(BaseCommand):
    help = ("Anonymise the personal data of an election whose retention date has passed "
            "(workers, public reporters, ASN in neutrality cases; counts and amounts stay). "
            "--dry-run only prints what would be anonymised. Audited per module.")

    def add_arguments(self, parser):
        parser.add_argument("--election", type=int, required=True, help="election id")
        parser.add_argument("--dry-run", action="store_true",
                            help="print the rows per source that would be anonymised; change nothing")

    def handle(self, *args, election, dry_run=False, **options):
        chosen = Election.objects.filter(pk=election).first()
        if chosen is None:
            raise CommandError(_("There is no election %(id)s.") % {"id": election})
        row = retention.for_election(chosen)
        self.stdout.write(_("%(election)s: keep personal data until %(date)s.") % {
            "election": chosen, "date": row.retain_until.isoformat()})
        report = retention.report(chosen.pk)
        for entry in report:
            self.stdout.write(f"  {entry['key']}: {entry['rows']} {entry['unit']}")
        totals = retention.totals(report)
        self.stdout.write(_("In all: %(rows)s rows, %(files)s files, %(texts)s text fields.") % totals)
        if dry_run:
            self.stdout.write(_("Dry run: nothing was changed."))
            return
        if not retention.is_due(row):
            raise CommandError(_("The retention date (%(date)s) has not been reached yet: nothing "
                                 "was changed. An admin may set an earlier date on the election's "
                                 "retention page.") % {"date": row.retain_until.isoformat()})
        actor = SimpleNamespace(username="posko purge_personal_data", is_authenticated=False)
        done = retention.purge(chosen.pk, actor=actor)
        self.stdout.write(_("%(count)s rows anonymised.") % {"count": sum(done.values())})
