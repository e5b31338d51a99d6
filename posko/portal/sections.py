"""The TPS finder section: the TPS of an election per kelurahan, with address and map point.

Elections is a base app (every module may read it), so the portal contributes this section
itself through the same registry as the modules (``core.public``)."""

from __future__ import annotations

from django.db.models import Count, Sum
from django.utils.translation import gettext_lazy as _

from posko.core.public import register_public_section
from posko.elections.models import Tps
from posko.regions.models import Kelurahan

#: The columns every open-data row starts with (which TPS), whatever sections are public.
SPINE = (
    ("kecamatan_code", _("Kecamatan code")), ("kecamatan", _("Kecamatan")),
    ("kelurahan_code", _("Kelurahan code")), ("kelurahan", _("Kelurahan")),
    ("tps_number", _("TPS number")),
)
COLUMNS = (
    ("address", _("Address")), ("rt", _("RT")), ("rw", _("RW")),
    ("latitude", _("Latitude")), ("longitude", _("Longitude")), ("dpt_total", _("DPT total")),
    ("accessible", _("Accessible for voters with disabilities")),
)


def kelurahan_list(election) -> list[dict]:
    """The kelurahan with TPS in this election, with their TPS count and DPT (one query)."""
    rows = (Tps.objects.filter(election=election)
            .values("kelurahan_id", "kelurahan__name", "kecamatan_id", "kelurahan__kecamatan__name")
            .annotate(tps=Count("id"), dpt=Sum("dpt_total"))
            .order_by("kelurahan__kecamatan__name", "kelurahan__name"))
    return [{"code": r["kelurahan_id"], "name": r["kelurahan__name"],
             "kecamatan_code": r["kecamatan_id"], "kecamatan": r["kelurahan__kecamatan__name"],
             "tps": r["tps"], "dpt": r["dpt"] or 0} for r in rows]


def _point(value):
    return float(value) if value is not None else None


def tps_of_kelurahan(election, kelurahan_code: str) -> list[dict]:
    rows = Tps.objects.filter(election=election, kelurahan_id=kelurahan_code).order_by("number")
    return [{"number": t.number, "address": t.address, "rt": t.rt, "rw": t.rw,
             "latitude": _point(t.latitude), "longitude": _point(t.longitude), "dpt": t.dpt_total,
             "accessible": t.accessible}
            for t in rows.only("number", "address", "rt", "rw", "latitude", "longitude",
                               "dpt_total", "accessible")]


def build(election, kelurahan):
    if kelurahan is None:
        places = kelurahan_list(election)
        kecamatan: dict[str, dict] = {}
        for place in places:
            entry = kecamatan.setdefault(place["kecamatan_code"], {
                "name": place["kecamatan"], "kelurahan": []})
            entry["kelurahan"].append(place)
        return {"kecamatan": list(kecamatan.values()),
                "tps_total": sum(p["tps"] for p in places),
                "dpt_total": sum(p["dpt"] for p in places)}
    tps = tps_of_kelurahan(election, kelurahan)
    return {"tps": tps, "tps_total": len(tps), "dpt_total": sum(t["dpt"] for t in tps)}


def rows(election) -> dict[int, dict]:
    names = dict(Kelurahan.objects.filter(tps__election=election).distinct()
                 .values_list("code", "name"))
    kecamatan = dict(Kelurahan.objects.filter(tps__election=election).distinct()
                     .values_list("kecamatan_id", "kecamatan__name"))
    data = {}
    for t in (Tps.objects.filter(election=election).order_by("kelurahan_id", "number")
              .values("id", "kecamatan_id", "kelurahan_id", "number", "address", "rt", "rw",
                      "latitude", "longitude", "dpt_total", "accessible")):
        data[t["id"]] = {
            "kecamatan_code": t["kecamatan_id"], "kecamatan": kecamatan.get(t["kecamatan_id"], ""),
            "kelurahan_code": t["kelurahan_id"], "kelurahan": names.get(t["kelurahan_id"], ""),
            "tps_number": t["number"], "address": t["address"], "rt": t["rt"], "rw": t["rw"],
            "latitude": _point(t["latitude"]), "longitude": _point(t["longitude"]),
            "dpt_total": t["dpt_total"], "accessible": t["accessible"]}
    return data


def register() -> None:
    register_public_section("tps", _("Find your TPS"), build, "portal/_tps_section.html",
                            order=10, columns=COLUMNS, rows=rows, ttl=600)
