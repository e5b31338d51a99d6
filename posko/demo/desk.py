"""The reference rows of the coordination demo (see :mod:`posko.demo.coordination`): agency
contacts, the Desk Pilkada and its divisions, stage owners, task templates, supervision
checklists, and the readiness meeting of 9 Oct 2024 with its decisions. They are reset to
the demo's values on every run, like the TPS; each builder returns how many rows it created
or changed.

Public record: the meeting (Sosialisasi Kesiapan Pemkot Malang dalam Menyukseskan
Pilkada Serentak 2024, Hotel Aria Gajayana, Wednesday 9 Oct 2024, chaired by the Pj.
Wali Kota Iwan Kurniawan; its points are the article's), the desk's usual make-up
(Permendagri 9/2005: chaired by the Sekda, secretariat at Kesbangpol, reporting to
the Mendagri through the Governor) and the PKPU 2/2024 stages, which KPU runs.
Invented: every contact person and phone number (0341-555xxx, not real lines), the
division line-up, the template and checklist wording.
"""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from posko.accounts.models import Agency
from posko.coordination.models import (
    Decision,
    Desk,
    Division,
    Meeting,
    TaskTemplate,
    TaskTemplateItem,
)
from posko.demo.saving import save_if_changed, set_m2m
from posko.elections.models import Stage

WIB = ZoneInfo("Asia/Jakarta")


def at_wib(y, m, d, hh=9, mm=0) -> datetime.datetime:
    """A moment in Malang's time zone (WIB)."""
    return datetime.datetime(y, m, d, hh, mm, tzinfo=WIB)


# Short names of the agencies of data.AGENCIES, plus the five kecamatan offices.
KECAMATAN_OFFICES = (
    ("Kecamatan Blimbing", "Kec. Blimbing"),
    ("Kecamatan Klojen", "Kec. Klojen"),
    ("Kecamatan Kedungkandang", "Kec. Kedungkandang"),
    ("Kecamatan Sukun", "Kec. Sukun"),
    ("Kecamatan Lowokwaru", "Kec. Lowokwaru"),
)

BALAI_KOTA = "Balai Kota Malang, Jl. Tugu No. 1, Malang"
# name -> (contact person, phone, address); people and numbers invented.
CONTACTS = {
    "Sekretariat Daerah": ("Bambang Sutrisno, S.Sos.", "0341-555101", BALAI_KOTA),
    "Badan Kesatuan Bangsa dan Politik": ("Dra. Endang Purwaningsih", "0341-555102", ""),
    "Bagian Pemerintahan": ("Agus Setiawan, S.IP.", "0341-555103", BALAI_KOTA),
    "Dinas Kesehatan": ("dr. Retno Wulandari", "0341-555104", ""),
    "Dinas Perhubungan": ("Hendro Prasetyo, S.T.", "0341-555105", ""),
    "Satuan Polisi Pamong Praja": ("Joko Susilo, S.H.", "0341-555106", ""),
    "Badan Penanggulangan Bencana Daerah": ("Rudi Hartono", "0341-555107", ""),
    "Dinas Komunikasi dan Informatika": ("Dian Kusumawati, S.Kom.", "0341-555108", ""),
    "Dinas Kependudukan dan Pencatatan Sipil": ("Sri Rahayu, S.E.", "0341-555109", ""),
    "KPU Kota Malang": ("Sekretariat KPU Kota Malang", "0341-555110", ""),
    "Bawaslu Kota Malang": ("Sekretariat Bawaslu Kota Malang", "0341-555111", ""),
    "Polresta Malang Kota": ("Bagian Operasi Polresta", "0341-555112", ""),
    "Kodim 0833/Kota Malang": ("Staf Teritorial Kodim 0833", "0341-555113", ""),
    "Kejaksaan Negeri Kota Malang": ("Seksi Intelijen Kejari", "0341-555114", ""),
    "Kecamatan Blimbing": ("Sekretaris Kecamatan Blimbing", "0341-555121", ""),
    "Kecamatan Klojen": ("Sekretaris Kecamatan Klojen", "0341-555122", ""),
    "Kecamatan Kedungkandang": ("Sekretaris Kecamatan Kedungkandang", "0341-555123", ""),
    "Kecamatan Sukun": ("Sekretaris Kecamatan Sukun", "0341-555124", ""),
    "Kecamatan Lowokwaru": ("Sekretaris Kecamatan Lowokwaru", "0341-555125", ""),
}

DESK = {
    "decree": "Keputusan Wali Kota Malang tentang Desk Pilkada Kota Malang Tahun 2024",
    "chair_title": "Sekretaris Daerah Kota Malang",
    "chair_name": "",
    "secretary_name": "Kepala Badan Kesatuan Bangsa dan Politik",
    "reports_to": "Menteri Dalam Negeri melalui Gubernur Jawa Timur (laporan harian)",
}
DESK_SECRETARIAT = "Badan Kesatuan Bangsa dan Politik"

KECAMATAN_NAMES = tuple(name for name, _short in KECAMATAN_OFFICES)
# (name, lead, members, duties)
DIVISIONS = (
    ("Bidang Sosialisasi dan Pemantauan", "Dinas Komunikasi dan Informatika",
     ("Badan Kesatuan Bangsa dan Politik", "Bagian Pemerintahan", *KECAMATAN_NAMES),
     "Sosialisasi ajakan memilih bersama camat dan lurah; pemantauan situasi wilayah dan "
     "media; netralitas ASN."),
    ("Bidang Dukungan Logistik", "Bagian Pemerintahan",
     ("Dinas Perhubungan", "Badan Penanggulangan Bencana Daerah", "Dinas Kesehatan",
      "KPU Kota Malang"),
     "Dukungan distribusi logistik KPU sampai TPS, sarana angkutan, posko kesehatan dan "
     "pemeriksaan kesehatan petugas, perlindungan BPJS Ketenagakerjaan bagi petugas ad hoc."),
    ("Bidang Keamanan dan Ketertiban", "Satuan Polisi Pamong Praja",
     ("Polresta Malang Kota", "Kodim 0833/Kota Malang", "Kejaksaan Negeri Kota Malang",
      "Dinas Perhubungan", "Badan Penanggulangan Bencana Daerah"),
     "Linmas di setiap TPS, penertiban alat peraga kampanye, antisipasi kerawanan dan "
     "bencana, pengamanan rekapitulasi."),
    ("Bidang Analisis dan Evaluasi", "Badan Kesatuan Bangsa dan Politik",
     ("Dinas Kependudukan dan Pencatatan Sipil", "Bagian Pemerintahan", "Bawaslu Kota Malang"),
     "Analisis data pemilih dan TPS rawan, laporan harian Desk Pilkada, evaluasi setiap tahapan."),
)

STAGE_OWNER = "KPU Kota Malang"  # PKPU 2/2024: every stage is run by the KPU

# (name, level, description, items: (title, agency, days, "HH:MM", priority, checklist,
#  assign region operators, description))
TEMPLATES = (
    ("H-7 kesiapan", TaskTemplate.Level.KECAMATAN,
     "Kesiapan wilayah sepekan sebelum pemungutan suara, per kecamatan.", (
         ("Rapat koordinasi kesiapan dengan PPK, Panwascam, Polsek dan Koramil",
          "Bagian Pemerintahan", -7, "10:00", 3,
          "Undangan terkirim\nDaftar hadir\nNotulen dan foto diunggah", True,
          "Bahas kesiapan TPS, logistik, Linmas dan titik rawan di wilayah kecamatan."),
         ("Pendataan TPS rawan di wilayah kecamatan", "Badan Kesatuan Bangsa dan Politik",
          -7, "16:00", 3,
          "Cocokkan dengan pemetaan TPS rawan Bawaslu\nTandai TPS rawan banjir atau longsor\n"
          "Kirim rekap ke Desk Pilkada", True, ""),
         ("Pastikan 2 Linmas per TPS siap dan terdata", "Satuan Polisi Pamong Praja",
          -7, "16:00", 2, "Daftar nama Linmas per TPS\nJadwal pembekalan Linmas", True, ""),
         ("Sosialisasi ajakan memilih melalui RT/RW dan tokoh masyarakat",
          "Dinas Komunikasi dan Informatika", -7, "16:00", 2,
          "Pengumuman di grup RT/RW\nSpanduk ajakan memilih di kantor kecamatan", True, ""),
     )),
    ("H-1 logistik", TaskTemplate.Level.KELURAHAN,
     "Sehari sebelum pemungutan suara: logistik tiba dan TPS siap, per kelurahan.", (
         ("Pantau distribusi logistik dari PPS ke KPPS", "Bagian Pemerintahan", -1, "16:00", 4,
          "2 kotak suara per TPS diterima\n4 bilik suara per TPS diterima\n"
          "Surat suara sesuai DPT + 2,5% cadangan\nTinta, segel dan formulir C.Hasil lengkap\n"
          "Berita acara serah terima ditandatangani", True, ""),
         ("Pastikan TPS berdiri dan dapat diakses pemilih difabel", "Bagian Pemerintahan",
          -1, "18:00", 3, "Tenda atau ruangan siap\nJalur kursi roda\nPenerangan cukup", True, ""),
         ("Koordinasi Linmas dan Bhabinkamtibmas untuk pengamanan TPS",
          "Satuan Polisi Pamong Praja", -1, "20:00", 3, "", True, ""),
     )),
    ("Pasca pemungutan", TaskTemplate.Level.KECAMATAN,
     "Setelah pemungutan suara: pengamanan hasil, kesehatan petugas, laporan.", (
         ("Kawal pergeseran kotak suara dari PPS ke PPK untuk rekapitulasi kecamatan",
          "Satuan Polisi Pamong Praja", 1, "12:00", 4, "", True, ""),
         ("Pantau kesehatan petugas KPPS dan layanan Puskesmas", "Dinas Kesehatan", 1, "16:00", 3,
          "Data petugas yang sakit atau dirawat\nPendampingan klaim BPJS Ketenagakerjaan", True,
          ""),
         ("Laporan situasi pasca pemungutan suara ke Desk Pilkada",
          "Badan Kesatuan Bangsa dan Politik", 1, "16:00", 3, "", True, ""),
     )),
)

MEETING = {
    "title": "Rapat Koordinasi Kesiapan Pilkada",
    "starts_at": at_wib(2024, 10, 9, 9, 0),
    "place": "Hotel Aria Gajayana, Kota Malang",
    "chair": "Pj. Wali Kota Malang Iwan Kurniawan, S.T., M.M.",
    "attendees": "Pj. Wali Kota Malang\nSekretaris Daerah Kota Malang\n"
                 "Kepala Perangkat Daerah terkait\nCamat se-Kota Malang\nLurah se-Kota Malang\n"
                 "KPU Kota Malang\nBawaslu Kota Malang\nPolresta Malang Kota\nKodim 0833/Kota Malang",
    "agenda": "1. Arahan Pj. Wali Kota Malang tentang kesiapan Pemkot menyukseskan Pilkada "
              "Serentak 27 November 2024\n2. Kesiapan perangkat daerah, camat dan lurah\n"
              "3. Tanya jawab",
    "minutes": "Sosialisasi Kesiapan Pemkot Malang dalam Menyukseskan Pilkada Serentak Tahun "
               "2024. Pj. Wali Kota menyampaikan poin-poin kesiapan: koordinasi, komunikasi dan "
               "sinergi antarinstansi; kesiapan logistik; persiapan menghadapi potensi kerawanan "
               "di kecamatan dan kelurahan; penguatan pengawasan di setiap tahapan; sosialisasi "
               "oleh camat dan lurah; perlindungan BPJS Ketenagakerjaan bagi petugas TPS; "
               "netralitas ASN. Dinas Kesehatan, Dinas Perhubungan, camat dan lurah disebut "
               "sebagai ujung tombak. (Sumber: Prokopim Kota Malang)",
}
MEETING_AGENCIES = ("Sekretariat Daerah", "Badan Kesatuan Bangsa dan Politik",
                    "Bagian Pemerintahan", "Dinas Kesehatan", "Dinas Perhubungan",
                    *KECAMATAN_NAMES)
# (text, agency)
DECISIONS = (
    ("Memperkuat koordinasi, komunikasi dan sinergi antarinstansi melalui Desk Pilkada.",
     "Badan Kesatuan Bangsa dan Politik"),
    ("Memastikan kesiapan logistik Pilkada bersama KPU Kota Malang.", "Bagian Pemerintahan"),
    ("Menyiapkan antisipasi potensi kerawanan di wilayah kecamatan dan kelurahan masing-masing.",
     "Badan Kesatuan Bangsa dan Politik"),
    ("Memperkuat pengawasan di setiap tahapan melalui pertemuan dan koordinasi intensif.",
     "Bagian Pemerintahan"),
    ("Camat dan lurah melakukan sosialisasi dan komunikasi intensif untuk mengajak masyarakat "
     "berpartisipasi dalam Pilkada.", "Bagian Pemerintahan"),
    ("Memastikan petugas TPS terlindungi program BPJS Ketenagakerjaan.", "Sekretariat Daerah"),
    ("Mengingatkan seluruh ASN untuk bersikap netral dalam Pilkada Serentak.",
     "Sekretariat Daerah"),
)


def _time(text: str) -> datetime.time:
    return datetime.time.fromisoformat(text)


# --- the builders -------------------------------------------------------------------------------

def build_agencies() -> tuple[int, dict[str, Agency]]:
    changes = 0
    for name, short_name in KECAMATAN_OFFICES:
        agency = Agency.objects.filter(name=name).first() or Agency(name=name)
        changes += save_if_changed(agency, {"short_name": short_name, "kind": Agency.Kind.KECAMATAN})
    agencies = {a.name: a for a in Agency.objects.filter(name__in=CONTACTS)}
    missing = set(CONTACTS) - set(agencies)
    if missing:
        raise LookupError(f"the demo agencies are missing: {', '.join(sorted(missing))}")
    for name, (person, phone, address) in CONTACTS.items():
        changes += save_if_changed(agencies[name], {
            "contact_person": person, "phone": phone, "address": address})
    return changes, agencies


def build_desk(agencies) -> int:
    desk = Desk.objects.filter(pk=1).first()
    is_new, desk = desk is None, desk or Desk(pk=1)
    changes = save_if_changed(desk, {**DESK, "secretariat_id": agencies[DESK_SECRETARIAT].pk})
    if is_new and not changes:
        desk.save()
        changes = 1
    for order, (name, lead, members, duties) in enumerate(DIVISIONS, start=1):
        division = Division.objects.filter(name=name).first() or Division(name=name)
        changes += save_if_changed(division, {"order": order, "duties": duties,
                                              "lead_id": agencies[lead].pk})
        changes += set_m2m(division.members, [agencies[n] for n in (lead, *members)])
    return changes


def set_stage_owners(election, agencies) -> int:
    owner = agencies[STAGE_OWNER]
    return Stage.objects.filter(election=election).exclude(owner=owner).update(owner=owner)


def build_templates(agencies) -> tuple[int, dict[str, TaskTemplate]]:
    changes, templates = 0, {}
    for name, level, description, items in TEMPLATES:
        template = TaskTemplate.objects.filter(name=name).first() or TaskTemplate(name=name)
        changes += save_if_changed(template, {"level": level, "description": description})
        for order, (title, agency, days, due, priority, checklist, assign, text) in enumerate(items):
            item = (TaskTemplateItem.objects.filter(template=template, title=title).first()
                    or TaskTemplateItem(template=template, title=title))
            changes += save_if_changed(item, {
                "agency_id": agencies[agency].pk, "days_from_voting_day": days,
                "due_time": _time(due), "priority": priority, "checklist": checklist,
                "assign_region_operators": assign, "order": order, "description": text})
        templates[name] = template
    return changes, templates


def build_meeting(election, agencies, admin) -> int:
    meeting = (Meeting.objects.filter(election=election, title=MEETING["title"]).first()
               or Meeting(election=election, title=MEETING["title"], created_by=admin))
    changes = save_if_changed(meeting, MEETING)
    changes += set_m2m(meeting.agencies, [agencies[n] for n in MEETING_AGENCIES])
    for order, (text, agency) in enumerate(DECISIONS, start=1):
        decision = (Decision.objects.filter(meeting=meeting, order=order).first()
                    or Decision(meeting=meeting, order=order))
        changes += save_if_changed(decision, {"text": text, "agency_id": agencies[agency].pk})
    return changes
