"""The incidents part of the Kota Malang demo: the situation on the evening of voting day
(Wednesday 27 Nov 2024), with reports from the campaign, the quiet period and voting day.

* Money politics: reports at some of the TPS Bawaslu mapped for money politics
  (``posko.demo.common.bawaslu_tps(election, "politik_uang")``), mostly in the quiet
  period ("serangan fajar"), in every state from *baru* to *selesai*.
* Campaign: props (APK) left up, hate speech monitored on social media, ASN liking and
  sharing a pair's posts, a lurah's staff at a campaign event.
* Voting day: ballots short at a TPS, a scuffle and intimidation of a KPPS, KPPS members
  fainting, a power cut, a flooded TPS, a KPPS chair accused of steering voters.
* Two reports from the public with their tracking codes (LP-WARG-A001, LP-WARG-A002).
* Pledges (pakta integritas) for the Pemda agencies, two missing and one covering too few;
  four ASN neutrality cases, each naming its act of the joint decree's catalogue (SKB 2022,
  seeded for the election) and the kecamatan of the ASN's office.

Every name is generated; every time is fixed in 2024, so every run builds the same rows.
Rows are created once where missing (by tracking code, agency, case act), then left as
users change them: a second run changes nothing.
"""

from __future__ import annotations

import datetime
import random
from zoneinfo import ZoneInfo

from posko.accounts.models import Agency
from posko.demo.common import SEED, bawaslu_tps
from posko.demo.timeline import as_of_of
from posko.elections.models import Election, Stage, Tps
from posko.incidents import services
from posko.incidents.models import (
    Category,
    Comment,
    NeutralityCase,
    Pledge,
    ProhibitedAct,
    Report,
    State,
)

WIB = ZoneInfo("Asia/Jakarta")


def _at(month, day, hh, mm=0) -> datetime.datetime:
    return datetime.datetime(2024, month, day, hh, mm, tzinfo=WIB)


# (code suffix, category, when, place key, title, description, severity, state, source,
#  agency short name, forwarded_to, flags)
# place key: ("money", i) = the i-th Bawaslu money-politics TPS; ("tps", kelurahan, number);
# ("kel", kelurahan); ("kec", kecamatan).
REPORTS = [
    # campaign (25 Sep - 23 Nov)
    ("0001", "apk_kampanye", _at(10, 14, 9), ("kel", "35.73.02.1007"), "APK di pohon Jl. Merdeka",
     "Spanduk paslon dipaku di pohon peneduh sepanjang Jl. Merdeka Barat.", "rendah", "selesai",
     "petugas", "Satpol PP", "", ()),
    ("0002", "sara", _at(10, 21, 20), ("kec", "35.73.05"), "Unggahan bernada SARA di grup warga",
     "Pemantauan media sosial: unggahan yang menyerang agama salah satu calon beredar di grup "
     "warga Lowokwaru.", "tinggi", "diteruskan", "media", "Bawaslu", "bawaslu", ()),
    ("0003", "netralitas_asn", _at(10, 28, 10), ("kel", "35.73.01.1011"),
     "ASN membagikan unggahan paslon", "Seorang staf kelurahan membagikan dan menyukai unggahan "
     "kampanye paslon di akun pribadinya.", "sedang", "diteruskan", "lurah", "Bawaslu", "bawaslu", ()),
    ("0004", "netralitas_asn", _at(11, 5, 16), ("kec", "35.73.03"),
     "ASN hadir di kampanye terbuka", "Dua ASN dinas terlihat mengenakan atribut paslon di "
     "kampanye terbuka lapangan Kedungkandang.", "tinggi", "ditindaklanjuti", "media", "Bawaslu",
     "bawaslu", ()),
    ("0005", "apk_kampanye", _at(11, 12, 8), ("kel", "35.73.04.1005"), "Baliho menutup rambu",
     "Baliho paslon menutupi rambu lalu lintas di simpang Sukun.", "sedang", "selesai", "petugas",
     "Satpol PP", "", ()),
    ("0006", "politik_uang", _at(11, 18, 19), ("money", 0), "Pembagian sembako oleh tim sukses",
     "Warga melaporkan pembagian paket sembako bergambar paslon di dekat TPS.", "tinggi",
     "selesai", "public", "Bawaslu", "bawaslu", ()),
    ("0007", "keamanan", _at(11, 20, 21), ("kel", "35.73.02.1004"), "Keributan antar pendukung",
     "Adu mulut dan saling dorong antar pendukung setelah kampanye dialogis.", "tinggi", "selesai",
     "camat", "Polresta", "polres", ("violence",)),
    # quiet period (24 - 26 Nov)
    ("0008", "apk_kampanye", _at(11, 24, 7), ("kec", "35.73.01"), "APK belum diturunkan",
     "Masa tenang: masih ada 40-an APK di sepanjang Jl. Ahmad Yani.", "sedang", "ditindaklanjuti",
     "petugas", "Satpol PP", "", ()),
    ("0009", "politik_uang", _at(11, 25, 22), ("money", 1), "Serangan fajar: amplop Rp50.000",
     "Amplop berisi uang Rp50.000 dan stiker paslon dibagikan dari rumah ke rumah.", "kritis",
     "diteruskan", "lurah", "Bawaslu", "bawaslu", ()),
    ("0010", "politik_uang", _at(11, 26, 5), ("money", 2), "Pembagian uang menjelang subuh",
     "Dua orang membagikan uang ke warga RT 03 sambil menyebut nomor urut paslon.", "kritis",
     "diverifikasi", "petugas", "Bawaslu", "", ()),
    ("0011", "politik_uang", _at(11, 26, 19), ("money", 3), "Kupon belanja bergambar paslon",
     "Kupon belanja di toko kelontong dibagikan dengan syarat memilih paslon tertentu.", "tinggi",
     "baru", "public", "", "", ()),
    ("0012", "politik_uang", _at(11, 26, 21), ("money", 4), "Amplop di pos ronda",
     "Tim sukses menitipkan amplop di pos ronda untuk dibagikan pagi hari.", "kritis",
     "ditindaklanjuti", "lurah", "Bawaslu", "bawaslu", ()),
    ("0013", "politik_uang", _at(11, 26, 23), ("money", 5), "Laporan amplop tidak terbukti",
     "Isu pembagian amplop; setelah dicek PTPS tidak ditemukan bukti.", "sedang", "ditolak",
     "public", "", "", ()),
    ("0014", "sara", _at(11, 25, 13), ("kel", "35.73.03.1006"), "Selebaran ujaran kebencian",
     "Selebaran tanpa identitas yang menyudutkan suku salah satu calon ditemukan di masjid.",
     "tinggi", "diteruskan", "camat", "Polresta", "polres", ()),
    # voting day (27 Nov)
    ("0015", "logistik", _at(11, 27, 7, 10), ("tps", "35.73.02.1007", 4), "Surat suara kurang",
     "Surat suara wali kota kurang 12 lembar dari DPT + 2,5%.", "tinggi", "selesai", "petugas",
     "KPU", "kpu", ()),
    ("0016", "logistik", _at(11, 27, 6, 50), ("tps", "35.73.05.1003", 2), "Tinta tidak ada",
     "Botol tinta tidak ada di kotak logistik TPS.", "tinggi", "ditindaklanjuti", "petugas", "KPU",
     "kpu", ()),
    ("0017", "keamanan", _at(11, 27, 9, 30), ("tps", "35.73.03.1010", 5),
     "KPPS diintimidasi saksi", "Seorang saksi membentak dan mengancam ketua KPPS saat pemungutan.",
     "kritis", "ditindaklanjuti", "petugas", "Polresta", "polres", ("intimidation",)),
    ("0018", "keamanan", _at(11, 27, 13, 40), ("tps", "35.73.04.1008", 7), "Keributan saat penghitungan",
     "Pendukung paslon memaksa masuk TPS saat penghitungan; satu orang terluka ringan.", "kritis",
     "diverifikasi", "lurah", "Polresta", "", ("violence",)),
    ("0019", "kesehatan_petugas", _at(11, 27, 11, 15), ("tps", "35.73.01.1005", 3),
     "Anggota KPPS pingsan", "Anggota KPPS (52 th) pingsan karena kelelahan; dibawa ke puskesmas.",
     "tinggi", "selesai", "petugas", "Dinkes", "", ()),
    ("0020", "kesehatan_petugas", _at(11, 27, 22, 30), ("tps", "35.73.05.1009", 11),
     "KPPS sesak napas", "Ketua KPPS mengeluh sesak napas saat rekap; ambulans siaga dipanggil.",
     "kritis", "ditindaklanjuti", "petugas", "Dinkes", "", ()),
    ("0021", "kesehatan_petugas", _at(11, 27, 16), ("tps", "35.73.03.1001", 6),
     "Linmas demam tinggi", "Anggota Linmas demam tinggi, diganti cadangan.", "rendah", "selesai",
     "lurah", "Dinkes", "", ()),
    ("0022", "listrik_internet", _at(11, 27, 18, 20), ("kel", "35.73.05.1004"), "Listrik padam",
     "Listrik padam di RW 05; penghitungan memakai lampu darurat.", "tinggi", "ditindaklanjuti",
     "camat", "BPBD", "", ()),
    ("0023", "listrik_internet", _at(11, 27, 19, 5), ("tps", "35.73.04.1002", 9),
     "Sinyal hilang saat unggah Sirekap", "KPPS tidak bisa mengunggah foto C.Hasil karena sinyal "
     "hilang.", "sedang", "baru", "petugas", "Diskominfo", "", ()),
    ("0024", "bencana", _at(11, 27, 6, 30), ("tps", "35.73.03.1004", 1), "TPS tergenang",
     "Hujan semalam: halaman TPS tergenang 20 cm; TPS dipindah ke teras balai RW.", "sedang",
     "selesai", "lurah", "BPBD", "", ()),
    ("0025", "netralitas_penyelenggara", _at(11, 27, 10, 20), ("tps", "35.73.01.1009", 8),
     "Ketua KPPS mengarahkan pemilih", "Pemilih lansia diarahkan ketua KPPS untuk mencoblos paslon "
     "tertentu.", "kritis", "diteruskan", "public", "Bawaslu", "bawaslu", ()),
    ("0026", "politik_uang", _at(11, 27, 8, 10), ("money", 6), "Uang transport pemilih",
     "Pemilih diberi uang transport Rp20.000 di gang menuju TPS.", "tinggi", "diverifikasi",
     "petugas", "Bawaslu", "", ()),
    ("0027", "politik_uang", _at(11, 27, 9, 0), ("money", 7), "Sarapan gratis bergambar paslon",
     "Warung membagikan sarapan gratis dengan stiker paslon 200 m dari TPS.", "sedang", "baru",
     "lurah", "", "", ()),
    ("0028", "lainnya", _at(11, 27, 12), ("kel", "35.73.02.1001"), "Pemilih tidak terdaftar ramai",
     "Banyak pemilih DPK datang setelah pukul 12.00; antrean panjang.", "rendah", "diverifikasi",
     "petugas", "", "", ()),
    ("0029", "logistik", _at(11, 27, 14, 10), ("tps", "35.73.05.1001", 12),
     "Formulir C.Hasil kurang", "Formulir C.Hasil salinan kurang dua set.", "sedang", "baru",
     "petugas", "KPU", "", ()),
    ("0030", "keamanan", _at(11, 27, 20, 45), ("kel", "35.73.01.1003"), "Massa berkumpul di PPS",
     "Sekitar 30 orang berkumpul di kantor PPS menunggu kotak suara.", "tinggi", "baru", "camat",
     "Polresta", "", ()),
]
PUBLIC_CODES = {"0006": "LP-WARG-A001", "0025": "LP-WARG-A002"}
PUBLIC_REPORTERS = {"0006": ("Sri Wahyuningsih", "0812-3000-4411"),
                    "0011": ("", ""), "0013": ("Agus Prasetyo", ""),
                    "0025": ("Yuli Astuti", "yuli.contoh@example.org")}

# agency short name -> (ASN in the agency, ASN covered, signed on, signatory). None: no pledge.
PLEDGES = {
    "Setda": (412, 412, datetime.date(2024, 9, 20), "Sekretaris Daerah"),
    "Bakesbangpol": (58, 58, datetime.date(2024, 9, 20), "Kepala Bakesbangpol"),
    "Bag. Pemerintahan": (35, 35, datetime.date(2024, 9, 21), "Kepala Bagian Pemerintahan"),
    "Dinkes": (1240, 1240, datetime.date(2024, 9, 24), "Kepala Dinas Kesehatan"),
    "Dishub": (310, 262, datetime.date(2024, 9, 25), "Kepala Dinas Perhubungan"),
    "Satpol PP": (268, 268, datetime.date(2024, 9, 23), "Kepala Satpol PP"),
    "BPBD": (74, 74, datetime.date(2024, 9, 26), "Kepala Pelaksana BPBD"),
    "Diskominfo": None,
    "Dispendukcapil": None,
}

CASES = [
    # (agency short, name, position, act, date, type, finding, recommendation, rec date,
    #  bkn, ppk, sanction, sanction date, report suffix, act code, office kecamatan)
    ("Dispendukcapil", "Rudi Hartanto", "Staf pelayanan",
     "Membagikan dan menyukai unggahan kampanye paslon di media sosial.",
     datetime.date(2024, 10, 27), "kode_etik", "Terbukti melanggar kode etik ASN.",
     "Sanksi moral pernyataan secara terbuka.", datetime.date(2024, 11, 8),
     datetime.date(2024, 11, 11), datetime.date(2024, 11, 12), "moral_terbuka",
     datetime.date(2024, 11, 20), "0003", "KE-04", "35.73.01"),
    ("Dishub", "Dewi Kartikasari", "Kepala seksi",
     "Hadir mengenakan atribut paslon di kampanye terbuka.", datetime.date(2024, 11, 5),
     "disiplin", "Terbukti ikut kampanye dengan atribut.",
     "Hukuman disiplin sedang sesuai PP 94/2021.", datetime.date(2024, 11, 19),
     datetime.date(2024, 11, 21), None, "", None, "0004", "HD-04", "35.73.03"),
    ("Dishub", "Bambang Sutejo", "Pengatur lalu lintas",
     "Hadir mengenakan atribut paslon di kampanye terbuka.", datetime.date(2024, 11, 5),
     "disiplin", "Sedang dikaji Bawaslu.", "", None, None, None, "", None, "0004", "HD-04",
     "35.73.03"),
    ("Satpol PP", "Hendra Wijaya", "Anggota Satpol PP",
     "Mengunggah foto bersama calon dengan pose jari nomor urut.", datetime.date(2024, 10, 2),
     "kode_etik", "Tidak cukup bukti unsur keberpihakan.", "", None, None, None,
     "tidak_terbukti", datetime.date(2024, 10, 30), None, "KE-05", "35.73.02"),
]


def _agency(short: str) -> Agency | None:
    return Agency.objects.filter(short_name=short).first() if short else None


def _place(election, key, money_tps, tps_pool):
    if key[0] == "money":
        tps = Tps.objects.get(pk=money_tps[key[1] % len(money_tps)])
        return tps.kelurahan_id, tps
    if key[0] == "tps":
        tps = Tps.objects.filter(election=election, kelurahan_id=key[1], number=key[2]).first()
        if tps is None:  # a kelurahan with fewer TPS: its first one
            tps = Tps.objects.filter(election=election, kelurahan_id=key[1]).order_by("number").first()
        return key[1], tps
    if key[0] == "kel":
        return key[1], None
    return None, None


def _reports(election, users, as_of) -> int:
    services.ensure_categories()
    categories = {c.code: c for c in Category.objects.all()}
    existing = set(Report.objects.filter(code__startswith="LP-").values_list("code", flat=True))
    wanted = []
    for row in REPORTS:
        suffix = row[0]
        code = PUBLIC_CODES.get(suffix, f"LP-MG24-{suffix}")
        if code not in existing:
            wanted.append((code, row))
    if not wanted:
        return 0
    money_tps = bawaslu_tps(election, "politik_uang")
    conf = services.settings_for(election)
    stages = list(Stage.objects.filter(election=election))
    admin = users.get("admin")
    lurah = users.get("lurah.kauman")
    rng = random.Random(f"{SEED}-incidents")
    created = []
    for code, row in wanted:
        (suffix, category_code, when, key, title, description, severity, state, source, agency_short,
         forwarded, flags) = row
        kelurahan, tps = _place(election, key, money_tps, None)
        kecamatan = key[1] if key[0] == "kec" else kelurahan.rsplit(".", 1)[0]
        received = when + datetime.timedelta(minutes=rng.randint(5, 50))
        responded = received + datetime.timedelta(minutes=rng.randint(10, 90)) \
            if state != State.BARU else None
        resolved = received + datetime.timedelta(hours=rng.randint(3, 30)) \
            if state == State.SELESAI else None
        if received > as_of:  # not reported yet at the demo's moment (timeline.as_of_of)
            continue
        if resolved is not None and resolved > as_of:
            state, resolved = State.DITINDAKLANJUTI, None
        if responded is not None and responded > as_of:
            state, responded = State.BARU, None
        stage = next((s for s in stages if s.start_date <= when.date() <= s.end_date), None)
        report = Report(
            election=election, code=code, category=categories[category_code], stage=stage,
            occurred_at=when, kabkota_id=kecamatan.rsplit(".", 1)[0], kecamatan_id=kecamatan, kelurahan_id=kelurahan,
            tps=tps,
            title=title, description=description, severity=severity, state=state, source=source,
            involves_violence="violence" in flags, intimidation="intimidation" in flags,
            agency=_agency(agency_short), forwarded_to=forwarded, created_at=received,
            updated_at=received, reported_by=None if source == "public" else (
                lurah if source == "lurah" and kelurahan == "35.73.02.1007" else admin))
        name, contact = PUBLIC_REPORTERS.get(suffix, ("", ""))
        if source == "public":
            report.reporter_name, report.reporter_contact = name, contact
        services.set_targets(report, conf, start=received)
        if state != State.BARU:
            report.responded_at = responded
        if state == State.SELESAI:
            report.resolved_at = resolved
            report.resolution = "Ditindaklanjuti dan selesai."
            report.public_note = "Laporan sudah ditindaklanjuti. Terima kasih."
        if state == State.DITOLAK:
            report.rejection_reason = "Setelah dicek PTPS tidak ditemukan bukti."
            report.public_note = "Laporan tidak dapat ditindaklanjuti karena tidak ada bukti."
        if state == State.DITERUSKAN and forwarded == "bawaslu":
            report.public_note = "Laporan diteruskan ke Bawaslu Kota Malang."
        created.append(report)
    Report.objects.bulk_create(created)
    comments = [Comment(report=r, author=admin, text="Sudah dikoordinasikan dengan "
                        f"{r.agency or 'Desk Pilkada'}.", created_at=r.created_at +
                        datetime.timedelta(hours=1))
                for r in Report.objects.filter(code__in=[c.code for c in created],
                                               state__in=[State.DITERUSKAN,
                                                          State.DITINDAKLANJUTI])]
    Comment.objects.bulk_create(comments)
    return len(created)


def _pledges(election) -> int:
    created = 0
    for short, values in PLEDGES.items():
        agency = _agency(short)
        if agency is None or values is None:
            continue
        if Pledge.objects.filter(election=election, agency=agency).exists():
            continue
        total, covered, signed, signatory = values
        Pledge.objects.create(election=election, agency=agency, asn_total=total,
                              asn_covered=covered, signed_on=signed, signatory=signatory)
        created += 1
    return created


def _cases(election) -> int:
    created = services.ensure_acts(election)
    acts = {a.code: a for a in ProhibitedAct.objects.filter(election=election)}
    for (short, name, position, act, day, breach, finding, recommendation, rec_date, bkn, ppk,
         sanction, sanction_date, suffix, act_code, office) in CASES:
        agency = _agency(short)
        if agency is None:
            continue
        # A case from before the catalogue: name its act and office once.
        created += NeutralityCase.objects.filter(
            election=election, agency=agency, asn_name=name, prohibited_act__isnull=True,
        ).update(prohibited_act=acts.get(act_code), kecamatan_id=office)
        if NeutralityCase.objects.filter(election=election, agency=agency,
                                         asn_name=name).exists():
            continue
        report = Report.objects.filter(code=f"LP-MG24-{suffix}").first() \
            if suffix else None
        case = NeutralityCase(election=election, report=report, agency=agency, asn_name=name,
                              asn_position=position, act=act, occurred_on=day, breach_type=breach,
                              bawaslu_finding=finding, bawaslu_recommendation=recommendation,
                              recommendation_date=rec_date, referred_bkn_on=bkn,
                              referred_ppk_on=ppk, sanction=sanction, sanction_date=sanction_date,
                              prohibited_act=acts.get(act_code), kecamatan_id=office)
        case.status = services.case_status(case)
        case.save()
        created += 1
    return created


def build_incidents(result) -> None:
    """Idempotent: a second run changes nothing."""
    election = Election.objects.get(pk=result.election_id)
    users = {u.username: u for u in result.users}
    changes = _reports(election, users, as_of_of(result)) + _pledges(election) + _cases(election)
    result.other_changes += changes
