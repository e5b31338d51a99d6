"""Columns of the worker list export: masked by default; full NIK and phone, or the latest
screening's measurements, only in an export asked for with a reason (``views.privacy``)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from posko.workers import privacy


def worker_export_header(personal: bool, health: bool = False) -> list[str]:
    header = [_("NIK") if personal else _("NIK (masked)"), _("Full name"), _("Sex"),
              _("Date of birth"), _("Phone") if personal else _("Phone (masked)"), _("Role"),
              _("Posting"), _("Kecamatan"), _("Domicile kelurahan code"), _("TPS of registration"),
              _("Status"),
              _("Eligibility flags"), _("Screening result"), _("BPJS status"),
              _("BPJS membership number"), _("Coverage start"), _("Coverage end")]
    return header + (privacy.health_header() if health else [])


def worker_export_rows(queryset, personal: bool, health: bool = False):
    queryset = queryset.select_related("tps", "kelurahan", "kecamatan", "registered_tps__kelurahan")
    if health:
        queryset = privacy.with_latest_screening(queryset)
    for w in queryset.iterator(chunk_size=2000):
        row = [w.nik if personal else w.nik_masked, w.full_name, w.get_sex_display(),
               w.birth_date, w.phone if personal else w.phone_masked, w.get_role_display(),
               w.posting_label, w.kecamatan.name, w.domicile_code, registration_label(w),
               w.get_status_display(),
               "; ".join(w.flag_list), w.get_screening_result_display(),
               w.get_bpjs_status_display(), w.bpjs_number, w.bpjs_start, w.bpjs_end]
        yield row + (privacy.health_cells(w) if health else [])


def registration_label(worker) -> str:
    tps = worker.registered_tps
    return f"TPS {tps.number:03d} {tps.kelurahan.name}" if tps else ""
