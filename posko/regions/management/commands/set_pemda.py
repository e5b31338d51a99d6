from django.core.management.base import BaseCommand, CommandError

from posko.core import audit
from posko.regions.models import KabKota, Pemda, Provinsi


class Command(BaseCommand):
    help = "Set the Pemda this Posko serves: a kab/kota code (35.73) or a province code (35)."

    def add_arguments(self, parser):
        parser.add_argument("code")
        parser.add_argument("--name", help='e.g. "Pemerintah Kota Malang" (default: derived)')

    def handle(self, *args, code, name=None, **options):
        pemda = Pemda.objects.filter(pk=1).first() or Pemda(pk=1)
        before = audit.snapshot(pemda) if pemda.name else None
        if len(code) == 5 and (region := KabKota.objects.filter(code=code).first()):
            pemda.kabkota, pemda.provinsi = region, None
            default_name = f"Pemerintah {region.name}"
        elif len(code) == 2 and (region := Provinsi.objects.filter(code=code).first()):
            pemda.kabkota, pemda.provinsi = None, region
            default_name = f"Pemerintah Provinsi {region.name}"
        else:
            raise CommandError(
                f"{code!r} is not a loaded kab/kota or province code; run "
                f"'posko import_wilayah --only {code}' first."
            )
        pemda.name = name or default_name
        pemda.full_clean()
        pemda.save()
        audit.record("update" if before else "create", pemda, before=before, after=audit.snapshot(pemda),
                     message="set_pemda")
        self.stdout.write(f"Pemda: {pemda.name} ({pemda.code})")
