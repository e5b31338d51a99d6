"""The workers part of the Kota Malang demo, on the eve of voting day (H-1, 26 Nov 2024).

* Staffing at the norms: 7 KPPS per TPS (1 chair + 6 members: 8,316 KPPS for 1,188
  TPS), 2 Linmas and 1 PTPS per TPS, 3 PPS per kelurahan, 5 PPK per kecamatan.
* TPS of registration (DPT): every worker at a TPS is registered to vote at it, except one
  KPPS member at each of the 375 TPS Bawaslu found with "KPPS bertugas/memilih di luar
  domisili" (``posko.demo.common.bawaslu_tps``), who is registered at another TPS: at one
  TPS in two a TPS of the neighbouring kelurahan (where that member also lives: flagged for
  domicile), otherwise another TPS of the same kelurahan (not flagged). The derived
  vulnerability indicator therefore gives exactly those 375 TPS; the domicile flag only
  half of them. Every other worker lives in the kelurahan (PPK: the kecamatan) of their post.
* A handful of KPPS are over 55 on voting day and flagged (not refused).
* Health screening by Dinas Kesehatan: about 93 % of the KPPS screened (most fit, some
  fit with notes, a few unfit); the rest not yet.
* BPJS Ketenagakerjaan (JKK + JKM, APBD): most workers active; Kedungkandang's list was
  submitted late (some still "submitted"), and a few workers everywhere are not enrolled.
* Incidents: a few sick KPPS during the TPS set-up, one traffic accident while fetching
  logistics (covered, JKK claim being prepared), one sick worker without coverage.

Names, NIKs (valid by ``posko.workers.nik``, consistent with birth date and sex, issued
in the domicile's kecamatan) and phone numbers are generated: no real person. Rows are
written with ``bulk_create`` once; a second run finds every NIK and changes nothing.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from posko.core import derived
from posko.demo.common import bawaslu_tps
from posko.elections.models import Election, Tps
from posko.regions.models import Kelurahan
from posko.workers.models import Claim, Incident, Screening, Worker, WorkerSettings
from posko.workers.rules import eligibility_flags, is_outside_domicile
from posko.workers.services import DERIVED_KEY, months_between

SEED = "posko-demo-workers-2024"
R = Worker.Role
MALE = ["Agus", "Budi", "Eko", "Hadi", "Joko", "Rudi", "Slamet", "Wahyu", "Yusuf", "Bambang",
        "Dedi", "Fajar", "Hendra", "Imam", "Kurniawan", "Lukman", "Mochamad", "Nur", "Rizky",
        "Sugeng", "Teguh", "Arif", "Dimas", "Gilang", "Haris", "Ilham", "Rahmat", "Samsul"]
FEMALE = ["Siti", "Sri", "Dewi", "Endang", "Lestari", "Nurul", "Rina", "Wulan", "Yuni", "Ani",
          "Dian", "Fitri", "Indah", "Kartika", "Lilis", "Maya", "Novi", "Puji", "Ratna", "Sari",
          "Tri", "Umi", "Vina", "Winda", "Yanti", "Anisa", "Eka", "Laila"]
LAST = ["Santoso", "Wibowo", "Setiawan", "Hidayat", "Rahayu", "Kusuma", "Prasetyo", "Susanti",
        "Purnomo", "Wijaya", "Saputra", "Handayani", "Nugroho", "Hartono", "Firmansyah",
        "Maulana", "Pratama", "Utomo", "Sulistyo", "Permana", "Ramadhan", "Anggraini"]
FACILITIES = {"35.73.01": "Puskesmas Kendalkerep", "35.73.02": "Puskesmas Arjuno",
              "35.73.03": "Puskesmas Kedungkandang", "35.73.04": "Puskesmas Janti",
              "35.73.05": "Puskesmas Dinoyo"}
KPPS_START, KPPS_END = datetime.date(2024, 11, 7), datetime.date(2024, 12, 6)
ADHOC_START, ADHOC_END = datetime.date(2024, 5, 15), datetime.date(2024, 12, 31)
VOTING = datetime.date(2024, 11, 27)


class _Nik:
    """Unique generated NIKs: kecamatan prefix + DDMMYY (+40 for women) + serial."""

    def __init__(self):
        self.serials: dict[str, int] = {}

    def make(self, kecamatan: str, birth: datetime.date, sex: str) -> str:
        stem = f"{kecamatan.replace('.', '')}{birth.day + (40 if sex == 'P' else 0):02d}" \
               f"{birth.month:02d}{birth.year % 100:02d}"
        serial = self.serials.get(stem, 0) + 1
        self.serials[stem] = serial
        return f"{stem}{serial:04d}"


def _birth(rng: random.Random, role: str, old: bool) -> datetime.date:
    if old:
        age = rng.randint(56, 60)
    elif role in (R.PPK, R.PPS):
        age = rng.randint(28, 62)
    elif role == R.LINMAS:
        age = rng.randint(30, 58)
    else:
        age = rng.choice([rng.randint(20, 35), rng.randint(25, 45), rng.randint(35, 54)])
    return VOTING - datetime.timedelta(days=age * 365 + rng.randint(10, 350))


def _plan(election):
    """Every demo worker as a dict of field values (deterministic)."""
    rng = random.Random(SEED)
    niks = _Nik()
    settings = WorkerSettings.for_election(election)
    tps_rows = list(Tps.objects.filter(election=election).order_by("kelurahan_id", "number").values_list(
        "pk", "kelurahan_id", "kecamatan_id", "kabkota_id", "number"))
    outside = set(bawaslu_tps(election, "kpps_luar_domisili"))
    kelurahan = list(Kelurahan.objects.filter(code__in={t[1] for t in tps_rows}).order_by("code")
                     .values_list("code", "kecamatan_id"))
    neighbour = {}
    for kec in {k for _c, k in kelurahan}:
        codes = [c for c, k in kelurahan if k == kec]
        for i, code in enumerate(codes):
            neighbour[code] = codes[(i + 1) % len(codes)] if len(codes) > 1 else code
    tps_by_kel: dict[str, list[int]] = {}
    for pk, kel, *_rest in tps_rows:
        tps_by_kel.setdefault(kel, []).append(pk)
    old_tps = set(rng.sample([t[0] for t in tps_rows], min(9, len(tps_rows))))
    late_kecamatan = "35.73.03"  # Kedungkandang submitted its BPJS list late
    plan = []

    def elsewhere(pk: int, kel: str) -> tuple[int, str]:
        """(another TPS, the member's domicile) for the KPPS registered elsewhere."""
        same = [t for t in tps_by_kel[kel] if t != pk]
        other = neighbour.get(kel, kel)
        if (pk % 2 or not same) and other != kel and tps_by_kel.get(other):
            return tps_by_kel[other][0], other
        return (same[0], kel) if same else (next(t[0] for t in tps_rows if t[0] != pk), kel)

    def person(role, posting_kel, kec, kab, tps_id=None, tps_number=None, domicile=None, old=False,
               registered=None):
        sex = rng.choice("LP")
        birth = _birth(rng, role, old)
        domicile = domicile or posting_kel or f"{kec}.1001"
        first = rng.choice(MALE if sex == "L" else FEMALE)
        name = f"{first} {rng.choice(LAST)}"
        nik = niks.make(domicile[:8], birth, sex)
        kpps = role in Worker.KPPS_ROLES
        start, end = (KPPS_START, KPPS_END) if role not in (R.PPK, R.PPS) else (ADHOC_START, ADHOC_END)
        # BPJS on the eve of voting day.
        draw = rng.random()
        if kec == late_kecamatan:
            bpjs = Worker.Bpjs.AKTIF if draw < 0.86 else (Worker.Bpjs.DIAJUKAN if draw < 0.97
                                                          else Worker.Bpjs.BELUM)
        else:
            bpjs = Worker.Bpjs.AKTIF if draw < 0.975 else Worker.Bpjs.BELUM
        screening = ""
        if kpps:
            s = rng.random()
            screening = ("" if s < 0.07 else Worker.Screening.LAYAK if s < 0.90
                         else Worker.Screening.CATATAN if s < 0.982 else Worker.Screening.TIDAK_LAYAK)
        flags = eligibility_flags(role, birth, domicile, posting_kel, settings, VOTING, kec)
        plan.append(dict(
            election_id=election.pk, role=role, tps_id=tps_id, kelurahan_id=posting_kel,
            kecamatan_id=kec, kabkota_id=kab, nik=nik, full_name=name, sex=sex, birth_date=birth,
            phone=f"08{rng.choice(['12', '13', '21', '52', '57', '77', '95'])}{rng.randint(10_000_000, 99_999_999)}",
            address=f"Jl. {rng.choice(LAST)} No. {rng.randint(1, 120)}, RT {rng.randint(1, 12):02d}/RW "
                    f"{rng.randint(1, 9):02d}",
            domicile_code=domicile,
            decree_number=(f"{tps_number or 0:03d}/PP.04.1-SK/3573/2024" if kpps
                           else f"{rng.randint(100, 999)}/PP.04.1-Kpt/3573/2024"),
            decree_date=start - datetime.timedelta(days=1), term_start=start, term_end=end,
            status=Worker.Status.AKTIF, flags="\n".join(str(f) for f in flags),
            outside_domicile=is_outside_domicile(role, domicile, posting_kel, kec),
            registered_tps_id=registered or tps_id,
            screening_result=screening,
            screening_date=(datetime.date(2024, 11, rng.randint(8, 22)) if screening else None),
            bpjs_status=bpjs, bpjs_jkk=True, bpjs_jkm=True,
            bpjs_number=(f"24{rng.randint(100_000_000, 999_999_999)}"
                         if bpjs == Worker.Bpjs.AKTIF else ""),
            bpjs_start=start if bpjs != Worker.Bpjs.BELUM else None,
            bpjs_end=end if bpjs != Worker.Bpjs.BELUM else None,
            bpjs_months=months_between(start, end) if bpjs == Worker.Bpjs.AKTIF else 0,
            bpjs_funding=Worker.Funding.APBD if bpjs != Worker.Bpjs.BELUM else "",
        ))

    for pk, kel, kec, kab, number in tps_rows:
        person(R.KPPS_KETUA, kel, kec, kab, pk, number)
        for slot in range(6):
            registered, domicile = elsewhere(pk, kel) if (pk in outside and slot == 5) else (None, None)
            person(R.KPPS_ANGGOTA, kel, kec, kab, pk, number, domicile=domicile,
                   old=(pk in old_tps and slot == 0), registered=registered)
        for _ in range(2):
            person(R.LINMAS, kel, kec, kab, pk, number)
        person(R.PTPS, kel, kec, kab, pk, number)
    for code, kec in kelurahan:
        for _ in range(3):
            person(R.PPS, code, kec, kec.rsplit(".", 1)[0])
    for kec in sorted({k for _c, k in kelurahan}):
        for _ in range(5):
            person(R.PPK, None, kec, kec.rsplit(".", 1)[0], domicile=f"{kec}.1001"
                   if Kelurahan.objects.filter(code=f"{kec}.1001").exists() else
                   next(c for c, k in kelurahan if k == kec))
    return plan


def _screenings(election, rng) -> list[Screening]:
    rows = []
    for w in Worker.objects.filter(election=election).exclude(screening_result="").filter(
            screenings__isnull=True).order_by("pk").values(
            "pk", "kecamatan_id", "kelurahan_id", "kabkota_id", "screening_result", "screening_date"):
        unfit = w["screening_result"] == Worker.Screening.TIDAK_LAYAK
        notes = w["screening_result"] == Worker.Screening.CATATAN
        systolic = rng.randint(165, 190) if unfit else rng.randint(135, 158) if notes else rng.randint(105, 132)
        rows.append(Screening(
            worker_id=w["pk"], kecamatan_id=w["kecamatan_id"], kelurahan_id=w["kelurahan_id"],
            kabkota_id=w["kabkota_id"], date=w["screening_date"], facility_kind="puskesmas",
            facility_name=FACILITIES.get(w["kecamatan_id"], "Puskesmas"), systolic=systolic,
            diastolic=systolic - rng.randint(40, 60), blood_sugar=rng.randint(80, 260 if unfit else 140),
            cholesterol=rng.randint(150, 290 if unfit or notes else 199), result=w["screening_result"],
            note=("Hipertensi tidak terkontrol; dirujuk ke RSUD, disarankan diganti." if unfit else
                  "Tekanan darah tinggi ringan: kontrol ulang, istirahat cukup." if notes else "")))
    return rows


INCIDENTS = [
    # (kecamatan, TPS index in that kecamatan, kind, date, place, description, followup, claim)
    ("35.73.01", 4, Incident.Kind.SAKIT, datetime.date(2024, 11, 26), "Lokasi TPS",
     "Pusing dan tekanan darah tinggi saat mendirikan tenda TPS.",
     "Diperiksa petugas Puskesmas Kendalkerep, diberi obat, istirahat di rumah.", None),
    ("35.73.03", 31, Incident.Kind.KECELAKAAN, datetime.date(2024, 11, 25), "Jl. Mayjen Sungkono",
     "Terjatuh dari sepeda motor saat mengambil logistik dari PPS; luka di lengan.",
     "Dirawat di IGD RSUD Kota Malang, rawat jalan.", Claim.Programme.JKK),
    ("35.73.05", 12, Incident.Kind.SAKIT, datetime.date(2024, 11, 24), "Rumah",
     "Demam tinggi sejak bimbingan teknis.", "Kunjungan rumah oleh Puskesmas Dinoyo.", None),
    ("35.73.04", 57, Incident.Kind.SAKIT, datetime.date(2024, 11, 26), "Lokasi TPS",
     "Sesak napas ringan saat menata bilik suara.", "Puskesmas Janti: observasi, membaik.", None),
]


def _incidents(election) -> int:
    if Incident.objects.filter(worker__election=election).exists():
        return 0
    created = 0
    for index, (kec, n, kind, date, place, description, followup, programme) in enumerate(INCIDENTS):
        qs = Worker.objects.filter(election=election, kecamatan_id=kec, role=R.KPPS_ANGGOTA,
                                   status=Worker.Status.AKTIF)
        # The last case is a worker without coverage; the others are covered.
        qs = qs.exclude(bpjs_status=Worker.Bpjs.AKTIF) if index == 3 else qs.filter(
            bpjs_status=Worker.Bpjs.AKTIF)
        worker = qs.order_by("pk")[n:n + 1].first() or qs.order_by("pk").first()
        if worker is None:
            continue
        incident = Incident.objects.create(
            worker=worker, kecamatan_id=worker.kecamatan_id, kelurahan_id=worker.kelurahan_id,
            kabkota_id=worker.kabkota_id, kind=kind, date=date, place=place, description=description,
            on_duty=True, followup=followup, covered=worker.is_covered)
        created += 1
        if programme and incident.covered:
            Claim.objects.create(incident=incident, kecamatan_id=incident.kecamatan_id,
                                 kelurahan_id=incident.kelurahan_id, kabkota_id=incident.kabkota_id,
                                 programme=programme, status=Claim.Status.DISIAPKAN,
                                 amount=Decimal("2750000"), note="Kuitansi IGD dan surat keterangan PPS")
            created += 1
    return created


_REFRESHED = ("registered_tps_id", "domicile_code", "outside_domicile", "flags")


def _refresh(election, plan) -> int:
    """A demo built before the TPS of registration (or the PPS/PPK domicile rule) gets the
    planned values on the next run; the rows are otherwise left as they are."""
    planned = {row["nik"]: row for row in plan}
    stale = []
    for pk, nik, *values in Worker.objects.filter(election=election).values_list(
            "pk", "nik", *_REFRESHED).iterator(chunk_size=5000):
        row = planned.get(nik)
        if row is not None and tuple(values) != tuple(row[f] for f in _REFRESHED):
            stale.append(Worker(pk=pk, **{f: row[f] for f in _REFRESHED}))
    Worker.objects.bulk_update(stale, list(_REFRESHED), batch_size=2000)
    return len(stale)


def build_workers(result) -> None:
    """Idempotent: a second run finds every NIK and changes nothing."""
    election = Election.objects.get(pk=result.election_id)
    existing = set(Worker.objects.filter(election=election).values_list("nik", flat=True))
    changes = 0
    if not WorkerSettings.objects.filter(election=election).exists():
        changes += 1
    plan = _plan(election)
    new = [Worker(**row) for row in plan if row["nik"] not in existing]
    if new:
        Worker.objects.bulk_create(new, batch_size=2000)
        changes += len(new)
    refreshed = _refresh(election, plan)
    changes += refreshed
    screenings = _screenings(election, random.Random(f"{SEED}-screening"))
    if screenings:
        Screening.objects.bulk_create(screenings, batch_size=2000)
        changes += len(screenings)
    changes += _incidents(election)
    if new or refreshed:
        derived.changed(DERIVED_KEY, election, None)
    result.other_changes += changes
