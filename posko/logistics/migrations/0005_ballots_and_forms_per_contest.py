"""Ballots and result forms become one catalogue line per contest (issue 15, point 1).

Before, the ballots item ("Surat suara", norm "ballots") and the result forms ("Formulir
Model C.Hasil-KWK", code ``formulir-c-hasil``) were one line each for every contest, so a
shortfall could not say which contest was short. For each such shared line of an election
with contests, this migration:

* creates one line per contest of the election, named with the contest ("Surat suara
  Wali Kota Malang"), code ``<code>-<level>`` (``surat-suara-walikota``; ``-<contest id>``
  appended when taken), same unit, norm, quantity, order and activity, ``contest`` set;
* requirements: a TPS's row (the share of every contest covering it) becomes one row per
  covering contest with that contest's share (the old quantity divided by the number of
  covering contests: exact, since the old row was that share times the number);
* receipts and dispatches (shipment lines) and the KPU distribution plan: the recorded
  figures said nothing about the contest, so each is split evenly across the contests
  covering the shipment's (plan's) place, the remainder going to the contests in id order
  (e.g. 843 dispatched, 2 contests → 422 + 421); dispatched, received and damaged are split
  alike;
* shortfall cases are NOT split or guessed: which contest was short was never recorded, and
  splitting would count one event twice. They stay on the old line, which is kept,
  deactivated (no longer required anywhere) and renamed "<name> (semua pemilihan, sebelum
  dipisah)" so a case reads as what it was. An old line with no case is deleted.

TPS readiness is refreshed by the next receipt at each TPS, by any catalogue change (which
recomputes the election), or at once by saving the ballots item on the catalogue page.
The reverse operation does nothing (the split lines stay).
"""

from django.db import migrations

SPLIT_CODES = ("formulir-c-hasil",)
OLD_SUFFIX = " (semua pemilihan, sebelum dipisah)"


def _shares(total, k):
    total = total or 0
    return [total // k + (1 if i < total % k else 0) for i in range(k)]


def _kabkota(kecamatan_code):
    return ".".join(kecamatan_code.split(".")[:2])


def split(apps, schema_editor):
    Item = apps.get_model("logistics", "Item")
    Contest = apps.get_model("elections", "Contest")
    Requirement = apps.get_model("logistics", "Requirement")
    ShipmentLine = apps.get_model("logistics", "ShipmentLine")
    Planned = apps.get_model("logistics", "PlannedDistribution")
    Shortfall = apps.get_model("logistics", "Shortfall")
    Tps = apps.get_model("elections", "Tps")
    shared = Item.objects.filter(contest__isnull=True).filter(
        norm="ballots") | Item.objects.filter(contest__isnull=True, code__in=SPLIT_CODES)
    for old in shared.order_by("election_id", "pk"):
        contests = list(Contest.objects.filter(election_id=old.election_id).order_by("pk"))
        if not contests:
            continue
        taken = set(Item.objects.filter(election_id=old.election_id).values_list("code", flat=True))
        new = {}
        for contest in contests:
            code = f"{old.code}-{contest.level}"[:40]
            if code in taken:
                code = f"{old.code[:28]}-{contest.level[:4]}-{contest.pk}"[:40]
            taken.add(code)
            new[contest.pk] = Item.objects.create(
                election_id=old.election_id, code=code, name=f"{old.name} {contest.name}"[:150],
                unit=old.unit, norm=old.norm, quantity=old.quantity,
                voters_per_block=old.voters_per_block, order=old.order,
                is_active=old.is_active, contest=contest)
        covering_cache = {}

        def covering(kabkota, contests=contests, new=new, cache=covering_cache):
            if kabkota not in cache:
                provinsi = kabkota.split(".")[0]
                cache[kabkota] = [new[c.pk] for c in contests
                                  if c.kabkota_id == kabkota
                                  or (c.kabkota_id is None and c.provinsi_id == provinsi)]
            return cache[kabkota]

        kabkota_of = dict(Tps.objects.filter(election_id=old.election_id).values_list(
            "pk", "kabkota_id"))
        rows = []
        for req in Requirement.objects.filter(item=old):
            items = covering(kabkota_of.get(req.tps_id, ""))
            rows.extend(Requirement(tps_id=req.tps_id, item=item, kecamatan_id=req.kecamatan_id,
                                    kelurahan_id=req.kelurahan_id,
                                    quantity=req.quantity // len(items)) for item in items)
        Requirement.objects.bulk_create(rows, batch_size=2000)
        Requirement.objects.filter(item=old).delete()

        lines, moved = [], []
        for line in ShipmentLine.objects.filter(item=old).select_related("shipment"):
            items = covering(_kabkota(line.shipment.kecamatan_id))
            if not items:
                continue
            k = len(items)
            received = _shares(line.received, k) if line.received is not None else [None] * k
            for item, dispatched, got, damaged in zip(
                    items, _shares(line.dispatched, k), received, _shares(line.damaged, k),
                    strict=True):
                lines.append(ShipmentLine(shipment_id=line.shipment_id, item=item,
                                          dispatched=dispatched, received=got, damaged=damaged,
                                          explanation=line.explanation))
            moved.append(line.pk)
        ShipmentLine.objects.filter(pk__in=moved).delete()
        ShipmentLine.objects.bulk_create(lines, batch_size=2000)

        plans, moved = [], []
        for plan in Planned.objects.filter(item=old):
            items = covering(_kabkota(plan.kecamatan_id))
            if not items:
                continue
            for item, quantity in zip(items, _shares(plan.quantity, len(items)), strict=True):
                plans.append(Planned(election_id=plan.election_id, tps_id=plan.tps_id,
                                     kecamatan_id=plan.kecamatan_id,
                                     kelurahan_id=plan.kelurahan_id, item=item,
                                     quantity=quantity, planned_date=plan.planned_date))
            moved.append(plan.pk)
        Planned.objects.filter(pk__in=moved).delete()
        Planned.objects.bulk_create(plans, batch_size=2000)

        if Shortfall.objects.filter(item=old).exists() or ShipmentLine.objects.filter(
                item=old).exists() or Planned.objects.filter(item=old).exists():
            old.is_active = False
            old.name = f"{old.name}{OLD_SUFFIX}"[:150]
            old.save(update_fields=["is_active", "name"])
        else:
            old.delete()


class Migration(migrations.Migration):

    dependencies = [
        ("logistics", "0004_item_contest"),
    ]

    operations = [
        migrations.RunPython(split, migrations.RunPython.noop),
    ]
