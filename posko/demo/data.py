"""The Kota Malang demo data: Pilkada Serentak 2024 as the Pemkot saw it.

Everything official comes from the domain notes (``shared/domain``): 5 kecamatan,
57 kelurahan, DPT 660,744 (323,167 men, 337,577 women) in 1,188 TPS, of which 6
are lokasi khusus in the two prisons; Kedungkandang 157,365 voters in 280 TPS,
Klojen 77,233 in 141, Blimbing + Sukun + Lowokwaru 426,146 in 767. What was not
published (the split of those three kecamatan, every kelurahan and TPS figure,
addresses, coordinates) is generated deterministically from one seed, so every
run and every machine builds the same rows.

Two places deliberately follow the real practice rather than the plain pattern:

* Lapas Kelas I Malang ("Lapas Lowokwaru") stands at Jl. Asahan No. 7,
  Kelurahan **Bunulrejo, Kecamatan Blimbing** (jatimtimes.com 29 Sep 2020,
  Kompas via tribunnews 27 Jul 2018; the Camat of Blimbing reported on its
  polling on 27 Nov 2024 per Antara Jatim), although it carries the name of
  Lowokwaru. Its 5 TPS therefore sit in Bunulrejo, with 2,573 voters (Antara
  Jatim, beritajatim 27 Nov 2024). Change ``LAPAS_KELAS_I_KELURAHAN`` to move them.
* Lokasi khusus TPS are numbered 901, 902, ... (TPS 901-905 in the Lapas Kelas I,
  Antara Jatim 27 Nov 2024); ordinary TPS are numbered 001.. in each kelurahan.

Reused by the tests and the benchmarks: :func:`generate_tps_rows` returns plain
dicts (model field names) and needs no database; :func:`build_demo` writes it all.
"""

from __future__ import annotations

import csv
import datetime
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.core.management import call_command
from django.db import transaction
from django.db.models import ProtectedError, Sum
from django.utils import timezone

from posko.regions.importer import DATA_DIR as WILAYAH_DIR

DEFAULT_SEED = 35_73_2024
DEMO_PASSWORD = "posko-demo-2024"

PROVINSI_CODE = "35"
KABKOTA_CODE = "35.73"
PEMDA_NAME = "Pemerintah Kota Malang"

ELECTION_NAME = "Pilkada Serentak 2024"
VOTING_DATE = datetime.date(2024, 11, 27)
MAX_VOTERS_PER_TPS = 600
BALLOT_RESERVE_PERCENT = Decimal("2.5")

DPT_TOTAL = 660_744
DPT_MEN = 323_167
DPT_WOMEN = 337_577
TPS_TOTAL = 1_188
MIN_REGULAR_TPS_VOTERS = 150  # no ordinary TPS in the demo is smaller than this

# --- kecamatan ------------------------------------------------------------------


@dataclass(frozen=True)
class KecamatanPlan:
    code: str
    name: str
    tps: int  # all TPS, lokasi khusus included
    dpt: int  # all voters, lokasi khusus included
    official: bool  # figures published by KPU Kota Malang (else a plausible split)
    centre: tuple[float, float]  # approximate (latitude, longitude)
    radius: float  # degrees: how far kelurahan centres lie from the kecamatan centre
    streets: tuple[str, ...]


KECAMATAN_PLANS: tuple[KecamatanPlan, ...] = (
    KecamatanPlan(
        "35.73.01", "Blimbing", 258, 143_512, False, (-7.9432, 112.6530), 0.012,
        ("Ahmad Yani", "Borobudur", "Laksda Adi Sucipto", "Ciliwung", "Sulfat", "Raden Intan",
         "Hamid Rusdi", "Teluk Mandar", "Indragiri", "Cakalang", "Asahan", "Tenaga"),
    ),
    KecamatanPlan(
        "35.73.02", "Klojen", 141, 77_233, True, (-7.9761, 112.6266), 0.009,
        ("Kawi", "Ijen", "Semeru", "Basuki Rahmat", "Kahuripan", "Arjuno", "Bromo",
         "Trunojoyo", "Sultan Agung", "Jaksa Agung Suprapto", "Kyai Tamin", "Galunggung"),
    ),
    KecamatanPlan(
        "35.73.03", "Kedungkandang", 280, 157_365, True, (-8.0080, 112.6620), 0.018,
        ("Ki Ageng Gribig", "Danau Toba", "Danau Maninjau", "Mayjen Sungkono", "Muharto",
         "Kolonel Sugiono", "Raya Tlogowaru", "Raya Madyopuro", "Raya Lesanpuro",
         "Raya Arjowinangun", "Raya Cemorokandang", "Raya Buring"),
    ),
    KecamatanPlan(
        "35.73.04", "Sukun", 275, 152_841, False, (-8.0043, 112.6186), 0.013,
        ("S. Supriadi", "Raya Bandulan", "Raya Kebonsari", "Raya Gadang", "Janti",
         "Raya Mulyorejo", "Tidar", "Rajasa", "Klayatan", "Raya Pisang Candi", "Keben",
         "Raya Tanjungrejo"),
    ),
    KecamatanPlan(
        "35.73.05", "Lowokwaru", 234, 129_793, False, (-7.9395, 112.6134), 0.013,
        ("Soekarno Hatta", "MT Haryono", "Gajayana", "Sumbersari", "Veteran", "Kalpataru",
         "Candi Panggung", "Joyo Agung", "Tlogomas", "Bantaran", "Sudimoro", "Kendalsari"),
    ),
)

_GOLDEN_ANGLE = math.pi * (3 - math.sqrt(5))


def _around(centre, u: float, v: float, radius: float) -> dict:
    """A point within ``radius`` of ``centre`` from two draws in [-1, 1] (the square mapped
    onto the disk), as the row's latitude and longitude."""
    norm = math.hypot(u, v)
    scale = max(abs(u), abs(v)) / norm if norm else 0.0
    return {"latitude": _coordinate(centre[0] + u * scale * radius),
            "longitude": _coordinate(centre[1] + v * scale * radius)}


# --- lokasi khusus ----------------------------------------------------------------

LAPAS_KELAS_I_KELURAHAN = "35.73.01.1008"  # Bunulrejo, Blimbing (see the module docstring)
LAPAS_PEREMPUAN_KELURAHAN = "35.73.04.1003"  # Kebonsari, Sukun


@dataclass(frozen=True)
class SpecialTps:
    kelurahan_id: str
    number: int
    dpt_men: int
    dpt_women: int
    address: str
    note: str


_LAPAS_I = "Lapas Kelas I Malang (Lapas Lowokwaru)"
_LAPAS_P = "Lapas Perempuan Kelas IIA Malang"
SPECIAL_TPS: tuple[SpecialTps, ...] = (
    # 2,573 inmates on the list in 5 TPS (Antara Jatim); 1 TPS with about 400 voters for the
    # women's prison (KPU Kota Malang in Malang Posco Media, Sep 2024).
    *(SpecialTps(LAPAS_KELAS_I_KELURAHAN, 901 + i, men, 0, "Lapas Kelas I Malang, Jl. Asahan No. 7",
                 f"TPS lokasi khusus di {_LAPAS_I}; KPPS dari pegawai lapas")
      for i, men in enumerate((515, 515, 515, 514, 514))),
    SpecialTps(LAPAS_PEREMPUAN_KELURAHAN, 901, 0, 400,
               "Lapas Perempuan Kelas IIA Malang, Kelurahan Kebonsari",
               f"TPS lokasi khusus di {_LAPAS_P}; KPPS dari pegawai lapas"),
)

_VENUES = (
    "Balai RW {rw}", "Halaman Masjid", "Halaman Musala", "Pos Kamling RT {rt}",
    "Halaman rumah warga",
    "Gedung serbaguna RW {rw}", "Halaman SD Negeri {kel} {n}", "Lapangan RW {rw}", "Halaman TK",
    "Garasi rumah warga", "Halaman Kantor Kelurahan {kel}",
)


@dataclass(frozen=True)
class KelurahanInfo:
    code: str
    kecamatan_code: str
    name: str


def malang_kelurahan(data_dir: Path = WILAYAH_DIR) -> list[KelurahanInfo]:
    """The 57 kelurahan of Kota Malang from the national list shipped with Posko."""
    prefix = f"{KABKOTA_CODE}."
    with (data_dir / "villages.csv").open(encoding="utf-8", newline="") as fh:
        rows = [KelurahanInfo(code, parent, name) for code, parent, name in csv.reader(fh)
                if code.startswith(prefix)]
    return sorted(rows, key=lambda k: k.code)


# --- arithmetic helpers ---------------------------------------------------------------


def apportion(total: int, weights: Sequence[float], minimum: int = 0) -> list[int]:
    """Split ``total`` into whole parts proportional to ``weights`` (largest remainder),
    each at least ``minimum``; the parts always add up to ``total``."""
    n = len(weights)
    rest = total - minimum * n
    if rest < 0:
        raise ValueError(f"cannot give {n} parts at least {minimum} out of {total}")
    weight_sum = float(sum(weights))
    quotas = [rest * w / weight_sum for w in weights]
    parts = [math.floor(q) for q in quotas]
    order = sorted(range(n), key=lambda i: (parts[i] - quotas[i], i))
    for i in order[: rest - sum(parts)]:
        parts[i] += 1
    return [minimum + p for p in parts]


def fit_sum(values: list[int], total: int, lows: Sequence[int], highs: Sequence[int],
            rng: random.Random) -> list[int]:
    """Nudge ``values`` (each kept within its bounds) until they add up to ``total``."""
    values = [min(max(v, lo), hi) for v, lo, hi in zip(values, lows, highs, strict=True)]
    diff = total - sum(values)
    while diff:
        sign = 1 if diff > 0 else -1
        movable = [i for i, v in enumerate(values) if (v < highs[i] if sign > 0 else v > lows[i])]
        if not movable:
            raise ValueError(f"cannot reach {total} within the bounds")
        rng.shuffle(movable)
        step = max(1, abs(diff) // len(movable))
        for i in movable:
            room = highs[i] - values[i] if sign > 0 else values[i] - lows[i]
            delta = min(room, step, abs(diff))
            values[i] += sign * delta
            diff -= sign * delta
            if not diff:
                break
    return values


def _coordinate(value: float) -> Decimal:
    return Decimal(f"{value:.6f}")


# --- the TPS rows ------------------------------------------------------------------------


def generate_tps_rows(seed: int = DEFAULT_SEED, *, data_dir: Path = WILAYAH_DIR) -> list[dict]:
    """The 1,188 TPS of Kota Malang as plain dicts keyed by ``Tps`` field names
    (``kelurahan_id``, ``kecamatan_id``, ``kabkota_id``, ``number``, ``address``, ``rt``,
    ``rw``, ``latitude``, ``longitude``, ``dpt_men``, ``dpt_women``, ``special_location``,
    ``special_location_note``, ``accessible``, ``notes``), ordered by kelurahan and number.
    The same seed always gives the same rows."""
    rng = random.Random(seed)
    kelurahan = malang_kelurahan(data_dir)
    by_kecamatan: dict[str, list[KelurahanInfo]] = {}
    for kel in kelurahan:
        by_kecamatan.setdefault(kel.kecamatan_code, []).append(kel)
    if sorted(by_kecamatan) != [plan.code for plan in KECAMATAN_PLANS]:
        raise ValueError("the kecamatan of Kota Malang in the wilayah list do not match the plan")

    special_by_kecamatan: dict[str, list[SpecialTps]] = {}
    for special in SPECIAL_TPS:
        special_by_kecamatan.setdefault(special.kelurahan_id.rsplit(".", 1)[0], []).append(special)

    special_men = sum(s.dpt_men for s in SPECIAL_TPS)
    special_women = sum(s.dpt_women for s in SPECIAL_TPS)
    regular_totals = [plan.dpt - sum(s.dpt_men + s.dpt_women
                                     for s in special_by_kecamatan.get(plan.code, []))
                      for plan in KECAMATAN_PLANS]
    # Men per kecamatan among the ordinary TPS: proportional, with a little local variation.
    men_per_kecamatan = apportion(
        DPT_MEN - special_men,
        [total * rng.uniform(0.99, 1.01) for total in regular_totals],
    )
    if sum(regular_totals) - sum(men_per_kecamatan) != DPT_WOMEN - special_women:
        raise AssertionError("calibration does not add up")

    rows: list[dict] = []
    for plan, regular_dpt, regular_men in zip(KECAMATAN_PLANS, regular_totals, men_per_kecamatan,
                                              strict=True):
        kels = by_kecamatan[plan.code]
        specials = special_by_kecamatan.get(plan.code, [])
        regular_tps = plan.tps - len(specials)

        # TPS per kelurahan (every kelurahan has at least a few), then voters per TPS.
        per_kel = apportion(regular_tps, [rng.uniform(0.55, 1.6) for _ in kels], minimum=4)
        initial = [rng.randint(220, 420) if rng.random() < 0.04
                   else int(rng.triangular(470, 600, 590)) for _ in range(regular_tps)]
        totals = fit_sum(initial, regular_dpt, [MIN_REGULAR_TPS_VOTERS] * regular_tps,
                         [MAX_VOTERS_PER_TPS] * regular_tps, rng)
        share = regular_men / regular_dpt
        men = fit_sum([round(t * share * rng.uniform(0.95, 1.05)) for t in totals], regular_men,
                      [math.ceil(t * 0.42) for t in totals], [math.floor(t * 0.56) for t in totals],
                      rng)

        index = 0
        # Kelurahan centres on a sunflower spiral inside the kecamatan, so they never overlap
        # and the map's approximate kelurahan areas (drawn from the TPS points) are contiguous.
        spacing = plan.radius * math.sqrt(math.pi / len(kels))
        for position, (kel, count) in enumerate(zip(kels, per_kel, strict=True)):
            rng.uniform(0, 2 * math.pi), rng.random()  # keep the draws: the rest stays the same
            distance = plan.radius * math.sqrt((position + 0.5) / len(kels))
            angle = position * _GOLDEN_ANGLE
            centre = (plan.centre[0] + distance * math.sin(angle),
                      plan.centre[1] + distance * math.cos(angle))
            streets = rng.sample(plan.streets, 4)
            rw_count = max(3, round(count * rng.uniform(0.45, 0.8)))
            kecamatan_id, kabkota_id = kel.kecamatan_code, plan.code.rsplit(".", 1)[0]
            for number in range(1, count + 1):
                rw = 1 + (number - 1) * rw_count // count
                rt = rng.randint(1, 12)
                venue = rng.choice(_VENUES).format(rw=f"{rw:02d}", rt=f"{rt:02d}", kel=kel.name,
                                                   n=rng.randint(1, 5))
                street = streets[(rw - 1) % len(streets)]
                rows.append({
                    "kelurahan_id": kel.code,
                    "kecamatan_id": kecamatan_id,
                    "kabkota_id": kabkota_id,
                    "number": number,
                    "address": f"{venue}, Jl. {street} No. {rng.randint(1, 180)}",
                    "rt": f"{rt:03d}",
                    "rw": f"{rw:03d}",
                    **_around(centre, rng.uniform(-1, 1), rng.uniform(-1, 1), 0.35 * spacing),
                    "dpt_men": men[index],
                    "dpt_women": totals[index] - men[index],
                    "special_location": "",
                    "special_location_note": "",
                    "accessible": rng.random() > 0.05,
                    "notes": "",
                })
                index += 1
            for special in (s for s in specials if s.kelurahan_id == kel.code):
                rows.append({
                    "kelurahan_id": kel.code,
                    "kecamatan_id": kecamatan_id,
                    "kabkota_id": kabkota_id,
                    "number": special.number,
                    "address": special.address,
                    "rt": "",
                    "rw": "",
                    "latitude": _coordinate(centre[0] + rng.uniform(-0.0003, 0.0003)),
                    "longitude": _coordinate(centre[1] + rng.uniform(-0.0003, 0.0003)),
                    "dpt_men": special.dpt_men,
                    "dpt_women": special.dpt_women,
                    "special_location": "lapas",
                    "special_location_note": special.note,
                    "accessible": True,
                    "notes": "",
                })
        if index != regular_tps:
            raise AssertionError("TPS allocation does not add up")
    return rows


# --- the rest of the demo ------------------------------------------------------------------

CONTESTS = (
    {
        "name": "Wali Kota Malang",
        "level": "walikota",
        "kabkota": KABKOTA_CODE,
        "ballot_colour": "hijau tosca",
        # Supporting parties as reported at registration, 27-29 Aug 2024 (Koalisi Malang Mbois:
        # malangvoice, detik, viva; Heri-Ganis: suryamalang, sudutkota; Anton-Dimyati: viva).
        "pairs": (
            ("Wahyu Hidayat", "Ali Muthohirin",
             "Gerindra, PSI, PKS, Golkar, NasDem, Perindo, PPP, Gelora, Hanura, PKN, Garuda, PBB, "
             "Partai Buruh"),
            ("Heri Cahyono", "Ganis Rumpoko", "PDI Perjuangan"),
            ("M. Anton", "Dimyati Ayatulloh", "PKB, Demokrat, PAN, Partai Ummat"),
        ),
    },
    {
        "name": "Gubernur Jawa Timur",
        "level": "gubernur",
        "kabkota": None,
        "ballot_colour": "merah marun",
        # Registration reports, 28-29 Aug 2024 (tribunnews, kompas, tempo).
        "pairs": (
            ("Luluk Nur Hamidah", "Lukmanul Khakim", "PKB"),
            ("Khofifah Indar Parawansa", "Emil Elestianto Dardak",
             "Gerindra, Golkar, Demokrat, PAN, PKS, PSI, PPP, NasDem, Perindo, Gelora, "
             "Partai Buruh, PBB, PKN, Garuda, Prima"),
            ("Tri Rismaharini", "Zahrul Azhar Asumta", "PDI Perjuangan, Hanura"),
        ),
    },
)

AGENCIES = (
    # (name, short name, kind)
    ("Sekretariat Daerah", "Setda", "perangkat_daerah"),
    ("Badan Kesatuan Bangsa dan Politik", "Bakesbangpol", "perangkat_daerah"),
    ("Bagian Pemerintahan", "Bag. Pemerintahan", "perangkat_daerah"),
    ("Dinas Kesehatan", "Dinkes", "perangkat_daerah"),
    ("Dinas Perhubungan", "Dishub", "perangkat_daerah"),
    ("Satuan Polisi Pamong Praja", "Satpol PP", "perangkat_daerah"),
    ("Badan Penanggulangan Bencana Daerah", "BPBD", "perangkat_daerah"),
    ("Dinas Komunikasi dan Informatika", "Diskominfo", "perangkat_daerah"),
    ("Dinas Kependudukan dan Pencatatan Sipil", "Dispendukcapil", "perangkat_daerah"),
    ("KPU Kota Malang", "KPU", "mitra"),
    ("Bawaslu Kota Malang", "Bawaslu", "mitra"),
    ("Polresta Malang Kota", "Polresta", "mitra"),
    ("Kodim 0833/Kota Malang", "Kodim 0833", "mitra"),
    ("Kejaksaan Negeri Kota Malang", "Kejari", "mitra"),
)

USERS = (
    # (username, role, kecamatan, kelurahan, agency name, first name, last name)
    ("admin", "admin", None, None, None, "Admin", "Desk Pilkada"),
    ("camat.klojen", "kecamatan", "35.73.02", None, None, "Camat", "Klojen"),
    ("lurah.kauman", "kelurahan", None, "35.73.02.1007", None, "Lurah", "Kauman"),
    ("lurah.jodipan", "kelurahan", None, "35.73.01.1011", None, "Lurah", "Jodipan"),
    ("dinkes", "agency", None, None, "Dinas Kesehatan", "Operator", "Dinkes"),
    ("bawaslu", "pemantau", None, None, None, "Pemantau", "Bawaslu"),
)

TPS_FIELDS = ("kecamatan_id", "kabkota_id", "address", "rt", "rw", "latitude", "longitude",
              "dpt_men", "dpt_women", "special_location", "special_location_note", "accessible",
              "notes")


@dataclass
class DemoResult:
    election_id: int = 0
    tps_created: int = 0
    tps_reset: int = 0
    tps_removed: int = 0
    tps_kept_extra: int = 0  # extra TPS other modules' rows still point at
    other_changes: int = 0  # election, contests, pairs, agencies, users created or changed
    tps: int = 0
    lokasi_khusus: int = 0
    dpt_men: int = 0
    dpt_women: int = 0
    kecamatan: int = 0
    kelurahan: int = 0
    users: list = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.tps_created or self.tps_reset or self.tps_removed or self.other_changes)

    @property
    def dpt_total(self) -> int:
        return self.dpt_men + self.dpt_women


def _save_if_changed(obj, values: dict) -> int:
    """Set ``values`` on ``obj`` and save it when it is new or something differs; 1 if saved."""
    changed = obj.pk is None or any(getattr(obj, k) != v for k, v in values.items())
    for key, value in values.items():
        setattr(obj, key, value)
    if changed:
        obj.save()
    return int(changed)


def _set_pemda(stdout) -> int:
    from posko.regions.models import Pemda

    Pemda.clear_cache()
    pemda = Pemda.current()
    if pemda and pemda.kabkota_id == KABKOTA_CODE and pemda.name == PEMDA_NAME:
        return 0
    call_command("set_pemda", KABKOTA_CODE, name=PEMDA_NAME, stdout=stdout)
    return 1


def _election(result: DemoResult):
    from posko.elections.models import CandidatePair, Contest, Election

    election = Election.objects.filter(name=ELECTION_NAME, voting_date=VOTING_DATE).first()
    others = Election.objects.filter(is_active=True)
    if election is not None:
        others = others.exclude(pk=election.pk)
    result.other_changes += others.update(is_active=False)
    election = election or Election(name=ELECTION_NAME, voting_date=VOTING_DATE)
    result.other_changes += _save_if_changed(election, {
        "max_voters_per_tps": MAX_VOTERS_PER_TPS,
        "ballot_reserve_percent": BALLOT_RESERVE_PERCENT,
        "is_active": True,
    })
    for spec in CONTESTS:
        contest = Contest.objects.filter(election=election, name=spec["name"]).first()
        contest = contest or Contest(election=election, name=spec["name"])
        result.other_changes += _save_if_changed(contest, {
            "level": spec["level"], "provinsi_id": PROVINSI_CODE, "kabkota_id": spec["kabkota"],
            "ballot_colour": spec["ballot_colour"],
        })
        numbers = []
        for number, (head, deputy, parties) in enumerate(spec["pairs"], start=1):
            pair = CandidatePair.objects.filter(contest=contest, ballot_number=number).first()
            pair = pair or CandidatePair(contest=contest, ballot_number=number)
            result.other_changes += _save_if_changed(pair, {
                "head_name": head, "deputy_name": deputy, "parties": parties})
            numbers.append(number)
        removed, _ = CandidatePair.objects.filter(contest=contest).exclude(
            ballot_number__in=numbers).delete()
        result.other_changes += removed
    return election


# PKPU 2/2024 main stages (shared/domain/README.md).
_D = datetime.date
STAGES = (
    ("Pembentukan PPK, PPS dan KPPS", _D(2024, 4, 17), _D(2024, 11, 5)),
    ("Pemutakhiran data pemilih (coklit 24 Jun – 24 Jul)", _D(2024, 5, 31), _D(2024, 9, 23)),
    ("Pendaftaran pasangan calon", _D(2024, 8, 27), _D(2024, 8, 29)),
    ("Penetapan pasangan calon", _D(2024, 9, 22), _D(2024, 9, 22)),
    ("Pengundian nomor urut", _D(2024, 9, 23), _D(2024, 9, 23)),
    ("Kampanye", _D(2024, 9, 25), _D(2024, 11, 23)),
    ("Masa tenang", _D(2024, 11, 24), _D(2024, 11, 26)),
    ("Pemungutan dan penghitungan suara (TPS 07.00–13.00)", _D(2024, 11, 27), _D(2024, 11, 27)),
    ("Rekapitulasi tingkat kecamatan", _D(2024, 11, 28), _D(2024, 12, 3)),
    ("Rekapitulasi tingkat kota", _D(2024, 11, 29), _D(2024, 12, 6)),
    ("Rekapitulasi tingkat provinsi", _D(2024, 11, 30), _D(2024, 12, 9)),
    ("Penetapan hasil", _D(2024, 12, 15), _D(2024, 12, 15)),
)


def _stages(result: DemoResult, election) -> None:
    from posko.elections.models import Stage

    names = []
    for name, start, end in STAGES:
        stage = Stage.objects.filter(election=election, name=name).first() or Stage(
            election=election, name=name)
        result.other_changes += _save_if_changed(stage, {"start_date": start, "end_date": end})
        names.append(name)
    removed, _ = Stage.objects.filter(election=election).exclude(name__in=names).delete()
    result.other_changes += removed


def _agencies(result: DemoResult) -> dict:
    from posko.accounts.models import Agency

    agencies = {}
    for name, short_name, kind in AGENCIES:
        agency = Agency.objects.filter(name=name).first() or Agency(name=name)
        result.other_changes += _save_if_changed(agency, {"short_name": short_name, "kind": kind})
        agencies[name] = agency
    return agencies


def _users(result: DemoResult, agencies: dict) -> list:
    from django.contrib.auth.hashers import check_password, make_password

    from posko.accounts.models import User

    users = []
    verified: dict[str, bool] = {}  # password hash -> is the demo password
    shared_hash = ""
    for username, role, kecamatan, kelurahan, agency, first_name, last_name in USERS:
        values = {
            "role": role,
            # What User.save() keeps for the role: a kelurahan operator also carries its kecamatan.
            "kecamatan_id": kelurahan.rsplit(".", 1)[0] if kelurahan else kecamatan,
            "kelurahan_id": kelurahan,
            "agency_id": agencies[agency].pk if agency else None,
            "first_name": first_name,
            "last_name": last_name,
            "is_active": True,
            "is_staff": role == "admin",
            "is_superuser": False,
        }
        user = User.objects.filter(username=username).first()
        changed = user is None or any(getattr(user, k) != v for k, v in values.items())
        user = user or User(username=username)
        for key, value in values.items():
            setattr(user, key, value)
        if user.password not in verified:
            verified[user.password] = check_password(DEMO_PASSWORD, user.password)
        if not verified[user.password]:
            # One hash shared by every demo user: hashing is slow on purpose.
            user.password = shared_hash = shared_hash or make_password(DEMO_PASSWORD)
            verified[shared_hash] = True
            changed = True
        user.clean()
        if changed:
            user.save()
            result.other_changes += 1
        users.append(user)
    return users


def _sync_tps(result: DemoResult, election, rows: list[dict]) -> None:
    """Make the election's TPS exactly ``rows``: create what is missing, reset what was
    changed, delete what is extra. TPS keep their ids, so other modules' rows that point
    at them survive a rebuild."""
    from posko.elections.models import Tps, place_codes

    existing = {(tps.kelurahan_id, tps.number): tps
                for tps in Tps.objects.filter(election=election)}
    to_create, to_update = [], []
    now = timezone.now()
    for row in rows:
        current = existing.pop((row["kelurahan_id"], row["number"]), None)
        if current is None:
            tps = Tps(election=election, **row)
            # bulk_create skips save(), which is where set_place() runs.
            tps.kecamatan_id, tps.kabkota_id = place_codes(tps.kelurahan_id)
            to_create.append(tps)
        elif any(getattr(current, name) != row[name] for name in TPS_FIELDS):
            for name in TPS_FIELDS:
                setattr(current, name, row[name])
            current.updated_at = now
            to_update.append(current)
    if to_create:
        Tps.objects.bulk_create(to_create, batch_size=500)
    if to_update:
        Tps.objects.bulk_update(to_update, [*TPS_FIELDS, "updated_at"], batch_size=500)
    for extra in existing.values():
        try:
            with transaction.atomic():
                extra.delete()
            result.tps_removed += 1
        except ProtectedError:
            result.tps_kept_extra += 1
    result.tps_created, result.tps_reset = len(to_create), len(to_update)


@transaction.atomic
def build_demo(stdout=None, *, seed: int = DEFAULT_SEED) -> DemoResult:
    """Load Kota Malang and build the demo election, agencies, users and TPS.

    Idempotent: a second run changes nothing and writes no audit entry; a run after
    someone edited the demo resets it (TPS keep their ids). The database must be migrated.
    """
    from posko.core import audit
    from posko.elections.models import Tps
    from posko.regions.importer import import_wilayah
    from posko.regions.models import Kecamatan, Kelurahan

    result = DemoResult()
    wilayah = import_wilayah(only=KABKOTA_CODE)
    result.other_changes += wilayah.changed
    result.other_changes += _set_pemda(stdout)
    election = _election(result)
    result.election_id = election.pk
    _stages(result, election)
    agencies = _agencies(result)
    result.users = _users(result, agencies)
    _sync_tps(result, election, generate_tps_rows(seed))
    from posko.demo.coordination import build_coordination

    build_coordination(result)
    from posko.demo.logistics import build_logistics

    build_logistics(result)
    # Workers, incidents and outreach before vulnerability: it derives indicators from them.
    from posko.demo.workers import build_workers

    build_workers(result)
    from posko.demo.incidents import build_incidents

    build_incidents(result)
    from posko.demo.outreach import build_outreach

    build_outreach(result)
    from posko.demo.vulnerability import build_vulnerability

    build_vulnerability(result)

    tps = Tps.objects.filter(election=election)
    sums = tps.aggregate(men=Sum("dpt_men"), women=Sum("dpt_women"))
    result.tps = tps.count()
    result.lokasi_khusus = tps.exclude(special_location="").count()
    result.dpt_men, result.dpt_women = sums["men"] or 0, sums["women"] or 0
    result.kecamatan = Kecamatan.objects.filter(kabkota_id=KABKOTA_CODE).count()
    result.kelurahan = Kelurahan.objects.filter(kecamatan__kabkota_id=KABKOTA_CODE).count()
    if result.changed:
        audit.record(
            "import", election,
            message=(f"demo data (seed {seed}): {result.tps_created} TPS created, "
                     f"{result.tps_reset} reset, {result.tps_removed} removed; "
                     f"{result.other_changes} other rows created or changed; "
                     f"{result.tps} TPS, DPT {result.dpt_total}"),
        )
    return result
