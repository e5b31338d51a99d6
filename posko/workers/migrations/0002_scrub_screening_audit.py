"""Health measurements out of the audit log: screenings were audited with their blood
pressure, blood sugar, cholesterol and note, which every admin could read in the log.
From now on ``Screening.audit_exclude`` keeps them out; this removes them from the rows
already written."""

from django.db import migrations

MEASUREMENTS = ("systolic", "diastolic", "blood_sugar", "cholesterol", "note")


def scrub(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    AuditEntry = apps.get_model("core", "AuditEntry")
    try:
        content_type = ContentType.objects.get(app_label="workers", model="screening")
    except ContentType.DoesNotExist:
        return
    entries = AuditEntry.objects.filter(content_type_id=content_type.pk)
    for entry in entries.iterator(chunk_size=2000):
        changed = False
        for side in ("before", "after"):
            data = getattr(entry, side)
            if isinstance(data, dict) and any(k in data for k in MEASUREMENTS):
                setattr(entry, side, {k: v for k, v in data.items() if k not in MEASUREMENTS})
                changed = True
        if changed:
            entry.save(update_fields=["before", "after"])


class Migration(migrations.Migration):

    dependencies = [
        ("workers", "0001_initial"),
        ("core", "0002_audit_view_action"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(scrub, migrations.RunPython.noop)]
