"""Posko's standard supervision checklists: one per stage of the PKPU 2/2024 schedule (two
for the quiet period: campaign props, and logistics arriving at the TPS), each item naming
the Pemda agency (or partner) responsible for it. Seeded into an election by
:func:`posko.coordination.services.checklist_seed.seed` (the "Standard checklists" page, the
``seed_checklists`` command, and the demo).

Sources: the stages are those of PKPU 2/2024 (Tahapan dan Jadwal Pemilihan 2024); the
Desk's duties per stage (monitor, take stock of and anticipate problems, report daily)
are Permendagri 9/2005's; who does what follows the usual split of a kota's Desk
Pilkada (Satpol PP: Linmas and props; Dishub: traffic; Dinkes: the workers' health and
voters in hospital; Dispendukcapil: population data for the voter list; BPBD: floods and
power; Diskominfo: information and hoaxes; Kesbangpol: the Desk's secretariat and
situation reports; the kepegawaian office: ASN neutrality; Bagian Pemerintahan: camat,
lurah, and the Pemda's facilities). PKPU 2/2024 itself is a schedule: the items are
Posko's wording of what the Pemda watches at each stage, not a quotation.

Data only. A stage is found by words in its name (``STAGES``), an agency by its name or
short name (``AGENCIES``), so the set fits an election whose stages and agencies are
named a little differently; what is not found is reported, never invented.
"""

from __future__ import annotations

from dataclasses import dataclass

KELURAHAN = "kelurahan"
KECAMATAN = "kecamatan"


@dataclass(frozen=True)
class StandardAgency:
    """``names``: the agency's name or short name, in any case; a name also matches an
    agency whose name starts with it and a space ("KPU" → "KPU Kota Malang").
    ``fallback``: the key used when no agency matches."""

    label: str
    names: tuple[str, ...]
    fallback: str = ""


AGENCIES = {
    "setda": StandardAgency("Sekretariat Daerah", ("Sekretariat Daerah", "Setda")),
    "kesbangpol": StandardAgency("Badan Kesatuan Bangsa dan Politik", (
        "Badan Kesatuan Bangsa dan Politik", "Bakesbangpol", "Kesbangpol")),
    "pemerintahan": StandardAgency("Bagian Pemerintahan", (
        "Bagian Pemerintahan", "Bag. Pemerintahan", "Bagian Tata Pemerintahan")),
    "dinkes": StandardAgency("Dinas Kesehatan", ("Dinas Kesehatan", "Dinkes")),
    "dishub": StandardAgency("Dinas Perhubungan", ("Dinas Perhubungan", "Dishub")),
    "satpolpp": StandardAgency("Satuan Polisi Pamong Praja", (
        "Satuan Polisi Pamong Praja", "Satpol PP")),
    "bpbd": StandardAgency("Badan Penanggulangan Bencana Daerah", (
        "Badan Penanggulangan Bencana Daerah", "BPBD")),
    "diskominfo": StandardAgency("Dinas Komunikasi dan Informatika", (
        "Dinas Komunikasi dan Informatika", "Diskominfo", "Kominfo")),
    "dukcapil": StandardAgency("Dinas Kependudukan dan Pencatatan Sipil", (
        "Dinas Kependudukan dan Pencatatan Sipil", "Dispendukcapil", "Disdukcapil")),
    # ASN discipline: the kepegawaian office where there is one, else the Sekda's office.
    "kepegawaian": StandardAgency("Badan Kepegawaian dan Pengembangan Sumber Daya Manusia", (
        "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia", "Badan Kepegawaian Daerah",
        "BKPSDM", "BKPP", "BKD"), fallback="setda"),
    "kpu": StandardAgency("KPU", ("KPU", "Komisi Pemilihan Umum")),
    "bawaslu": StandardAgency("Bawaslu", ("Bawaslu", "Badan Pengawas Pemilihan Umum")),
    "polres": StandardAgency("Polres", ("Polresta", "Polres", "Polrestabes")),
}

# Stage key -> words of the stage's name (lower case), in the order of the schedule. Each
# key takes the earliest stage matching one of its words that no earlier key took, so
# "penetapan pasangan calon" (September) and "penetapan ... terpilih" (December) part.
STAGES = (
    ("adhoc", ("pembentukan ppk", "badan ad hoc", "pembentukan")),
    ("dpt", ("pemutakhiran", "data pemilih", "coklit", "dpt")),
    ("pendaftaran", ("pendaftaran pasangan calon", "pendaftaran")),
    ("penetapan_paslon", ("penetapan pasangan calon", "penetapan paslon")),
    ("pengundian", ("pengundian", "nomor urut")),
    ("kampanye", ("kampanye",)),
    ("masa_tenang", ("masa tenang",)),
    ("pemungutan", ("pemungutan",)),
    ("rekap_kecamatan", ("tingkat kecamatan", "rekapitulasi kecamatan", "di ppk")),
    ("rekap_kota", ("tingkat kota", "tingkat kabupaten", "kabupaten/kota", "rekapitulasi kota")),
    ("rekap_provinsi", ("tingkat provinsi", "rekapitulasi provinsi")),
    ("penetapan_hasil", ("penetapan hasil", "terpilih", "penetapan calon")),
)


@dataclass(frozen=True)
class StandardChecklist:
    stage: str  # a key of STAGES
    title: str
    level: str
    description: str
    items: tuple[tuple[str, tuple[str, ...]], ...]  # (text, agency keys)


CHECKLISTS = (
    StandardChecklist(
        "adhoc", "Pembentukan PPK, PPS dan KPPS: dukungan wilayah", KECAMATAN,
        "Diisi camat selama pembentukan badan ad hoc.", (
            ("Sekretariat PPK dan PPS mendapat ruang dan sarana kerja di kantor kecamatan dan "
             "kelurahan", ("pemerintahan",)),
            ("Surat keterangan domisili calon anggota PPS dan KPPS diterbitkan kelurahan tepat "
             "waktu", ("pemerintahan",)),
            ("Puskesmas melayani surat keterangan sehat calon KPPS tanpa antrean berlarut",
             ("dinkes",)),
            ("ASN yang mendaftar sebagai anggota badan ad hoc sudah mendapat izin atasan",
             ("kepegawaian",)),
            ("Petugas ad hoc terdaftar dalam perlindungan BPJS Ketenagakerjaan", ("setda",)),
        )),
    StandardChecklist(
        "dpt", "Pemutakhiran data pemilih: coklit dan DPS", KELURAHAN,
        "Diisi lurah selama pemutakhiran data pemilih (coklit dan pengumuman DPS).", (
            ("Data pemilih pemula, pindah datang dan penduduk meninggal dari Dispendukcapil "
             "sudah diterima PPS", ("dukcapil",)),
            ("Pantarlih didampingi ketua RT/RW saat coklit dari rumah ke rumah",
             ("pemerintahan",)),
            ("Warga yang memenuhi syarat tetapi belum punya KTP-el didata untuk perekaman",
             ("dukcapil",)),
            ("Pemilih di rumah sakit, panti dan lapas di wilayah kelurahan sudah terdata",
             ("dinkes", "pemerintahan")),
            ("DPS diumumkan di kantor kelurahan dan tanggapan warga diteruskan ke PPS",
             ("pemerintahan", "diskominfo")),
        )),
    StandardChecklist(
        "pendaftaran", "Pendaftaran pasangan calon: ketertiban wilayah", KECAMATAN,
        "Diisi camat pada hari-hari pendaftaran pasangan calon di KPU.", (
            ("Arak-arakan pendukung menuju kantor KPU tidak menutup jalan tanpa pengaturan "
             "lalu lintas", ("dishub", "polres")),
            ("Camat, lurah dan ASN di wilayah tidak ikut mengantar bakal pasangan calon",
             ("kepegawaian",)),
            ("Situasi wilayah kondusif dan dilaporkan ke Desk Pilkada", ("kesbangpol",)),
        )),
    StandardChecklist(
        "penetapan_paslon", "Penetapan pasangan calon: situasi dan netralitas ASN", KECAMATAN,
        "Diisi camat setelah KPU menetapkan pasangan calon.", (
            ("Tidak ada pengerahan massa atau gangguan ketertiban setelah penetapan",
             ("kesbangpol", "polres")),
            ("Surat edaran netralitas ASN sudah disampaikan ke seluruh pegawai kecamatan dan "
             "kelurahan", ("kepegawaian",)),
            ("Fasilitas pemerintah di wilayah tidak dipakai untuk kegiatan bakal calon",
             ("pemerintahan",)),
        )),
    StandardChecklist(
        "pengundian", "Pengundian nomor urut: konvoi dan titik rawan", KECAMATAN,
        "Diisi camat pada hari pengundian nomor urut.", (
            ("Konvoi pendukung tidak mengganggu lalu lintas dan ketertiban",
             ("dishub", "satpolpp")),
            ("Titik rawan gesekan antarpendukung di wilayah dipantau dan dilaporkan",
             ("kesbangpol", "polres")),
        )),
    StandardChecklist(
        "kampanye", "Kampanye: APK, tempat kampanye dan netralitas ASN", KELURAHAN,
        "Diisi lurah setiap pekan selama masa kampanye.", (
            ("Alat peraga kampanye hanya terpasang di lokasi yang ditetapkan KPU; yang melanggar "
             "dilaporkan untuk ditertibkan", ("satpolpp", "bawaslu")),
            ("Tidak ada kampanye di tempat ibadah, sekolah atau kantor pemerintah",
             ("kesbangpol", "bawaslu")),
            ("Lurah, perangkat kelurahan dan ASN tidak ikut kampanye atau memasang atribut "
             "pasangan calon", ("kepegawaian",)),
            ("Rapat umum dan pertemuan terbatas di wilayah mendapat pengaturan lalu lintas dan "
             "parkir", ("dishub",)),
            ("Hoaks dan ujaran kebencian di grup warga dilaporkan ke Diskominfo",
             ("diskominfo",)),
        )),
    # The two quiet-period checklists keep the demo's earlier wording and order, so the
    # answers given to them stay on the same items.
    StandardChecklist(
        "masa_tenang", "Masa tenang: alat peraga kampanye dibersihkan", KELURAHAN,
        "Diisi lurah pada hari pertama masa tenang; lampirkan foto setiap temuan.", (
            ("Alat peraga kampanye di jalan protokol dan fasilitas umum sudah diturunkan",
             ("satpolpp",)),
            ("Baliho dan spanduk di persimpangan, tiang PJU dan APILL sudah diturunkan",
             ("dishub", "satpolpp")),
            ("Tidak ada kegiatan kampanye atau pembagian uang/barang di wilayah",
             ("bawaslu", "polres")),
            ("Akun media sosial resmi kelurahan tidak memuat konten kampanye", ("diskominfo",)),
        )),
    StandardChecklist(
        "masa_tenang", "H-1 pemungutan suara: kesiapan TPS", KELURAHAN,
        "Diisi lurah pada H-1 sore, untuk semua TPS di kelurahan: distribusi logistik dan "
        "kesiapan TPS.", (
            ("Semua TPS sudah berdiri dan dapat diakses pemilih difabel", ("pemerintahan",)),
            ("Logistik pemungutan suara sudah tiba di semua TPS", ("kpu", "pemerintahan")),
            ("Linmas 2 orang per TPS hadir dan sudah menerima pembekalan", ("satpolpp",)),
            ("Petugas KPPS dalam kondisi sehat dan posko kesehatan siaga", ("dinkes",)),
            ("Rute distribusi logistik bebas genangan; rute pengganti disiapkan untuk TPS rawan "
             "banjir", ("bpbd", "dishub")),
        )),
    StandardChecklist(
        "pemungutan", "Hari pemungutan suara: TPS aman dan pemilih terlayani", KELURAHAN,
        "Diisi lurah pada hari pemungutan suara, setelah penghitungan di TPS selesai.", (
            ("Linmas hadir di setiap TPS sejak pukul 06.00 sampai penghitungan selesai",
             ("satpolpp",)),
            ("Semua TPS dibuka pukul 07.00 dan pemungutan ditutup pukul 13.00",
             ("kpu", "pemerintahan")),
            ("Pemilih difabel dan lansia dilayani; pasien rawat inap didatangi TPS terdekat",
             ("dinkes", "pemerintahan")),
            ("Petugas KPPS yang sakit atau kelelahan ditangani Puskesmas", ("dinkes",)),
            ("Tidak ada ASN atau perangkat kelurahan yang mengarahkan pilihan pemilih",
             ("kepegawaian",)),
            ("Salinan hasil penghitungan suara diumumkan di setiap TPS",
             ("kesbangpol", "kpu")),
            ("Genangan, pohon tumbang atau padam listrik di TPS segera ditangani",
             ("bpbd",)),
        )),
    StandardChecklist(
        "rekap_kecamatan", "Rekapitulasi di PPK: pergeseran kotak suara dan pleno", KECAMATAN,
        "Diisi camat selama rapat pleno rekapitulasi PPK.", (
            ("Kotak suara dari PPS ke PPK dikawal Linmas dan polisi", ("satpolpp", "polres")),
            ("Tempat pleno PPK tersedia, dijaga dan berpenerangan cukup",
             ("pemerintahan", "satpolpp")),
            ("Lalu lintas dan parkir di sekitar tempat pleno diatur", ("dishub",)),
            ("Keberatan saksi dan kejadian khusus di pleno dicatat dan dilaporkan ke Desk "
             "Pilkada", ("kesbangpol",)),
            ("Posko kesehatan siaga selama pleno yang berlangsung sampai malam", ("dinkes",)),
        )),
    StandardChecklist(
        "rekap_kota", "Rekapitulasi di KPU kabupaten/kota: pengawalan dan informasi", KECAMATAN,
        "Diisi camat selama rekapitulasi tingkat kabupaten/kota.", (
            ("Kotak suara dan berita acara PPK diserahkan ke KPU dengan pengawalan",
             ("satpolpp", "polres")),
            ("Gudang PPK tetap dijaga sampai seluruh logistik diserahkan", ("satpolpp",)),
            ("Informasi hasil resmi disebarkan dan hoaks tentang hasil diluruskan",
             ("diskominfo",)),
            ("Situasi wilayah kondusif dan masuk laporan harian Desk Pilkada",
             ("kesbangpol",)),
        )),
    StandardChecklist(
        "rekap_provinsi", "Rekapitulasi tingkat provinsi: situasi wilayah", KECAMATAN,
        "Diisi camat selama rekapitulasi tingkat provinsi.", (
            ("Tidak ada pengerahan massa atau unjuk rasa terkait hasil di wilayah",
             ("kesbangpol", "polres")),
            ("Bilik, kotak suara dan perlengkapan TPS yang dipinjam dari kelurahan sudah "
             "kembali", ("pemerintahan", "kpu")),
        )),
    StandardChecklist(
        "penetapan_hasil", "Penetapan hasil: situasi dan tindak lanjut", KECAMATAN,
        "Diisi camat setelah penetapan hasil pemilihan.", (
            ("Situasi wilayah kondusif saat dan setelah penetapan hasil",
             ("kesbangpol", "polres")),
            ("Fasilitas Pemda yang dipakai TPS dan PPK sudah dikembalikan dalam keadaan baik",
             ("pemerintahan",)),
            ("Klaim BPJS Ketenagakerjaan petugas ad hoc yang sakit atau meninggal sudah "
             "diproses", ("setda", "dinkes")),
            ("Catatan evaluasi wilayah untuk laporan akhir Desk Pilkada sudah dikirim",
             ("kesbangpol",)),
        )),
)
