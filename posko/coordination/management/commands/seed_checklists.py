"""``posko seed_checklists [--election ID] [--dry-run]``: Posko's standard supervision
checklists (one per stage, each item with its responsible agencies) for an election, the
active one by default. Idempotent: a checklist already there is left as it is. Audited
as done by no user (``--as USERNAME`` names the admin)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from posko.coordination.services import checklist_seed
from posko.elections.models import Election


class Command(BaseCommand):
    help = ("Create Posko's standard supervision checklists (one per stage, each item with "
            "its responsible agencies) that an election lacks. Idempotent.")

    def add_arguments(self, parser):
        parser.add_argument("--election", type=int, help="election id (default: the active one)")
        parser.add_argument("--as", dest="username", help="the admin the audit names")
        parser.add_argument("--dry-run", action="store_true", help="only say what would be created")

    def handle(self, *args, election=None, username=None, dry_run=False, **options):
        target = (Election.objects.filter(pk=election).first() if election is not None
                  else Election.active())
        if target is None:
            raise CommandError(f"no election with id {election}" if election is not None
                               else "there is no active election; give --election ID")
        actor = None
        if username:
            actor = get_user_model().objects.filter(username=username, is_active=True).first()
            if actor is None:
                raise CommandError(f"no active user {username!r}")
        if dry_run:
            plan = checklist_seed.plan(target)
            for line in plan.lines:
                state = ("exists" if line.existing else
                         f"new, stage: {line.stage.name if line.stage else '(none found)'}")
                self.stdout.write(f"{line.standard.title}: {state}")
            if plan.missing_agencies:
                self.stdout.write("agencies not found: " + ", ".join(plan.missing_agencies))
            return
        result = checklist_seed.seed(target, actor=actor)
        self.stdout.write(f"{target}: {result.summary()}")
