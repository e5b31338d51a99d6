"""The catalogue of prohibited acts of the 2022 joint decree on ASN neutrality (SKB Menteri PANRB,
Mendagri, Kepala BKN, Ketua KASN and Ketua Bawaslu of 22 Sep 2022, the guide for Pemilu and
Pilkada 2024): each act with the family of its breach and the sanction it carries at least.

The decree lists the same kinds of act twice: as code-of-ethics breaches (a moral sanction,
closed or open statement, PP 42/2004 art. 15) and as disciplinary breaches (a medium or heavy
disciplinary penalty under PP 94/2021, or dismissal not with honour under UU 5/2014 art. 87(4)(c)
for membership of a party). Pure data: the data migration and ``services.ensure_acts`` copy it
into each election, where the Desk admin may edit it.

Source: the decree's annex as published in the press (Kompas.com 6 Nov 2023; NTB Satu 6 Feb 2024;
Sumeks 20 Nov 2023). The article numbers of PP 94/2021 are not repeated here: the press copies
disagree on them, so the legal basis names the regulation and the penalty only.
"""

from __future__ import annotations

ETHICS_BASIS = "PP 42/2004 Pasal 15 ayat (1)-(3) (sanksi moral)"
MEDIUM_BASIS = "PP 94/2021 (hukuman disiplin sedang)"
HEAVY_BASIS = "PP 94/2021 (hukuman disiplin berat)"
PTDH_BASIS = "UU 5/2014 Pasal 87 ayat (4) huruf c (pemberhentian tidak dengan hormat)"

# (code, description, breach type, severity, legal basis)
ACTS: list[tuple[str, str, str, str, str]] = [
    ("KE-01", "Memasang spanduk/baliho/alat peraga lainnya terkait bakal calon peserta pemilu "
              "dan pemilihan", "kode_etik", "moral", ETHICS_BASIS),
    ("KE-02", "Sosialisasi/kampanye di media sosial/online bakal calon", "kode_etik", "moral",
     ETHICS_BASIS),
    ("KE-03", "Menghadiri deklarasi/kampanye pasangan bakal calon dan memberikan "
              "tindakan/dukungan secara aktif", "kode_etik", "moral", ETHICS_BASIS),
    ("KE-04", "Membuat posting, comment, share, like, bergabung/follow dalam grup/akun "
              "pemenangan bakal calon", "kode_etik", "moral", ETHICS_BASIS),
    ("KE-05", "Memposting di media sosial/media lain yang dapat diakses publik foto bersama bakal "
              "calon, tim sukses dan alat peraga terkait partai politik", "kode_etik", "moral",
     ETHICS_BASIS),
    ("KE-06", "Ikut dalam kegiatan kampanye/sosialisasi/pengenalan bakal calon", "kode_etik",
     "moral", ETHICS_BASIS),
    ("KE-07", "Mengikuti deklarasi/kampanye bagi suami/istri calon", "kode_etik", "moral",
     ETHICS_BASIS),
    ("HD-01", "Memasang spanduk/baliho/alat peraga lainnya terkait bakal calon peserta pemilu "
              "dan pemilihan", "disiplin", "berat", HEAVY_BASIS),
    ("HD-02", "Sosialisasi/kampanye di media sosial/online bakal calon", "disiplin", "berat",
     HEAVY_BASIS),
    ("HD-03", "Melakukan pendekatan kepada partai politik dan masyarakat sebagai bakal calon",
     "disiplin", "sedang", MEDIUM_BASIS),
    ("HD-04", "Menghadiri deklarasi/kampanye pasangan bakal calon dan memberikan "
              "tindakan/dukungan secara aktif", "disiplin", "berat", HEAVY_BASIS),
    ("HD-05", "Menjadi anggota dan/atau pengurus partai politik", "disiplin", "ptdh", PTDH_BASIS),
    ("HD-06", "Membuat posting, comment, share, like, bergabung/follow dalam grup/akun "
              "pemenangan bakal calon", "disiplin", "berat", HEAVY_BASIS),
    ("HD-07", "Memposting di media sosial/media lain yang dapat diakses publik foto bersama bakal "
              "calon/tim sukses dengan simbol keberpihakan atau atribut partai politik",
     "disiplin", "berat", HEAVY_BASIS),
    ("HD-08", "Mengadakan kegiatan yang mengarah kepada keberpihakan terhadap partai politik atau "
              "bakal calon", "disiplin", "berat", HEAVY_BASIS),
    ("HD-09", "Menjadi tim ahli/tim pemenangan/konsultan bakal calon sebelum penetapan peserta "
              "pemilu atau pemilihan", "disiplin", "sedang", MEDIUM_BASIS),
    ("HD-10", "Menjadi tim ahli/tim pemenangan/konsultan calon setelah penetapan peserta pemilu "
              "atau pemilihan", "disiplin", "berat", HEAVY_BASIS),
    ("HD-11", "Memberikan dukungan kepada bakal calon perseorangan dengan surat dukungan atau "
              "mengumpulkan fotokopi KTP/surat keterangan penduduk", "disiplin", "berat",
     HEAVY_BASIS),
    ("HD-12", "Membuat keputusan/tindakan yang menguntungkan atau merugikan partai politik, calon "
              "atau pasangan calon", "disiplin", "berat", HEAVY_BASIS),
]
