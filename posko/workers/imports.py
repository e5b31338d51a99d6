"""Imports (engine: posko.core.importer): the worker registry from KPU's lists, and the
list BPJS Ketenagakerjaan returns with membership numbers.

Both check the whole file first (the NIK with the one NIK function, the posting within
the importer's region, one post per person per election) and write nothing when any row
is bad; every created or changed worker gets an audit row, with the NIK masked."""

from __future__ import annotations

import datetime
import re

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from posko.core import audit, derived
from posko.core.bulk import insert_rows
from posko.core.importer import CellError, Column, Importer, ImportResult, parse_int, parse_text
from posko.core.templates_example import ExampleRowMixin, with_no
from posko.elections.models import Tps, place_codes
from posko.regions.models import Kecamatan, Kelurahan
from posko.workers import rules
from posko.workers.models import Worker, WorkerSettings
from posko.workers.nik import BULLET, mask_nik, mask_phone
from posko.workers.services import DERIVED_KEY, months_between

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

INSERT_FIELDS = ["election_id", "role", "tps_id", "kelurahan_id", "kecamatan_id", "kabkota_id",
                 "nik", "full_name", "sex", "birth_date", "phone", "address", "domicile_code",
                 "decree_number", "decree_date", "term_start", "term_end", "status", "flags",
                 "outside_domicile", "screening_result", "bpjs_status", "bpjs_jkk", "bpjs_jkm",
                 "bpjs_number", "bpjs_months", "bpjs_funding", "version", "created_at", "updated_at"]
UPDATE_FIELDS = ["role", "tps_id", "kelurahan_id", "kecamatan_id", "kabkota_id", "full_name", "sex",
                 "birth_date", "phone", "address", "domicile_code", "decree_number", "decree_date",
                 "term_start", "term_end", "flags", "outside_domicile"]


def _nik_in(queryset, niks):
    """``nik IN (...)``; on PostgreSQL as one text parameter split by the server (thousands of
    placeholders, or a 100,000-element array parameter, cost more to send than the lookup
    itself). The NIKs are the ones check_nik accepted: 16 digits, no comma."""
    if connection.vendor == "postgresql":
        niks = list(niks)
        if all(nik.isdigit() for nik in niks):
            return queryset.extra(where=['"workers_worker"."nik" = ANY(string_to_array(%s, \',\'))'],
                                  params=[",".join(niks)])
        return queryset.extra(where=['"workers_worker"."nik" = ANY(%s)'], params=[niks])
    return queryset.filter(nik__in=niks)


def _nik_chunks(niks: list[str]):
    """The NIKs in one piece on PostgreSQL (one parameter), in chunks of 5,000 elsewhere (the
    SQLite limit on query variables)."""
    size = (len(niks) or 1) if connection.vendor == "postgresql" else 5000
    for start in range(0, len(niks), size):
        yield niks[start:start + size]


def _iso(value):
    return value.isoformat() if isinstance(value, datetime.date) else value


_PERSON_COLUMNS = {"nik": "nik", "birth_date": "tanggal_lahir", "sex": "jenis_kelamin"}


class WorkerImporter(ExampleRowMixin, Importer):
    columns = WORKER_COLUMNS
    noun = "petugas ad hoc"

    def __init__(self, *, actor, election):
        super().__init__(actor=actor)
        self.election = election

    def prepare(self) -> None:
        self.today = timezone.localdate()
        self.settings = WorkerSettings.for_election(self.election)
        allowed = Tps.objects.editable_by(self.actor).filter(election=self.election)
        self.tps_by_key = {(kel, number): (pk, kel, kec, kab) for pk, kel, number, kec, kab in
                           allowed.values_list("pk", "kelurahan_id", "number", "kecamatan_id",
                                               "kabkota_id").iterator(chunk_size=10000)}
        can_edit = getattr(self.actor, "can_edit_registry", False)
        self.kelurahan = set(Kelurahan.objects.visible_to(self.actor).values_list("code", flat=True)) \
            if can_edit else set()
        self.kecamatan = set(Kecamatan.objects.visible_to(self.actor).values_list("code", flat=True)) \
            if can_edit and not getattr(self.actor, "scope_kelurahan_id", None) else set()
        self.seen: dict[str, int] = {}

    def _posting(self, role, values, error):
        kel, number, kec = values.get("kode_kelurahan"), values.get("nomor_tps"), values.get("kode_kecamatan")
        if role in Worker.TPS_ROLES:
            if not kel or number is None:
                error("nomor_tps", _("A %(role)s needs kode_kelurahan and nomor_tps.") % {
                    "role": Worker.Role(role).label})
                return None
            tps = self.tps_by_key.get((kel, number))
            if tps is None:
                error("nomor_tps", _("There is no TPS %(number)03d in kelurahan %(code)s within "
                                     "your region.") % {"number": number, "code": kel})
            return tps
        if role == Worker.Role.PPS:
            if not kel:
                error("kode_kelurahan", _("A PPS member needs kode_kelurahan."))
                return None
            if kel not in self.kelurahan:
                error("kode_kelurahan", _("Kelurahan %(code)s is not within your region.") % {"code": kel})
                return None
            kec_code, kab = place_codes(kel)
            return (None, kel, kec_code, kab)
        if not kec:
            error("kode_kecamatan", _("A PPK member needs kode_kecamatan."))
            return None
        if kec not in self.kecamatan:
            error("kode_kecamatan", _("Kecamatan %(code)s is not within your region.") % {"code": kec})
            return None
        return (None, None, kec, kec.rsplit(".", 1)[0])

    def build(self, row, values, error):
        if self.refuse_example(row, values, error):
            return None
        role = values["jabatan"]
        posting = self._posting(role, values, error)
        info, problems = rules.person_problems(values["nik"], values.get("tanggal_lahir"),
                                               values.get("jenis_kelamin") or None, today=self.today)
        for field, message in problems:
            error(_PERSON_COLUMNS.get(field, "nik"), message)
        domicile = values.get("domisili") or (posting[1] if posting else "") or ""
        if values.get("domisili"):
            for _field, message in rules.domicile_problems(domicile):
                error("domisili", message)
        if not domicile and posting and role == Worker.Role.PPK:
            error("domisili", _("Fill in the kelurahan code of the domicile."))
        for _field, message in rules.term_problems(values.get("mulai_tugas"), values.get("akhir_tugas")):
            error("akhir_tugas", message)
        if info is None or posting is None or problems:
            return None
        if info.nik in self.seen:
            error("nik", _("NIK %(nik)s is already on row %(row)s.") % {
                "nik": mask_nik(info.nik), "row": self.seen[info.nik]})
            return None
        self.seen[info.nik] = row
        tps_kel = posting[1] if role in Worker.TPS_ROLES else None
        flags = rules.eligibility_flags(role, info.birth_date, domicile, tps_kel, self.settings,
                                        self.election.voting_date)
        # The values in UPDATE_FIELDS order: compared as is with the stored ones, and spliced
        # into the INSERT_FIELDS tuple without an intermediate dict.
        return (row, info.nik, (
            role, *posting, values["nama"], info.sex, info.birth_date,
            values.get("telepon") or "", values.get("alamat") or "", domicile,
            values.get("nomor_sk") or "", values.get("tanggal_sk"), values.get("mulai_tugas"),
            values.get("akhir_tugas"), "\n".join(flags),
            rules.is_outside_domicile(role, domicile, tps_kel)))

    def _build_all(self, rows, mapping, result, *args, **kwargs):
        objects = super()._build_all(rows, mapping, result, *args, **kwargs)
        # One post per person per election: look the file's NIKs up in the registry, with the
        # values an update compares (no model instances). First among all active workers of
        # the election; only when some are found, which of them the importer may edit.
        niks = [obj[1] for obj in objects]
        self.existing: dict[str, tuple] = {}
        outside: dict[str, int] = {}
        fields = ["nik", "pk", "version", *UPDATE_FIELDS]
        active = Worker.objects.filter(election=self.election, status=Worker.Status.AKTIF)
        editable = Worker.objects.editable_by(self.actor).filter(
            election=self.election, status=Worker.Status.AKTIF)
        for chunk in _nik_chunks(niks):
            found = {row[0]: row for row in _nik_in(active, chunk).values_list(*fields)}
            if not found:
                continue
            mine = set(_nik_in(editable, list(found)).values_list("nik", flat=True))
            for nik, row in found.items():
                if nik in mine:
                    self.existing[nik] = row
                else:
                    outside[nik] = row[1]
        if outside:
            from posko.core.importer import RowError

            for obj in objects:
                pk = outside.get(obj[1])
                if pk is not None:
                    other = Worker.objects.select_related("tps", "kelurahan", "kecamatan").get(pk=pk)
                    result.errors.append(RowError(obj[0], "nik", rules.duplicate_message(other)))
            result.errors.sort(key=lambda e: e.row)
        return objects

    def write(self, objects) -> ImportResult:
        result = ImportResult()
        now = timezone.now()
        election_id = self.election.pk
        new_rows, changed, touched_tps = [], [], set()
        existing = self.existing
        kpps_roles = Worker.KPPS_ROLES
        for _row, nik, record in objects:
            tps_id = record[1]
            if tps_id and record[0] in kpps_roles:
                touched_tps.add(tps_id)
            found = existing.get(nik)
            if found is None:
                new_rows.append((election_id, *record[:5], nik, *record[5:15], "aktif", record[15],
                                 record[16], "", "belum", True, True, "", 0, "", 1, now, now))
            elif tuple(found[3:]) == record:
                result.unchanged += 1
            else:
                changed.append((found, nik, record))
        after_id = 0
        if new_rows and connection.vendor == "postgresql":
            after_id = Worker.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        insert_rows(Worker, INSERT_FIELDS, new_rows)
        result.created = len(new_rows)
        updated = []
        for found, nik, record in changed:
            before = {k: _iso(v) for k, v in zip(UPDATE_FIELDS, found[3:], strict=True)}
            after = {k: _iso(v) for k, v in zip(UPDATE_FIELDS, record, strict=True)}
            worker = Worker(pk=found[1], election_id=election_id, nik=nik, version=found[2] + 1,
                            updated_at=now, status=Worker.Status.AKTIF,
                            **dict(zip(UPDATE_FIELDS, record, strict=True)))
            if before["tps_id"]:
                touched_tps.add(before["tps_id"])
            updated.append((worker, {**before, "phone": mask_phone(before["phone"])},
                            {**after, "phone": mask_phone(after["phone"])}))
        if updated:
            Worker.objects.bulk_update([w for w, _b, _a in updated], [*UPDATE_FIELDS, "version",
                                                                      "updated_at"], batch_size=2000)
        result.updated = len(updated)
        if new_rows:
            _audit_created(self.actor, election_id, now, new_rows, after_id)
        audit.insert_many(Worker, "update", (
            (w.pk, str(w), b, a, w.kecamatan_id, w.kelurahan_id or "") for w, b, a in updated),
            actor=self.actor, message="import")
        if touched_tps:
            election, ids_ = self.election, sorted(touched_tps)
            transaction.on_commit(lambda: derived.changed(DERIVED_KEY, election, ids_))
        return result


# The audit row of a created worker: its "after" snapshot, NIK and phone masked.
_CREATED_AFTER = ["election", "role", "tps", "kelurahan", "kecamatan", "nik", "full_name", "sex",
                  "birth_date", "phone", "domicile_code", "flags"]


def _audit_created(actor, election_id, now, new_rows, after_id: int) -> None:
    """One "create" audit row per inserted worker (``new_rows`` in INSERT_FIELDS order, all
    stamped ``now``, ids above ``after_id``). On PostgreSQL the rows are built by the server from
    the workers just inserted (one INSERT ... SELECT: no per-row JSON in Python, nothing sent
    back and forth);
    elsewhere in Python. Both give the same rows (tests/test_workers_protection.py)."""
    if connection.vendor == "postgresql":
        _audit_created_sql(actor, election_id, now, after_id)
        return
    ids = dict(Worker.objects.filter(election_id=election_id, status="aktif", created_at=now)
               .values_list("nik", "pk").iterator(chunk_size=10000))

    def created_audit():
        for row in new_rows:
            (_e, role, tps_id, kel, kec, _kab, nik, full_name, sex, birth, phone, _address,
             domicile) = row[:13]
            flags = row[18]
            after = dict(zip(_CREATED_AFTER, (
                election_id, role, tps_id, kel, kec, mask_nik(nik), full_name, sex,
                birth.isoformat(), mask_phone(phone), domicile, flags), strict=True))
            yield (ids.get(nik, ""), f"{full_name} ({role})", None, after, kec, kel or "")

    audit.insert_many(Worker, "create", created_audit(), actor=actor, message="import")


def _mask_sql(column: str, head: int, tail: int) -> str:
    """SQL for :func:`mask_nik` (4, 4) / :func:`mask_phone` (4, 3) of a stripped column."""
    keep = head + tail
    return (f"CASE WHEN char_length({column}) <= {keep} THEN repeat('{BULLET}', char_length({column})) "
            f"ELSE left({column}, {head}) || repeat('{BULLET}', char_length({column}) - {keep}) "
            f"|| right({column}, {tail}) END")


def _audit_created_sql(actor, election_id, now, after_id: int) -> None:
    # The same snapshot as the Python path, built by the server (core.audit.insert_select).
    audit.insert_select(
        Worker, "create", actor=actor, message="import",
        source=("FROM workers_worker w WHERE w.id > %s AND w.election_id = %s "
                "AND w.status = 'aktif' AND w.created_at = %s ORDER BY w.id"),
        params=[after_id, election_id, now],
        object_id="w.id::text", object_repr="w.full_name || ' (' || w.role || ')'",
        after=f"""jsonb_build_object(
            'election', w.election_id, 'role', w.role, 'tps', w.tps_id,
            'kelurahan', w.kelurahan_id, 'kecamatan', w.kecamatan_id,
            'nik', {_mask_sql("w.nik", 4, 4)}, 'full_name', w.full_name, 'sex', w.sex,
            'birth_date', to_char(w.birth_date, 'YYYY-MM-DD'),
            'phone', {_mask_sql("w.phone", 4, 3)}, 'domicile_code', w.domicile_code,
            'flags', w.flags)""",
        kecamatan="w.kecamatan_id", kelurahan="w.kelurahan_id")


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


class BpjsReturnImporter(ExampleRowMixin, Importer):
    """Matched by NIK among the active workers the importer may edit; an unknown NIK is a
    row error (all or nothing)."""

    columns = BPJS_COLUMNS
    noun = "daftar kembali BPJS"

    def __init__(self, *, actor, election):
        super().__init__(actor=actor)
        self.election = election

    def prepare(self) -> None:
        self.workers = {w.nik: w for w in Worker.objects.editable_by(self.actor).filter(
            election=self.election, status=Worker.Status.AKTIF)}
        self.seen: dict[str, int] = {}

    def build(self, row, values, error):
        if self.refuse_example(row, values, error):
            return None
        nik = values["nik"]
        worker = self.workers.get(nik)
        if worker is None:
            error("nik", _("NIK %(nik)s is not an active worker of this election in your region.") % {
                "nik": mask_nik(nik) if len(nik) == 16 else nik[:20]})
            return None
        if nik in self.seen:
            error("nik", _("NIK %(nik)s is already on row %(row)s.") % {
                "nik": mask_nik(nik), "row": self.seen[nik]})
            return None
        self.seen[nik] = row
        start, end = values.get("mulai_kepesertaan"), values.get("akhir_kepesertaan")
        if start and end and end < start:
            error("akhir_kepesertaan", _("The coverage cannot end before it starts."))
            return None
        return (worker, values)

    def write(self, objects) -> ImportResult:
        from posko.workers.services import snapshot

        result = ImportResult()
        changed = []
        for worker, values in objects:
            before = snapshot(worker)
            programmes = values.get("program")
            if programmes is not None:
                worker.bpjs_jkk, worker.bpjs_jkm = programmes
            worker.bpjs_number = values["nomor_kepesertaan"]
            worker.bpjs_status = values.get("status") or Worker.Bpjs.AKTIF
            if values.get("mulai_kepesertaan"):
                worker.bpjs_start = values["mulai_kepesertaan"]
            if values.get("akhir_kepesertaan"):
                worker.bpjs_end = values["akhir_kepesertaan"]
            if not worker.bpjs_funding:
                worker.bpjs_funding = Worker.Funding.APBD
            worker.bpjs_months = months_between(worker.bpjs_start, worker.bpjs_end)
            after = snapshot(worker)
            if {k: v for k, v in after.items() if k != "version"} == \
                    {k: v for k, v in before.items() if k != "version"}:
                result.unchanged += 1
                continue
            worker.version += 1
            after["version"] = worker.version
            changed.append((worker, before, after))
        Worker.objects.bulk_update([w for w, _b, _a in changed],
                                   ["bpjs_jkk", "bpjs_jkm", "bpjs_number", "bpjs_status", "bpjs_start",
                                    "bpjs_end", "bpjs_funding", "bpjs_months", "version"],
                                   batch_size=2000)
        audit.insert_many(Worker, "update", (
            (w.pk, str(w), b, a, w.kecamatan_id, w.kelurahan_id or "") for w, b, a in changed),
            actor=self.actor, message="BPJS import")
        result.updated = len(changed)
        return result
