"""Cell parsers and the columns of the worker and BPJS files."""

from __future__ import annotations

import datetime
import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from posko.core.importer import (
    CellError,
    Column,
    parse_int,
    parse_text,
)
from posko.core.templates_example import with_no
from posko.workers.models import Worker

_DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d")
_KEL = re.compile(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$")
_KEC = re.compile(r"^\d{2}\.\d{2}\.\d{2}$")


_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_date(value: str) -> datetime.date | None:
    value = value.strip()
    if value == "":
        return None
    if _ISO.match(value):  # the common case, without strptime's cost
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            pass
    text = re.sub(r"[ T]00:00(:00)?$", "", value)
    for fmt in _DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise CellError(_("%(value)r is not a date (use 1980-05-17 or 17-05-1980).") % {"value": value})


def parse_nik(value: str) -> str:
    return value.strip().replace(" ", "")


_SEX = {"l": "L", "lk": "L", "laki-laki": "L", "laki laki": "L", "pria": "L", "m": "L", "male": "L",
        "p": "P", "pr": "P", "perempuan": "P", "wanita": "P", "f": "P", "female": "P"}


def parse_sex(value: str) -> str:
    low = value.strip().lower()
    if low == "":
        return ""
    if low not in _SEX:
        raise CellError(_("%(value)r is not L or P.") % {"value": value})
    return _SEX[low]


_ROLES = {
    "kpps_ketua": Worker.Role.KPPS_KETUA, "ketua_kpps": Worker.Role.KPPS_KETUA,
    "ketua": Worker.Role.KPPS_KETUA, "kpps_anggota": Worker.Role.KPPS_ANGGOTA,
    "anggota_kpps": Worker.Role.KPPS_ANGGOTA, "kpps": Worker.Role.KPPS_ANGGOTA,
    "anggota": Worker.Role.KPPS_ANGGOTA, "linmas": Worker.Role.LINMAS, "ptps": Worker.Role.PTPS,
    "pengawas_tps": Worker.Role.PTPS, "pps": Worker.Role.PPS, "ppk": Worker.Role.PPK,
    "pantarlih": Worker.Role.PANTARLIH,
}


def parse_role(value: str) -> str:
    key = re.sub(r"[\s\-]+", "_", value.strip().lower())
    if key not in _ROLES:
        raise CellError(_("%(value)r is not a role (ketua_kpps, anggota_kpps, linmas, ptps, pps, "
                          "ppk, pantarlih).") % {"value": value})
    return _ROLES[key]


def parse_kelurahan(value: str) -> str:
    value = value.strip()
    if value and not _KEL.match(value):
        raise CellError(_("%(value)r is not a kelurahan code (like 35.73.02.1001).") % {"value": value})
    return value


def parse_kecamatan(value: str) -> str:
    value = value.strip()
    if value and not _KEC.match(value):
        raise CellError(_("%(value)r is not a kecamatan code (like 35.73.02).") % {"value": value})
    return value


def parse_tps_number(value: str) -> int | None:
    return parse_int(value, minimum=1, maximum=9999)


WORKER_COLUMNS = with_no([
    Column("nik", gettext_lazy("NIK"), parse_nik, required=True, example="3573024508800001",
           help=gettext_lazy("16 digits; checked against the date of birth and sex.")),
    Column("nama", gettext_lazy("Full name"), parse_text(150), required=True,
           aliases=("nama_lengkap", "name", "full_name"), example="Siti Aminah"),
    Column("jabatan", gettext_lazy("Role"), parse_role, required=True, aliases=("role", "peran"),
           example="anggota_kpps",
           help=gettext_lazy("ketua_kpps, anggota_kpps, linmas, ptps, pps, ppk or pantarlih.")),
    Column("jenis_kelamin", gettext_lazy("Sex"), parse_sex, aliases=("jk", "sex", "l_p"),
           example="P", help=gettext_lazy("L or P; taken from the NIK when empty.")),
    Column("tanggal_lahir", gettext_lazy("Date of birth"), parse_date,
           aliases=("tgl_lahir", "birth_date"), example="1980-08-05",
           help=gettext_lazy("Taken from the NIK when empty.")),
    Column("telepon", gettext_lazy("Phone"), parse_text(20), aliases=("hp", "no_hp", "phone"),
           example="081234567890"),
    Column("alamat", gettext_lazy("Address"), parse_text(255), aliases=("address",),
           example="Jl. Kahuripan 5"),
    Column("domisili", gettext_lazy("Domicile kelurahan code"), parse_kelurahan,
           aliases=("kode_kelurahan_domisili", "domicile"), example="35.73.02.1001",
           help=gettext_lazy("Empty: the posting's kelurahan.")),
    Column("kode_kelurahan", gettext_lazy("Posting kelurahan code"), parse_kelurahan,
           aliases=("kelurahan_code", "kode_kel", "kode_desa"), example="35.73.02.1001",
           help=gettext_lazy("For KPPS, Linmas, PTPS, Pantarlih (with nomor_tps) and PPS.")),
    Column("nomor_tps", gettext_lazy("TPS number"), parse_tps_number, aliases=("no_tps", "tps"),
           example="1"),
    Column("tps_terdaftar", gettext_lazy("TPS of registration (number)"), parse_tps_number,
           # No example: a template saved before this column still matches its example row.
           aliases=("nomor_tps_terdaftar", "tps_dpt", "registered_tps"), example="",
           help=gettext_lazy("Optional: the number of the TPS where the worker is on the DPT.")),
    Column("kelurahan_tps_terdaftar", gettext_lazy("TPS of registration (kelurahan code)"),
           parse_kelurahan, aliases=("kode_kelurahan_tps_terdaftar", "registered_tps_kelurahan"),
           example="",
           help=gettext_lazy("The kelurahan of that TPS; empty: the posting's kelurahan.")),
    Column("kode_kecamatan", gettext_lazy("Posting kecamatan code"), parse_kecamatan,
           aliases=("kecamatan_code", "kode_kec"), example="",
           help=gettext_lazy("For PPK.")),
    Column("nomor_sk", gettext_lazy("Decree number"), parse_text(100), aliases=("no_sk",),
           example="123/PP.05/3573/2024"),
    Column("tanggal_sk", gettext_lazy("Decree date"), parse_date, aliases=("tgl_sk",),
           example="2024-11-06"),
    Column("mulai_tugas", gettext_lazy("Term start"), parse_date, aliases=("mulai", "term_start"),
           example="2024-11-07"),
    Column("akhir_tugas", gettext_lazy("Term end"), parse_date, aliases=("akhir", "selesai", "term_end"),
           example="2024-12-06"),
])


# --- the list BPJS returns ----------------------------------------------------------------------

_BPJS_STATUS = {"aktif": Worker.Bpjs.AKTIF, "active": Worker.Bpjs.AKTIF,
                "berakhir": Worker.Bpjs.BERAKHIR, "ended": Worker.Bpjs.BERAKHIR,
                "diajukan": Worker.Bpjs.DIAJUKAN, "submitted": Worker.Bpjs.DIAJUKAN}


def parse_bpjs_status(value: str) -> str:
    low = value.strip().lower()
    if low == "":
        return Worker.Bpjs.AKTIF
    if low not in _BPJS_STATUS:
        raise CellError(_("%(value)r is not aktif, diajukan or berakhir.") % {"value": value})
    return _BPJS_STATUS[low]


def parse_programmes(value: str) -> tuple[bool, bool] | None:
    low = value.strip().lower()
    if low == "":
        return None
    parts = {p for p in re.split(r"[\s,;/+&]+", low) if p}
    unknown = parts - {"jkk", "jkm", "dan"}
    if unknown or not parts & {"jkk", "jkm"}:
        raise CellError(_("%(value)r is not JKK, JKM or JKK, JKM.") % {"value": value})
    return ("jkk" in parts, "jkm" in parts)
_ignored = parse_text(255)

BPJS_COLUMNS = with_no([
    Column("nik", gettext_lazy("NIK"), parse_nik, required=True, example="3573024508800001"),
    Column("nomor_kepesertaan", gettext_lazy("BPJS membership number"), parse_text(30),
           required=True, aliases=("no_kepesertaan", "kpj", "nomor_kpj", "membership_number"),
           example="24011234567"),
    Column("program", gettext_lazy("Programmes"), parse_programmes, aliases=("programme",),
           example="JKK, JKM", help=gettext_lazy("Empty: JKK and JKM.")),
    Column("mulai_kepesertaan", gettext_lazy("Coverage start"), parse_date,
           aliases=("tanggal_mulai", "coverage_start"), example="2024-11-07"),
    Column("akhir_kepesertaan", gettext_lazy("Coverage end"), parse_date,
           aliases=("tanggal_akhir", "coverage_end"), example="2024-12-06"),
    Column("status", gettext_lazy("Status"), parse_bpjs_status, example="aktif",
           help=gettext_lazy("aktif (default), diajukan or berakhir.")),
    # Columns of Posko's own enrolment list, read and ignored, so the list can come back as is.
    *[Column(name, label, _ignored, help=gettext_lazy("Ignored."))
      for name, label in (("nama", gettext_lazy("Full name")),
                          ("tanggal_lahir", gettext_lazy("Date of birth")),
                          ("jenis_kelamin", gettext_lazy("Sex")), ("jabatan", gettext_lazy("Role")),
                          ("penempatan", gettext_lazy("Posting")),
                          ("mulai_tugas", gettext_lazy("Term start")),
                          ("akhir_tugas", gettext_lazy("Term end")))],
])
