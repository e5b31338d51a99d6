from django.core.management.base import BaseCommand, CommandError

from posko.regions.importer import WilayahError, import_wilayah


class Command(BaseCommand):
    help = (
        "Load Indonesia's administrative areas (Kemendagri codes) from the list shipped with "
        "Posko. Safe to run again: it creates what is new, updates what changed, duplicates nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--only", metavar="CODE",
                            help="load one province (35), kab/kota (35.73) or kecamatan (35.73.01) "
                                 "with its parents")

    def handle(self, *args, only=None, **options):
        try:
            result = import_wilayah(only=only)
        except WilayahError as exc:
            raise CommandError(str(exc)) from exc
        for level in result.levels:
            line = (f"{level.label}: {level.created} created, {level.updated} updated, "
                    f"{level.unchanged} unchanged")
            if level.missing_from_source:
                line += f", {level.missing_from_source} no longer in the source (kept)"
            self.stdout.write(line)
        if result.changed == 0:
            self.stdout.write("Nothing changed.")
