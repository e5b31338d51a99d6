"""Each TPS's readiness: the share of required item units confirmed at the TPS in good
condition, and a state.

* ``bermasalah`` — an open shortfall case for the TPS;
* ``lengkap`` — every required item received in good condition in full;
* ``belum`` — nothing received yet;
* ``kurang`` — otherwise.

``refresh(election, tps_ids)`` recomputes the stored ``TpsReadiness`` rows in one SQL
statement (per chunk of 20,000 TPS ids); every service that changes requirements,
receipts or shortfall cases calls it for the TPS it touched. Roll-ups group the stored
rows. ``_state`` states the rules in Python; the SQL applies the same ones."""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import Count, Q, Sum

from posko.core import clock
from posko.core import readiness as index_registry
from posko.logistics.models import Requirement, Shipment, ShipmentLine, Shortfall, TpsReadiness

READINESS_FIELDS = ["tps_id", "election_id", "kecamatan_id", "kelurahan_id", "required_units",
                    "good_units", "percent", "state", "open_shortfalls", "last_received_at",
                    "updated_at"]


def _state(required: dict, good: dict, received_any: bool, open_cases: int) -> str:
    if open_cases:
        return TpsReadiness.State.BERMASALAH
    if not received_any:
        return TpsReadiness.State.BELUM
    if all(good.get(item, 0) >= qty for item, qty in required.items()):
        return TpsReadiness.State.LENGKAP
    return TpsReadiness.State.KURANG


# One INSERT … SELECT … ON CONFLICT per chunk of TPS; SQLite and PostgreSQL. The same rules
# as _state(): per item, good = received − damaged over the received shipments to the TPS
# (returns excluded), counted at most up to the requirement.
_UPSERT = """
INSERT INTO logistics_tpsreadiness (tps_id, election_id, kecamatan_id, kelurahan_id,
  required_units, good_units, percent, state, open_shortfalls, last_received_at, updated_at)
WITH req AS (
  SELECT r.tps_id, r.item_id, r.quantity
  FROM logistics_requirement r JOIN logistics_item i ON i.id = r.item_id
  WHERE i.election_id = %(election)s {req_filter}
), got AS (
  SELECT s.tps_id, l.item_id,
         SUM(COALESCE(l.received, 0)) - SUM(l.damaged) AS good, MAX(s.received_at) AS last_at
  FROM logistics_shipment s JOIN logistics_shipmentline l ON l.shipment_id = s.id
  WHERE s.election_id = %(election)s AND s.to_level = %(tps_level)s AND s.is_return = %(false)s
    AND s.status = %(received)s AND s.tps_id IS NOT NULL {shipment_filter}
  GROUP BY s.tps_id, l.item_id
), per_item AS (
  SELECT req.tps_id, req.quantity AS qty,
         CASE WHEN got.good IS NULL OR got.good < 0 THEN 0 ELSE got.good END AS good
  FROM req LEFT JOIN got ON got.tps_id = req.tps_id AND got.item_id = req.item_id
), units AS (
  SELECT tps_id, SUM(qty) AS required,
         SUM(CASE WHEN good < qty THEN good ELSE qty END) AS ok,
         SUM(CASE WHEN good < qty THEN 1 ELSE 0 END) AS missing
  FROM per_item GROUP BY tps_id
), recv AS (
  SELECT tps_id, MAX(last_at) AS last_at FROM got GROUP BY tps_id
), cases AS (
  SELECT tps_id, COUNT(*) AS n FROM logistics_shortfall
  WHERE election_id = %(election)s AND tps_id IS NOT NULL AND status <> %(resolved)s
    {case_filter}
  GROUP BY tps_id
)
SELECT t.id, t.election_id, t.kecamatan_id, t.kelurahan_id,
       COALESCE(u.required, 0), COALESCE(u.ok, 0),
       CASE WHEN COALESCE(u.required, 0) > 0 THEN ROUND(u.ok * 100.0 / u.required, 1) ELSE 0 END,
       CASE WHEN COALESCE(c.n, 0) > 0 THEN %(bermasalah)s
            WHEN rv.last_at IS NULL THEN %(belum)s
            WHEN COALESCE(u.missing, 0) = 0 THEN %(lengkap)s
            ELSE %(kurang)s END,
       COALESCE(c.n, 0), rv.last_at, %(now)s
FROM elections_tps t
LEFT JOIN units u ON u.tps_id = t.id
LEFT JOIN recv rv ON rv.tps_id = t.id
LEFT JOIN cases c ON c.tps_id = t.id
WHERE t.election_id = %(election)s {tps_filter}
ON CONFLICT (tps_id) DO UPDATE SET
  election_id = excluded.election_id, kecamatan_id = excluded.kecamatan_id,
  kelurahan_id = excluded.kelurahan_id, required_units = excluded.required_units,
  good_units = excluded.good_units, percent = excluded.percent, state = excluded.state,
  open_shortfalls = excluded.open_shortfalls, last_received_at = excluded.last_received_at,
  updated_at = excluded.updated_at
WHERE {changed}
"""
_COMPARED = ("election_id", "kecamatan_id", "kelurahan_id", "required_units", "good_units",
             "percent", "state", "open_shortfalls", "last_received_at")
# TPS ids per statement when only some TPS are refreshed.
CHUNK = 20_000


def _sql(chunk_size: int | None) -> str:
    distinct = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    changed = " OR ".join(f"logistics_tpsreadiness.{c} {distinct} excluded.{c}" for c in _COMPARED)
    if chunk_size is None:
        filters = dict.fromkeys(("req_filter", "shipment_filter", "case_filter", "tps_filter"), "")
    else:
        ids = ", ".join(f"%(id{i})s" for i in range(chunk_size))
        filters = {"req_filter": f"AND r.tps_id IN ({ids})",
                   "shipment_filter": f"AND s.tps_id IN ({ids})",
                   "case_filter": f"AND tps_id IN ({ids})",
                   "tps_filter": f"AND t.id IN ({ids})"}
    return _UPSERT.format(changed=changed, **filters)


@transaction.atomic
def refresh(election, tps_ids=None) -> int:
    """Recompute and store the readiness of ``election``'s TPS (all, or ``tps_ids``);
    returns the number of rows written (rows whose figures did not change are left alone,
    ``updated_at`` is the time of the last change)."""
    S = TpsReadiness.State
    params = {"election": election.pk, "tps_level": Shipment.Level.TPS, "false": False,
              "received": Shipment.Status.RECEIVED, "resolved": Shortfall.Status.RESOLVED,
              "bermasalah": S.BERMASALAH, "belum": S.BELUM, "lengkap": S.LENGKAP,
              "kurang": S.KURANG,
              "now": connection.ops.adapt_datetimefield_value(clock.now())}
    written = 0
    with connection.cursor() as cursor:
        if tps_ids is None:
            cursor.execute(_sql(None), params)
            written = max(cursor.rowcount, 0)
        else:
            tps_ids = sorted(set(tps_ids))
            for start in range(0, len(tps_ids), CHUNK):
                chunk = tps_ids[start:start + CHUNK]
                cursor.execute(_sql(len(chunk)),
                               {**params, **{f"id{i}": pk for i, pk in enumerate(chunk)}})
                written += max(cursor.rowcount, 0)
    if written:  # the readiness index's logistics component follows (after the commit)
        index_registry.changed("logistics", election, tps_ids)
    return written


def missing_items(tps_ids) -> dict[int, list[dict]]:
    """What each of ``tps_ids`` still lacks: ``{tps id: [{"name", "unit", "missing"}]}`` for
    the items (per contest where the catalogue has a line per contest: "Surat suara Wali
    Kota Malang") of which it holds fewer good units than required, in catalogue order.
    Two queries, whatever the number of TPS (a page of the H-1 board)."""
    tps_ids = list(tps_ids)
    if not tps_ids:
        return {}
    good = {(tps_id, item_id): (received or 0) - (damaged or 0)
            for tps_id, item_id, received, damaged in ShipmentLine.objects.filter(
                shipment__tps_id__in=tps_ids, shipment__to_level=Shipment.Level.TPS,
                shipment__is_return=False, shipment__status=Shipment.Status.RECEIVED,
            ).values("shipment__tps_id", "item_id").annotate(
                r=Sum("received"), d=Sum("damaged")).values_list(
                "shipment__tps_id", "item_id", "r", "d").order_by()}
    missing: dict[int, list[dict]] = {}
    for tps_id, item_id, quantity, name, unit in Requirement.objects.filter(
            tps_id__in=tps_ids, quantity__gt=0).order_by(
            "tps_id", "item__order", "item__name").values_list(
            "tps_id", "item_id", "quantity", "item__name", "item__unit"):
        have = max(0, good.get((tps_id, item_id), 0))
        if have < quantity:
            missing.setdefault(tps_id, []).append(
                {"name": name, "unit": unit, "missing": quantity - have})
    return missing


def rollup(queryset, group_by: str):
    """Counts per state and unit sums of TpsReadiness rows grouped by ``group_by``
    ("kecamatan_id", "kelurahan_id" or None for one total)."""
    fields = dict(
        tps=Count("pk"),
        lengkap=Count("pk", filter=Q(state=TpsReadiness.State.LENGKAP)),
        kurang=Count("pk", filter=Q(state=TpsReadiness.State.KURANG)),
        belum=Count("pk", filter=Q(state=TpsReadiness.State.BELUM)),
        bermasalah=Count("pk", filter=Q(state=TpsReadiness.State.BERMASALAH)),
        required_units=Sum("required_units"), good_units=Sum("good_units"),
    )
    if group_by is None:
        return queryset.aggregate(**fields)
    return queryset.values(group_by).annotate(**fields).order_by(group_by)
