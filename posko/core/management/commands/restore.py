"""``posko restore``: put a backup made by ``posko backup`` back, or only verify it."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from posko.core import backup
from posko.core.management.commands.backup import checked, report_verification


class Command(BaseCommand):
    help = ("Restore a backup made by `posko backup` into the configured database and media "
            "folder (replacing them), or --verify-only. Stop the web and worker processes first.")

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--verify-only", action="store_true",
                            help="Restore into a scratch database, compare, and change nothing.")
        parser.add_argument("--yes", action="store_true",
                            help="Confirm that the current data is to be replaced.")

    def handle(self, *args, file, verify_only=False, yes=False, **options):
        if not file.is_file():
            raise CommandError(f"{file}: no such backup file.")
        if verify_only:
            report_verification(self, file)
            return
        if not yes:
            raise CommandError("Restoring replaces the current database and uploads. Stop Posko, "
                               "make a backup of the current state, then run again with --yes.")
        result = checked(self, lambda: backup.restore(file),
                         "Restored, but the data does not match the manifest.")
        self.stdout.write(self.style.SUCCESS(
            f"Restored {file}: {result.tables} tables, {result.rows:,} rows, {result.files} "
            f"uploads; the last audit entry matches."))
