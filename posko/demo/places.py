"""The places and TPS of the Kota Malang demo: Pilkada Serentak 2024 as the Pemkot saw it.

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

Needs no database: :func:`generate_tps_rows` returns plain dicts (model field names),
reused by :mod:`posko.demo.data` (which writes them), the tests and the benchmarks.
"""

from __future__ import annotations

import csv
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from posko.regions.importer import DATA_DIR as WILAYAH_DIR

DEFAULT_SEED = 35_73_2024
KABKOTA_CODE = "35.73"
MAX_VOTERS_PER_TPS = 600

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
# Kelas IIA, not II: the name the Pemkot uses (malangkota.go.id/?p=48898, 24 Apr 2024) and the
# lapas's own heads quoted in 2024-2025 press.
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
