"""Requirements per TPS, computed from each item's norm and the TPS's DPT — never typed.

ballots (per contest) = ceil(DPT × (100 + reserve %) / 100) for each contest covering
the TPS; per contest = quantity × contests; per TPS = quantity; per voters =
quantity × ceil(DPT / voters per block). An item of one contest (``Item.contest``: "Surat
suara Wali Kota Malang") has rows only at the TPS that contest covers, and its per-contest
norms count that one contest. Sums per kelurahan, kecamatan and the Pemda are SQL
aggregates over the stored rows.

The functions below are the reference arithmetic; ``recompute`` does the same in one SQL
statement per chunk of TPS (tests compare both)."""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

from django.db import connection, transaction

from posko.elections.models import Contest, Tps
from posko.logistics.models import Item, Requirement
from posko.logistics.services import readiness


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


def contest_coverage(election):
    """A function giving the ids of the contests of ``election`` covering a TPS, from the
    TPS's kab/kota code (a governor's contest covers every kab/kota of its province)."""
    contests = list(Contest.objects.filter(election=election).order_by("pk").values_list(
        "pk", "provinsi_id", "kabkota_id"))
    cache: dict[str, tuple[int, ...]] = {}

    def covering(kabkota_code: str) -> tuple[int, ...]:
        if kabkota_code not in cache:
            provinsi = kabkota_code.split(".", 1)[0]
            cache[kabkota_code] = tuple(
                pk for pk, prov, kab in contests
                if (kab == kabkota_code) or (kab is None and prov == provinsi))
        return cache[kabkota_code]

    return covering


def contest_counter(election):
    """A function giving the number of contests of ``election`` covering a TPS."""
    covering = contest_coverage(election)
    return lambda kabkota_code: len(covering(kabkota_code))


def expected(election) -> dict[tuple[int, int], int]:
    """The reference result of :func:`recompute`: ``{(tps id, item id): quantity}`` for the
    election's active items (an item of one contest only where that contest votes)."""
    items = list(Item.objects.filter(election=election, is_active=True))
    covering = contest_coverage(election)
    reserve = election.ballot_reserve_percent
    want = {}
    for pk, dpt, kab in Tps.objects.filter(election=election).values_list(
            "pk", "dpt_total", "kabkota_id"):
        contests = covering(kab)
        for item in items:
            if item.contest_id is not None and item.contest_id not in contests:
                continue
            n = 1 if item.contest_id is not None else len(contests)
            want[(pk, item.pk)] = required_quantity(item, dpt or 0, n, reserve)
    return want


# TPS ids per statement when only some TPS are recomputed (an import may change 100,000).
CHUNK = 20_000


def reserve_factor(reserve_percent) -> int:
    """10,000 + the reserve in basis points (2.5 % → 10,250), so the database can round up
    with integers: ceil(DPT × (100 + r) / 100) = (DPT × factor + 9,999) // 10,000."""
    basis_points = Decimal(reserve_percent) * 100
    if basis_points != basis_points.to_integral_value():
        raise ValueError(f"reserve {reserve_percent} has more than two decimals")
    return 10_000 + int(basis_points)


# One INSERT … SELECT over TPS × active items, the same arithmetic as required_quantity()
# (tests compare the two with expected()). ``n`` holds per kab/kota one row for the shared
# items (contest 0: the number of contests covering it) and one per covering contest (1),
# so an item of one contest joins only the TPS its contest covers. Runs on SQLite and PostgreSQL. Rows that already hold the right
# numbers are not written again, so a recompute that changes nothing writes nothing; items
# that have no rows yet (a new item, a fresh catalogue) are inserted without ON CONFLICT.
_INSERT = """
INSERT INTO logistics_requirement (tps_id, item_id, kecamatan_id, kelurahan_id, quantity)
WITH n (kabkota_id, contests, contest_id) AS (VALUES {contests})
SELECT t.id, i.id, t.kecamatan_id, t.kelurahan_id,
       CASE i.norm
         WHEN 'per_tps' THEN i.quantity
         WHEN 'per_contest' THEN i.quantity * n.contests
         WHEN 'ballots' THEN ((CAST(t.dpt_total AS BIGINT) * %s + 9999) / 10000) * n.contests
         ELSE i.quantity * ((t.dpt_total + COALESCE(NULLIF(i.voters_per_block, 0), 1) - 1)
                            / COALESCE(NULLIF(i.voters_per_block, 0), 1))
       END
FROM elections_tps t
CROSS JOIN logistics_item i
JOIN n ON n.kabkota_id = t.kabkota_id AND n.contest_id = COALESCE(i.contest_id, 0)
WHERE t.election_id = %s AND i.election_id = %s {filters}
"""
_ON_CONFLICT = """
ON CONFLICT (tps_id, item_id) DO UPDATE SET
  quantity = excluded.quantity, kecamatan_id = excluded.kecamatan_id,
  kelurahan_id = excluded.kelurahan_id
WHERE logistics_requirement.quantity <> excluded.quantity
   OR logistics_requirement.kecamatan_id <> excluded.kecamatan_id
   OR logistics_requirement.kelurahan_id <> excluded.kelurahan_id
"""


def _chunks(tps_ids):
    if tps_ids is None:
        yield None
        return
    for start in range(0, len(tps_ids), CHUNK):
        yield tps_ids[start:start + CHUNK]


def _placeholders(values) -> str:
    return ", ".join(["%s"] * len(values))


@transaction.atomic
def recompute(election, tps_ids=None, item_ids=None) -> int:
    """Bring the requirement rows of ``election`` in line with the catalogue and the TPS's
    DPT — for every TPS or only ``tps_ids``, for every item or only ``item_ids`` (an edited
    item). Returns the number of rows written or removed. Readiness of the TPS concerned is
    refreshed afterwards.

    Set-based: one INSERT … SELECT (… ON CONFLICT) per chunk of TPS, the arithmetic of
    :func:`required_quantity` in SQL, and one DELETE for the rows of inactive items, so the
    whole country (435,296 TPS × 12 items) takes seconds, not minutes."""
    items = Item.objects.filter(election=election)
    if item_ids is not None:
        items = items.filter(pk__in=list(item_ids))
    items = list(items.values_list("pk", "is_active"))
    if not items:
        return 0  # no catalogue (or no such item): nothing to compute
    if tps_ids is not None:
        tps_ids = sorted(set(tps_ids))
        if not tps_ids:
            return 0
    active = [pk for pk, is_active in items if is_active]
    inactive = [pk for pk, is_active in items if not is_active]
    tps = Tps.objects.filter(election=election)
    if tps_ids is not None and len(tps_ids) <= CHUNK:
        tps = tps.filter(pk__in=tps_ids)
    kabkota = sorted(tps.order_by().values_list("kabkota_id", flat=True).distinct())
    covering = contest_coverage(election)
    coverage = [(kab, len(covering(kab)), 0) for kab in kabkota]
    coverage += [(kab, 1, contest) for kab in kabkota for contest in covering(kab)]
    # Nothing stored yet for these items: plain INSERT (no conflict to look for).
    fresh = not Requirement.objects.filter(item_id__in=active).exists()
    written = 0
    with connection.cursor() as cursor:
        for chunk in _chunks(tps_ids):
            if inactive:
                stale = Requirement.objects.filter(item_id__in=inactive)
                if chunk is not None:
                    stale = stale.filter(tps_id__in=chunk)
                written += stale.delete()[0]
            if not kabkota or not active:
                continue
            filters = f"AND i.id IN ({_placeholders(active)})"
            if chunk is not None:
                filters += f" AND t.id IN ({_placeholders(chunk)})"
            sql = _INSERT.format(contests=", ".join(["(%s, %s, %s)"] * len(coverage)),
                                 filters=filters)
            cursor.execute(sql if fresh else sql + _ON_CONFLICT, [
                *(v for row in coverage for v in row),
                reserve_factor(election.ballot_reserve_percent), election.pk, election.pk,
                *active, *(chunk or [])])
            written += max(cursor.rowcount, 0)
    readiness.refresh(election, tps_ids=tps_ids)
    return written
