"""The logistics part of the Kota Malang demo: the default item catalogue, the computed
requirements, the chain of custody on the morning of H-1 (Tuesday 26 Nov 2024, 08:00 WIB:
the demo's default moment; a later one sees the rest arrive during H-1), one damaged
ballot box, and the Pemda's support requests.

The catalogue has one ballots line and one result-forms line per contest ("Surat suara
Wali Kota Malang", "Surat suara Gubernur Jawa Timur"), so what a TPS lacks names the
contest. The state it shows:

* KPU warehouse → PPK: all 5 kecamatan received (20 Nov).
* PPK → PPS: all 57 kelurahan received (23 Nov).
* PPS → TPS, one shipment per TPS carrying its whole requirement:
  - Klojen and Blimbing: received complete on 25 Nov, except TPS 004 Kauman (Klojen),
    where one of the two ballot boxes arrived damaged — an open DAMAGED shortfall
    case with the fields ``flag_discrepancies`` gives it (the TPS is
    "bermasalah");
  - Kedungkandang: received on 25 Nov; in Wonokoyo and Tlogowaru (the rural
    south-east) the ballots were held back after re-sorting and follow in a second
    shipment, dispatched on the morning of 26 Nov and still on the way — those TPS
    are "kurang" (nothing short against what was dispatched, so no case, as the
    custody service would judge it);
  - Sukun and Lowokwaru: received on 25 Nov, except four kelurahan (Mulyorejo and
    Bakalankrajan in Sukun, Tunggulwulung and Merjosari in Lowokwaru) whose TPS
    shipments left on the morning of 26 Nov and are still on the way at 08.00
    ("belum diterima"): logistics are mostly delivered, and the H-1 board has work.
* Support requests: ambulances on standby per kecamatan (Dinkes), transport (Dishub),
  generators for the two prisons' TPS (BPBD), a tent, chairs and lights.

Invented: every time, vehicle, driver, seal number and receiver, the damaged box and
the requests. Received and dispatched times are fixed in November 2024 (before the H-1
18:00 deadline), so every run builds the same rows.

Like the coordination demo, the catalogue is installed where items are missing and the
requirements recomputed only when they are not current; the chain, the case and the
requests are work rows, created once where missing and then left as users change them.
Rows are written in bulk, and readiness is refreshed once, when something was created.
A second run changes nothing and counts nothing in ``result.other_changes``.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from posko.accounts.models import Agency, User
from posko.demo.timeline import as_of_of
from posko.elections.models import Election, Tps
from posko.logistics.models import (
    Item,
    Requirement,
    Shipment,
    ShipmentLine,
    Shortfall,
    SupportRequest,
    TpsReadiness,
)
from posko.logistics.services import readiness, requirements
from posko.logistics.services.catalogue import install_defaults
from posko.regions.models import Kecamatan, Kelurahan

WIB = ZoneInfo("Asia/Jakarta")
Level = Shipment.Level


def _at(d, hh, mm=0) -> datetime.datetime:
    return datetime.datetime(2024, 11, d, hh, mm, tzinfo=WIB)


BLIMBING, KLOJEN, KEDUNGKANDANG, SUKUN, LOWOKWARU = (f"35.73.0{i}" for i in range(1, 6))
KECAMATAN_ORDER = (BLIMBING, KLOJEN, KEDUNGKANDANG, SUKUN, LOWOKWARU)
# The kelurahan whose TPS shipments leave on H-1 morning and are still on the way at 08.00:
# Mulyorejo and Bakalankrajan (Sukun), Tunggulwulung and Merjosari (Lowokwaru). Every other
# TPS received its logistics by H-2 evening.
LATE_KELURAHAN = ("35.73.04.1010", "35.73.04.1011", "35.73.05.1001", "35.73.05.1002")
# Kedungkandang kelurahan whose ballots follow in a second shipment (Wonokoyo, Tlogowaru).
BALLOTS_LATER_KELURAHAN = ("35.73.03.1004", "35.73.03.1012")
# The damaged ballot box: TPS 004 Kauman (Klojen), 1 of 2 boxes.
DAMAGED_TPS = ("35.73.02.1007", 4)
DAMAGED_COUNT = 1

# When each leg left, per kecamatan (received legs arrive a fixed time later).
KPU_DISPATCH = _at(20, 7)
PPK_DISPATCH = _at(23, 8)
TPS_DISPATCH = {BLIMBING: _at(25, 7), KLOJEN: _at(25, 7), KEDUNGKANDANG: _at(25, 12),
                SUKUN: _at(25, 13), LOWOKWARU: _at(25, 13, 30)}
LATE_DISPATCH = {SUKUN: _at(26, 6), LOWOKWARU: _at(26, 6, 30)}
BALLOTS_LATER_DISPATCH = _at(26, 7)
# The demo's clock (``result.as_of``): a leg exists once dispatched and is received at its
# time if that is before the moment. The late kelurahan arrive during H-1 (from 10.00), the
# ballots that follow at 13.00: by the evening every TPS has everything.
ON_THE_WAY = datetime.timedelta(hours=4)
BALLOTS_LATER_ARRIVE = _at(26, 13)

DRIVERS = ("Slamet Riyadi", "Agus Prasetyo", "Bambang Wijaya", "Eko Susanto", "Hadi Santoso",
           "Imam Syafii", "Joko Purnomo", "Mulyono", "Rudi Hermawan", "Suyitno")


def _demo_users(result) -> dict[str, User]:
    return {u.username: u for u in result.users}


# --- catalogue and requirements ------------------------------------------------------------------

def _catalogue(election, admin) -> int:
    return install_defaults(election, actor=admin)


def _requirements_current(election) -> bool:
    """Do the stored requirement rows equal what the catalogue and the DPT give?"""
    expected = requirements.expected(election)
    stored = {(t, i): q for t, i, q in Requirement.objects.filter(
        item__election=election).values_list("tps_id", "item_id", "quantity")}
    return stored == expected


# --- the chain of custody ---------------------------------------------------------------------

def _key(from_level, to_level, kecamatan_id, kelurahan_id, tps_id, dispatched_at) -> tuple:
    return (from_level, to_level, kecamatan_id, kelurahan_id or None, tps_id,
            dispatched_at.timestamp())


class _Chain:
    """Collects the shipments (and their lines) the demo lacks, then writes them in bulk."""

    def __init__(self, election, as_of):
        self.election, self.as_of = election, as_of
        self.existing = {
            _key(f, t, kec, kel, tps, when) for f, t, kec, kel, tps, when in
            Shipment.objects.filter(election=election, is_return=False).values_list(
                "from_level", "to_level", "kecamatan_id", "kelurahan_id", "tps_id",
                "dispatched_at")}
        self.pending: list[tuple[Shipment, dict[int, tuple[int, int | None, int]]]] = []

    def add(self, from_level, to_level, *, kecamatan, kelurahan=None, tps=None, lines,
            dispatched_at, received_at=None, seals="", vehicle="", driver="", receiver="",
            dispatched_by=None, received_by=None, note="", damaged=None):
        """``lines`` maps item pk → count dispatched; received shipments get them all in
        good condition except ``damaged`` (item pk → count)."""
        key = _key(from_level, to_level, kecamatan, kelurahan, tps.pk if tps else None,
                   dispatched_at)
        if key in self.existing or not lines or dispatched_at > self.as_of:
            return
        self.existing.add(key)
        if received_at is not None and received_at > self.as_of:
            received_at = None  # still on the way at the demo's moment
        received = received_at is not None
        shipment = Shipment(
            election=self.election, is_return=False, from_level=from_level, to_level=to_level,
            kecamatan_id=kecamatan, kelurahan_id=kelurahan, tps=tps, seal_numbers=seals,
            vehicle=vehicle, driver=driver, dispatched_at=dispatched_at,
            dispatched_by=dispatched_by,
            status=Shipment.Status.RECEIVED if received else Shipment.Status.DISPATCHED,
            received_at=received_at, received_by=received_by if received else None,
            receiver_name=receiver if received else "", note=note, created_at=dispatched_at)
        damaged = damaged or {}
        self.pending.append((shipment, {
            item: (count, count if received else None, damaged.get(item, 0) if received else 0)
            for item, count in lines.items() if count}))

    def write(self) -> list[Shipment]:
        if not self.pending:
            return []
        shipments = Shipment.objects.bulk_create([s for s, _lines in self.pending],
                                                 batch_size=500)
        lines = [ShipmentLine(shipment=s, item_id=item, dispatched=d, received=r, damaged=dmg)
                 for s, (_same, by_item) in zip(shipments, self.pending, strict=True)
                 for item, (d, r, dmg) in by_item.items()]
        ShipmentLine.objects.bulk_create(lines, batch_size=2000)
        return shipments


def _sum(per_tps: dict[int, dict[int, int]], tps_ids) -> dict[int, int]:
    total: dict[int, int] = defaultdict(int)
    for pk in tps_ids:
        for item, qty in per_tps.get(pk, {}).items():
            total[item] += qty
    return dict(total)


def _ballot_box(items: list[Item]) -> Item | None:
    for item in items:
        if item.code == "kotak-suara" or "kotak" in item.name.lower():
            return item
    return next((i for i in items if i.norm == Item.Norm.PER_CONTEST), None)


def _chain(election, users, as_of) -> tuple[int, list[Shipment]]:
    items = list(Item.objects.filter(election=election, is_active=True))
    if not items:
        return 0, []
    ballots = {i.pk for i in items if i.norm == Item.Norm.BALLOTS}
    box = _ballot_box(items)
    per_tps: dict[int, dict[int, int]] = defaultdict(dict)
    for tps_id, item_id, qty in Requirement.objects.filter(
            item__election=election, item__is_active=True).values_list(
            "tps_id", "item_id", "quantity"):
        per_tps[tps_id][item_id] = qty
    all_tps = list(Tps.objects.filter(election=election).order_by("kelurahan_id", "number"))
    by_kelurahan: dict[str, list[Tps]] = defaultdict(list)
    for tps in all_tps:
        by_kelurahan[tps.kelurahan_id].append(tps)
    kelurahan = list(Kelurahan.objects.filter(code__in=list(by_kelurahan)).order_by("code"))
    names = {k.code: k.name for k in kelurahan}
    kecamatan_names = dict(Kecamatan.objects.filter(code__in=KECAMATAN_ORDER).values_list(
        "code", "name"))
    admin, camat = users.get("admin"), users.get("camat.klojen")
    operators = {u.kelurahan_id: u for u in users.values() if u.kelurahan_id}
    chain = _Chain(election, as_of)

    # KPU warehouse → PPK (all received).
    for n, kec in enumerate(KECAMATAN_ORDER):
        tps_ids = [t.pk for t in all_tps if t.kecamatan_id == kec]
        when = KPU_DISPATCH + datetime.timedelta(minutes=45 * n)
        chain.add(Level.KPU, Level.PPK, kecamatan=kec, lines=_sum(per_tps, tps_ids),
                  dispatched_at=when, received_at=when + datetime.timedelta(hours=2),
                  seals=f"KPU-3573-PPK-{n + 1:02d}", vehicle=f"Truk boks KPU Kota Malang {n + 1}",
                  driver=DRIVERS[n], receiver=f"Ketua PPK {kecamatan_names.get(kec, kec)}",
                  dispatched_by=admin, received_by=camat if kec == KLOJEN else None)

    # PPK → PPS (all received).
    for n, kel in enumerate(kelurahan):
        tps_ids = [t.pk for t in by_kelurahan[kel.code]]
        when = PPK_DISPATCH + datetime.timedelta(minutes=10 * (n % 12))
        chain.add(Level.PPK, Level.PPS, kecamatan=kel.kecamatan_id, kelurahan=kel.code,
                  lines=_sum(per_tps, tps_ids), dispatched_at=when,
                  received_at=when + datetime.timedelta(hours=2),
                  seals=f"PPK-{kel.code.replace('.', '')}", vehicle=f"Pikap PPK ({kel.name})",
                  driver=DRIVERS[n % len(DRIVERS)], receiver=f"Ketua PPS {kel.name}",
                  dispatched_by=camat if kel.kecamatan_id == KLOJEN else None,
                  received_by=operators.get(kel.code))

    # PPS → TPS.
    for kel in kelurahan:
        kec = kel.kecamatan_id
        late = kel.code in LATE_KELURAHAN
        later = kel.code in BALLOTS_LATER_KELURAHAN
        operator = operators.get(kel.code)
        for n, tps in enumerate(by_kelurahan[kel.code]):
            need = per_tps.get(tps.pk, {})
            when = (LATE_DISPATCH[kec] + datetime.timedelta(minutes=2 * (n % 24)) if late
                    else TPS_DISPATCH[kec] + datetime.timedelta(minutes=5 * (n % 24)))
            common = dict(
                kecamatan=kec, kelurahan=kel.code, tps=tps,
                seals=f"{kel.code.replace('.', '')}-{tps.number:03d}-01, "
                      f"{kel.code.replace('.', '')}-{tps.number:03d}-02",
                vehicle=f"Kendaraan PPS {names[kel.code]}", driver=DRIVERS[n % len(DRIVERS)],
                receiver=f"Ketua KPPS {tps.label}", dispatched_by=operator, received_by=operator)
            received_at = when + (ON_THE_WAY if late else datetime.timedelta(hours=1, minutes=30))
            damaged = None
            note = ""
            if (kel.code, tps.number) == DAMAGED_TPS and box is not None:
                damaged = {box.pk: DAMAGED_COUNT}
                note = ("Satu kotak suara robek di sisi samping saat diturunkan; dicatat dalam "
                        "berita acara serah terima.")
            if later:
                chain.add(Level.PPS, Level.TPS, lines={i: q for i, q in need.items()
                                                       if i not in ballots},
                          dispatched_at=when, received_at=received_at, **common)
                chain.add(Level.PPS, Level.TPS, lines={i: q for i, q in need.items()
                                                       if i in ballots},
                          dispatched_at=BALLOTS_LATER_DISPATCH + datetime.timedelta(minutes=n),
                          received_at=BALLOTS_LATER_ARRIVE + datetime.timedelta(minutes=n),
                          note="Surat suara menyusul setelah sortir ulang di gudang KPU.",
                          **common)
            else:
                chain.add(Level.PPS, Level.TPS, lines=need, dispatched_at=when,
                          received_at=received_at, damaged=damaged, note=note, **common)
    created = chain.write()
    return len(created), created


def _damaged_case(election) -> int:
    """The open DAMAGED case of the damaged ballot box, as ``flag_discrepancies``
    records it (one per shipment + item + kind)."""
    kelurahan, number = DAMAGED_TPS
    line = (ShipmentLine.objects.select_related("shipment", "item")
            .filter(shipment__election=election, shipment__to_level=Level.TPS,
                    shipment__is_return=False, shipment__tps__kelurahan_id=kelurahan,
                    shipment__tps__number=number, shipment__status=Shipment.Status.RECEIVED,
                    damaged__gt=0).order_by("pk").first())
    if line is None:
        return 0
    shipment = line.shipment
    if Shortfall.objects.filter(shipment=shipment, item=line.item,
                                kind=Shortfall.Kind.DAMAGED).exists():
        return 0
    Shortfall.objects.create(
        election=election, kind=Shortfall.Kind.DAMAGED, kecamatan_id=shipment.kecamatan_id,
        kelurahan_id=shipment.kelurahan_id, tps_id=shipment.tps_id, item=line.item,
        quantity=line.damaged, shipment=shipment, created_at=shipment.received_at,
        description=_("%(item)s: %(damaged)s of %(received)s received are damaged.") % {
            "item": line.item.name, "damaged": line.damaged, "received": line.received})
    return 1


# --- support requests ----------------------------------------------------------------------------

DINKES, DISHUB, BPBD, SETDA = ("Dinas Kesehatan", "Dinas Perhubungan",
                               "Badan Penanggulangan Bencana Daerah", "Sekretariat Daerah")
R = SupportRequest.Status
K = SupportRequest.Kind
# (kind, place: kecamatan code | kelurahan code | (kelurahan code, TPS number), quantity,
#  agency, needed by, status, description, note, requested by, requested at)
SUPPORT = (
    (K.AMBULANS, BLIMBING, 2, DINKES, _at(27, 6), R.APPROVED,
     "Ambulans siaga hari pemungutan suara, 06.00 sampai penghitungan selesai",
     "Disiagakan dari Puskesmas Kendalkerep dan Puskesmas Pandanwangi.", "admin", _at(18, 9)),
    (K.AMBULANS, KLOJEN, 2, DINKES, _at(27, 6), R.APPROVED,
     "Ambulans siaga hari pemungutan suara, 06.00 sampai penghitungan selesai",
     "Disiagakan dari Puskesmas Arjuno dan Puskesmas Rampal Celaket.", "camat.klojen",
     _at(18, 9, 30)),
    (K.AMBULANS, KEDUNGKANDANG, 3, DINKES, _at(27, 6), R.APPROVED,
     "Ambulans siaga; wilayah luas, termasuk TPS di Wonokoyo dan Tlogowaru",
     "Disiagakan dari Puskesmas Kedungkandang, Gribig dan Arjowinangun.", "admin", _at(18, 10)),
    (K.AMBULANS, SUKUN, 2, DINKES, _at(27, 6), R.REQUESTED,
     "Ambulans siaga hari pemungutan suara, termasuk TPS 901 Lapas Perempuan", "", "admin",
     _at(19, 9)),
    (K.AMBULANS, LOWOKWARU, 2, DINKES, _at(27, 6), R.REQUESTED,
     "Ambulans siaga hari pemungutan suara, 06.00 sampai penghitungan selesai", "", "admin",
     _at(19, 9, 30)),
    (K.KENDARAAN, KEDUNGKANDANG, 4, DISHUB, _at(27, 15), R.REQUESTED,
     "Pikap untuk pergeseran kotak suara dari PPS ke PPK setelah penghitungan", "", "admin",
     _at(20, 10)),
    (K.KENDARAAN, LOWOKWARU, 3, DISHUB, _at(27, 15), R.APPROVED,
     "Pikap untuk pergeseran kotak suara dari PPS ke PPK setelah penghitungan",
     "3 unit pikap Dishub berangkat dari Terminal Landungsari pukul 14.00.", "admin",
     _at(20, 10, 30)),
    (K.KENDARAAN, KLOJEN, 2, DISHUB, _at(27, 15), R.REJECTED,
     "Pikap untuk pergeseran kotak suara dari PPS ke PPK setelah penghitungan",
     "Jarak PPS ke PPK Klojen dekat; kendaraan operasional kecamatan mencukupi.",
     "camat.klojen", _at(20, 11)),
    (K.GENSET, ("35.73.01.1008", 901), 1, BPBD, _at(26, 18), R.FULFILLED,
     "Genset 5 kVA cadangan listrik untuk TPS 901–905 di Lapas Kelas I Malang",
     "Genset BPBD terpasang 26 November pukul 09.00.", "admin", _at(21, 9)),
    (K.GENSET, ("35.73.04.1003", 901), 1, BPBD, _at(26, 18), R.APPROVED,
     "Genset 3 kVA cadangan listrik untuk TPS 901 di Lapas Perempuan Kelas IIA Malang",
     "Dikirim 26 November sore.", "admin", _at(21, 9, 30)),
    (K.TENDA, ("35.73.02.1007", 2), 1, BPBD, _at(26, 16), R.REQUESTED,
     "Tenda 4 x 6 m; TPS di halaman rumah warga tanpa peneduh", "", "lurah.kauman", _at(22, 10)),
    (K.KURSI, "35.73.01.1011", 40, SETDA, _at(26, 15), R.APPROVED,
     "Kursi lipat untuk pemilih yang menunggu di 4 TPS", "Diambil PPS dari Balai Kota.",
     "lurah.jodipan", _at(22, 11)),
    (K.LAMPU, "35.73.03.1012", 6, BPBD, _at(26, 17), R.REQUESTED,
     "Lampu penerangan tambahan untuk TPS di area persawahan (penghitungan malam)", "",
     "admin", _at(23, 9)),
)


def _support(election, users, as_of) -> int:
    agencies = {a.name: a for a in Agency.objects.filter(
        name__in=[row[3] for row in SUPPORT])}
    places = [row[1][0] for row in SUPPORT if isinstance(row[1], tuple)]
    tps_by_key = {(t.kelurahan_id, t.number): t for t in Tps.objects.filter(
        election=election, kelurahan_id__in=places)}
    existing = set(SupportRequest.objects.filter(election=election).values_list(
        "kind", "kecamatan_id", "kelurahan_id", "tps_id"))
    new = []
    for kind, place, qty, agency, needed, status, description, note, by, at in SUPPORT:
        tps = tps_by_key.get(place) if isinstance(place, tuple) else None
        if isinstance(place, tuple):
            if tps is None:
                continue
            kelurahan = tps.kelurahan_id
        else:
            kelurahan = place if place.count(".") == 3 else None
        kecamatan = kelurahan.rsplit(".", 1)[0] if kelurahan else place
        key = (kind, kecamatan, kelurahan, tps.pk if tps else None)
        if key in existing or agency not in agencies or at > as_of:
            continue
        existing.add(key)
        new.append(SupportRequest(
            election=election, kind=kind, description=description, quantity=qty,
            kecamatan_id=kecamatan, kelurahan_id=kelurahan, tps=tps, agency=agencies[agency],
            needed_by=needed, status=status, note=note, requested_by=users.get(by),
            created_at=at))
    SupportRequest.objects.bulk_create(new)
    return len(new)


# --- entry point ----------------------------------------------------------------------------------

def build_logistics(result) -> None:
    """Build the logistics demo on top of ``data.build_demo``'s election, TPS and users
    (call it after them and after the coordination demo, inside build_demo's
    transaction). Adds what it created or changed to ``result.other_changes``."""
    election = Election.objects.get(pk=result.election_id)
    users = _demo_users(result)
    admin = users.get("admin")
    changes = _catalogue(election, admin)
    if not _requirements_current(election):
        requirements.recompute(election)
        changes += 1
    as_of = as_of_of(result)
    created, _shipments = _chain(election, users, as_of)
    created += _damaged_case(election)
    changes += created
    changes += _support(election, users, as_of)
    tps_count = Tps.objects.filter(election=election).count()
    if created or TpsReadiness.objects.filter(election=election).count() != tps_count:
        readiness.refresh(election)
        changes += 0 if created else 1
    result.other_changes += changes
