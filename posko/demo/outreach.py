"""Demo data of the outreach module (Kota Malang).

* Outreach Sep–Nov 2024 (2 Sep – 26 Nov) by lurah, camat, Pemda agencies (Bakesbangpol,
  Diskominfo, Dispendukcapil) and KPU/Bawaslu Kota Malang (partners, free text) across
  the 57 kelurahan: face-to-face meetings, door-to-door, schools and campuses, religious
  gatherings, community events; a few cancelled; Pemda-wide media/online campaigns
  (radio, Instagram, videotron) counted apart.
* Seven kelurahan are deliberately under-covered (``UNDER_COVERED``); with their lower
  historical turnout they form the early-warning list.
* Target 83 % (KPU Kota Malang), low-coverage threshold 100 per 1,000 voters.
* **Generated** historical turnout per kelurahan for "Pilkada 2018" (around 58–68 %) and
  "Pemilu 2024" (around 76–89 %). These are not official figures.
* **Generated** voting-day turnout per TPS for the whole city (27 Nov 2024), about 70 %
  overall, never above DPT + DPTb + DPK of the TPS. Not the official result.

The demo's moment (``result.as_of``, :mod:`posko.demo.timeline`): activities after it do
not exist yet; the turnout exists from 14.00 on voting day (after the TPS closed) and only
at TPS that received their ballots.

Everything comes from a seeded random generator, so every run builds the same rows. Rows
are created once where missing (activities when the election has none, history per
label, turnout per TPS without one) and then left as users change them, so a second run
changes nothing and counts nothing in ``result.other_changes``. Bulk writes throughout.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Sum

from posko.accounts.models import Agency
from posko.demo.timeline import as_of_of, tps_with_ballots
from posko.elections.models import Election, Tps, place_codes
from posko.outreach.models import (
    Activity,
    HistoricalTurnout,
    OutreachSettings,
    TargetGroup,
    TpsTurnout,
)
from posko.outreach.rules import organiser_key
from posko.outreach.services.targets import ensure_default_groups
from posko.regions.models import Kelurahan

WIB = ZoneInfo("Asia/Jakarta")
SEED = 2024_11_27
START = datetime.date(2024, 9, 2)
END = datetime.date(2024, 11, 26)
TURNOUT_KNOWN = datetime.datetime(2024, 11, 27, 14, 0, tzinfo=WIB)  # after the TPS closed
# Kelurahan reached rarely (the early-warning list): Wonokoyo, Madyopuro, Tlogowaru
# (Kedungkandang), Karangbesuki (Sukun), Ketawanggede (Lowokwaru), Polowijen (Blimbing),
# Penanggungan (Klojen).
UNDER_COVERED = ("35.73.03.1004", "35.73.03.1012", "35.73.03.1009", "35.73.04.1009",
                 "35.73.05.1006", "35.73.01.1003", "35.73.02.1011")

KINDS = {  # kind: (weight, attendance range, typical groups)
    Activity.Kind.TATAP_MUKA: (30, (35, 160), ("masyarakat-umum", "perempuan", "lansia")),
    Activity.Kind.DOOR_TO_DOOR: (15, (25, 90), ("lansia", "disabilitas", "perempuan")),
    Activity.Kind.SEKOLAH: (18, (90, 420), ("pemilih-pemula", "perantau")),
    Activity.Kind.KEAGAMAAN: (17, (60, 320), ("masyarakat-umum", "perempuan")),
    Activity.Kind.ACARA_WARGA: (15, (80, 450), ("masyarakat-umum", "pemilih-pemula", "lansia")),
    Activity.Kind.LAINNYA: (5, (20, 120), ("perantau", "disabilitas")),
}
TITLES = {
    Activity.Kind.TATAP_MUKA: "Sosialisasi tahapan Pilkada di balai RW {rw}",
    Activity.Kind.DOOR_TO_DOOR: "Sosialisasi pintu ke pintu RW {rw}",
    Activity.Kind.SEKOLAH: "Sosialisasi pemilih pemula di {school}",
    Activity.Kind.KEAGAMAAN: "Sosialisasi di pengajian/majelis taklim RW {rw}",
    Activity.Kind.ACARA_WARGA: "Sosialisasi pada kegiatan warga (senam/posyandu) RW {rw}",
    Activity.Kind.LAINNYA: "Sosialisasi di paguyuban perantau RW {rw}",
}
SCHOOLS = ("SMAN 1", "SMAN 3", "SMAN 5", "SMKN 2", "SMKN 4", "MAN 2", "SMA Katolik St. Albertus",
           "Universitas Brawijaya", "Universitas Negeri Malang", "UIN Maulana Malik Ibrahim",
           "Politeknik Negeri Malang", "Universitas Muhammadiyah Malang")
MATERIALS = ("Tahapan Pilkada 2024, cara mencoblos, cek DPT online (cekdptonline.kpu.go.id)",
             "Hari pemungutan 27 November 2024, TPS buka 07.00–13.00, bawa KTP-el/undangan",
             "Tolak politik uang, netralitas ASN, hak pilih penyandang disabilitas")
MEDIA = (  # (organiser kind, agency short name or partner, title, reach)
    ("agency", "Diskominfo", "Kampanye Instagram & TikTok #AyoMemilihMalang", 61500),
    ("agency", "Diskominfo", "Siaran radio RRI Malang: Pilkada damai", 18000),
    ("agency", "Diskominfo", "Videotron alun-alun: ajakan memilih 27 November", 42000),
    ("partner", "KPU Kota Malang", "Live streaming debat publik paslon Wali Kota", 35500),
    ("partner", "KPU Kota Malang", "Siaran Malang TV: cara mencoblos", 22000),
    ("partner", "Bawaslu Kota Malang", "Webinar pengawasan partisipatif", 900),
    ("agency", "Bakesbangpol", "Podcast Pemkot: pemilih cerdas", 7400),
)


def _moment(rng: random.Random, day: datetime.date) -> datetime.datetime:
    hour = rng.choice((8, 9, 10, 13, 14, 15, 16, 19, 19, 20))
    return datetime.datetime(day.year, day.month, day.day, hour, rng.choice((0, 30)), tzinfo=WIB)


def _day(rng: random.Random) -> datetime.date:
    # more activity as voting day approaches
    span = (END - START).days
    offset = int(span * (rng.random() ** 0.7))
    return START + datetime.timedelta(days=offset)


def _activities(election, users, agencies, groups, dpt_by_kel, as_of) -> int:
    if Activity.objects.filter(election=election).exists():
        return 0
    rng = random.Random(SEED)
    admin = users.get("admin")
    kelurahan = list(Kelurahan.objects.filter(code__in=list(dpt_by_kel)).order_by("code"))
    lurah_of = {u.kelurahan_id: u for u in users.values() if u.kelurahan_id}
    camat_of = {u.kecamatan_id: u for u in users.values()
                if u.role == "kecamatan" and u.kecamatan_id}
    kinds = list(KINDS)
    weights = [KINDS[k][0] for k in kinds]
    rows, seen, links = [], set(), []
    for kel in kelurahan:
        kec, kab = place_codes(kel.code)
        under = kel.code in UNDER_COVERED
        # roughly 1,000–2,800 people per kelurahan of ~11,600 voters; the under-covered few
        goal = dpt_by_kel[kel.code] * (rng.uniform(0.010, 0.030) if under
                                       else rng.uniform(0.095, 0.24))
        reached = 0
        while reached < goal:
            kind = rng.choices(kinds, weights)[0]
            low, high = KINDS[kind][1]
            day = _day(rng)
            organiser = rng.choices(("kelurahan", "kecamatan", "agency", "partner"),
                                    (50, 20, 15, 15))[0]
            agency = partner = None
            if organiser == "agency":
                agency = agencies[rng.choice(("Bakesbangpol", "Dispendukcapil", "Diskominfo"))]
            elif organiser == "partner":
                partner = rng.choice(("KPU Kota Malang", "KPU Kota Malang", "Bawaslu Kota Malang",
                                      "PPK " + kel.kecamatan.name))
            starts = _moment(rng, day)
            activity = Activity(
                election=election, organiser_kind=organiser, agency=agency,
                partner_name=partner or "", kind=kind, starts_at=starts, kabkota_id=kab,
                kecamatan_id=kec, kelurahan_id=kel.code, rw=f"{rng.randint(1, 12):02d}",
                title=TITLES[kind].format(rw=f"{rng.randint(1, 12):02d}",
                                          school=rng.choice(SCHOOLS)),
                venue="", materials=rng.choice(MATERIALS), status=Activity.Status.HELD)
            activity.organiser_key = organiser_key(activity)
            key = (activity.organiser_key, kel.code, starts)
            if key in seen:
                continue
            seen.add(key)
            expected = rng.randint(low, high)
            if rng.random() < 0.05:
                activity.status = Activity.Status.CANCELLED
                activity.cancel_reason = rng.choice(("Hujan deras", "Bentrok dengan kerja bakti",
                                                     "Narasumber berhalangan"))
                activity.expected_attendance = expected
            else:
                attendance = max(5, int(expected * rng.uniform(0.75, 1.1)))
                women = int(attendance * rng.uniform(0.42, 0.62))
                activity.attendance = attendance
                if rng.random() < 0.7:
                    activity.attendance_women, activity.attendance_men = women, attendance - women
                activity.expected_attendance = expected
                reached += attendance
            activity.created_by = (lurah_of.get(kel.code) if organiser == "kelurahan" else
                                   camat_of.get(kec) if organiser == "kecamatan" else None) or admin
            typical = KINDS[kind][2]
            chosen = {rng.choice(typical)}
            if rng.random() < 0.4:
                chosen.add(rng.choice(typical))
            if starts <= as_of:
                rows.append(activity)
                links.append(chosen)
    for organiser, name, title, reach in MEDIA:
        day = _day(rng)
        activity = Activity(
            election=election, organiser_kind=organiser,
            agency=agencies[name] if organiser == "agency" else None,
            partner_name=name if organiser == "partner" else "", kind=Activity.Kind.MEDIA,
            starts_at=_moment(rng, day), kabkota_id="35.73", title=title,
            status=Activity.Status.HELD, attendance=reach, materials=MATERIALS[0],
            created_by=admin)
        activity.organiser_key = organiser_key(activity)
        if activity.starts_at <= as_of:
            rows.append(activity)
            links.append({"masyarakat-umum", "pemilih-pemula"})
    created = Activity.objects.bulk_create(rows, batch_size=1000)
    through = Activity.target_groups.through
    through.objects.bulk_create([
        through(activity_id=a.pk, targetgroup_id=groups[code])
        for a, codes in zip(created, links, strict=True) for code in sorted(codes)],
        batch_size=2000)
    return len(created)


def _history(dpt_by_kel) -> int:
    changes = 0
    for label, year, factor, (low, high), (under_low, under_high) in (
            ("Pilkada 2018", 2018, Decimal("0.93"), (0.58, 0.68), (0.52, 0.58)),
            ("Pemilu 2024", 2024, Decimal("0.99"), (0.79, 0.89), (0.74, 0.80))):
        if HistoricalTurnout.objects.filter(label=label).exists():
            continue
        rng = random.Random(f"{SEED}-{label}")
        rows = []
        for code in sorted(dpt_by_kel):
            registered = int(dpt_by_kel[code] * factor)
            rate = rng.uniform(under_low, under_high) if code in UNDER_COVERED else \
                rng.uniform(low, high)
            rows.append(HistoricalTurnout(label=label, year=year, kecamatan_id=place_codes(code)[0],
                                          kelurahan_id=code, tps_number=0, registered=registered,
                                          voted=int(registered * rate)))
        HistoricalTurnout.objects.bulk_create(rows)
        changes += len(rows)
    return changes


def _turnout(election, admin, as_of) -> int:
    if as_of < TURNOUT_KNOWN:
        return 0
    ready = tps_with_ballots(election, as_of)
    done = set(TpsTurnout.objects.filter(election=election).values_list("tps_id", flat=True))
    rng = random.Random(f"{SEED}-turnout")
    base = {}
    rows = []
    for tps in Tps.objects.filter(election=election).order_by("kelurahan_id", "number"):
        # draw for every TPS (same sequence whatever exists), write only the missing ones
        kel_rate = base.setdefault(tps.kelurahan_id, rng.uniform(0.64, 0.76)
                                   - (0.05 if tps.kelurahan_id in UNDER_COVERED else 0))
        lapas = tps.special_location == Tps.SpecialLocation.LAPAS
        rate = min(0.95, max(0.45, (0.86 if lapas else kel_rate) + rng.uniform(-0.05, 0.05)))
        dpt = tps.dpt_men + tps.dpt_women
        registered_dptb = rng.randint(20, 60) if lapas else rng.choice((0, 0, 1, 2, 3, 5))
        registered_dpk = rng.choice((0, 0, 0, 1, 2, 3))
        voted_dpt = min(dpt, round(dpt * rate))
        voted_dptb = min(registered_dptb, round(registered_dptb * rng.uniform(0.6, 1.0)))
        voted_dpk = registered_dpk  # DPK voters register at the TPS when they vote
        assert voted_dpt + voted_dptb + voted_dpk <= dpt + registered_dptb + registered_dpk
        if tps.pk in done or tps.pk not in ready:
            continue
        rows.append(TpsTurnout.for_tps(tps,
                               registered_dptb=registered_dptb, registered_dpk=registered_dpk,
                               voted_dpt=voted_dpt, voted_dptb=voted_dptb, voted_dpk=voted_dpk,
                               recorded_by=admin))
    TpsTurnout.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def build_outreach(result) -> None:
    """Idempotent: a second run changes nothing."""
    election = Election.objects.get(pk=result.election_id)
    as_of = as_of_of(result)
    users = {u.username: u for u in result.users}
    changes = ensure_default_groups()
    settings, created = OutreachSettings.objects.get_or_create(
        election=election, defaults={"target_percent": Decimal("83.00"),
                                     "low_reach_per_1000": 100})
    changes += created
    groups = dict(TargetGroup.objects.values_list("code", "pk"))
    agencies = {a.short_name: a for a in Agency.objects.filter(
        short_name__in=("Bakesbangpol", "Dispendukcapil", "Diskominfo"))}
    dpt_by_kel = {code: dpt or 0 for code, dpt in Tps.objects.filter(election=election)
                  .values_list("kelurahan_id").annotate(d=Sum("dpt_total")).order_by()}
    if len(agencies) == 3:
        changes += _activities(election, users, agencies, groups, dpt_by_kel, as_of)
    changes += _history(dpt_by_kel)
    changes += _turnout(election, users.get("admin"), as_of)
    result.other_changes += changes
