"""posko tally_counters [--election ID] [--contest ID] (--check | --rebuild)

The running tallies (``TallyCounter``) against a from-scratch sum of the counted entries:
``--check`` lists the differences (exit status 1 when there are any), ``--rebuild``
replaces the counters by the from-scratch sums (after a bulk import, or to repair)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from posko.elections.models import Contest, Election
from posko.voting import rollup


class Command(BaseCommand):
    help = "Check or rebuild the running result tallies (TallyCounter)."

    def add_arguments(self, parser):
        parser.add_argument("--election", type=int, help="election id (default: the active one)")
        parser.add_argument("--contest", type=int, help="one contest only")
        action = parser.add_mutually_exclusive_group(required=True)
        action.add_argument("--check", action="store_true")
        action.add_argument("--rebuild", action="store_true")

    def handle(self, *args, **options):
        election = (Election.objects.filter(pk=options["election"]).first()
                    if options["election"] else Election.active())
        if election is None:
            raise CommandError("No such election (and no active one).")
        contest = None
        if options["contest"]:
            contest = Contest.objects.filter(election=election, pk=options["contest"]).first()
            if contest is None:
                raise CommandError(f"Contest {options['contest']} is not in {election}.")
        if options["rebuild"]:
            rows = rollup.rebuild(election, contest)
            self.stdout.write(f"Rebuilt {rows} tally counters of {election}.")
            return
        problems = rollup.check(election, contest)
        for p in problems[:50]:
            self.stdout.write(f"contest {p['contest_id']} kelurahan {p['kelurahan_id']} "
                              f"{p['field']}: stored {p['stored']}, expected {p['expected']}")
        if problems:
            raise CommandError(f"{len(problems)} differences between the counters and the "
                               "counted entries; repair with --rebuild.")
        self.stdout.write(f"The tally counters of {election} match the counted entries.")
