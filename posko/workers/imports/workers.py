"""The worker import: validated, all or nothing, written in bulk with server-built audit rows."""

from __future__ import annotations

import datetime

from django.db import connection, transaction
from django.utils.translation import gettext as _

from posko.core import audit, clock, derived
from posko.core.bulk import insert_rows
from posko.core.importer import (
    ElectionImporter,
    ImportResult,
    RowError,
)
from posko.core.templates_example import ExampleRowMixin
from posko.elections.models import Tps, place_codes
from posko.regions.models import Kecamatan, Kelurahan
from posko.workers import norms, rules
from posko.workers.imports.columns import WORKER_COLUMNS
from posko.workers.models import Worker, WorkerSettings
from posko.workers.nik import BULLET, mask_nik, mask_phone
from posko.workers.services import DERIVED_KEY

INSERT_FIELDS = ["election_id", "role", "tps_id", "kelurahan_id", "kecamatan_id", "kabkota_id",
                 "nik", "full_name", "sex", "birth_date", "phone", "address", "domicile_code",
                 "decree_number", "decree_date", "term_start", "term_end", "status", "flags",
                 "outside_domicile", "screening_result", "bpjs_status", "bpjs_jkk", "bpjs_jkm",
                 "bpjs_number", "bpjs_months", "bpjs_funding", "version", "created_at", "updated_at",
                 "registered_tps_id"]
UPDATE_FIELDS = ["role", "tps_id", "kelurahan_id", "kecamatan_id", "kabkota_id", "full_name", "sex",
                 "birth_date", "phone", "address", "domicile_code", "decree_number", "decree_date",
                 "term_start", "term_end", "flags", "outside_domicile", "registered_tps_id"]
REGISTERED = len(UPDATE_FIELDS) - 1  # the record's TPS of registration (None: not in the file)


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


class WorkerImporter(ExampleRowMixin, ElectionImporter):
    columns = WORKER_COLUMNS
    noun = "petugas ad hoc"
    has_registration = False

    def prepare(self) -> None:
        self.today = clock.today()
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
        self.visible_tps = None
        if self.has_registration:
            self.visible_tps = dict(
                ((kel, number), pk) for pk, kel, number in Tps.objects.visible_to(self.actor)
                .filter(election=self.election).values_list("pk", "kelurahan_id", "number")
                .iterator(chunk_size=10000))

    def check_columns(self, present: set[str]) -> list[str]:
        self.has_registration = "tps_terdaftar" in present
        return []

    def _registered(self, values, posting, error):
        """The TPS of registration named by tps_terdaftar (+ kelurahan_tps_terdaftar)."""
        number, kel = values.get("tps_terdaftar"), values.get("kelurahan_tps_terdaftar")
        if number is None:
            if kel:
                error("tps_terdaftar", _("Fill in tps_terdaftar (the TPS number) for "
                                         "kelurahan_tps_terdaftar %(code)s.") % {"code": kel})
            return None
        kel = kel or (posting[1] if posting else None)
        if not kel:
            error("kelurahan_tps_terdaftar", _("Fill in kelurahan_tps_terdaftar: a PPK has no "
                                               "posting kelurahan to take it from."))
            return None
        pk = (self.visible_tps or {}).get((kel, number))
        if pk is None:
            exists = Tps.objects.filter(election=self.election, kelurahan_id=kel, number=number).exists()
            error("tps_terdaftar", (_("TPS %(number)03d in kelurahan %(code)s is outside your "
                                      "region.") if exists else
                                    _("There is no TPS %(number)03d in kelurahan %(code)s in this "
                                      "election.")) % {"number": number, "code": kel})
        return pk

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
        registered = self._registered(values, posting, error)
        if info is None or posting is None or problems:
            return None
        if info.nik in self.seen:
            error("nik", _("NIK %(nik)s is already on row %(row)s.") % {
                "nik": mask_nik(info.nik), "row": self.seen[info.nik]})
            return None
        self.seen[info.nik] = row
        flags = rules.eligibility_flags(role, info.birth_date, domicile, posting[1], self.settings,
                                        self.election.voting_date, posting[2])
        # The values in UPDATE_FIELDS order: compared as is with the stored ones, and spliced
        # into the INSERT_FIELDS tuple without an intermediate dict.
        return (row, info.nik, (
            role, *posting, values["nama"], info.sex, info.birth_date,
            values.get("telepon") or "", values.get("alamat") or "", domicile,
            values.get("nomor_sk") or "", values.get("tanggal_sk"), values.get("mulai_tugas"),
            values.get("akhir_tugas"), "\n".join(flags),
            rules.is_outside_domicile(role, domicile, posting[1], posting[2]), registered))

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

            for obj in objects:
                pk = outside.get(obj[1])
                if pk is not None:
                    other = Worker.objects.select_related("tps", "kelurahan", "kecamatan").get(pk=pk)
                    result.errors.append(RowError(obj[0], "nik", rules.duplicate_message(other)))
            result.errors.sort(key=lambda e: e.row)
        return objects

    def _write(self, objects, result: ImportResult) -> None:
        """Refuse, under a lock on the places, rows that would post beyond the norms."""
        moves = []
        for row, nik, record in objects:
            found = self.existing.get(nik)
            new = norms.slots(record[0], record[1], record[2], record[3])
            old = norms.slots(*found[3:7]) if found else set()
            moves.append((row, old - new, new - old))
        refused = norms.batch_problems(self.election, moves)
        if refused:
            result.errors.extend(RowError(row, _NORM_COLUMN[kind], text) for row, kind, text in refused)
            raise _Refused(result)
        super()._write(objects, result)

    def run(self, *args, **kwargs) -> ImportResult:
        try:
            return super().run(*args, **kwargs)
        except _Refused as exc:
            return exc.result

    def write(self, objects) -> ImportResult:
        result = ImportResult()
        now = clock.now()
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
                                 record[16], "", "belum", True, True, "", 0, "", 1, now, now,
                                 record[REGISTERED]))
                continue
            if record[REGISTERED] is None:  # not in the file: the stored one stays
                record = (*record[:REGISTERED], found[3 + REGISTERED])
            if tuple(found[3:]) == record:
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


_NORM_COLUMN = {"tps": "nomor_tps", "kelurahan": "kode_kelurahan", "kecamatan": "kode_kecamatan"}


class _Refused(Exception):
    """Raised inside the import's transaction (nothing is written); carries the result."""

    def __init__(self, result: ImportResult):
        super().__init__()
        self.result = result


# The audit row of a created worker: its "after" snapshot, NIK and phone masked.
_CREATED_AFTER = ["election", "role", "tps", "kelurahan", "kecamatan", "nik", "full_name", "sex",
                  "birth_date", "phone", "domicile_code", "flags", "registered_tps"]


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
            flags, registered = row[18], row[-1]
            after = dict(zip(_CREATED_AFTER, (
                election_id, role, tps_id, kel, kec, mask_nik(nik), full_name, sex,
                birth.isoformat(), mask_phone(phone), domicile, flags, registered), strict=True))
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
            'flags', w.flags, 'registered_tps', w.registered_tps_id)""",
        kecamatan="w.kecamatan_id", kelurahan="w.kelurahan_id")


