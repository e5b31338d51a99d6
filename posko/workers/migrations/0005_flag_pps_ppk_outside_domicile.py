"""PPS and PPK were never checked against their domicile: flag the existing ones who live
outside their kelurahan (PPS) or kecamatan (PPK), as a new save would."""

from django.conf import settings
from django.db import migrations
from django.db.models.functions import Substr
from django.utils import translation

MESSAGES = {"pps": "Domiciled outside the PPS's kelurahan.",
            "ppk": "Domiciled outside the PPK's kecamatan."}


def flag(apps, schema_editor):
    Worker = apps.get_model("workers", "Worker")
    WorkerSettings = apps.get_model("workers", "WorkerSettings")
    off = set(WorkerSettings.objects.filter(adhoc_domicile_required=False)
              .values_list("election_id", flat=True))
    with translation.override(settings.LANGUAGE_CODE):
        texts = {role: translation.gettext(text) for role, text in MESSAGES.items()}
    pps = Worker.objects.filter(role="pps", outside_domicile=False).exclude(domicile_code="") \
        .exclude(kelurahan_id__isnull=True)
    ppk = Worker.objects.filter(role="ppk", outside_domicile=False).exclude(domicile_code="") \
        .annotate(kec=Substr("domicile_code", 1, 8))
    rows = [w for w in pps.only("pk", "domicile_code", "kelurahan_id", "flags", "election_id")
            if w.domicile_code != w.kelurahan_id]
    rows += [w for w in ppk.only("pk", "domicile_code", "kecamatan_id", "flags", "election_id")
             if w.kec != w.kecamatan_id]
    for worker in rows:
        worker.outside_domicile = True
        if worker.election_id not in off:
            worker.flags = "\n".join(line for line in (worker.flags, texts[worker.role]) if line)
    Worker.objects.bulk_update(rows, ["outside_domicile", "flags"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [("workers", "0004_registered_tps_staffing_caps_jkm_benefit")]
    operations = [migrations.RunPython(flag, migrations.RunPython.noop)]
