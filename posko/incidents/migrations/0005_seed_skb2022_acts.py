"""Seed the joint decree's (SKB 2022) catalogue of prohibited acts into every existing election.
Existing cases keep no act (their pages say "act not named")."""

from django.db import migrations


def seed(apps, schema_editor):
    from posko.incidents.skb2022 import ACTS  # pure data, no models

    Election = apps.get_model("elections", "Election")
    ProhibitedAct = apps.get_model("incidents", "ProhibitedAct")
    for election_id in Election.objects.values_list("pk", flat=True):
        existing = set(ProhibitedAct.objects.filter(election_id=election_id)
                       .values_list("code", flat=True))
        ProhibitedAct.objects.bulk_create([
            ProhibitedAct(election_id=election_id, code=code, description=description,
                          breach_type=breach, severity=severity, legal_basis=basis,
                          order=(i + 1) * 10)
            for i, (code, description, breach, severity, basis) in enumerate(ACTS)
            if code not in existing])


class Migration(migrations.Migration):

    dependencies = [
        ("incidents", "0004_neutrality_act_catalogue_and_office_place"),
    ]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
