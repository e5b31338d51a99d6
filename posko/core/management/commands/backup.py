"""``posko backup``: the database and the uploads in one file, optionally verified."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from posko.core import backup


class Command(BaseCommand):
    help = ("Back up the database and the uploads into one tar file (default folder: "
            "POSKO_DATA_DIR/backups). --verify restores it into a scratch database and compares.")

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, default=None,
                            help="Folder for the backup file (default: POSKO_DATA_DIR/backups).")
        parser.add_argument("--verify", action="store_true",
                            help="Restore the new backup into a scratch database and compare "
                                 "every table's row count and the last audit entry.")

    def handle(self, *args, output=None, verify=False, **options):
        output = output or Path(settings.DATA_DIR) / "backups"
        try:
            path = backup.create(output)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Backup written: {path} ({path.stat().st_size:,} bytes)")
        if verify:
            report_verification(self, path)


def checked(command, step, failure: str):
    """Run ``step()`` (verify or restore); a BackupError or a mismatch with the manifest is a
    CommandError, each problem printed first. Returns the Verification."""
    try:
        result = step()
    except backup.BackupError as exc:
        raise CommandError(str(exc)) from exc
    if not result.ok:
        for problem in result.problems:
            command.stderr.write(f"  {problem}")
        raise CommandError(failure)
    return result


def report_verification(command, path) -> None:
    result = checked(command, lambda: backup.verify(path), f"Verification FAILED for {path}.")
    command.stdout.write(command.style.SUCCESS(
        f"Verified: {result.tables} tables, {result.rows:,} rows and {result.files} uploads "
        f"match the manifest; the last audit entry is the same."))
