"""The Kota Malang demo: Pilkada Serentak 2024 as the Pemkot saw it (``posko demo``).

:func:`build_demo` loads the wilayah and the Pemda, writes the election, its contests and
stages, the agencies, one user per role and the TPS of :mod:`posko.demo.places`, then runs
the other modules' demos (coordination, logistics, workers, incidents, outreach, voting,
vulnerability) for one moment, ``as_of`` (default: H-1 morning; :mod:`posko.demo.timeline`):
what happens later in the generated timeline does not exist yet. Idempotent and
deterministic: the same rows on every run and machine for the same moment.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.hashers import check_password, make_password
from django.core.management import call_command
from django.db import transaction
from django.db.models import ProtectedError, Sum

from posko.accounts.models import Agency, User
from posko.core import audit, clock
from posko.demo.coordination import build_coordination
from posko.demo.incidents import build_incidents
from posko.demo.logistics import build_logistics
from posko.demo.outreach import build_outreach
from posko.demo.places import DEFAULT_SEED, KABKOTA_CODE, MAX_VOTERS_PER_TPS, generate_tps_rows
from posko.demo.readiness import build_readiness
from posko.demo.saving import save_if_changed
from posko.demo.timeline import DEFAULT_AS_OF, forget_after_change, remember
from posko.demo.voting import build_voting
from posko.demo.vulnerability import build_vulnerability
from posko.demo.workers import build_workers
from posko.elections.models import CandidatePair, Contest, Election, Stage, Tps, place_codes
from posko.regions.importer import import_wilayah
from posko.regions.models import Kecamatan, Kelurahan, Pemda

DEMO_PASSWORD = "posko-demo-2024"

PROVINSI_CODE = "35"
PEMDA_NAME = "Pemerintah Kota Malang"

ELECTION_NAME = "Pilkada Serentak 2024"
VOTING_DATE = datetime.date(2024, 11, 27)
BALLOT_RESERVE_PERCENT = Decimal("2.5")

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
    as_of: datetime.datetime = DEFAULT_AS_OF  # the moment the demo's data is built for

    @property
    def changed(self) -> bool:
        return bool(self.tps_created or self.tps_reset or self.tps_removed or self.other_changes)

    @property
    def dpt_total(self) -> int:
        return self.dpt_men + self.dpt_women


def _set_pemda(stdout) -> int:
    Pemda.clear_cache()
    pemda = Pemda.current()
    if pemda and pemda.kabkota_id == KABKOTA_CODE and pemda.name == PEMDA_NAME:
        return 0
    call_command("set_pemda", KABKOTA_CODE, name=PEMDA_NAME, stdout=stdout)
    return 1


def _election(result: DemoResult):
    election = Election.objects.filter(name=ELECTION_NAME, voting_date=VOTING_DATE).first()
    others = Election.objects.filter(is_active=True)
    if election is not None:
        others = others.exclude(pk=election.pk)
    result.other_changes += others.update(is_active=False)
    election = election or Election(name=ELECTION_NAME, voting_date=VOTING_DATE)
    result.other_changes += save_if_changed(election, {
        "max_voters_per_tps": MAX_VOTERS_PER_TPS,
        "ballot_reserve_percent": BALLOT_RESERVE_PERCENT,
        "is_active": True,
    })
    for spec in CONTESTS:
        contest = Contest.objects.filter(election=election, name=spec["name"]).first()
        contest = contest or Contest(election=election, name=spec["name"])
        result.other_changes += save_if_changed(contest, {
            "level": spec["level"], "provinsi_id": PROVINSI_CODE, "kabkota_id": spec["kabkota"],
            "ballot_colour": spec["ballot_colour"],
        })
        numbers = []
        for number, (head, deputy, parties) in enumerate(spec["pairs"], start=1):
            pair = CandidatePair.objects.filter(contest=contest, ballot_number=number).first()
            pair = pair or CandidatePair(contest=contest, ballot_number=number)
            result.other_changes += save_if_changed(pair, {
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
    names = []
    for name, start, end in STAGES:
        stage = Stage.objects.filter(election=election, name=name).first() or Stage(
            election=election, name=name)
        result.other_changes += save_if_changed(stage, {"start_date": start, "end_date": end})
        names.append(name)
    removed, _ = Stage.objects.filter(election=election).exclude(name__in=names).delete()
    result.other_changes += removed


def _agencies(result: DemoResult) -> dict:
    agencies = {}
    for name, short_name, kind in AGENCIES:
        agency = Agency.objects.filter(name=name).first() or Agency(name=name)
        result.other_changes += save_if_changed(agency, {"short_name": short_name, "kind": kind})
        agencies[name] = agency
    return agencies


def _users(result: DemoResult, agencies: dict) -> list:
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
    existing = {(tps.kelurahan_id, tps.number): tps
                for tps in Tps.objects.filter(election=election)}
    to_create, to_update = [], []
    now = clock.now()
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
def build_demo(stdout=None, *, seed: int = DEFAULT_SEED,
               as_of: datetime.datetime = DEFAULT_AS_OF) -> DemoResult:
    """Load Kota Malang and build the demo election, agencies, users and TPS, and the
    modules' rows that exist by ``as_of`` (aware).

    Idempotent: a second run for the same moment changes nothing and writes no audit
    entry; a run after someone edited the demo resets it (TPS keep their ids); a run for
    another moment rebuilds the time-dependent rows for it (``timeline``). The database
    must be migrated. The clock is not touched (``posko demo`` sets it).
    """
    result = DemoResult(as_of=as_of)
    wilayah = import_wilayah(only=KABKOTA_CODE)
    result.other_changes += wilayah.changed
    result.other_changes += _set_pemda(stdout)
    election = _election(result)
    result.election_id = election.pk
    _stages(result, election)
    agencies = _agencies(result)
    result.users = _users(result, agencies)
    _sync_tps(result, election, generate_tps_rows(seed))
    result.other_changes += forget_after_change(election, as_of)
    build_coordination(result)
    build_logistics(result)
    # Workers, incidents and outreach before vulnerability: it derives indicators from them.
    build_workers(result)
    build_incidents(result)
    build_outreach(result)
    build_voting(result)
    build_vulnerability(result)
    build_readiness(result)  # after every module: the index and its past week
    result.other_changes += remember(as_of)

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
            message=(f"demo data (seed {seed}, as of {as_of.isoformat()}): "
                     f"{result.tps_created} TPS created, "
                     f"{result.tps_reset} reset, {result.tps_removed} removed; "
                     f"{result.other_changes} other rows created or changed; "
                     f"{result.tps} TPS, DPT {result.dpt_total}"),
        )
    return result
