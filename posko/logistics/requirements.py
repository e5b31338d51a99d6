"""Requirements per TPS, computed from each item's norm and the TPS's DPT — never typed.

ballots (per contest) = ceil(DPT × (100 + reserve %) / 100) for each contest covering
the TPS; per contest = quantity × contests; per TPS = quantity; per voters =
quantity × ceil(DPT / voters per block). Sums per kelurahan, kecamatan and the Pemda
are SQL aggregates over the stored rows."""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

from django.db import transaction

from posko.core.bulk import insert_rows
from posko.elections.models import Contest, Tps
from posko.logistics.models import Item, Requirement


def ballots_required(dpt: int, reserve_percent: Decimal) -> int:
    """Ballots for one contest at one TPS: DPT plus the reserve, rounded up (Perppu 1/2014)."""
    exact = Decimal(dpt) * (Decimal(100) + Decimal(reserve_percent)) / Decimal(100)
    return int(exact.to_integral_value(rounding=ROUND_CEILING))


def required_quantity(item: Item, dpt: int, contests: int, reserve_percent: Decimal) -> int:
    if item.norm == Item.Norm.PER_TPS:
        return item.quantity
    if item.norm == Item.Norm.PER_CONTEST:
        return item.quantity * contests
    if item.norm == Item.Norm.BALLOTS:
        return ballots_required(dpt, reserve_percent) * contests
    if item.norm == Item.Norm.PER_VOTERS:
        block = item.voters_per_block or 1
        return item.quantity * -(-dpt // block)
    raise ValueError(f"unknown norm {item.norm!r}")


def contest_counter(election):
    """A function giving the number of contests of ``election`` covering a TPS, from the
    TPS's kab/kota code (a governor's contest covers every kab/kota of its province)."""
    contests = list(Contest.objects.filter(election=election).values_list("provinsi_id", "kabkota_id"))

    def count(kabkota_code: str) -> int:
        provinsi = kabkota_code.split(".", 1)[0]
        return sum(1 for prov, kab in contests
                   if (kab == kabkota_code) or (kab is None and prov == provinsi))

    cache: dict[str, int] = {}

    def cached(kabkota_code: str) -> int:
        if kabkota_code not in cache:
            cache[kabkota_code] = count(kabkota_code)
        return cache[kabkota_code]

    return cached


@transaction.atomic
def recompute(election, tps_ids=None) -> int:
    """Rebuild the requirement rows of ``election`` (or only of ``tps_ids``); returns the
    number of rows written. Readiness of those TPS is refreshed afterwards."""
    from posko.logistics import readiness

    items = list(Item.objects.filter(election=election, is_active=True))
    tps = Tps.objects.filter(election=election)
    existing = Requirement.objects.filter(item__election=election)
    if tps_ids is not None:
        tps_ids = list(tps_ids)
        tps = tps.filter(pk__in=tps_ids)
        existing = existing.filter(tps_id__in=tps_ids)
    existing.delete()
    if not items:
        return 0  # no catalogue yet: logistics is not in use for this election
    contests = contest_counter(election)
    reserve = election.ballot_reserve_percent

    def rows():
        for pk, dpt, kab, kec, kel in tps.values_list(
                "pk", "dpt_total", "kabkota_id", "kecamatan_id", "kelurahan_id").iterator(
                chunk_size=5000):
            n_contests = contests(kab)
            for item in items:
                yield (pk, item.pk, kec, kel,
                       required_quantity(item, dpt or 0, n_contests, reserve))

    written = insert_rows(Requirement, ["tps_id", "item_id", "kecamatan_id", "kelurahan_id",
                                        "quantity"], rows())
    readiness.refresh(election, tps_ids=tps_ids)
    return written
